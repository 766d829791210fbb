"""The targets, the findings and the Markdown tables of results.json."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PER_TASK_TARGET = 1.15


def _largest(section: dict[str, Any] | None) -> dict[str, Any] | None:
    if not section or "sizes" not in section or not section["sizes"]:
        return None
    key = max(section["sizes"], key=int)
    value: dict[str, Any] = section["sizes"][key]
    return value


def _is_no_change_read(row: dict[str, Any]) -> bool:
    case = str(row["case"])
    if case.startswith("no change"):
        return True
    return row["module"] in ("btsync_facts", "btsync_secret") and "check mode" not in case


def evaluate_targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The four targets of issue 7, each as measured (met: None when its section did not run)."""
    targets: list[dict[str, Any]] = []
    per = res.get("per_task") or {}
    measured = per.get("ratio_of_medians")
    targets.append({
        "id": "per_task_ratio",
        "target": f"a no-change btsync_folder task costs at most {PER_TASK_TARGET}x the single uri get_folders task",
        "measured": None if measured is None else
        f"{measured}x (medians {per.get('module_median_s')} s vs {per.get('uri_median_s')} s; median of paired ratios "
        f"{per.get('median_pair_ratio')}x; {per.get('samples')} samples each)",
        "met": None if measured is None else measured <= PER_TASK_TARGET,
    })
    rows = (res.get("api_calls") or {}).get("rows")
    if rows:
        over = [r for r in rows if _is_no_change_read(r) and r["calls"] > r["minimum"]]
        checked = [r for r in rows if _is_no_change_read(r)]
        text = "; ".join(f"{r['module']} {r['case']}: {r['calls']} ({r['methods']}) vs {r['minimum']}" for r in over)
        targets.append({
            "id": "no_change_minimum_calls",
            "target": "a no-change task makes no more API calls than the minimum the API allows",
            "measured": f"{len(checked) - len(over)} of {len(checked)} no-change cases at the minimum" + (f"; over: {text}" if over else ""),
            "met": not over,
        })
    else:
        targets.append({"id": "no_change_minimum_calls", "target": "a no-change task makes no more API calls than the minimum",
                        "measured": None, "met": None})
    facts = res.get("facts") or {}
    folders_row = next((r for r in facts.get("rows", []) if r["subset"] == "folders"), None)
    targets.append({
        "id": "facts_folders_one_call",
        "target": f"btsync_facts gather_subset=folders on {facts.get('folders', '?')} folders makes one call",
        "measured": None if folders_row is None else f"{folders_row['calls']} call(s) ({folders_row['methods']}), {folders_row['seconds']} s",
        "met": None if folders_row is None else folders_row["calls"] == 1,
    })
    big = _largest(res.get("fleet"))
    if big and "summary" in big:
        summ = big["summary"]
        where = "lab hosts" if big.get("where") == "lab" else "local simulators (smoke)"
        targets.append({
            "id": "mesh_rerun",
            "target": f"the mesh rerun on {big['hosts']} hosts reports changed=0 and costs at most its uri baseline",
            "measured": f"changed={summ['mesh_rerun_changed']}; {summ['mesh_rerun_s']} s vs uri {summ['uri_rerun_s']} s "
                        f"= {summ['rerun_ratio']}x (medians of {summ['samples']['mesh_rerun']} and {summ['samples']['uri_rerun']} "
                        f"interleaved reruns, {where})",
            "met": summ["mesh_rerun_changed"] == 0 and summ["rerun_ratio"] is not None and summ["rerun_ratio"] <= 1.0,
        })
    else:
        targets.append({"id": "mesh_rerun", "target": "the mesh rerun reports changed=0 and costs at most its uri baseline",
                        "measured": None, "met": None})
    return targets


