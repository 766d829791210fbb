# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""btsync_shutdown against the simulator."""

from __future__ import annotations

from typing import Any, Callable, Dict

from ansible_collections.syncops.btsync.plugins.modules import btsync_shutdown

RunModule = Callable[..., Dict[str, Any]]


def run(run_module: RunModule, sim: Any, check_mode: bool = False, **args: Any) -> Dict[str, Any]:
    sim.mark()
    return run_module(btsync_shutdown.main, dict(sim.conn, **args), check_mode=check_mode)


def test_check_mode_keeps_it_running(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, check_mode=True)
    assert result["changed"] is True and result["version"] == "1.4.111"
    assert sim.calls() == ["get_version"]
    assert sim.proc.running


def test_shutdown(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim)
    assert result["changed"] is True
    assert sim.calls() == ["get_version", "shutdown"]
    sim.proc._proc.wait(10)
    assert not sim.proc.running


def test_already_stopped_fails(run_module: RunModule, sim: Any) -> None:
    sim.proc.stop()
    result = run(run_module, sim, retries=0)
    assert result["failed"] and result["msg"].startswith("get_version: cannot reach the Sync API at %s/api" % sim.proc.url)


def test_lost_answer_is_confirmed(run_module: RunModule, sim_factory: Any) -> None:
    lossy = sim_factory("lossy", ["--fault-lose-response-rate", "1", "--fault-methods", "shutdown"])
    result = run(run_module, lossy)
    assert result["changed"] is True and not result.get("failed"), result
    assert lossy.calls().count("shutdown") == 1
