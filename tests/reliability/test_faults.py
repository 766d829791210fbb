"""Faults: real ansible-playbook runs against simulators that fail on purpose.

Each case of ``reliability_cases.FAULTS`` runs as a task of one of the plays
below; the probe records each task's result and duration. Simulators inject
faults with their test-only flags (``--fault-*``) and log every request they
receive (``--request-log``: method and parameter names), which shows how often
each call was tried. With a fixed ``--fault-seed`` the test replays the
simulator's random draws over its request log, so it knows exactly which
requests were faulted and that each was retried.

Sync restarts are driven from the test while the play runs: the play asks for
a restart by creating a file, a thread of the test stops (or kills) and starts
the simulator through its harness.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from btsync_sim.faults import FaultConfig, FaultInjector
from btsync_sim.harness import free_port, wait_for
from reliability_cases import MODULES
from reliability_lib import (
    Run,
    Sim,
    find_leaks,
    one_message,
    play,
    run_playbook,
    sims_vars,
    stalled_listener,
)

pytestmark = pytest.mark.slow

READS = [
    "get_folders",
    "get_folder_prefs",
    "get_folder_hosts",
    "get_folder_peers",
    "get_files",
    "get_prefs",
    "get_secrets",
    "get_version",
    "get_os",
    "get_speed",
]
# Time a module needs besides its API calls (fork, interpreter, imports) on a busy machine.
OVERHEAD = 5.0
# Arguments that make each module call the API (a folder it can look for, a preference it would set).
MODULE_ARGS: dict[str, dict[str, Any]] = {
    "btsync_facts": {"gather_subset": ["version", "prefs", "folders"]},
    "btsync_file_pref": {"path": "{{ rely_dir }}", "files": ["a.txt"], "download": True},
    "btsync_folder": {"path": "{{ rely_dir }}"},
    "btsync_folder_hosts": {"path": "{{ rely_dir }}", "hosts": ["127.0.0.1:9"]},
    "btsync_prefs": {"preferences": {"device_name": "must-not-be-set"}},
    "btsync_secret": {},
    "btsync_shutdown": {},
}


def task(name: str, module: str, args: dict[str, Any], sim: Sim | None = None, ignore_errors: bool = False, **extra: Any) -> dict[str, Any]:
    body = dict(args)
    if sim is not None:
        body.update({key: f"{{{{ rely_sims['{sim.name}']['{key}'] }}}}" for key in ("api_url", "api_user", "api_password")})
    entry: dict[str, Any] = {"name": name, f"syncops.btsync.{module}": body, **extra}
    if ignore_errors:
        entry["ignore_errors"] = True
    return entry


def scan(run: Run, report: Any, *sims: Sim, extra: dict[str, str] | None = None) -> list[str]:
    """Search the run's output and probe records for every password and secret of ``sims``."""
    sensitive: dict[str, str] = dict(extra or {})
    for sim in sims:
        if sim.faults or not sim.running:
            sim.calm()
        sensitive.update(sim.sensitive())
    text = run.output + (run.probe_file.read_text(encoding="utf-8") if run.probe_file.exists() else "")
    leaks = find_leaks(text, sensitive)
    report.scan(run.log.name, len(sensitive), leaks)
    if run.tracebacks():
        leaks.append(f"traceback markers in the output: {run.tracebacks()}")
    return leaks


class Verdicts:
    """Collects each case's verdict for the report and the test's assertion."""

    def __init__(self, report: Any, tmp: Path) -> None:
        self.report = report
        self.tmp = str(tmp)
        self.failures: list[str] = []

    def __call__(self, case_id: str, problems: list[str], outcome: str, finding: str | None = None, **metrics: Any) -> None:
        outcome = outcome.replace(self.tmp, "<tmp>")
        if problems:
            self.failures.append(f"{case_id}: {'; '.join(problems)} ({outcome})")
            self.report.case(case_id, "fail", "; ".join(problems) + f" -- {outcome}", **metrics)
        elif finding:
            self.report.case(case_id, "finding", f"{finding} ({outcome})", finding=finding, **metrics)
        else:
            self.report.case(case_id, "pass", outcome, **metrics)


