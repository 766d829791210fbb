# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every btsync module shares.

* ``CONNECTION_ARGSPEC``: the connection options, documented once in the
  ``syncops.btsync.connection`` doc fragment;
* :class:`BtsyncModule`: builds the ``AnsibleModule``, reports a missing
  ``requests`` with ``missing_required_lib``, creates the client, and turns
  every :class:`BtsyncError` into one ``fail_json`` -- the only place where a
  module fails;
* :class:`Diff`: records only what changes, for ``changed`` and diff mode;
* helpers to find the folder a task means, and to tell whether a folder is a
  selective-sync folder.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import (
    DEFAULT_API_URL,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    BtsyncClient,
    BtsyncError,
    Folder,
    api_url_credentials,
    normalise_path,
    secret_type,
    validate_folder_path,
    validate_secret,
)

CONNECTION_ARGSPEC: Dict[str, Dict[str, Any]] = dict(
    api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["BTSYNC_API_URL"])),
    api_user=dict(type="str", fallback=(env_fallback, ["BTSYNC_API_USER"])),
    api_password=dict(type="str", no_log=True, fallback=(env_fallback, ["BTSYNC_API_PASSWORD"])),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    validate_certs=dict(type="bool", default=True),
    retries=dict(type="int", default=DEFAULT_RETRIES),
)

# Folder identification, shared by the modules that act on one folder.
FOLDER_ID_ARGSPEC: Dict[str, Dict[str, Any]] = dict(
    path=dict(type="str"),
    secret=dict(type="str", no_log=True),
)


class BtsyncModuleError(BtsyncError):
    """A failure decided by a module (not by the API): a conflict, a missing folder..."""


class Diff(object):
    """Records the values that change; ``before``/``after`` hold only those."""

    def __init__(self) -> None:
        self.before: Dict[str, Any] = {}
        self.after: Dict[str, Any] = {}

    def add(self, key: str, before: Any, after: Any) -> bool:
        """Record ``key`` when ``before != after``; return whether it differs."""
        if before == after:
            return False
        self.before[key] = before
        self.after[key] = after
        return True

    def add_item(self, section: str, key: str, before: Any, after: Any) -> bool:
        """Record ``section.key`` (for dictionaries of preferences) when it differs."""
        if before == after:
            return False
        self.before.setdefault(section, {})[key] = before
        self.after.setdefault(section, {})[key] = after
        return True

    @property
    def changed(self) -> bool:
        return bool(self.before or self.after)

    def as_dict(self) -> Dict[str, Any]:
        return {"before": self.before, "after": self.after}


