"""Run every integration target with a real ``ansible-playbook -vvv``.

Each target (``targets/<name>/tasks/main.yml``, a role in the ansible-test
layout) gets a fresh simulator of its own, a work directory holding the folders
it needs, and a generated playbook that runs it on localhost. The variables it
reads (API URL, user, password, work dir, spare secrets) travel in an extra-vars
JSON file of mode 0600, never on the command line.

After the play the runner checks, besides ``rc == 0``, that the captured
``-vvv --diff`` output (``build/integration/<target>.log``) holds no API
password, no secret the simulator holds, no secret handed to the play and
nothing shaped like a Sync secret, and no Python traceback.

Targets named ``setup_*`` are helpers, not tests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGETS_DIR = HERE / "targets"
LOG_DIR = ROOT / "build" / "integration"
SIMULATOR_DIR = ROOT / "tests" / "simulator"
PLAYBOOK_TIMEOUT = 600
# The first line of a Python traceback (the bare word shows in the targets' own
# assertions, which ansible-core 2.19 quotes when a task fails).
TRACEBACK = "Traceback (most recent call last)"

# A standard Sync secret: a type letter, then 32 base32 characters; E is longer.
SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-FR][A-Z2-7]{32,}(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Layout:
    """What a target needs around it, besides its own simulator."""

    dirs: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # relative path -> content
    peer: bool = False  # a second simulator, reachable as a Sync peer
    no_api_key: bool = False  # a simulator whose API is not enabled
    slow: bool = False  # a simulator that answers after 3 s
    env_credentials: bool = False  # connection options only from BTSYNC_API_* env
    stops_simulator: bool = False  # the target shuts its simulator down
    keeps_folders: bool = True  # the play leaves folders whose secrets the leak scan must find


LAYOUTS: dict[str, Layout] = {
    "btsync_facts": Layout(dirs=("facts", "facts_peer"), files={"facts/report.txt": "facts\n"}, peer=True),
    "btsync_file_pref": Layout(
        dirs=("selective", "selective/sub", "plain"),
        files={
            "selective/a.txt": "a\n",
            "selective/b.txt": "b\n",
            "selective/sub/c.txt": "c\n",
            "plain/x.txt": "x\n",
        },
    ),
    "btsync_folder": Layout(
        dirs=(
            "generated",
            "given",
            "encrypted",
            "readonly",
            "encpeer",
            "selective",
            "prefs",
            "nonempty",
            "recreate",
            "absent",
        ),
        files={
            "selective/s.txt": "selective\n",
            "nonempty/data.txt": "keep me\n",
            "recreate/keep.txt": "keep me\n",
            "absent/keep.txt": "keep me\n",
        },
    ),
    "btsync_folder_hosts": Layout(dirs=("hosts",)),
    "btsync_prefs": Layout(keeps_folders=False),
    "btsync_secret": Layout(keeps_folders=False),
    "btsync_shutdown": Layout(stops_simulator=True),
    # Connection options only from BTSYNC_API_*, as AWX credentials inject them.
    "connection_environment": Layout(dirs=("env",), env_credentials=True),
    "connection_errors": Layout(dirs=("errors",), no_api_key=True, slow=True, keeps_folders=False),
}


def discover_targets() -> list[str]:
    return sorted(p.name for p in TARGETS_DIR.iterdir() if (p / "tasks" / "main.yml").is_file() and not p.name.startswith("setup_"))


# The longest target first, so that parallel workers (pytest -n) finish together.
TARGETS = sorted(discover_targets(), key=lambda name: name != "btsync_folder")


def test_every_target_has_a_layout() -> None:
    assert sorted(LAYOUTS) == sorted(TARGETS)


def random_secret(letter: str = "A") -> str:
    """A well-formed standard secret: letter + base32 of 20 random bytes."""
    return letter + base64.b32encode(os.urandom(20)).decode("ascii")


def free_port() -> int:
    """A local TCP port that nothing listens on (for the unreachable URL)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def harness_class() -> Any:
    if not (SIMULATOR_DIR / "btsync_sim" / "harness.py").is_file():
        pytest.fail(f"simulator harness missing: {SIMULATOR_DIR}/btsync_sim/harness.py")
    if str(SIMULATOR_DIR) not in sys.path:
        sys.path.insert(0, str(SIMULATOR_DIR))
    from btsync_sim.harness import SimulatorProcess

    return SimulatorProcess


@dataclass
class Simulators:
    """The simulators of one target, by role; each holds its own password."""

    procs: dict[str, Any] = field(default_factory=dict)

    def start(self, name: str, workdir: Path, **kwargs: Any) -> Any:
        workdir.mkdir(parents=True)
        sim = harness_class()(
            workdir,
            login=f"admin-{name}",
            password="pw-" + secrets.token_hex(16),
            **kwargs,
        )
        sim.start()
        self.procs[name] = sim
        return sim

    def stop_all(self) -> None:
        for sim in self.procs.values():
            with contextlib.suppress(Exception):  # best effort: the test already has its verdict
                sim.stop()


