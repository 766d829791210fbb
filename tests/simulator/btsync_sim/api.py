"""The 17 API methods: arguments, answers and error shapes.

Error shapes (all with HTTP 200):

* a required parameter missing or empty:
  ``{"error": 2, "message": "Specify all the required parameters for <method>."}``
* a secret that is malformed, or that names no folder here (folder methods):
  ``{"error": 3, "message": "Invalid secret."}``
* remove_folder of a secret that names no folder: ``{"error": 1}``
* add_folder, under ``result``: 100 cannot open the destination (missing, not
  a directory, not absolute), 101 no write permission, 105 folder not empty
  (retry with ``force=1``), 200 already added (same directory, same secret or
  another secret of the same share), 201 invalid secret
* simulator's own codes, where the vendor's page says nothing:
  ``{"error": 4, "message": ...}`` for a parameter value the server refuses
  (a flag that is not 0/1, a bad ``host:port``, a path outside the folder,
  an unknown preference name in set_prefs / set_folder_prefs,
  set_file_prefs on a folder without selective sync) and
  ``{"error": 5, "message": "Unknown method."}``

Parameters a method does not know are ignored, except by set_prefs and
set_folder_prefs, whose parameters are all preference names.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Dict

from . import files
from . import prefs as prefs_mod
from .config import Config, parse_host_port
from .peers import PeerService
from .prefs import PrefError, PrefValue
from .sharesecret import generate_secret, parse_secret
from .state import Folder, SimState

Params = Dict[str, str]  # (typing.Dict: the archive also runs on Python 3.8)

INVALID_SECRET: dict[str, Any] = {"error": 3, "message": "Invalid secret."}
MAX_HOSTS = 256

ADD_CANNOT_OPEN = {"result": 100, "message": "Can't open the destination folder."}
ADD_NO_WRITE = {"result": 101, "message": "Don't have permissions to write to the selected folder."}
ADD_NOT_EMPTY = {"result": 105, "message": "Selected folder is not empty. Add it with force=1 to sync its files."}
ADD_ALREADY = {"result": 200, "message": "Selected folder is already added to BitTorrent Sync."}
ADD_BAD_SECRET = {"result": 201, "message": "Invalid secret."}


class ApiError(Exception):
    """An error answer; ``body`` is what the client receives."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.body = body


def missing(method: str) -> ApiError:
    return ApiError({"error": 2, "message": f"Specify all the required parameters for {method}."})


def invalid(message: str) -> ApiError:
    return ApiError({"error": 4, "message": message})


def os_name() -> str:
    if sys.platform.startswith("win"):
        return "win32"
    if sys.platform == "darwin":
        return "mac"
    return "linux"