def findings(res: dict[str, Any]) -> list[str]:
    """What the figures show is slower than it needs to be (for the module and role owners)."""
    out: list[str] = []
    for row in (res.get("api_calls") or {}).get("rows", []):
        if row["calls"] > row["minimum"] and not row.get("why_extra"):
            out.append(f"{row['module']} ({row['case']}): {row['calls']} API calls ({row['methods']}); "
                       f"the minimum is {row['minimum']} ({row['minimum_methods']})")
    role = res.get("role") or {}
    for name, run in (role.get("runs") or {}).items():
        if name == "first":
            continue
        if run.get("changed_tasks"):
            out.append(f"role rerun ({name}) changed: {', '.join(run['changed_tasks'])}")
        if run.get("handlers_run"):
            out.append(f"role rerun ({name}) ran handlers: {', '.join(run['handlers_run'])}")
    for key in ("fleet", "fleet_local"):
        for size, data in ((res.get(key) or {}).get("sizes") or {}).items():
            summ = data.get("summary", {})
            if summ.get("mesh_rerun_changed"):
                out.append(f"{key} {size} hosts: a mesh rerun changed {summ['mesh_rerun_changed']} task(s)")
            if summ.get("uri_rerun_changed"):
                out.append(f"{key} {size} hosts: a uri baseline rerun changed {summ['uri_rerun_changed']} task(s)")
            for row in (data.get("settings") or {}).get("rows", []):
                if row["failed"] or row["changed"]:
                    out.append(f"{key} {size} hosts: the mesh rerun with {row['setting']} failed on {row['failed']} host(s) "
                               f"and changed {row['changed']} task(s)")
            mesh_calls = summ.get("mesh_rerun_api_calls_per_host")
            uri_calls = summ.get("uri_rerun_api_calls_per_host")
            if mesh_calls is not None and uri_calls is not None and mesh_calls > uri_calls:
                methods = data["mesh_rerun"][0]["api_calls"]["first_host_methods"]
                out.append(f"{key} {size} hosts: a mesh rerun makes {mesh_calls:g} API calls per host against {uri_calls:g} for the "
                           f"uri baseline (seed host: {methods})")
    return out


# --- Markdown -----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("|", "\\|")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _h in headers) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _error(section: dict[str, Any] | None) -> str | None:
    if section is None:
        return "not run\n"
    if "error" in section:
        return f"**failed**: `{section['error']}`\n"
    return None


