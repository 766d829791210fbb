"""Bad input: every case of ``reliability_cases.INPUTS`` and ``ROLE_INPUTS`` must be refused
with one readable message, before anything changes.

Modules: one ``ansible-playbook -vvv`` run per group of cases against a
simulator that holds a plain folder (preferences, hosts) and a selective-sync
folder (a file choice). The probe snapshots the API state (device preferences,
and per folder its secret, preferences, hosts and file choices) before and
after every task and notes the API methods the task called: each case must
fail, with one message matching the case, leave the snapshot unchanged, and
send no write unless the case is one the API itself refuses.

Role: the role's argument spec and preflight run against aliases of localhost
in check mode, limited by ``--tags`` to the phases that cannot touch this
machine; every path the role would write is under a temporary directory, and
the user, group and unit names are unique. Each case must fail in the phase it
names, after no task reported a change, and leave none of those paths,
users or units behind.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_cases import INPUTS, ROLE_INPUTS, InputCase, RoleCase
from reliability_lib import (
    ROOT,
    WRITE_METHODS,
    Sim,
    find_leaks,
    one_message,
    play,
    random_secret,
    run_playbook,
    sims_vars,
    snapshot_diff,
)

pytestmark = pytest.mark.slow

GROUPS = {
    "folder": [case for case in INPUTS if case.module == "btsync_folder"],
    "other": [case for case in INPUTS if case.module != "btsync_folder"],
}

# Role cases that do not behave as expected today: reported as findings (see the final report), not failures.
# A case listed here that behaves as expected simply passes.
# Role cases that are known not to be refused before any change (reported as
# FINDING instead of failing). Empty: every role case must now be refused in time.
KNOWN_ROLE_FINDINGS: dict[str, str] = {}


# ---------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A directory in which nobody, root included, can create a file (immutable flag as root, mode 0555 otherwise)."""
    path = tmp_path / "data" / "unwritable"
    path.mkdir(parents=True)
    immutable = False
    if os.geteuid() == 0:
        immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0
    if not immutable:
        path.chmod(0o555)
    try:
        probe = path / ".probe"
        try:
            probe.write_text("x", encoding="utf-8")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.fail(f"cannot make an unwritable directory here ({'chattr +i' if immutable else 'mode 0555'} did not work)")
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        path.chmod(0o755)


