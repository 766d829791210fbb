# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared test set-up for the unit tests.

* Make the collection importable for a plain ``pytest tests/unit`` run:
  ``ansible-test units`` sets up ``ansible_collections`` itself; a plain run
  from the checkout uses the ``build/collections`` symlink (``make venv``).
* Put the simulator (``tests/simulator``) on ``sys.path``: the module tests
  run against it.
* ``run_module``: run a module's ``main()`` with arguments, on every
  ansible-core from 2.16 (``patch_module_args`` only exists from 2.19 on).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from typing import Any, Callable, Dict, Iterator
from unittest import mock

import pytest

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ROOT = os.path.dirname(_TESTS)

try:
    importlib.import_module("ansible_collections.syncops.btsync.plugins.module_utils.btsync_api")
except ImportError:
    sys.path.insert(0, os.path.join(_ROOT, "build", "collections"))

SIMULATOR_PATH = os.path.join(_TESTS, "simulator")
if os.path.isdir(SIMULATOR_PATH) and SIMULATOR_PATH not in sys.path:
    sys.path.insert(0, SIMULATOR_PATH)


@contextlib.contextmanager
def set_module_args(args: Dict[str, Any]) -> Iterator[None]:
    """Expose ``args`` to the next ``AnsibleModule``."""
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    from ansible.module_utils import basic

    serialized = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
    with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
        if hasattr(basic, "_ANSIBLE_PROFILE"):
            with mock.patch.object(basic, "_ANSIBLE_PROFILE", "legacy"):
                yield
        else:
            yield


def _reset_warnings() -> None:
    """AnsibleModule keeps warnings in module globals: start each run empty."""
    from ansible.module_utils.common import warnings

    for name in ("_global_warnings", "_global_deprecations"):
        store = getattr(warnings, name, None)
        if store is not None:
            store.clear()


def run_module(main: Callable[[], None], args: Dict[str, Any], check_mode: bool = False,
               diff: bool = True) -> Dict[str, Any]:
    """Run a module's ``main()``; return its JSON result (``failed`` set on failure).

    The result is what Ansible would receive: no_log values masked, and
    serialised to JSON (so a value that does not serialise fails the test).
    """
    args = dict(args)
    args.setdefault("_ansible_check_mode", check_mode)
    args.setdefault("_ansible_diff", diff)
    _reset_warnings()
    out = io.StringIO()
    code = None
    with set_module_args(args), contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
        else:
            raise AssertionError("the module returned without exit_json/fail_json")
    result: Dict[str, Any] = json.loads(out.getvalue())
    assert bool(result.get("failed")) == (code != 0), (code, result)
    return result


@pytest.fixture(name="run_module")
def run_module_fixture() -> Callable[..., Dict[str, Any]]:
    return run_module
