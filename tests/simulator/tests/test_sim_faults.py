"""Fault injection flags and the request log."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
from pathlib import Path

import pytest
from btsync_sim.harness import SimulatorProcess
from simtest_util import SimFactory, random_secret

ONLY_ADD = ["--fault-methods", "add_folder"]


def test_latency(make_sim: SimFactory) -> None:
    sim = make_sim("slow", extra_args=["--fault-latency-ms", "400"])
    started = time.monotonic()
    assert sim.api("get_version")["version"]
    assert time.monotonic() - started >= 0.4


def test_http500_does_not_handle_the_request(make_sim: SimFactory, tmp_path: Path) -> None:
    sim = make_sim("e500", extra_args=["--fault-http500-rate", "1", *ONLY_ADD])
    response = sim.api_request("add_folder", dir=str(tmp_path))
    assert response.status == 500
    assert sim.api("get_folders") == []
    assert sim.api("get_version")["version"]  # other methods are not faulted


def test_drop_closes_before_handling(make_sim: SimFactory, tmp_path: Path) -> None:
    sim = make_sim("drop", extra_args=["--fault-drop-rate", "1", *ONLY_ADD])
    folder = tmp_path / "f"
    folder.mkdir()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        sim.api("add_folder", dir=str(folder))
    assert sim.api("get_folders") == []


def test_lost_response_after_handling(make_sim: SimFactory, tmp_path: Path) -> None:
    sim = make_sim("lose", extra_args=["--fault-lose-response-rate", "1", *ONLY_ADD])
    folder = tmp_path / "f"
    folder.mkdir()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        sim.api("add_folder", dir=str(folder))
    assert [f["dir"] for f in sim.api("get_folders")] == [str(folder)]  # the change was made


def test_malformed_json_after_handling(make_sim: SimFactory, tmp_path: Path) -> None:
    sim = make_sim("malformed", extra_args=["--fault-malformed-rate", "1", *ONLY_ADD])
    folder = tmp_path / "f"
    folder.mkdir()
    response = sim.api_request("add_folder", dir=str(folder))
    assert response.status == 200 and response.content_type == "text/javascript"
    with pytest.raises(ValueError):
        response.json()
    assert len(sim.api("get_folders")) == 1


def test_malformed_applies_to_every_method_without_a_filter(make_sim: SimFactory) -> None:
    sim = make_sim("all-malformed", extra_args=["--fault-malformed-rate", "1"])
    for method in ("get_version", "get_prefs", "get_folders", "get_secrets"):
        with pytest.raises(ValueError):
            sim.api_request(method).json()


def statuses(sim: SimulatorProcess, count: int) -> list[int]:
    return [sim.api_request("get_os").status for _request in range(count)]


def test_seed_makes_faults_repeatable(make_sim: SimFactory) -> None:
    flags = ["--fault-http500-rate", "0.5", "--fault-seed", "1234"]
    first = statuses(make_sim("seed-a", extra_args=flags), 30)
    second = statuses(make_sim("seed-b", extra_args=flags), 30)
    assert first == second
    assert set(first) == {200, 500}
    other = statuses(make_sim("seed-c", extra_args=["--fault-http500-rate", "0.5", "--fault-seed", "99"]), 30)
    assert other != first


def test_request_log_holds_names_never_values(make_sim: SimFactory, tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    sim = make_sim("logged", extra_args=["--request-log", str(log)])
    folder = tmp_path / "very-private-dir"
    folder.mkdir()
    secret = random_secret()
    sim.api("add_folder", dir=str(folder), secret=secret)
    sim.api("set_folder_hosts", secret=secret, hosts="127.0.0.1:7")
    sim.api("get_version")
    text = log.read_text()
    assert secret not in text and "very-private-dir" not in text and "127.0.0.1:7" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(e["method"], e["params"]) for e in lines] == [
        ("add_folder", ["dir", "secret"]),
        ("set_folder_hosts", ["secret", "hosts"]),
        ("get_version", []),
    ]
    assert all(set(e) == {"ts", "method", "params"} and isinstance(e["ts"], float) for e in lines)