def failed_with(record: dict[str, Any], *patterns: str) -> list[str]:
    """Problems unless the task failed with one readable message matching every pattern."""
    if record["status"] != "failed":
        return [f"expected a failure, the task ended {record['status']}"]
    problems = one_message(record["result"])
    msg = str(record["result"].get("msg", ""))
    problems += [f"message does not match /{p}/" for p in patterns if not re.search(p, msg, re.IGNORECASE)]
    return problems


def succeeded(record: dict[str, Any], changed: bool | None = None) -> list[str]:
    if record["status"] != "ok":
        return [f"expected success, the task ended {record['status']}: {str(record['result'].get('msg', ''))[:300]}"]
    if changed is not None and record["changed"] != changed:
        return [f"expected changed={changed}, got {record['changed']}"]
    return []


def within(record: dict[str, Any], bound: float) -> list[str]:
    return [] if record["elapsed"] <= bound + OVERHEAD else [f"took {record['elapsed']:.1f} s, bound {bound:g} s (+{OVERHEAD:g} s for the module to start)"]


def msg_of(record: dict[str, Any]) -> str:
    return str(record["result"].get("msg", ""))[:220]


# ---------------------------------------------------------------------------
# Unreachable, refused, slow, 401, 400
# ---------------------------------------------------------------------------


