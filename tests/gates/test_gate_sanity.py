"""Gate: ansible-test sanity in a temporary ansible_collections layout (make sanity)."""

import pytest


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_sanity(make_gate):
    proc = make_gate("sanity", timeout=2400)
    assert "Running sanity test" in proc.stdout, proc.stdout[-3000:]
