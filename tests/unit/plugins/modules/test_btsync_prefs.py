# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""btsync_prefs against the simulator (which answers get_prefs in the vendor's mixed encoding)."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest
from ansible_collections.syncops.btsync.plugins.modules import btsync_prefs

RunModule = Callable[..., Dict[str, Any]]
MODES = pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])
WANTED = {"device_name": "nas-1", "upload_limit": 2048, "use_upnp": True, "lan_use_tcp": "yes",
          "sync_trash_ttl": "60", "disk_low_priority": False}


def run(run_module: RunModule, sim: Any, check_mode: bool = False, **args: Any) -> Dict[str, Any]:
    sim.mark()
    return run_module(btsync_prefs.main, dict(sim.conn, **args), check_mode=check_mode)


@MODES
def test_change(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    result = run(run_module, sim, check_mode, preferences=WANTED)
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {"device_name": "unit-test", "disk_low_priority": True, "lan_use_tcp": False, "sync_trash_ttl": 30,
                   "upload_limit": 0, "use_upnp": False},
        "after": {"device_name": "nas-1", "disk_low_priority": False, "lan_use_tcp": True, "sync_trash_ttl": 60,
                  "upload_limit": 2048, "use_upnp": True}}
    prefs = result["preferences"]
    assert (prefs["device_name"], prefs["upload_limit"], prefs["use_upnp"], prefs["sync_trash_ttl"]) == (
        "nas-1", 2048, True, 60)
    assert prefs["folder_rescan_interval"] == 600 and len(prefs) == 17  # all preferences, normalised
    if check_mode:
        assert sim.writes() == []
        assert sim.api("get_prefs")["device_name"] == "unit-test"
        real = run(run_module, sim, preferences=WANTED)
        assert (real["changed"], real["diff"], real["preferences"]) == (True, result["diff"], prefs)
    assert sim.writes() == ["set_prefs"]
    live = sim.api("get_prefs")
    assert (live["device_name"], live["upload_limit"], live["use_upnp"], live["lan_use_tcp"], live["sync_trash_ttl"],
            live["disk_low_priority"]) == ("nas-1", 2048, 1, "true", "60", "false")


@MODES
def test_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    sim.api("set_prefs", device_name="nas-1", upload_limit=2048, use_upnp=1, lan_use_tcp="true", sync_trash_ttl=60,
            disk_low_priority="false")
    result = run(run_module, sim, check_mode, preferences=WANTED)
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert sim.writes() == []


@MODES
def test_vendor_encodings_compare_equal(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    # The simulator sends "true"/"false" strings, numeric strings and 0/1: all equal to the same values.
    result = run(run_module, sim, check_mode, preferences={
        "disk_low_priority": 1, "lan_encrypt_data": "true", "folder_rescan_interval": 600,
        "max_file_size_for_versioning": "1000", "use_upnp": "off", "lang": "-1", "download_limit": "0"})
    assert result["changed"] is False


def test_only_changed_keys_are_sent(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, preferences={"device_name": "unit-test", "recv_buf_size": 10})
    assert result["changed"] is True and result["diff"]["after"] == {"recv_buf_size": 10}
    assert sim.writes() == ["set_prefs"]


def test_unknown_key_fails_listing_valid_ones(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, preferences={"device_name": "x", "turbo_mode": True})
    assert result["failed"]
    assert result["msg"].startswith("unknown preference(s) turbo_mode; valid preferences: device_name, disk_low_priority")
    assert sim.calls() == []


@pytest.mark.parametrize("prefs, message", [
    ({"upload_limit": -1}, "upload_limit must be between 0 and"),
    ({"download_limit": "-5"}, "download_limit must be between 0 and"),
    ({"listening_port": 65536}, "listening_port must be between 0 and 65535"),
    ({"sync_trash_ttl": "thirty"}, "sync_trash_ttl must be an integer"),
    ({"use_upnp": "perhaps"}, "use_upnp must be a boolean"),
    ({"lang": -2}, "lang must be between -1 and"),
    ({"device_name": ""}, "device_name must be a non-empty string"),
    ({"upload_limit": True}, "upload_limit must be an integer, got a boolean"),
])
def test_bad_values_fail_before_any_call(run_module: RunModule, sim: Any, prefs: Dict[str, Any], message: str) -> None:
    result = run(run_module, sim, preferences=prefs)
    assert result["failed"] and message in result["msg"], result["msg"]
    assert sim.calls() == []


def test_preferences_required(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim)
    assert result["failed"] and "missing required arguments: preferences" in result["msg"]


@pytest.mark.parametrize("key", ["k" * 3000, "multi\nline\nkey"])
def test_unknown_key_is_echoed_on_one_bounded_line(run_module: RunModule, sim: Any, key: str) -> None:
    result = run(run_module, sim, preferences={key: True})
    assert result["failed"] and result["msg"].startswith("unknown preference(s) ")
    assert "\n" not in result["msg"] and len(result["msg"].split("; valid")[0]) < 80
    assert sim.calls() == []
