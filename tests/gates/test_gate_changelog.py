"""Gate: antsibull-changelog lint, changelog.yaml lint, CHANGELOG.rst up to date (make changelog-lint)."""

import pytest


@pytest.mark.slow
def test_changelog(make_gate):
    make_gate("changelog-lint", timeout=300)
