"""The vendor's JSON config file: comments, known keys, validation.

The file is JSON with ``//`` and ``/* */`` comments. Only the keys that the
reference's config section lists are accepted (some vendor versions refuse to
start on an unknown key, so a template with a typo must fail here too):
see ``TOP_LEVEL_KEYS``, ``WEBUI_KEYS`` and ``SHARED_FOLDER_KEYS``, plus any
``proxy_*`` key and ``folder_defaults.*`` (dotted at the top level, or nested
under ``folder_defaults``). Every problem is one :class:`ConfigError` with a
one-line message.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from . import prefs as prefs_mod
from .prefs import PrefError, PrefValue
from .sharesecret import parse_secret

DEFAULT_LISTEN = "0.0.0.0:8888"  # the vendor's default web UI address

# Keys that set a device preference (get_prefs / set_prefs) from the config.
CONFIG_PREF_KEYS = frozenset(prefs_mod.PREF_KEYS)
TOP_LEVEL_KEYS = frozenset({
    "check_for_updates",
    "directory_root",
    "directory_root_policy",
    "folder_defaults",
    "pid_file",
    "shared_folders",
    "storage_path",
    "use_gui",
    "webui",
}) | CONFIG_PREF_KEYS
WEBUI_KEYS = frozenset({
    "allow_empty_password",
    "api_key",
    "dir_whitelist",
    "force_https",
    "listen",
    "login",
    "password",
    "password_hash",
    "ssl_certificate",
    "ssl_private_key",
})
SHARED_FOLDER_KEYS = frozenset({
    "dir",
    "known_hosts",
    "overwrite_changes",
    "search_lan",
    "secret",
    "selective_sync",
    "use_dht",
    "use_relay_server",
    "use_sync_trash",
    "use_tracker",
})
FOLDER_DEFAULTS_PREFIX = "folder_defaults."


class ConfigError(Exception):
    """A config that the simulator refuses; ``str()`` is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


@dataclass
class WebUIConfig:
    """The ``webui`` section."""

    host: str
    port: int
    login: str = ""
    password: str = ""
    password_hash: str = ""
    allow_empty_password: bool = False
    api_key: str = ""
    force_https: bool = False
    ssl_certificate: str = ""
    ssl_private_key: str = ""
    dir_whitelist: list[str] = field(default_factory=list)

    @property
    def auth_required(self) -> bool:
        return bool(self.login or self.password or self.password_hash)


@dataclass
class SharedFolderConfig:
    """One ``shared_folders`` entry."""

    secret: str
    dir: str
    prefs: dict[str, int]
    hosts: list[str]
    selective_sync: bool


@dataclass
class Config:
    """A validated config."""

    path: str
    storage_path: str
    webui: WebUIConfig
    pid_file: str = ""
    prefs: dict[str, PrefValue] = field(default_factory=dict)  # preferences the file sets
    folder_defaults: dict[str, int] = field(default_factory=dict)
    default_hosts: list[str] = field(default_factory=list)
    shared_folders: list[SharedFolderConfig] | None = None


def strip_comments(text: str) -> str:
    """Remove ``//`` and ``/* */`` comments outside JSON strings.

    Line breaks are kept so that JSON errors point at the right line, and
    ``//`` inside a string (``"http://..."``) is left alone.
    """
    out: list[str] = []
    i = 0
    n = len(text)
    in_string = False
    while i < n:
        char = text[i]
        if in_string:
            if char == "\\" and i + 1 < n:
                out.append(text[i:i + 2])
                i += 2
                continue
            if char == '"':
                in_string = False
            out.append(char)
            i += 1
            continue
        if char == '"':
            in_string = True
            out.append(char)
            i += 1
            continue
        if char == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if char == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                line = text.count("\n", 0, i) + 1
                raise ConfigError(f"unterminated /* comment starting on line {line}")
            out.append(" " + "\n" * text.count("\n", i, end))
            i = end + 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def parse_listen(value: str) -> tuple[str, int]:
    """``ip:port`` (``[v6]:port``; an empty ip means all interfaces) as (host, port)."""
    text = value.strip() or DEFAULT_LISTEN
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"expected ip:port, got {value!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "0.0.0.0", int(port_text)  # noqa: S104 - the vendor's meaning of ":port"


