"""Data: what Sync is told about a folder never touches the files in it.

One ``ansible-playbook`` run removes a folder holding a varied tree of files,
adds it again, recreates it with a new secret, recreates it as a
selective-sync folder, and removes another folder whose answer is lost. The
probe digests both trees after every task (every file's sha256, symlink
targets, directories) and snapshots the API, so each step is checked on its
own: the API shows the step happened, the tree is byte-identical.

What the role does with data (rerun, upgrade, ``btsync_state: absent`` with
and without purge) runs on systemd hosts in the role's molecule scenario; see
the ``X-role-*`` references checked in ``test_report.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability_lib import Sim, digest, find_leaks, play, random_secret, run_playbook, sims_vars, tree_digest, tree_hashes

pytestmark = pytest.mark.slow


def make_tree(root: Path) -> None:
    """Nested, hidden, empty, binary, unicode-named files, an empty directory and a symlink."""
    (root / "docs" / "deep" / "a" / "b").mkdir(parents=True)
    (root / "docs" / "report.txt").write_text("quarterly report\n" * 100, encoding="utf-8")
    (root / "docs" / "deep" / "a" / "b" / "c.txt").write_text("deep\n", encoding="utf-8")
    (root / ".hidden").write_text("hidden\n", encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "big.bin").write_bytes(os.urandom(1024 * 1024))
    (root / "ünïcødé файл.txt").write_text("unicode\n", encoding="utf-8")
    (root / "emptydir").mkdir()
    (root / "link").symlink_to("docs/report.txt")


def folder_task(name: str, sim: Sim, **args: Any) -> dict[str, Any]:
    conn = {key: f"{{{{ rely_sims['{sim.name}']['{key}'] }}}}" for key in ("api_url", "api_user", "api_password")}
    return {"name": name, "syncops.btsync.btsync_folder": {**conn, **args}}


def test_folder_operations_keep_every_file(tmp_path: Path, sims: Callable[..., Sim], report: Any) -> None:
    sim = sims("data")
    lossy = sims("data-lossy", faults=["--fault-lose-response-rate", "1", "--fault-methods", "remove_folder"])
    tree, other = tmp_path / "data" / "tree", tmp_path / "data" / "other"
    for root in (tree, other):
        root.mkdir(parents=True)
        make_tree(root)
    roots = {"tree": tree, "other": other}
    initial = {name: tree_digest(root) for name, root in roots.items()}
    initial_files = {name: tree_hashes(root) for name, root in roots.items()}
    files = len(initial_files["tree"])
    assert lossy.api("add_folder", dir=str(other), force=True) == {"error": 0}
    new_secret = random_secret("A")

    tasks = [
        folder_task("Add the folder", sim, path=str(tree), force=True),
        folder_task("D-remove", sim, path=str(tree), state="absent"),
        folder_task("D-readd", sim, path=str(tree), force=True),
        folder_task("D-recreate-secret", sim, path=str(tree), secret="{{ rely_new_secret }}", recreate=True),
        folder_task("D-recreate-selective", sim, path=str(tree), selective_sync=True, recreate=True),
        folder_task("D-remove-lost-answer", lossy, path=str(other), state="absent"),
    ]
    run = run_playbook(
        "data",
        [play("Folder operations and the files on disk", tasks)],
        tmp_path,
        extra_vars={**sims_vars(sim, lossy), "rely_new_secret": new_secret},
        snapshot_sim=sim,
        trees={"tree": tree, "other": other},
    )

    expectations: dict[str, Callable[[dict[str, Any]], str | None]] = {
        "D-remove": lambda state: None if str(tree) not in state["folders"] else "the folder is still in Sync",
        "D-readd": lambda state: None if str(tree) in state["folders"] else "the folder is not in Sync",
        "D-recreate-secret": lambda state: (
            None if state["folders"].get(str(tree), {}).get("secret") == digest(new_secret) else "not re-added with the new secret"
        ),
        "D-recreate-selective": lambda state: (
            None if any("download" in entry for entry in state["folders"].get(str(tree), {}).get("files", [])) else "not a selective-sync folder"
        ),
        "D-remove-lost-answer": lambda state: None if str(other) not in lossy.folders() else "the folder is still in Sync",
    }
    failures = []
    for case_id, expect in expectations.items():
        record = run.result(case_id)
        name = "other" if case_id == "D-remove-lost-answer" else "tree"
        problems = []
        if record["status"] != "ok" or not record["changed"]:
            problems.append(f"task ended {record['status']}, changed={record['changed']}: {str(record['result'].get('msg', ''))[:200]}")
        after = record.get("after") or {}
        why = expect(after["state"]) if after.get("ok") else "no snapshot"
        if why:
            problems.append(why)
        observed = record.get("trees", {}).get(name, {})
        lost = 0
        if observed != initial[name]:
            now = tree_hashes(roots[name])
            lost = sum(1 for key, value in initial_files[name].items() if now.get(key) != value) or files
            problems.append(f"the files changed after this step: {lost} entries differ now")
        outcome = f"changed; the {observed.get('entries', '?')} entries of the tree byte-identical after the step"
        if problems:
            failures.append(f"{case_id}: {'; '.join(problems)}")
            report.case(case_id, "fail", "; ".join(problems), files_checked=files, files_lost=lost)
        else:
            report.case(case_id, "pass", outcome, files_checked=files, files_lost=0)
    if lossy.count("remove_folder") != 1:
        failures.append(f"D-remove-lost-answer: remove_folder sent {lossy.count('remove_folder')} times")
    sensitive = {**sim.sensitive(), "the new secret": new_secret}
    lossy.calm()
    sensitive.update(lossy.sensitive())
    leaks = find_leaks(run.output, sensitive)
    report.scan(run.log.name, len(sensitive), leaks)
    failures += leaks
    assert not failures, f"see {run.log}:\n" + "\n".join(failures)
