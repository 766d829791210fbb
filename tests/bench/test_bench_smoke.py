"""The benchmark suite at tiny sizes (``make bench-smoke``), so that it cannot rot.

Runs ``tests/bench/bench.py --smoke`` (about two minutes: one lab host for the
role, the fleet on local simulators) and checks that build/bench-smoke/results.json
holds every section with sane values. It checks no speed target: the figures of
a smoke run are too small and too noisy to judge (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "bench-smoke"
ARCHIVE = ROOT / "build" / "btsync_x64.tar.gz"
SECTIONS = ("per_task", "api_calls", "facts", "reuse", "throughput", "role", "fleet")
WRITES = ("add_folder", "remove_folder", "set_file_prefs", "set_folder_hosts", "set_folder_prefs", "set_prefs", "shutdown")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    assert ARCHIVE.exists(), "build the simulator archive first: make sync-archive"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / "bench.py"), "--smoke", "--out", str(OUT)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, f"bench.py --smoke exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    data: dict[str, Any] = json.loads((OUT / "results.json").read_text(encoding="utf-8"))
    return data


def test_every_section_ran(results: dict[str, Any]) -> None:
    for name in SECTIONS:
        assert name in results, f"no section {name}"
        assert "error" not in results[name], f"section {name} failed: {results[name].get('error')}"
    assert results["meta"]["variant"] == "smoke"


def test_per_task(results: dict[str, Any]) -> None:
    per = results["per_task"]
    assert per["samples"] == 2 * per["rounds"]
    for key in ("module_median_s", "uri_median_s"):
        assert 0.01 < per[key] < 30, (key, per[key])
    assert 0.1 < per["ratio_of_medians"] < 10
    assert per["module_changed"] == 0
    assert per["uri_api_calls"] == 1
    assert 1 <= per["module_api_calls"] <= 3


def test_api_calls_cover_every_case(results: dict[str, Any]) -> None:
    rows = results["api_calls"]["rows"]
    modules = {r["module"] for r in rows}
    assert modules == {"btsync_folder", "btsync_prefs", "btsync_folder_hosts", "btsync_file_pref", "btsync_facts", "btsync_secret",
                       "btsync_shutdown"}
    for row in rows:
        assert row["status"] == "ok", row
        # Fewer calls than the API allows means the log was not matched with the task.
        assert row["calls"] >= row["minimum"], row
        if row["case"].startswith("no change"):
            assert not row["changed"], row
        # A no-change or read-only task makes the fewest calls the API allows; a change may make more only
        # for a reason the report states.
        if row["case"].startswith("no change") or row["module"] in ("btsync_facts", "btsync_secret"):
            assert row["calls"] == row["minimum"], row
        assert row["calls"] == row["minimum"] or row["why_extra"], row
        if "check mode" in row["case"]:
            assert not any(method in row["methods"] for method in WRITES), f"a write in check mode: {row}"
        elif row["case"].startswith("change"):
            assert row["changed"] and any(method in row["methods"] for method in WRITES), row


def test_facts_subsets(results: dict[str, Any]) -> None:
    facts = results["facts"]
    rows = {r["subset"]: r for r in facts["rows"]}
    assert set(rows) == {"version", "os", "speed", "prefs", "folders", "folder_prefs", "folder_hosts", "folder_peers", "files", "all"}
    assert rows["folders"]["calls"] == 1
    for row in rows.values():
        assert row["calls"] >= row["minimum"] >= 1
        assert 0 < row["seconds"] < 60


def test_role_converges_then_changes_nothing(results: dict[str, Any]) -> None:
    role = results["role"]
    assert role["runs"]["first"]["rc"] == 0 and role["runs"]["first"]["changed"] > 0
    assert role["rerun_changed"] == 0
    for name, run in role["runs"].items():
        assert run["failed"] == 0, name
        if name != "first":
            assert run["handlers_run"] == [], run


def test_fleet_mesh_and_uri_baseline(results: dict[str, Any]) -> None:
    sizes = results["fleet"]["sizes"]
    assert sizes, "no fleet size ran"
    for data in sizes.values():
        summ = data["summary"]
        assert summ["all_ok"], summ
        assert summ["mesh_first_changed"] > 0 and summ["uri_first_changed"] > 0
        assert summ["mesh_rerun_changed"] == 0 and summ["uri_rerun_changed"] == 0
        assert summ["mesh_first_s"] > 0 and summ["uri_rerun_s"] > 0
        assert summ["mesh_rerun_play2_s"] > 0 and summ["uri_rerun_play2_s"] > 0
        assert summ["mesh_rerun_api_calls_per_host"] > 0 and summ["uri_rerun_api_calls_per_host"] > 0
        assert data["settings"]["rows"], "no Ansible setting was measured"
        # Every setting the docs recommend must leave the mesh working: a rerun fails nowhere and changes nothing.
        for row in data["settings"]["rows"]:
            assert row["rc"] == 0 and row["failed"] == 0 and row["changed"] == 0, row
        assert "strategy free" in {row["setting"] for row in data["settings"]["rows"]}


def test_connection_reuse(results: dict[str, Any]) -> None:
    reuse = results["reuse"]
    calls = reuse["simulator_http_1_0"]["calls_per_mode"]
    # The simulator closes every connection; its keep-alive variant keeps one per block.
    assert reuse["simulator_http_1_0"]["one_session"]["tcp_connections"] == calls
    assert reuse["keepalive_http_1_1"]["one_session"]["tcp_connections"] < calls
    assert reuse["keepalive_http_1_1"]["fresh_connection_per_call"]["tcp_connections"] == calls


def test_simulator_throughput(results: dict[str, Any]) -> None:
    tp = results["throughput"]
    assert tp["rows"]
    for row in tp["rows"]:
        assert row["errors"] == 0 and row["requests_per_s"] > 50, row
    assert tp["demand"]["requests_logged"] > 0


def test_targets_and_report(results: dict[str, Any]) -> None:
    targets = {t["id"]: t for t in results["targets"]}
    assert set(targets) == {"per_task_ratio", "no_change_minimum_calls", "facts_folders_one_call", "mesh_rerun"}
    for target in targets.values():
        assert target["measured"] and isinstance(target["met"], bool), target
    assert targets["facts_folders_one_call"]["met"]
    assert targets["no_change_minimum_calls"]["met"], targets["no_change_minimum_calls"]
    report = (OUT / "results.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## 1. Per-task cost", "## 2. API calls", "## 3. Many folders", "## 4. Fleet",
                    "## 5. Connection reuse", "## 6. The simulator's throughput", "## Findings"):
        assert heading in report, heading
