"""Gate: ansible-test units on every ansible-core from 2.16 to 2.19 (make units)."""

import pytest


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_units(make_gate):
    make_gate("units", timeout=3600)
