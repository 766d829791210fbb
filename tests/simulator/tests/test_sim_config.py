"""The config file: comments, known keys, and one clear line for each error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from btsync_sim.config import ConfigError, load_config, strip_comments
from btsync_sim.harness import SimulatorProcess, wait_for
from simtest_util import SimFactory, random_secret, run_source

# -- comments ---------------------------------------------------------------------


def test_line_and_block_comments_are_removed() -> None:
    text = '{\n // a comment\n "a": 1, /* block\n over lines */ "b": 2 // trailing\n}'
    assert json.loads(strip_comments(text)) == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    "value",
    ["http://example.com/x", "a // b", "/* not a comment */", 'quote \\" // still a string', "back\\\\", "*/", "//"],
)
def test_comment_markers_inside_strings_are_kept(value: str) -> None:
    text = '{"v": "' + value + '" // real comment\n}'
    assert json.loads(strip_comments(text)) == {"v": json.loads('"' + value + '"')}


def test_line_numbers_survive_block_comments(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{\n/* one\ntwo\nthree */\n"storage_path": "x",\n oops\n}')
    with pytest.raises(ConfigError, match=r"line 6"):
        load_config(str(path))


def test_unterminated_block_comment(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"a": 1 /* never closed\n}')
    with pytest.raises(ConfigError, match="unterminated"):
        load_config(str(path))


# -- accepted configs -------------------------------------------------------------


def write(path: Path, data: object, prefix: str = "") -> Path:
    path.write_text(prefix + json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_every_listed_key_is_accepted(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    storage.mkdir()
    data = {
        "device_name": "d", "listening_port": 0, "storage_path": str(storage), "pid_file": str(tmp_path / "pid"),
        "check_for_updates": False, "use_upnp": True, "download_limit": 0, "upload_limit": 0, "use_gui": False,
        "proxy_type": "socks5", "proxy_addr": "127.0.0.1", "proxy_port": 1080, "proxy_auth": False,
        "proxy_username": "u", "proxy_password": "p",
        "directory_root": "/", "directory_root_policy": "all",
        "folder_rescan_interval": 600, "sync_trash_ttl": 30, "lan_encrypt_data": True, "lan_use_tcp": False,
        "disk_low_priority": True, "rate_limit_local_peers": False, "recv_buf_size": 5, "send_buf_size": 5,
        "sync_max_time_diff": 600, "max_file_size_for_versioning": 1000, "max_file_size_diff_for_patching": 1000,
        "lang": -1,
        "folder_defaults.use_dht": True,
        "folder_defaults": {"use_relay": False, "delete_to_trash": False, "known_hosts": "127.0.0.1:4000"},
        "webui": {
            "listen": "127.0.0.1:8888", "login": "a", "password": "b", "password_hash": "", "allow_empty_password": False,
            "force_https": False, "ssl_certificate": "", "ssl_private_key": "", "dir_whitelist": ["/srv"], "api_key": "k",
        },
        "shared_folders": [{
            "secret": random_secret(), "dir": str(tmp_path), "use_relay_server": True, "use_tracker": True,
            "use_dht": False, "search_lan": True, "use_sync_trash": True, "known_hosts": ["127.0.0.1:4000"],
            "overwrite_changes": False, "selective_sync": False,
        }],
    }
    config = load_config(str(write(tmp_path / "c.json", data)))
    assert config.folder_defaults == {"use_dht": 1, "use_relay_server": 0, "use_sync_trash": 0}
    assert config.default_hosts == ["127.0.0.1:4000"]
    assert config.prefs["lan_encrypt_data"] == "true" and config.prefs["folder_rescan_interval"] == "600"
    assert config.prefs["use_upnp"] == 1
    assert config.shared_folders is not None and config.shared_folders[0].hosts == ["127.0.0.1:4000"]


def test_dump_sample_config_is_a_valid_commented_config(tmp_path: Path) -> None:
    result = run_source("--dump-sample-config")
    assert result.returncode == 0 and result.stderr == ""
    assert "//" in result.stdout and "/*" in result.stdout
    storage = tmp_path / "storage"
    storage.mkdir()
    path = tmp_path / "sample.json"
    path.write_text(result.stdout.replace("/home/user/.sync", str(storage)))
    config = load_config(str(path))
    assert config.webui.login == "admin" and config.shared_folders is None


def test_config_with_comments_starts(make_sim: SimFactory) -> None:
    sim = make_sim("commented", start=False, device_name="dev // not a comment http://x")
    sim.write_config()
    original = sim.config_path.read_text()
    commented = "/* header\n   comment */\n" + original.replace('"use_gui": false,', '"use_gui": /* inline */ false, // tail')
    sim.write_config = lambda: sim.config_path.write_text(commented)  # type: ignore[method-assign]
    sim.start()
    assert sim.api("get_prefs")["device_name"] == "dev // not a comment http://x"


def test_folder_defaults_apply_to_new_folders(make_sim: SimFactory, tmp_path: Path) -> None:
    sim = make_sim("defaults", config_overrides={
        "folder_defaults.use_dht": 1,
        "folder_defaults": {"use_relay": False, "known_hosts": "127.0.0.1:1"},
    })
    folder = tmp_path / "f"
    folder.mkdir()
    assert sim.api("add_folder", dir=str(folder)) == {"error": 0}
    secret = sim.api("get_folders")[0]["secret"]
    prefs = sim.api("get_folder_prefs", secret=secret)
    assert prefs["use_dht"] == 1 and prefs["use_relay_server"] == 0
    assert sim.api("get_folder_hosts", secret=secret) == {"hosts": ["127.0.0.1:1"]}


def test_config_preferences_use_the_vendor_encoding(make_sim: SimFactory) -> None:
    sim = make_sim("prefs", config_overrides={
        "lan_encrypt_data": False, "folder_rescan_interval": 300, "use_upnp": True, "download_limit": 50,
    })
    prefs = sim.api("get_prefs")
    assert prefs["lan_encrypt_data"] == "false"
    assert prefs["folder_rescan_interval"] == "300"
    assert prefs["use_upnp"] == 1 and prefs["download_limit"] == 50


def test_webui_listen_flag_overrides_the_config(make_sim: SimFactory) -> None:
    sim = make_sim("listen", start=False)
    configured = sim.api_port
    from btsync_sim.harness import free_port

    sim.api_port = free_port()
    sim.extra_args = ["--webui.listen", f"127.0.0.1:{sim.api_port}"]
    sim.config_overrides = {"webui": {"listen": f"127.0.0.1:{configured}"}}
    sim.start()
    assert sim.api("get_version")["version"]
    assert sim.config()["webui"]["listen"].endswith(f":{configured}")


# -- refused configs: one line on stderr, non-zero exit -------------------------------


def good_config(tmp_path: Path) -> dict[str, object]:
    storage = tmp_path / "storage"
    storage.mkdir(exist_ok=True)
    return {"storage_path": str(storage), "webui": {"listen": "127.0.0.1:1", "api_key": "k"}}


def assert_one_line_error(args: list[str], needle: str) -> None:
    result = run_source(*args)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("btsync: error: ")
    assert needle in lines[0], lines[0]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"no_such_key": 1}, "unknown key 'no_such_key'"),
        ({"fault_latency_ms": 100}, "unknown key 'fault_latency_ms'"),  # faults come from flags only
        ({"webui": {"listen": "127.0.0.1:1", "apikey": "k"}}, "webui.apikey"),
        ({"shared_folders": [{"secret": "S", "dir": "/tmp", "colour": "red"}]}, "shared_folders[0].colour"),
        ({"shared_folders": [{"secret": "not a secret", "dir": "/tmp"}]}, "not a valid secret"),
        ({"storage_path": None}, "storage_path is missing"),
        ({"storage_path": "/no/such/dir"}, "storage_path /no/such/dir does not exist"),
        ({"webui": {"listen": "localhost"}}, "expected ip:port"),
        ({"webui": {"listen": "127.0.0.1:1", "login": "admin"}}, "webui.password is empty"),
        ({"webui": {"listen": "127.0.0.1:1", "force_https": True}}, "force_https"),
        ({"listening_port": 70000}, "listening_port"),
        ({"lan_use_tcp": "perhaps"}, "lan_use_tcp"),
        ({"use_gui": "sure"}, "use_gui"),
        ({"device_name": 5}, "device_name"),
        ({"webui": ["not", "an", "object"]}, "'webui' in config file"),
    ],
)
def test_refused_config(tmp_path: Path, change: dict[str, object], needle: str) -> None:
    data = good_config(tmp_path)
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    if "shared_folders" in change and "colour" in json.dumps(change):
        data["shared_folders"][0]["secret"] = random_secret()  # type: ignore[index]
    path = write(tmp_path / "c.json", data)
    assert_one_line_error(["--config", str(path), "--nodaemon"], needle)


def test_missing_unreadable_invalid_and_non_object_configs(tmp_path: Path) -> None:
    assert_one_line_error(["--config", str(tmp_path / "absent.json")], "cannot read config file")
    assert_one_line_error(["--config", str(tmp_path)], "cannot read config file")  # a directory
    bad = tmp_path / "bad.json"
    bad.write_text('{"storage_path": "/tmp",}')
    assert_one_line_error(["--config", str(bad)], "invalid JSON")
    bad.write_text("[1, 2]")
    assert_one_line_error(["--config", str(bad)], "must hold a JSON object")
    bad.write_bytes(b'{"device_name": "\xff"}')
    assert_one_line_error(["--config", str(bad)], "not UTF-8")
    assert_one_line_error([], "no config file")


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        data = good_config(tmp_path)
        data["webui"] = {"listen": f"127.0.0.1:{busy.getsockname()[1]}", "api_key": "k"}
        path = write(tmp_path / "c.json", data)
        assert_one_line_error(["--config", str(path), "--nodaemon"], "cannot listen on")


def test_shared_folders_disable_the_web_ui(make_sim: SimFactory, tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    sim = make_sim("shared", config_overrides={"shared_folders": [{"secret": random_secret(), "dir": str(folder)}]})
    assert not sim.api_enabled
    import socket

    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", sim.api_port), timeout=2):
        pass
    wait_for(lambda: "disabled: the config defines shared_folders" in sim.log_tail(), 10, what="log line")


def test_no_api_key_still_starts(tmp_path: Path) -> None:
    sim = SimulatorProcess(tmp_path / "noapi", api_key=None)
    with sim:
        assert sim.request("/api?method=get_version").status == 400
