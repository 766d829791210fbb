"""Gate: ansible-builder create makes an AWX execution environment build context (make ee-context)."""

import pytest
import yaml
from gate_helpers import ROOT

CONTEXT = ROOT / "build" / "ee"


@pytest.mark.slow
def test_ee_context(make_gate):
    make_gate("ee-context", timeout=300)
    for rel in ("Containerfile", "_build/requirements.txt", "_build/bindep.txt", "_build/requirements.yml", "_build/scripts/introspect.py"):
        assert (CONTEXT / rel).is_file(), f"missing from the EE build context: {rel}"
    assert (CONTEXT / "_build" / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (CONTEXT / "_build" / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()
    python_reqs = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert any(req.startswith("requests") for req in python_reqs), "requirements.txt must name requests"
    galaxy = yaml.safe_load((CONTEXT / "_build" / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy["collections"]} >= {"syncops.btsync"}, galaxy
    containerfile = (CONTEXT / "Containerfile").read_text()
    assert "ansible-core==" in containerfile and "introspect" in containerfile, containerfile[-2000:]
    introspected = yaml.safe_load((ROOT / "build" / "ee-definition" / "introspect.yml").read_text())
    assert any(r.startswith("requests") and "syncops.btsync" in r for r in introspected["python"]), introspected
