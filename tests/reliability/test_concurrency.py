"""Concurrency: twenty forks of ansible-playbook against ONE Sync.

Twenty inventory aliases of localhost, ``ansible-playbook -f 20``: every host
adds its own folders at the same time as the others. The simulator's request
log shows how many times each write was sent: exactly once per change, however
the requests interleave.

The second test kills Sync with SIGKILL while the forks are adding folders and
starts it again from its state file: every folder whose task reported success
must be there (none twice), and a rerun must converge to exactly the expected
state. The simulator's own suite kills it during a burst of direct writes
(``test_sim_persistence.py::test_kill_9_during_a_burst_of_writes``); this is
the same at the level of a play.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from btsync_sim.harness import free_port, wait_for
from reliability_lib import Sim, conn_defaults, find_leaks, run_playbook, sims_vars

pytestmark = pytest.mark.slow

FORKS = 20


def aliases(prefix: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    hosts = {}
    for index in range(1, FORKS + 1):
        alias = f"{prefix}-{index:02d}"
        base = tmp_path / "data" / alias
        for name in ("keep", "drop"):
            (base / name).mkdir(parents=True)
        hosts[alias] = {"rely_index": index, "rely_keep": str(base / "keep"), "rely_drop": str(base / "drop"), "rely_host": f"127.0.0.1:{free_port()}"}
    return hosts


def forks_play(name: str, sim: Sim, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "hosts": "all", "gather_facts": False, "module_defaults": conn_defaults(sim, retries=6), "tasks": tasks}


def test_twenty_forks_on_one_sync(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    sim = sims("forks")
    hosts = aliases("fork", tmp_path)
    tasks = [
        {
            "name": "Add this host's folder with preferences",
            "syncops.btsync.btsync_folder": {"path": "{{ rely_keep }}", "preferences": {"use_relay_server": False, "use_dht": "{{ rely_index is even }}"}},
        },
        {"name": "Give it this host's peer", "syncops.btsync.btsync_folder_hosts": {"path": "{{ rely_keep }}", "hosts": ["{{ rely_host }}"]}},
        {"name": "Add a second folder", "syncops.btsync.btsync_folder": {"path": "{{ rely_drop }}"}},
        {"name": "Remove the second folder", "syncops.btsync.btsync_folder": {"path": "{{ rely_drop }}", "state": "absent"}},
    ]
    run = run_playbook(
        "concurrency-forks", [forks_play("Twenty forks, one Sync", sim, tasks)], tmp_path, hosts=hosts, extra_vars=sims_vars(sim), forks=FORKS, verbosity="-v"
    )
    problems = []
    results = run.results()
    bad = [f"{r['host']}: {r['task']}: {r['status']} {str(r['result'].get('msg', ''))[:150]}" for r in results if r["status"] != "ok" or not r["changed"]]
    if len(results) != FORKS * len(tasks):
        problems.append(f"{len(results)} results, expected {FORKS * len(tasks)}")
    problems += bad
    folders = sim.folders()
    expected = {h["rely_keep"] for h in hosts.values()}
    if set(folders) != expected:
        problems.append(f"folders: {len(set(folders) & expected)} of the {FORKS} expected, {len(set(folders) - expected)} unexpected")
    for alias, host in hosts.items():
        folder = folders.get(host["rely_keep"])
        if folder is None:
            continue
        prefs = sim.api("get_folder_prefs", secret=folder["secret"])
        if bool(int(prefs["use_dht"])) != (host["rely_index"] % 2 == 0) or bool(int(prefs["use_relay_server"])):
            problems.append(f"{alias}: preferences {prefs}")
        if sim.api("get_folder_hosts", secret=folder["secret"])["hosts"] != [host["rely_host"]]:
            problems.append(f"{alias}: hosts not as asked")
    counts = {m: sim.count(m) for m in ("add_folder", "remove_folder", "set_folder_hosts", "set_folder_prefs")}
    for method, wanted in (("add_folder", 2 * FORKS), ("remove_folder", FORKS), ("set_folder_hosts", FORKS)):
        if counts[method] != wanted:
            problems.append(f"{method} sent {counts[method]} times, expected {wanted}")
    if counts["set_folder_prefs"] > FORKS:
        problems.append(f"set_folder_prefs sent {counts['set_folder_prefs']} times for {FORKS} folders")
    lost = len(expected - set(folders))
    outcome = (
        f"{len(results)} task results ok and changed in {run.elapsed:.0f} s; exactly the {FORKS} kept folders, preferences and hosts as asked; "
        f"writes sent: {counts}"
    )
    report.case("C-20-forks", "fail" if problems else "pass", "; ".join(problems[:5]) if problems else outcome, folders_checked=FORKS, folders_lost=lost)
    sensitive = sim.sensitive()
    leaks = find_leaks(run.output, sensitive)
    report.scan(run.log.name, len(sensitive), leaks)
    assert not problems + leaks, f"see {run.log}:\n" + "\n".join(problems + leaks)


def test_kill_9_during_twenty_forks(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    # add_folder slowed down a little, so that the kill lands while forks are writing.
    sim = sims("killed", faults=["--fault-latency-ms", "40", "--fault-methods", "add_folder"])
    hosts = aliases("kill", tmp_path)
    tasks = [
        {"name": "Add this host's first folder", "syncops.btsync.btsync_folder": {"path": "{{ rely_keep }}"}},
        {"name": "Add this host's second folder", "syncops.btsync.btsync_folder": {"path": "{{ rely_drop }}"}},
    ]
    state: dict[str, Any] = {"down": 0.0, "up": 0.0, "error": ""}

    def killer() -> None:
        try:
            wait_for(lambda: sim.count("add_folder") >= FORKS // 2, 120, interval=0.005, what="the first add_folder requests")
            sim.kill9()
            state["down"] = time.time()
            time.sleep(0.3)
            sim.start()
            state["up"] = time.time()
        except BaseException as exc:
            state["error"] = repr(exc)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    play = forks_play("Twenty forks, Sync killed meanwhile", sim, tasks)
    first = run_playbook(
        "concurrency-kill9", [play], tmp_path, hosts=hosts, extra_vars=sims_vars(sim), forks=FORKS, verbosity="-v", log_name="concurrency-kill9-first"
    )
    thread.join(30)
    problems = [f"the kill -9 and restart failed: {state['error']}"] if state["error"] else []
    if not state["up"]:
        problems.append("Sync was not killed during the play")
    json.loads(sim.proc.state_path.read_text(encoding="utf-8"))  # a complete JSON document, or this raises
    paths = {"Add this host's first folder": "rely_keep", "Add this host's second folder": "rely_drop"}
    reported = {hosts[r["host"]][paths[r["task"]]] for r in first.results() if r["status"] == "ok" and r["task"] in paths}
    failed_first = sum(1 for r in first.results() if r["status"] != "ok")
    listed = [str(f["dir"]) for f in sim.api("get_folders")]
    missing = reported - set(listed)
    if missing:
        problems.append(f"{len(missing)} folders reported added are gone after the restart")
    if len(listed) != len(set(listed)):
        problems.append("a folder is listed twice")

    second = run_playbook(
        "concurrency-kill9", [play], tmp_path, hosts=hosts, extra_vars=sims_vars(sim), forks=FORKS, verbosity="-v", log_name="concurrency-kill9-rerun"
    )
    bad = [f"rerun {r['host']}: {r['task']}: {r['status']}" for r in second.results() if r["status"] != "ok"]
    problems += bad
    expected = {h[key] for h in hosts.values() for key in ("rely_keep", "rely_drop")}
    final = [str(f["dir"]) for f in sim.api("get_folders")]
    if sorted(final) != sorted(expected):
        problems.append(f"after the rerun: {len(set(final) & expected)} of {len(expected)} folders, {len(final)} listed")
    outcome = (
        f"killed after {FORKS // 2} add_folder requests, back {state['up'] - state['down']:.1f} s later; {len(reported)} folders reported added "
        f"by the first run ({failed_first} tasks failed while Sync was down), all {len(reported)} there after the restart, none twice; "
        f"the rerun converged to exactly {len(expected)} folders"
    )
    report.case(
        "C-kill9-forks",
        "fail" if problems else "pass",
        "; ".join(problems[:5]) if problems else outcome,
        folders_checked=len(reported),
        folders_lost=len(missing),
    )
    sensitive = sim.sensitive()
    leaks = find_leaks(first.output + second.output, sensitive)
    report.scan(first.log.name + " + rerun", len(sensitive), leaks)
    assert not problems + leaks, f"see {first.log}, {second.log}:\n" + "\n".join(problems + leaks)
