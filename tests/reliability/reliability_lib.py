"""Machinery of the reliability suite: simulators, ansible-playbook runs, snapshots, leak scans.

Everything here drives real programs: simulators started by the harness of
``tests/simulator`` (``btsync_sim.harness.SimulatorProcess``), and
``ansible-playbook`` runs of the collection against them, observed by the
``reliability_probe`` callback (``callback_plugins/``), which records each
task's result and duration and, when asked, a snapshot of the API state
before and after each task together with the API methods the task called.

Files that hold a password or a secret (extra variables, inventories, the
probe's connection file) are written with mode 0600 by :func:`write_private`,
which remembers them so that the secrets test can check every one.

This module is imported by the probe inside ``ansible-playbook`` too: keep its
top level free of pytest.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = ROOT / "build" / "reliability"
SIM_ROOT = ROOT / "tests" / "simulator"
COLLECTIONS = ROOT / "build" / "collections"
CALLBACK_DIR = HERE / "callback_plugins"
PROBE_ENV = "RELIABILITY_PROBE"
PLAYBOOK_TIMEOUT = 300

# What a Python traceback or a module crash looks like in ansible-playbook output.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "The full traceback is", "MODULE FAILURE")
WRITE_METHODS = frozenset(("add_folder", "remove_folder", "set_file_prefs", "set_folder_hosts", "set_folder_prefs", "set_prefs", "shutdown"))

for _extra_path in (SIM_ROOT, COLLECTIONS):
    if str(_extra_path) not in sys.path:
        sys.path.insert(0, str(_extra_path))

from btsync_sim.harness import SimulatorProcess  # noqa: E402 - needs the path above

# Files holding a password or a secret written by this process (checked for mode 0600).
PRIVATE_FILES: list[Path] = []


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to a new file of mode 0600 (it holds a password or a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
    PRIVATE_FILES.append(path)
    return path


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tree_hashes(root: Path, ignore: Iterable[str] = (".sync", ".SyncID", ".SyncIgnore", ".SyncArchive", ".SyncTrash")) -> dict[str, str]:
    """sha256 of every file under ``root`` (relative path -> digest); symlinks by target; Sync's own names left out."""
    skipped = set(ignore)
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in skipped:
            continue
        if path.is_symlink():
            found[str(relative)] = "symlink:" + os.readlink(path)
        elif path.is_file():
            found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            found[str(relative) + "/"] = "dir"
    return found


def tree_digest(root: Path) -> dict[str, Any]:
    """The number of entries under ``root`` and one digest of all their contents."""
    hashes = tree_hashes(root)
    return {"entries": len(hashes), "digest": hashlib.sha256(json.dumps(hashes, sort_keys=True).encode("utf-8")).hexdigest()}


# ---------------------------------------------------------------------------
# Simulators
# ---------------------------------------------------------------------------


def digest(value: str) -> str:
    """A short, one-way name for a secret (snapshots and reports never hold secrets)."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def snapshot(api: Callable[..., Any]) -> dict[str, Any]:
    """The API state that a task may change: device preferences and, per folder,
    its secret (digested), type, preferences, predefined hosts and file choices."""
    folders: dict[str, Any] = {}
    for folder in sorted(api("get_folders"), key=lambda item: str(item.get("dir"))):
        secret = str(folder.get("secret", ""))
        listing = []
        for entry in api("get_files", secret=secret):
            listing.append({key: entry.get(key) for key in ("name", "type", "download") if key in entry})
            if entry.get("type") == "folder":
                for inner in api("get_files", secret=secret, path=entry["name"]):
                    listing.append({"name": f"{entry['name']}/{inner.get('name')}", "type": inner.get("type"), "download": inner.get("download")})
        folders[str(folder.get("dir"))] = {
            "secret": digest(secret),
            "type": folder.get("type"),
            "prefs": api("get_folder_prefs", secret=secret),
            "hosts": api("get_folder_hosts", secret=secret),
            "files": listing,
        }
    return {"prefs": api("get_prefs"), "folders": folders}


def snapshot_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What differs between two snapshots, as readable lines (never a secret: snapshots hold digests)."""
    lines: list[str] = []
    for key in sorted(set(before["prefs"]) | set(after["prefs"])):
        if before["prefs"].get(key) != after["prefs"].get(key):
            lines.append(f"preference {key}: {before['prefs'].get(key)!r} -> {after['prefs'].get(key)!r}")
    for path in sorted(set(before["folders"]) | set(after["folders"])):
        old, new = before["folders"].get(path), after["folders"].get(path)
        if old is None or new is None:
            lines.append(f"folder {path}: {'added' if old is None else 'removed'}")
        elif old != new:
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            lines.append(f"folder {path}: {', '.join(changed)} changed")
    return lines


