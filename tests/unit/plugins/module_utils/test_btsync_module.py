# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the shared module helper: argspec, env fallbacks, the one error handler."""

from __future__ import annotations

import socket
from typing import Any, Callable, Dict, List

import pytest
from ansible_collections.syncops.btsync.plugins.module_utils import btsync_module
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import (
    BtsyncApiError,
    BtsyncClient,
    BtsyncValidationError,
    Folder,
)
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_module import (
    CONNECTION_ARGSPEC,
    BtsyncModule,
    BtsyncModuleError,
    Diff,
    FolderId,
)

SECRET_A = "A" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SECRET_B = "B" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

RunModule = Callable[..., Dict[str, Any]]


def make_main(func: Callable[[BtsyncModule], Dict[str, Any]], spec: Dict[str, Any] | None = None) -> Callable[[], None]:
    def main() -> None:
        BtsyncModule(spec or {}).run(func)
    return main


def echo_params(bm: BtsyncModule) -> Dict[str, Any]:
    return bm.finish(False, params={key: bm.params[key] for key in CONNECTION_ARGSPEC})


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return int(port)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BTSYNC_API_URL", "BTSYNC_API_USER", "BTSYNC_API_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def test_connection_defaults(run_module: RunModule) -> None:
    result = run_module(make_main(echo_params), {})
    assert result["params"] == {"api_url": "http://127.0.0.1:8888", "api_user": None, "api_password": None,
                                "timeout": 10.0, "validate_certs": True, "retries": 3}


def test_environment_fallbacks(run_module: RunModule, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BTSYNC_API_URL", "http://sync.example:9999")
    monkeypatch.setenv("BTSYNC_API_USER", "admin")
    monkeypatch.setenv("BTSYNC_API_PASSWORD", "s3cr3t-pw")
    result = run_module(make_main(echo_params), {})
    assert result["params"]["api_url"] == "http://sync.example:9999"
    assert result["params"]["api_user"] == "admin"
    assert "s3cr3t-pw" not in str(result)  # no_log, even from the environment
    result = run_module(make_main(echo_params), {"api_url": "http://other:1"})
    assert result["params"]["api_url"] == "http://other:1"


def test_password_is_masked(run_module: RunModule) -> None:
    result = run_module(make_main(echo_params), {"api_password": "hunter2-long"})
    assert "hunter2-long" not in str(result)


def test_api_error_is_one_fail_json(run_module: RunModule) -> None:
    def func(bm: BtsyncModule) -> Dict[str, Any]:
        raise BtsyncApiError("add_folder", 101, "no write permission", "/srv/data")

    result = run_module(make_main(func), {})
    assert result["failed"] is True
    assert result["msg"] == "add_folder /srv/data failed: [101] no write permission"
    assert (result["api_method"], result["api_error_code"], result["api_message"]) == (
        "add_folder", 101, "no write permission")


def test_module_error(run_module: RunModule) -> None:
    def func(bm: BtsyncModule) -> Dict[str, Any]:
        raise BtsyncModuleError("no such folder")

    assert run_module(make_main(func), {})["msg"] == "no such folder"


def test_client_validation_error(run_module: RunModule) -> None:
    def func(bm: BtsyncModule) -> Dict[str, Any]:
        return bm.finish(False, version=bm.client.get_version())

    result = run_module(make_main(func), {"api_url": "ftp://nowhere"})
    assert result["failed"] and "api_url" in result["msg"]
    result = run_module(make_main(func), {"retries": -1})
    assert result["failed"] and "retries" in result["msg"]


def test_unreachable_names_the_url(run_module: RunModule) -> None:
    port = closed_port()

    def func(bm: BtsyncModule) -> Dict[str, Any]:
        return bm.finish(False, version=bm.client.get_version())

    result = run_module(make_main(func), {"api_url": "http://127.0.0.1:%d" % port, "retries": 0})
    assert result["failed"]
    assert result["msg"].startswith("get_version: cannot reach the Sync API at http://127.0.0.1:%d/api" % port)


def test_client_is_closed(run_module: RunModule, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: List[bool] = []
    monkeypatch.setattr(BtsyncClient, "close", lambda self: closed.append(True))

    def func(bm: BtsyncModule) -> Dict[str, Any]:
        assert bm.client is bm.client  # one client per run
        raise BtsyncValidationError("bad")

    run_module(make_main(func), {})
    assert closed == [True]


def test_missing_requests(run_module: RunModule, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(btsync_module, "HAS_REQUESTS", False)
    monkeypatch.setattr(btsync_module, "REQUESTS_IMPORT_ERROR", "Traceback: No module named 'requests'")
    result = run_module(make_main(echo_params), {})
    assert result["failed"]
    assert "Failed to import the required Python library (requests)" in result["msg"]


def test_diff_in_diff_mode_only(run_module: RunModule) -> None:
    def func(bm: BtsyncModule) -> Dict[str, Any]:
        diff = Diff()
        diff.add("same", 1, 1)
        diff.add("hosts", [], ["a:1"])
        diff.add_item("preferences", "use_dht", False, True)
        diff.add_item("preferences", "use_tracker", True, True)
        return bm.finish(diff.changed, diff)

    result = run_module(make_main(func), {}, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"hosts": [], "preferences": {"use_dht": False}},
                              "after": {"hosts": ["a:1"], "preferences": {"use_dht": True}}}
    assert "diff" not in run_module(make_main(func), {}, diff=False)


def test_diff_empty() -> None:
    diff = Diff()
    assert not diff.add("x", "a", "a")
    assert not diff.changed and diff.as_dict() == {"before": {}, "after": {}}


class TestFolderId:
    folders = [Folder(path="/srv/data", secret=SECRET_A, type="read_write"),
               Folder(path="/srv/other/", secret=SECRET_B, type="read_only")]

    def test_by_path_normalised(self) -> None:
        assert FolderId("/srv/other", None).match(self.folders) is self.folders[1]
        assert FolderId("/srv//data/", None).match(self.folders) is None  # FolderId holds normalised paths only

    def test_by_secret_and_both(self) -> None:
        assert FolderId(None, SECRET_B).match(self.folders) is self.folders[1]
        assert FolderId("/srv/data", SECRET_A).match(self.folders) is self.folders[0]
        assert FolderId("/srv/data", SECRET_B).match(self.folders) is None

    def test_describe_never_shows_the_secret(self) -> None:
        text = FolderId("/srv/data", SECRET_B).describe(self.folders)
        assert SECRET_B not in text and SECRET_A not in text
        assert text == "path /srv/data and the given secret (type B); the folder at /srv/data has another secret"

    def test_needs_one(self) -> None:
        with pytest.raises(BtsyncModuleError):
            FolderId(None, None)
