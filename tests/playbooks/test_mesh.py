"""The fleet job end to end: ``playbooks/mesh.yml`` on three lab hosts.

Boots its own lab (systemd-nspawn guests, the script molecule and ``make demo``
use), runs ``ansible-playbook syncops.btsync.mesh -vvv`` twice with the lab
inventory of ``examples/lab``, and checks what an operator would check:

* every host holds each folder with the access type of its group, and sees the
  other two hosts as peers (read back through the API with btsync_facts);
* the untrusted host holds only the encryption secret;
* the second run changes nothing;
* no secret appears in the captured output of either run: the secrets are read
  from each host's API after the runs and searched for in the logs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
LAB_SCRIPT = ROOT / "tests" / "lab" / "lab.sh"
LOG_DIR = ROOT / "build" / "mesh-test"
ARCHIVE = ROOT / "build" / "btsync_x64.tar.gz"
LAB = ["bash", str(LAB_SCRIPT), "--name", "meshtest", "--count", "3", "--subnet", "10.77.8"]
HOSTS = {"demo-1": "read_write", "demo-2": "read_only", "demo-3": "encrypted"}
FOLDERS = {"projects": "/srv/sync/projects", "backups": "/srv/sync/backups"}
RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

pytestmark = pytest.mark.slow


def _run(cmd: list[str], log: Path | None = None, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT, check=False)
    out = proc.stdout + proc.stderr
    if log is not None:
        log.write_text(out, encoding="utf-8")
    assert proc.returncode == 0, f"{' '.join(cmd[:3])}... exited {proc.returncode}:\n{out[-4000:]}"
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three lab hosts named like the demo's, with an inventory that maps them."""
    assert ARCHIVE.exists(), "build the simulator archive first: make sync-archive"
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("mesh")
    _run([*LAB, "up"])
    try:
        lab_inventory = _run([*LAB, "inventory"]).strip().splitlines()[-1]
        # The lab names its guests meshtest-N; the example inventory names demo-N.
        inventory = work / "lab-hosts.yml"
        text = Path(lab_inventory).read_text(encoding="utf-8").replace("meshtest-", "demo-")
        inventory.write_text(text.replace("    meshtest:", "    meshtest_lab:"), encoding="utf-8")
        password = secrets.token_urlsafe(18)
        api_key = secrets.token_urlsafe(18)
        extra = work / "lab-vars.yml"
        extra.write_text(
            json.dumps(
                {
                    "btsync_archive_src": str(ARCHIVE),
                    # A controller cache of this run's own: the first run must unpack, the second must not.
                    "btsync_local_cache_dir": str(work / "controller-cache"),
                    "lab_api_password": password,
                    "lab_api_key": api_key,
                }
            ),
            encoding="utf-8",
        )
        extra.chmod(0o600)
        yield {"inventory": inventory, "extra": extra, "password": password, "api_key": api_key}
    finally:
        subprocess.run([*LAB, "down"], capture_output=True, timeout=120, check=False)


def _ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        PATH=f"{BIN}:{env.get('PATH', '')}",
    )
    return env


def _mesh(lab: dict[str, Any], log: Path) -> tuple[str, dict[str, int]]:
    cmd = [
        str(BIN / "ansible-playbook"), "syncops.btsync.mesh", "-vvv",
        "-i", str(lab["inventory"]), "-i", str(ROOT / "examples" / "lab" / "inventory.yml"),
        "-e", f"@{lab['extra']}",
    ]
    out = _run(cmd, log=log, env=_ansible_env())
    recap = {m.group(1): int(m.group(2)) for m in RECAP.finditer(out)}
    assert set(recap) == set(HOSTS), f"recap names {sorted(recap)}"
    return out, recap


def _api(lab: dict[str, Any], host: str, method: str, **params: str) -> Any:
    """One API call made on the host itself (the API listens on its loopback)."""
    query = "&".join([f"method={method}", *(f"{k}={v}" for k, v in params.items())])
    script = (
        "import base64,json,sys,urllib.request;"
        f"r=urllib.request.Request('http://127.0.0.1:8888/api?{query}');"
        "r.add_header('Authorization','Basic '+base64.b64encode(sys.stdin.read().encode()).decode());"
        "print(urllib.request.urlopen(r,timeout=10).read().decode())"
    )
    proc = subprocess.run(
        [*LAB, "ssh", host.replace("demo-", "meshtest-"), "python3", "-c", json.dumps(script)],
        input=f"api:{lab['password']}", capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def runs(lab: dict[str, Any]) -> dict[str, Any]:
    first, first_recap = _mesh(lab, LOG_DIR / "first-run.log")
    second, second_recap = _mesh(lab, LOG_DIR / "second-run.log")
    return {"first": first, "second": second, "first_recap": first_recap, "second_recap": second_recap}


def test_first_run_changes_every_host(runs: dict[str, Any]) -> None:
    assert all(changed > 0 for changed in runs["first_recap"].values()), runs["first_recap"]


def test_second_run_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["second_recap"] == dict.fromkeys(HOSTS, 0), runs["second_recap"]


def test_summary_table_lists_every_host_and_folder(runs: dict[str, Any]) -> None:
    for host, access in HOSTS.items():
        others = ", ".join(sorted(set(HOSTS) - {host}))
        for folder in FOLDERS:
            assert re.search(rf'"{host}\s+{folder}\s+{access}\s+{others}"', runs["second"]), (host, folder)


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_access_type_and_peers_through_the_api(runs: dict[str, Any], lab: dict[str, Any], host: str) -> None:
    folders = {f["dir"]: f for f in _api(lab, host, "get_folders")}
    for path in FOLDERS.values():
        assert path in folders, f"{host} does not hold {path}"
        folder = folders[path]
        assert folder["type"] == HOSTS[host]
        peers = _api(lab, host, "get_folder_peers", secret=folder["secret"])
        assert sorted(p["name"] for p in peers) == sorted(set(HOSTS) - {host})


def test_untrusted_host_cannot_decrypt(runs: dict[str, Any], lab: dict[str, Any]) -> None:
    for folder in _api(lab, "demo-3", "get_folders"):
        assert folder["secret"].startswith("F"), "the encrypted member must hold only an F secret"
        shared = _api(lab, "demo-3", "get_secrets", secret=folder["secret"])
        assert not shared.get("read_write") and not shared.get("read_only"), sorted(shared)


def test_no_secret_in_the_output(runs: dict[str, Any], lab: dict[str, Any]) -> None:
    leaked_from: set[str] = set()
    for host in HOSTS:
        for folder in _api(lab, host, "get_folders"):
            shared = _api(lab, host, "get_secrets", secret=folder["secret"])
            leaked_from.update(v for v in [folder["secret"], *shared.values()] if isinstance(v, str) and v)
    assert len(leaked_from) >= 6  # D, E, F for each of two folders at least
    for name in ("first", "second"):
        log = runs[name]
        for value in [*leaked_from, lab["password"], lab["api_key"]]:
            assert value not in log, f"a secret appears in the {name} run's output ({LOG_DIR}/{name}-run.log)"
