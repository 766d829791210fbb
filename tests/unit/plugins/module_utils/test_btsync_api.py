# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the API client, at the level of ``requests``.

``requests.Session.request`` is replaced by :class:`FakeApi`, which answers
each API method from a queue of prepared answers (a JSON body, a raw
``requests.Response`` or an exception) and records every call, so that the
tests pin the exact sequence of requests: retries, reconciliation reads, and
that nothing is sent when validation fails.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import socket
import string

import pytest
import requests
import urllib3.exceptions
from ansible_collections.syncops.btsync.plugins.module_utils import btsync_api as api
from ansible_collections.syncops.btsync.plugins.module_utils.btsync_api import (
    BtsyncApiError,
    BtsyncApiNotEnabledError,
    BtsyncAuthenticationError,
    BtsyncClient,
    BtsyncError,
    BtsyncProtocolError,
    BtsyncServerError,
    BtsyncTimeoutError,
    BtsyncTransportError,
    BtsyncUnreachableError,
    BtsyncValidationError,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

URL = "http://127.0.0.1:8888"


def make_secret(letter: str = "A", seed: int = 0, length: int = 32) -> str:
    """A well-formed secret (not a vendor example): letter + base32 of seeded bytes."""
    raw = bytes((seed + i) % 256 for i in range(40))
    return letter + base64.b32encode(raw).decode("ascii").rstrip("=")[:length]


SECRET_A = make_secret("A", 1)
SECRET_B = make_secret("B", 2)
SECRET_D = make_secret("D", 3)
SECRET_E = make_secret("E", 4, 52)
SECRET_F = make_secret("F", 5)


def response(status: int = 200, body: object = b"", content_type: str = "text/javascript") -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = json.dumps(body).encode("utf-8")
    resp._content = body
    resp.headers["Content-Type"] = content_type
    resp.url = URL + "/api"
    return resp


def refused() -> requests.exceptions.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/api?method=get_folders&secret=" + SECRET_A, reason))


def dropped() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection without response")))


class FakeApi(object):
    """Replaces ``requests.Session.request``; answers per API method from queues."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.queues: dict[str, list[object]] = {}
        self.sessions: set[int] = set()
        self.requests: list[dict[str, object]] = []
        fake = self

        def request(session: requests.Session, *args: object, **kwargs: object) -> requests.Response:
            return fake._request(session, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(requests.Session, "request", request)

    def on(self, method: str, *answers: object) -> "FakeApi":
        """Queue answers for ``method``; the last one is repeated."""
        self.queues.setdefault(method, []).extend(answers)
        return self

    def methods(self) -> list[str]:
        return [method for method, _dummy in self.calls]

    def _request(self, session: requests.Session, http_method: str, url: str, params: object = None,
                 timeout: object = None, **kwargs: object) -> requests.Response:
        pairs = list(params or [])  # type: ignore[call-overload]
        query = dict(pairs)
        method = query.pop("method")
        self.calls.append((method, query))
        self.sessions.add(id(session))
        self.requests.append({"url": url, "http_method": http_method, "timeout": timeout, "auth": session.auth,
                              "verify": session.verify, **kwargs})
        queue = self.queues.get(method)
        if not queue:
            raise AssertionError("unexpected API call %s" % method)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(answer) and not isinstance(answer, BaseException):
            answer = answer(query)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, requests.Response):
            return answer
        return response(200, answer)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    return FakeApi(monkeypatch)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> BtsyncClient:
    return BtsyncClient(URL, api_user="api", api_password="pw", timeout=5, retries=3, sleep=sleeps.append)


def folder_entry(path: str = "/srv/data", secret: str = SECRET_A, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {"dir": path, "secret": secret, "size": 10, "type": "read_write", "files": 1,
                                "error": 0, "indexing": 0}
    entry.update(extra)
    return entry


# ---------------------------------------------------------------------------
# Requests: one session, auth, URL, parameters
# ---------------------------------------------------------------------------

class TestRequests:
    def test_one_session_for_all_calls_with_auth_and_timeout(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_version", {"version": "1.4.111"}).on("get_os", {"os": "linux"})
        assert client.get_version() == "1.4.111"
        assert client.get_os() == "linux"
        assert len(fake.sessions) == 1
        assert all(req["auth"] == ("api", "pw") and req["timeout"] == 5.0 for req in fake.requests)
        assert all(req["url"] == URL + "/api" and req["http_method"] == "GET" for req in fake.requests)

    def test_no_credentials_no_auth(self, fake: FakeApi) -> None:
        fake.on("get_os", {"os": "mac"})
        assert BtsyncClient(URL).get_os() == "mac"
        assert fake.requests[0]["auth"] is None

    def test_validate_certs_false(self, fake: FakeApi) -> None:
        fake.on("get_os", {"os": "win32"})
        BtsyncClient("https://sync.example.com:8888/", validate_certs=False).get_os()
        assert fake.requests[0]["verify"] is False
        assert fake.requests[0]["url"] == "https://sync.example.com:8888/api"

    @pytest.mark.parametrize("url, endpoint", [
        ("http://127.0.0.1:8888", "http://127.0.0.1:8888/api"),
        ("http://127.0.0.1:8888/", "http://127.0.0.1:8888/api"),
        ("http://127.0.0.1:8888/api", "http://127.0.0.1:8888/api"),
        ("http://host/gui/", "http://host/gui/api"),
        ("https://[::1]:4443", "https://[::1]:4443/api"),
    ])
    def test_api_url(self, url: str, endpoint: str) -> None:
        assert BtsyncClient(url).url == endpoint

    @pytest.mark.parametrize("url", ["", "127.0.0.1:8888", "ftp://host", "http://", "http://host:99999",
                                     "http://host/?x=1", None, 8888])
    def test_bad_api_url(self, url: object) -> None:
        with pytest.raises(BtsyncValidationError, match="api_url"):
            BtsyncClient(url)  # type: ignore[arg-type]

    @pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"timeout": -1}, {"timeout": True}, {"retries": -1},
                                        {"retries": 21}, {"retries": 1.5}])
    def test_bad_timeout_or_retries(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(BtsyncValidationError):
            BtsyncClient(URL, **kwargs)  # type: ignore[arg-type]

    def test_flags_are_sent_as_1_and_0(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", {"error": 0})
        client.add_folder("/srv/data", SECRET_A, selective_sync=True, force=True)
        assert fake.calls == [("add_folder", {"dir": "/srv/data", "secret": SECRET_A, "selective_sync": "1", "force": "1"})]

    def test_optional_flags_left_out(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", {"error": 0})
        client.add_folder("/srv/data")
        assert fake.calls == [("add_folder", {"dir": "/srv/data"})]

    def test_set_prefs_encoding(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_prefs", {"device_name": "n", "use_upnp": 1, "upload_limit": 10})
        client.set_prefs({"use_upnp": "yes", "upload_limit": "10", "device_name": "n"})
        assert fake.calls == [("set_prefs", {"use_upnp": "1", "upload_limit": "10", "device_name": "n"})]

    def test_set_folder_hosts_comma_separated(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_folder_hosts", {"hosts": ["a.example:1", "[2001:db8::1]:2"]})
        hosts = client.set_folder_hosts(SECRET_A, ["A.example:1", "[2001:DB8:0::1]:2", "a.example:1"])
        assert fake.calls == [("set_folder_hosts", {"secret": SECRET_A, "hosts": "a.example:1,[2001:db8::1]:2"})]
        assert hosts == ["a.example:1", "[2001:db8::1]:2"]

    def test_get_secrets_encryption(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_secrets", {"read_write": SECRET_D, "read_only": SECRET_E, "encryption": SECRET_F})
        secrets = client.get_secrets(encryption=True)
        assert fake.calls == [("get_secrets", {"type": "encryption"})]
        assert secrets.to_dict() == {"read_write": SECRET_D, "read_only": SECRET_E, "encryption": SECRET_F}

    def test_every_api_method_has_a_typed_method(self) -> None:
        assert len(api.API_METHODS) == 17
        for method in api.API_METHODS:
            assert callable(getattr(BtsyncClient, method)), method


# ---------------------------------------------------------------------------
# Typed errors
# ---------------------------------------------------------------------------

class TestErrors:
    def test_unreachable_names_url_and_cause_never_the_query(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_folders", refused())
        with pytest.raises(BtsyncUnreachableError) as info:
            client.get_folders(SECRET_A)
        msg = str(info.value)
        assert "http://127.0.0.1:8888/api" in msg
        assert "Connection refused" in msg
        assert SECRET_A not in msg and "secret=" not in msg
        assert info.value.request_sent is False

    def test_unreachable_for_real(self, sleeps: list[float]) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        client = BtsyncClient("http://127.0.0.1:%d" % port, retries=1, timeout=2, sleep=sleeps.append)
        with pytest.raises(BtsyncUnreachableError, match="cannot reach the Sync API at http://127.0.0.1:%d/api" % port):
            client.get_version()
        assert sleeps == [0.2]

    def test_dropped_connection(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_os", dropped())
        with pytest.raises(BtsyncUnreachableError, match="Remote end closed connection") as info:
            client.get_os()
        assert info.value.request_sent is True

    def test_read_timeout(self, fake: FakeApi, client: BtsyncClient, sleeps: list[float]) -> None:
        fake.on("get_prefs", requests.exceptions.ReadTimeout("read timed out"))
        with pytest.raises(BtsyncTimeoutError, match=r"did not answer within 5 seconds \(timeout\)"):
            client.get_prefs()
        assert fake.methods() == ["get_prefs"]  # a slow server is not asked again
        assert sleeps == []

    def test_connect_timeout_is_retried(self, fake: FakeApi, client: BtsyncClient, sleeps: list[float]) -> None:
        fake.on("get_prefs", requests.exceptions.ConnectTimeout("connect timed out"), {"device_name": "x"})
        assert client.get_prefs()["device_name"] == "x"
        assert fake.methods() == ["get_prefs", "get_prefs"]

    def test_connect_timeout_exhausted(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_os", requests.exceptions.ConnectTimeout("connect timed out"))
        with pytest.raises(BtsyncTimeoutError, match=r"did not accept the connection.*after 4 attempts"):
            client.get_os()

    def test_tls_error(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_os", requests.exceptions.SSLError("certificate verify failed"))
        with pytest.raises(BtsyncUnreachableError, match=r"TLS error.*validate_certs") as info:
            client.get_os()
        assert info.value.request_sent is False

    def test_authentication_failed(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_folders", response(401, "Unauthorized", "text/html"))
        with pytest.raises(BtsyncAuthenticationError, match=r"HTTP 401.*check api_user and api_password"):
            client.get_folders()
        assert fake.methods() == ["get_folders"]  # never retried

    @pytest.mark.parametrize("body", ["invalid request", "", b"\xff\xfe"])
    def test_api_not_enabled(self, fake: FakeApi, client: BtsyncClient, body: object) -> None:
        fake.on("get_version", response(400, body, "text/plain"))
        with pytest.raises(BtsyncApiNotEnabledError, match=r"not enabled.*set webui.api_key in the Sync config"):
            client.get_version()

    def test_http_400_with_json_error_is_an_api_error(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_folder_prefs", response(400, {"error": 2, "message": "Specify all the required parameters"}))
        with pytest.raises(BtsyncApiError, match=r"\[2\] Specify all the required parameters"):
            client.get_folder_prefs(SECRET_A)

    def test_api_error_under_error(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_secrets", {"error": 3, "message": "Invalid secret."})
        with pytest.raises(BtsyncApiError) as info:
            client.get_secrets(SECRET_B)
        assert (info.value.method, info.value.code, info.value.api_message) == ("get_secrets", 3, "Invalid secret.")
        assert SECRET_B not in str(info.value)
        assert str(info.value) == "get_secrets (folder with a type B secret) failed: [3] Invalid secret."

    def test_api_error_under_result_names_the_target(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", {"result": 101, "message": "no write permission"})
        with pytest.raises(BtsyncApiError) as info:
            client.add_folder("/srv/data", SECRET_A)
        assert str(info.value) == "add_folder /srv/data failed: [101] no write permission"
        assert info.value.details() == {"api_method": "add_folder", "api_error_code": 101,
                                        "api_message": "no write permission"}
        assert fake.methods() == ["add_folder"]  # an API error is an answer: no reconciliation

    def test_api_error_names_the_folder_path_once_known(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_folders", [folder_entry("/srv/data", SECRET_A)])
        fake.on("remove_folder", {"error": 1, "message": "no folder"})
        client.get_folders()
        with pytest.raises(BtsyncApiError, match=r"^remove_folder /srv/data failed: \[1\] no folder$"):
            client.remove_folder(SECRET_A)

    @pytest.mark.parametrize("body, code, message", [
        ({"error": "105", "message": "folder not empty"}, 105, "folder not empty"),
        ({"result": "201"}, 201, "no message"),
        ({"error": True, "message": "boom"}, 1, "boom"),
        ({"error": "Invalid secret"}, None, "Invalid secret"),
        ({"error": 0, "result": 200, "message": "already added"}, 200, "already added"),
    ])
    def test_error_variants(self, fake: FakeApi, client: BtsyncClient, body: object, code: object, message: str) -> None:
        fake.on("add_folder", body)
        with pytest.raises(BtsyncApiError) as info:
            client.add_folder("/srv/x")
        assert info.value.code == code
        assert info.value.api_message == message

    @pytest.mark.parametrize("body", [{"error": 0}, {"result": 0}, {"error": "0"}, {"result": "0", "message": "OK"},
                                      {"error": False}, {"error": None}, {"error": ""}, {}])
    def test_success_variants(self, fake: FakeApi, client: BtsyncClient, body: object) -> None:
        fake.on("add_folder", body)
        client.add_folder("/srv/x")

    @pytest.mark.parametrize("answer, match", [
        (response(200, "<html>oops</html>"), "not JSON"),
        (response(200, ""), "empty body"),
        (response(200, b"\xff\xfe{}"), "not UTF-8"),
        (response(200, {"folders": 1}), "expected a JSON array"),
        (response(200, {"dir": 1}), "has no 'dir'"),
        (response(200, [{"secret": SECRET_A}]), "has no 'dir'"),
        (response(200, ["x"]), "not an object"),
        (response(404, "not found"), "HTTP 404"),
        (response(302, ""), "HTTP 302"),
    ])
    def test_malformed(self, fake: FakeApi, client: BtsyncClient, answer: requests.Response, match: str) -> None:
        fake.on("get_folders", answer)
        with pytest.raises(BtsyncProtocolError, match=match):
            client.get_folders()

    @pytest.mark.parametrize("method, body", [
        ("get_prefs", []), ("get_folder_prefs", [1]), ("get_secrets", '"x"'), ("get_os", [])])
    def test_wrong_shape(self, fake: FakeApi, client: BtsyncClient, method: str, body: object) -> None:
        fake.on(method, body)
        with pytest.raises(BtsyncProtocolError, match="expected a JSON object"):
            call = getattr(client, method)
            call(SECRET_A) if method == "get_folder_prefs" else call()

    def test_server_error_after_retries(self, fake: FakeApi, client: BtsyncClient, sleeps: list[float]) -> None:
        fake.on("get_speed", response(500, "Internal Server Error", "text/html"))
        with pytest.raises(BtsyncServerError, match=r"HTTP 500 .after 4 attempts.") as info:
            client.get_speed()
        assert info.value.details() == {"http_status": 500}
        assert fake.methods() == ["get_speed"] * 4
        assert sleeps == [0.2, 0.4, 0.8]

    @pytest.mark.parametrize("call", [
        lambda c: c.get_folders("not-a-secret"),
        lambda c: c.add_folder("/srv/x", "A" * 10),
        lambda c: c.add_folder(""),
        lambda c: c.remove_folder(make_secret("G")),
        lambda c: c.get_files(SECRET_A, "../etc"),
        lambda c: c.set_file_prefs(SECRET_A, "/etc/passwd", True),
        lambda c: c.set_file_prefs(SECRET_A, "a/../../b", True),
        lambda c: c.set_file_prefs(SECRET_A, "a", "maybe"),
        lambda c: c.set_folder_hosts(SECRET_A, ["host"]),
        lambda c: c.set_folder_hosts(SECRET_A, ["host:0"]),
        lambda c: c.set_folder_hosts(SECRET_A, "host:1"),
        lambda c: c.set_folder_prefs(SECRET_A, {"use_dht": 2}),
        lambda c: c.set_folder_prefs(SECRET_A, {"selective_sync": True}),
        lambda c: c.set_prefs({"nope": 1}),
        lambda c: c.set_prefs({"upload_limit": -1}),
        lambda c: c.set_prefs({"listening_port": 70000}),
        lambda c: c.set_prefs({"device_name": ""}),
        lambda c: c.set_prefs({"use_upnp": "maybe"}),
        lambda c: c.set_prefs({"sync_trash_ttl": "abc"}),
        lambda c: c.set_prefs({"lang": True}),
        lambda c: c.call("rm_rf"),
    ])
    def test_validation_before_any_call(self, fake: FakeApi, client: BtsyncClient, call: object) -> None:
        with pytest.raises(BtsyncValidationError):
            call(client)  # type: ignore[operator]
        assert fake.calls == []

    def test_unknown_pref_lists_valid_ones(self) -> None:
        with pytest.raises(BtsyncValidationError) as info:
            api.validate_prefs({"nope": 1, "also_nope": 2})
        assert "also_nope, nope" in str(info.value)
        assert "device_name" in str(info.value) and "use_upnp" in str(info.value)

    def test_errors_are_one_hierarchy(self) -> None:
        for cls in (BtsyncApiError, BtsyncApiNotEnabledError, BtsyncAuthenticationError, BtsyncProtocolError,
                    BtsyncServerError, BtsyncTimeoutError, BtsyncUnreachableError, BtsyncValidationError):
            assert issubclass(cls, BtsyncError)
        for cls in (BtsyncServerError, BtsyncTimeoutError, BtsyncUnreachableError):
            assert issubclass(cls, BtsyncTransportError)


# ---------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------

VENDOR_PREFS = {
    "device_name": "iMac", "disk_low_priority": "true", "download_limit": 0, "folder_rescan_interval": "600",
    "lan_encrypt_data": "true", "lan_use_tcp": "false", "lang": -1, "listening_port": 11589,
    "max_file_size_diff_for_patching": "1000", "max_file_size_for_versioning": "1000",
    "rate_limit_local_peers": "false", "send_buf_size": "5", "sync_max_time_diff": "600", "sync_trash_ttl": "30",
    "upload_limit": 0, "use_upnp": 0, "recv_buf_size": "5",
}
NORMALISED_PREFS = {
    "device_name": "iMac", "disk_low_priority": True, "download_limit": 0, "folder_rescan_interval": 600,
    "lan_encrypt_data": True, "lan_use_tcp": False, "lang": -1, "listening_port": 11589,
    "max_file_size_diff_for_patching": 1000, "max_file_size_for_versioning": 1000,
    "rate_limit_local_peers": False, "send_buf_size": 5, "sync_max_time_diff": 600, "sync_trash_ttl": 30,
    "upload_limit": 0, "use_upnp": False, "recv_buf_size": 5,
}


class TestEncodings:
    def test_vendor_prefs(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_prefs", VENDOR_PREFS)
        assert client.get_prefs() == NORMALISED_PREFS

    def test_prefs_as_integers_and_bools(self, fake: FakeApi, client: BtsyncClient) -> None:
        variant = {key: (int(value == "true") if value in ("true", "false") else value) for key, value in VENDOR_PREFS.items()}
        variant = {key: (int(value) if isinstance(value, str) and value.isdigit() else value) for key, value in variant.items()}
        variant["use_upnp"] = False
        variant["lan_use_tcp"] = "0"
        fake.on("get_prefs", variant)
        assert client.get_prefs() == NORMALISED_PREFS

    def test_unknown_pref_fields_kept_normalised(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_prefs", dict(VENDOR_PREFS, new_flag="true", new_number="12", new_text="x", use_upnp="weird"))
        prefs = client.get_prefs()
        assert (prefs["new_flag"], prefs["new_number"], prefs["new_text"], prefs["use_upnp"]) == (True, 12, "x", "weird")

    @pytest.mark.parametrize("on, off", [(1, 0), ("1", "0"), ("true", "false"), (True, False), ("TRUE", "False")])
    def test_folder_prefs(self, fake: FakeApi, client: BtsyncClient, on: object, off: object) -> None:
        fake.on("get_folder_prefs", {"search_lan": on, "use_dht": off, "use_hosts": off, "use_relay_server": on,
                                     "use_sync_trash": on, "use_tracker": on, "selective_sync": off, "extra": "1"})
        assert client.get_folder_prefs(SECRET_A) == {
            "search_lan": True, "use_dht": False, "use_hosts": False, "use_relay_server": True,
            "use_sync_trash": True, "use_tracker": True, "selective_sync": False, "extra": 1}

    @pytest.mark.parametrize("content_type", ["text/javascript", "application/json", "text/plain; charset=ISO-8859-1",
                                              "application/octet-stream", ""])
    def test_body_decoded_as_utf8_whatever_the_content_type(self, fake: FakeApi, client: BtsyncClient,
                                                            content_type: str) -> None:
        fake.on("get_prefs", response(200, json.dumps({"device_name": "Zo\u00eb\u2019s NAS \u2713"}, ensure_ascii=False).encode("utf-8"),
                                      content_type))
        assert client.get_prefs()["device_name"] == "Zo\u00eb\u2019s NAS \u2713"

    def test_utf8_bom(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_os", response(200, b"\xef\xbb\xbf" + b'{"os": "linux"}'))
        assert client.get_os() == "linux"

    def test_folders_with_unknown_fields_and_string_numbers(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_folders", [folder_entry(size="23762511569", files="3206", error="0", indexing="1",
                                             peers=3, last_modified="x", selective_sync=1)])
        folder = client.get_folders()[0]
        assert (folder.path, folder.size, folder.files, folder.error, folder.indexing, folder.selective_sync) == (
            "/srv/data", 23762511569, 3206, 0, True, True)
        assert "secret" not in folder.to_dict() and folder.to_dict(include_secret=True)["secret"] == SECRET_A
        assert SECRET_A not in repr(folder)

    def test_get_folders_with_secret_answering_one_object(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_folders", folder_entry())
        assert [f.path for f in client.get_folders(SECRET_A)] == ["/srv/data"]
        assert fake.calls == [("get_folders", {"secret": SECRET_A})]

    def test_files_and_peers(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_files", [{"name": "images", "state": "created", "type": "folder"},
                              {"name": "index.html", "size": "2726", "state": "created", "total_pieces": 1,
                               "have_pieces": 1, "type": "file", "download": 1, "future": True}])
        fake.on("get_folder_peers", [{"id": "ARRdk5XANMb7RmQqEDfEZE-k5aI=", "connection": "direct", "name": "GT-I9500",
                                      "synced": 0, "download": "0", "upload": 22455367417, "new": 1}])
        entries = client.get_files(SECRET_A, "sub/dir/")
        assert fake.calls[-1] == ("get_files", {"secret": SECRET_A, "path": "sub/dir"})
        assert entries[0].download is None and entries[0].type == "folder"
        assert entries[1].to_dict() == {"name": "index.html", "type": "file", "state": "created", "size": 2726,
                                        "have_pieces": 1, "total_pieces": 1, "download": True}
        assert client.get_folder_peers(SECRET_A)[0].to_dict() == {
            "id": "ARRdk5XANMb7RmQqEDfEZE-k5aI=", "name": "GT-I9500", "connection": "direct", "synced": 0,
            "download": 0, "upload": 22455367417}

    @pytest.mark.parametrize("body, hosts", [
        ({"hosts": ["Peer.Example.com:4000", "192.0.2.1:5"]}, ["peer.example.com:4000", "192.0.2.1:5"]),
        ({"hosts": "a.example:1,b.example:2"}, ["a.example:1", "b.example:2"]),
        ({"hosts": []}, []),
        ({}, []),
        ({"hosts": ["not a host"]}, ["not a host"]),
    ])
    def test_hosts(self, fake: FakeApi, client: BtsyncClient, body: object, hosts: list[str]) -> None:
        fake.on("get_folder_hosts", body)
        assert client.get_folder_hosts(SECRET_A) == hosts

    @pytest.mark.parametrize("body, expected", [
        ({"version": "1.4.111"}, "1.4.111"), ({"version": 16842774}, "16842774"), ({"version": None}, "")])
    def test_version(self, fake: FakeApi, client: BtsyncClient, body: object, expected: str) -> None:
        fake.on("get_version", body)
        assert client.get_version() == expected

    def test_speed(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_speed", {"download": "61007", "upload": 0, "total": 5})
        assert client.get_speed().to_dict() == {"download": 61007, "upload": 0}

    def test_secrets_missing_or_empty(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("get_secrets", {"read_only": SECRET_B, "read_write": "", "encryption": None, "other": "x"})
        secrets = client.get_secrets(SECRET_B)
        assert (secrets.read_write, secrets.read_only, secrets.encryption) == (None, SECRET_B, None)
        assert secrets.to_dict() == {"read_only": SECRET_B}
        assert SECRET_B not in repr(secrets)

    def test_set_folder_prefs_answer_variants(self, fake: FakeApi, client: BtsyncClient) -> None:
        # Some servers answer only {"error": 0}: the prefs are then read back.
        fake.on("set_folder_prefs", {"error": 0})
        fake.on("get_folder_prefs", {"use_dht": 1})
        assert client.set_folder_prefs(SECRET_A, {"use_dht": True}) == {"use_dht": True}
        assert fake.methods() == ["set_folder_prefs", "get_folder_prefs"]


# ---------------------------------------------------------------------------
# Retries and backoff
# ---------------------------------------------------------------------------

class TestRetries:
    def test_read_retried_on_connection_errors_then_succeeds(self, fake: FakeApi, client: BtsyncClient,
                                                             sleeps: list[float]) -> None:
        fake.on("get_folders", dropped(), response(502, "bad gateway"), [folder_entry()])
        assert len(client.get_folders()) == 1
        assert fake.methods() == ["get_folders"] * 3
        assert sleeps == [0.2, 0.4]

    def test_unreadable_answer_is_retried(self, fake: FakeApi, client: BtsyncClient, sleeps: list[float]) -> None:
        fake.on("get_folders", response(200, '[{"dir": "/srv/da'), [folder_entry()])
        assert len(client.get_folders()) == 1
        assert fake.methods() == ["get_folders"] * 2 and sleeps == [0.2]

    def test_retries_zero(self, fake: FakeApi, sleeps: list[float]) -> None:
        fake.on("get_os", dropped())
        with pytest.raises(BtsyncUnreachableError):
            BtsyncClient(URL, retries=0, sleep=sleeps.append).get_os()
        assert fake.methods() == ["get_os"] and sleeps == []

    def test_backoff_is_bounded(self, fake: FakeApi, sleeps: list[float]) -> None:
        fake.on("get_os", dropped())
        client = BtsyncClient(URL, retries=8, backoff_base=0.5, backoff_max=3, sleep=sleeps.append)
        with pytest.raises(BtsyncUnreachableError, match="after 9 attempts"):
            client.get_os()
        assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0]

    @given(retries=st.integers(0, 20), base=st.floats(0, 10), cap=st.floats(0, 60), attempt=st.integers(0, 1000))
    def test_backoff_property(self, retries: int, base: float, cap: float, attempt: int) -> None:
        client = BtsyncClient(URL, retries=retries, backoff_base=base, backoff_max=cap)
        delay = client.backoff_delay(attempt)
        assert 0 <= delay <= cap
        assert delay <= client.backoff_delay(attempt + 1)

    @pytest.mark.parametrize("error", [BtsyncAuthenticationError, BtsyncApiError, BtsyncProtocolError])
    def test_answers_are_not_retried(self, fake: FakeApi, client: BtsyncClient, error: type) -> None:
        answer = {BtsyncAuthenticationError: response(401, "no"), BtsyncApiError: {"error": 3, "message": "x"},
                  BtsyncProtocolError: response(200, "[]")}[error]
        fake.on("get_version", answer)
        with pytest.raises(error):
            client.get_version()
        assert fake.methods() == ["get_version"]

    @pytest.mark.parametrize("write", [
        lambda c: c.set_prefs({"use_upnp": True}),
        lambda c: c.shutdown(),
        lambda c: c.remove_folder(SECRET_A),
    ])
    def test_writes_are_never_retried_on_refusal(self, fake: FakeApi, client: BtsyncClient, write: object) -> None:
        for method in api.WRITE_METHODS:
            fake.on(method, refused())
        with pytest.raises(BtsyncUnreachableError):
            write(client)  # type: ignore[operator]
        assert len(fake.calls) == 1  # the request never left: nothing to reconcile, nothing resent


# ---------------------------------------------------------------------------
# Writes whose answer is lost: reconcile, never repeat blindly
# ---------------------------------------------------------------------------

class TestReconcile:
    def test_add_folder_lost_but_done(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", dropped())
        fake.on("get_folders", [folder_entry("/srv/data/", SECRET_A)])
        client.add_folder("/srv/data", SECRET_A)
        assert fake.methods() == ["add_folder", "get_folders"]

    def test_add_folder_lost_and_not_done_is_sent_once_more(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", response(503, "busy"), {"error": 0})
        fake.on("get_folders", [])
        client.add_folder("/srv/data")
        assert fake.methods() == ["add_folder", "get_folders", "add_folder"]

    def test_add_folder_lost_twice_fails_clearly(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", dropped())
        fake.on("get_folders", [folder_entry("/srv/other", SECRET_B)])
        with pytest.raises(BtsyncTransportError, match=r"add_folder /srv/data: no answer came back twice.*nothing was changed"):
            client.add_folder("/srv/data", SECRET_A)
        assert fake.methods() == ["add_folder", "get_folders", "add_folder", "get_folders"]

    def test_add_folder_resent_says_already_added(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", requests.exceptions.ReadTimeout("slow"), {"result": 200, "message": "already added"})
        fake.on("get_folders", [], [folder_entry("/srv/data", SECRET_A)])
        client.add_folder("/srv/data", SECRET_A)
        assert fake.methods() == ["add_folder", "get_folders", "add_folder", "get_folders"]

    def test_add_folder_lost_and_state_unreadable(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", dropped())
        fake.on("get_folders", response(401, "no"))
        with pytest.raises(BtsyncTransportError, match="may or may not have been made"):
            client.add_folder("/srv/data", SECRET_A)
        assert fake.methods() == ["add_folder", "get_folders"]

    def test_unreadable_write_answer_is_reconciled(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_folder_prefs", response(200, '{"search_lan": 1, "use_d'))
        fake.on("get_folder_prefs", {"use_dht": 0})
        assert client.set_folder_prefs(SECRET_A, {"use_dht": False}) == {"use_dht": False}
        assert fake.methods() == ["set_folder_prefs", "get_folder_prefs"]

    def test_wrong_shape_write_answer_is_not_reconciled(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_folder_hosts", {"hosts": 5})
        with pytest.raises(BtsyncProtocolError):
            client.set_folder_hosts(SECRET_A, [])
        assert fake.methods() == ["set_folder_hosts"]

    def test_remove_folder_lost_but_done(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("remove_folder", dropped())
        fake.on("get_folders", [folder_entry("/srv/other", SECRET_B)])
        client.remove_folder(SECRET_A)
        assert fake.methods() == ["remove_folder", "get_folders"]

    def test_set_prefs_lost_but_done(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_prefs", response(500, "oops"))
        fake.on("get_prefs", dict(VENDOR_PREFS, use_upnp=1))
        assert client.set_prefs({"use_upnp": True})["use_upnp"] is True
        assert fake.methods() == ["set_prefs", "get_prefs"]

    def test_set_folder_hosts_lost_not_done(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_folder_hosts", dropped(), {"hosts": ["a.example:1"]})
        fake.on("get_folder_hosts", {"hosts": []})
        assert client.set_folder_hosts(SECRET_A, ["a.example:1"]) == ["a.example:1"]
        assert fake.methods() == ["set_folder_hosts", "get_folder_hosts", "set_folder_hosts"]

    def test_set_folder_prefs_lost_but_done(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_folder_prefs", dropped())
        fake.on("get_folder_prefs", {"use_dht": "1", "use_tracker": 0})
        assert client.set_folder_prefs(SECRET_A, {"use_dht": True}) == {"use_dht": True, "use_tracker": False}

    def test_set_file_prefs_lost_but_done(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("set_file_prefs", dropped())
        fake.on("get_files", [{"name": "b.txt", "type": "file", "download": 1}])
        entries = client.set_file_prefs(SECRET_A, "a/b.txt", True)
        assert entries[0].download is True
        assert fake.calls == [("set_file_prefs", {"secret": SECRET_A, "path": "a/b.txt", "download": "1"}),
                              ("get_files", {"secret": SECRET_A, "path": "a"})]

    def test_shutdown_lost_because_it_exited(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("shutdown", dropped())
        fake.on("get_version", refused())
        client.shutdown()
        assert fake.methods() == ["shutdown", "get_version"]

    def test_shutdown_lost_still_running_sent_once_more(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("shutdown", dropped(), {"error": 0})
        fake.on("get_version", {"version": "1"})
        client.shutdown()
        assert fake.methods() == ["shutdown"] + ["get_version"] * 25 + ["shutdown"]

    def test_shutdown_lost_and_exiting_a_moment_later(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("shutdown", dropped())
        fake.on("get_version", {"version": "1"}, {"version": "1"}, refused())
        client.shutdown()
        assert fake.methods() == ["shutdown", "get_version", "get_version", "get_version"]


# ---------------------------------------------------------------------------
# Validation and normalisation (examples and properties)
# ---------------------------------------------------------------------------

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
base32_text = st.text(alphabet=BASE32, min_size=32, max_size=32)


class TestSecrets:
    @pytest.mark.parametrize("secret, kind", [
        (SECRET_A, "A"), (SECRET_B, "B"), (make_secret("C"), "C"), (SECRET_D, "D"), (SECRET_E, "E"),
        (SECRET_F, "F"), (make_secret("R"), "R"), ("x" * 40, "custom"),
        (base64.b64encode(bytes(range(60))).decode(), "custom")])
    def test_valid(self, secret: str, kind: str) -> None:
        assert api.secret_type(secret) == kind

    @pytest.mark.parametrize("secret, reason", [
        ("", "too short"), ("A54HDDMPN4T4BTBT7SPBWXDB7JVYZ2K6", "too short"),
        (make_secret("G"), "unknown type letter G"), ("A" + "1" * 32, "outside the base32 alphabet"),
        (SECRET_A + "AB", "a standard secret has 33"), ("a" * 33, "a standard secret has 33"),
        ("A" * 39 + "!", "outside"), (None, "must be a string"), (123, "must be a string"), ("A" * 600, "too long")])
    def test_invalid(self, secret: object, reason: str) -> None:
        with pytest.raises(BtsyncValidationError, match=reason):
            api.secret_type(secret)

    def test_vendor_examples_are_not_fixtures(self) -> None:
        # "G3PNU7KTYM63VNQZFPP3Q3GAMTPRWDEZ" is 32 characters: invalid; the A/D examples are well-formed only by luck.
        with pytest.raises(BtsyncValidationError):
            api.secret_type("G3PNU7KTYM63VNQZFPP3Q3GAMTPRWDEZ")

    @given(letter=st.sampled_from("ABCDFR"), body=base32_text)
    def test_standard_property(self, letter: str, body: str) -> None:
        assert api.secret_type(letter + body) == letter
        assert api.validate_secret(letter + body) == letter + body

    @given(body=st.text(alphabet=BASE32, min_size=33, max_size=100))
    def test_e_property(self, body: str) -> None:
        assert api.secret_type("E" + body) == "E"

    @given(st.one_of(st.text(), st.binary(), st.integers(), st.none(), st.lists(st.text())))
    def test_never_untyped_and_never_echoes(self, value: object) -> None:
        try:
            kind = api.secret_type(value)
        except BtsyncValidationError as exc:
            if isinstance(value, str) and len(value) >= 4:
                assert value not in str(exc)
        else:
            assert kind in api.SECRET_TYPES

    @given(st.text(alphabet=string.ascii_letters + string.digits + "+/=", min_size=0, max_size=80))
    def test_alphabet_property(self, value: str) -> None:
        try:
            kind = api.secret_type(value)
        except BtsyncValidationError:
            return
        if kind == "custom":
            assert len(value) >= 40
        else:
            assert len(value) >= 33


hostname_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
hostnames = st.lists(hostname_label, min_size=1, max_size=4).map(".".join).filter(
    lambda name: not name.rsplit(".", 1)[-1].isdigit())
ports = st.integers(1, 65535)


class TestHosts:
    @pytest.mark.parametrize("value, expected", [
        ("nas1.example.com:4000", "nas1.example.com:4000"), ("NAS1.Example.COM:4000", "nas1.example.com:4000"),
        ("localhost:1", "localhost:1"), ("192.0.2.10:65535", "192.0.2.10:65535"), (" 10.0.0.1:80 ", "10.0.0.1:80"),
        ("[2001:DB8:0:0::1]:4000", "[2001:db8::1]:4000"), ("[::1]:8888", "[::1]:8888"),
        ("[::ffff:192.0.2.1]:5", "[::ffff:c000:201]:5"), ("host.example.:22", "host.example:22"),
        ("123.example.com:1", "123.example.com:1")])
    def test_valid(self, value: str, expected: str) -> None:
        assert api.validate_host(value) == expected

    @pytest.mark.parametrize("value", [
        "host", "host:", ":80", "host:0", "host:65536", "host:-1", "host:+80", "host:\uff18\uff10", "host:1_0",
        "256.1.1.1:80", "1.2.3:80", "01.2.3.4:80", "1.2.3.4.5:80", "2001:db8::1:80", "[2001:db8::1]", "[2001:db8::1]80",
        "[::1:80", "[fe80::1%eth0]:80", "[not-ip]:80", "-bad.example:80", "bad-.example:80", "a..b:80", "a_b:80",
        "a b:80", "é.example:80", "x" * 64 + ".example:80", "", None, 80, ["a:1"]])
    def test_invalid(self, value: object) -> None:
        with pytest.raises(BtsyncValidationError):
            api.validate_host(value)

    @given(name=hostnames, port=ports)
    def test_hostname_property(self, name: str, port: int) -> None:
        assert api.validate_host("%s:%d" % (name.upper(), port)) == "%s:%d" % (name, port)

    @given(address=st.ip_addresses(v=4), port=ports)
    def test_ipv4_property(self, address: object, port: int) -> None:
        assert api.validate_host("%s:%d" % (address, port)) == "%s:%d" % (address, port)

    @given(address=st.ip_addresses(v=6), port=ports)
    def test_ipv6_property(self, address: object, port: int) -> None:
        assert api.validate_host("[%s]:%d" % (address.exploded, port)) == "[%s]:%d" % (address.compressed, port)  # type: ignore[attr-defined]

    @given(port=st.one_of(st.integers(max_value=0), st.integers(min_value=65536)))
    def test_bad_port_property(self, port: int) -> None:
        with pytest.raises(BtsyncValidationError):
            api.validate_host("host.example:%d" % port)

    @given(st.text(max_size=60))
    def test_never_untyped_and_idempotent(self, value: str) -> None:
        try:
            host = api.validate_host(value)
        except BtsyncValidationError:
            return
        assert api.validate_host(host) == host
        assert "," not in host  # the API separates hosts with commas

    @given(st.lists(st.text(max_size=30), max_size=5))
    def test_list_never_untyped(self, values: list[str]) -> None:
        try:
            hosts = api.validate_hosts(values)
        except BtsyncValidationError:
            return
        assert len(hosts) == len(set(hosts))


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


class TestNormalisation:
    @given(st.booleans())
    def test_every_flag_encoding_is_the_same(self, flag: bool) -> None:
        for value in (flag, int(flag), str(int(flag)), str(flag).lower(), str(flag).upper(), " %s " % str(flag)):
            assert api.to_bool(value) is flag

    @given(st.integers(-(10 ** 12), 10 ** 12))
    def test_every_number_encoding_is_the_same(self, number: int) -> None:
        for value in (number, str(number), " %d " % number, float(number)):
            assert api.to_int(value) == number
        assert api.normalise_value(str(number)) == number

    @given(json_values)
    def test_never_untyped(self, value: object) -> None:
        for func in (api.to_bool, api.to_int):
            try:
                func(value)
            except BtsyncValidationError:
                pass
        normalised = api.normalise_value(value)
        if not (isinstance(normalised, float) and math.isnan(normalised)):
            assert api.normalise_value(normalised) == normalised

    @given(st.dictionaries(st.text(max_size=25), json_values, max_size=8))
    def test_prefs_normalisation_never_raises(self, data: dict[str, object]) -> None:
        api.normalise_prefs(data)
        api.normalise_folder_prefs(data)

    @given(st.dictionaries(st.sampled_from((*api.PREF_KEYS, "nope")), json_scalars, max_size=5))
    def test_validate_prefs_never_untyped(self, data: dict[str, object]) -> None:
        try:
            result = api.validate_prefs(data)
        except BtsyncValidationError:
            return
        assert set(result) == set(data)
        # What is valid to send is read back as the same value.
        assert api.normalise_prefs({key: api.encode_param(value) for key, value in result.items()}) == result

    @given(st.dictionaries(st.sampled_from(api.FOLDER_PREF_KEYS), json_scalars, max_size=6))
    def test_validate_folder_prefs_never_untyped(self, data: dict[str, object]) -> None:
        try:
            result = api.validate_folder_prefs(data)
        except BtsyncValidationError:
            return
        assert all(isinstance(value, bool) for value in result.values())

    @given(st.text(max_size=40))
    def test_relative_paths(self, value: str) -> None:
        try:
            path = api.validate_relative_path(value)
        except BtsyncValidationError:
            return
        parts = path.split("/")
        assert ".." not in parts and "" not in parts and not path.startswith("/")
        assert api.validate_relative_path(path) == path

    @pytest.mark.parametrize("value, expected", [
        ("/srv/data/", "/srv/data"), ("/srv//data/./", "/srv/data"), ("//srv/data", "/srv/data"), ("/", "/"),
        ("\\\\?\\D:\\Share\\", "d:\\share"), ("D:/Share", "d:\\share")])
    def test_folder_paths(self, value: str, expected: str) -> None:
        assert api.normalise_path(value) == expected

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
    @given(method=st.sampled_from(sorted(api.READ_METHODS)), body=json_values)
    def test_any_answer_gives_a_result_or_a_typed_error(self, monkeypatch: pytest.MonkeyPatch, method: str,
                                                        body: object) -> None:
        fake = FakeApi(monkeypatch)
        fake.on(method, response(200, json.dumps(body)))
        client = BtsyncClient(URL, retries=0)
        args = (SECRET_A,) if method in ("get_files", "get_folder_hosts", "get_folder_peers", "get_folder_prefs") else ()
        try:
            getattr(client, method)(*args)
        except BtsyncError:
            pass


# ---------------------------------------------------------------------------
# Reliability findings: timeouts, credentials in api_url, bounded echoes
# ---------------------------------------------------------------------------

class TestWriteTimeout:
    def test_read_timeout_twice_does_not_claim_nothing_changed(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", requests.exceptions.ReadTimeout("slow"))
        fake.on("get_folders", [])
        with pytest.raises(BtsyncTransportError) as info:
            client.add_folder("/srv/data", SECRET_A)
        msg = str(info.value)
        assert "nothing was changed" not in msg
        assert "did not come back within the timeout (5 seconds)" in msg
        assert "Sync may still apply it" in msg and "Run the task again" in msg and "reconciles" in msg
        assert SECRET_A not in msg
        assert fake.methods() == ["add_folder", "get_folders", "add_folder", "get_folders"]

    def test_timeout_then_dropped_is_not_proven_either(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", requests.exceptions.ReadTimeout("slow"), dropped())
        fake.on("get_folders", [])
        with pytest.raises(BtsyncTransportError) as info:
            client.add_folder("/srv/data", SECRET_A)
        assert "nothing was changed" not in str(info.value) and "may still apply" in str(info.value)

    def test_dropped_twice_still_says_nothing_was_changed(self, fake: FakeApi, client: BtsyncClient) -> None:
        fake.on("add_folder", dropped())
        fake.on("get_folders", [])
        with pytest.raises(BtsyncTransportError, match="nothing was changed"):
            client.add_folder("/srv/data", SECRET_A)


PASSWORD = "s3cr3t-P4ss"


class TestUrlCredentials:
    def test_url_credentials_used_when_no_api_user_or_password(self, fake: FakeApi) -> None:
        fake.on("get_os", {"os": "linux"})
        client = BtsyncClient("http://api:%s@127.0.0.1:8888" % PASSWORD)
        assert client.get_os() == "linux"
        assert fake.requests[0]["auth"] == ("api", PASSWORD)
        assert fake.requests[0]["url"] == URL + "/api"
        assert PASSWORD not in client.url

    def test_url_credentials_percent_decoded(self, fake: FakeApi) -> None:
        fake.on("get_os", {"os": "linux"})
        BtsyncClient("http://api:p%40ss%3Aword@127.0.0.1:8888").get_os()
        assert fake.requests[0]["auth"] == ("api", "p@ss:word")

    def test_api_user_and_password_win_over_url(self, fake: FakeApi) -> None:
        fake.on("get_os", {"os": "linux"})
        BtsyncClient("http://api:%s@127.0.0.1:8888" % PASSWORD, api_user="admin", api_password="pw").get_os()
        assert fake.requests[0]["auth"] == ("admin", "pw")
        assert fake.requests[0]["url"] == URL + "/api"

    @pytest.mark.parametrize("answer", [refused(), dropped(), requests.exceptions.ReadTimeout("slow"),
                                        response(401, "no"), response(503, "busy"), response(400, "off"),
                                        response(200, "not json"), response(418, "teapot")])
    def test_errors_never_show_the_url_password(self, fake: FakeApi, answer: object) -> None:
        fake.on("get_os", answer)
        client = BtsyncClient("http://api:%s@127.0.0.1:8888" % PASSWORD, retries=0, sleep=lambda _: None)
        with pytest.raises(BtsyncError) as info:
            client.get_os()
        assert PASSWORD not in str(info.value)
        assert "127.0.0.1:8888" in str(info.value)

    def test_write_errors_never_show_the_url_password(self, fake: FakeApi) -> None:
        fake.on("add_folder", requests.exceptions.ReadTimeout("slow"))
        fake.on("get_folders", [])
        client = BtsyncClient("http://api:%s@127.0.0.1:8888" % PASSWORD, sleep=lambda _: None)
        with pytest.raises(BtsyncError) as info:
            client.add_folder("/srv/data")
        assert PASSWORD not in str(info.value)

    @pytest.mark.parametrize("url", ["ftp://api:%s@host" % PASSWORD, "http://api:%s@host:99999" % PASSWORD,
                                     "http://api:%s@host/?x=1" % PASSWORD, "http://api:%s@[::1" % PASSWORD,
                                     "http://api:%s@" % PASSWORD])
    def test_validation_errors_never_show_the_url_password(self, url: str) -> None:
        with pytest.raises(BtsyncValidationError, match="api_url") as info:
            BtsyncClient(url)
        assert PASSWORD not in str(info.value)

    @pytest.mark.parametrize("text, expected", [
        ("at http://api:pw@127.0.0.1:8888/api failed", "at http://api:********@127.0.0.1:8888/api failed"),
        ("https://token@host/x", "https://********@host/x"),
        ("http://a:b@c@host:1", "http://a:********@host:1"),
        ("http://127.0.0.1:8888/api", "http://127.0.0.1:8888/api"),
        ("no url here: user@example.com", "no url here: user@example.com"),
    ])
    def test_redact_url(self, text: str, expected: str) -> None:
        assert api.redact_url(text) == expected

    def test_describe_cause_redacts_userinfo(self) -> None:
        exc = requests.exceptions.ConnectionError("cannot open http://api:%s@127.0.0.1:1/api" % PASSWORD)
        assert PASSWORD not in api.describe_cause(exc)


class TestBoundedEchoes:
    @pytest.mark.parametrize("validate, key", [
        (api.validate_prefs, "x" * 3000),
        (api.validate_prefs, "line one\nline two\r\nline three"),
        (api.validate_folder_prefs, "y" * 3000),
        (api.validate_folder_prefs, "bad\nkey"),
    ])
    def test_unknown_key_is_echoed_on_one_bounded_line(self, validate: object, key: str) -> None:
        with pytest.raises(BtsyncValidationError, match="unknown") as info:
            validate({key: 1})  # type: ignore[operator]
        msg = str(info.value)
        assert "\n" not in msg and "\r" not in msg
        prefix = msg.split("; valid", maxsplit=1)[0]
        assert len(prefix) < 80, prefix

    def test_many_unknown_keys_are_bounded(self) -> None:
        with pytest.raises(BtsyncValidationError) as info:
            api.validate_prefs({"k%03d" % i: 1 for i in range(200)})
        assert "and 195 more" in str(info.value) and "k199" not in str(info.value)

    def test_short_text(self) -> None:
        assert api.short_text("turbo_mode") == "turbo_mode"
        assert api.short_text("a\nb") == "a\\nb"
        assert len(api.short_text("z" * 3000)) == 40
