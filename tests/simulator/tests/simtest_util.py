"""Helpers shared by the simulator's tests (no fixtures here)."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Callable

from btsync_sim.harness import SimulatorProcess

SIM_ROOT = Path(__file__).resolve().parents[1]
SimFactory = Callable[..., SimulatorProcess]  # the make_sim fixture
STANDARD_RE = re.compile(r"[ABDFR][A-Z2-7]{32}")
E_RE = re.compile(r"E[A-Z2-7]{52}")
PREF_KEYS = {
    "device_name", "disk_low_priority", "download_limit", "folder_rescan_interval", "lan_encrypt_data",
    "lan_use_tcp", "lang", "listening_port", "max_file_size_diff_for_patching", "max_file_size_for_versioning",
    "rate_limit_local_peers", "recv_buf_size", "send_buf_size", "sync_max_time_diff", "sync_trash_ttl",
    "upload_limit", "use_upnp",
}
FOLDER_PREF_KEYS = ("search_lan", "use_dht", "use_hosts", "use_relay_server", "use_sync_trash", "use_tracker")


def random_secret(letter: str = "A") -> str:
    """A well-formed standard secret of type ``letter`` (20 random bytes)."""
    return letter + base64.b32encode(os.urandom(20)).decode("ascii")


def run_source(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """``python3 -m btsync_sim ARGS`` from the source tree."""
    env = dict(os.environ, PYTHONPATH=str(SIM_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "btsync_sim", *args],
        capture_output=True, text=True, env=env, timeout=timeout, check=False, stdin=subprocess.DEVNULL,
    )


def missing(method: str) -> dict[str, object]:
    return {"error": 2, "message": f"Specify all the required parameters for {method}."}


INVALID_SECRET = {"error": 3, "message": "Invalid secret."}


def extract_binary(archive_path: Path, dest: Path) -> Path:
    """Unpack the archive as the role does; return its ``btsync``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path) as tar:
        tar.extractall(dest, filter="data")
    return dest / "btsync"