def render(res: dict[str, Any]) -> str:
    meta = res["meta"]
    mach = meta["machine"]
    parts = [
        f"# Benchmark results ({meta['variant']})\n",
        f"`{meta['command']}` on {meta['started']}: {mach['cpus']} CPUs, Python {mach['python']}, ansible-core "
        f"{mach['ansible_core']}, load average {mach['loadavg_1_5_15']} at the start and {meta.get('loadavg_end')} at the end; "
        f"{meta.get('duration_s')} s in all. Times are wall-clock seconds on a shared machine: compare figures "
        "measured side by side, not across runs.\n",
        "## Targets\n",
        table(["target", "measured", "met"], [[t["target"], t["measured"], t["met"]] for t in res.get("targets", [])]),
    ]

    parts.append("## 1. Per-task cost (localhost, connection local, interleaved)\n")
    per = res.get("per_task")
    if per is None or "error" in per:
        parts.append(_error(per) or "")
    else:
        parts.append(_per_task(per))

    parts.append("## 2. API calls per task (from the simulator's request log)\n")
    calls = res.get("api_calls")
    if calls is None or "error" in calls:
        parts.append(_error(calls) or "")
    else:
        parts.append(table(
            ["module", "case", "changed", "calls", "minimum", "calls made", "why more than the minimum"],
            [[r["module"], r["case"], r["changed"], r["calls"], r["minimum"], r["methods"], r.get("why_extra", "")]
             for r in calls["rows"]],
        ))

    parts.append("## 3. Many folders\n")
    role = res.get("role")
    parts.append(f"### The role converging {role.get('folders', '?') if role else '?'} folders on one lab host\n")
    if _error(role):
        parts.append(_error(role) or "")
    elif role is not None:
        parts.append(table(
            ["run", "wall s", "changed", "tasks run", "folder task s", "folder dirs s", "controller archive steps s", "facts s",
             "handlers"],
            [[name, r["wall_s"], r["changed"], r["tasks_run"], r["folder_task_s"], r["folder_dirs_s"], r["archive_steps_s"],
              r["gathering_facts_s"], ", ".join(r["handlers_run"]) or "none"] for name, r in role["runs"].items()],
        ) + f"\nRerun without pipelining: {role['rerun_median_s']} s (median), {role['per_folder_rerun_ms']} ms per folder in the "
            f"folder task; with pipelining: {role['rerun_pipelining_median_s']} s ({role['pipelining_ratio']}x).\n")
    facts = res.get("facts")
    parts.append(f"### btsync_facts on {facts.get('folders', '?') if facts else '?'} folders\n")
    if facts is None or "error" in facts:
        parts.append(_error(facts) or "")
    else:
        parts.append(table(
            ["gather_subset", "calls", "minimum", "seconds"],
            [[r["subset"], r["calls"], r["minimum"], r["seconds"]] for r in facts["rows"]],
        ))

    parts.append("## 4. Fleet: the mesh playbook against hand-written uri tasks\n")
    for key, title in (("fleet", "wall time"), ("fleet_local", "API calls, on local simulators")):
        fl = res.get(key)
        if fl is None:
            continue
        if _error(fl):
            parts.append(f"{title}: " + (_error(fl) or ""))
            continue
        rows = []
        for size, data in sorted(fl["sizes"].items(), key=lambda kv: int(kv[0])):
            summ = data["summary"]
            rows.append([f"{size} ({data['where']})", summ["mesh_first_s"], summ["uri_first_s"], summ["first_ratio"],
                         summ["mesh_rerun_s"], summ["uri_rerun_s"], summ["rerun_ratio"],
                         f"{summ['mesh_rerun_play2_s']} / {summ['uri_rerun_play2_s']}",
                         f"{summ['mesh_rerun_changed']} / {summ['uri_rerun_changed']}",
                         _calls(summ)])
        parts.append(f"### {title}\n")
        parts.append(table(["hosts", "mesh first s", "uri first s", "ratio", "mesh rerun s", "uri rerun s", "ratio",
                            "rerun, API play only s (mesh / uri)", "rerun changed (mesh / uri)",
                            "API calls per host (mesh first/rerun, uri first/rerun)"], rows))
        for data in fl["sizes"].values():
            if "settings" in data:
                st = data["settings"]
                parts.append(f"\n#### Ansible settings, mesh rerun on {st['hosts']} hosts ({data['where']})\n")
                parts.append(table(["setting", "wall s", "vs defaults", "changed", "failed"],
                                   [[r["setting"], r["wall_s"], r["vs_defaults"], r["changed"], r["failed"]] for r in st["rows"]]))
        parts.append("\n")

    parts.append("## 5. Connection reuse (BtsyncClient, get_version)\n")
    reuse = res.get("reuse")
    if _error(reuse):
        parts.append(_error(reuse) or "")
    elif reuse is not None:
        rows = []
        for key, label in (("simulator_http_1_0", "the simulator (HTTP/1.0, closes after each answer)"),
                           ("keepalive_http_1_1", "the simulator switched to HTTP/1.1 keep-alive")):
            data = reuse[key]
            rows.append([label, data["one_session"]["median_ms_per_call"], data["one_session"]["tcp_connections"],
                         data["fresh_connection_per_call"]["median_ms_per_call"], data["fresh_connection_per_call"]["tcp_connections"],
                         data["saving"]])
        parts.append(table(["server", "one session ms/call", "connections", "fresh client ms/call", "connections",
                            "fresh / session"], rows) + f"\n{reuse['simulator_http_1_0']['calls_per_mode']} calls per mode.\n")

    parts.append("## 6. The simulator's throughput\n")
    tp = res.get("throughput")
    if _error(tp):
        parts.append(_error(tp) or "")
    elif tp is not None:
        parts.append(table(["method", "concurrent clients", "requests/s", "mean latency ms", "errors"],
                           [[r["method"], r["clients"], r["requests_per_s"], r["mean_latency_ms"], r["errors"]] for r in tp["rows"]]))
        if "demand" in tp:
            parts.append(f"\nThe busiest second of the other sections asked {tp['demand']['peak_requests_per_s']:g} requests/s of one "
                         f"simulator ({tp['demand']['requests_logged']} requests logged in all).\n")

    parts.append("\n## Findings\n")
    parts.append("".join(f"- {item}\n" for item in res.get("findings", [])) or "none\n")
    return "\n".join(parts)


def _per_task(per: dict[str, Any]) -> str:
    return table(
        ["task", "median s", "p10 s", "p90 s", "API calls"],
        [
            ["btsync_folder, folder present (no change)", per["module_median_s"], per["module_p10_s"], per["module_p90_s"],
             per["module_api_calls"]],
            ["uri get_folders + presence check", per["uri_median_s"], per["uri_p10_s"], per["uri_p90_s"], per["uri_api_calls"]],
        ],
    ) + (f"\nRatio of medians **{per['ratio_of_medians']}x**, median of the paired ratios {per['median_pair_ratio']}x "
         f"({per['samples']} samples each, {per['rounds']} rounds of A B B A after {per['warmup_rounds']} warm-up rounds).\n")


def _calls(summ: dict[str, Any]) -> str:
    keys = ("mesh_first", "mesh_rerun", "uri_first", "uri_rerun")
    if not all(f"{k}_api_calls_per_host" in summ for k in keys):
        return "-"
    values = [summ[f"{k}_api_calls_per_host"] for k in keys]
    return f"{values[0]:g}/{values[1]:g}, {values[2]:g}/{values[3]:g}"