@pytest.fixture
def simulators() -> Iterator[Simulators]:
    sims = Simulators()
    try:
        yield sims
    finally:
        sims.stop_all()


def make_work_dir(base: Path, layout: Layout) -> Path:
    work = base / "work"
    work.mkdir()
    for rel in layout.dirs:
        (work / rel).mkdir(parents=True, exist_ok=True)
    for rel, content in layout.files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return work


def write_private(path: Path, text: str) -> None:
    """Write a file that only its owner can read (it holds passwords)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def playbook_text(target: str) -> str:
    return f"---\n- name: Integration target {target}\n  hosts: localhost\n  gather_facts: false\n  roles:\n    - role: {target}\n"


def ansible_env(tmp: Path, layout: Layout, main: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "BTSYNC_"))}
    bin_dir = str(Path(sys.executable).parent)
    cfg = tmp / "ansible.cfg"
    cfg.write_text("[defaults]\n", encoding="utf-8")
    env.update(
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        ANSIBLE_CONFIG=str(cfg),
        ANSIBLE_HOME=str(tmp / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
        ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-remote"),
        ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / "build" / "collections")),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_ROLES_PATH=str(TARGETS_DIR),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if layout.env_credentials:
        # How AWX credentials reach the modules: the job's environment.
        env.update(BTSYNC_API_URL=main.url, BTSYNC_API_USER=main.login, BTSYNC_API_PASSWORD=main.password)
    return env


def held_secrets(sim: Any) -> set[str]:
    """Every secret the simulator holds: each folder's, and what it can share."""
    found: set[str] = set()
    folders = sim.api("get_folders")
    assert isinstance(folders, list), f"get_folders answered {type(folders).__name__}"
    for folder in folders:
        secret = folder.get("secret")
        if not secret:
            continue
        found.add(secret)
        shared = sim.api("get_secrets", secret=secret)
        found.update(v for k, v in shared.items() if k in ("read_write", "read_only", "encryption") and v)
    return found


def redact(text: str, values: dict[str, str]) -> str:
    for label, value in values.items():
        text = text.replace(value, f"<{label}>")
    return SECRET_SHAPE.sub("<secret-shaped>", text)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def find_leaks(output: str, sensitive: dict[str, str]) -> list[str]:
    """What must not be in ``output`` but is: labels and line numbers, never values."""
    problems = [f"{label} at line {line_of(output, value)}" for label, value in sensitive.items() if value in output]
    shaped = sorted({line_of(output, m.group(0)) for m in SECRET_SHAPE.finditer(output)})
    if shaped:
        problems.append(f"secret-shaped strings at lines {shaped}")
    if TRACEBACK in output:
        problems.append(f"a Python traceback at line {line_of(output, TRACEBACK)}")
    return problems


def failure_excerpt(output: str, sensitive: dict[str, str], lines: int = 60) -> str:
    """The end of the play without the connection chatter, secrets redacted."""
    noise = ("<localhost> ", "Using module file ")
    kept = [line for line in redact(output, sensitive).splitlines() if not line.startswith(noise)]
    return "\n".join(kept[-lines:])


def test_find_leaks_reports_each_kind_without_values() -> None:
    password = "pw-" + secrets.token_hex(16)
    held = random_secret("D")
    output = f"ok\npassword {password}\n{held}\n{random_secret('B')} and E{'A' * 52}\n{TRACEBACK}:\n"
    problems = find_leaks(output, {"the password": password, "a held secret": held})
    assert problems == [
        "the password at line 2",
        "a held secret at line 3",
        "secret-shaped strings at lines [3, 4]",
        "a Python traceback at line 5",
    ]
    assert not any(password in p or held in p for p in problems)
    assert find_leaks("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER ********\nTraceback in a task name", {}) == []


def write_inventory(tmp: Path) -> Path:
    """localhost, connection local, modules run by the venv's Python."""
    inventory = tmp / "inventory.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n", encoding="utf-8")
    return inventory


