"""Every API method, its answer shape and every error code."""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from btsync_sim.harness import SimulatorProcess, free_port, wait_for
from simtest_util import FOLDER_PREF_KEYS, INVALID_SECRET, PREF_KEYS, STANDARD_RE, missing, random_secret

MakeDir = Callable[..., Path]


def add(sim: SimulatorProcess, directory: Path, **params: object) -> dict[str, object]:
    result: dict[str, object] = sim.api("add_folder", dir=str(directory), **params)
    return result


def secret_of(sim: SimulatorProcess, directory: Path) -> str:
    for folder in sim.api("get_folders"):
        if folder["dir"] == str(directory):
            return str(folder["secret"])
    raise AssertionError(f"{directory} is not a folder")


# -- device methods -------------------------------------------------------------


def test_get_version_os_speed(sim: SimulatorProcess) -> None:
    assert sim.api("get_version") == {"version": "1.4.111"}
    assert sim.api("get_os") == {"os": "linux"}
    assert sim.api("get_speed") == {"download": 0, "upload": 0}


def test_answers_are_text_javascript_without_charset(sim: SimulatorProcess) -> None:
    response = sim.api_request("get_version")
    assert response.status == 200
    assert response.content_type == "text/javascript"
    assert response.json() == {"version": "1.4.111"}


def test_get_prefs_uses_the_vendor_mixed_encoding(sim: SimulatorProcess) -> None:
    prefs = sim.api("get_prefs")
    assert set(prefs) == PREF_KEYS
    assert prefs["device_name"] == "sim"
    for key in ("disk_low_priority", "lan_encrypt_data", "lan_use_tcp", "rate_limit_local_peers"):
        assert prefs[key] in ("true", "false"), key
    for key in ("folder_rescan_interval", "max_file_size_diff_for_patching", "max_file_size_for_versioning",
                "recv_buf_size", "send_buf_size", "sync_max_time_diff", "sync_trash_ttl"):
        assert isinstance(prefs[key], str) and prefs[key].isdigit(), key
    for key in ("download_limit", "upload_limit", "lang", "listening_port", "use_upnp"):
        assert isinstance(prefs[key], int) and not isinstance(prefs[key], bool), key
    assert prefs["listening_port"] == sim.listening_port
    assert prefs["lang"] == -1 and prefs["use_upnp"] in (0, 1)


SET_PREFS_CASES = [
    ("lan_use_tcp", "1", "true"),
    ("lan_use_tcp", "0", "false"),
    ("lan_use_tcp", "true", "true"),
    ("disk_low_priority", "false", "false"),
    ("folder_rescan_interval", "300", "300"),
    ("sync_trash_ttl", "0", "0"),
    ("download_limit", "100", 100),
    ("upload_limit", "7", 7),
    ("lang", "1033", 1033),
    ("lang", "-1", -1),
    ("use_upnp", "true", 1),
    ("use_upnp", "0", 0),
    ("device_name", "renamed device", "renamed device"),
]


def test_set_prefs_accepts_every_encoding_and_keeps_the_vendor_one(sim: SimulatorProcess) -> None:
    for key, sent, stored in SET_PREFS_CASES:
        answer = sim.api("set_prefs", **{key: sent})
        assert answer[key] == stored and type(answer[key]) is type(stored), (key, sent)
        assert set(answer) == PREF_KEYS
        assert sim.api("get_prefs")[key] == stored, (key, sent)
    several = sim.api("set_prefs", lan_use_tcp="true", sync_trash_ttl=5, use_upnp=1)
    assert (several["lan_use_tcp"], several["sync_trash_ttl"], several["use_upnp"]) == ("true", "5", 1)


REFUSED_PREFS = [
    {"no_such_pref": "1"},
    {"lan_use_tcp": "maybe"},
    {"folder_rescan_interval": "ten"},
    {"download_limit": "-5"},
    {"listening_port": "70000"},
    {"device_name": ""},
    {"lang": "-2"},
    {"use_upnp": "2"},
    {"secret": random_secret()},
    {"lan_use_tcp": "1", "bogus": "1"},  # all or nothing
]


def test_set_prefs_refuses_unknown_keys_and_bad_values(sim: SimulatorProcess) -> None:
    before = sim.api("get_prefs")
    for params in REFUSED_PREFS:
        answer = sim.api("set_prefs", **params)
        assert answer["error"] == 4 and answer["message"], params
        assert sim.api("get_prefs") == before, params


