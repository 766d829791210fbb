# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Record what each task of a reliability run did, for the assertions of tests/reliability."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
---
name: reliability_probe
type: aggregate
short_description: Records task results, durations and API snapshots for tests/reliability
description:
  - Test-only callback of the syncops.btsync reliability suite, enabled by its runner.
  - Reads its configuration from the JSON file named by the environment variable C(RELIABILITY_PROBE), writes one
    JSON line per task result to the file named there, with the task's duration.
  - When the configuration names a simulator, snapshots its API state (through the simulator's test harness)
    before each task starts and after each result, and records the API methods the task called (from the
    simulator's request log). Snapshots hold digests of secrets, never secrets.
  - When the configuration names directory trees, records the number of entries and one digest of their contents
    after each result.
  - Results of C(no_log) tasks arrive censored by Ansible and are recorded censored.
"""

_SUITE = Path(__file__).resolve().parents[1]
if str(_SUITE) not in sys.path:
    sys.path.insert(0, str(_SUITE))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "reliability_probe"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._out: Optional[Path] = None
        self._sim: Any = None
        self._request_log: Optional[Path] = None
        self._trees: Dict[str, str] = {}
        self._lib: Any = None
        self._task_started = 0.0
        self._task_wall = 0.0
        self._host_started: Dict[str, float] = {}
        self._host_wall: Dict[str, float] = {}
        self._before: Optional[Dict[str, Any]] = None
        self._log_offset = 0
        config_file = os.environ.get("RELIABILITY_PROBE")
        if not config_file:
            return
        config = json.loads(Path(config_file).read_text(encoding="utf-8"))
        self._out = Path(config["out"])
        self._trees = dict(config.get("trees") or {})
        if config.get("snapshot") or self._trees:
            import reliability_lib  # the suite's own module, next to this directory

            self._lib = reliability_lib
        if config.get("snapshot"):
            self._sim = reliability_lib.attach(config["snapshot"])
            self._request_log = Path(config["snapshot"]["request_log"])

    # -- helpers ------------------------------------------------------------------

    def _write(self, record: Dict[str, Any]) -> None:
        if self._out is None:
            return
        with self._out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str, sort_keys=True) + "\n")

    def _snapshot(self) -> Dict[str, Any]:
        try:
            return {"ok": True, "state": self._lib.snapshot(self._sim.api)}
        except Exception as exc:
            return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}

    def _log_size(self) -> int:
        try:
            return self._request_log.stat().st_size if self._request_log is not None else 0
        except OSError:
            return 0

    def _methods_since(self, offset: int) -> List[str]:
        if self._request_log is None:
            return []
        try:
            with self._request_log.open("rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return []
        methods = []
        for line in text.splitlines():
            try:
                methods.append(str(json.loads(line)["method"]))
            except (ValueError, KeyError):
                continue
        return methods

    # -- events -------------------------------------------------------------------

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        if self._sim is not None:
            self._before = self._snapshot()
            self._log_offset = self._log_size()
        self._task_started = time.monotonic()
        self._task_wall = time.time()
        self._host_started = {}
        self._host_wall = {}

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        self._host_started[host.get_name()] = time.monotonic()
        self._host_wall[host.get_name()] = time.time()

    def _record(self, result: Any, status: str, ignore_errors: bool = False) -> None:
        now = time.monotonic()
        host = result._host.get_name()
        task = result._task
        data = dict(result._result)
        record: Dict[str, Any] = {
            "event": "result",
            "status": status,
            "host": host,
            "task": task.get_name(),
            "path": task.get_path() or "",
            "action": task.action,
            "ignore_errors": bool(ignore_errors),
            "elapsed": round(now - self._host_started.get(host, self._task_started), 3),
            "task_elapsed": round(now - self._task_started, 3),
            "started_at": self._host_wall.get(host, self._task_wall),
            "ended_at": time.time(),
            "failed": status == "failed",
            "changed": bool(data.get("changed")),
            "result": data,
        }
        if self._trees:
            record["trees"] = {name: self._lib.tree_digest(Path(path)) for name, path in self._trees.items()}
        if self._sim is not None:
            record["requests"] = self._methods_since(self._log_offset)
            record["before"] = self._before
            record["after"] = self._snapshot()
            self._log_offset = self._log_size()
            self._before = record["after"]
        self._write(record)

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, "failed", ignore_errors)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._record(result, "unreachable")
