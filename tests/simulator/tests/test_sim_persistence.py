"""State survives restarts and kill -9; writes are atomic."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.error
from collections.abc import Callable
from pathlib import Path

import pytest
from btsync_sim.harness import SimulatorError, SimulatorProcess, wait_for
from simtest_util import SimFactory, random_secret


def snapshot(sim: SimulatorProcess) -> dict[str, object]:
    """Everything the API tells about the instance's state."""
    folders = sim.api("get_folders")
    result: dict[str, object] = {"folders": folders, "prefs": sim.api("get_prefs")}
    for folder in folders:
        secret = folder["secret"]
        result[folder["dir"]] = {
            "prefs": sim.api("get_folder_prefs", secret=secret),
            "hosts": sim.api("get_folder_hosts", secret=secret),
            "files": sim.api("get_files", secret=secret),
        }
    return result


def populate(sim: SimulatorProcess, make_dir: Callable[..., Path]) -> None:
    plain = make_dir("plain", {"a.txt": "a"})
    selective = make_dir("selective", {"x.txt": "x", "sub/y.txt": "y"})
    encrypted = make_dir("encrypted")
    assert sim.api("add_folder", dir=str(plain), secret=random_secret("A"), force=1) == {"error": 0}
    assert sim.api("add_folder", dir=str(selective), selective_sync=1, force=1) == {"error": 0}
    f_secret = sim.api("get_secrets", type="encryption")["encryption"]
    assert sim.api("add_folder", dir=str(encrypted), secret=f_secret) == {"error": 0}
    by_dir = {f["dir"]: f["secret"] for f in sim.api("get_folders")}
    assert sim.api("set_folder_prefs", secret=by_dir[str(plain)], use_dht=1, use_tracker=0)["use_dht"] == 1
    assert sim.api("set_folder_hosts", secret=by_dir[str(plain)], hosts="127.0.0.1:1,[::1]:2")["hosts"]
    assert sim.api("set_file_prefs", secret=by_dir[str(selective)], path="sub", download=0)[0]["download"] == 0
    # (device_name is in the harness's config file, which wins at restart: see the last test)
    assert sim.api("set_prefs", download_limit=12, sync_trash_ttl=7, lan_use_tcp=1)["download_limit"] == 12


def test_state_survives_a_clean_restart(make_sim: SimFactory, make_dir: Callable[..., Path]) -> None:
    sim = make_sim("restart")
    populate(sim, make_dir)
    before = snapshot(sim)
    peer_id = json.loads(sim.state_path.read_text())["peer_id"]
    assert sim.stop() == 0
    sim.start()
    assert snapshot(sim) == before
    assert json.loads(sim.state_path.read_text())["peer_id"] == peer_id


def test_state_survives_kill_9(make_sim: SimFactory, make_dir: Callable[..., Path]) -> None:
    sim = make_sim("killed")
    populate(sim, make_dir)
    before = snapshot(sim)
    sim.kill9()
    assert sim.pid_file.exists()  # nothing cleaned up
    sim.start()  # a stale pid file does not stop it
    assert snapshot(sim) == before


def test_kill_9_during_a_burst_of_writes(make_sim: SimFactory, tmp_path: Path) -> None:
    sim = make_sim("burst")
    acknowledged: set[str] = set()
    unexpected: list[object] = []
    lock = threading.Lock()
    for round_no, kill_after in enumerate((4, 9, 15)):
        stop = threading.Event()
        this_round: list[str] = []

        def writer(worker: int, round_no: int, stop: threading.Event, this_round: list[str]) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                folder = tmp_path / "burst" / f"r{round_no}-w{worker}-{n}"
                folder.mkdir(parents=True)
                secret = random_secret()
                try:
                    answer = sim.api("add_folder", dir=str(folder), secret=secret)
                    sim.api("set_prefs", upload_limit=n)
                except (OSError, urllib.error.URLError, http.client.HTTPException, ValueError):
                    return  # killed mid-request: not acknowledged
                if answer != {"error": 0}:
                    unexpected.append(answer)
                    return
                with lock:
                    acknowledged.add(secret)
                    this_round.append(secret)

        threads = [threading.Thread(target=writer, args=(i, round_no, stop, this_round)) for i in range(6)]
        for thread in threads:
            thread.start()
        # kill while the writers are busy, however fast this machine is today
        wait_for(lambda kill_after=kill_after, this_round=this_round: len(this_round) >= kill_after, 30,
                 interval=0.005, what="acknowledged writes")
        sim.kill9()
        stop.set()
        for thread in threads:
            thread.join(10)
        # the file on disk is always complete JSON, and holds every acknowledged write
        state = json.loads(sim.state_path.read_text())
        on_disk = {folder["secret"] for folder in state["folders"]}
        assert acknowledged <= on_disk, f"round {round_no}: {len(acknowledged - on_disk)} acknowledged writes lost"
        sim.start()
        assert acknowledged <= {f["secret"] for f in sim.api("get_folders")}
    assert unexpected == []
    assert len(acknowledged) >= 28
    assert not [p for p in sim.storage_path.iterdir() if ".tmp." in p.name]


def test_broken_state_file_is_a_clear_startup_error(make_sim: SimFactory) -> None:
    sim = make_sim("broken")
    sim.stop()
    sim.state_path.write_text('{"format": 1, "folders": [')
    with pytest.raises(SimulatorError, match="cannot read state file"):
        sim.start()
    assert sim.log_tail().count("btsync: error:") == 1


def test_leftover_temporary_files_are_cleaned(make_sim: SimFactory) -> None:
    sim = make_sim("tmpfiles")
    sim.kill9()
    leftover = sim.storage_path / ".btsync-sim-state.json.tmp.99999.1"
    leftover.write_text("{half")
    sim.start()
    assert not leftover.exists()


def test_config_preferences_win_over_the_api_at_restart(make_sim: SimFactory) -> None:
    sim = make_sim("precedence", config_overrides={"sync_trash_ttl": 30})
    sim.api("set_prefs", sync_trash_ttl=5, folder_rescan_interval=99)
    sim.restart()
    prefs = sim.api("get_prefs")
    assert prefs["sync_trash_ttl"] == "30"  # set in the config file
    assert prefs["folder_rescan_interval"] == "99"  # not in the config: the API's value stays
