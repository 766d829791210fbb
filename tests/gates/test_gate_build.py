"""Gate: Galaxy build + install, ansible-doc lists every module and renders the role (make build-check)."""

import tarfile

import pytest
from gate_helpers import ROOT


@pytest.mark.slow
def test_build_check(make_gate):
    proc = make_gate("build-check", timeout=600)
    tarballs = sorted((ROOT / "build" / "galaxy").glob("syncops-btsync-*.tar.gz"))
    assert len(tarballs) == 1, f"expected one built tarball, got {tarballs}\n{proc.stdout[-2000:]}"
    with tarfile.open(tarballs[0]) as tar:
        names = [n.removeprefix("./") for n in tar.getnames()]
    bad = [
        n
        for n in names
        if any(part in {".venv", "build", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".git"} for part in n.split("/"))
        or n.startswith("tests/output")
        or n.endswith((".pyc", ".tar.gz"))
    ]
    assert not bad, f"the collection tarball holds build output or caches: {bad[:20]}"
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    listing = (ROOT / "build" / "galaxy" / "ansible-doc-list.txt").read_text(encoding="utf-8")
    listed = sorted(line.split()[0].removeprefix("syncops.btsync.") for line in listing.splitlines() if line.strip())
    assert listed == modules, f"ansible-doc -l syncops.btsync lists {listed}, plugins/modules has {modules}"
    role = (ROOT / "build" / "galaxy" / "ansible-doc-role.txt").read_text(encoding="utf-8")
    assert "syncops.btsync.btsync" in role and "options" in role.lower(), role[-2000:]