class Api:
    """Answers API calls against one :class:`SimState`."""

    def __init__(self, state: SimState, peers: PeerService | None, config: Config, version: str) -> None:
        self.state = state
        self.peers = peers
        self.config = config
        self.version = version
        self.methods: dict[str, Callable[[Params], Any]] = {
            "add_folder": self.add_folder,
            "get_files": self.get_files,
            "get_folder_hosts": self.get_folder_hosts,
            "get_folder_peers": self.get_folder_peers,
            "get_folder_prefs": self.get_folder_prefs,
            "get_folders": self.get_folders,
            "get_os": self.get_os,
            "get_prefs": self.get_prefs,
            "get_secrets": self.get_secrets,
            "get_speed": self.get_speed,
            "get_version": self.get_version,
            "remove_folder": self.remove_folder,
            "set_file_prefs": self.set_file_prefs,
            "set_folder_hosts": self.set_folder_hosts,
            "set_folder_prefs": self.set_folder_prefs,
            "set_prefs": self.set_prefs,
            "shutdown": self.shutdown,
        }

    def call(self, method: str, params: Params) -> Any:
        """The JSON-ready answer to ``method`` with ``params`` (``method`` not among them)."""
        handler = self.methods.get(method)
        if handler is None:
            return {"error": 5, "message": "Unknown method."}
        try:
            return handler(params)
        except ApiError as exc:
            return exc.body

    # -- helpers --------------------------------------------------------------

    @staticmethod
    def _required(method: str, params: Params, *names: str) -> list[str]:
        values = [params.get(name, "") for name in names]
        if not all(values):
            raise missing(method)
        return values

    @staticmethod
    def _flag(params: Params, name: str, default: bool = False) -> bool:
        value = params.get(name, "")
        if value == "":
            return default
        try:
            return prefs_mod.to_flag(value, name)
        except PrefError as exc:
            raise invalid(str(exc)) from None

    def _folder(self, method: str, params: Params) -> Folder:
        """The folder named by ``secret`` (hold the state lock)."""
        (text,) = self._required(method, params, "secret")
        folder = self.state.folder_by_secret(text)
        if folder is None:
            raise ApiError(INVALID_SECRET)
        return folder

    def _listening_port(self) -> int:
        if self.peers is not None:
            return self.peers.port
        return int(self.state.prefs["listening_port"])

    def _already_added(self, real_dir: str, share_id: str) -> bool:
        for folder in self.state.folders:
            if folder.share_id == share_id or os.path.realpath(folder.dir) == real_dir:
                return True
        return False

    # -- folders --------------------------------------------------------------

    def add_folder(self, params: Params) -> Any:
        (dir_text,) = self._required("add_folder", params, "dir")
        selective = self._flag(params, "selective_sync")
        force = self._flag(params, "force")
        secret_text = params.get("secret", "")
        if secret_text:
            secret = parse_secret(secret_text)
            if secret is None:
                return ADD_BAD_SECRET
        else:
            secret = generate_secret()
        if "\x00" in dir_text or not os.path.isabs(dir_text):
            return ADD_CANNOT_OPEN
        directory = os.path.normpath(dir_text)
        if not os.path.isdir(directory):
            return ADD_CANNOT_OPEN
        real_dir = os.path.realpath(directory)
        with self.state.lock:
            if self._already_added(real_dir, secret.share_id):
                return ADD_ALREADY
        if not files.probe_writable(directory):
            return ADD_NO_WRITE
        try:
            empty = files.is_empty(directory)
        except OSError:
            return ADD_CANNOT_OPEN
        if not empty and not force:
            return ADD_NOT_EMPTY
        with self.state.lock:
            if self._already_added(real_dir, secret.share_id):  # added meanwhile
                return ADD_ALREADY
            folder = Folder(dir=directory, secret=secret, selective_sync=selective, added=int(time.time()))
            folder.prefs.update(self.config.folder_defaults)
            folder.hosts = list(self.config.default_hosts)
            self.state.folders.append(folder)
            self.state.save()
        return {"error": 0}

    def get_folders(self, params: Params) -> Any:
        wanted = params.get("secret", "")
        if wanted and parse_secret(wanted) is None:
            return INVALID_SECRET
        with self.state.lock:
            chosen = [
                (folder.dir, folder.secret.text, folder.type)
                for folder in self.state.folders
                if not wanted or folder.secret.text == wanted
            ]
        result = []
        for folder_dir, secret, folder_type in chosen:
            size, count = files.folder_stats(folder_dir)
            result.append({
                "dir": folder_dir,
                "error": 0,
                "files": count,
                "indexing": 0,
                "secret": secret,
                "size": size,
                "type": folder_type,
            })
        return result

    def remove_folder(self, params: Params) -> Any:
        (text,) = self._required("remove_folder", params, "secret")
        with self.state.lock:
            folder = self.state.folder_by_secret(text)
            if folder is None:
                return {"error": 1}
            self.state.folders.remove(folder)
            self.state.peers.pop(folder.share_id, None)
            self.state.save()
        return {"error": 0}

    # -- files ----------------------------------------------------------------

    def get_files(self, params: Params) -> Any:
        with self.state.lock:
            folder = self._folder("get_files", params)
            root, selective, file_prefs = folder.dir, folder.selective_sync, dict(folder.file_prefs)
        try:
            key = files.relative_key(params.get("path", ""))
            return files.list_entries(root, key, selective, file_prefs)
        except files.PathError as exc:
            raise invalid(str(exc)) from None

    def set_file_prefs(self, params: Params) -> Any:
        self._required("set_file_prefs", params, "secret", "path", "download")
        download = 1 if self._flag(params, "download") else 0
        with self.state.lock:
            folder = self._folder("set_file_prefs", params)
            if not folder.selective_sync:
                raise invalid("Selective sync is not enabled for this folder.")
            try:
                key = files.relative_key(params["path"])
                if not key:
                    raise files.PathError("Invalid path: name a file or folder inside the folder.")
                files.describe(folder.dir, key, True, folder.file_prefs)  # must exist
            except files.PathError as exc:
                raise invalid(str(exc)) from None
            prefix = key + "/"
            for child in [name for name in folder.file_prefs if name.startswith(prefix)]:
                del folder.file_prefs[child]  # a folder's choice applies to all inside it
            folder.file_prefs[key] = download
            self.state.save()
            try:
                return [files.describe(folder.dir, key, True, folder.file_prefs)]
            except files.PathError as exc:  # removed from disk meanwhile
                raise invalid(str(exc)) from None

    # -- peers and secrets ------------------------------------------------------

    def get_folder_peers(self, params: Params) -> Any:
        with self.state.lock:
            folder = self._folder("get_folder_peers", params)
            share_id, hosts = folder.share_id, list(folder.hosts)
        if self.peers is None:
            return []
        self.peers.probe_share(share_id, hosts)
        with self.state.lock:
            if self.state.folder_by_share(share_id) is None:
                return []
            return self.peers.peers_of(share_id)

    def get_secrets(self, params: Params) -> Any:
        text = params.get("secret", "")
        if text:
            secret = parse_secret(text)
            if secret is None:
                return INVALID_SECRET
            return secret.shareable()
        encryption = params.get("type", "").strip().lower() == "encryption"
        return generate_secret(encryption).shareable()

    # -- folder preferences and hosts --------------------------------------------

    @staticmethod
    def _folder_prefs(folder: Folder) -> dict[str, int]:
        result = {key: folder.prefs.get(key, 0) for key in prefs_mod.FOLDER_PREF_KEYS}
        result["selective_sync"] = 1 if folder.selective_sync else 0
        return dict(sorted(result.items()))

    def get_folder_prefs(self, params: Params) -> Any:
        with self.state.lock:
            return self._folder_prefs(self._folder("get_folder_prefs", params))

    def set_folder_prefs(self, params: Params) -> Any:
        with self.state.lock:
            folder = self._folder("set_folder_prefs", params)
            updates: dict[str, int] = {}
            for name, value in params.items():
                if name == "secret":
                    continue
                try:
                    updates[name] = prefs_mod.coerce_folder_pref(name, value)
                except PrefError as exc:
                    raise invalid(str(exc)) from None
            if updates:
                folder.prefs.update(updates)
                self.state.save()
            return self._folder_prefs(folder)

    def get_folder_hosts(self, params: Params) -> Any:
        with self.state.lock:
            return {"hosts": list(self._folder("get_folder_hosts", params).hosts)}

    def set_folder_hosts(self, params: Params) -> Any:
        self._required("set_folder_hosts", params, "secret")
        if "hosts" not in params:
            raise missing("set_folder_hosts")
        hosts: list[str] = []
        for item in params["hosts"].split(","):
            host = item.strip()
            if not host:
                continue
            try:
                parse_host_port(host)
            except ValueError:
                raise invalid(f"Invalid host {host!r}: expected host:port.") from None
            if host not in hosts:
                hosts.append(host)
        if len(hosts) > MAX_HOSTS:
            raise invalid(f"Too many hosts: at most {MAX_HOSTS}.")
        with self.state.lock:
            folder = self._folder("set_folder_hosts", params)
            if self.peers is not None:
                for gone in set(folder.hosts) - set(hosts):
                    self.peers.forget_via(folder.share_id, gone)
            folder.hosts = hosts
            self.state.save()
            return {"hosts": list(folder.hosts)}

    # -- device -----------------------------------------------------------------

    def get_prefs(self, params: Params) -> Any:
        with self.state.lock:
            result = dict(self.state.prefs)
            result["listening_port"] = self._listening_port()
            return dict(sorted(result.items()))

    def set_prefs(self, params: Params) -> Any:
        updates: dict[str, PrefValue] = {}
        for name, value in params.items():
            try:
                updates[name] = prefs_mod.coerce_pref(name, value)
            except PrefError as exc:
                raise invalid(str(exc)) from None
        with self.state.lock:
            port = updates.get("listening_port")
            if port is not None and self.peers is not None:
                wanted = int(port)
                if (wanted != 0 and wanted != self.peers.port) or (wanted == 0 and self.state.prefs["listening_port"] != 0):
                    try:
                        self.peers.rebind(wanted)
                    except OSError:
                        raise invalid(f"Cannot listen on port {wanted}.") from None
            if updates:
                self.state.prefs.update(updates)
                self.state.save()
        return self.get_prefs({})

    def get_os(self, params: Params) -> Any:
        return {"os": os_name()}

    def get_speed(self, params: Params) -> Any:
        return {"download": 0, "upload": 0}  # no content is transferred

    def get_version(self, params: Params) -> Any:
        return {"version": self.version}

    def shutdown(self, params: Params) -> Any:
        return {"error": 0}  # the HTTP layer stops the process once this is sent
