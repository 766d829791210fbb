# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""btsync_file_pref against the simulator."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest
from ansible_collections.syncops.btsync.plugins.modules import btsync_file_pref

RunModule = Callable[..., Dict[str, Any]]
MODES = pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])
FILES = {"docs/report.pdf": "r", "docs/notes.txt": "n", "photos/a.jpg": "a", "top.txt": "t"}


def run(run_module: RunModule, sim: Any, check_mode: bool = False, **args: Any) -> Dict[str, Any]:
    sim.mark()
    return run_module(btsync_file_pref.main, dict(sim.conn, **args), check_mode=check_mode)


@pytest.fixture
def selective(sim: Any) -> Dict[str, str]:
    path = sim.directory("sel", FILES)
    return {"path": path, "secret": sim.add(path, selective_sync=1, force=1)}


def download(sim: Any, folder: Dict[str, str], relative: str) -> int:
    parent, _dummy, name = relative.rpartition("/")
    for entry in sim.api("get_files", secret=folder["secret"], path=parent or None):
        if entry["name"] == name:
            return int(entry["download"])
    raise AssertionError("%s not listed" % relative)


@MODES
def test_change(run_module: RunModule, sim: Any, selective: Dict[str, str], check_mode: bool) -> None:
    args = dict(path=selective["path"], files=["docs/report.pdf", "./top.txt", "photos"], download=False)
    result = run(run_module, sim, check_mode, **args)
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {"files": {"docs/report.pdf": True, "top.txt": True, "photos": True}},
        "after": {"files": {"docs/report.pdf": False, "top.txt": False, "photos": False}}}
    assert [(item["path"], item["download"], item["type"]) for item in result["files"]] == [
        ("docs/report.pdf", False, "file"), ("top.txt", False, "file"), ("photos", False, "folder")]
    if check_mode:
        assert sim.writes() == []
        assert download(sim, selective, "docs/report.pdf") == 1
        real = run(run_module, sim, **args)
        assert (real["changed"], real["diff"], real["files"]) == (True, result["diff"], result["files"])
    assert sim.writes() == ["set_file_prefs"] * 3
    assert download(sim, selective, "docs/report.pdf") == 0 and download(sim, selective, "docs/notes.txt") == 1
    assert download(sim, selective, "photos/a.jpg") == 0  # a directory's choice applies inside it


@MODES
def test_in_state(run_module: RunModule, sim: Any, selective: Dict[str, str], check_mode: bool) -> None:
    sim.api("set_file_prefs", secret=selective["secret"], path="docs/report.pdf", download=0)
    result = run(run_module, sim, check_mode, secret=selective["secret"], files=["docs/report.pdf"], download=False)
    assert result["changed"] is False and result["diff"] == {"before": {}, "after": {}}
    # The listing tells the folder's mode: no get_folder_prefs on the way.
    assert sim.calls() == ["get_folders", "get_files"]


@MODES
def test_download_again(run_module: RunModule, sim: Any, selective: Dict[str, str], check_mode: bool) -> None:
    sim.api("set_file_prefs", secret=selective["secret"], path="top.txt", download=0)
    result = run(run_module, sim, check_mode, path=selective["path"], files=["top.txt", "docs/notes.txt"], download=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"files": {"top.txt": False}}, "after": {"files": {"top.txt": True}}}
    assert download(sim, selective, "top.txt") == (0 if check_mode else 1)


@pytest.mark.parametrize("path, message", [
    ("../etc/passwd", "leaves the folder"), ("docs/../../x", "leaves the folder"), ("/etc/passwd", "is absolute"),
    ("C:\\x", "is absolute"), ("", "must not be empty"), (".", "names the folder itself")])
def test_bad_paths_fail_before_any_call(run_module: RunModule, sim: Any, selective: Dict[str, str], path: str,
                                        message: str) -> None:
    result = run(run_module, sim, path=selective["path"], files=["top.txt", path], download=True)
    assert result["failed"] and message in result["msg"], result["msg"]
    assert sim.calls() == []


def test_not_selective_fails_clearly(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("all", {"a.txt": "a"})
    sim.add(path, force=1)
    result = run(run_module, sim, path=path, files=["a.txt"], download=False)
    assert result["failed"]
    assert result["msg"].startswith("the folder at %s is not a selective-sync folder" % path)
    assert "selective_sync: true" in result["msg"]
    assert sim.writes() == []


def test_not_selective_missing_file_names_the_mode(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("all-empty")
    sim.add(path, force=1)
    result = run(run_module, sim, path=path, files=["a.txt"], download=False)
    assert result["failed"] and result["msg"].startswith("the folder at %s is not a selective-sync folder" % path)
    assert sim.writes() == []


def test_missing_file(run_module: RunModule, sim: Any, selective: Dict[str, str]) -> None:
    result = run(run_module, sim, path=selective["path"], files=["docs/missing.pdf"], download=True)
    assert result["failed"] and result["msg"] == "docs/missing.pdf is not in the folder at %s (get_files does not list it)" % (
        selective["path"])


def test_missing_folder(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, path="/srv/none", files=["a"], download=True)
    assert result["failed"] and "no such folder" in result["msg"]