class BtsyncModule(object):
    """An ``AnsibleModule`` with the connection options and one error handler.

    ``run(func)`` calls ``func(self)`` and exits with the dictionary it
    returns, or fails with the message of the :class:`BtsyncError` it raised.
    Nothing else in a module calls ``fail_json``.
    """

    def __init__(self, argument_spec: Dict[str, Any], supports_check_mode: bool = True, **kwargs: Any) -> None:
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.params: Dict[str, Any] = self.module.params
        self._hide_url_password(self.params.get("api_url"))
        self._client: Optional[BtsyncClient] = None

    def _hide_url_password(self, url: Any) -> None:
        """Keep a password given in ``api_url`` out of every result (``invocation`` included)."""
        password = api_url_credentials(url)[1]
        if not password:
            return
        self.module.no_log_values.add(password)
        raw = urlsplit(url.strip()).password
        if raw:
            self.module.no_log_values.add(raw)

    @property
    def check_mode(self) -> bool:
        return bool(self.module.check_mode)

    @property
    def diff_mode(self) -> bool:
        return bool(getattr(self.module, "_diff", False))

    @property
    def client(self) -> BtsyncClient:
        """The API client, created on first use (its validation errors reach ``run``)."""
        if self._client is None:
            self._client = BtsyncClient(
                api_url=self.params["api_url"],
                api_user=self.params["api_user"],
                api_password=self.params["api_password"],
                timeout=self.params["timeout"],
                validate_certs=self.params["validate_certs"],
                retries=self.params["retries"],
            )
        return self._client

    def warn(self, msg: str) -> None:
        self.module.warn(msg)

    def run(self, func: Callable[["BtsyncModule"], Dict[str, Any]]) -> None:
        error: Optional[BtsyncError] = None
        result: Dict[str, Any] = {}
        try:
            result = func(self)
        except BtsyncError as exc:
            error = exc
        finally:
            if self._client is not None:
                self._client.close()
        if error is not None:
            self.module.fail_json(msg=str(error), **error.details())
        self.module.exit_json(**result)

    def finish(self, changed: bool, diff: Optional[Diff] = None, **result: Any) -> Dict[str, Any]:
        """The result dictionary: ``changed``, the diff in diff mode, and ``result``."""
        result["changed"] = changed
        if diff is not None and self.diff_mode:
            result["diff"] = diff.as_dict()
        return result

    # -- folders ------------------------------------------------------------

    def folder_id(self) -> "FolderId":
        """The validated ``path``/``secret`` options of the task."""
        path = self.params.get("path")
        secret = self.params.get("secret")
        return FolderId(
            path=validate_folder_path(path) if path is not None else None,
            secret=validate_secret(secret) if secret is not None else None,
        )

    def existing_folder(self, folders: Optional[Sequence[Folder]] = None) -> Folder:
        """The live folder the task names; fail clearly when there is none."""
        ident = self.folder_id()
        folders = self.client.get_folders() if folders is None else folders
        folder = ident.match(folders)
        if folder is None:
            raise BtsyncModuleError("no such folder on the Sync host: %s" % ident.describe(folders))
        return folder


class FolderId(object):
    """A folder as named by a task: by ``path`` and/or ``secret`` (both must match)."""

    def __init__(self, path: Optional[str], secret: Optional[str]) -> None:
        if path is None and secret is None:
            raise BtsyncModuleError("one of path or secret is required to identify a folder")
        self.path = path
        self.secret = secret

    def matches(self, folder: Folder) -> bool:
        if self.path is not None and normalise_path(folder.path) != self.path:
            return False
        return self.secret is None or folder.secret == self.secret

    def match(self, folders: Sequence[Folder]) -> Optional[Folder]:
        for folder in folders:
            if self.matches(folder):
                return folder
        return None

    def by_path(self, folders: Sequence[Folder]) -> Optional[Folder]:
        if self.path is None:
            return None
        return next((folder for folder in folders if normalise_path(folder.path) == self.path), None)

    def by_secret(self, folders: Sequence[Folder]) -> Optional[Folder]:
        if self.secret is None:
            return None
        return next((folder for folder in folders if folder.secret == self.secret), None)

    def describe(self, folders: Sequence[Folder] = ()) -> str:
        """Name the folder without its secret, and say why nothing matched."""
        parts: List[str] = []
        if self.path is not None:
            parts.append("path %s" % self.path)
        if self.secret is not None:
            parts.append("the given secret (type %s)" % secret_type(self.secret))
        text = " and ".join(parts)
        at_path = self.by_path(folders)
        if self.secret is not None and at_path is not None:
            text += "; the folder at %s has another secret" % at_path.path
        return text


def live_selective_sync(client: BtsyncClient, folder: Folder, prefs: Optional[Dict[str, Any]] = None) -> Optional[bool]:
    """Whether a live folder is a selective-sync folder, or None when the API cannot tell.

    The API has no field for it everywhere: use ``selective_sync`` from
    get_folders or get_folder_prefs when the server reports it, else look at
    the root listing -- on a selective-sync folder its entries carry ``download``.
    """
    if folder.selective_sync is not None:
        return folder.selective_sync
    if prefs is not None and isinstance(prefs.get("selective_sync"), bool):
        return bool(prefs["selective_sync"])
    entries = client.get_files(folder.secret)
    if not entries:
        return None
    return any(entry.download is not None for entry in entries)
