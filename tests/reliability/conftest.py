"""Fixtures of the reliability suite, and the report written when the session ends.

Tests record the outcome of each case of ``reliability_cases.py`` with the
``report`` fixture; when a pytest process ends its session, what it recorded
is merged into ``build/reliability/report.json`` and, for a complete run,
``docs/reliability.md`` (see ``reliability_report.py``).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import reliability_lib  # noqa: E402 - needs the path above
import reliability_report  # noqa: E402

STORE = reliability_report.Store()
RUN_ID = uuid.uuid4().hex


class Recorder:
    """Records outcomes for the report, under the id of a catalogued case."""

    def __init__(self, test: str) -> None:
        self.test = test

    def case(self, case_id: str, status: str, outcome: str, finding: str | None = None, **metrics: Any) -> None:
        STORE.case(case_id, status, outcome, self.test, finding, **metrics)

    def scan(self, name: str, values: int, leaks: Sequence[str]) -> None:
        """One captured output searched for ``values`` sensitive values; ``leaks`` are labels, never values."""
        STORE.scan(name, values, leaks, self.test)


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Recorder:
    return Recorder(request.node.nodeid)


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Callable[..., reliability_lib.Sim]]:
    """Start simulators (``sims(name, faults=[...])``) in ``tmp_path``; all are stopped at the end."""
    with reliability_lib.simulators(tmp_path) as factory:
        yield factory


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workerinput = getattr(session.config, "workerinput", None)
    if workerinput is not None:
        run_id, process = str(workerinput["testrunuid"]), str(workerinput["workerid"])
    else:
        run_id, process = RUN_ID, "main"
    for path in reliability_lib.PRIVATE_FILES:
        if path.exists():
            STORE.private.append({"path": str(path), "mode": f"{reliability_lib.file_mode(path):o}"})
    if STORE.cases or STORE.scans or STORE.private:
        reliability_report.finish(STORE, run_id, process)
