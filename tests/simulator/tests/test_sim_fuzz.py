"""Junk requests never crash the server: always HTTP 200 and a JSON answer."""

from __future__ import annotations

import json
import socket
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from btsync_sim.harness import SimulatorProcess
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simtest_util import random_secret

METHODS = [
    "add_folder", "get_files", "get_folder_hosts", "get_folder_peers", "get_folder_prefs", "get_folders", "get_os",
    "get_prefs", "get_secrets", "get_speed", "get_version", "remove_folder", "set_file_prefs", "set_folder_hosts",
    "set_folder_prefs", "set_prefs",
]  # all but shutdown
PARAM_NAMES = [
    "dir", "secret", "selective_sync", "force", "path", "download", "hosts", "type", "search_lan", "use_dht",
    "use_hosts", "use_relay_server", "use_sync_trash", "use_tracker", "device_name", "download_limit", "lang",
    "listening_port", "upload_limit", "use_upnp", "lan_use_tcp", "sync_trash_ttl", "folder_rescan_interval",
]
FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimulatorProcess, Path, list[str]]]:
    base = tmp_path_factory.mktemp("fuzz")
    data = base / "data"
    for name in ("a", "b", "sel"):
        (data / name / "sub").mkdir(parents=True)
        (data / name / "file.txt").write_text(name)
    sim = SimulatorProcess(base / "sim", device_name="fuzz")
    sim.start()
    secrets = [random_secret("A"), random_secret("D")]
    sim.api("add_folder", dir=str(data / "a"), secret=secrets[0], force=1)
    sim.api("add_folder", dir=str(data / "sel"), secret=secrets[1], force=1, selective_sync=1)
    try:
        yield sim, data, secrets
    finally:
        sim.stop()


def value_strategy(data: Path, secrets: list[str]) -> st.SearchStrategy[str]:
    safe_dirs = [str(data / n) for n in ("a", "b", "sel", "missing")] + [str(data / "a" / "file.txt"), "relative", ""]
    return st.one_of(
        st.text(max_size=40).filter(lambda s: not s.startswith(("/", "\\"))),  # never an absolute path outside
        st.sampled_from(safe_dirs + secrets + [random_secret("B"), "0", "1", "-1", "true", "false", "encryption",
                                               "..", "../..", "sub", "file.txt", "9" * 30, "127.0.0.1:1", "x:0"]),
        st.integers(-2**40, 2**40).map(str),
    )


def check_answer(sim: SimulatorProcess, query: str) -> Any:
    response = sim.request("/api?" + query)
    assert response.status == 200, (query, response.status, sim.log_tail(5))
    assert response.content_type == "text/javascript"
    body = response.json()
    assert isinstance(body, (list, dict))
    if isinstance(body, dict):
        code = body.get("error") or body.get("result")
        if code and body != {"error": 1}:  # remove_folder's bare answer
            assert isinstance(body.get("message"), str) and body["message"], body
    return body


@FUZZ
@given(data=st.data())
def test_junk_parameters(fuzzed: tuple[SimulatorProcess, Path, list[str]], data: st.DataObject) -> None:
    sim, root, secrets = fuzzed
    method = data.draw(st.one_of(st.sampled_from(METHODS), st.text(max_size=20)), label="method")
    names = data.draw(st.lists(st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=10)), max_size=6), label="names")
    params: dict[str, str] = {}
    for name in names:
        if name == "hosts":
            # only loopback or unparsable hosts: the prober really connects to valid ones
            params[name] = data.draw(st.one_of(
                st.text(string.ascii_letters + ", ", max_size=20),
                st.sampled_from(["127.0.0.1:1", "[::1]:2,127.0.0.2:3", "localhost:0", ""])), label="hosts")
        else:
            params[name] = data.draw(value_strategy(root, secrets), label=name)
    if method == "shutdown":
        method = "get_version"
    check_answer(sim, urlencode({"method": method, **params}))


@FUZZ
@given(raw=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_junk_query_strings(fuzzed: tuple[SimulatorProcess, Path, list[str]], raw: str) -> None:
    sim, _unused_a, _unused_b = fuzzed
    query = quote(raw, safe="=&;+%")
    if "shutdown" in query:
        query = query.replace("shutdown", "get_os")
    check_answer(sim, query)


def test_raw_bytes_and_broken_requests(fuzzed: tuple[SimulatorProcess, Path, list[str]]) -> None:
    sim, _unused_a, _unused_b = fuzzed
    auth = sim.auth_header()["Authorization"].encode()
    for request in (
        b"GET /api?method=get_files&secret=%ff%fe&path=%00 HTTP/1.0\r\nAuthorization: " + auth + b"\r\n\r\n",
        b"GET /api?method=get_version&" + b"a=1&" * 1200 + b" HTTP/1.0\r\nAuthorization: " + auth + b"\r\n\r\n",
        b"POST /api HTTP/1.0\r\nAuthorization: " + auth + b"\r\nContent-Length: nope\r\n\r\n",
        b"BREW /api HTTP/1.0\r\n\r\n",
        b"\x00\x01\x02 garbage\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", sim.api_port), timeout=5) as conn:
            conn.sendall(request)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        if not answer:  # not even HTTP: closed without an answer (http.server's way)
            assert request.startswith(b"\x00")
            continue
        status = int(answer.split(b" ", 2)[1])
        assert status != 500 and status < 600, answer[:200]
        if status == 200:
            json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert sim.api("get_version")["version"]
