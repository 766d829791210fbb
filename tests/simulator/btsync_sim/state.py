"""The simulator's state and its persistence in ``storage_path``.

One :class:`SimState` holds everything an instance knows: its peer id, device
preferences, folders (with their preferences, predefined hosts and selective
sync file preferences) and the peers it has met. One lock (``state.lock``)
guards all of it; every change is written to ``btsync-sim-state.json`` in
``storage_path`` before the API answers, atomically: write a temporary file,
fsync it, rename it over the old one, fsync the directory. A ``kill -9`` at
any moment leaves either the old or the new file, both valid JSON.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import prefs as prefs_mod
from .prefs import PrefError, PrefValue
from .sharesecret import Secret, parse_secret

STATE_FILE_NAME = "btsync-sim-state.json"
STATE_FORMAT = 1
_TMP_PREFIX = "." + STATE_FILE_NAME + ".tmp."


class StateError(Exception):
    """A state file that cannot be read; ``str()`` is one line."""


@dataclass
class Folder:
    """One synced folder."""

    dir: str
    secret: Secret
    selective_sync: bool = False
    prefs: dict[str, int] = field(default_factory=lambda: dict(prefs_mod.FOLDER_PREF_DEFAULTS))
    hosts: list[str] = field(default_factory=list)
    file_prefs: dict[str, int] = field(default_factory=dict)  # relative path -> download 0/1
    added: int = 0

    @property
    def share_id(self) -> str:
        return self.secret.share_id

    @property
    def type(self) -> str:
        return self.secret.folder_type

    def to_json(self) -> dict[str, Any]:
        return {
            "dir": self.dir,
            "secret": self.secret.text,
            "selective_sync": self.selective_sync,
            "prefs": dict(self.prefs),
            "hosts": list(self.hosts),
            "file_prefs": dict(sorted(self.file_prefs.items())),
            "added": self.added,
        }

    @classmethod
    def from_json(cls, data: object) -> Folder:
        if not isinstance(data, dict):
            raise ValueError("a folder is not an object")
        secret = parse_secret(str(data.get("secret", "")))
        folder_dir = data.get("dir")
        if secret is None or not isinstance(folder_dir, str) or not folder_dir:
            raise ValueError("a folder has no valid secret or dir")
        folder = cls(dir=folder_dir, secret=secret, selective_sync=bool(data.get("selective_sync", False)))
        stored_prefs = data.get("prefs", {})
        if isinstance(stored_prefs, dict):
            for key in prefs_mod.FOLDER_PREF_KEYS:
                if key in stored_prefs:
                    folder.prefs[key] = prefs_mod.coerce_folder_pref(key, stored_prefs[key])
        hosts = data.get("hosts", [])
        if isinstance(hosts, list):
            folder.hosts = [str(host) for host in hosts]
        file_prefs = data.get("file_prefs", {})
        if isinstance(file_prefs, dict):
            folder.file_prefs = {str(k): 1 if v else 0 for k, v in file_prefs.items()}
        added = data.get("added", 0)
        folder.added = added if isinstance(added, int) else 0
        return folder


@dataclass
class PeerRecord:
    """A peer met on one share, by probing it (``via`` its host) or by its handshake."""

    peer_id: str
    name: str
    last_seen: float
    synced: int
    via: str | None = None


def new_peer_id() -> str:
    """A peer id shaped like the vendor's (URL-safe base64 of 20 bytes)."""
    return base64.urlsafe_b64encode(os.urandom(20)).decode("ascii")


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: str, data: object) -> None:
    """Write ``data`` as JSON to ``path``: temp file, fsync, rename, fsync dir."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f"{_TMP_PREFIX}{os.getpid()}.{threading.get_ident()}")
    payload = json.dumps(data, indent=1, sort_keys=True).encode("utf-8") + b"\n"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(directory)


class SimState:
    """Everything an instance knows, behind one lock."""

    def __init__(self, storage_path: str, *, persist_folders: bool = True) -> None:
        self.lock = threading.RLock()
        self.storage_path = storage_path
        self.path = os.path.join(storage_path, STATE_FILE_NAME)
        self.persist_folders = persist_folders
        self.peer_id = ""
        self.prefs: dict[str, PrefValue] = dict(prefs_mod.PREF_DEFAULTS)
        self.folders: list[Folder] = []
        self.peers: dict[str, dict[str, PeerRecord]] = {}  # share id -> peer id -> record
        self._stored_folders: list[Any] = []  # kept as found when folders come from the config

    # -- persistence ---------------------------------------------------------

    def load(self) -> None:
        """Read the state file (a missing file is a fresh start)."""
        for name in os.listdir(self.storage_path):
            if name.startswith(_TMP_PREFIX):  # left by a kill -9 between write and rename
                try:
                    os.unlink(os.path.join(self.storage_path, name))
                except OSError:
                    pass
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            data = None
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot read state file {self.path}: {exc}") from None
        if data is None:
            self.peer_id = new_peer_id()
            return
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise StateError(f"state file {self.path} has an unknown format")
        peer_id = data.get("peer_id")
        self.peer_id = peer_id if isinstance(peer_id, str) and peer_id else new_peer_id()
        stored_prefs = data.get("prefs", {})
        if isinstance(stored_prefs, dict):
            for key, value in stored_prefs.items():
                try:
                    self.prefs[key] = prefs_mod.coerce_pref(key, value)
                except PrefError:
                    continue  # a preference this version does not know
        folders = data.get("folders", [])
        if not isinstance(folders, list):
            raise StateError(f"state file {self.path}: folders is not a list")
        if not self.persist_folders:
            self._stored_folders = folders
            return
        try:
            self.folders = [Folder.from_json(item) for item in folders]
        except (ValueError, PrefError) as exc:
            raise StateError(f"state file {self.path}: {exc}") from None

    def to_json(self) -> dict[str, Any]:
        folders = [folder.to_json() for folder in self.folders] if self.persist_folders else self._stored_folders
        return {"format": STATE_FORMAT, "peer_id": self.peer_id, "prefs": dict(self.prefs), "folders": folders}

    def save(self) -> None:
        """Persist the state; call it with the lock held, before answering."""
        with self.lock:
            write_json_atomic(self.path, self.to_json())

    # -- lookups (hold the lock) ---------------------------------------------

    def folder_by_secret(self, text: str) -> Folder | None:
        for folder in self.folders:
            if folder.secret.text == text:
                return folder
        return None

    def folder_by_share(self, share_id: str) -> Folder | None:
        for folder in self.folders:
            if folder.share_id == share_id:
                return folder
        return None

    def record_peer(self, share_id: str, peer_id: str, name: str, via: str | None) -> None:
        now = time.time()
        peers = self.peers.setdefault(share_id, {})
        record = peers.get(peer_id)
        if record is None:
            peers[peer_id] = PeerRecord(peer_id, name, now, int(now), via)
            return
        record.name = name
        record.last_seen = now
        record.synced = int(now)
        if via is not None:
            record.via = via
