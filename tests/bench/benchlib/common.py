"""What every section of the benchmark shares: paths, ansible-playbook runs, timings, request logs, simulators."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
BENCH_DIR = ROOT / "tests" / "bench"
PLAYBOOKS = BENCH_DIR / "playbooks"
CALLBACKS = BENCH_DIR / "callback_plugins"
SIMULATOR_DIR = ROOT / "tests" / "simulator"
COLLECTIONS = ROOT / "build" / "collections"
BIN = Path(sys.executable).parent
PLAYBOOK_TIMEOUT = 1800

if str(SIMULATOR_DIR) not in sys.path:
    sys.path.insert(0, str(SIMULATOR_DIR))

from btsync_sim.harness import SimulatorProcess  # noqa: E402  (needs tests/simulator on sys.path)


def log(msg: str) -> None:
    """Progress on stderr (the results go to files)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def token() -> str:
    """A throw-away password or API key (letters and digits only)."""
    return secrets.token_hex(16)


def write_private(path: Path, data: Mapping[str, Any]) -> Path:
    """Write JSON readable by its owner only (extra vars that hold passwords and secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    return path


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


# --- statistics -----------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def rnd(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return round(num / den, 3)


# --- ansible-playbook runs ----------------------------------------------------------


@dataclass
class TaskTiming:
    """One task on one host, as the bench_timing callback recorded it."""

    play: str
    task: str
    action: str
    host: str
    start: float
    end: float
    status: str
    changed: bool
    handler: bool

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def short(self) -> str:
        """The task's name without its role's prefix (``syncops.btsync.btsync : ``)."""
        return self.task.split(" : ", 1)[-1]


@dataclass
class PlaybookRun:
    """One ansible-playbook run: exit code, wall time, per-task timings and the recap."""

    name: str
    rc: int
    wall: float
    log: Path
    tasks: list[TaskTiming] = field(default_factory=list)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(host.get(key, 0) for host in self.stats.values())

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.total("failed") == 0 and self.total("unreachable") == 0

    def changed_tasks(self) -> list[str]:
        return sorted({f"{t.short} ({t.host})" for t in self.tasks if t.changed})

    def handlers_run(self) -> list[str]:
        return sorted({t.short for t in self.tasks if t.handler and t.status == "ok"})

    def slowest(self, count: int = 8) -> list[dict[str, Any]]:
        """The tasks that cost the most, summed over hosts (a task's time on each host)."""
        per_task: dict[str, list[float]] = {}
        for item in self.tasks:
            per_task.setdefault(item.short, []).append(item.duration)
        ranked = sorted(per_task.items(), key=lambda kv: -max(kv[1]))[:count]
        return [{"task": name, "max_s": rnd(max(times)), "hosts": len(times)} for name, times in ranked]

    def play_spans(self) -> list[float]:
        """Each play's wall time, in order: from its first task's start to its last task's end."""
        spans: dict[str, list[float]] = {}
        for item in self.tasks:
            span = spans.setdefault(item.play, [item.start, item.end])
            span[0] = min(span[0], item.start)
            span[1] = max(span[1], item.end)
        return [round(end - start, 2) for start, end in spans.values()]

    def summary(self) -> dict[str, Any]:
        return {
            "play_s": self.play_spans(),
            "rc": self.rc,
            "wall_s": rnd(self.wall, 2),
            "changed": self.total("changed"),
            "failed": self.total("failed") + self.total("unreachable"),
            "changed_per_host": {name: host.get("changed", 0) for name, host in sorted(self.stats.items())},
            "tasks_run": len([t for t in self.tasks if t.status != "skipped"]),
            "handlers_run": self.handlers_run(),
            "log": str(self.log.relative_to(ROOT)) if self.log.is_relative_to(ROOT) else str(self.log),
        }


def ansible_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for ansible-playbook: no inherited ANSIBLE_*/BTSYNC_*, our callback on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "BTSYNC_"))}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="bench_timing",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_DEPRECATION_WARNINGS="false",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update(overrides or {})
    return env


