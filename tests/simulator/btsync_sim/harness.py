"""Start, stop and call a simulator from tests.

Importable with ``tests/simulator`` on ``sys.path``::

    from btsync_sim.harness import SimulatorProcess

    with SimulatorProcess(tmp_path, device_name="alpha") as sim:
        sim.api("add_folder", dir=str(folder))
        sim.api("get_folders")

The instance runs as ``python3 -m btsync_sim --config FILE --nodaemon`` (the
Python running the tests, ``PYTHONPATH=tests/simulator``), or as
``BINARY --config FILE --nodaemon`` when ``binary=`` names the ``btsync`` of
an archive. Its files live in ``workdir``: ``btsync.conf``, ``btsync.pid``,
``btsync.log`` (its stdout and stderr) and ``storage/`` (``storage_path``).
Ports are picked free at construction and kept across restarts.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, TypeVar
from urllib.parse import urlencode

SIM_ROOT = Path(__file__).resolve().parents[1]  # tests/simulator: the PYTHONPATH of `-m btsync_sim`
STATE_FILE_NAME = "btsync-sim-state.json"
DEFAULT_LOGIN = "admin"
DEFAULT_PASSWORD = "password"
DEFAULT_API_KEY = "simulator-api-key"

T = TypeVar("T")


class SimulatorError(RuntimeError):
    """The simulator did not start or stop as asked; the message holds its log tail."""


@dataclass
class HttpResponse:
    """A raw answer of the web UI port (any status)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, what: str = "condition") -> T:
    """Call ``predicate`` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout:g} s")
        time.sleep(interval)


def encode_param(value: object) -> str:
    """A query-string value: flags as 1/0, lists comma-separated."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)


