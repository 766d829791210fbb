# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""btsync_facts against the simulator: what is gathered, and which calls it takes."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest
from ansible_collections.syncops.btsync.plugins.modules import btsync_facts

RunModule = Callable[..., Dict[str, Any]]


def run(run_module: RunModule, sim: Any, check_mode: bool = False, **args: Any) -> Dict[str, Any]:
    sim.mark()
    return run_module(btsync_facts.main, dict(sim.conn, **args), check_mode=check_mode)


@pytest.fixture
def populated(sim: Any) -> Dict[str, str]:
    path = sim.directory("data", {"a.txt": "aaa"})
    secret = sim.add(path, force=1)
    sim.api("set_folder_hosts", secret=secret, hosts="peer.example:4000")
    return {"path": path, "secret": secret}


@pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])
def test_all(run_module: RunModule, sim: Any, populated: Dict[str, str], check_mode: bool) -> None:
    result = run(run_module, sim, check_mode)
    assert result["changed"] is False
    facts = result["ansible_facts"]["btsync"]
    assert sorted(facts) == ["folders", "os", "prefs", "speed", "version"]
    assert facts["version"] == "1.4.111" and facts["os"] == "linux"
    assert facts["speed"] == {"download": 0, "upload": 0}
    assert facts["prefs"]["device_name"] == "unit-test" and facts["prefs"]["disk_low_priority"] is True
    [folder] = facts["folders"]
    assert folder["path"] == populated["path"] and folder["type"] == "read_write"
    assert (folder["files"], folder["size"], folder["error"], folder["indexing"]) == (1, 3, 0, False)
    assert folder["preferences"]["use_relay_server"] is True and folder["preferences"]["selective_sync"] is False
    assert folder["hosts"] == ["peer.example:4000"]
    assert folder["peers"] == []
    assert "file_list" not in folder and "secrets" not in folder
    assert populated["secret"] not in str(result)
    assert sim.writes() == []


def test_folders_is_one_call(run_module: RunModule, sim: Any, populated: Dict[str, str]) -> None:
    result = run(run_module, sim, gather_subset=["folders"])
    assert sorted(result["ansible_facts"]["btsync"]) == ["folders"]
    assert sorted(result["ansible_facts"]["btsync"]["folders"][0]) == [
        "error", "files", "indexing", "path", "size", "type"]
    assert sim.calls() == ["get_folders"]


def test_exclusions(run_module: RunModule, sim: Any, populated: Dict[str, str]) -> None:
    result = run(run_module, sim, gather_subset=["!folder_peers", "!speed"])
    facts = result["ansible_facts"]["btsync"]
    assert sorted(facts) == ["folders", "os", "prefs", "version"]
    assert "peers" not in facts["folders"][0] and "hosts" in facts["folders"][0]
    assert "get_folder_peers" not in sim.calls() and "get_speed" not in sim.calls()


def test_not_all_but_some(run_module: RunModule, sim: Any, populated: Dict[str, str]) -> None:
    result = run(run_module, sim, gather_subset=["!all", "version", "files"])
    facts = result["ansible_facts"]["btsync"]
    assert sorted(facts) == ["folders", "version"]
    assert [item["name"] for item in facts["folders"][0]["file_list"]] == ["a.txt"]
    assert sim.calls() == ["get_version", "get_folders", "get_files"]


def test_include_secrets(run_module: RunModule, sim: Any, populated: Dict[str, str]) -> None:
    result = run(run_module, sim, gather_subset=["folders"], include_secrets=True)
    secrets = result["ansible_facts"]["btsync"]["folders"][0]["secrets"]
    assert secrets["read_write"] == populated["secret"] and secrets["read_only"][0] == "B"
    assert sim.calls() == ["get_folders", "get_secrets"]


def test_paths_limit_the_per_folder_calls(run_module: RunModule, sim: Any, populated: Dict[str, str]) -> None:
    others = [sim.directory(name) for name in ("other1", "other2")]
    for path in others:
        sim.add(path)
    result = run(run_module, sim, gather_subset=["folder_peers", "folder_hosts"], paths=[populated["path"] + "/", "/not/a/folder"])
    [folder] = result["ansible_facts"]["btsync"]["folders"]
    assert folder["path"] == populated["path"] and folder["hosts"] == ["peer.example:4000"] and folder["peers"] == []
    # One get_folders, then the two per-folder calls of the one folder asked for: none for the others.
    assert sim.calls() == ["get_folders", "get_folder_hosts", "get_folder_peers"]


def test_empty_paths_gather_no_folder(run_module: RunModule, sim: Any, populated: Dict[str, str]) -> None:
    result = run(run_module, sim, gather_subset=["folder_prefs"], paths=[])
    assert result["ansible_facts"]["btsync"]["folders"] == []
    assert sim.calls() == ["get_folders"]


def test_unknown_subset(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, gather_subset=["version", "hardware"])
    assert result["failed"] and result["msg"].startswith("unknown gather_subset hardware; valid: all, files")
    assert sim.calls() == []


def test_subset_selection() -> None:
    select = btsync_facts.select_subsets
    default = {"folder_hosts", "folder_peers", "folder_prefs", "folders", "os", "prefs", "speed", "version"}
    assert select(["all"]) == default
    assert select(["!files"]) == default
    assert select(["!all"]) == set()
    assert select(["all", "files", "!os"]) == (default | {"files"}) - {"os"}
    assert select(["version", "!version"]) == set()
    assert select([" prefs "]) == {"prefs"}


@pytest.mark.parametrize("name", ["x" * 3000, "two\nlines", "!" + "y" * 3000])
def test_unknown_subset_is_echoed_on_one_bounded_line(name: str) -> None:
    with pytest.raises(btsync_facts.BtsyncValidationError) as info:
        btsync_facts.select_subsets(["version", name])
    msg = str(info.value)
    assert "\n" not in msg and len(msg.split("; valid", maxsplit=1)[0]) < 80
