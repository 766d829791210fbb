"""Peers: instances holding one share see each other (handshake only)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from btsync_sim.harness import SimulatorProcess, free_port, wait_for
from simtest_util import SimFactory, random_secret


def add(sim: SimulatorProcess, directory: Path, secret: str, hosts: list[SimulatorProcess] | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    assert sim.api("add_folder", dir=str(directory), secret=secret) == {"error": 0}
    if hosts:
        listed = ",".join(f"127.0.0.1:{other.listening_port}" for other in hosts)
        assert sim.api("set_folder_hosts", secret=secret, hosts=listed)["hosts"]


def names(peers: list[dict[str, Any]]) -> list[str]:
    return sorted(peer["name"] for peer in peers)


def peers_of(sim: SimulatorProcess, secret: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = sim.api("get_folder_peers", secret=secret)
    return result


def test_read_write_read_only_and_encrypted_members_meet(make_sim: SimFactory, tmp_path: Path) -> None:
    alpha = make_sim("alpha")
    beta = make_sim("beta")
    gamma = make_sim("gamma")
    family = alpha.api("get_secrets", type="encryption")
    d, e, f = family["read_write"], family["read_only"], family["encryption"]
    add(alpha, tmp_path / "data" / "a", d, hosts=[beta])  # alpha knows beta
    add(beta, tmp_path / "data" / "b", e)  # beta knows nobody: it learns alpha from its handshake
    assert [f["type"] for f in beta.api("get_folders")] == ["read_only"]

    (seen_by_alpha,) = peers_of(alpha, d)  # probed on demand
    assert seen_by_alpha["name"] == "beta"
    assert seen_by_alpha["connection"] == "direct"
    assert isinstance(seen_by_alpha["id"], str) and len(seen_by_alpha["id"]) == 28
    assert seen_by_alpha["synced"] >= int(time.time()) - 60
    assert (seen_by_alpha["download"], seen_by_alpha["upload"]) == (0, 0)
    assert set(seen_by_alpha) == {"id", "connection", "name", "synced", "download", "upload"}

    assert names(peers_of(beta, e)) == ["alpha"]  # remembered from alpha's handshake

    add(gamma, tmp_path / "data" / "g", f, hosts=[alpha])  # the encrypted member knows alpha
    assert [f["type"] for f in gamma.api("get_folders")] == ["encrypted"]
    assert names(peers_of(gamma, f)) == ["alpha"]
    assert names(peers_of(alpha, d)) == ["beta", "gamma"]
    ids = {p["name"]: p["id"] for p in peers_of(alpha, d)}
    assert len(set(ids.values())) == 2
    assert peers_of(beta, e)[0]["id"] not in ids.values()  # alpha's own id


def test_read_write_and_read_only_of_a_standard_secret(make_sim: SimFactory, tmp_path: Path) -> None:
    one = make_sim("one")
    two = make_sim("two")
    rw = random_secret("A")
    ro = one.api("get_secrets", secret=rw)["read_only"]
    add(one, tmp_path / "data" / "one", rw)
    add(two, tmp_path / "data" / "two", ro, hosts=[one])
    assert names(peers_of(two, ro)) == ["one"]
    # the background prober of `two` introduces it to `one` without any call on `two`
    wait_for(lambda: names(peers_of(one, rw)) == ["two"], 8, what="inbound peer")


def test_peer_ids_are_stable_across_restarts(make_sim: SimFactory, tmp_path: Path) -> None:
    one = make_sim("one")
    two = make_sim("two")
    secret = random_secret("A")
    add(one, tmp_path / "data" / "one", secret, hosts=[two])
    add(two, tmp_path / "data" / "two", secret)
    (before,) = peers_of(one, secret)
    two.restart()
    (after,) = peers_of(one, secret)
    assert after["id"] == before["id"]


def test_other_shares_and_dead_hosts_are_not_peers(make_sim: SimFactory, tmp_path: Path) -> None:
    one = make_sim("one")
    two = make_sim("two")
    mine, theirs = random_secret("A"), random_secret("A")
    add(two, tmp_path / "data" / "two", theirs)
    add(one, tmp_path / "data" / "one", mine)
    dead = free_port("0.0.0.0")  # noqa: S104
    assert one.api("set_folder_hosts", secret=mine, hosts=f"127.0.0.1:{two.listening_port},127.0.0.1:{dead}")
    started = time.monotonic()
    assert peers_of(one, mine) == []
    assert time.monotonic() - started < 5  # short timeouts, in parallel
    assert peers_of(two, theirs) == []


def test_a_folder_pointing_at_itself_has_no_peers(sim: SimulatorProcess, tmp_path: Path) -> None:
    secret = random_secret("A")
    add(sim, tmp_path / "data" / "self", secret, hosts=[sim])
    assert peers_of(sim, secret) == []


def test_a_stopped_peer_disappears(make_sim: SimFactory, tmp_path: Path) -> None:
    one = make_sim("one")
    two = make_sim("two")
    secret = random_secret("A")
    add(one, tmp_path / "data" / "one", secret, hosts=[two])
    add(two, tmp_path / "data" / "two", secret)
    assert names(peers_of(one, secret)) == ["two"]
    two.stop()
    assert peers_of(one, secret) == []


def test_a_renamed_peer_shows_its_new_name(make_sim: SimFactory, tmp_path: Path) -> None:
    one = make_sim("one")
    two = make_sim("two")
    secret = random_secret("A")
    add(one, tmp_path / "data" / "one", secret, hosts=[two])
    add(two, tmp_path / "data" / "two", secret)
    assert names(peers_of(one, secret)) == ["two"]
    two.api("set_prefs", device_name="two renamed")
    assert names(peers_of(one, secret)) == ["two renamed"]


def test_an_instance_configured_with_shared_folders_is_a_peer(make_sim: SimFactory, tmp_path: Path) -> None:
    api = make_sim("api")
    secret = random_secret("A")
    add(api, tmp_path / "data" / "api", secret)
    folder = tmp_path / "configured"
    folder.mkdir()
    make_sim("configured", config_overrides={"shared_folders": [{
        "secret": api.api("get_secrets", secret=secret)["read_only"],
        "dir": str(folder),
        "known_hosts": [f"127.0.0.1:{api.listening_port}"],
    }]})
    wait_for(lambda: names(peers_of(api, secret)) == ["configured"], 8, what="peer from a config-only instance")


def test_junk_on_the_peer_port_is_refused(sim: SimulatorProcess, tmp_path: Path) -> None:
    secret = random_secret("A")
    add(sim, tmp_path / "data" / "f", secret)
    for junk in (b"hello\n", b'{"proto": "btsync-sim/1"}\n', b"\xff\xfe\n", b"[1,2]\n"):
        with socket.create_connection(("127.0.0.1", sim.listening_port), timeout=3) as conn:
            conn.sendall(junk)
            assert b'"ok": false' in conn.recv(4096)
    assert peers_of(sim, secret) == []
    assert sim.api("get_version")["version"]