def test_set_prefs_listening_port_moves_the_peer_port(sim: SimulatorProcess) -> None:
    old = sim.api("get_prefs")["listening_port"]
    new = free_port("0.0.0.0")  # noqa: S104
    assert sim.api("set_prefs", listening_port=new)["listening_port"] == new
    with socket.create_connection(("127.0.0.1", new), timeout=2):
        pass
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", old), timeout=2):
        pass
    random_port = sim.api("set_prefs", listening_port=0)["listening_port"]
    assert random_port not in (0, new)
    with socket.create_connection(("127.0.0.1", random_port), timeout=2):
        pass


def test_set_prefs_port_in_use_is_refused(sim: SimulatorProcess) -> None:
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))  # noqa: S104
        busy.listen(1)
        port = busy.getsockname()[1]
        answer = sim.api("set_prefs", listening_port=port)
    assert answer["error"] == 4 and str(port) in answer["message"]


def test_shutdown_answers_then_exits_cleanly(sim: SimulatorProcess) -> None:
    assert sim.pid_file.exists()
    assert sim.api("shutdown") == {"error": 0}
    wait_for(lambda: not sim.running, 10, what="exit after shutdown")
    assert sim.returncode == 0
    assert not sim.pid_file.exists()


def test_unknown_or_missing_method(sim: SimulatorProcess) -> None:
    assert sim.api("no_such_method") == {"error": 5, "message": "Unknown method."}
    response = sim.request("/api?foo=bar")
    assert response.status == 200 and response.json()["error"] == 5


def test_unknown_parameters_are_ignored_by_methods(sim: SimulatorProcess) -> None:
    assert sim.api("get_version", self="<object>", t="123") == {"version": "1.4.111"}


def test_post_form_parameters_are_read(sim: SimulatorProcess) -> None:
    req = urllib.request.Request(
        sim.url + "/api", data=b"method=get_secrets&type=encryption", headers=sim.auth_header(), method="POST"
    )
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["read_write"][0] == "D"


# -- add_folder / get_folders / remove_folder -------------------------------------


