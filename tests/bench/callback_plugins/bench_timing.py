# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark timing callback: one JSON line per task and host, and the recap.

Used by tests/bench only (enabled with ANSIBLE_CALLBACK_PLUGINS pointing here
and ANSIBLE_CALLBACKS_ENABLED=bench_timing). Each line written to the file
named by BENCH_TIMING_FILE is one of

* ``{"type": "task", "play", "task", "action", "host", "start", "end",
  "status", "changed", "handler"}``: ``start`` when the task was queued for
  the host, ``end`` when its result reached the controller (``time.time()``,
  so that it can be matched with the simulator's request log);
* ``{"type": "stats", "hosts": {name: {"ok", "changed", "failed",
  "unreachable", "skipped"}}}`` at the end of the run.

Only names, timings and counters are written: never a task's arguments or
results (they may hold secrets).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, Optional, Set, Tuple

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timing
type: aggregate
short_description: write each task's duration per host to a JSON lines file
description:
  - For the benchmark suite of syncops.btsync (tests/bench). Not part of the collection.
options:
  output:
    description: The JSON lines file to append to.
    env:
      - name: BENCH_TIMING_FILE
    required: true
"""


def _parts(result: Any) -> Tuple[Any, Any]:
    """The host and task of a result (``host``/``task`` from ansible-core 2.19, ``_host``/``_task`` before)."""
    host = getattr(result, "host", None)
    task = getattr(result, "task", None)
    if host is None or task is None:
        host, task = result._host, result._task
    return host, task


class CallbackModule(CallbackBase):  # type: ignore[misc]  # ansible has no type hints
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._starts: Dict[Tuple[str, str], float] = {}
        self._play = ""
        self._handlers: Set[str] = set()
        self._path: Optional[str] = None

    def set_options(self, *args: Any, **kwargs: Any) -> None:
        super().set_options(*args, **kwargs)
        self._path = self.get_option("output")

    def _write(self, record: Dict[str, Any]) -> None:
        path = self._path or os.environ.get("BENCH_TIMING_FILE")
        if not path:
            return
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._play = play.get_name()

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self._handlers.add(task._uuid)

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        self._starts[(host.get_name(), task._uuid)] = time.time()

    def _finish(self, result: Any, status: str) -> None:
        end = time.time()
        host, task = _parts(result)
        name = host.get_name()
        start = self._starts.pop((name, task._uuid), end)
        self._write({
            "type": "task",
            "play": self._play,
            "task": task.get_name(),
            "action": task.action,
            "host": name,
            "start": start,
            "end": end,
            "status": status,
            "changed": bool(result.is_changed()) if status == "ok" else False,
            "handler": task._uuid in self._handlers,
        })

    def v2_runner_on_ok(self, result: Any) -> None:
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._finish(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._finish(result, "unreachable")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        hosts = {}
        for name in sorted(stats.processed):
            summary = stats.summarize(name)
            hosts[name] = {
                "ok": summary.get("ok", 0),
                "changed": summary.get("changed", 0),
                "failed": summary.get("failures", 0),
                "unreachable": summary.get("unreachable", 0),
                "skipped": summary.get("skipped", 0),
            }
        self._write({"type": "stats", "hosts": hosts, "time": time.time()})
