# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""btsync_folder against the simulator.

Each behaviour is tested four times: change and already-in-state, each in a
real run and in check mode. A check-mode run must predict ``changed`` (and
the diff) of the real run, and make no write call.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict

import pytest
from ansible_collections.syncops.btsync.plugins.modules import btsync_folder

RunModule = Callable[..., Dict[str, Any]]
MODES = pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check"])


def run(run_module: RunModule, sim: Any, check_mode: bool = False, **args: Any) -> Dict[str, Any]:
    sim.mark()
    return run_module(btsync_folder.main, dict(sim.conn, **args), check_mode=check_mode)


def assert_predicted(run_module: RunModule, sim: Any, checked: Dict[str, Any], **args: Any) -> Dict[str, Any]:
    """Check mode changed nothing; the real run then does what it predicted."""
    assert sim.writes() == [], sim.calls()
    real = run(run_module, sim, **args)
    assert real["changed"] == checked["changed"]
    assert real["diff"] == checked["diff"]
    return real


# -- add a folder -------------------------------------------------------------

@MODES
def test_add_generated_secret(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data")
    result = run(run_module, sim, check_mode, path=path + "/")
    assert result["changed"] is True
    assert result["diff"] == {"before": {"state": "absent", "path": None, "selective_sync": None},
                              "after": {"state": "present", "path": path, "selective_sync": False}}
    assert result["folder"]["path"] == path and result["folder"]["type"] == "read_write"
    assert result["recreated"] is False
    if check_mode:
        assert sim.folders() == []
        assert_predicted(run_module, sim, result, path=path)
    folder = sim.folder(path)
    assert folder is not None and folder["secret"][0] == "A" and folder["type"] == "read_write"


@MODES
def test_add_generated_secret_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data")
    sim.add(path)
    result = run(run_module, sim, check_mode, path=path)
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    # Nothing to compare but the folder's presence: the preferences are not read (one call, no preferences
    # returned), and selective_sync is what get_folders reports (this server does not say).
    assert result["folder"] == {"path": path, "type": "read_write", "selective_sync": None}
    assert sim.calls() == ["get_folders"]
    assert sim.writes() == []


@MODES
def test_in_state_with_preferences_reads_them(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data")
    sim.add(path)
    result = run(run_module, sim, check_mode, path=path, preferences={"use_relay_server": True})
    assert result["changed"] is False
    assert result["folder"] == {"path": path, "type": "read_write", "selective_sync": False, "preferences": {
        "search_lan": True, "use_dht": False, "use_hosts": False, "use_relay_server": True, "use_sync_trash": True,
        "use_tracker": True}}
    assert sim.calls() == ["get_folders", "get_folder_prefs"]
    assert len(sim.folders()) == 1


@MODES
def test_add_with_secret_selective_and_prefs(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("replica")
    secret = sim.new_secrets()["read_write"]
    args = dict(path=path, secret=secret, selective_sync=True, preferences={"use_dht": True, "search_lan": "no"})
    result = run(run_module, sim, check_mode, **args)
    assert result["changed"] is True
    assert result["diff"]["after"]["preferences"] == {"search_lan": False, "use_dht": True}
    assert result["folder"]["selective_sync"] is True
    assert result["folder"]["preferences"]["use_dht"] is True and result["folder"]["preferences"]["search_lan"] is False
    if check_mode:
        assert sim.folders() == []
        result = assert_predicted(run_module, sim, result, **args)
    assert sim.writes() == ["add_folder", "set_folder_prefs"]
    folder = sim.folder(path)
    assert folder is not None and folder["secret"] == secret
    prefs = sim.api("get_folder_prefs", secret=secret)
    assert (prefs["selective_sync"], prefs["use_dht"], prefs["search_lan"]) == (1, 1, 0)


@MODES
def test_add_with_secret_selective_and_prefs_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("replica")
    secret = sim.add(path, sim.new_secrets()["read_write"], selective_sync=True)
    sim.api("set_folder_prefs", secret=secret, use_dht=1, search_lan=0)
    result = run(run_module, sim, check_mode, path=path, secret=secret, selective_sync=True,
                 preferences={"use_dht": "true", "search_lan": 0})
    assert result["changed"] is False
    assert sim.writes() == []


@MODES
def test_add_encryption_capable(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("vault")
    result = run(run_module, sim, check_mode, path=path, encryption=True, return_secrets=True)
    assert result["changed"] is True
    if check_mode:
        assert "secrets" not in result  # the secret is generated by the real run only
        assert sim.folders() == []
        result = assert_predicted(run_module, sim, result, path=path, encryption=True, return_secrets=True)
    folder = sim.folder(path)
    assert folder is not None and folder["secret"][0] == "D"
    assert sorted(result["secrets"]) == ["encryption", "read_only", "read_write"]
    assert result["secrets"]["encryption"][0] == "F" and result["secrets"]["read_only"][0] == "E"
    assert folder["secret"] not in str(result["diff"])


@MODES
def test_add_encryption_capable_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("vault")
    secret = sim.add(path, sim.new_secrets(encryption=True)["read_write"])
    result = run(run_module, sim, check_mode, path=path, encryption=True)
    assert result["changed"] is False
    assert sim.folder(path)["secret"] == secret


@MODES
def test_join_read_only(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("ro")
    read_only = sim.new_secrets()["read_only"]
    result = run(run_module, sim, check_mode, path=path, secret=read_only, return_secrets=True)
    assert result["changed"] is True
    assert result["folder"]["type"] == "read_only"
    assert "read_write" not in result["secrets"]
    if check_mode:
        assert_predicted(run_module, sim, result, path=path, secret=read_only)
    assert sim.folder(path)["type"] == "read_only"


@MODES
def test_join_read_only_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("ro")
    read_only = sim.new_secrets()["read_only"]
    sim.add(path, read_only)
    result = run(run_module, sim, check_mode, path=path, secret=read_only)
    assert result["changed"] is False


def test_join_encrypted_peer(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("enc")
    encryption = sim.new_secrets(encryption=True)["encryption"]
    result = run(run_module, sim, path=path, secret=encryption)
    assert result["changed"] is True and result["folder"]["type"] == "encrypted"


# -- preferences of an existing folder -------------------------------------------

@MODES
def test_preferences_change(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data")
    secret = sim.add(path)
    args = dict(secret=secret, preferences={"use_relay_server": False, "use_tracker": True, "use_hosts": 1})
    result = run(run_module, sim, check_mode, **args)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"preferences": {"use_hosts": False, "use_relay_server": True}},
                              "after": {"preferences": {"use_hosts": True, "use_relay_server": False}}}
    assert result["folder"]["preferences"]["use_relay_server"] is False
    if check_mode:
        assert sim.api("get_folder_prefs", secret=secret)["use_relay_server"] == 1
        assert_predicted(run_module, sim, result, **args)
    assert sim.writes() == ["set_folder_prefs"]
    prefs = sim.api("get_folder_prefs", secret=secret)
    assert (prefs["use_relay_server"], prefs["use_hosts"], prefs["use_tracker"]) == (0, 1, 1)


@MODES
def test_preferences_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data")
    secret = sim.add(path)
    sim.api("set_folder_prefs", secret=secret, use_relay_server=0)
    result = run(run_module, sim, check_mode, path=path, preferences={"use_relay_server": "false", "use_tracker": "1"})
    assert result["changed"] is False
    assert sim.writes() == []


def test_unknown_preference_fails_before_any_call(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, path=sim.directory("data"), preferences={"use_dht": True, "turbo": True})
    assert result["failed"]
    assert result["msg"] == ("unknown folder preference(s) turbo; valid folder preferences: search_lan, use_dht, "
                             "use_hosts, use_relay_server, use_sync_trash, use_tracker")
    assert sim.calls() == []


def test_wrong_preference_type_fails_before_any_call(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, path=sim.directory("data"), preferences={"use_dht": "sometimes"})
    assert result["failed"] and "use_dht must be a boolean" in result["msg"]
    assert sim.calls() == []


# -- absent -------------------------------------------------------------------------

@MODES
def test_remove(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data", {"keep.txt": "files stay"})
    sim.add(path, force=1)
    result = run(run_module, sim, check_mode, path=path, state="absent")
    assert result["changed"] is True
    assert result["diff"] == {"before": {"state": "present", "path": path}, "after": {"state": "absent", "path": None}}
    if check_mode:
        assert sim.folder(path) is not None
        assert_predicted(run_module, sim, result, path=path, state="absent")
    assert sim.folders() == []
    assert os.path.exists(os.path.join(path, "keep.txt"))


@MODES
def test_remove_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    other = sim.directory("other")
    sim.add(other)
    result = run(run_module, sim, check_mode, path=sim.directory("data"), state="absent")
    assert result["changed"] is False
    assert len(sim.folders()) == 1


def test_remove_needs_both_to_match(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("data")
    sim.add(path)
    result = run(run_module, sim, path=path, secret=sim.new_secrets()["read_write"], state="absent")
    assert result["changed"] is False
    assert sim.folder(path) is not None


def test_remove_by_secret(run_module: RunModule, sim: Any) -> None:
    secret = sim.add(sim.directory("data"))
    assert run(run_module, sim, secret=secret, state="absent")["changed"] is True
    assert sim.folders() == []


# -- changes only possible by re-adding -------------------------------------------------

def test_other_secret_needs_recreate(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("data")
    old = sim.add(path)
    new = sim.new_secrets()["read_write"]
    result = run(run_module, sim, path=path, secret=new)
    assert result["failed"]
    assert "recreate: true" in result["msg"] and "has another secret" in result["msg"]
    assert old not in result["msg"]
    assert sim.writes() == []
    assert sim.folder(path)["secret"] == old


def test_selective_sync_needs_recreate(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("data")
    sim.add(path)
    result = run(run_module, sim, check_mode=True, path=path, selective_sync=True)
    assert result["failed"] and "selective_sync is false on the live folder" in result["msg"]
    assert "set recreate: true" in result["msg"]


@MODES
def test_recreate_with_other_secret(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data", {"doc.txt": "kept"})
    old = sim.add(path, force=1)
    sim.api("set_folder_prefs", secret=old, use_dht=1)
    sim.api("set_folder_hosts", secret=old, hosts="peer.example:4000")
    new = sim.new_secrets()["read_only"]
    args = dict(path=path, secret=new, recreate=True, preferences={"use_tracker": False})
    result = run(run_module, sim, check_mode, **args)
    assert result["changed"] is True and result["recreated"] is True
    assert result["diff"] == {
        "before": {"secret": "hidden, type A", "preferences": {"use_tracker": True}},
        "after": {"secret": "hidden, type B", "preferences": {"use_tracker": False}}}
    assert result["folder"]["type"] == "read_only"
    assert old not in str(result) and new not in str(result)
    if check_mode:
        assert sim.folder(path)["secret"] == old
        result = assert_predicted(run_module, sim, result, **args)
    folder = sim.folder(path)
    assert folder["secret"] == new and folder["type"] == "read_only"
    prefs = sim.api("get_folder_prefs", secret=new)
    assert (prefs["use_dht"], prefs["use_tracker"]) == (1, 0)  # carried over, then ours applied
    assert sim.api("get_folder_hosts", secret=new) == {"hosts": ["peer.example:4000"]}
    assert open(os.path.join(path, "doc.txt"), encoding="utf-8").read() == "kept"


@MODES
def test_recreate_in_state(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data")
    secret = sim.add(path)
    result = run(run_module, sim, check_mode, path=path, secret=secret, selective_sync=False, recreate=True)
    assert result["changed"] is False and result["recreated"] is False
    assert sim.writes() == []


@MODES
def test_recreate_selective_sync(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data", {"a.txt": "a"})
    secret = sim.add(path, force=1)
    args = dict(path=path, selective_sync=True, recreate=True)
    result = run(run_module, sim, check_mode, **args)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"selective_sync": False}, "after": {"selective_sync": True}}
    if check_mode:
        assert_predicted(run_module, sim, result, **args)
    assert sim.api("get_folder_prefs", secret=secret)["selective_sync"] == 1  # same secret, re-added
    entries = sim.api("get_files", secret=secret)
    assert entries[0]["name"] == "a.txt" and "download" in entries[0]


def test_recreate_moves_a_secret_from_another_path(run_module: RunModule, sim: Any) -> None:
    old_path = sim.directory("old")
    new_path = sim.directory("new")
    secret = sim.add(old_path)
    result = run(run_module, sim, path=new_path, secret=secret)
    assert result["failed"] and "the secret is used by the folder at %s" % old_path in result["msg"]
    result = run(run_module, sim, path=new_path, secret=secret, recreate=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"path": old_path}, "after": {"path": new_path}}
    assert [folder["dir"] for folder in sim.folders()] == [new_path]


def test_recreate_failure_restores_the_old_folder(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("data")
    old = sim.add(path)
    sim.api("set_folder_prefs", secret=old, use_dht=1)
    # Another folder of this device holds the share of `taken`: adding it again is refused (200).
    taken_share = sim.new_secrets()
    sim.add(sim.directory("elsewhere"), taken_share["read_write"])
    result = run(run_module, sim, path=path, secret=taken_share["read_only"], recreate=True)
    assert result["failed"]
    assert result["msg"].startswith("recreating the folder at %s failed: add_folder %s failed: [200]" % (path, path))
    assert result["msg"].endswith("the previous folder was put back as it was")
    assert sim.folder(path)["secret"] == old
    assert sim.api("get_folder_prefs", secret=old)["use_dht"] == 1


# -- errors -------------------------------------------------------------------------------

def test_non_empty_directory_needs_force(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("full", {"x.txt": "x"})
    result = run(run_module, sim, path=path)
    assert result["failed"]
    assert result["msg"].startswith("add_folder %s failed: [105] " % path)
    assert result["msg"].endswith("(set force: true to add a directory that already has files)")
    assert result["api_error_code"] == 105
    assert run(run_module, sim, path=path, force=True)["changed"] is True


def test_missing_directory(run_module: RunModule, sim: Any) -> None:
    path = os.path.join(sim.directory("x"), "missing")
    result = run(run_module, sim, path=path)
    assert result["failed"] and result["msg"].startswith("add_folder %s failed: [100] " % path)


def test_secret_only_needs_path_to_add(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim, secret=sim.new_secrets()["read_write"])
    assert result["failed"] and "path is required to add it" in result["msg"]


@pytest.mark.parametrize("secret", ["G3PNU7KTYM63VNQZFPP3Q3GAMTPRWDEZ", "A" * 32 + "1", "short"])
def test_invalid_secret_fails_before_any_call(run_module: RunModule, sim: Any, secret: str) -> None:
    result = run(run_module, sim, path=sim.directory("data"), secret=secret)
    assert result["failed"] and result["msg"].startswith("invalid secret")
    assert sim.calls() == []


def test_one_of_path_or_secret(run_module: RunModule, sim: Any) -> None:
    result = run(run_module, sim)
    assert result["failed"] and "one of the following is required: path, secret" in result["msg"]


def test_return_secrets_of_existing_folder(run_module: RunModule, sim: Any) -> None:
    path = sim.directory("data")
    secret = sim.add(path)
    result = run(run_module, sim, path=path, return_secrets=True)
    assert result["changed"] is False
    assert result["secrets"]["read_write"] == secret and result["secrets"]["read_only"][0] == "B"


def test_wrong_password(run_module: RunModule, sim: Any) -> None:
    result = run_module(btsync_folder.main, dict(sim.conn, api_password="wrong", path="/srv"))
    assert result["failed"] and "check api_user and api_password" in result["msg"]
    assert "wrong" not in result["msg"]


def test_api_not_enabled(run_module: RunModule, sim_factory: Any) -> None:
    off = sim_factory("off", api_key=None)
    result = run_module(btsync_folder.main, dict(off.conn, path="/srv"))
    assert result["failed"] and "set webui.api_key in the Sync config" in result["msg"]


def test_lost_answer_is_reconciled(run_module: RunModule, sim_factory: Any) -> None:
    lossy = sim_factory("lossy", ["--fault-lose-response-rate", "1", "--fault-methods", "add_folder"])
    path = lossy.directory("data")
    result = run(run_module, lossy, path=path)
    assert result["changed"] is True and not result.get("failed")
    assert lossy.calls().count("add_folder") == 1  # done, seen by get_folders: not sent again
    assert lossy.folder(path) is not None


def test_dropped_request_is_sent_once_more_then_fails_clearly(run_module: RunModule, sim_factory: Any) -> None:
    dropping = sim_factory("drop", ["--fault-drop-rate", "1", "--fault-methods", "add_folder"])
    path = dropping.directory("data")
    result = run(run_module, dropping, path=path)
    assert result["failed"] and "nothing was changed" in result["msg"]
    assert dropping.calls().count("add_folder") == 2
    assert dropping.folders() == []


def test_reads_survive_server_errors(run_module: RunModule, sim_factory: Any) -> None:
    flaky = sim_factory("flaky", ["--fault-http500-rate", "0.5", "--fault-seed", "7", "--fault-methods",
                                  "get_folders,get_folder_prefs,get_files"])
    path = flaky.directory("data")
    assert flaky.api("add_folder", dir=path) == {"error": 0}  # add_folder is not faulted
    result = run(run_module, flaky, path=path, retries=10)
    assert result["changed"] is False and not result.get("failed"), result
    assert len(flaky.calls()) > 3  # some reads failed with HTTP 500 and were retried


@MODES
def test_recreate_with_other_secret_of_same_type_shows_in_diff(run_module: RunModule, sim: Any, check_mode: bool) -> None:
    path = sim.directory("data")
    old = sim.add(path)
    new = sim.new_secrets()["read_write"]
    assert old[0] == new[0] == "A" and old != new
    args = dict(path=path, secret=new, recreate=True)
    result = run(run_module, sim, check_mode, **args)
    assert result["changed"] is True and result["recreated"] is True
    assert result["diff"] == {"before": {"secret": "hidden, type A"},
                              "after": {"secret": "hidden, type A, another secret"}}
    assert old not in str(result) and new not in str(result)
    if check_mode:
        assert_predicted(run_module, sim, result, **args)
    assert sim.folder(path)["secret"] == new


def test_api_url_password_is_never_shown(run_module: RunModule, sim_factory: Any) -> None:
    sim = sim_factory("creds", password="Dist1nct-Pa55")
    scheme, rest = sim.proc.url.split("://", 1)
    url = "%s://%s:%s@%s" % (scheme, sim.proc.login, sim.proc.password, rest)
    path = sim.directory("data")
    result = run_module(btsync_folder.main, {"api_url": url, "path": path, "timeout": 5, "retries": 0})
    assert result["changed"] is True and not result.get("failed"), result  # URL credentials are used
    assert sim.proc.password not in str(result)
    # A wrong password in the URL: the failure names the URL, redacted.
    bad = "%s://%s:%s@%s" % (scheme, sim.proc.login, "Wr0ng-Pa55word", rest)
    result = run_module(btsync_folder.main, {"api_url": bad, "path": path, "timeout": 5, "retries": 0})
    assert result["failed"] and "Wr0ng-Pa55word" not in str(result)
    assert "%s/api" % sim.proc.url.rstrip("/") in result["msg"] and "@" not in result["msg"]
