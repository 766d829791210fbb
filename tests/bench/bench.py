"""The benchmark suite of syncops.btsync (issue 7): what a task, a host and a fleet cost.

    .venv/bin/python tests/bench/bench.py [--smoke] [--out DIR] [--only SECTION ...]

``make bench`` runs the full suite into build/bench/, ``make bench-smoke`` the
tiny variant (every section, small sizes, the fleet on local simulators) into
build/bench-smoke/. Each writes results.json and results.md (Markdown tables),
plus every ansible-playbook log and timing file under DIR/work/. See
docs/benchmarks.md for what each figure means.

Sections: per_task, api_calls, facts, reuse, throughput (on simulators on this
machine's loopback), role, fleet (on lab hosts: tests/lab/lab.sh --name bench
--subnet 10.77.6, at most 10 guests, stopped at the end whatever happens).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchlib import fleet as fleet_mod
from benchlib import local
from benchlib.common import ROOT, log, write_json
from benchlib.report import evaluate_targets, findings, render

SECTIONS = ("per_task", "api_calls", "facts", "reuse", "throughput", "role", "fleet")


@dataclass(frozen=True)
class Sizes:
    per_task_rounds: int
    per_task_warmup: int
    facts_folders: int
    reuse_calls: int
    reuse_blocks: int
    throughput_clients: tuple[int, ...]
    throughput_seconds: float
    role_folders: int
    role_reruns: int
    fleet_sizes: tuple[int, ...]
    fleet_where: str
    fleet_rounds: int
    fleet_cross: bool
    settings_size: int
    full_settings: bool
    # Fleet API calls are counted on local simulators (lab hosts have no request log).
    local_fleet_sizes: tuple[int, ...] = field(default=())
    # Run the role section on its lab host while the other sections run (smoke only: it skews timings).
    lab_in_background: bool = False


FULL = Sizes(
    per_task_rounds=30, per_task_warmup=2, facts_folders=1000, reuse_calls=2000, reuse_blocks=20,
    throughput_clients=(1, 2, 4, 8), throughput_seconds=3.0, role_folders=100, role_reruns=3,
    fleet_sizes=(3, 10), fleet_where="lab", fleet_rounds=2, fleet_cross=True, settings_size=10, full_settings=True,
    local_fleet_sizes=(3,),
)
SMOKE = Sizes(
    per_task_rounds=2, per_task_warmup=1, facts_folders=20, reuse_calls=100, reuse_blocks=4,
    throughput_clients=(1, 2), throughput_seconds=0.5, role_folders=3, role_reruns=1,
    fleet_sizes=(2,), fleet_where="local", fleet_rounds=1, fleet_cross=False, settings_size=2, full_settings=False,
    lab_in_background=True,
)


def machine() -> dict[str, Any]:
    import ansible

    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "ansible_core": ansible.__version__,
        "kernel": platform.release(),
        "loadavg_1_5_15": [round(x, 2) for x in load],
    }


def run_sections(selected: list[str], sizes: Sizes, work: Path, results: dict[str, Any]) -> None:
    lab = fleet_mod.Lab()
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("per_task", lambda: local.per_task(work / "per_task", sizes.per_task_rounds, sizes.per_task_warmup)),
        ("api_calls", lambda: local.api_calls(work / "api_calls")),
        ("facts", lambda: local.facts_many(work / "facts", sizes.facts_folders)),
        ("reuse", lambda: local.connection_reuse(work / "reuse", sizes.reuse_calls, sizes.reuse_blocks)),
        ("role", lambda: fleet_mod.role_folders(work / "role", sizes.role_folders, sizes.role_reruns, lab, sizes.full_settings)),
        ("fleet", lambda: fleet_mod.fleet(
            work / "fleet", sizes.fleet_sizes, sizes.fleet_where, sizes.fleet_rounds, sizes.fleet_cross,
            sizes.settings_size, sizes.full_settings, lab)),
        ("fleet_local", lambda: fleet_mod.fleet(
            work / "fleet_local", sizes.local_fleet_sizes, "local", 1, True, None, False, None)),
        ("throughput", lambda: local.throughput(work / "throughput", sizes.throughput_clients, sizes.throughput_seconds)),
    ]

    def run_one(name: str, step: Callable[[], Any]) -> None:
        log(f"section {name}")
        start = time.perf_counter()
        try:
            results[name] = step()
        except Exception as exc:  # one failed section must not lose the others' figures
            log(f"section {name} failed: {exc}")
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-4000:]}
        results[name]["section_s"] = round(time.perf_counter() - start, 1)

    wanted = [(name, step) for name, step in steps
              if ("fleet" if name == "fleet_local" else name) in selected and (name != "fleet_local" or sizes.local_fleet_sizes)]
    background: threading.Thread | None = None
    role = [(name, step) for name, step in wanted if name == "role"]
    if sizes.lab_in_background and role:
        # Smoke only (its figures are not compared): the lab host's role runs while the local sections run.
        background = threading.Thread(target=run_one, args=role[0])
        wanted = [(name, step) for name, step in wanted if name != "role"]
    try:
        if background is not None:
            background.start()
        for name, step in wanted:
            run_one(name, step)
    finally:
        if background is not None:
            background.join()
        lab.down()


def request_logs(work: Path) -> list[Path]:
    return sorted(work.glob("per_task/requests.jsonl")) + sorted(work.glob("api_calls/requests.jsonl")) + \
        sorted(work.glob("facts/requests.jsonl")) + sorted(work.glob("fleet*/**/*.requests.jsonl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, the fleet on local simulators")
    parser.add_argument("--out", type=Path, help="output directory (default build/bench, or build/bench-smoke with --smoke)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    out: Path = (args.out or ROOT / "build" / ("bench-smoke" if args.smoke else "bench")).resolve()
    work = out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    selected = list(args.only or SECTIONS)
    # A copy of the archive for the whole run: a `make sync-archive` meanwhile must not look like an upgrade.
    archive = Path(os.environ.get("SYNC_ARCHIVE", ROOT / "build" / "btsync_x64.tar.gz"))
    if archive.is_file():
        shutil.copy2(archive, work / "btsync_x64.tar.gz")
        os.environ["SYNC_ARCHIVE"] = str(work / "btsync_x64.tar.gz")
    started = time.time()
    results: dict[str, Any] = {
        "meta": {
            "variant": "smoke" if args.smoke else "full",
            "command": "make bench-smoke" if args.smoke else "make bench",
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "sections": selected,
            "sizes": asdict(sizes),
            "machine": machine(),
        },
    }
    run_sections(selected, sizes, work, results)
    if "throughput" in results and "rows" in results["throughput"]:
        results["throughput"]["demand"] = local.busiest(request_logs(work))
    results["meta"]["duration_s"] = round(time.time() - started, 1)
    results["meta"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = evaluate_targets(results)
    results["findings"] = findings(results)
    write_json(out / "results.json", results)
    (out / "results.md").write_text(render(results), encoding="utf-8")
    log(f"wrote {out / 'results.json'} and {out / 'results.md'} in {results['meta']['duration_s']} s")
    failed = [name for name, value in results.items() if isinstance(value, dict) and "error" in value]
    if failed:
        log(f"sections that failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
