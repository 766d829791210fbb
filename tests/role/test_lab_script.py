# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tests/lab/lab.sh refuses parameters that would collide or break (no root needed).

Every case fails in argument checking, before the script touches the system.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[2] / "tests" / "lab" / "lab.sh"


def lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(LAB), *args], capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "muchtoolong", "status"], "--name must be"),
        (["--name", "Upper", "status"], "--name must be"),
        (["--count", "0", "status"], "--count must be"),
        (["--count", "100", "status"], "--count must be"),
        (["--subnet", "192.168.1", "status"], "--subnet must be 10.77.X"),
        (["--subnet", "10.77.300", "status"], "--subnet must be 10.77.X"),
        (["--bridge", "br-this-is-too-long", "status"], "longer than 15"),
        (["--frobnicate", "status"], "unknown option"),
    ],
)
def test_refuses(args: list[str], message: str) -> None:
    proc = lab(*args)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_usage_without_command() -> None:
    proc = lab()
    assert proc.returncode == 2
    assert "rootfs|up|down|status|inventory|ssh" in proc.stderr


def test_status_of_an_absent_lab() -> None:
    proc = lab("--name", "nolab", "--state", "/nonexistent/syncops-lab", "status")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "lab nolab: down"
