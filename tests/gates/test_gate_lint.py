"""Gate: ruff, mypy, yamllint and ansible-lint --profile production (make lint)."""

import pytest


@pytest.mark.slow
def test_lint(make_gate):
    make_gate("lint", timeout=900)