def merge_config(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated with ``overrides``: nested dicts merged, ``None`` removes a key."""
    result = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = merge_config(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


class SimulatorProcess:
    """One simulator instance run as a subprocess in the foreground (``--nodaemon``).

    ``login``/``password`` (``None``: no authentication) and ``api_key``
    (``None``: the API is off, ``/api`` answers HTTP 400) go into the config's
    ``webui`` section; ``config_overrides`` is merged into the generated config
    last (nested dicts merged, ``None`` removes a key); ``extra_args`` are added
    to the command line (fault flags, ``--request-log``...).
    """

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        *,
        login: str | None = DEFAULT_LOGIN,
        password: str | None = DEFAULT_PASSWORD,
        api_key: str | None = DEFAULT_API_KEY,
        device_name: str = "btsync-sim",
        extra_args: Sequence[str] = (),
        config_overrides: Mapping[str, Any] | None = None,
        binary: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        api_port: int | None = None,
        listening_port: int | None = None,
        start_timeout: float = 15.0,
        timeout: float = 10.0,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.login = login
        self.password = password
        self.api_key = api_key
        self.device_name = device_name
        self.extra_args = list(extra_args)
        self.config_overrides = dict(config_overrides or {})
        self.binary = Path(binary).resolve() if binary is not None else None
        self.host = host
        self._auto_ports = api_port is None and listening_port is None
        self.api_port = api_port if api_port is not None else free_port(host)
        self._listening_port = listening_port if listening_port is not None else free_port("0.0.0.0")  # noqa: S104
        self.start_timeout = start_timeout
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._starts = 0

    # -- paths ----------------------------------------------------------------

    @property
    def storage_path(self) -> Path:
        return self.workdir / "storage"

    @property
    def config_path(self) -> Path:
        return self.workdir / "btsync.conf"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "btsync.pid"

    @property
    def log_path(self) -> Path:
        return self.workdir / "btsync.log"

    @property
    def state_path(self) -> Path:
        return self.storage_path / STATE_FILE_NAME

    # -- config -----------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The config this instance is started with."""
        webui: dict[str, Any] = {"listen": f"{self.host}:{self.api_port}"}
        if self.login is not None:
            webui["login"] = self.login
        if self.password is not None:
            webui["password"] = self.password
        if self.api_key is not None:
            webui["api_key"] = self.api_key
        base: dict[str, Any] = {
            "device_name": self.device_name,
            "listening_port": self._listening_port,
            "storage_path": str(self.storage_path),
            "pid_file": str(self.pid_file),
            "use_gui": False,
            "webui": webui,
        }
        return merge_config(base, self.config_overrides)

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage_path.mkdir(exist_ok=True)
        text = "// written by btsync_sim.harness\n" + json.dumps(self.config(), indent=2) + "\n"
        self.config_path.write_text(text, encoding="utf-8")

    @property
    def api_enabled(self) -> bool:
        """False when the config defines shared_folders (the web UI is then off)."""
        return "shared_folders" not in self.config()

    @property
    def scheme(self) -> str:
        webui = self.config().get("webui") or {}
        return "https" if webui.get("force_https") else "http"

    @property
    def url(self) -> str:
        """Base URL of the web UI, e.g. ``http://127.0.0.1:PORT`` (the API is ``/api``)."""
        return f"{self.scheme}://{self.host}:{self.api_port}"

    @property
    def listening_port(self) -> int:
        """The peer port (``host:port`` of this instance for set_folder_hosts)."""
        configured = self.config().get("listening_port", 0)
        if isinstance(configured, int) and configured:
            return configured
        return int(self.api("get_prefs")["listening_port"])

    # -- process ------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line of the instance."""
        head = [str(self.binary)] if self.binary is not None else [sys.executable, "-m", "btsync_sim"]
        return [*head, "--config", str(self.config_path), "--nodaemon", *self.extra_args]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> SimulatorProcess:
        """Start the instance and wait until its ports answer; return self.

        Raises :class:`SimulatorError` (with the log tail) if it exits or does
        not answer within ``start_timeout`` seconds.
        """
        if self.running:
            raise SimulatorError("the simulator is already running")
        for attempt in range(3):
            self.write_config()
            self._launch()
            try:
                self._wait_ready()
                return self
            except SimulatorError as exc:
                clash = "Address already in use" in str(exc)
                if not (clash and self._auto_ports and attempt < 2):
                    raise
                self.api_port = free_port(self.host)  # a port taken meanwhile: pick others
                self._listening_port = free_port("0.0.0.0")  # noqa: S104
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        env = dict(os.environ)
        if self.binary is None:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SIM_ROOT), env.get("PYTHONPATH", "")) if p)
        self._starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"--- start #{self._starts}: {' '.join(self.command())}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.workdir,
                start_new_session=True,
            )

    def _ready(self) -> bool:
        proc = self._proc
        assert proc is not None
        pid_file = self.config().get("pid_file")
        if pid_file:
            try:
                if Path(pid_file).read_text(encoding="ascii").strip() != str(proc.pid):
                    return False
            except OSError:
                return False
        address = (self.host, self.api_port) if self.api_enabled else ("127.0.0.1", self.listening_port)
        try:
            with socket.create_connection(address, timeout=0.5):
                return True
        except OSError:
            return False

    def _wait_ready(self) -> None:
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = proc.poll()
            if code is not None:
                raise SimulatorError(f"the simulator exited with code {code} while starting; log:\n{self.log_tail()}")
            if self._ready():
                return
            if time.monotonic() > deadline:
                self.kill9()
                raise SimulatorError(f"the simulator did not answer within {self.start_timeout:g} s; log:\n{self.log_tail()}")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait (SIGKILL after ``timeout``); return the exit code. Idempotent."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def kill9(self) -> None:
        """SIGKILL the instance (no cleanup: the pid file stays)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def restart(self) -> SimulatorProcess:
        self.stop()
        return self.start()

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- HTTP -----------------------------------------------------------------------

    def auth_header(self, login: str | None = None, password: str | None = None) -> dict[str, str]:
        login = self.login if login is None else login
        password = self.password if password is None else password
        if login is None and password is None:
            return {}
        token = base64.b64encode(f"{login or ''}:{password or ''}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.scheme != "https":
            return None
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the tests' self-signed certificate
        return context

    def request(
        self,
        target: str,
        *,
        auth: bool = True,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        """GET ``target`` (a path with its query, e.g. ``/api?method=get_os``); any status."""
        all_headers = dict(self.auth_header()) if auth else {}
        all_headers.update(headers or {})
        req = urllib.request.Request(self.url + target, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout, context=self._ssl_context()) as resp:
                return HttpResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return HttpResponse(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())

    def api_request(self, method: str, /, **params: object) -> HttpResponse:
        """Call ``method`` and return the raw answer (any status)."""
        query = urlencode({"method": method, **{k: encode_param(v) for k, v in params.items() if v is not None}})
        return self.request(f"/api?{query}")

    def api(self, method: str, /, **params: object) -> Any:
        """Call ``method`` with ``params`` (flags as 1/0, ``None`` left out); return the parsed JSON.

        Raises ``urllib.error.HTTPError`` for a status other than 200, and
        whatever urllib raises when the connection fails.
        """
        query = urlencode({"method": method, **{k: encode_param(v) for k, v in params.items() if v is not None}})
        req = urllib.request.Request(f"{self.url}/api?{query}", headers=self.auth_header())
        with urllib.request.urlopen(req, timeout=self.timeout, context=self._ssl_context()) as resp:
            return json.loads(resp.read().decode("utf-8"))
