"""Fixtures of the ecosystem gates."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import pytest
from gate_helpers import assert_ok, run


@pytest.fixture
def make_gate() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `make TARGET` in the checkout; fail the test with the tool's output if it fails."""

    def _make(target: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        # A make that runs pytest (make test) must not leak its MAKEFLAGS/-j into ours.
        for var in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
            env.pop(var, None)
        # Plain text in failure messages (ansible-lint, ansible-doc, pytest colour their output otherwise).
        env.update(NO_COLOR="1", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
        proc = run(["make", "--no-print-directory", target], timeout=timeout, env=env)
        assert_ok(proc, f"make {target}")
        return proc

    return _make
