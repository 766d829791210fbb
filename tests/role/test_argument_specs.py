# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keep roles/btsync/meta/argument_specs.yml in step with defaults/main.yml.

Every public variable has a default, and every default is documented and
type-checked in the argument spec with the same default value; the role's
naming rules hold (``btsync_*`` public, ``_btsync_*`` in vars/, ``__btsync_*``
registered); docs/role.md names every public variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "btsync"
PYTHON_TYPES = {"str": str, "bool": bool, "int": int, "list": list, "dict": dict}


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


DEFAULTS: dict[str, Any] = load(ROLE / "defaults" / "main.yml")
SPEC: dict[str, Any] = load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]
OPTIONS: dict[str, Any] = SPEC["options"]


def test_same_variables() -> None:
    assert sorted(DEFAULTS) == sorted(OPTIONS), (
        f"only in defaults/main.yml: {sorted(set(DEFAULTS) - set(OPTIONS))}; "
        f"only in meta/argument_specs.yml: {sorted(set(OPTIONS) - set(DEFAULTS))}"
    )


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_option_is_documented_and_typed(name: str) -> None:
    option = OPTIONS[name]
    assert option.get("description"), f"{name} has no description"
    assert option.get("type") in PYTHON_TYPES, f"{name} needs an explicit type, one of {sorted(PYTHON_TYPES)}"
    if option["type"] == "list":
        assert option.get("elements"), f"{name} is a list: say its elements"


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_same_default(name: str) -> None:
    assert name in OPTIONS, f"{name} is not in meta/argument_specs.yml"
    option = OPTIONS[name]
    assert "default" in option, f"{name}: the spec does not state the default"
    assert option["default"] == DEFAULTS[name], (
        f"{name}: defaults/main.yml has {DEFAULTS[name]!r}, the spec says {option['default']!r}"
    )
    expected = PYTHON_TYPES[option["type"]]
    value = DEFAULTS[name]
    # bool is an int in Python: an int option must not default to a bool.
    assert isinstance(value, expected) and (expected is bool or not isinstance(value, bool)), f"{name}: default {value!r} is not a {option['type']}"
    if "choices" in option:
        assert value in option["choices"], f"{name}: default {value!r} is not one of {option['choices']}"


def test_public_names() -> None:
    assert all(name.startswith("btsync_") for name in DEFAULTS), "public variables start with btsync_"


def test_internal_names() -> None:
    internal = load(ROLE / "vars" / "main.yml")
    bad = [name for name in internal if not name.startswith("_btsync_")]
    assert not bad, f"vars/main.yml: internal names start with _btsync_: {bad}"


def iter_tasks(tasks: Any) -> Any:
    for task in tasks or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from iter_tasks(task.get(key))


def test_registered_names() -> None:
    bad: list[str] = []
    for path in [*sorted((ROLE / "tasks").glob("*.yml")), ROLE / "handlers" / "main.yml"]:
        for task in iter_tasks(load(path)):
            names = [task["register"]] if "register" in task else []
            names += list(task.get("ansible.builtin.set_fact", {}) or {})
            bad += [f"{path.name}: {name}" for name in names if not name.startswith("__btsync_")]
    assert not bad, f"registered values and facts start with __btsync_: {bad}"


def test_docs_name_every_variable() -> None:
    text = (ROOT / "docs" / "role.md").read_text(encoding="utf-8")
    missing = [name for name in OPTIONS if not re.search(rf"\b{re.escape(name)}\b", text)]
    assert not missing, f"docs/role.md does not document {missing}"
