"""Sections 3 (the role with many folders) and 4 (the fleet), on lab hosts or on local simulators.

Lab hosts are systemd-nspawn guests booted by tests/lab/lab.sh (``--name bench
--subnet 10.77.6``, at most 10 guests), always stopped at the end. The smoke
variant runs the fleet on simulators on this machine instead: each inventory
host is localhost with a simulator of its own, and the role (which needs
systemd) is skipped with ``--skip-tags btsync``, so that the mesh's API work,
the uri baseline and the bookkeeping here run in seconds.
"""

from __future__ import annotations

import getpass
import grp
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import (
    PLAYBOOKS,
    ROOT,
    PlaybookRun,
    SimulatorProcess,
    call_summary,
    log,
    median,
    ratio,
    read_requests,
    rnd,
    run_playbook,
    token,
    write_json,
    write_private,
)

LAB_SCRIPT = ROOT / "tests" / "lab" / "lab.sh"
MESH = "syncops.btsync.mesh"
MESH_URI = PLAYBOOKS / "mesh_uri.yml"
ROLE_FOLDERS = PLAYBOOKS / "role_folders.yml"
LAB_NAME = "bench"
LAB_SUBNET = "10.77.6"
MAX_GUESTS = 10
ACCESS_GROUPS = (("sync_writers", "read_write"), ("sync_readers", "read_only"), ("sync_untrusted", "encrypted"))


def mesh_folders(base: str) -> list[dict[str, Any]]:
    """The demo's two folders (examples/lab): one plain, one with preferences."""
    return [
        {"name": "projects", "path": f"{base}/projects"},
        {"name": "backups", "path": f"{base}/backups", "preferences": {"use_relay_server": False, "use_tracker": False}},
    ]


def archive() -> Path:
    path = Path(os.environ.get("SYNC_ARCHIVE", ROOT / "build" / "btsync_x64.tar.gz"))
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run make sync-archive first")
    return path


# --- the lab ------------------------------------------------------------------------------