def make_layout(tmp_path: Path, sim: Sim, unwritable: Path) -> dict[str, Any]:
    data = tmp_path / "data"
    dirs = {name: data / name for name in ("plain", "selective", "empty", "nonempty")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for name in ("plain", "selective"):
        (dirs[name] / "sub").mkdir()
        (dirs[name] / "a.txt").write_text(f"{name} a\n", encoding="utf-8")
        (dirs[name] / "sub" / "b.txt").write_text(f"{name} b\n", encoding="utf-8")
    (dirs["nonempty"] / "x.txt").write_text("x\n", encoding="utf-8")
    afile = data / "afile.txt"
    afile.write_text("a file\n", encoding="utf-8")
    plain_secret = sim.api("get_secrets")["read_write"]
    selective_secret = sim.api("get_secrets", type="encryption")["read_write"]
    assert sim.api("add_folder", dir=str(dirs["plain"]), secret=plain_secret, force=True) == {"error": 0}
    assert sim.api("add_folder", dir=str(dirs["selective"]), secret=selective_secret, force=True, selective_sync=True) == {"error": 0}
    sim.api("set_folder_prefs", secret=plain_secret, use_relay_server=False, use_tracker=False)
    sim.api("set_folder_hosts", secret=plain_secret, hosts=f"127.0.0.1:{sim.proc.listening_port + 1}")
    sim.api("set_file_prefs", secret=selective_secret, path="a.txt", download=False)
    return {
        "dirs": {**{k: str(v) for k, v in dirs.items()}, "afile": str(afile), "missing": str(data / "missing"), "unwritable": str(unwritable)},
        "secrets": {
            "plain": plain_secret,
            "selective": selective_secret,
            "one_time": random_secret("C"),
            "unused": random_secret("A"),
        },
    }


def case_task(case: InputCase) -> dict[str, Any]:
    return {"name": f"{case.id} | {case.title}", f"syncops.btsync.{case.module}": dict(case.args), "ignore_errors": True}


def check_input_case(case: InputCase, record: dict[str, Any]) -> list[str]:
    problems = []
    result = record["result"]
    if record["status"] != "failed":
        problems.append(f"not refused: the task ended {record['status']} (changed={record['changed']})")
        return problems
    problems += one_message(result)
    msg = str(result.get("msg", ""))
    if not re.search(case.match, msg):
        problems.append(f"message does not match /{case.match}/")
    before, after = record.get("before") or {}, record.get("after") or {}
    if not (before.get("ok") and after.get("ok")):
        problems.append(f"no snapshot around the task: {before.get('error') or after.get('error')}")
    else:
        problems += [f"state changed: {line}" for line in snapshot_diff(before["state"], after["state"])]
    writes = [method for method in record.get("requests", []) if method in WRITE_METHODS]
    if case.stage == "argspec" and record.get("requests"):
        problems.append(f"Ansible's argument validation should refuse it before any API call; calls: {record['requests']}")
    if case.stage in ("argspec", "module") and writes:
        problems.append(f"a write was sent: {writes}")
    if case.stage == "api" and not writes:
        problems.append("expected the API to refuse a write, but no write was sent")
    return problems


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_bad_input_to_modules(group: str, tmp_path: Path, sims: Callable[..., Sim], unwritable: Path, report: Any) -> None:
    cases = GROUPS[group]
    sim = sims(f"inputs-{group}")
    layout = make_layout(tmp_path, sim, unwritable)
    initial = sim.snapshot()
    tasks = [case_task(case) for case in cases]
    plays = [play(f"Bad input ({group})", tasks, sim=sim)]
    plays[0]["module_defaults"]["group/syncops.btsync.btsync"].update(timeout=5, retries=1)
    run = run_playbook(f"bad-input-{group}", plays, tmp_path, extra_vars={**sims_vars(sim), "rely": layout}, snapshot_sim=sim)

    failures = []
    for case in cases:
        try:
            record = run.result(case.id)
        except AssertionError as exc:
            problems = [str(exc)]
            record = {"result": {}}
        else:
            problems = check_input_case(case, record)
        msg = str(record["result"].get("msg", "")).replace(str(tmp_path), "<tmp>")
        stage = {"argspec": "refused by Ansible", "module": "refused, no write sent", "api": "the API refused the write"}[case.stage]
        if problems:
            failures.append(f"{case.id}: {'; '.join(problems)} (msg: {msg[:300]!r})")
            report.case(case.id, "fail", "; ".join(problems) + f" -- msg: {msg[:200]}")
        else:
            report.case(case.id, "pass", f'{stage}, state unchanged: "{msg[:160]}"', seconds=record.get("elapsed"))

    final = sim.snapshot()
    failures += [f"state after the play differs: {line}" for line in snapshot_diff(initial, final)]
    if run.tracebacks():
        failures.append(f"traceback markers in the output: {run.tracebacks()}")
    sensitive = sim.sensitive()
    sensitive.update({f"spare secret {key}": value for key, value in layout["secrets"].items()})
    probe_text = run.probe_file.read_text(encoding="utf-8") if run.probe_file.exists() else ""
    leaks = find_leaks(run.output, sensitive) + [f"probe: {leak}" for leak in find_leaks(probe_text, sensitive)]
    report.scan(run.log.name, len(sensitive), leaks)
    failures += leaks
    assert not failures, f"{len(failures)} problems (see {run.log}):\n" + "\n".join(failures)


# ---------------------------------------------------------------------------
# Role
# ---------------------------------------------------------------------------


def archive() -> Path:
    path = Path(os.environ.get("SYNC_ARCHIVE", ROOT / "build" / "btsync_x64.tar.gz"))
    if not path.exists():
        pytest.fail(f"the simulator archive is missing: {path} (make sync-archive)")
    return path


def role_hosts(tmp_path: Path, cases: list[RoleCase]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """An inventory alias per case (plus the control ``role-ok``), each writing only under its own temporary directory."""
    token = secrets.token_hex(4)
    names = {"user": f"rely{token}", "service": f"rely-{token}"}
    base: dict[str, Any] = {
        "btsync_archive_src": str(archive()),
        "btsync_webui_password": "Rely-" + secrets.token_urlsafe(12),
        "btsync_api_key": "rely-key-" + secrets.token_hex(8),
        "btsync_user": names["user"],
        "btsync_group": names["user"],
        "btsync_service_name": names["service"],
        "btsync_local_cache_dir": str(tmp_path / "controller-cache"),
    }
    hosts = {}
    for case_id, variables in [("ok", {}), *[(case.id, case.vars) for case in cases]]:
        alias = f"role-{case_id}"
        host_tmp = tmp_path / "hosts" / alias
        hosts[alias] = {
            **base,
            "rely_tmp": str(host_tmp),
            "btsync_config_file": str(host_tmp / "etc" / "btsync" / "config.json"),
            "btsync_storage_path": str(host_tmp / "var" / "btsync"),
            "btsync_binary_path": str(host_tmp / "bin" / "btsync"),
            **variables,
        }
    return hosts, {**names, "password": base["btsync_webui_password"], "api_key": base["btsync_api_key"]}


def role_play(hosts: str, rescue: bool = False) -> dict[str, Any]:
    """The role on ``hosts`` (facts of this machine, presented as a systemd host). With ``rescue`` a refusal
    does not end the playbook (a play whose every host fails would), so that the next play runs."""
    always = {"tags": ["always"]}
    role: dict[str, Any] = {"name": "Run the role", "ansible.builtin.include_role": {"name": "syncops.btsync.btsync"}, **always}
    if rescue:
        role = {
            "name": "Run the role, noting a refusal",
            "block": [role],
            "rescue": [{"name": "Note the refusal", "ansible.builtin.debug": {"msg": "refused"}, **always}],
            **always,
        }
    return play(
        f"Role with bad variables ({hosts})",
        [
            {"name": "Read this machine's facts once", "ansible.builtin.setup": {"gather_subset": ["min"]}, "run_once": True, **always},
            {"name": "Present this machine as a systemd host", "ansible.builtin.set_fact": {"service_mgr": "systemd", "cacheable": True}, **always},
            role,
        ],
        hosts=hosts,
    )


def left_behind(hosts: dict[str, dict[str, Any]], names: dict[str, str]) -> list[str]:
    """What the role created although it only ran checks."""
    found = []
    for alias, host in hosts.items():
        for key in ("btsync_config_file", "btsync_storage_path", "btsync_binary_path"):
            value = host.get(key)
            if isinstance(value, str) and "{{" not in value and Path(value).exists():
                found.append(f"{alias}: {key} {value} exists")
        if Path(host["rely_tmp"]).exists():
            found.append(f"{alias}: something was created under {host['rely_tmp']}")
    if Path(f"/etc/systemd/system/{names['service']}.service").exists():
        found.append(f"unit {names['service']}.service exists")
    try:
        pwd.getpwnam(names["user"])
        found.append(f"user {names['user']} exists")
    except KeyError:
        pass
    try:
        grp.getgrnam(names["user"])
        found.append(f"group {names['user']} exists")
    except KeyError:
        pass
    return found


PHASE_OF: dict[str, Callable[[dict[str, Any]], bool]] = {
    "argspec": lambda r: r["action"].endswith("validate_argument_spec"),
    "preflight": lambda r: r["path"].split(":")[0].endswith("tasks/preflight.yml"),
    "install": lambda r: "/tasks/install" in r["path"],
}


def task_label(record: dict[str, Any]) -> str:
    if record["action"].endswith("validate_argument_spec"):
        return "the argument spec"
    return "'" + str(record["task"]).split(" : ", 1)[-1] + "'"


def check_role_case(case: RoleCase, run: Any) -> tuple[str, str]:
    """(status, outcome) of one role case from the probe records of its alias."""
    alias = f"role-{case.id}"
    results = run.results(alias)
    failed = [r for r in results if r["status"] == "failed" and not r["ignore_errors"]]
    changed_before = [str(r["task"]).split(" : ", 1)[-1] for r in results if r["changed"] and r["status"] != "failed"]
    if not failed:
        why = "not refused: the role went through its checks" + (f" (would change: {', '.join(changed_before)})" if changed_before else "")
        return ("finding", why) if case.id in KNOWN_ROLE_FINDINGS else ("fail", why)
    first = failed[0]
    result = first["result"]
    msg = str(result.get("msg", ""))
    # A loop reports "One or more items failed": the reason is in the failed item.
    items = [str(item.get("msg", "")) for item in result.get("results", []) if isinstance(item, dict) and item.get("failed")]
    msg = " ".join([msg, *items]) if items else msg
    errors = " ".join(str(e) for e in result.get("argument_errors", []))
    problems = []
    if not PHASE_OF[case.phase](first):
        problems.append(f"refused by {task_label(first)} ({first['path']}), not in the {case.phase} phase")
    if not re.search(case.match, msg + " " + errors):
        problems.append(f"message does not match /{case.match}/")
    if case.phase != "argspec":
        problems += [p for p in one_message(result) if "several lines" not in p]
    if changed_before:
        problems.append(f"would change before refusing: {', '.join(changed_before)}")
    shown = (errors or (items[0] if items else msg))[:160]
    if problems:
        text = "; ".join(problems) + f' -- "{shown}"'
        return ("finding", text) if case.id in KNOWN_ROLE_FINDINGS else ("fail", text)
    return "pass", f'refused by {task_label(first)}: "{shown}"'


def role_sensitive(hosts: dict[str, dict[str, Any]]) -> dict[str, str]:
    values = {}
    for alias, host in hosts.items():
        for key in ("btsync_webui_password", "btsync_api_key"):
            value = host.get(key)
            if isinstance(value, str) and len(value) >= 8 and value not in ("changeme", "PassWord", "operator7"):
                values[f"{key} of {alias}"] = value
    return values


@pytest.mark.parametrize("phase", ["checks", "install"])
def test_bad_role_variables(phase: str, tmp_path: Path, report: Any) -> None:
    if phase == "checks":
        cases = [case for case in ROLE_INPUTS if case.phase != "install"]
        hosts, names = role_hosts(tmp_path, cases)
        # btsync_remove: the role's argument spec and preflight run, every other phase is skipped.
        plays = [role_play("all")]
        args = ["--check", "--tags", "btsync_remove"]
    else:
        cases = [case for case in ROLE_INPUTS if case.phase == "install"]
        hosts, names = role_hosts(tmp_path, cases)
        hosts["role-ok"]["btsync_archive_checksum"] = "sha256:" + hashlib.sha256(archive().read_bytes()).hexdigest()
        # One play per alias (the archive tasks run once per play, on the controller), the control last.
        plays = [role_play(alias, rescue=True) for alias in sorted(hosts, key=lambda alias: alias == "role-ok")]
        args = ["--check", "--tags", "btsync_install"]
    run = run_playbook(f"bad-role-{phase}", plays, tmp_path, hosts=hosts, args=args, forks=20, verbosity="-v")

    failures = []
    control = run.results("role-ok")
    # In check mode on a machine without systemd the control's restart handler cannot work: handlers do not count.
    control_failed = [r["task"] for r in control if r["status"] == "failed" and "/handlers/" not in r["path"]]
    if not control or control_failed:
        failures.append(f"the control (valid variables) did not pass: failed at {control_failed or 'no result'}")
    for case in cases:
        status, outcome = check_role_case(case, run)
        finding = KNOWN_ROLE_FINDINGS.get(case.id) if status == "finding" else None
        outcome = outcome.replace(str(tmp_path), "<tmp>").replace(str(archive()), "<archive>")
        report.case(case.id, status, outcome if not finding else f"{finding} ({outcome})", finding=finding)
        if status == "fail":
            failures.append(f"{case.id}: {outcome}")
    failures += left_behind(hosts, names)
    if run.tracebacks():
        failures.append(f"traceback markers in the output: {run.tracebacks()}")
    sensitive = role_sensitive(hosts)
    leaks = find_leaks(run.output, sensitive)
    report.scan(run.log.name, len(sensitive), leaks)
    failures += leaks
    assert not failures, f"{len(failures)} problems (see {run.log}):\n" + "\n".join(failures)