def test_add_folder_generates_a_read_write_secret(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("generated")
    assert add(sim, folder) == {"error": 0}
    (entry,) = sim.api("get_folders")
    assert set(entry) == {"dir", "secret", "size", "type", "files", "error", "indexing"}
    assert entry["dir"] == str(folder)
    assert STANDARD_RE.fullmatch(entry["secret"]) and entry["secret"][0] == "A"
    assert entry["type"] == "read_write"
    assert (entry["size"], entry["files"], entry["error"], entry["indexing"]) == (0, 0, 0, 0)


def test_add_folder_type_follows_the_secret(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    plain = sim.api("get_secrets")
    encrypted = sim.api("get_secrets", type="encryption")
    custom = "Q" * 20 + "abcdefghij0123456789+/"
    cases = {
        "rw": (random_secret("A"), "read_write"),
        "ro": (plain["read_only"], "read_only"),
        "d": (encrypted["read_write"], "read_write"),
        "e": (sim.api("get_secrets", type="encryption")["read_only"], "read_only"),
        "f": (sim.api("get_secrets", type="encryption")["encryption"], "encrypted"),
        "custom": (custom, "read_write"),
    }
    for name, (secret, _expected) in cases.items():
        assert add(sim, make_dir(name), secret=secret) == {"error": 0}, name
    by_secret = {f["secret"]: f["type"] for f in sim.api("get_folders")}
    for name, (secret, folder_type) in cases.items():
        assert by_secret[secret] == folder_type, name


def test_add_folder_errors(sim: SimulatorProcess, make_dir: MakeDir, tmp_path: Path) -> None:
    assert sim.api("add_folder") == missing("add_folder")
    assert sim.api("add_folder", dir="") == missing("add_folder")
    assert add(sim, tmp_path / "does-not-exist")["result"] == 100
    assert sim.api("add_folder", dir="relative/path")["result"] == 100
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert add(sim, a_file)["result"] == 100
    for bad in ("nope", "A" * 33 + "A", "Z" + "A" * 32, "a" * 33):
        answer = add(sim, make_dir(f"bad-{len(bad)}-{bad[0]}"), secret=bad)
        assert answer["result"] == 201 and answer["message"], bad
    assert add(sim, make_dir("flag"), selective_sync="maybe")["error"] == 4
    assert sim.api("get_folders") == []


def test_add_folder_not_empty_needs_force(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("full", {"data.txt": "keep"})
    answer = add(sim, folder)
    assert answer["result"] == 105 and "force" in str(answer["message"])
    assert add(sim, folder, force=1) == {"error": 0}
    assert (folder / "data.txt").read_text() == "keep"
    # Sync's own hidden files do not make a folder "not empty"
    hidden = make_dir("hidden", {".sync/ID": "x", ".SyncID": "y"})
    assert add(sim, hidden) == {"error": 0}


def test_add_folder_without_write_permission(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    if os.geteuid() == 0:
        target = Path("/sys")  # root may write anywhere but in sysfs
    else:
        target = make_dir("readonly")
        target.chmod(0o555)
    answer = add(sim, target, force=1)
    assert answer["result"] == 101 and answer["message"]
    assert sim.api("get_folders") == []


def test_add_folder_already_added(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    first = make_dir("first")
    secret = random_secret("A")
    assert add(sim, first, secret=secret) == {"error": 0}
    assert add(sim, first)["result"] == 200  # same directory
    assert add(sim, Path(str(first) + "/"), secret=random_secret())["result"] == 200  # same directory, spelled differently
    assert add(sim, make_dir("second"), secret=secret)["result"] == 200  # same secret
    read_only = sim.api("get_secrets", secret=secret)["read_only"]
    assert add(sim, make_dir("third"), secret=read_only)["result"] == 200  # same share
    assert len(sim.api("get_folders")) == 1


def test_get_folders_reflects_the_disk(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("sized", {"a.txt": "12345", "sub/b.bin": "x" * 100, ".sync/ignored": "zzzz"})
    secret = random_secret()
    assert add(sim, folder, secret=secret, force=1) == {"error": 0}
    (entry,) = sim.api("get_folders", secret=secret)
    assert (entry["size"], entry["files"]) == (105, 2)
    (folder / "c.txt").write_text("abc")
    assert sim.api("get_folders", secret=secret)[0]["size"] == 108
    assert sim.api("get_folders", secret=random_secret()) == []  # still an array
    assert sim.api("get_folders", secret="garbage") == INVALID_SECRET


def test_remove_folder_keeps_files(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("keep", {"a.txt": "a", "sub/b.txt": "b"})
    assert add(sim, folder, force=1) == {"error": 0}
    secret = secret_of(sim, folder)
    assert sim.api("remove_folder", secret=secret) == {"error": 0}
    assert sim.api("get_folders") == []
    assert (folder / "a.txt").read_text() == "a" and (folder / "sub" / "b.txt").read_text() == "b"
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "sub"]
    assert sim.api("remove_folder", secret=secret) == {"error": 1}
    assert sim.api("remove_folder", secret="garbage") == {"error": 1}
    assert sim.api("remove_folder") == missing("remove_folder")
    assert add(sim, folder, secret=secret, force=1) == {"error": 0}  # can be added again


# -- get_files / set_file_prefs -----------------------------------------------------


def test_get_files_lists_the_real_directory(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("files", {"index.html": "x" * 2726, "images/logo.png": "png", ".SyncIgnore": "hidden"})
    (folder / "empty.txt").write_text("")
    assert add(sim, folder, force=1) == {"error": 0}
    secret = secret_of(sim, folder)
    assert sim.api("get_files", secret=secret) == [
        {"have_pieces": 0, "name": "empty.txt", "size": 0, "state": "created", "total_pieces": 0, "type": "file"},
        {"name": "images", "state": "created", "type": "folder"},
        {"have_pieces": 1, "name": "index.html", "size": 2726, "state": "created", "total_pieces": 1, "type": "file"},
    ]
    assert [e["name"] for e in sim.api("get_files", secret=secret, path="images")] == ["logo.png"]
    (folder / "images" / "new.gif").write_text("gif")
    assert [e["name"] for e in sim.api("get_files", secret=secret, path="images/")] == ["logo.png", "new.gif"]


def test_get_files_errors(sim: SimulatorProcess, make_dir: MakeDir, tmp_path: Path) -> None:
    outside = make_dir("outside", {"secret.txt": "s"})
    folder = make_dir("confined", {"a.txt": "a"})
    (folder / "escape").symlink_to(outside)
    assert add(sim, folder, force=1) == {"error": 0}
    secret = secret_of(sim, folder)
    assert sim.api("get_files") == missing("get_files")
    assert sim.api("get_files", secret="garbage") == INVALID_SECRET
    assert sim.api("get_files", secret=random_secret()) == INVALID_SECRET
    for bad in ("..", "../outside", "a/../../x", "escape", "nope", "a.txt", "x\x00y"):
        answer = sim.api("get_files", secret=secret, path=bad)
        assert answer["error"] == 4 and answer["message"], bad


def test_download_field_only_on_selective_folders(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    plain = make_dir("plain", {"a.txt": "a"})
    selective = make_dir("selective", {"a.txt": "a", "sub/b.txt": "b"})
    assert add(sim, plain, force=1) == {"error": 0}
    assert add(sim, selective, force=1, selective_sync=1) == {"error": 0}
    assert all("download" not in e for e in sim.api("get_files", secret=secret_of(sim, plain)))
    assert [e["download"] for e in sim.api("get_files", secret=secret_of(sim, selective))] == [1, 1]


def test_set_file_prefs(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("sel", {"a.txt": "a", "b.txt": "b", "sub/c.txt": "c", "sub/d.txt": "d"})
    assert add(sim, folder, force=1, selective_sync=1) == {"error": 0}
    secret = secret_of(sim, folder)
    answer = sim.api("set_file_prefs", secret=secret, path="a.txt", download=0)
    assert answer == [
        {"download": 0, "have_pieces": 1, "name": "a.txt", "size": 1, "state": "created", "total_pieces": 1, "type": "file"}
    ]
    assert {e["name"]: e["download"] for e in sim.api("get_files", secret=secret)} == {"a.txt": 0, "b.txt": 1, "sub": 1}
    # a folder's choice applies to everything inside it
    assert sim.api("set_file_prefs", secret=secret, path="sub", download=0)[0]["download"] == 0
    assert [e["download"] for e in sim.api("get_files", secret=secret, path="sub")] == [0, 0]
    assert sim.api("set_file_prefs", secret=secret, path="sub/d.txt", download=1)[0]["download"] == 1
    assert {e["name"]: e["download"] for e in sim.api("get_files", secret=secret, path="sub")} == {"c.txt": 0, "d.txt": 1}
    assert sim.api("set_file_prefs", secret=secret, path="a.txt", download="1")[0]["download"] == 1


def test_set_file_prefs_errors(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    plain = make_dir("plain", {"a.txt": "a"})
    selective = make_dir("selective", {"a.txt": "a"})
    assert add(sim, plain, force=1) == {"error": 0}
    assert add(sim, selective, force=1, selective_sync=1) == {"error": 0}
    s_plain, s_sel = secret_of(sim, plain), secret_of(sim, selective)
    answer = sim.api("set_file_prefs", secret=s_plain, path="a.txt", download=0)
    assert answer["error"] == 4 and "selective" in answer["message"].lower()
    assert sim.api("set_file_prefs", secret=s_sel, path="a.txt") == missing("set_file_prefs")
    assert sim.api("set_file_prefs", secret=s_sel, download=1) == missing("set_file_prefs")
    assert sim.api("set_file_prefs", path="a.txt", download=1) == missing("set_file_prefs")
    assert sim.api("set_file_prefs", secret="garbage", path="a.txt", download=1) == INVALID_SECRET
    for params in ({"path": "nope.txt", "download": 1}, {"path": "../x", "download": 1},
                   {"path": "a.txt", "download": "yes please"}, {"path": "/", "download": 1}):
        answer = sim.api("set_file_prefs", secret=s_sel, **params)
        assert answer["error"] == 4 and answer["message"], params


# -- folder preferences and hosts -------------------------------------------------------


def test_folder_prefs(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("prefs")
    assert add(sim, folder) == {"error": 0}
    secret = secret_of(sim, folder)
    prefs = sim.api("get_folder_prefs", secret=secret)
    assert prefs == {"search_lan": 1, "selective_sync": 0, "use_dht": 0, "use_hosts": 0,
                     "use_relay_server": 1, "use_sync_trash": 1, "use_tracker": 1}
    changed = sim.api("set_folder_prefs", secret=secret, use_dht=1, use_relay_server="false", use_hosts="true")
    assert changed == {**prefs, "use_dht": 1, "use_relay_server": 0, "use_hosts": 1}
    assert sim.api("get_folder_prefs", secret=secret) == changed
    assert all(isinstance(changed[k], int) and not isinstance(changed[k], bool) for k in FOLDER_PREF_KEYS)
    assert sim.api("set_folder_prefs", secret=secret) == changed  # nothing to change


def test_folder_prefs_errors(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("prefs")
    assert add(sim, folder) == {"error": 0}
    secret = secret_of(sim, folder)
    before = sim.api("get_folder_prefs", secret=secret)
    assert sim.api("get_folder_prefs") == missing("get_folder_prefs")
    assert sim.api("get_folder_prefs", secret=random_secret()) == INVALID_SECRET
    assert sim.api("set_folder_prefs", use_dht=1) == missing("set_folder_prefs")
    assert sim.api("set_folder_prefs", secret="garbage", use_dht=1) == INVALID_SECRET
    for params in ({"use_dht": "2"}, {"nonsense": "1"}, {"selective_sync": "1"}, {"use_dht": "1", "x": "1"}):
        answer = sim.api("set_folder_prefs", secret=secret, **params)
        assert answer["error"] == 4 and answer["message"], params
    assert sim.api("get_folder_prefs", secret=secret) == before


def test_selective_sync_shows_in_folder_prefs(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("selective")
    assert add(sim, folder, selective_sync=1) == {"error": 0}
    assert sim.api("get_folder_prefs", secret=secret_of(sim, folder))["selective_sync"] == 1


def test_folder_hosts(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("hosts")
    assert add(sim, folder) == {"error": 0}
    secret = secret_of(sim, folder)
    assert sim.api("get_folder_hosts", secret=secret) == {"hosts": []}
    # loopback only: the background prober really connects to these
    hosts = "127.0.0.2:4444, localhost:5555,[::1]:6666,127.0.0.2:4444"
    expected = {"hosts": ["127.0.0.2:4444", "localhost:5555", "[::1]:6666"]}
    assert sim.api("set_folder_hosts", secret=secret, hosts=hosts) == expected
    assert sim.api("get_folder_hosts", secret=secret) == expected
    assert sim.api("set_folder_hosts", secret=secret, hosts="127.0.0.1:1") == {"hosts": ["127.0.0.1:1"]}
    assert sim.api("set_folder_hosts", secret=secret, hosts="") == {"hosts": []}


def test_folder_hosts_errors(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("hosts")
    assert add(sim, folder) == {"error": 0}
    secret = secret_of(sim, folder)
    assert sim.api("set_folder_hosts", secret=secret, hosts="127.0.0.1:1") == {"hosts": ["127.0.0.1:1"]}
    assert sim.api("get_folder_hosts") == missing("get_folder_hosts")
    assert sim.api("get_folder_hosts", secret="garbage") == INVALID_SECRET
    assert sim.api("set_folder_hosts", secret=secret) == missing("set_folder_hosts")
    assert sim.api("set_folder_hosts", hosts="a:1") == missing("set_folder_hosts")
    assert sim.api("set_folder_hosts", secret=random_secret(), hosts="a:1") == INVALID_SECRET
    for bad in ("nohost", "host:0", "host:70000", "host:x", ":5", "a b:5", "h:1,,bad"):
        answer = sim.api("set_folder_hosts", secret=secret, hosts=bad)
        assert answer["error"] == 4 and answer["message"], bad
    assert sim.api("get_folder_hosts", secret=secret) == {"hosts": ["127.0.0.1:1"]}


def test_get_folder_peers_without_peers(sim: SimulatorProcess, make_dir: MakeDir) -> None:
    folder = make_dir("alone")
    assert add(sim, folder) == {"error": 0}
    secret = secret_of(sim, folder)
    assert sim.api("get_folder_peers", secret=secret) == []
    assert sim.api("get_folder_peers") == missing("get_folder_peers")
    assert sim.api("get_folder_peers", secret="garbage") == INVALID_SECRET
    assert sim.api("get_folder_peers", secret=random_secret()) == INVALID_SECRET
