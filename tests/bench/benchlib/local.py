"""The sections that run against simulators on this machine's loopback: 1, 2, 3 (facts), 5 and 6."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import (
    BENCH_DIR,
    COLLECTIONS,
    PLAYBOOKS,
    Request,
    SimulatorProcess,
    call_summary,
    log,
    median,
    peak_rate,
    quantile,
    ratio,
    read_requests,
    requests_during,
    require_ok,
    rnd,
    run_playbook,
    simulator,
    write_json,
    write_private,
)

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import BtsyncClient


def local_inventory(work: Path) -> str:
    """localhost, run with this Python (it has requests), no interpreter discovery."""
    path = work / "localhost.json"
    write_json(path, {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}})
    return str(path)


def api_vars(sim: SimulatorProcess) -> dict[str, Any]:
    return {"bench_api_url": sim.url, "bench_api_user": sim.login, "bench_api_password": sim.password}


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# --- 1. per-task cost ---------------------------------------------------------------

MODULE_TASK = "Module btsync_folder (no change)"
URI_TASK = "Hand-written uri get_folders"


def per_task(work: Path, rounds: int, warmup: int = 2) -> dict[str, Any]:
    """btsync_folder (folder present) against uri get_folders, A B B A per round, on localhost."""
    work = fresh_dir(work)
    reqlog = work / "requests.jsonl"
    folder = work / "data"
    folder.mkdir()
    with simulator(work / "sim", request_log=reqlog) as sim:
        sim.api("add_folder", dir=str(folder))
        extra = write_private(work / "vars.json", {**api_vars(sim), "bench_folder": str(folder), "bench_rounds": rounds + warmup})
        run = require_ok(run_playbook("per_task", PLAYBOOKS / "per_task.yml", work, [local_inventory(work)], [extra]))
    requests = read_requests(reqlog)
    samples: dict[str, list[float]] = {MODULE_TASK: [], URI_TASK: []}
    calls: dict[str, list[int]] = {MODULE_TASK: [], URI_TASK: []}
    changed = 0
    ordered = [t for t in run.tasks if t.task in samples]
    # Each round is 4 tasks; the first WARMUP rounds build and cache the modules' payloads.
    for index, item in enumerate(ordered):
        if index < 4 * warmup:
            continue
        samples[item.task].append(item.duration)
        calls[item.task].append(len(requests_during(requests, item.start, item.end)))
        changed += int(item.changed)
    # Pairs within a round (A B and B A), ratio of each pair, then the median of those.
    pair_ratios = []
    measured = ordered[4 * warmup:]
    for base in range(0, len(measured) - 3, 4):
        a1, b1, b2, a2 = measured[base:base + 4]
        pair_ratios += [a1.duration / b1.duration, a2.duration / b2.duration]
    mod, uri = samples[MODULE_TASK], samples[URI_TASK]
    return {
        "rounds": rounds,
        "warmup_rounds": warmup,
        "samples": len(mod),
        "module_task": "syncops.btsync.btsync_folder path=<present folder> (no change)",
        "uri_task": "ansible.builtin.uri GET /api?method=get_folders + the presence check in failed_when",
        "module_median_s": rnd(median(mod)),
        "module_p10_s": rnd(quantile(mod, 0.1)),
        "module_p90_s": rnd(quantile(mod, 0.9)),
        "uri_median_s": rnd(median(uri)),
        "uri_p10_s": rnd(quantile(uri, 0.1)),
        "uri_p90_s": rnd(quantile(uri, 0.9)),
        "ratio_of_medians": ratio(median(mod), median(uri)),
        "median_pair_ratio": rnd(median(pair_ratios)),
        "module_api_calls": median([float(c) for c in calls[MODULE_TASK]]),
        "uri_api_calls": median([float(c) for c in calls[URI_TASK]]),
        "module_changed": changed,
        "playbook_wall_s": rnd(run.wall, 2),
    }


# --- 2. API calls per task ---------------------------------------------------------------

# (module, case) -> (the fewest calls the API allows for that outcome, which ones).
MINIMUM_CALLS: dict[tuple[str, str], tuple[int, str]] = {
    ("btsync_folder", "no change"): (1, "get_folders"),
    ("btsync_folder", "no change, preferences given"): (2, "get_folders, get_folder_prefs"),
    ("btsync_folder", "no change, return_secrets (as the mesh's seed)"): (2, "get_folders, get_secrets"),
    ("btsync_folder", "check mode, would add"): (1, "get_folders"),
    ("btsync_folder", "change, add with a secret"): (2, "get_folders, add_folder"),
    ("btsync_folder", "change, add with a generated encryption secret"): (3, "get_folders, get_secrets, add_folder"),
    ("btsync_folder", "check mode, preferences would change"): (2, "get_folders, get_folder_prefs"),
    ("btsync_folder", "change, preferences"): (3, "get_folders, get_folder_prefs, set_folder_prefs"),
    ("btsync_folder", "check mode, would remove"): (1, "get_folders"),
    ("btsync_folder", "change, remove"): (2, "get_folders, remove_folder"),
    ("btsync_folder", "no change, absent"): (1, "get_folders"),
    ("btsync_prefs", "no change"): (1, "get_prefs"),
    ("btsync_prefs", "check mode, would change"): (1, "get_prefs"),
    ("btsync_prefs", "change"): (2, "get_prefs, set_prefs"),
    ("btsync_folder_hosts", "no change"): (2, "get_folders, get_folder_hosts"),
    ("btsync_folder_hosts", "check mode, would change"): (2, "get_folders, get_folder_hosts"),
    ("btsync_folder_hosts", "change"): (3, "get_folders, get_folder_hosts, set_folder_hosts"),
    ("btsync_file_pref", "no change"): (2, "get_folders, get_files"),
    ("btsync_file_pref", "check mode, would change"): (2, "get_folders, get_files"),
    ("btsync_file_pref", "change"): (3, "get_folders, get_files, set_file_prefs"),
    ("btsync_facts", "gather_subset folders"): (1, "get_folders"),
    ("btsync_facts", "gather_subset folder_peers, paths = one of 3 folders"): (2, "get_folders, get_folder_peers of that folder"),
    ("btsync_facts", "gather_subset all (default), 3 folders"): (
        14, "get_version, get_os, get_speed, get_prefs, get_folders, then per folder get_folder_prefs, get_folder_hosts, get_folder_peers"),
    ("btsync_facts", "check mode, gather_subset all, 3 folders"): (14, "as without check mode"),
    ("btsync_secret", "generate"): (1, "get_secrets"),
    ("btsync_secret", "derive from a secret"): (1, "get_secrets"),
    ("btsync_secret", "check mode, generate"): (1, "get_secrets"),
    ("btsync_shutdown", "check mode"): (1, "get_version (to tell that the API answers)"),
    ("btsync_shutdown", "change"): (1, "shutdown"),
}

# Calls above the minimum that a module makes on purpose (changes only; a no-change task has none).
DELIBERATE_EXTRA: dict[tuple[str, str], str] = {
    ("btsync_folder", "change, add with a secret"):
        "get_folders after add_folder: add_folder does not answer with the folder, and the read-back proves it was added",
    ("btsync_folder", "change, add with a generated encryption secret"):
        "get_folders after add_folder, as above",
    ("btsync_shutdown", "change"):
        "get_version before shutdown: the module returns the version it stopped, and a wrong URL fails before any stop",
}


def api_calls(work: Path) -> dict[str, Any]:
    """Each module in each case (no change, change, check mode), counted from the request log."""
    work = fresh_dir(work)
    reqlog = work / "requests.jsonl"
    dirs = {name: work / "data" / name for name in ("f1", "f2", "f3", "sel")}
    for path in dirs.values():
        path.mkdir(parents=True)
    for name in ("a.txt", "b.txt"):
        (dirs["sel"] / name).write_text(f"{name}\n", encoding="utf-8")
    with simulator(work / "sim", request_log=reqlog) as sim:
        sim.api("add_folder", dir=str(dirs["f1"]))
        f1_secret = sim.api("get_folders")[0]["secret"]
        sim.api("set_folder_prefs", secret=f1_secret, use_relay_server=0, use_tracker=0)
        # Loopback ports nothing listens on: the simulator's probes of predefined hosts stay on this machine.
        hosts = ["127.0.0.1:9", "127.0.0.1:7"]
        sim.api("set_folder_hosts", secret=f1_secret, hosts=hosts[0])
        sim.api("add_folder", dir=str(dirs["sel"]), selective_sync=1, force=1)
        sim.api("set_prefs", upload_limit=0)
        spare = sim.api("get_secrets")["read_write"]
        extra = write_private(work / "vars.json", {
            **api_vars(sim),
            **{f"bench_{name}": str(path) for name, path in dirs.items()},
            "bench_secret": spare,
            "bench_host1": hosts[0],
            "bench_host2": hosts[1],
        })
        run = run_playbook("api_calls", PLAYBOOKS / "api_calls.yml", work, [local_inventory(work)], [extra])
        # The last case shuts the simulator down: wait for it to go.
        deadline = time.monotonic() + 10
        while sim.running and time.monotonic() < deadline:
            time.sleep(0.1)
    require_ok(run)
    requests = read_requests(reqlog)
    rows = []
    for item in run.tasks:
        if not item.task.startswith("Case "):
            continue
        module, case = (part.strip() for part in item.task[len("Case "):].split("|", 1))
        made = requests_during(requests, item.start, item.end)
        minimum, which = MINIMUM_CALLS[(module, case)]
        rows.append({
            "module": module,
            "case": case,
            "changed": item.changed,
            "status": item.status,
            "calls": len(made),
            "methods": call_summary(made),
            "minimum": minimum,
            "minimum_methods": which,
            "extra": len(made) - minimum,
            "why_extra": DELIBERATE_EXTRA.get((module, case), "") if len(made) > minimum else "",
            "seconds": rnd(item.duration),
        })
    return {"rows": rows, "playbook_wall_s": rnd(run.wall, 2)}


# --- 3b. btsync_facts on many folders --------------------------------------------------------

FACT_SUBSETS = ("version", "os", "speed", "prefs", "folders", "folder_prefs", "folder_hosts", "folder_peers", "files", "all")


def facts_minimum(subset: str, folders: int) -> int:
    if subset in ("version", "os", "speed", "prefs", "folders"):
        return 1
    if subset == "all":
        return 5 + 3 * folders  # version, os, speed, prefs, get_folders; prefs, hosts, peers of each folder
    return 1 + folders  # get_folders, then one call per folder


def populate(sim: SimulatorProcess, base: Path, count: int) -> float:
    """Add COUNT empty folders through the API; return the seconds it took."""
    start = time.perf_counter()
    for index in range(count):
        path = base / f"f{index:04d}"
        path.mkdir(parents=True)
        sim.api("add_folder", dir=str(path))
    return time.perf_counter() - start


def facts_many(work: Path, count: int) -> dict[str, Any]:
    """btsync_facts for each gather_subset on a Sync holding COUNT folders."""
    work = fresh_dir(work)
    reqlog = work / "requests.jsonl"
    with simulator(work / "sim", request_log=reqlog) as sim:
        log(f"adding {count} folders to the simulator")
        seconds = populate(sim, work / "data", count)
        extra = write_private(work / "vars.json", api_vars(sim))
        run = require_ok(run_playbook("facts_subsets", PLAYBOOKS / "facts_subsets.yml", work, [local_inventory(work)], [extra]))
    requests = read_requests(reqlog)
    rows = []
    for item in run.tasks:
        if not item.task.startswith("Subset "):
            continue
        subset = item.task[len("Subset "):]
        made = requests_during(requests, item.start, item.end)
        rows.append({
            "subset": subset,
            "calls": len(made),
            "minimum": facts_minimum(subset, count),
            "methods": call_summary(made),
            "seconds": rnd(item.duration),
        })
    return {"folders": count, "populate_s": rnd(seconds, 1), "rows": rows}


# --- 5. connection reuse -------------------------------------------------------------------------


class ConnectionCounter:
    """Counts the TCP connections urllib3 opens in this process."""

    def __init__(self) -> None:
        import urllib3.connection

        self.count = 0
        self._cls = urllib3.connection.HTTPConnection
        self._orig = self._cls._new_conn

    def __enter__(self) -> ConnectionCounter:
        orig = self._orig
        counter = self

        def new_conn(conn: Any) -> Any:
            counter.count += 1
            return orig(conn)

        self._cls._new_conn = new_conn  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *args: object) -> None:
        self._cls._new_conn = self._orig  # type: ignore[method-assign]


def keepalive_binary(work: Path) -> Path:
    """A launcher for benchlib.sim_keepalive, usable as the harness's ``binary``."""
    script = work / "btsync-keepalive"
    pythonpath = os.pathsep.join([str(BENCH_DIR.parent / "simulator"), str(BENCH_DIR)])
    script.write_text(
        f'#!/bin/sh\nPYTHONPATH="{pythonpath}" exec "{sys.executable}" -m benchlib.sim_keepalive "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return script


@dataclass
class ReuseMode:
    name: str
    run: Callable[[int], None]


def reuse_against(sim: SimulatorProcess, calls: int, blocks: int) -> dict[str, Any]:
    """N calls over one client (one keep-alive session) against N fresh clients, interleaved in blocks."""

    def one_session(n: int) -> None:
        with BtsyncClient(sim.url, sim.login, sim.password) as client:
            for _index in range(n):
                client.get_version()

    def fresh_each(n: int) -> None:
        for _index in range(n):
            with BtsyncClient(sim.url, sim.login, sim.password) as client:
                client.get_version()

    modes = [ReuseMode("one_session", one_session), ReuseMode("fresh_connection_per_call", fresh_each)]
    per_call: dict[str, list[float]] = {m.name: [] for m in modes}
    connections: dict[str, int] = {m.name: 0 for m in modes}
    block = max(1, calls // blocks)
    for index in range(blocks):
        order = modes if index % 2 == 0 else modes[::-1]
        for mode in order:
            with ConnectionCounter() as counter:
                start = time.perf_counter()
                mode.run(block)
                per_call[mode.name].append((time.perf_counter() - start) / block)
            connections[mode.name] += counter.count
    total = block * blocks
    out: dict[str, Any] = {"calls_per_mode": total}
    for mode in modes:
        out[mode.name] = {
            "median_ms_per_call": rnd(1000 * (median(per_call[mode.name]) or 0.0), 3),
            "tcp_connections": connections[mode.name],
        }
    out["saving"] = ratio(out["fresh_connection_per_call"]["median_ms_per_call"], out["one_session"]["median_ms_per_call"])
    return out


def connection_reuse(work: Path, calls: int, blocks: int = 10) -> dict[str, Any]:
    """Section 5, against the simulator as it is and against its keep-alive variant."""
    work = fresh_dir(work)
    results: dict[str, Any] = {"method": "get_version", "client": "plugins/module_utils/btsync_api.py BtsyncClient"}
    with simulator(work / "sim") as sim:
        results["simulator_http_1_0"] = reuse_against(sim, calls, blocks)
    with simulator(work / "sim-keepalive", binary=keepalive_binary(work)) as sim:
        results["keepalive_http_1_1"] = reuse_against(sim, calls, blocks)
    return results


# --- 6. the simulator's own throughput -----------------------------------------------------------


def _load_worker(args: tuple[str, int, str, str, float, float]) -> tuple[int, int, float]:
    """One client process: GET /api?method=METHOD as fast as it can between START and START + DURATION.

    Returns (answers, errors, seconds). Each request is a new connection, as the simulator closes them.
    """
    import base64

    host, port, auth, method, start_at, duration = args
    header = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    while time.time() < start_at:
        time.sleep(0.001)
    done = errors = 0
    end = start_at + duration
    while time.time() < end:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request("GET", f"/api?method={method}", headers=header)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                done += 1
            else:
                errors += 1
        except OSError:
            errors += 1
        finally:
            conn.close()
    return done, errors, time.time() - start_at


def throughput(work: Path, clients: Sequence[int], duration: float, folders: int = 10) -> dict[str, Any]:
    """Requests per second the simulator answers, for each number of concurrent client processes."""
    work = fresh_dir(work)
    rows = []
    ctx = multiprocessing.get_context("spawn")
    with simulator(work / "sim") as sim:
        populate(sim, work / "data", folders)
        host, port = "127.0.0.1", int(sim.url.rsplit(":", 1)[1])
        auth = f"{sim.login}:{sim.password}"
        with ctx.Pool(max(clients)) as pool:
            for method in ("get_version", "get_folders"):
                for count in clients:
                    start_at = time.time() + 0.5
                    out = pool.map(_load_worker, [(host, port, auth, method, start_at, duration)] * count)
                    answers = sum(o[0] for o in out)
                    errors = sum(o[1] for o in out)
                    seconds = max(o[2] for o in out)
                    rows.append({
                        "method": method if method == "get_version" else f"get_folders ({folders} folders)",
                        "clients": count,
                        "requests_per_s": round(answers / seconds, 1),
                        "mean_latency_ms": round(1000 * seconds * count / answers, 2) if answers else None,
                        "errors": errors,
                    })
    return {"duration_s_per_point": duration, "cpus": os.cpu_count(), "rows": rows}


def busiest(requests_logs: Sequence[Path]) -> dict[str, Any]:
    """The highest request rate the other sections asked of a simulator (any 1-second window)."""
    best = 0.0
    total = 0
    for path in requests_logs:
        reqs: list[Request] = read_requests(path)
        total += len(reqs)
        if reqs:
            best = max(best, peak_rate(reqs))
    return {"peak_requests_per_s": best, "requests_logged": total}
