# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""btsync_folder_hosts against the simulator."""

from __future__ import annotations

from typing import Any, Callable, Dict, List

import pytest
from ansible_collections.syncops.btsync.plugins.modules import btsync_folder_hosts

RunModule = Callable[..., Dict[str, Any]]
MODES = pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])
HOSTS = ["Nas1.Example.com:4000", "192.0.2.10:4000", "[2001:DB8::10]:4000"]
NORMALISED = ["nas1.example.com:4000", "192.0.2.10:4000", "[2001:db8::10]:4000"]


def run(run_module: RunModule, sim: Any, check_mode: bool = False, **args: Any) -> Dict[str, Any]:
    sim.mark()
    return run_module(btsync_folder_hosts.main, dict(sim.conn, **args), check_mode=check_mode)


@pytest.fixture
def folder(sim: Any) -> Dict[str, str]:
    path = sim.directory("data")
    return {"path": path, "secret": sim.add(path)}


def live_hosts(sim: Any, folder: Dict[str, str]) -> List[str]:
    return list(sim.api("get_folder_hosts", secret=folder["secret"])["hosts"])


def behaviour(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool, start: List[str],
              args: Dict[str, Any], expected: List[str] | None) -> None:
    """Run from ``start``; ``expected`` None means already in state."""
    sim.api("set_folder_hosts", secret=folder["secret"], hosts=",".join(start))
    result = run(run_module, sim, check_mode, path=folder["path"], **args)
    if expected is None:
        assert result["changed"] is False and result["diff"] == {"before": {}, "after": {}}
        assert sim.writes() == []
        return
    assert result["changed"] is True
    assert result["hosts"] == expected
    assert result["diff"]["after"] == {"hosts": expected}
    if check_mode:
        assert sim.writes() == []
        assert live_hosts(sim, folder) == start
        real = run(run_module, sim, path=folder["path"], **args)
        assert (real["changed"], real["diff"]) == (True, result["diff"])
    assert sim.writes() == ["set_folder_hosts"]
    assert sorted(live_hosts(sim, folder)) == sorted(expected)


@pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])
def test_exact_change(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, ["old.example:1"], {"hosts": HOSTS}, NORMALISED)


@MODES
def test_exact_in_state_any_order(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, list(reversed(NORMALISED)), {"hosts": HOSTS}, None)


@MODES
def test_exact_empty_clears(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, ["old.example:1"], {"hosts": []}, [])


@MODES
def test_exact_empty_in_state(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, [], {"hosts": []}, None)


@MODES
def test_present_adds(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, ["keep.example:1"], {"hosts": HOSTS[:2], "state": "present"},
              ["keep.example:1", *NORMALISED[:2]])


@MODES
def test_present_in_state(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, ["keep.example:1", *NORMALISED],
              {"hosts": HOSTS[:1], "state": "present"}, None)


@MODES
def test_absent_removes(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, ["keep.example:1", *NORMALISED],
              {"hosts": HOSTS, "state": "absent"}, ["keep.example:1"])


@MODES
def test_absent_in_state(run_module: RunModule, sim: Any, folder: Dict[str, str], check_mode: bool) -> None:
    behaviour(run_module, sim, folder, check_mode, ["keep.example:1"], {"hosts": HOSTS, "state": "absent"}, None)


def test_by_secret(run_module: RunModule, sim: Any, folder: Dict[str, str]) -> None:
    result = run(run_module, sim, secret=folder["secret"], hosts=["a.example:1"])
    assert result["changed"] is True and live_hosts(sim, folder) == ["a.example:1"]
    assert folder["secret"] not in str(result["diff"])


@pytest.mark.parametrize("host", ["nas1.example.com", "nas1:0", "nas1:65536", "2001:db8::1:80", "bad_host:1",
                                  "999.1.1.1:1", "[zz::1]:1", "a,b:1"])
def test_invalid_host_fails_before_any_call(run_module: RunModule, sim: Any, folder: Dict[str, str], host: str) -> None:
    result = run(run_module, sim, path=folder["path"], hosts=["ok.example:1", host])
    assert result["failed"] and result["msg"].startswith("invalid host")
    assert sim.calls() == []


def test_missing_folder(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, path="/srv/nowhere", hosts=[])
    assert result["failed"] and result["msg"] == "no such folder on the Sync host: path /srv/nowhere"
    assert sim.writes() == []
