"""Concurrent requests leave a consistent state."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

from btsync_sim.harness import SimulatorProcess
from simtest_util import random_secret


def run_threads(count: int, target: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrapped(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_twenty_threads_adding_changing_and_removing(sim: SimulatorProcess, tmp_path: Path) -> None:
    kept: dict[str, str] = {}
    lock = threading.Lock()

    def worker(i: int) -> None:
        for n in range(3):
            folder = tmp_path / "c" / f"t{i}-{n}"
            folder.mkdir(parents=True)
            secret = random_secret()
            assert sim.api("add_folder", dir=str(folder), secret=secret) == {"error": 0}
            assert sim.api("set_folder_prefs", secret=secret, use_dht=1)["use_dht"] == 1
            hosts = f"127.0.0.1:{1000 + i}"
            assert sim.api("set_folder_hosts", secret=secret, hosts=hosts) == {"hosts": [hosts]}
            assert any(f["secret"] == secret for f in sim.api("get_folders"))
            sim.api("set_prefs", upload_limit=i)
            if n % 2:
                assert sim.api("remove_folder", secret=secret) == {"error": 0}
            else:
                with lock:
                    kept[secret] = str(folder)

    assert run_threads(20, worker) == []
    folders = sim.api("get_folders")
    assert {f["secret"]: f["dir"] for f in folders} == kept
    assert len(folders) == 40
    for secret in kept:
        assert sim.api("get_folder_prefs", secret=secret)["use_dht"] == 1
        assert len(sim.api("get_folder_hosts", secret=secret)["hosts"]) == 1
    state = json.loads(sim.state_path.read_text())
    assert {f["secret"] for f in state["folders"]} == set(kept)
    assert state["prefs"]["upload_limit"] == sim.api("get_prefs")["upload_limit"]


def test_racing_adds_of_one_directory(sim: SimulatorProcess, tmp_path: Path) -> None:
    folder = tmp_path / "contested"
    folder.mkdir()
    answers: list[object] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        answer = sim.api("add_folder", dir=str(folder), secret=random_secret())
        with lock:
            answers.append(answer)

    assert run_threads(12, worker) == []
    assert answers.count({"error": 0}) == 1
    assert all(a == {"error": 0} or a["result"] == 200 for a in answers)  # type: ignore[index]
    assert len(sim.api("get_folders")) == 1
