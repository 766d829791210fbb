"""Daemon mode (no --nodaemon) with pid_file, signals, shutdown and logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from btsync_sim.harness import free_port, wait_for
from simtest_util import SIM_ROOT


class Daemon:
    """A daemonized instance started like the vendor's binary, by a test."""

    def __init__(self, tmp_path: Path, command: list[str], env: dict[str, str] | None = None) -> None:
        self.storage = tmp_path / "storage"
        self.storage.mkdir()
        self.pid_file = tmp_path / "run" / "btsync.pid"
        self.pid_file.parent.mkdir()
        self.port = free_port()
        self.config = tmp_path / "btsync.conf"
        self.config.write_text(json.dumps({
            "storage_path": str(self.storage),
            "pid_file": str(self.pid_file),
            "webui": {"listen": f"127.0.0.1:{self.port}", "api_key": "k"},
        }))
        self.command = [*command, "--config", str(self.config)]
        self.env = env

    def start(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.command, *extra], capture_output=True, text=True, env=self.env, timeout=60,
                              check=False, stdin=subprocess.DEVNULL)

    @property
    def pid(self) -> int:
        return int(self.pid_file.read_text().strip())

    def api(self, method: str) -> object:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api?method={method}", timeout=5) as resp:
            return json.loads(resp.read())

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


@pytest.fixture(params=["binary", "source"])
def daemon(request: pytest.FixtureRequest, tmp_path: Path, btsync_binary: Path) -> Iterator[Daemon]:
    if request.param == "binary":
        instance = Daemon(tmp_path, [str(btsync_binary)])
    else:
        import sys

        instance = Daemon(tmp_path, [sys.executable, "-m", "btsync_sim"], dict(os.environ, PYTHONPATH=str(SIM_ROOT)))
    yield instance
    instance.kill()


def test_daemon_detaches_writes_pid_file_and_stops_on_sigterm(daemon: Daemon) -> None:
    result = daemon.start()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    pid = daemon.pid
    assert alive(pid)
    assert os.getsid(pid) != os.getsid(0)  # its own session: detached from ours
    assert Path(f"/proc/{pid}/cwd").resolve() == Path("/")
    assert daemon.api("get_version") == {"version": "1.4.111"}
    assert (daemon.storage / "sync.log").read_text().count("starting") == 1
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not alive(pid), 10, what="daemon exit")
    assert not daemon.pid_file.exists()


def test_shutdown_method_stops_the_daemon(daemon: Daemon) -> None:
    assert daemon.start().returncode == 0
    pid = daemon.pid
    assert daemon.api("shutdown") == {"error": 0}
    wait_for(lambda: not alive(pid), 10, what="daemon exit")
    assert not daemon.pid_file.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", daemon.port), timeout=2):
        pass


def test_daemon_log_option(daemon: Daemon, tmp_path: Path) -> None:
    log = tmp_path / "custom.log"
    assert daemon.start("--log", str(log)).returncode == 0
    wait_for(lambda: log.exists() and "starting" in log.read_text(), 5, what="log line")
    assert not (daemon.storage / "sync.log").exists()
    os.kill(daemon.pid, signal.SIGTERM)


def test_daemon_startup_errors_reach_the_caller(daemon: Daemon) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", daemon.port))
        busy.listen(1)
        result = daemon.start()
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and "cannot listen" in result.stderr
    assert not daemon.pid_file.exists()


def test_pid_file_that_cannot_be_written(daemon: Daemon) -> None:
    daemon.pid_file.parent.rmdir()  # its directory is gone
    result = daemon.start()
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and "pid_file" in result.stderr