def parse_host_port(value: str) -> tuple[str, int]:
    """A predefined host ``host:port`` (``[v6]:port``) as (host, port)."""
    text = value.strip()
    host, sep, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if (
        not sep or not host or not port_text.isascii() or not port_text.isdigit()
        or not 0 < int(port_text) <= 65535 or any(c.isspace() or c in "/,[]" for c in host)
        or not host.isprintable()
    ):
        raise ValueError(f"expected host:port, got {value!r}")
    return host, int(port_text)


def _where(path: str, key: str) -> str:
    return f"{key!r} in config file {path}"


def _expect_str(path: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{_where(path, key)} must be a string")
    return value


def _expect_bool(path: str, key: str, value: object) -> bool:
    try:
        return prefs_mod.to_flag(value, key)
    except PrefError:
        raise ConfigError(f"{_where(path, key)} must be true or false") from None


def _expect_object(path: str, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{_where(path, key)} must be an object")
    return value


def _host_list(path: str, key: str, value: object) -> list[str]:
    items: list[object]
    if isinstance(value, str):
        items = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = list(value)
    else:
        raise ConfigError(f"{_where(path, key)} must be a list of host:port strings")
    hosts: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"{_where(path, key)} must be a list of host:port strings")
        try:
            parse_host_port(item)
        except ValueError as exc:
            raise ConfigError(f"{_where(path, key)}: {exc}") from None
        if item.strip() not in hosts:
            hosts.append(item.strip())
    return hosts


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None


def _parse_webui(path: str, value: object, listen_override: str | None) -> WebUIConfig:
    section = _expect_object(path, "webui", value if value is not None else {})
    for key in section:
        if key not in WEBUI_KEYS:
            raise ConfigError(f"unknown key 'webui.{key}' in config file {path}")
    listen = listen_override if listen_override is not None else _expect_str(path, "webui.listen", section.get("listen", ""))
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        source = "--webui.listen" if listen_override is not None else _where(path, "webui.listen")
        raise ConfigError(f"{source}: {exc}") from None
    webui = WebUIConfig(host=host, port=port)
    for key in ("login", "password", "password_hash", "api_key", "ssl_certificate", "ssl_private_key"):
        if key in section:
            setattr(webui, key, _expect_str(path, f"webui.{key}", section[key]))
    for key in ("allow_empty_password", "force_https"):
        if key in section:
            setattr(webui, key, _expect_bool(path, f"webui.{key}", section[key]))
    if "dir_whitelist" in section:
        whitelist = section["dir_whitelist"]
        if not isinstance(whitelist, list) or not all(isinstance(item, str) for item in whitelist):
            raise ConfigError(f"{_where(path, 'webui.dir_whitelist')} must be a list of strings")
        webui.dir_whitelist = list(whitelist)
    if webui.login and not webui.password and not webui.password_hash and not webui.allow_empty_password:
        raise ConfigError(
            f"webui.login is set but webui.password is empty in config file {path}: "
            "set a password or webui.allow_empty_password"
        )
    if webui.force_https and not (webui.ssl_certificate and webui.ssl_private_key):
        raise ConfigError(
            f"webui.force_https needs webui.ssl_certificate and webui.ssl_private_key in config file {path} "
            "(the simulator does not generate certificates)"
        )
    return webui


def _parse_folder_defaults(path: str, items: dict[str, object], config: Config) -> None:
    for name, value in items.items():
        key = f"folder_defaults.{name}"
        if name == "known_hosts":
            config.default_hosts = _host_list(path, key, value)
            continue
        target = prefs_mod.FOLDER_DEFAULT_ALIASES.get(name, name)
        if target in prefs_mod.FOLDER_PREF_KEYS:
            config.folder_defaults[target] = 1 if _expect_bool(path, key, value) else 0
        # Other folder_defaults.* keys are accepted and have no effect here.


def _parse_shared_folders(path: str, value: object, defaults: dict[str, int]) -> list[SharedFolderConfig]:
    if not isinstance(value, list):
        raise ConfigError(f"{_where(path, 'shared_folders')} must be a list of objects")
    result: list[SharedFolderConfig] = []
    for index, entry in enumerate(value):
        where = f"shared_folders[{index}]"
        item = _expect_object(path, where, entry)
        for key in item:
            if key not in SHARED_FOLDER_KEYS:
                raise ConfigError(f"unknown key '{where}.{key}' in config file {path}")
        secret = _expect_str(path, f"{where}.secret", item.get("secret", ""))
        if parse_secret(secret) is None:
            raise ConfigError(f"{where}.secret in config file {path} is not a valid secret")
        folder_dir = _expect_str(path, f"{where}.dir", item.get("dir", ""))
        if not folder_dir:
            raise ConfigError(f"{where}.dir is missing in config file {path}")
        folder_prefs = dict(prefs_mod.FOLDER_PREF_DEFAULTS)
        folder_prefs.update(defaults)
        for key in prefs_mod.FOLDER_PREF_KEYS:
            if key in item:
                folder_prefs[key] = 1 if _expect_bool(path, f"{where}.{key}", item[key]) else 0
        hosts = _host_list(path, f"{where}.known_hosts", item.get("known_hosts", []))
        if hosts:
            folder_prefs["use_hosts"] = 1
        selective = _expect_bool(path, f"{where}.selective_sync", item.get("selective_sync", False))
        if "overwrite_changes" in item:
            _expect_bool(path, f"{where}.overwrite_changes", item["overwrite_changes"])
        result.append(SharedFolderConfig(secret, os.path.abspath(folder_dir), folder_prefs, hosts, selective))
    return result


def load_config(path: str, listen_override: str | None = None) -> Config:
    """Read, parse and validate the config file at ``path``."""
    text = _read(path)
    try:
        data = json.loads(strip_comments(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON in config file {path}: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a JSON object")

    folder_defaults: dict[str, object] = {}
    for key, value in data.items():
        if key.startswith(FOLDER_DEFAULTS_PREFIX) and len(key) > len(FOLDER_DEFAULTS_PREFIX):
            folder_defaults[key[len(FOLDER_DEFAULTS_PREFIX):]] = value
        elif key == "folder_defaults":
            folder_defaults.update(_expect_object(path, key, value))
        elif key not in TOP_LEVEL_KEYS and not key.startswith("proxy_"):
            raise ConfigError(f"unknown key {key!r} in config file {path}")

    storage_path = _expect_str(path, "storage_path", data.get("storage_path", ""))
    if not storage_path:
        raise ConfigError(f"storage_path is missing in config file {path}")
    storage_path = os.path.abspath(os.path.expanduser(storage_path))
    if not os.path.isdir(storage_path):
        raise ConfigError(f"storage_path {storage_path} does not exist or is not a directory")

    webui = _parse_webui(path, data.get("webui"), listen_override)
    config = Config(path=path, storage_path=storage_path, webui=webui)
    if "pid_file" in data:
        pid_file = _expect_str(path, "pid_file", data["pid_file"])
        config.pid_file = os.path.abspath(os.path.expanduser(pid_file)) if pid_file else ""
    for key in sorted(CONFIG_PREF_KEYS & set(data)):
        try:
            config.prefs[key] = prefs_mod.coerce_pref(key, data[key])
        except PrefError as exc:
            raise ConfigError(f"{_where(path, key)}: {exc}") from None
    for key in ("check_for_updates", "use_gui"):
        if key in data:
            _expect_bool(path, key, data[key])
    for key in ("directory_root", "directory_root_policy"):
        if key in data:
            _expect_str(path, key, data[key])
    _parse_folder_defaults(path, folder_defaults, config)
    if "shared_folders" in data:
        config.shared_folders = _parse_shared_folders(path, data["shared_folders"], config.folder_defaults)
    return config
