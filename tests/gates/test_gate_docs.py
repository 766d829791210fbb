"""Gates: the docs site builds (make docs) and antsibull-docs lints every plugin's docs (make docs-lint)."""

import pathlib

import pytest
from gate_helpers import ROOT

MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
GUIDES = ("getting-started", "secrets", "troubleshooting")


@pytest.mark.slow
def test_docs_lint(make_gate):
    make_gate("docs-lint", timeout=600)


@pytest.mark.slow
def test_docs_site(make_gate):
    make_gate("docs", timeout=600)
    html = ROOT / "build" / "docs" / "html"
    expected = [html / "index.html", html / "collection" / "index.html", html / "collection" / "btsync_role.html"]
    expected += [html / f"{g}.html" for g in GUIDES]
    expected += [html / "collection" / f"{m}_module.html" for m in MODULES]
    missing = [str(p.relative_to(html)) for p in expected if not p.is_file()]
    assert MODULES, "no modules under plugins/modules"
    assert not missing, f"pages missing from the docs site: {missing}"
    index = (html / "collection" / "index.html").read_text(encoding="utf-8")
    for module in MODULES:
        assert f"{module}_module.html" in index, f"the collection index does not link {module}"


def test_guides_present():
    for guide in GUIDES:
        assert pathlib.Path(ROOT / "docs" / f"{guide}.md").is_file(), guide