class Lab:
    """The bench's lab: tests/lab/lab.sh --name bench --subnet 10.77.6."""

    def __init__(self, name: str = LAB_NAME, subnet: str = LAB_SUBNET) -> None:
        self.name = name
        self.subnet = subnet
        self.count = 0

    def _cmd(self, count: int, *action: str) -> list[str]:
        return ["bash", str(LAB_SCRIPT), "--name", self.name, "--count", str(count), "--subnet", self.subnet, *action]

    def up(self, count: int) -> list[dict[str, Any]]:
        """COUNT fresh guests (the lab is stopped first, so that no guest keeps an earlier run's state)."""
        if not 1 <= count <= MAX_GUESTS:
            raise ValueError(f"the bench lab has 1 to {MAX_GUESTS} guests, not {count}")
        self.down()
        log(f"lab {self.name}: {count} fresh guests on {self.subnet}.0/24")
        proc = subprocess.run(self._cmd(count, "up"), capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"lab.sh up failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        self.count = count
        guests: list[dict[str, Any]] = json.loads(proc.stdout)
        return guests

    def down(self) -> None:
        proc = subprocess.run(self._cmd(max(self.count, 1), "down"), capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
        if proc.returncode != 0:
            log(f"lab.sh down failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        self.count = 0


def lab_connection_vars(guests: Sequence[dict[str, Any]]) -> dict[str, Any]:
    key = guests[0]["identity_file"]
    return {
        "ansible_user": "root",
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_ssh_private_key_file": key,
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
    }


def grouped(hosts: dict[str, dict[str, Any]], group_vars: dict[str, Any]) -> dict[str, Any]:
    """The mesh inventory: hosts dealt round-robin to writers, readers and untrusted members."""
    children: dict[str, Any] = {}
    for index, (name, host_vars) in enumerate(hosts.items()):
        group, access = ACCESS_GROUPS[index % len(ACCESS_GROUPS)]
        entry = children.setdefault(group, {"vars": {"btsync_mesh_access": access}, "hosts": {}})
        entry["hosts"][name] = host_vars
    return {"all": {"children": {"btsync": {"vars": group_vars, "children": children}}}}


# --- fleets: where the mesh runs ---------------------------------------------------------------


class Fleet:
    """N hosts to run the mesh on; ``fresh()`` gives N hosts that have never seen it."""

    kind = ""

    def __init__(self, work: Path, size: int) -> None:
        self.work = work
        self.size = size
        self.inventory = work / "inventory.json"
        self.extra = work / "vars.json"
        self.generation = 0

    def fresh(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def args(self) -> list[str]:
        return []

    def request_logs(self) -> list[Path]:
        return []

    def run(self, name: str, playbook: Path | str, env: dict[str, str] | None = None) -> PlaybookRun:
        return run_playbook(name, playbook, self.work, [str(self.inventory)], [self.extra], env=env, args=self.args())


class LabFleet(Fleet):
    """Lab guests with the role installing the simulator's archive, as a real fleet."""

    kind = "lab"

    def __init__(self, work: Path, size: int, lab: Lab) -> None:
        super().__init__(work, size)
        self.lab = lab

    def fresh(self) -> None:
        self.generation += 1
        guests = self.lab.up(self.size)
        cache = self.work / f"controller-cache-{self.generation}"
        shutil.rmtree(cache, ignore_errors=True)
        group_vars = {
            **lab_connection_vars(guests),
            # A controller cache of this fleet's own: a first run must unpack the archive, a rerun must not.
            "btsync_local_cache_dir": str(cache),
            "btsync_mesh_folders": mesh_folders("/srv/sync"),
        }
        hosts = {g["name"]: {"ansible_host": g["address"]} for g in guests}
        write_json(self.inventory, grouped(hosts, group_vars))
        write_private(self.extra, {
            "btsync_archive_src": str(archive()),
            "btsync_webui_password": token(),
            "btsync_api_key": token(),
        })

    def close(self) -> None:
        self.lab.down()


class LocalFleet(Fleet):
    """Inventory hosts that are all localhost, each with a simulator of its own; the role is skipped."""

    kind = "local"

    def __init__(self, work: Path, size: int) -> None:
        super().__init__(work, size)
        self.sims: list[SimulatorProcess] = []
        self.logs: list[Path] = []

    def args(self) -> list[str]:
        return ["--skip-tags", "btsync"]

    def fresh(self) -> None:
        self.close()
        self.generation += 1
        base = self.work / f"fleet-{self.generation}"
        shutil.rmtree(base, ignore_errors=True)
        password = token()
        hosts: dict[str, dict[str, Any]] = {}
        self.logs = []
        for index in range(1, self.size + 1):
            name = f"local-{index}"
            reqlog = base / f"{name}.requests.jsonl"
            sim = SimulatorProcess(
                base / name, login="api", password=password, api_key=token(), device_name=name,
                extra_args=["--request-log", str(reqlog)],
            )
            self.sims.append(sim.start())
            self.logs.append(reqlog)
            hosts[name] = {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "btsync_webui_listen": sim.url.split("//", 1)[1],
                "btsync_listening_port": sim.listening_port,
            }
        group_vars = {
            "btsync_mesh_folders": mesh_folders(str(base / "data")),
            "btsync_mesh_address": "127.0.0.1",
            "btsync_mesh_become": False,
            "btsync_user": getpass.getuser(),
            "btsync_group": grp.getgrgid(os.getgid()).gr_name,
        }
        write_json(self.inventory, grouped(hosts, group_vars))
        write_private(self.extra, {
            "btsync_archive_src": str(archive()),
            "btsync_webui_password": password,
            "btsync_api_key": token(),
        })

    def request_logs(self) -> list[Path]:
        return list(self.logs)

    def close(self) -> None:
        for sim in self.sims:
            sim.stop()
        self.sims = []


# --- section 4: the fleet -----------------------------------------------------------------------


def requests_made(fleet: Fleet, before: list[int]) -> dict[str, Any] | None:
    """API requests since BEFORE (line counts of each host's log), per host; None on lab hosts."""
    logs = fleet.request_logs()
    if not logs:
        return None
    made = [read_requests(path)[start:] for path, start in zip(logs, before)]
    counts = [len(m) for m in made]
    return {
        "total": sum(counts),
        "per_host_max": max(counts),
        "per_host_median": median([float(c) for c in counts]),
        # What the first host (a seed) and the last (a member) asked for.
        "first_host_methods": call_summary(made[0]),
        "last_host_methods": call_summary(made[-1]),
    }


def log_marks(fleet: Fleet) -> list[int]:
    return [len(read_requests(path)) for path in fleet.request_logs()]


def measured(fleet: Fleet, name: str, playbook: Path | str, env: dict[str, str] | None = None) -> dict[str, Any]:
    marks = log_marks(fleet)
    run = fleet.run(name, playbook, env=env)
    out = run.summary()
    calls = requests_made(fleet, marks)
    if calls is not None:
        out["api_calls"] = calls
    out["slowest_tasks"] = run.slowest(6)
    return out


def fleet_size(fleet: Fleet, rounds: int, cross: bool, settings: list[tuple[str, dict[str, str]]] | None) -> dict[str, Any]:
    """First converges and reruns of the mesh and of its uri baseline on SIZE hosts.

    Each round converges a fresh fleet with one playbook and reruns it, then
    (with CROSS) reruns the other playbook on it, which must change nothing
    either; then the same with the playbooks swapped. Rounds alternate which
    playbook goes first, so that drifting load on a shared machine hits both.
    """
    result: dict[str, Any] = {"hosts": fleet.size, "where": fleet.kind, "rounds": rounds}
    runs: dict[str, list[dict[str, Any]]] = {"mesh_first": [], "uri_first": [], "mesh_rerun": [], "uri_rerun": []}
    playbooks: dict[str, Path | str] = {"mesh": MESH, "uri": MESH_URI}
    try:
        for index in range(1, rounds + 1):
            order = ["mesh", "uri"] if index % 2 else ["uri", "mesh"]
            for first in order:
                other = "uri" if first == "mesh" else "mesh"
                fleet.fresh()
                tag = f"{fleet.size}-round{index}-{first}-made"
                runs[f"{first}_first"].append(measured(fleet, f"{tag}-{first}-first", playbooks[first]))
                runs[f"{first}_rerun"].append(measured(fleet, f"{tag}-{first}-rerun", playbooks[first]))
                if cross:
                    runs[f"{other}_rerun"].append(measured(fleet, f"{tag}-{other}-rerun", playbooks[other]))
                if settings and first == "mesh" and index == 1:
                    result["settings"] = settings_runs(fleet, settings, runs["mesh_rerun"][-1])
    finally:
        fleet.close()
    result.update(runs)
    result["summary"] = fleet_summary(result)
    return result


def _walls(runs: Sequence[dict[str, Any]]) -> list[float]:
    return [float(r["wall_s"]) for r in runs]


def fleet_summary(res: dict[str, Any]) -> dict[str, Any]:
    walls = {key: median(_walls(res[key])) for key in ("mesh_first", "uri_first", "mesh_rerun", "uri_rerun")}
    every = [run for key in ("mesh_first", "uri_first", "mesh_rerun", "uri_rerun") for run in res[key]]
    out: dict[str, Any] = {
        "mesh_first_s": rnd(walls["mesh_first"], 2),
        "uri_first_s": rnd(walls["uri_first"], 2),
        "first_ratio": ratio(walls["mesh_first"], walls["uri_first"]),
        "mesh_rerun_s": rnd(walls["mesh_rerun"], 2),
        "uri_rerun_s": rnd(walls["uri_rerun"], 2),
        "rerun_ratio": ratio(walls["mesh_rerun"], walls["uri_rerun"]),
        "samples": {key: len(res[key]) for key in ("mesh_first", "uri_first", "mesh_rerun", "uri_rerun")},
        "mesh_rerun_changed": max(r["changed"] for r in res["mesh_rerun"]),
        "uri_rerun_changed": max(r["changed"] for r in res["uri_rerun"]),
        "mesh_first_changed": min(r["changed"] for r in res["mesh_first"]),
        "uri_first_changed": min(r["changed"] for r in res["uri_first"]),
        "all_ok": all(r["rc"] == 0 and r["failed"] == 0 for r in every),
    }
    # Play 1 (Sync installed by the role) is the same in both playbooks; play 2 is the API work.
    for key in ("mesh_first", "uri_first", "mesh_rerun", "uri_rerun"):
        out[f"{key}_play2_s"] = rnd(median([float(r["play_s"][-1]) for r in res[key] if r["play_s"]]), 2)
    out["rerun_play2_ratio"] = ratio(out["mesh_rerun_play2_s"], out["uri_rerun_play2_s"])
    if all("api_calls" in r for r in every):
        for key in ("mesh_first", "uri_first", "mesh_rerun", "uri_rerun"):
            out[f"{key}_api_calls_per_host"] = median([float(r["api_calls"]["per_host_median"]) for r in res[key]])
    return out


# Ansible settings for big fleets, each measured on a mesh rerun (changed=0) of the same fleet.
def settings_variants(size: int, full: bool) -> list[tuple[str, dict[str, str]]]:
    fact_cache = {
        "ANSIBLE_GATHERING": "smart",
        "ANSIBLE_CACHE_PLUGIN": "jsonfile",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": "{fact_cache}",
        "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "86400",
    }
    forks = str(max(5, size))
    if not full:
        return [("pipelining", {"ANSIBLE_PIPELINING": "true"}), ("strategy free", {"ANSIBLE_STRATEGY": "free"})]
    return [
        ("defaults (forks 5, no pipelining)", {}),
        ("pipelining", {"ANSIBLE_PIPELINING": "true"}),
        (f"forks {forks}", {"ANSIBLE_FORKS": forks}),
        ("fact cache, filling it (gathering smart, jsonfile)", fact_cache),
        ("fact cache, warm", fact_cache),
        ("strategy free", {"ANSIBLE_STRATEGY": "free"}),
        (f"pipelining + forks {forks} + warm fact cache", {**fact_cache, "ANSIBLE_PIPELINING": "true", "ANSIBLE_FORKS": forks}),
        ("defaults again (noise check)", {}),
    ]


def settings_runs(fleet: Fleet, variants: list[tuple[str, dict[str, str]]], own_rerun: dict[str, Any]) -> dict[str, Any]:
    """Each variant as one more mesh rerun; the defaults' figure is the median of the rows run with defaults
    (or the fleet's own rerun just before, when no variant is the defaults)."""
    cache = fleet.work / "fact-cache"
    shutil.rmtree(cache, ignore_errors=True)
    rows = []
    for index, (label, template) in enumerate(variants, 1):
        env = {key: value.replace("{fact_cache}", str(cache)) for key, value in template.items()}
        run = measured(fleet, f"{fleet.size}-setting-{index}", MESH, env=env)
        rows.append({"setting": label, "env": template, "wall_s": run["wall_s"], "changed": run["changed"], "failed": run["failed"],
                     "rc": run["rc"]})
    base = median([r["wall_s"] for r in rows if r["setting"].startswith("defaults")] or [own_rerun["wall_s"]])
    for row in rows:
        row["vs_defaults"] = ratio(row["wall_s"], base)
    return {"hosts": fleet.size, "defaults_median_s": rnd(base, 2), "rows": rows}


def fleet(work: Path, sizes: Sequence[int], where: str, rounds: int, cross: bool, settings_size: int | None,
          full_settings: bool, lab: Lab | None) -> dict[str, Any]:
    out: dict[str, Any] = {"where": where, "sizes": {}}
    for size in sizes:
        sub = work / f"hosts-{size}"
        shutil.rmtree(sub, ignore_errors=True)
        sub.mkdir(parents=True)
        fl: Fleet = LabFleet(sub, size, lab) if where == "lab" and lab is not None else LocalFleet(sub, size)
        variants = settings_variants(size, full_settings) if size == settings_size else None
        out["sizes"][str(size)] = fleet_size(fl, rounds, cross, variants)
    return out


# --- section 3: the role with many folders ------------------------------------------------------


def role_folders(work: Path, folders: int, reruns: int, lab: Lab, pipelining: bool = False) -> dict[str, Any]:
    """The role converging FOLDERS folders on one fresh lab host, then rerunning."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        guests = lab.up(1)
        group_vars = {
            **lab_connection_vars(guests),
            "btsync_local_cache_dir": str(work / "controller-cache"),
            "btsync_folders": [{"path": f"/srv/bench/f{index:03d}"} for index in range(folders)],
        }
        write_json(work / "inventory.json", {"all": {"children": {"bench_role": {
            "vars": group_vars, "hosts": {g["name"]: {"ansible_host": g["address"]} for g in guests}}}}})
        extra = write_private(work / "vars.json", {
            "btsync_archive_src": str(archive()),
            "btsync_webui_password": token(),
            "btsync_api_key": token(),
        })
        # The first run, then RERUNS reruns with the defaults, each followed (when PIPELINING) by one with
        # pipelining on: the folder loops run one module per folder, which is what pipelining makes cheaper.
        plan: list[tuple[str, dict[str, str]]] = [("first", {})]
        for index in range(1, reruns + 1):
            plan.append((f"rerun-{index}", {}))
            if pipelining:
                plan.append((f"rerun-{index}-pipelining", {"ANSIBLE_PIPELINING": "true"}))
        runs = [(name, run_playbook(f"role-{name}", ROLE_FOLDERS, work, [str(work / "inventory.json")], [extra], env=env))
                for name, env in plan]
    finally:
        lab.down()
    out: dict[str, Any] = {"folders": folders, "runs": {}}
    for name, run in runs:
        summary = run.summary()
        summary["changed_tasks"] = run.changed_tasks()
        summary["slowest_tasks"] = run.slowest(6)
        # What a rerun still does that a cache could spare: the controller-side archive steps.
        summary["archive_steps_s"] = rnd(sum(t.duration for t in run.tasks if _archive_step(t.short)), 2)
        summary["folder_task_s"] = rnd(sum(t.duration for t in run.tasks if t.short == "Add, update or remove folders"), 2)
        summary["folder_dirs_s"] = rnd(sum(t.duration for t in run.tasks if t.short == "Create the folders' directories"), 2)
        summary["gathering_facts_s"] = rnd(sum(t.duration for t in run.tasks if t.short == "Gathering Facts"), 2)
        out["runs"][name] = summary
    plain = [n for n in out["runs"] if n.startswith("rerun") and not n.endswith("pipelining")]
    piped = [n for n in out["runs"] if n.endswith("pipelining")]
    out["first_s"] = out["runs"]["first"]["wall_s"]
    out["rerun_median_s"] = rnd(median([out["runs"][n]["wall_s"] for n in plain]), 2)
    out["rerun_pipelining_median_s"] = rnd(median([out["runs"][n]["wall_s"] for n in piped]), 2)
    out["pipelining_ratio"] = ratio(out["rerun_pipelining_median_s"], out["rerun_median_s"])
    out["rerun_changed"] = max(out["runs"][n]["changed"] for n in out["runs"] if n != "first")
    folder_task = median([float(out["runs"][n]["folder_task_s"]) for n in plain])
    out["per_folder_rerun_ms"] = rnd(1000 * folder_task / folders, 1) if folder_task is not None else None
    return out


def _archive_step(task: str) -> bool:
    return task.startswith(("Checksum the local archives", "Create a cache directory per archive", "Download the archives",
                            "Unpack each archive", "Mark the archives as unpacked", "Find the Sync executable"))