class Sim:
    """One simulator of a test, with its own password and request log."""

    def __init__(self, workdir: Path, name: str, faults: Sequence[str] = (), **kwargs: Any) -> None:
        self.name = name
        self.workdir = workdir / f"sim-{name}"
        self.request_log = workdir / f"sim-{name}.requests.jsonl"
        self.faults = list(faults)
        kwargs.setdefault("login", f"admin-{name}")
        kwargs.setdefault("password", "pw-" + secrets.token_hex(16))
        kwargs.setdefault("device_name", f"rely-{name}")
        self.proc = SimulatorProcess(self.workdir, extra_args=self._args(self.faults), **kwargs)

    def _args(self, faults: Sequence[str]) -> list[str]:
        return ["--request-log", str(self.request_log), *faults]

    # -- process ---------------------------------------------------------------

    def start(self) -> Sim:
        self.proc.start()
        return self

    def stop(self) -> None:
        self.proc.stop()

    def kill9(self) -> None:
        self.proc.kill9()

    def calm(self) -> Sim:
        """Restart without fault injection (same state, ports and request log), to read the state back."""
        self.proc.stop()
        self.faults = []
        self.proc.extra_args = self._args([])
        return self.start()

    @property
    def running(self) -> bool:
        return bool(self.proc.running)

    # -- API -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return str(self.proc.url)

    @property
    def password(self) -> str:
        return str(self.proc.password)

    @property
    def conn(self) -> dict[str, Any]:
        """Connection options of a task against this simulator."""
        return {"api_url": self.url, "api_user": self.proc.login, "api_password": self.password}

    def api(self, method: str, **params: Any) -> Any:
        return self.proc.api(method, **params)

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.api)

    def folders(self) -> dict[str, dict[str, Any]]:
        return {str(f["dir"]): dict(f) for f in self.api("get_folders")}

    def held_secrets(self) -> set[str]:
        """Every secret the simulator holds: each folder's, and every secret it can share."""
        found: set[str] = set()
        for folder in self.api("get_folders"):
            secret = folder.get("secret")
            if secret:
                found.add(str(secret))
                shared = self.api("get_secrets", secret=secret)
                found.update(str(v) for k, v in shared.items() if k in ("read_write", "read_only", "encryption") and v)
        return found

    def sensitive(self) -> dict[str, str]:
        """Label -> value of everything of this simulator that must never be printed."""
        values = {f"password of simulator {self.name}": self.password}
        if self.proc.api_key is None:  # the API is off: it holds nothing it could show
            return values
        for index, value in enumerate(sorted(self.held_secrets())):
            values[f"secret {value[0]}#{index} held by simulator {self.name}"] = value
        return values

    # -- request log ---------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        try:
            text = self.request_log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def methods(self) -> list[str]:
        return [str(entry["method"]) for entry in self.requests()]

    def count(self, method: str) -> int:
        return self.methods().count(method)

    def probe_config(self) -> dict[str, Any]:
        """What the probe needs to snapshot this simulator (holds the password: goes to a 0600 file)."""
        return {
            "workdir": str(self.workdir),
            "login": self.proc.login,
            "password": self.password,
            "api_port": self.proc.api_port,
            "listening_port": self.proc.listening_port,
            "request_log": str(self.request_log),
        }


def attach(config: Mapping[str, Any]) -> Any:
    """A harness object for a simulator started elsewhere (used by the probe to call its API)."""
    return SimulatorProcess(
        config["workdir"],
        login=config["login"],
        password=config["password"],
        api_port=int(config["api_port"]),
        listening_port=int(config["listening_port"]),
    )


