# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""btsync_secret against the simulator: generates or derives, never changes anything."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest
from ansible_collections.syncops.btsync.plugins.modules import btsync_secret

RunModule = Callable[..., Dict[str, Any]]
MODES = pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])


def run(run_module: RunModule, sim: Any, check_mode: bool = False, **args: Any) -> Dict[str, Any]:
    sim.mark()
    return run_module(btsync_secret.main, dict(sim.conn, **args), check_mode=check_mode)


@MODES
def test_generate(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    result = run(run_module, sim, check_mode)
    assert result["changed"] is False
    assert result["secrets"]["read_write"][0] == "A" and result["secrets"]["read_only"][0] == "B"
    assert sim.calls() == ["get_secrets"]


@MODES
def test_generate_encryption(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    secrets = run(run_module, sim, check_mode, encryption=True)["secrets"]
    assert [secrets[key][0] for key in ("read_write", "read_only", "encryption")] == ["D", "E", "F"]


@MODES
def test_derive(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    generated = sim.new_secrets()
    result = run(run_module, sim, check_mode, secret=generated["read_write"])
    assert result["changed"] is False
    assert result["secrets"]["read_only"] == generated["read_only"]
    assert result["secrets"]["read_write"] != generated["read_write"]  # equal to the no_log option: masked


def test_derive_from_read_only(run_module: RunModule, sim: Any) -> None:
    read_only = sim.new_secrets()["read_only"]
    result = run(run_module, sim, secret=read_only)
    assert "read_write" not in result["secrets"]


def test_invalid_secret_fails_before_any_call(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, secret="not-a-secret")
    assert result["failed"] and result["msg"].startswith("invalid secret")
    assert sim.calls() == []


def test_secret_and_encryption(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, secret=sim.new_secrets()["read_write"], encryption=True)
    assert result["failed"] and "encryption only applies when generating" in result["msg"]
    assert sim.calls() == []