def test_connection_faults(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    verdict = Verdicts(report, tmp_path)
    folder = tmp_path / "data" / "target"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("a\n", encoding="utf-8")
    main = sims("conn-main")
    wrong = Sim(tmp_path, "conn-wrong")  # never started: only its connection options, with main's URL
    slow = sims("conn-slow", faults=["--fault-latency-ms", "8000"])
    slowadd = sims("conn-slowadd", faults=["--fault-latency-ms", "6000", "--fault-methods", "add_folder"])
    noapi = sims("conn-noapi", api_key=None)
    closed = f"http://127.0.0.1:{free_port()}"
    slow_dir = tmp_path / "data" / "slow"
    slow_dir.mkdir()
    before = main.snapshot()

    with stalled_listener() as stalled:
        tasks = [
            task("F-refused-read", "btsync_facts", {"api_url": closed, "retries": 2, "timeout": 2}, ignore_errors=True),
            task("F-refused-write", "btsync_folder", {"api_url": closed, "path": str(folder), "retries": 2}, ignore_errors=True),
            task("F-connect-timeout", "btsync_facts", {"api_url": stalled, "gather_subset": ["version"], "timeout": 1, "retries": 1}, ignore_errors=True),
            task("F-slow-read", "btsync_facts", {"gather_subset": ["version"], "timeout": 1, "retries": 3}, slow, ignore_errors=True),
            task("F-slow-write", "btsync_folder", {"path": str(slow_dir), "timeout": 1, "retries": 3}, slowadd, ignore_errors=True),
        ]
        for module in MODULES:
            args = {**MODULE_ARGS[module], "api_url": main.url, "api_user": main.proc.login, "api_password": "{{ rely_wrong_password }}"}
            tasks.append(task(f"F-401-{module}", module, args, ignore_errors=True))
        for module in MODULES:
            tasks.append(task(f"F-400-{module}", module, MODULE_ARGS[module], noapi, ignore_errors=True))
        extra = {**sims_vars(main, slow, slowadd, noapi), "rely_dir": str(folder), "rely_wrong_password": wrong.password}
        run = run_playbook("faults-connection", [play("Connection faults", tasks)], tmp_path, extra_vars=extra)

    record = run.result("F-refused-read")
    bound = 0.2 + 0.4
    verdict(
        "F-refused-read",
        failed_with(record, re.escape(closed), "Connection refused") + within(record, bound),
        f'failed in {record["elapsed"]:.1f} s (bound {bound:g} s + start): "{msg_of(record)}"',
        seconds=record["elapsed"],
    )
    record = run.result("F-refused-write")
    verdict(
        "F-refused-write",
        failed_with(record, re.escape(closed), "Connection refused") + within(record, bound),
        f'failed in {record["elapsed"]:.1f} s: "{msg_of(record)}"',
        seconds=record["elapsed"],
    )
    record = run.result("F-connect-timeout")
    bound = 2 * 1 + 0.2
    verdict(
        "F-connect-timeout",
        failed_with(record, re.escape(stalled), "did not accept the connection within 1 seconds") + within(record, bound),
        f'failed in {record["elapsed"]:.1f} s (bound {bound:g} s + start): "{msg_of(record)}"',
        seconds=record["elapsed"],
    )
    record = run.result("F-slow-read")
    bound = 1.0
    verdict(
        "F-slow-read",
        failed_with(record, re.escape(slow.url), "timeout") + within(record, bound),
        f'failed in {record["elapsed"]:.1f} s (bound {bound:g} s + start; the API answers after 8 s): "{msg_of(record)}"',
        seconds=record["elapsed"],
    )

    # The slow add_folder: sent, timed out, re-read (not there yet), sent once more, timed out. The simulator
    # handles both after its latency: the first adds the folder, the second is refused as a duplicate.
    record = run.result("F-slow-write")
    bound = 2 * 1.0 + 1.0
    problems = failed_with(record, re.escape(slowadd.url), "time") + within(record, bound)
    # Wait for the simulator to handle both (each 6 s after it arrived), then count.
    try:
        wait_for(lambda: any(Path(path) == slow_dir for path in slowadd.folders()), 15, interval=0.2, what="the slow add_folder")
    except TimeoutError:
        pass
    time.sleep(2)
    adds = slowadd.count("add_folder")
    holding = [path for path in slowadd.folders() if Path(path) == slow_dir]
    if adds > 2:
        problems.append(f"add_folder sent {adds} times")
    if len(holding) > 1:
        problems.append(f"the folder was added {len(holding)} times")
    finding = None
    if holding and "nothing was changed" in str(record["result"].get("msg", "")):
        finding = (
            "the message says 'nothing was changed', but the slow server applied the add_folder after the timeout: "
            "the folder exists (a read timeout does not prove the write was not applied)"
        )
    verdict(
        "F-slow-write",
        problems,
        f'failed in {record["elapsed"]:.1f} s, add_folder sent {adds} times, folders at the path afterwards: {len(holding)}: "{msg_of(record)}"',
        finding=finding,
        seconds=record["elapsed"],
    )

    for module in MODULES:
        record = run.result(f"F-401-{module}")
        verdict(
            f"F-401-{module}",
            failed_with(record, "HTTP 401", "api_user and api_password", re.escape(main.url)) + ([] if not record["changed"] else ["changed"]),
            f'"{msg_of(record)}"',
        )
        record = run.result(f"F-400-{module}")
        verdict(f"F-400-{module}", failed_with(record, "HTTP 400", r"set webui\.api_key", re.escape(noapi.url)), f'"{msg_of(record)}"')
    if not main.running:
        verdict.failures.append("the simulator stopped: btsync_shutdown with a wrong password shut it down")
    else:
        after = main.snapshot()
        if after != before:
            verdict.failures.append("the state changed although every call was refused")
    verdict.failures += scan(run, report, main, slow, slowadd, noapi, extra={"the wrong password": wrong.password})
    assert not verdict.failures, f"see {run.log}:\n" + "\n".join(verdict.failures)


# ---------------------------------------------------------------------------
# 500s, dropped connections, lost and malformed answers
# ---------------------------------------------------------------------------


def replay_faults(sim: Sim, config: FaultConfig) -> list[tuple[str, bool]]:
    """(method, faulted) for every request the simulator logged, from the same seeded draws as the simulator."""
    injector = FaultInjector(config)
    replayed = []
    for method in sim.methods():
        decision = injector.decide(method)
        replayed.append((method, decision.drop or decision.http500 or decision.lose_response or decision.malformed))
    return replayed


def retry_evidence(replayed: list[tuple[str, bool]], retries: int) -> tuple[list[str], str]:
    """Each faulted read is followed by the same method again; no read is faulted more than ``retries`` times in a row."""
    problems = []
    faulted = sum(1 for _method, hit in replayed if hit)
    longest = streak = 0
    for index, (method, hit) in enumerate(replayed):
        if not hit:
            streak = 0
            continue
        streak += 1
        longest = max(longest, streak)
        following = replayed[index + 1][0] if index + 1 < len(replayed) else None
        if following != method:
            problems.append(f"request #{index} ({method}) was faulted and not retried (next: {following})")
    if longest > retries:
        problems.append(f"{longest} faulted attempts in a row, more than retries={retries}")
    if not faulted:
        problems.append("no request was faulted: the case proves nothing")
    return problems, f"{faulted} of {len(replayed)} requests faulted, each retried, at most {longest} in a row (retries={retries})"


def seed_folders(sim: Sim, base: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = base / f"{sim.name}-{index}"
        path.mkdir(parents=True)
        (path / "f.txt").write_text(f"{index}\n", encoding="utf-8")
        assert sim.api("add_folder", dir=str(path), force=True) == {"error": 0}
        paths.append(path)
    return paths


def test_transport_faults(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    verdict = Verdicts(report, tmp_path)
    data = tmp_path / "data"
    reads = ",".join(READS)
    burst500_cfg = FaultConfig(http500_rate=0.3, methods=frozenset(READS), seed=7)
    burstdrop_cfg = FaultConfig(drop_rate=0.3, methods=frozenset(READS), seed=11)
    burst500 = sims("burst500", faults=["--fault-http500-rate", "0.3", "--fault-methods", reads, "--fault-seed", "7"])
    burstdrop = sims("burstdrop", faults=["--fault-drop-rate", "0.3", "--fault-methods", reads, "--fault-seed", "11"])
    always500 = sims("always500", faults=["--fault-http500-rate", "1", "--fault-methods", "get_prefs"])
    alwaysdrop = sims("alwaysdrop", faults=["--fault-drop-rate", "1", "--fault-methods", "get_version"])
    lostadd = sims("lostadd", faults=["--fault-lose-response-rate", "1", "--fault-methods", "add_folder"])
    lostwrites = sims(
        "lostwrites", faults=["--fault-lose-response-rate", "1", "--fault-methods", "set_folder_prefs,set_folder_hosts,set_file_prefs,set_prefs,remove_folder"]
    )
    malformedadd = sims("malformedadd", faults=["--fault-malformed-rate", "1", "--fault-methods", "add_folder"])
    droppedadd = sims("droppedadd", faults=["--fault-drop-rate", "1", "--fault-methods", "add_folder"])
    malformedread = sims("malformedread", faults=["--fault-malformed-rate", "1", "--fault-methods", reads])
    for sim in (burst500, burstdrop):
        seed_folders(sim, data, 3)
    for name in ("lostadd", "malformedadd", "droppedadd"):
        (data / name).mkdir(parents=True)
    # lostwrites: a folder for preferences and hosts, a selective one for a file choice, one to remove.
    kept, removed = seed_folders(lostwrites, data, 2)
    selective = data / "lostwrites-selective"
    selective.mkdir()
    (selective / "f.txt").write_text("f\n", encoding="utf-8")
    assert lostwrites.api("add_folder", dir=str(selective), force=True, selective_sync=True) == {"error": 0}
    hosts = [f"127.0.0.1:{free_port()}"]

    retries = {"retries": 5}
    tasks = []
    for sim in (burst500, burstdrop):
        tasks += [
            task(f"{sim.name} | facts", "btsync_facts", {**retries}, sim),
            task(f"{sim.name} | prefs unchanged", "btsync_prefs", {**retries, "preferences": {"device_name": f"rely-{sim.name}"}}, sim),
            task(f"{sim.name} | secret", "btsync_secret", {**retries}, sim, no_log=True),
            task(f"{sim.name} | folder present", "btsync_folder", {**retries, "path": str(data / f"{sim.name}-0")}, sim),
            task(f"{sim.name} | facts again", "btsync_facts", {**retries, "gather_subset": ["folders", "folder_prefs", "folder_hosts"]}, sim),
        ]
    tasks += [
        task("F-500-always", "btsync_prefs", {"retries": 2, "preferences": {"device_name": "x-never"}}, always500, ignore_errors=True),
        task("F-drop-always", "btsync_facts", {"retries": 2, "gather_subset": ["version"]}, alwaysdrop, ignore_errors=True),
        task("F-lost-add |", "btsync_folder", {"path": str(data / "lostadd")}, lostadd),
        task("F-lost-add-rerun", "btsync_folder", {"path": str(data / "lostadd")}, lostadd),
        task("F-lost-writes | folder prefs", "btsync_folder", {"path": str(kept), "preferences": {"use_relay_server": False, "use_dht": True}}, lostwrites),
        task("F-lost-writes | hosts", "btsync_folder_hosts", {"path": str(kept), "hosts": hosts}, lostwrites),
        task("F-lost-writes | file pref", "btsync_file_pref", {"path": str(selective), "files": ["f.txt"], "download": False}, lostwrites),
        task("F-lost-writes | prefs", "btsync_prefs", {"preferences": {"device_name": "after-lost-answer", "upload_limit": 77}}, lostwrites),
        task("F-lost-writes | remove", "btsync_folder", {"path": str(removed), "state": "absent"}, lostwrites),
        task("F-malformed-add", "btsync_folder", {"path": str(data / "malformedadd")}, malformedadd),
        task("F-dropped-add", "btsync_folder", {"path": str(data / "droppedadd")}, droppedadd, ignore_errors=True),
        task("F-malformed-read | facts", "btsync_facts", {"retries": 1}, malformedread, ignore_errors=True),
        task("F-malformed-read | prefs", "btsync_prefs", {"retries": 1, "preferences": {"device_name": "x"}}, malformedread, ignore_errors=True),
        task("F-malformed-read | secret", "btsync_secret", {"retries": 1}, malformedread, ignore_errors=True),
    ]
    all_sims = (burst500, burstdrop, always500, alwaysdrop, lostadd, lostwrites, malformedadd, droppedadd, malformedread)
    run = run_playbook("faults-transport", [play("Transport faults", tasks)], tmp_path, extra_vars=sims_vars(*all_sims))

    for sim, config, case_id in ((burst500, burst500_cfg, "F-500-burst"), (burstdrop, burstdrop_cfg, "F-drop-burst")):
        records = [r for r in run.results() if r["task"].startswith(f"{sim.name} |")]
        problems = [f"{r['task']}: {p}" for r in records for p in succeeded(r)]
        if len(records) != 5:
            problems.append(f"{len(records)} results of 5 tasks")
        evidence_problems, evidence = retry_evidence(replay_faults(sim, config), 5)
        verdict(case_id, problems + evidence_problems, f"{len(records)} tasks ok; {evidence}")

    record = run.result("F-500-always")
    attempts = always500.count("get_prefs")
    verdict(
        "F-500-always",
        failed_with(record, "HTTP 500", re.escape(always500.url), "after 3 attempts") + ([] if attempts == 3 else [f"{attempts} attempts"]),
        f'get_prefs tried {attempts} times (retries=2): "{msg_of(record)}"',
    )
    record = run.result("F-drop-always")
    attempts = alwaysdrop.count("get_version")
    verdict(
        "F-drop-always",
        failed_with(record, re.escape(alwaysdrop.url), "cannot reach|aborted|closed|disconnected", "after 3 attempts")
        + ([] if attempts == 3 else [f"{attempts} attempts"]),
        f'get_version tried {attempts} times (retries=2): "{msg_of(record)}"',
    )

    first, rerun = run.result("F-lost-add |"), run.result("F-lost-add-rerun")
    adds = lostadd.count("add_folder")
    held = [p for p in lostadd.folders() if Path(p) == data / "lostadd"]
    verdict(
        "F-lost-add",
        succeeded(first, changed=True)
        + ([] if adds == 1 else [f"add_folder sent {adds} times"])
        + ([] if len(held) == 1 else [f"{len(held)} folders at the path"]),
        f"ok, changed; add_folder sent {adds} time(s); folders at the path: {len(held)}",
        folders_checked=1,
        folders_lost=0 if held else 1,
    )
    verdict("F-lost-add-rerun", succeeded(rerun, changed=False) + ([] if adds == 1 else ["add_folder sent again"]), "ok, not changed, no add_folder sent")

    records = [r for r in run.results() if r["task"].startswith("F-lost-writes")]
    problems = [f"{r['task']}: {p}" for r in records for p in succeeded(r, changed=True)]
    counts = {m: lostwrites.count(m) for m in ("set_folder_prefs", "set_folder_hosts", "set_file_prefs", "set_prefs", "remove_folder")}
    problems += [f"{m} sent {n} times" for m, n in counts.items() if n != 1]
    folders = lostwrites.folders()  # reads are not faulted here (and a restart would re-apply the config's device_name)
    secret = folders.get(str(kept), {}).get("secret", "")
    if str(removed) in folders:
        problems.append("the removed folder is still there")
    if secret:
        prefs = lostwrites.api("get_folder_prefs", secret=secret)
        if (prefs.get("use_relay_server"), prefs.get("use_dht")) not in ((0, 1), (False, True), ("0", "1")):
            problems.append(f"folder preferences not applied: {prefs}")
        if lostwrites.api("get_folder_hosts", secret=secret).get("hosts") != hosts:
            problems.append("hosts not applied")
    else:
        problems.append("the kept folder is gone")
    device = lostwrites.api("get_prefs")
    if device.get("device_name") != "after-lost-answer" or int(device.get("upload_limit", -1)) != 77:
        problems.append("device preferences not applied")
    choices = {e["name"]: e.get("download") for e in lostwrites.api("get_files", secret=folders[str(selective)]["secret"])}
    if choices.get("f.txt") not in (0, False):
        problems.append(f"file choice not applied: {choices}")
    verdict("F-lost-writes", problems, f"{len(records)} tasks ok and changed; each write sent once: {counts}; state as asked")

    record = run.result("F-malformed-add")
    adds = malformedadd.count("add_folder")
    held = [p for p in malformedadd.folders() if Path(p) == data / "malformedadd"]
    verdict(
        "F-malformed-add",
        succeeded(record, changed=True) + ([] if adds == 1 else [f"add_folder sent {adds} times"]) + ([] if len(held) == 1 else [f"{len(held)} folders"]),
        f"ok, changed; add_folder sent {adds} time(s); folders: {len(held)}",
    )

    record = run.result("F-dropped-add")
    adds = droppedadd.count("add_folder")
    held = [p for p in droppedadd.folders() if Path(p) == data / "droppedadd"]
    verdict(
        "F-dropped-add",
        failed_with(record, "nothing was changed", re.escape(droppedadd.url))
        + ([] if adds == 2 else [f"add_folder sent {adds} times"])
        + ([] if not held else ["a folder was added"]),
        f'add_folder sent {adds} times, no folder: "{msg_of(record)}"',
    )

    records = [r for r in run.results() if r["task"].startswith("F-malformed-read")]
    problems = [f"{r['task']}: {p}" for r in records for p in failed_with(r, "malformed response", re.escape(malformedread.url))]
    verdict(
        "F-malformed-read",
        problems + ([] if len(records) == 3 else [f"{len(records)} results"]),
        f'{len(records)} tasks failed: "{msg_of(records[0]) if records else ""}"',
    )

    verdict.failures += scan(run, report, *all_sims)
    assert not verdict.failures, f"see {run.log}:\n" + "\n".join(verdict.failures)


# ---------------------------------------------------------------------------
# Sync restarted between tasks and during a task
# ---------------------------------------------------------------------------


class Restarter(threading.Thread):
    """Waits for ``trigger()`` to be true, then restarts the simulator (stop or kill -9, a pause, start)."""

    def __init__(self, sim: Sim, trigger: Callable[[], bool], pause: float, kill: bool, down_marker: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.sim, self.trigger, self.pause, self.kill, self.down_marker = sim, trigger, pause, kill, down_marker
        self.down_at = self.up_at = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            wait_for(self.trigger, 120, what="the restart trigger")
            if self.kill:
                self.sim.kill9()
            else:
                self.sim.stop()
            self.down_at = time.time()
            if self.down_marker is not None:
                self.down_marker.write_text(str(self.down_at), encoding="utf-8")
            time.sleep(self.pause)
            self.sim.start()
            self.up_at = time.time()
        except BaseException as exc:
            self.error = exc


def test_restart_between_tasks(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    verdict = Verdicts(report, tmp_path)
    sim = sims("between")
    data = tmp_path / "data"
    first, second = data / "first", data / "second"
    first.mkdir(parents=True)
    second.mkdir()
    trigger, down = tmp_path / "restart-now", tmp_path / "sync-is-down"
    restarter = Restarter(sim, trigger.exists, pause=3.0, kill=False, down_marker=down)
    restarter.start()
    tasks = [
        task("Add a folder", "btsync_folder", {"path": str(first)}, sim),
        {"name": "Ask the test to stop Sync", "ansible.builtin.file": {"path": str(trigger), "state": "touch", "mode": "0600"}},
        {"name": "Wait until Sync is down", "ansible.builtin.wait_for": {"path": str(down), "timeout": 60}},
        task("Read the folders while Sync is down (it is back 3 s later)", "btsync_facts", {"retries": 6, "gather_subset": ["folders"]}, sim),
        task("Add another folder", "btsync_folder", {"path": str(second)}, sim),
        task("Read again", "btsync_facts", {"gather_subset": ["folders", "folder_prefs"]}, sim),
    ]
    run = run_playbook("faults-restart-between", [play("Restart between tasks", tasks)], tmp_path, extra_vars=sims_vars(sim))
    restarter.join(30)
    problems = [] if restarter.error is None else [f"restart failed: {restarter.error}"]
    problems += [f"{r['task']}: {p}" for r in run.results() for p in succeeded(r)]
    if run.rc != 0:
        problems.append(f"ansible-playbook rc={run.rc}")
    reads = [r for r in run.results() if r["task"].startswith("Read the folders")]
    if not reads or not reads[0]["started_at"] < restarter.up_at < reads[0]["ended_at"]:
        problems.append("Sync was not down when the read started, or not back before it ended: the case proves nothing")
    folders = sim.folders() if sim.running else {}
    if {str(first), str(second)} - set(folders):
        problems.append(f"folders after the play: {sorted(folders)}")
    verdict(
        "F-restart-between",
        problems,
        f"Sync down for {restarter.up_at - restarter.down_at:.1f} s; the next read started while it was down, retried for "
        f"{restarter.up_at - reads[0]['started_at'] if reads else 0:.1f} s until it was back, and succeeded; the play completed with both folders",
        folders_checked=2,
        folders_lost=len({str(first), str(second)} - set(folders)),
    )
    verdict.failures += scan(run, report, sim)
    assert not verdict.failures, f"see {run.log}:\n" + "\n".join(verdict.failures)


def test_restart_during_a_task(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    verdict = Verdicts(report, tmp_path)
    # Folder reads slowed down a little, so that the kill lands in the middle of the facts task.
    sim = sims("during", faults=["--fault-latency-ms", "60", "--fault-methods", "get_folder_prefs,get_folder_hosts,get_folder_peers"])
    data = tmp_path / "data"
    paths = seed_folders(sim, data, 8)
    extra_dir = data / "extra"
    extra_dir.mkdir()
    armed = tmp_path / "armed"

    def mid_task() -> bool:
        return armed.exists() and sim.count("get_folder_prefs") >= 3

    restarter = Restarter(sim, mid_task, pause=0.5, kill=True)
    restarter.start()
    tasks = [
        {"name": "Arm the restart", "ansible.builtin.file": {"path": str(armed), "state": "touch", "mode": "0600"}},
        task("Read every folder (Sync is killed and restarted meanwhile)", "btsync_facts", {"retries": 6}, sim, register="facts"),
        task("Add a folder", "btsync_folder", {"path": str(extra_dir)}, sim),
        task("Read again", "btsync_facts", {"gather_subset": ["folders"]}, sim),
    ]
    run = run_playbook("faults-restart-during", [play("Restart during a task", tasks)], tmp_path, extra_vars=sims_vars(sim))
    restarter.join(30)
    problems = [] if restarter.error is None else [f"restart failed: {restarter.error}"]
    problems += [f"{r['task']}: {p}" for r in run.results() for p in succeeded(r)]
    read = run.result("Read every folder")
    if not restarter.down_at:
        problems.append("the restart did not happen")
    if not read["started_at"] < restarter.down_at < restarter.up_at < read["ended_at"]:
        problems.append("the kill -9 and restart did not happen while the facts task ran")
    listed = read["result"].get("ansible_facts", {}).get("btsync", {}).get("folders", [])
    if len(listed) != 8:
        problems.append(f"facts list {len(listed)} folders, expected 8")
    log = sim.proc.log_path.read_text(encoding="utf-8", errors="replace")
    starts = log.count("--- start #")
    if starts != 2:
        problems.append(f"the simulator started {starts} times")
    requests_after = sim.requests()
    restarted_mid = any(entry["method"] == "get_folder_prefs" and entry["ts"] > restarter.up_at for entry in requests_after)
    if not restarted_mid:
        problems.append("no folder read of the facts task after the restart: the kill did not land mid-task")
    folders = sim.folders()
    lost = len({str(p) for p in [*paths, extra_dir]} - set(folders))
    if lost:
        problems.append(f"{lost} folders missing after the restart")
    verdict(
        "F-restart-during",
        problems,
        f"Sync killed after 3 folder reads of the task and back {restarter.up_at - restarter.down_at:.1f} s later; "
        f"the task took {read['elapsed']} s and listed {len(listed)} folders; the play completed with 9 folders",
        folders_checked=9,
        folders_lost=lost,
    )
    verdict.failures += scan(run, report, sim)
    assert not verdict.failures, f"see {run.log}:\n" + "\n".join(verdict.failures)


def test_fault_flags_are_the_documented_ones() -> None:
    """The simulator flags this suite relies on are the ones its docs describe."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "simulator.md").read_text(encoding="utf-8")
    for flag in (
        "--fault-latency-ms",
        "--fault-http500-rate",
        "--fault-drop-rate",
        "--fault-lose-response-rate",
        "--fault-malformed-rate",
        "--fault-methods",
        "--fault-seed",
        "--request-log",
    ):
        assert flag in text, flag
