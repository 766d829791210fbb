"""Gate: ansible-test sanity in a temporary ansible_collections layout (make sanity)."""

import pytest
from gate_helpers import ROOT


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_sanity(make_gate):
    proc = make_gate("sanity", timeout=2400)
    assert "Running sanity test" in proc.stdout, proc.stdout[-3000:]


def test_sanity_ignores_have_reasons():
    """tests/sanity/ignore-*.txt: empty, or every entry says why (`path test # reason`)."""
    unexplained = []
    for ignore in sorted((ROOT / "tests" / "sanity").glob("ignore-*.txt")):
        for number, line in enumerate(ignore.read_text(encoding="utf-8").splitlines(), start=1):
            entry, has_reason, reason = line.partition("#")
            if entry.strip() and not (has_reason and reason.strip()):
                unexplained.append(f"{ignore.relative_to(ROOT)}:{number}: {line}")
    assert not unexplained, "sanity ignore entries without a reason:\n" + "\n".join(unexplained)
