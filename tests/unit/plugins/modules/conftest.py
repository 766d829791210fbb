# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of the module tests: a real simulator per test, and ways to look at it.

Every module test runs the module's ``main()`` in-process against a fresh
simulator (``tests/simulator``, started as a subprocess by its harness), then
checks the result and reads the state back through the API directly
(``sim.api``), and the simulator's request log (method names only) to pin
which calls were made -- in particular, that check mode made no write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import WRITE_METHODS

try:
    from btsync_sim.harness import SimulatorProcess
except ImportError:  # pragma: no cover - the simulator ships with the collection's tests
    SimulatorProcess = None


class Sim(object):
    """A running simulator plus helpers for the tests."""

    def __init__(self, proc: Any, root: Path) -> None:
        self.proc = proc
        self.root = root
        self.request_log = root / "requests.jsonl"
        self._mark = 0

    @property
    def conn(self) -> Dict[str, Any]:
        """The connection options of a task against this simulator."""
        return {"api_url": self.proc.url, "api_user": self.proc.login, "api_password": self.proc.password,
                "timeout": 5, "retries": 2}

    def api(self, method: str, **params: Any) -> Any:
        return self.proc.api(method, **params)

    def directory(self, name: str, files: Dict[str, str] | None = None) -> str:
        """A directory for a folder, with ``files`` (relative path -> content) in it."""
        path = self.root / "data" / name
        path.mkdir(parents=True, exist_ok=True)
        for relative, content in (files or {}).items():
            target = path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        return str(path)

    def folders(self) -> List[Dict[str, Any]]:
        return list(self.api("get_folders"))

    def folder(self, path: str) -> Dict[str, Any] | None:
        for folder in self.folders():
            if os.path.normpath(folder["dir"]) == os.path.normpath(path):
                return dict(folder)
        return None

    def add(self, path: str, secret: str | None = None, **params: Any) -> str:
        """Add a folder directly through the API; return its secret."""
        answer = self.api("add_folder", dir=path, secret=secret, **params)
        assert answer == {"error": 0}, answer
        folder = self.folder(path)
        assert folder is not None
        return str(folder["secret"])

    def new_secrets(self, encryption: bool = False) -> Dict[str, str]:
        return dict(self.api("get_secrets", type="encryption" if encryption else None))

    # -- the request log -------------------------------------------------------

    def _entries(self) -> List[Dict[str, Any]]:
        try:
            text = self.request_log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def mark(self) -> None:
        """Forget the requests made so far (by the test's own set-up)."""
        self._mark = len(self._entries())

    def calls(self) -> List[str]:
        """API methods called since :meth:`mark`, in order."""
        return [entry["method"] for entry in self._entries()[self._mark:]]

    def writes(self) -> List[str]:
        return [method for method in self.calls() if method in WRITE_METHODS]


def start_sim(root: Path, extra_args: List[str] | None = None, **kwargs: Any) -> Sim:
    if SimulatorProcess is None:
        pytest.fail("the simulator (tests/simulator/btsync_sim) is not importable")
    root.mkdir(parents=True, exist_ok=True)
    log = root / "requests.jsonl"
    args = ["--request-log", str(log), *list(extra_args or [])]
    proc = SimulatorProcess(root / "sim", device_name="unit-test", extra_args=args, **kwargs)
    proc.start()
    return Sim(proc, root)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    """A fresh simulator for one test (login/password set, API enabled)."""
    instance = start_sim(tmp_path)
    try:
        yield instance
    finally:
        instance.proc.stop()


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[Any]:
    """Start simulators with other settings (faults, no API key...)."""
    started: List[Sim] = []

    def factory(name: str = "custom", extra_args: List[str] | None = None, **kwargs: Any) -> Sim:
        instance = start_sim(tmp_path / name, extra_args, **kwargs)
        started.append(instance)
        return instance

    yield factory
    for instance in started:
        instance.proc.stop()