@contextlib.contextmanager
def simulators(workdir: Path) -> Iterator[Callable[..., Sim]]:
    """A factory of started simulators; every one is stopped at the end."""
    made: list[Sim] = []

    def factory(name: str, faults: Sequence[str] = (), start: bool = True, **kwargs: Any) -> Sim:
        sim = Sim(workdir, name, faults, **kwargs)
        made.append(sim)
        return sim.start() if start else sim

    try:
        yield factory
    finally:
        for sim in made:
            with contextlib.suppress(Exception):  # best effort: the test has its verdict
                sim.stop()


@contextlib.contextmanager
def stalled_listener() -> Iterator[str]:
    """A URL whose host is up but never completes a TCP handshake (a full accept queue): connects time out."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _index in range(4):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError, OSError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        server.close()


# ---------------------------------------------------------------------------
# ansible-playbook
# ---------------------------------------------------------------------------


def localhost_vars() -> dict[str, Any]:
    """Host variables of an inventory alias of this machine: local connection, the venv's Python."""
    return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def inventory(hosts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A YAML (here JSON) inventory of aliases of this machine, each with its variables."""
    return {"all": {"hosts": {host: {**localhost_vars(), **dict(variables)} for host, variables in hosts.items()}}}


def venv_tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


@dataclass
class Run:
    """One finished ansible-playbook run."""

    name: str
    rc: int
    output: str
    elapsed: float
    log: Path
    probe_file: Path
    records: list[dict[str, Any]] = field(default_factory=list)

    def results(self, host: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("event") == "result" and (host is None or r.get("host") == host)]

    def result(self, prefix: str, host: str = "localhost") -> dict[str, Any]:
        """The (last) result of the task named ``prefix``, or whose name starts with ``prefix`` and a space, on ``host``."""
        found = [r for r in self.results(host) if str(r.get("task", "")) == prefix or str(r.get("task", "")).startswith(prefix + " ")]
        if not found:
            raise AssertionError(f"{self.name}: no result of a task named {prefix!r} on {host} (see {self.log})")
        return found[-1]

    def tracebacks(self) -> list[str]:
        return [marker for marker in TRACEBACK_MARKERS if marker in self.output]


def ansible_env(tmp: Path, probe: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "BTSYNC_", PROBE_ENV))}
    cfg = tmp / "ansible.cfg"
    if not cfg.exists():
        cfg.write_text("[defaults]\n", encoding="utf-8")
    env.update(
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        ANSIBLE_CONFIG=str(cfg),
        ANSIBLE_HOME=str(tmp / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
        ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-remote"),
        ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS)),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
        ANSIBLE_CALLBACKS_ENABLED="reliability_probe",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if probe is not None:
        env[PROBE_ENV] = str(probe)
    return env


def run_playbook(
    name: str,
    plays: list[dict[str, Any]],
    tmp: Path,
    *,
    hosts: Mapping[str, Mapping[str, Any]] | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    args: Sequence[str] = (),
    forks: int = 5,
    snapshot_sim: Sim | None = None,
    trees: Mapping[str, Path] | None = None,
    verbosity: str = "-vvv",
    timeout: int = PLAYBOOK_TIMEOUT,
    log_name: str | None = None,
) -> Run:
    """Run ``plays`` with ``ansible-playbook``; keep the playbook and the output in ``build/reliability``.

    ``hosts`` are inventory aliases of this machine (default: localhost) with
    their variables; ``extra_vars`` travel in a 0600 JSON file; with
    ``snapshot_sim`` the probe snapshots that simulator around every task,
    with ``trees`` it digests those directory trees after every task.
    """
    BUILD.mkdir(parents=True, exist_ok=True)
    log_name = log_name or name
    work = tmp / f"run-{log_name}"
    work.mkdir(parents=True, exist_ok=True)
    playbook = BUILD / f"{log_name}.playbook.yml"
    playbook.write_text("---\n" + json.dumps(plays, indent=2) + "\n", encoding="utf-8")
    inventory_file = write_private(work / "inventory.yml", json.dumps(inventory(hosts or {"localhost": {}})))
    probe_out = BUILD / f"{log_name}.probe.jsonl"
    probe_out.unlink(missing_ok=True)
    probe_cfg: dict[str, Any] = {"out": str(probe_out)}
    if snapshot_sim is not None:
        probe_cfg["snapshot"] = snapshot_sim.probe_config()
    if trees:
        probe_cfg["trees"] = {name: str(path) for name, path in trees.items()}
    probe_file = write_private(work / "probe.json", json.dumps(probe_cfg))
    cmd = [venv_tool("ansible-playbook"), "-i", str(inventory_file), "-f", str(forks)]
    if verbosity:
        cmd.append(verbosity)
    if extra_vars is not None:
        vars_file = write_private(work / "extra-vars.json", json.dumps(extra_vars))
        cmd += ["-e", f"@{vars_file}"]
    cmd += [*args, str(playbook)]
    started = time.monotonic()
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=ansible_env(work, probe_file),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = proc.stdout.decode("utf-8", errors="replace")
    log = BUILD / f"{log_name}.log"
    log.write_text(f"# {' '.join(cmd)}\n# rc={proc.returncode} in {elapsed:.1f}s\n{output}", encoding="utf-8")
    records = []
    if probe_out.exists():
        records = [json.loads(line) for line in probe_out.read_text(encoding="utf-8").splitlines() if line.strip()]
    return Run(log_name, proc.returncode, output, elapsed, log, probe_out, records)


def conn_defaults(sim: Sim | None = None, **extra: Any) -> dict[str, Any]:
    """``module_defaults`` of a play: the connection of ``sim`` (from the extra vars) for every module of the group."""
    options: dict[str, Any] = {}
    if sim is not None:
        options = {key: f"{{{{ rely_sims['{sim.name}']['{key}'] }}}}" for key in ("api_url", "api_user", "api_password")}
    options.update(extra)
    return {"group/syncops.btsync.btsync": options}


def sims_vars(*sims: Sim) -> dict[str, Any]:
    """The ``rely_sims`` extra variable: each simulator's connection options, by name."""
    return {"rely_sims": {sim.name: sim.conn for sim in sims}}


def play(name: str, tasks: list[dict[str, Any]], *, hosts: str = "localhost", sim: Sim | None = None, **extra: Any) -> dict[str, Any]:
    """A play on localhost without facts, whose modules talk to ``sim``."""
    body: dict[str, Any] = {"name": name, "hosts": hosts, "gather_facts": False}
    if sim is not None:
        body["module_defaults"] = conn_defaults(sim)
    body.update(extra)
    body["tasks"] = tasks
    return body


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def integration_runner() -> ModuleType:
    """The integration runner (tests/integration/test_targets.py): its leak scan is reused as is."""
    name = "btsync_integration_runner"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "integration" / "test_targets.py")
    if spec is None or spec.loader is None:
        raise ImportError("tests/integration/test_targets.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_leaks(text: str, sensitive: Mapping[str, str]) -> list[str]:
    """Labels (never values) of what must not be in ``text`` but is: the integration runner's scan."""
    problems: list[str] = integration_runner().find_leaks(text, dict(sensitive))
    return problems


def one_message(result: Mapping[str, Any]) -> list[str]:
    """Why a failed task's result is not 'one readable message' (empty when it is)."""
    problems = []
    msg = result.get("msg")
    if not isinstance(msg, str) or not msg.strip():
        problems.append(f"no msg (keys: {sorted(result)})")
        return problems
    if "\n" in msg.strip():
        problems.append("msg spans several lines")
    if len(msg) > 1500:
        problems.append(f"msg is {len(msg)} characters long")
    for marker in (*TRACEBACK_MARKERS, "Traceback"):
        if marker in msg:
            problems.append(f"msg holds {marker!r}")
    for key in ("module_stderr", "module_stdout"):
        if result.get(key):
            problems.append(f"result has {key}")
    # ansible-core 2.19 sets exception to "(traceback unavailable)" on every failure; a real one has frames.
    if "Traceback" in str(result.get("exception", "")) or 'File "' in str(result.get("exception", "")):
        problems.append("result holds a Python traceback")
    return problems


SECRET_RE = re.compile(r"(?<![A-Za-z0-9])[A-FR][A-Z2-7]{32,}(?![A-Za-z0-9])")


def secrets_in(value: Any) -> set[str]:
    """Every string shaped like a Sync secret inside a JSON value."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(SECRET_RE.findall(value))
    elif isinstance(value, Mapping):
        for item in value.values():
            found |= secrets_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= secrets_in(item)
    return found


def random_secret(letter: str = "A") -> str:
    """A well-formed standard secret: the letter, then base32 of 20 random bytes."""
    return letter + base64.b32encode(os.urandom(20)).decode("ascii")
