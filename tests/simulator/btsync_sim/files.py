"""What get_files, set_file_prefs and get_folders read from the disk.

Listings reflect the real directory: every entry is a file that exists. Sync's
own hidden names (``.sync``, ``.SyncID``...) are left out. A file counts as
fully present (``have_pieces == total_pieces``) since the simulator replicates
no content; pieces are 4 MiB.
"""

from __future__ import annotations

import os
import stat
import tempfile
from typing import Any

PIECE_SIZE = 4 * 1024 * 1024
HIDDEN_NAMES = frozenset({".sync", ".SyncArchive", ".SyncID", ".SyncIgnore", ".SyncTrash"})
PROBE_PREFIX = ".btsync-sim-probe."
# get_folders walks the folder for size and files; a bound keeps a huge tree cheap.
MAX_WALK_ENTRIES = 200_000


class PathError(ValueError):
    """A ``path`` argument that is not inside the folder or does not exist."""


def is_hidden(name: str) -> bool:
    return name in HIDDEN_NAMES or name.startswith(PROBE_PREFIX)


def relative_key(path: str) -> str:
    """Normalise a relative path sent by a client: ``a/b``, no ``.``, no leading ``/``."""
    if "\x00" in path:
        raise PathError("Invalid path.")
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise PathError("Invalid path: it leaves the folder.")
    return "/".join(parts)


def resolve(root: str, key: str) -> str:
    """The absolute path of ``key`` inside ``root``; error when a link leads outside."""
    candidate = os.path.join(root, *key.split("/")) if key else root
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise PathError("Invalid path: it leaves the folder.")
    return candidate


def effective_download(file_prefs: dict[str, int], key: str) -> int:
    """The download flag of ``key``: its own, or its nearest parent's, else 1."""
    probe = key
    while True:
        if probe in file_prefs:
            return file_prefs[probe]
        if not probe:
            return 1
        probe = probe.rpartition("/")[0]


def entry_for(name: str, st: os.stat_result, selective: bool, download: int) -> dict[str, Any]:
    """One element of a get_files answer, shaped like the vendor's sample."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")  # names that are not UTF-8
    if stat.S_ISDIR(st.st_mode):
        entry: dict[str, Any] = {"name": name, "state": "created", "type": "folder"}
    else:
        size = st.st_size
        pieces = (size + PIECE_SIZE - 1) // PIECE_SIZE
        entry = {
            "have_pieces": pieces,
            "name": name,
            "size": size,
            "state": "created",
            "total_pieces": pieces,
            "type": "file",
        }
    if selective:
        entry["download"] = download
    return entry


def list_entries(root: str, key: str, selective: bool, file_prefs: dict[str, int]) -> list[dict[str, Any]]:
    """The get_files answer for the directory ``key`` of the folder at ``root``."""
    directory = resolve(root, key)
    try:
        with os.scandir(directory) as it:
            found = sorted((entry.name, entry) for entry in it if not is_hidden(entry.name))
    except NotADirectoryError:
        raise PathError("Invalid path: not a folder.") from None
    except FileNotFoundError:
        raise PathError("Invalid path: no such folder.") from None
    except OSError as exc:
        raise PathError(f"Cannot read the folder: {exc.strerror or exc}.") from None
    result = []
    for name, entry in found:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # removed while listing
        child = f"{key}/{name}" if key else name
        result.append(entry_for(name, st, selective, effective_download(file_prefs, child)))
    return result


def describe(root: str, key: str, selective: bool, file_prefs: dict[str, int]) -> dict[str, Any]:
    """The get_files entry of one path (for set_file_prefs)."""
    path = resolve(root, key)
    try:
        st = os.lstat(path)
    except OSError:
        raise PathError("Invalid path: no such file or folder.") from None
    return entry_for(key.rpartition("/")[2], st, selective, effective_download(file_prefs, key))


def folder_stats(root: str) -> tuple[int, int]:
    """(size in bytes, number of files) of the tree at ``root``, bounded."""
    size = 0
    files = 0
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if not is_hidden(name)]
        for name in filenames:
            if is_hidden(name):
                continue
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                return size, files
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            files += 1
            size += st.st_size
    return size, files


def probe_writable(directory: str) -> bool:
    """Whether a file can be created in ``directory`` (tried for real: root ignores modes)."""
    try:
        fd, path = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=directory)
    except OSError:
        return False
    os.close(fd)
    try:
        os.unlink(path)
    except OSError:
        pass
    return True


def is_empty(directory: str) -> bool:
    """Whether ``directory`` holds nothing but Sync's own hidden entries."""
    with os.scandir(directory) as it:
        return all(is_hidden(entry.name) for entry in it)
