"""A client written against the real server drives the archive's ``btsync``.

``pybtsync`` 0.0.3 (PyPI) was written for the vendor's API; it knows nothing of
this project. The test lets it write the config (``pybtsync.write_conf_file``),
starts the archive's ``btsync --config FILE`` as pybtsync does (daemon mode),
and calls every API method through ``pybtsync.BTSync``.

Two of its wrappers cannot work on Python 3 as published: ``set_prefs`` and
``set_folder_prefs`` pop ``None`` arguments from ``locals()`` while iterating
over it (``RuntimeError: dictionary changed size during iteration``), and with
every argument given they send ``self=<BTSync object>`` as a preference. For
those two the test calls pybtsync's own transport, ``_request_function``, with
the parameters the wrappers mean to send. (``btsync-py`` 0.9.9, the other
client on PyPI, is Python 2 only and talks to the undocumented ``/gui/``
endpoint, so it cannot be used.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pybtsync
import pytest
from btsync_sim.harness import SimulatorProcess, free_port, wait_for
from simtest_util import E_RE, PREF_KEYS, STANDARD_RE


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_pybtsync_drives_the_archive_binary(btsync_binary: Path, tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    storage.mkdir()
    port = str(free_port())
    conf = pybtsync.write_conf_file(
        storage_path=str(storage), address="127.0.0.1", port=port, login="client-user",
        password="client-password", api_key="client-api-key", conf_file_location=str(tmp_path / "sync.conf"),
    )
    # pybtsync's config knows no pid_file; one is added so that the test can
    # always clean up the daemon (nothing else is changed).
    config = json.loads(Path(conf).read_text())
    pid_file = tmp_path / "btsync.pid"
    config["pid_file"] = str(pid_file)
    Path(conf).write_text(json.dumps(config, indent=4, sort_keys=True))

    started = subprocess.run([str(btsync_binary), "--config", conf], capture_output=True, text=True, timeout=60,
                             check=False, stdin=subprocess.DEVNULL)
    assert started.returncode == 0, started.stderr
    pid = int(pid_file.read_text())
    peers: list[SimulatorProcess] = []
    try:
        # pybtsync names each call with inspect.stack(), which reads the source of
        # every frame: from a fresh thread the stack is short and the test fast.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(drive, btsync_binary, tmp_path, port, peers).result()
        wait_for(lambda: not alive(pid), 10, what="daemon exit after shutdown")
        assert not pid_file.exists()
    finally:
        for peer_sim in peers:
            peer_sim.stop()
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)


def drive(btsync_binary: Path, tmp_path: Path, port: str, peers: list[SimulatorProcess]) -> None:
    """Every API method through pybtsync."""
    client = pybtsync.BTSync("127.0.0.1", port, "client-user", "client-password")
    wrong = pybtsync.BTSync("127.0.0.1", port, "client-user", "nope")
    with pytest.raises(ValueError):  # HTTP 401 has no JSON body
        wrong.get_version()

    # -- device ------------------------------------------------------------
    assert client.get_version() == "1.4.111"
    assert client.get_os() == "linux"
    assert client.get_speed() == {"download": 0, "upload": 0}
    prefs = client.get_prefs()
    assert set(prefs) == PREF_KEYS
    assert client.get_prefs(pref="lan_encrypt_data") == "true"
    changed = client._request_function("set_prefs", {
        "device_name": "pybtsync-box", "lan_use_tcp": 1, "upload_limit": 10,
    })
    assert (changed["device_name"], changed["lan_use_tcp"], changed["upload_limit"]) == ("pybtsync-box", "true", 10)
    with pytest.raises(RuntimeError, match="dictionary changed size"):
        client.set_prefs(device_name="x")  # the wrapper's own Python 3 bug, before any request

    # -- secrets -----------------------------------------------------------
    generated = client.get_secrets()  # pybtsync always asks for type=encryption
    assert generated["read_write"][0] == "D" and E_RE.fullmatch(generated["read_only"])
    assert generated["encryption"][0] == "F"
    assert client.get_secrets(secret=generated["read_only"]) == {
        "read_only": generated["read_only"], "encryption": generated["encryption"]}
    with pytest.raises(Exception, match="Invalid secret"):
        client.get_secrets(secret="not-a-secret")

    # -- folders -----------------------------------------------------------
    plain = tmp_path / "plain"
    (plain / "docs").mkdir(parents=True)
    (plain / "readme.txt").write_text("hello")
    (plain / "docs" / "a.md").write_text("# a")
    assert client.add_folder(str(plain)) == {"error": 0}  # sends secret='' and force=1
    (folder,) = client.get_folders()
    secret = folder["secret"]
    assert STANDARD_RE.fullmatch(secret) and folder["type"] == "read_write"
    assert (folder["dir"], folder["files"], folder["size"]) == (str(plain), 2, 8)
    assert client.get_folders(secret=secret) == [folder]
    assert client.add_folder(str(plain))["result"] == 200

    assert [e["name"] for e in client.get_files(secret)] == ["docs", "readme.txt"]
    assert [e["name"] for e in client.get_files(secret, path="docs")] == ["a.md"]

    selective = tmp_path / "selective"
    selective.mkdir()
    (selective / "big.iso").write_text("iso")
    ro_secret = generated["read_only"]
    assert client.add_folder(str(selective), secret=ro_secret, selective_sync=1) == {"error": 0}
    assert client.get_folders(secret=ro_secret)[0]["type"] == "read_only"
    (entry,) = client.set_file_prefs(ro_secret, "big.iso", 0)
    assert (entry["name"], entry["download"]) == ("big.iso", 0)
    assert client.get_files(ro_secret)[0]["download"] == 0

    folder_prefs = client.get_folder_prefs(secret)
    assert folder_prefs["use_relay_server"] == 1 and client.get_folder_prefs(secret, pref="use_dht") == 0
    with pytest.raises(Exception, match="Unknown folder preference: self"):  # the wrapper sends self=<object>
        client.set_folder_prefs(secret, search_lan=1, use_dht=1, use_hosts=0, use_relay_server=1,
                                use_sync_trash=1, use_tracker=1)
    updated = client._request_function("set_folder_prefs", {"secret": secret, "use_dht": 1, "search_lan": 0})
    assert (updated["use_dht"], updated["search_lan"]) == (1, 0)

    assert client.get_folder_hosts(secret) == []
    client.set_folder_hosts(secret, "127.0.0.1:4000,localhost:4001")
    assert client.get_folder_hosts(secret) == ["127.0.0.1:4000", "localhost:4001"]

    # -- peers: a second instance holds the encryption member of the share -------------
    peer_sim = SimulatorProcess(tmp_path / "peer", binary=btsync_binary, device_name="encrypted-peer")
    peers.append(peer_sim)
    peer_sim.start()
    peer_dir = tmp_path / "peer-data"
    peer_dir.mkdir()
    assert peer_sim.api("add_folder", dir=str(peer_dir), secret=generated["encryption"]) == {"error": 0}
    client.set_folder_hosts(ro_secret, f"127.0.0.1:{peer_sim.listening_port}")
    (peer,) = client.get_folder_peers(ro_secret)
    assert (peer["name"], peer["connection"]) == ("encrypted-peer", "direct")
    assert client.get_folder_peers(secret) == []

    # -- removal and shutdown --------------------------------------------------
    assert client.remove_folder(secret) == {"error": 0}
    assert (plain / "readme.txt").read_text() == "hello"
    with pytest.raises(Exception):  # noqa: B017 - pybtsync raises a bare Exception for {"error": 1}
        client.remove_folder(secret)
    assert client.shutdown() == 0
