# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role on three systemd hosts: ``molecule test`` of roles/btsync/molecule/default.

The hosts are systemd-nspawn guests made by tests/lab/lab.sh (root, debootstrap
and systemd-nspawn needed: tests/tools/install-system-deps.sh installs them).
Check mode on fresh hosts, converge, idempotence, verify (refusals, service,
files, API, restart/upgrade, kill -9, removal, package check mode), destroy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "btsync"
BIN = Path(sys.executable).parent
TAIL_LINES = 200


def missing_requirements() -> list[str]:
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    missing += [tool for tool in ("debootstrap", "systemd-nspawn", "ip", "ssh") if shutil.which(tool) is None]
    if not (BIN / "molecule").exists():
        missing.append(f"{BIN}/molecule")
    return missing


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_molecule_default_scenario() -> None:
    missing = missing_requirements()
    # A skipped role test would read as a pass: missing tools fail the test.
    assert not missing, f"the lab hosts need {', '.join(missing)} (see tests/lab/README.md)"
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / "build" / "collections")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.setdefault("PY_COLORS", "0")
    started = time.monotonic()
    proc = subprocess.run(
        [str(BIN / "molecule"), "test"],
        cwd=ROLE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1150,
        check=False,
    )
    print(f"molecule test: exit {proc.returncode} in {time.monotonic() - started:.1f}s")
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, "molecule test failed:\n" + "\n".join(lines[-TAIL_LINES:])