def venv_tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def has_exited(sim: Any, timeout: float = 10.0) -> bool:
    """Whether the simulator process ended (btsync_shutdown) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while sim.running:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_target(target: str, tmp_path: Path, simulators: Simulators) -> None:
    layout = LAYOUTS[target]
    main = simulators.start("main", tmp_path / "sim-main", device_name=f"integration-{target}")
    work = make_work_dir(tmp_path, layout)
    spare = [random_secret(), random_secret(), random_secret(), random_secret()]
    extra: dict[str, Any] = {
        "btsync_api_url": main.url,
        "btsync_api_user": main.login,
        "btsync_api_password": main.password,
        "btsync_work_dir": str(work),
        "btsync_spare_secrets": spare,
        "btsync_device_name": f"integration-{target}",
        "btsync_closed_url": f"http://127.0.0.1:{free_port()}",
    }
    if layout.peer:
        peer = simulators.start("peer", tmp_path / "sim-peer", device_name=f"peer-{target}")
        extra.update(
            btsync_peer_api_url=peer.url,
            btsync_peer_api_user=peer.login,
            btsync_peer_api_password=peer.password,
            btsync_peer_device_name=f"peer-{target}",
            btsync_peer_host=f"127.0.0.1:{peer.listening_port}",
        )
    if layout.no_api_key:
        noapi = simulators.start("noapi", tmp_path / "sim-noapi", api_key=None)
        extra.update(btsync_noapi_url=noapi.url, btsync_noapi_api_user=noapi.login, btsync_noapi_api_password=noapi.password)
    if layout.slow:
        slow = simulators.start("slow", tmp_path / "sim-slow", extra_args=["--fault-latency-ms", "3000"])
        extra.update(btsync_slow_url=slow.url, btsync_slow_api_user=slow.login, btsync_slow_api_password=slow.password)

    vars_file = tmp_path / "extra-vars.json"
    write_private(vars_file, json.dumps(extra))
    inventory = write_inventory(tmp_path)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    playbook = LOG_DIR / f"{target}.playbook.yml"
    playbook.write_text(playbook_text(target), encoding="utf-8")
    log = LOG_DIR / f"{target}.log"
    cmd = [venv_tool("ansible-playbook"), "-vvv", "--diff", "-i", str(inventory), "-e", f"@{vars_file}", str(playbook)]

    started = time.monotonic()
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=ansible_env(tmp_path, layout, main),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=PLAYBOOK_TIMEOUT,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = proc.stdout.decode("utf-8", errors="replace")
    log.write_text(f"# {' '.join(cmd)}\n# rc={proc.returncode} in {elapsed:.1f}s\n{output}", encoding="utf-8")

    # Everything that must never reach the output, by a label that is safe to print.
    sensitive: dict[str, str] = {}
    problems: list[str] = []
    if layout.stops_simulator:
        if has_exited(main):
            main.start()  # its state survives: read the secrets it held
        else:
            problems.append("the simulator still runs after btsync_shutdown")
    for name, sim in simulators.procs.items():
        sensitive[f"password of simulator {name}"] = sim.password
        if name in ("main", "peer"):
            for i, value in enumerate(sorted(held_secrets(sim))):
                sensitive[f"secret {value[0]}#{i} held by simulator {name}"] = value
    for i, value in enumerate(spare):
        sensitive[f"spare secret #{i}"] = value
    held = sum(1 for label in sensitive if label.startswith("secret "))
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"# leak scan: {len(sensitive)} values ({held} secrets held by the simulators)\n")

    problems += find_leaks(output, sensitive)
    if layout.keeps_folders and not held:
        problems.append("the simulators hold no secret after the play: the leak scan proves nothing")
    if proc.returncode != 0:
        problems.insert(0, f"ansible-playbook rc={proc.returncode}")
        problems.append("end of the play:\n" + failure_excerpt(output, sensitive))
    if problems:
        pytest.fail(f"{target} ({log}):\n" + "\n".join(problems), pytrace=False)


@pytest.mark.slow
def test_facts_ad_hoc(tmp_path: Path, simulators: Simulators) -> None:
    """``ansible localhost -m syncops.btsync.btsync_facts``, credentials from BTSYNC_API_* (an AWX ad hoc job)."""
    main = simulators.start("main", tmp_path / "sim-main", device_name="integration-ad-hoc")
    main.api("add_folder", dir=str(make_work_dir(tmp_path, Layout())))
    cmd = [venv_tool("ansible"), "localhost", "-vvv", "-i", str(write_inventory(tmp_path))]
    cmd += ["-m", "syncops.btsync.btsync_facts", "-a", "gather_subset=version,prefs,folders"]
    env = ansible_env(tmp_path, Layout(env_credentials=True), main)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False)
    output = proc.stdout.decode("utf-8", errors="replace") + proc.stderr.decode("utf-8", errors="replace")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "ad_hoc_facts.log").write_text(f"# {' '.join(cmd)}\n# rc={proc.returncode}\n{output}", encoding="utf-8")
    sensitive = {"the API password": str(main.password)}
    sensitive.update({f"secret #{i}": value for i, value in enumerate(sorted(held_secrets(main)))})
    problems = find_leaks(output, sensitive)
    if proc.returncode != 0:
        problems.insert(0, f"ansible rc={proc.returncode}:\n" + failure_excerpt(output, sensitive))
    for expected in ('"device_name": "integration-ad-hoc"', f'"path": "{tmp_path / "work"}"', '"version": "'):
        if expected not in output:
            problems.append(f"{expected} not in the output")
    if problems:
        pytest.fail("ad hoc btsync_facts (build/integration/ad_hoc_facts.log):\n" + "\n".join(problems), pytrace=False)
