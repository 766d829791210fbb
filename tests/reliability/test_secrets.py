"""Secrets: a -vvv --diff run of every module with secrets shows none of them.

The play generates and derives secrets, adds folders with given and generated
secrets (read-write, read-only, encrypted, selective), returns secrets and
gathers facts with secrets (``no_log``), acts on folders named by secret,
recreates a folder with a new secret (diff mode), provokes errors naming a
folder by its secret, and shuts Sync down. It saves what it registered to a
0600 file (``no_log``). Afterwards every secret is read back through the API
(each folder's, and every secret it can share), every secret the play
registered is read from that file, and the captured output and probe records
are searched for them, for the API password, and for anything shaped like a
secret.

Besides: a password inside ``api_url`` (``http://user:password@host``), which
no option marks as secret.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from btsync_sim.harness import free_port
from reliability_lib import (
    PRIVATE_FILES,
    Sim,
    file_mode,
    find_leaks,
    play,
    random_secret,
    run_playbook,
    secrets_in,
    sims_vars,
)

PEER = {key: f"{{{{ rely_sims['secrets-peer']['{key}'] }}}}" for key in ("api_url", "api_user", "api_password")}


def secret_tasks(dirs: dict[str, str], registered: Path, peer: str) -> list[dict[str, Any]]:
    """Every module with secrets; the read-only and encrypted members of a share join on a second Sync (one Sync holds one member)."""

    def folder(name: str, hide: bool = False, on_peer: bool = False, **args: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": name, "syncops.btsync.btsync_folder": {**(PEER if on_peer else {}), **args}}
        if hide:
            entry["no_log"] = True
        return entry

    return [
        {"name": "Generate secrets", "syncops.btsync.btsync_secret": {}, "register": "gen", "no_log": True},
        {"name": "Generate encryption secrets", "syncops.btsync.btsync_secret": {"encryption": True}, "register": "genenc", "no_log": True},
        {
            "name": "Derive the secrets of a secret",
            "syncops.btsync.btsync_secret": {"secret": "{{ gen.secrets.read_write }}"},
            "register": "derived",
            "no_log": True,
        },
        folder("Add a folder with a given secret", path=dirs["given"], secret="{{ gen.secrets.read_write }}"),
        {
            **folder(
                "Add a folder with a generated encryption secret, returning its secrets",
                hide=True,
                path=dirs["generated"],
                encryption=True,
                return_secrets=True,
            ),
            "register": "generated",
        },
        folder("Join read-only with a read-only secret", on_peer=True, path=dirs["readonly"], secret="{{ derived.secrets.read_only }}"),
        folder("Join as an encrypted peer", on_peer=True, path=dirs["encrypted"], secret="{{ generated.secrets.encryption }}"),
        folder("Add a selective folder by secret", path=dirs["selective"], secret="{{ genenc.secrets.read_write }}", selective_sync=True, force=True),
        {"name": "Set hosts of a folder named by secret", "syncops.btsync.btsync_folder_hosts": {"secret": "{{ gen.secrets.read_write }}", "hosts": [peer]}},
        {
            "name": "Choose a file of a folder named by secret",
            "syncops.btsync.btsync_file_pref": {"secret": "{{ genenc.secrets.read_write }}", "files": ["x.txt"], "download": False},
        },
        {"name": "Gather facts without secrets", "syncops.btsync.btsync_facts": {}},
        {"name": "Gather facts with secrets", "syncops.btsync.btsync_facts": {"include_secrets": True}, "register": "facts", "no_log": True},
        folder("Recreate a folder with a new secret (diff mode)", path=dirs["given"], secret="{{ rely_spare[0] }}", recreate=True),
        {**folder("Refused: a secret already used at another path", path=dirs["refused"], secret="{{ rely_spare[0] }}"), "ignore_errors": True},
        {
            "name": "Refused: a secret that names no folder",
            "syncops.btsync.btsync_folder_hosts": {"secret": "{{ rely_spare[1] }}", "hosts": [peer]},
            "ignore_errors": True,
        },
        {
            "name": "Refused: a file choice naming a folder by path and by the secret of another folder",
            "syncops.btsync.btsync_file_pref": {**PEER, "secret": "{{ derived.secrets.read_only }}", "files": ["y"], "download": True, "path": dirs["refused"]},
            "ignore_errors": True,
        },
        {
            "name": "Gather the peer's facts with secrets",
            "syncops.btsync.btsync_facts": {**PEER, "include_secrets": True},
            "register": "peer_facts",
            "no_log": True,
        },
        folder("Remove a folder named by secret", on_peer=True, secret="{{ derived.secrets.read_only }}", state="absent"),
        {"name": "Set device preferences", "syncops.btsync.btsync_prefs": {"preferences": {"device_name": "secrets-run"}}},
        {
            "name": "Save what the play registered",
            "no_log": True,
            "ansible.builtin.copy": {
                "content": "{{ {'gen': gen, 'genenc': genenc, 'derived': derived, 'generated': generated, 'facts': facts, 'peer': peer_facts} | to_json }}",
                "dest": str(registered),
                "mode": "0600",
            },
        },
        {"name": "Shut Sync down", "syncops.btsync.btsync_shutdown": {}},
    ]


@pytest.mark.slow
def test_no_secret_in_a_verbose_run_of_every_module(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    sim = sims("secrets")
    peer = sims("secrets-peer")
    dirs = {name: tmp_path / "data" / name for name in ("given", "generated", "readonly", "encrypted", "selective", "refused")}
    for path in dirs.values():
        path.mkdir(parents=True)
    (dirs["selective"] / "x.txt").write_text("x\n", encoding="utf-8")
    registered = tmp_path / "registered.json"
    spare = [random_secret("A"), random_secret("A")]
    tasks = secret_tasks({k: str(v) for k, v in dirs.items()}, registered, f"127.0.0.1:{free_port()}")
    run = run_playbook(
        "secrets", [play("Every module, with secrets", tasks, sim=sim)], tmp_path, args=["--diff"], extra_vars={**sims_vars(sim, peer), "rely_spare": spare}
    )

    problems = [f"{r['task']}: {r['status']}" for r in run.results() if r["status"] != "ok" and not r["ignore_errors"]]
    refused = [r for r in run.results() if r["ignore_errors"]]
    problems += [f"{r['task']}: not refused" for r in refused if r["status"] != "failed"]
    if not registered.exists():
        problems.append("the play did not save what it registered")
        held_by_play: set[str] = set()
    else:
        if file_mode(registered) != 0o600:
            problems.append(f"{registered.name} has mode {file_mode(registered):o}")
        PRIVATE_FILES.append(registered)
        held_by_play = secrets_in(json.loads(registered.read_text(encoding="utf-8")))
    if sim.running:
        problems.append("btsync_shutdown did not stop Sync")
    else:
        sim.start()  # the state survives: read every secret it holds
    sensitive = {**sim.sensitive(), **peer.sensitive()}
    held = sum(1 for label in sensitive if label.startswith("secret "))
    sensitive.update({f"secret #{i} registered by the play": value for i, value in enumerate(sorted(held_by_play))})
    sensitive.update({f"spare secret #{i}": value for i, value in enumerate(spare)})
    if held < 8 or len(held_by_play) < 8:
        problems.append(f"only {held} secrets held and {len(held_by_play)} registered: the scan would prove little")
    text = run.output + (run.probe_file.read_text(encoding="utf-8") if run.probe_file.exists() else "")
    leaks = find_leaks(text, sensitive)
    report.scan(run.log.name, len(sensitive), leaks)
    recreate = run.result("Recreate a folder with a new secret")
    diff = recreate["result"].get("diff") or {}
    if recreate["changed"] and "secret" in diff.get("before", {}) and "secret" in diff.get("after", {}):
        report.case("S-diff-secret-change", "pass", f"diff: {json.dumps(diff)[:200]}")
    else:
        finding = (
            "btsync_folder reports changed with an empty diff ({'before': {}, 'after': {}}): the labels of the old and the new "
            "secret are both 'hidden, type A', so Diff.add drops the change; --diff does not show that the secret changes"
        )
        report.case("S-diff-secret-change", "finding", f"{finding} (got {json.dumps(diff)[:120]})", finding=finding)
    outcome = (
        f"{len(run.results())} tasks; {len(sensitive)} values searched ({held} secrets held by two Syncs, {len(held_by_play)} registered by the "
        f"play, the passwords, spare secrets) in {len(text) // 1024} KiB of -vvv --diff output and probe records: {len(leaks)} found"
    )
    report.case("S-vvv-every-module", "fail" if problems or leaks else "pass", "; ".join(problems + leaks) or outcome, leaks=len(leaks))
    assert not problems + leaks, f"see {run.log}:\n" + "\n".join(problems + leaks)


def test_password_in_api_url(report: Any) -> None:
    """A password given inside api_url must not come back in an error message."""
    from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import BtsyncClient, BtsyncError

    password = "Pw-" + os.urandom(8).hex()
    shown = []
    for url in (f"http://api:{password}@127.0.0.1:{free_port()}", f"http://api:{password}@127.0.0.1:0", f"ftp://api:{password}@127.0.0.1:1"):
        try:
            BtsyncClient(url, timeout=1, retries=0).get_version()
        except BtsyncError as exc:
            if password in str(exc):
                shown.append(str(exc).replace(password, "<password>"))
    if shown:
        finding = (
            f'{len(shown)} of 3 error messages repeat the password given in api_url (e.g. "{shown[0][:150]}"); '
            "api_url is not no_log either, so -vvv also prints it in the module arguments"
        )
        report.case("S-url-credentials", "finding", finding, finding=finding)
    else:
        report.case("S-url-credentials", "pass", "no error message repeats the password")
