"""Every case of the reliability suite: what is tried and what must happen.

This list is the table of ``docs/reliability.md``: the suite records the
outcome of each case under its id, and ``test_report.py`` fails when the
committed page does not list exactly these cases (ids, what is tried,
expected outcome). Add a case here, make a test record it, run the suite:
the page is regenerated.

The bad-input cases also carry what the tests need to run them (module and
arguments, role variables, the expected message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECTIONS = {
    "fault": "Faults",
    "input": "Bad input: modules",
    "role": "Bad input: role variables",
    "concurrency": "Concurrency",
    "data": "Data",
    "secrets": "Secrets",
    "hardening": "Service hardening",
    "fuzz": "Fuzzing (properties added by this suite)",
    "reference": "Proven by other suites (referenced; the suite checks that each still exists)",
}


@dataclass(frozen=True)
class Case:
    id: str
    section: str
    title: str
    expected: str


@dataclass(frozen=True)
class InputCase(Case):
    """A bad input to one module task. ``stage``: who refuses it -- ``argspec`` (Ansible's
    argument validation), ``module`` (the module or its client, before any write is sent),
    ``api`` (the write is sent and the API refuses it)."""

    module: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    match: str = ""
    stage: str = "module"


@dataclass(frozen=True)
class RoleCase(Case):
    """Role variables that must be refused before anything changes on the host.
    ``phase``: where the refusal must come from -- ``argspec`` (meta/argument_specs.yml),
    ``preflight`` (tasks/preflight.yml), ``install`` (the archive checks, run on the controller)."""

    vars: dict[str, Any] = field(default_factory=dict)
    match: str = ""
    phase: str = "preflight"


def _fault(case_id: str, title: str, expected: str) -> Case:
    return Case(case_id, "fault", title, expected)


MODULES = ("btsync_facts", "btsync_file_pref", "btsync_folder", "btsync_folder_hosts", "btsync_prefs", "btsync_secret", "btsync_shutdown")

FAULTS: list[Case] = [
    _fault("F-refused-read", "API port closed (connection refused): btsync_facts", "fails after its retries; message names the URL and 'Connection refused'"),
    _fault("F-refused-write", "API port closed: btsync_folder add", "fails without sending any write; message names the URL and the cause"),
    _fault(
        "F-connect-timeout",
        "API host up but never accepts the connection (timeout 1 s, retries 1)",
        "fails within 2 x timeout + backoff; message names the URL and the timeout",
    ),
    _fault(
        "F-slow-read",
        "API slower than timeout (answers after 8 s, timeout 1 s): btsync_facts",
        "fails within the timeout, not retried; message names the URL and 'timeout'",
    ),
    _fault(
        "F-slow-write",
        "add_folder slower than timeout (6 s, timeout 1 s): btsync_folder",
        "fails within the bound; message names the URL and the timeout; the folder is never added twice",
    ),
    _fault(
        "F-restart-between",
        "Sync stopped after one task and back 3 s later, while the next tasks run",
        "the reads of the next task retry until Sync answers; the play completes",
    ),
    _fault(
        "F-restart-during",
        "Sync killed (kill -9) and restarted in the middle of a btsync_facts task",
        "the task's reads recover by retry; the play completes; every folder is there",
    ),
    _fault("F-500-burst", "HTTP 500 on 30% of the reads (fixed seed)", "every task succeeds after retries; no read is tried more than retries + 1 times"),
    _fault("F-500-always", "HTTP 500 on every get_prefs", "fails after exactly retries + 1 attempts; message names the URL and 'HTTP 500'"),
    _fault(
        "F-drop-burst",
        "connections dropped on 30% of the reads (fixed seed)",
        "every task succeeds after retries; no read is tried more than retries + 1 times",
    ),
    _fault("F-drop-always", "connection dropped on every get_version", "fails after exactly retries + 1 attempts; message names the URL and the cause"),
    _fault(
        "F-lost-add",
        "add_folder handled but its answer lost",
        "reconciled by re-reading: ok, changed; the request log shows one add_folder; exactly one folder",
    ),
    _fault("F-lost-add-rerun", "the same task again, answers still lost", "ok, not changed, no add_folder sent"),
    _fault(
        "F-lost-writes",
        "answers of set_folder_prefs, set_folder_hosts, set_file_prefs, set_prefs, remove_folder lost",
        "each reconciled: ok, changed, sent once, state as asked",
    ),
    _fault("F-malformed-add", "add_folder handled, answer truncated JSON", "reconciled: ok, changed, one add_folder, one folder"),
    _fault(
        "F-dropped-add",
        "add_folder dropped before handling, every time",
        "sent exactly twice (once more after re-reading), then fails saying nothing was changed; no folder",
    ),
    _fault(
        "F-malformed-read",
        "truncated JSON on every read: btsync_facts, btsync_prefs, btsync_secret",
        "fails with a 'malformed response' message naming the URL; no traceback",
    ),
]
FAULTS += [
    _fault(f"F-401-{module}", f"wrong password: {module}", "fails with one message: HTTP 401 and the fix (api_user / api_password); nothing changed")
    for module in MODULES
]
FAULTS += [
    _fault(f"F-400-{module}", f"API not enabled (no webui.api_key): {module}", "fails with one message: HTTP 400 and the fix (set webui.api_key)")
    for module in MODULES
]


def _in(case_id: str, title: str, module: str, args: dict[str, Any], match: str, stage: str = "module", expected: str = "") -> InputCase:
    expected = (
        expected
        or {
            "argspec": "refused by Ansible's argument validation",
            "module": "refused before any write",
            "api": "the API refuses the write",
        }[stage]
    )
    return InputCase(case_id, "input", title, f"{expected}; message matches /{match}/", module, args, match, stage)


D = "{{ rely.dirs.%s }}"
S = "{{ rely.secrets.%s }}"
BASE32_WRONG = "A" + "0189" * 8

INPUTS: list[InputCase] = [
    # secrets
    _in("B-secret-short", "secret of 6 characters", "btsync_folder", {"path": D % "empty", "secret": "QWERTY"}, "invalid secret.*too short"),
    _in(
        "B-secret-letter",
        "secret with an unknown type letter (Z...)",
        "btsync_folder",
        {"path": D % "empty", "secret": "Z" + "K" * 32},
        "unknown type letter Z",
    ),
    _in(
        "B-secret-alphabet",
        "secret with characters outside base32 (0, 1, 8, 9)",
        "btsync_folder",
        {"path": D % "empty", "secret": BASE32_WRONG},
        "invalid secret",
    ),
    _in("B-secret-length", "standard secret of 34 characters", "btsync_folder", {"path": D % "empty", "secret": "A" + "K" * 33}, "invalid secret"),
    _in("B-secret-e-short", "E secret of 33 characters (needs more)", "btsync_folder", {"path": D % "empty", "secret": "E" + "K" * 32}, "invalid secret"),
    _in("B-secret-lower", "secret in lower case", "btsync_folder", {"path": D % "empty", "secret": "a" + "k" * 32}, "invalid secret"),
    _in(
        "B-secret-custom-short", "custom secret of 39 base64 characters", "btsync_folder", {"path": D % "empty", "secret": "Xy9+" * 9 + "Xy9"}, "invalid secret"
    ),
    _in("B-secret-space", "secret with a space inside", "btsync_folder", {"path": D % "empty", "secret": "A" + "K" * 15 + " " + "K" * 16}, "invalid secret"),
    _in("B-secret-long", "secret of 600 characters", "btsync_folder", {"path": D % "empty", "secret": "K" * 600}, "too long"),
    _in("B-secret-empty", "empty secret", "btsync_folder", {"path": D % "empty", "secret": ""}, "invalid secret"),
    _in(
        "B-secret-one-time",
        "one-time (C) secret, well-formed",
        "btsync_folder",
        {"path": D % "empty", "secret": S % "one_time"},
        r"add_folder .*failed: \[201\]",
        "api",
    ),
    _in(
        "B-secret-unknown-folder",
        "well-formed secret that names no folder (btsync_folder_hosts)",
        "btsync_folder_hosts",
        {"secret": S % "unused", "hosts": ["127.0.0.1:9"]},
        "no such folder.*given secret",
    ),
    _in("B-secret-absent-invalid", "state absent with an invalid secret", "btsync_folder", {"secret": "not-a-secret", "state": "absent"}, "invalid secret"),
    _in("B-secret-derive-invalid", "btsync_secret deriving from an invalid secret", "btsync_secret", {"secret": "B" + "1" * 32}, "invalid secret"),
    _in(
        "B-secret-derive-encryption",
        "btsync_secret with both secret and encryption",
        "btsync_secret",
        {"secret": S % "unused", "encryption": True},
        "encryption only applies",
    ),
    _in(
        "B-secret-file-pref",
        "btsync_file_pref with an invalid secret",
        "btsync_file_pref",
        {"secret": "A" * 20, "files": ["a.txt"], "download": True},
        "invalid secret",
    ),
    # directories
    _in("B-dir-missing", "directory that does not exist", "btsync_folder", {"path": D % "missing"}, r"\[100\].*must exist", "api"),
    _in("B-dir-relative", "relative directory", "btsync_folder", {"path": "relative/dir"}, r"\[100\]", "api"),
    _in("B-dir-file", "path of a regular file", "btsync_folder", {"path": D % "afile"}, r"\[100\]", "api"),
    _in("B-dir-unwritable", "directory Sync cannot write to", "btsync_folder", {"path": D % "unwritable"}, r"\[101\].*write access", "api"),
    _in("B-dir-nonempty", "directory with files, without force", "btsync_folder", {"path": D % "nonempty"}, r"\[105\].*force: true", "api"),
    _in("B-dir-empty-string", "empty path", "btsync_folder", {"path": ""}, "path must be a non-empty string"),
    _in("B-dir-blank", "path of three spaces", "btsync_folder", {"path": "   "}, "path must be a non-empty string"),
    _in(
        "B-folder-no-id",
        "btsync_folder with neither path nor secret",
        "btsync_folder",
        {"state": "present"},
        "one of the following is required: path, secret",
        "argspec",
    ),
    _in("B-folder-state", "btsync_folder state: gone", "btsync_folder", {"path": D % "empty", "state": "gone"}, "value of state must be one of", "argspec"),
    # re-adds that need recreate
    _in(
        "B-recreate-secret",
        "another secret for an existing folder, without recreate",
        "btsync_folder",
        {"path": D % "plain", "secret": S % "unused"},
        "set recreate: true",
    ),
    _in(
        "B-recreate-selective",
        "selective_sync change of an existing folder, without recreate",
        "btsync_folder",
        {"path": D % "plain", "selective_sync": True},
        "set recreate: true",
    ),
    _in(
        "B-recreate-move",
        "a folder's secret at another path, without recreate",
        "btsync_folder",
        {"path": D % "empty", "secret": S % "plain"},
        "set recreate: true",
    ),
    # folder preferences
    _in(
        "B-fpref-unknown",
        "unknown folder preference use_magic",
        "btsync_folder",
        {"path": D % "plain", "preferences": {"use_magic": True}},
        "unknown folder preference.*use_magic",
    ),
    _in("B-fpref-type", "folder preference use_dht: maybe", "btsync_folder", {"path": D % "plain", "preferences": {"use_dht": "maybe"}}, "must be a boolean"),
    _in("B-fpref-number", "folder preference use_dht: 2", "btsync_folder", {"path": D % "plain", "preferences": {"use_dht": 2}}, "must be a boolean"),
    _in("B-fpref-not-dict", "folder preferences given as a word", "btsync_folder", {"path": D % "plain", "preferences": "use_dht"}, "dictionary", "argspec"),
    _in(
        "B-fpref-mixed",
        "one valid and one unknown folder preference",
        "btsync_folder",
        {"path": D % "plain", "preferences": {"use_relay_server": True, "use_magic": True}},
        "unknown folder preference",
        expected="refused before any write, the valid one is not applied either",
    ),
    # device preferences
    _in("B-pref-unknown", "unknown device preference", "btsync_prefs", {"preferences": {"not_a_pref": 1}}, "unknown preference.*not_a_pref"),
    _in("B-pref-type", "upload_limit: fast", "btsync_prefs", {"preferences": {"upload_limit": "fast"}}, "must be an integer"),
    _in("B-pref-negative-limit", "download_limit: -1", "btsync_prefs", {"preferences": {"download_limit": -1}}, "between 0 and"),
    _in("B-pref-negative-interval", "folder_rescan_interval: -5", "btsync_prefs", {"preferences": {"folder_rescan_interval": -5}}, "between 0 and"),
    _in("B-pref-port-high", "listening_port: 70000", "btsync_prefs", {"preferences": {"listening_port": 70000}}, "between 0 and 65535"),
    _in("B-pref-port-negative", "listening_port: -1", "btsync_prefs", {"preferences": {"listening_port": -1}}, "between 0 and 65535"),
    _in("B-pref-flag-number", "lan_encrypt_data: 2", "btsync_prefs", {"preferences": {"lan_encrypt_data": 2}}, "must be a boolean"),
    _in("B-pref-name-empty", "device_name: empty", "btsync_prefs", {"preferences": {"device_name": ""}}, "non-empty string"),
    _in("B-pref-lang", "lang: -2", "btsync_prefs", {"preferences": {"lang": -2}}, "between -1 and"),
    _in("B-pref-huge", "upload_limit: 2^40", "btsync_prefs", {"preferences": {"upload_limit": 2**40}}, "between 0 and"),
    _in("B-pref-float", "upload_limit: 1.5", "btsync_prefs", {"preferences": {"upload_limit": 1.5}}, "must be an integer"),
    _in(
        "B-pref-mixed",
        "a valid device_name and an unknown key",
        "btsync_prefs",
        {"preferences": {"device_name": "must-not-be-set", "bogus": 1}},
        "unknown preference",
        expected="refused before any write, device_name is not set either",
    ),
    _in("B-pref-not-dict", "preferences given as a word", "btsync_prefs", {"preferences": "fast"}, "dictionary", "argspec"),
    # host:port
    _in("B-host-no-port", "host without a port", "btsync_folder_hosts", {"path": D % "plain", "hosts": ["peer.example"]}, "expected 'host:port'"),
    _in("B-host-port-0", "port 0", "btsync_folder_hosts", {"path": D % "plain", "hosts": ["peer.example:0"]}, "port must be a number from 1 to 65535"),
    _in(
        "B-host-port-70000",
        "port 70000",
        "btsync_folder_hosts",
        {"path": D % "plain", "hosts": ["peer.example:70000"]},
        "port must be a number from 1 to 65535",
    ),
    _in("B-host-port-negative", "port -1", "btsync_folder_hosts", {"path": D % "plain", "hosts": ["peer.example:-1"]}, "port must be"),
    _in("B-host-junk", "junk host name", "btsync_folder_hosts", {"path": D % "plain", "hosts": ["not a host!:44444"]}, "not a valid host name"),
    _in("B-host-ipv6-bare", "IPv6 address without brackets", "btsync_folder_hosts", {"path": D % "plain", "hosts": ["2001:db8::1:44444"]}, "in brackets"),
    _in("B-host-ipv6-open", "IPv6 address with a missing ]", "btsync_folder_hosts", {"path": D % "plain", "hosts": ["[::1:44444"]}, "missing '\\]'"),
    _in("B-host-ipv4-bad", "IPv4 address 999.1.1.1", "btsync_folder_hosts", {"path": D % "plain", "hosts": ["999.1.1.1:44444"]}, "not a valid IPv4"),
    _in("B-host-empty", "':44444' without a host", "btsync_folder_hosts", {"path": D % "plain", "hosts": [":44444"]}, "empty host name"),
    _in(
        "B-host-mixed",
        "one valid and one invalid host",
        "btsync_folder_hosts",
        {"path": D % "plain", "hosts": ["127.0.0.1:9", "bad host:1"]},
        "invalid host",
        expected="refused before any write, the valid host is not added either",
    ),
    _in(
        "B-host-state",
        "btsync_folder_hosts state: replace",
        "btsync_folder_hosts",
        {"path": D % "plain", "hosts": ["127.0.0.1:9"], "state": "replace"},
        "value of state must be one of",
        "argspec",
    ),
    _in(
        "B-host-no-folder",
        "hosts of a directory that is not a folder",
        "btsync_folder_hosts",
        {"path": D % "empty", "hosts": ["127.0.0.1:9"]},
        "no such folder",
    ),
    # file preferences
    _in(
        "B-file-dotdot", "file ../escape.txt", "btsync_file_pref", {"path": D % "selective", "files": ["../escape.txt"], "download": True}, "leaves the folder"
    ),
    _in("B-file-absolute", "file /etc/passwd", "btsync_file_pref", {"path": D % "selective", "files": ["/etc/passwd"], "download": True}, "is absolute"),
    _in(
        "B-file-inner-dotdot",
        "file sub/../../x",
        "btsync_file_pref",
        {"path": D % "selective", "files": ["sub/../../x"], "download": True},
        "leaves the folder",
    ),
    _in("B-file-windows", "file C:\\Windows", "btsync_file_pref", {"path": D % "selective", "files": ["C:\\Windows"], "download": True}, "is absolute"),
    _in(
        "B-file-dot", "file '.' (the folder itself)", "btsync_file_pref", {"path": D % "selective", "files": ["."], "download": True}, "names the folder itself"
    ),
    _in(
        "B-file-not-selective",
        "file preference on a folder without selective sync",
        "btsync_file_pref",
        {"path": D % "plain", "files": ["a.txt"], "download": False},
        "not a selective-sync folder",
    ),
    _in(
        "B-file-missing",
        "file that is not in the folder",
        "btsync_file_pref",
        {"path": D % "selective", "files": ["nope.txt"], "download": True},
        "is not in the folder",
    ),
    _in("B-file-none", "empty list of files", "btsync_file_pref", {"path": D % "selective", "files": [], "download": True}, "at least one file"),
    _in(
        "B-file-mixed",
        "one valid and one escaping file",
        "btsync_file_pref",
        {"path": D % "selective", "files": ["a.txt", "../x"], "download": False},
        "leaves the folder",
        expected="refused before any write, the valid file keeps its choice",
    ),
    _in(
        "B-file-no-folder",
        "file preference in a directory that is not a folder",
        "btsync_file_pref",
        {"path": D % "empty", "files": ["x"], "download": True},
        "no such folder",
    ),
    # connection options and other options
    _in("B-url-scheme", "api_url ftp://127.0.0.1:8888", "btsync_facts", {"api_url": "ftp://127.0.0.1:8888"}, "must be an http:// or https:// URL"),
    _in("B-url-port-0", "api_url with port 0", "btsync_facts", {"api_url": "http://127.0.0.1:0"}, "port must be 1-65535"),
    _in("B-url-junk", "api_url 'not a url'", "btsync_facts", {"api_url": "not a url"}, "must be an http:// or https:// URL"),
    _in("B-timeout-zero", "timeout: 0", "btsync_facts", {"timeout": 0}, "timeout must be a number of seconds"),
    _in("B-timeout-negative", "timeout: -5", "btsync_facts", {"timeout": -5}, "timeout must be a number of seconds"),
    _in("B-retries-high", "retries: 99", "btsync_facts", {"retries": 99}, "retries must be an integer from 0 to 20"),
    _in("B-retries-word", "retries: many", "btsync_facts", {"retries": "many"}, "retries.*int", "argspec"),
    _in("B-certs-word", "validate_certs: maybe", "btsync_facts", {"validate_certs": "maybe"}, "validate_certs.*bool", "argspec"),
    _in("B-facts-subset", "gather_subset: [bogus]", "btsync_facts", {"gather_subset": ["bogus"]}, "bogus"),
    _in(
        "B-shutdown-option",
        "btsync_shutdown with an unknown option (Sync must keep running)",
        "btsync_shutdown",
        {"force": True},
        "Unsupported parameters",
        "argspec",
    ),
]

R_PASSWORD_FIX = "password that is neither empty"


def _role(case_id: str, title: str, variables: dict[str, Any], match: str, phase: str = "preflight") -> RoleCase:
    where = {"argspec": "the role's argument spec", "preflight": "the role's preflight", "install": "the archive check, before the host is touched"}[phase]
    return RoleCase(case_id, "role", title, f"refused by {where}, nothing created; message matches /{match}/", variables, match, phase)


ROLE_INPUTS: list[RoleCase] = [
    _role("R-password-empty", "btsync_webui_password empty", {"btsync_webui_password": ""}, R_PASSWORD_FIX),
    _role("R-password-known", "btsync_webui_password: changeme", {"btsync_webui_password": "changeme"}, R_PASSWORD_FIX),
    _role("R-password-known-case", "btsync_webui_password: PassWord", {"btsync_webui_password": "PassWord"}, R_PASSWORD_FIX),
    _role("R-password-login", "password equal to the login", {"btsync_webui_login": "operator7", "btsync_webui_password": "operator7"}, R_PASSWORD_FIX),
    _role(
        "R-public-no-password",
        "API on 0.0.0.0 without password, even with btsync_allow_insecure_password",
        {"btsync_webui_listen": "0.0.0.0:8888", "btsync_webui_password": "", "btsync_allow_insecure_password": True},
        "beyond loopback",
    ),
    _role("R-public-v6-no-password", "API on [::] without password", {"btsync_webui_listen": "[::]:8888", "btsync_webui_password": ""}, R_PASSWORD_FIX),
    _role(
        "R-public-config",
        "public listener and empty password through btsync_config.webui",
        {"btsync_config": {"webui": {"listen": "0.0.0.0:8888", "password": ""}}},
        R_PASSWORD_FIX,
    ),
    _role("R-login-empty", "btsync_webui_login empty", {"btsync_webui_login": ""}, "a login"),
    _role("R-api-key-empty", "btsync_api_key empty", {"btsync_api_key": ""}, "API key"),
    _role("R-listen-no-port", "btsync_webui_listen 127.0.0.1 (no port)", {"btsync_webui_listen": "127.0.0.1"}, "webui.listen as ip:port"),
    _role("R-listen-junk", "btsync_webui_listen localhost:http", {"btsync_webui_listen": "localhost:http"}, "webui.listen as ip:port"),
    _role("R-listen-port-70000", "btsync_webui_listen 127.0.0.1:70000", {"btsync_webui_listen": "127.0.0.1:70000"}, "webui.listen|port"),
    _role("R-listening-port-70000", "btsync_listening_port: 70000", {"btsync_listening_port": 70000}, "listening_port|port"),
    _role("R-checksum-malformed", "btsync_archive_checksum sha256:abc", {"btsync_archive_checksum": "sha256:abc"}, "64 hex digits"),
    _role(
        "R-url-no-checksum",
        "btsync_archive_url without btsync_archive_checksum",
        {"btsync_archive_src": "", "btsync_archive_url": "https://downloads.example/sync.tar.gz"},
        "btsync_archive_checksum",
    ),
    _role(
        "R-two-sources",
        "both btsync_archive_url and btsync_archive_src",
        {"btsync_archive_url": "https://downloads.example/sync.tar.gz", "btsync_archive_checksum": "0" * 64},
        "exactly one",
    ),
    _role("R-no-source", "neither btsync_archive_url nor btsync_archive_src", {"btsync_archive_src": ""}, "exactly one"),
    _role("R-shared-folders", "shared_folders in btsync_config", {"btsync_config": {"shared_folders": []}}, "shared_folders"),
    _role(
        "R-prefs-in-config",
        "a preference set both in btsync_prefs and btsync_config",
        {"btsync_prefs": {"sync_trash_ttl": 5}, "btsync_config": {"sync_trash_ttl": 5}},
        "sync_trash_ttl",
    ),
    _role("R-folder-relative", "btsync_folders item with a relative path", {"btsync_folders": [{"path": "srv/data"}]}, "absolute path"),
    _role(
        "R-folder-duplicate", "the same folder path twice", {"btsync_folders": [{"path": "{{ rely_tmp }}/f1"}, {"path": "{{ rely_tmp }}/f1"}]}, "each path once"
    ),
    _role(
        "R-folder-duplicate-slash",
        "the same folder path twice, once with a trailing /",
        {"btsync_folders": [{"path": "{{ rely_tmp }}/f1"}, {"path": "{{ rely_tmp }}/f1/"}]},
        "each path once",
    ),
    _role("R-folder-no-path", "btsync_folders item without path", {"btsync_folders": [{"selective_sync": True}]}, "path", "argspec"),
    _role(
        "R-folder-secret-invalid",
        "btsync_folders item with an invalid secret",
        {"btsync_folders": [{"path": "{{ rely_tmp }}/f1", "secret": "not-a-secret"}]},
        "secret",
    ),
    _role(
        "R-folder-pref-unknown",
        "btsync_folders item with an unknown preference",
        {"btsync_folders": [{"path": "{{ rely_tmp }}/f1", "preferences": {"use_magic": True}}]},
        "use_magic|preference",
    ),
    _role(
        "R-folder-host-no-port",
        "btsync_folders item with a host without port",
        {"btsync_folders": [{"path": "{{ rely_tmp }}/f1", "hosts": ["peer.example"]}]},
        "host",
    ),
    _role("R-prefs-unknown", "btsync_prefs with an unknown key", {"btsync_prefs": {"not_a_pref": 1}}, "not_a_pref|preference"),
    _role("R-prefs-negative", "btsync_prefs download_limit: -1", {"btsync_prefs": {"download_limit": -1}}, "download_limit|preference"),
    _role("R-type-port", "btsync_listening_port: many", {"btsync_listening_port": "many"}, "btsync_listening_port", "argspec"),
    _role("R-type-folders", "btsync_folders given as a string", {"btsync_folders": "srv"}, "btsync_folders", "argspec"),
    _role("R-state-choice", "btsync_state: gone", {"btsync_state": "gone"}, "btsync_state", "argspec"),
    _role("R-checksum-wrong", "btsync_archive_src with a well-formed but wrong sha256", {"btsync_archive_checksum": "0" * 64}, "sha256", "install"),
    _role("R-archive-missing", "btsync_archive_src that does not exist", {"btsync_archive_src": "{{ rely_tmp }}/missing.tar.gz"}, "missing", "install"),
]

CONCURRENCY: list[Case] = [
    Case(
        "C-20-forks",
        "concurrency",
        "ansible-playbook -f 20 over 20 aliases of localhost, each adding two folders, setting preferences and hosts on one, removing the other, on ONE Sync",
        "every task ok; exactly the 20 kept folders with their preferences and hosts; each write sent exactly once (request log)",
    ),
    Case(
        "C-kill9-forks",
        "concurrency",
        "kill -9 of Sync in the middle of 20 forks adding folders, then restart",
        "Sync restarts from its state file; every folder whose task reported ok is there, none twice; a rerun converges to exactly the expected state",
    ),
]

DATA: list[Case] = [
    Case(
        "D-remove",
        "data",
        "btsync_folder state: absent on a folder holding files (nested, hidden, empty, 1 MiB binary, unicode name, symlink)",
        "folder gone from Sync; every file on disk byte-identical",
    ),
    Case("D-readd", "data", "the same directory added again (force: true)", "every file byte-identical"),
    Case("D-recreate-secret", "data", "btsync_folder recreate: true with a new secret", "re-added with the new secret; every file byte-identical"),
    Case("D-recreate-selective", "data", "btsync_folder recreate: true switching selective_sync on", "re-added as selective; every file byte-identical"),
    Case("D-remove-lost-answer", "data", "btsync_folder state: absent whose answer is lost", "reconciled; every file byte-identical"),
]

SECRETS: list[Case] = [
    Case(
        "S-vvv-every-module",
        "secrets",
        "ansible-playbook -vvv --diff exercising every module with secrets (add with a secret, return_secrets, "
        "include_secrets, btsync_secret generate and derive, hosts and file preferences by secret, recreate with a new secret, errors "
        "naming a folder by secret, shutdown)",
        "no API password and no secret (read back through the API, or registered by the play) in the output, nothing shaped like a secret, no traceback",
    ),
    Case(
        "S-diff-secret-change",
        "secrets",
        "--diff of btsync_folder recreating a folder with another secret of the same type",
        "the diff shows that the secret changes, without showing either secret",
    ),
    Case(
        "S-every-output",
        "secrets",
        "every output this suite captures (all playbook runs, their probe records)",
        "no password of any simulator and no secret any simulator holds",
    ),
    Case(
        "S-private-files",
        "secrets",
        "files written by the suite that hold a password or a secret (extra vars, inventories, probe configuration, registered secrets)",
        "mode 0600",
    ),
    Case("S-url-credentials", "secrets", "a password inside api_url (http://user:password@host:port)", "no error message repeats the password"),
]

HARDENING: list[Case] = [
    Case(
        "H-systemd-analyze",
        "hardening",
        "systemd-analyze security btsync.service on the lab hosts (recorded in docs/role.md by the role's molecule verify)",
        "exposure below 5.0 (OK or better)",
    ),
]

FUZZ: list[Case] = [
    Case("P-api-url", "fuzz", "normalise_api_url on any text", "a URL ending in /api, or BtsyncValidationError with a one-line message"),
    Case("P-folder-path", "fuzz", "validate_folder_path on any value", "an idempotent normalised path, or BtsyncValidationError"),
    Case(
        "P-prefs-any-keys",
        "fuzz",
        "validate_prefs / validate_folder_prefs on any keys and values, and non-dictionaries",
        "normalised values of the known keys only, or BtsyncValidationError naming the valid keys",
    ),
    Case("P-hosts-any", "fuzz", "validate_hosts on any list of values (not only strings)", "normalised host:port strings, or BtsyncValidationError"),
    Case("P-client-options", "fuzz", "BtsyncClient(timeout=..., retries=..., api_url=...) with any values", "a client, or BtsyncValidationError"),
    Case("P-folder-id", "fuzz", "the module helper FolderId / folder_id on any path and secret", "an identified folder, or a BtsyncError without the secret"),
    Case("P-facts-subsets", "fuzz", "btsync_facts select_subsets on any list of names", "a subset of the known names, or BtsyncError naming the valid ones"),
    Case("P-messages", "fuzz", "every validator's error message on any input", "one line, at most 600 characters"),
]

REFERENCES: list[Case] = [
    Case(
        "X-sim-kill9",
        "reference",
        "simulator state file under kill -9 during a burst of writes (tests/simulator/tests/test_sim_persistence.py::test_kill_9_during_a_burst_of_writes)",
        "complete state file, every answered change kept",
    ),
    Case(
        "X-sim-threads",
        "reference",
        "20 threads adding, changing and removing folders on one simulator "
        "(tests/simulator/tests/test_sim_concurrency.py::test_twenty_threads_adding_changing_and_removing)",
        "consistent state",
    ),
    Case(
        "X-unit-faults",
        "reference",
        "client error paths with mocked HTTP: retries, backoff, lost answers, reconciliation (tests/unit/plugins/module_utils/test_btsync_api.py)",
        "typed errors, writes never repeated blindly",
    ),
    Case(
        "X-integration-errors",
        "reference",
        "connection errors in real ansible-playbook runs (tests/integration/targets/connection_errors)",
        "401, API not enabled, unreachable, timeout: one message each",
    ),
    Case(
        "X-integration-leaks",
        "reference",
        "-vvv --diff output of every integration target scanned for secrets (tests/integration/test_targets.py)",
        "no password, no secret, no traceback",
    ),
    Case(
        "X-mesh-leaks",
        "reference",
        "-vvv output of two runs of the mesh playbook on three lab hosts scanned for secrets (tests/playbooks/test_mesh.py::test_no_secret_in_the_output)",
        "no password, no secret",
    ),
    Case(
        "X-role-upgrade",
        "reference",
        "role rerun (idempotence) and upgrade to another archive, a config change, side by side (roles/btsync/molecule/default/verify.yml)",
        "folders and a file in a folder survive; restart only where something changed",
    ),
    Case("X-role-kill9", "reference", "kill -9 of the service (molecule verify)", "systemd restarts it; every folder is still there"),
    Case(
        "X-role-absent",
        "reference",
        "btsync_state: absent without and with btsync_purge (molecule verify)",
        "service, binary, config removed; data and state kept unless purged",
    ),
    Case("X-role-files", "reference", "config 0600, storage 0700, service user not root with no login shell (molecule verify)", "owners and modes as stated"),
    Case("X-role-refusals", "reference", "the role refusing bad variables on a real host (molecule verify)", "the named task refuses; nothing changes"),
]

ALL_CASES: list[Case] = [*FAULTS, *INPUTS, *ROLE_INPUTS, *CONCURRENCY, *DATA, *SECRETS, *HARDENING, *FUZZ, *REFERENCES]
BY_ID: dict[str, Case] = {case.id: case for case in ALL_CASES}
assert len(BY_ID) == len(ALL_CASES), "duplicate case id"