def read_timings(path: Path) -> tuple[list[TaskTiming], dict[str, dict[str, int]]]:
    tasks: list[TaskTiming] = []
    stats: dict[str, dict[str, int]] = {}
    if not path.exists():
        return tasks, stats
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("type") == "task":
            tasks.append(TaskTiming(**{k: record[k] for k in TaskTiming.__dataclass_fields__}))
        elif record.get("type") == "stats":
            stats = record["hosts"]
    return tasks, stats


def run_playbook(
    name: str,
    playbook: Path | str,
    logdir: Path,
    inventory: Sequence[str] = ("localhost,",),
    extra_vars: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    timeout: int = PLAYBOOK_TIMEOUT,
) -> PlaybookRun:
    """Run ansible-playbook once; its output goes to LOGDIR/NAME.log, its timings to NAME.timing.jsonl."""
    logdir.mkdir(parents=True, exist_ok=True)
    logfile = logdir / f"{name}.log"
    timing = logdir / f"{name}.timing.jsonl"
    timing.unlink(missing_ok=True)
    cmd = [str(BIN / "ansible-playbook"), str(playbook)]
    for inv in inventory:
        cmd += ["-i", inv]
    for path in extra_vars:
        cmd += ["-e", f"@{path}"]
    cmd += list(args)
    run_env = ansible_env({"BENCH_TIMING_FILE": str(timing), **(env or {})})
    log(f"ansible-playbook {name}")
    start = time.perf_counter()
    with open(logfile, "w", encoding="utf-8") as out:
        proc = subprocess.run(cmd, cwd=ROOT, env=run_env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False)
    wall = time.perf_counter() - start
    tasks, stats = read_timings(timing)
    result = PlaybookRun(name=name, rc=proc.returncode, wall=wall, log=logfile, tasks=tasks, stats=stats)
    log(f"  rc={result.rc} wall={wall:.1f}s changed={result.total('changed')} failed={result.total('failed')}")
    return result


def require_ok(run: PlaybookRun) -> PlaybookRun:
    if not run.ok:
        tail = "\n".join(run.log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
        raise RuntimeError(f"ansible-playbook {run.name} failed (rc={run.rc}, log {run.log}):\n{tail}")
    return run


# --- the simulator and its request log ----------------------------------------------


def simulator(workdir: Path, request_log: Path | None = None, extra_args: Sequence[str] = (),
              binary: Path | None = None, login: str = "api") -> SimulatorProcess:
    """A simulator of our own on loopback, with a fresh password; optionally logging each request.

    Not started: use it as ``with simulator(...) as sim`` (the harness starts it and always stops it).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    args = list(extra_args)
    if request_log is not None:
        request_log.unlink(missing_ok=True)
        args += ["--request-log", str(request_log)]
    return SimulatorProcess(workdir, login=login, password=token(), api_key=token(), extra_args=args, binary=binary)


@dataclass
class Request:
    ts: float
    method: str
    params: list[str]


def read_requests(path: Path) -> list[Request]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        out.append(Request(ts=float(record["ts"]), method=str(record["method"]), params=list(record.get("params", []))))
    return out


def requests_during(requests: Iterable[Request], start: float, end: float) -> list[Request]:
    """The requests logged while a task ran (the callback and the simulator share this machine's clock)."""
    return [r for r in requests if start - 0.002 <= r.ts <= end + 0.002]


def call_summary(requests: Sequence[Request]) -> str:
    """``get_folders, get_folder_prefs x2`` style."""
    counts: dict[str, int] = {}
    for item in requests:
        counts[item.method] = counts.get(item.method, 0) + 1
    return ", ".join(name if n == 1 else f"{name} x{n}" for name, n in counts.items()) or "none"


def peak_rate(requests: Sequence[Request], window: float = 1.0) -> float:
    """The most requests seen in any WINDOW seconds, per second."""
    times = sorted(r.ts for r in requests)
    best = 0
    low = 0
    for high, ts in enumerate(times):
        while ts - times[low] > window:
            low += 1
        best = max(best, high - low + 1)
    return best / window
