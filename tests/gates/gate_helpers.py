"""Helpers for the ecosystem gates (tests/gates): each gate runs one make target or tool.

A module of its own (not conftest) so that test modules can import it by a name
no other test directory uses.
"""

from __future__ import annotations

import pathlib
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What a failure message shows of the tool's output (its last lines).
TAIL_LINES = 150


def tail(text: str, lines: int = TAIL_LINES) -> str:
    parts = text.splitlines()
    cut = len(parts) - lines
    head = [f"... ({cut} earlier lines cut)"] if cut > 0 else []
    return "\n".join(head + parts[-lines:])


def run(cmd: list[str], timeout: float, env: dict[str, str] | None = None, cwd: pathlib.Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run cmd, stdout and stderr merged, and say how long it took."""
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    print(f"{' '.join(cmd)}: exit {proc.returncode} in {time.monotonic() - started:.1f}s")
    return proc


def assert_ok(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode == 0, f"{what} failed (exit {proc.returncode}):\n{tail(proc.stdout)}"
