"""Device and folder preferences: names, defaults and the vendor's encodings.

get_prefs answers in the mixed encoding of the vendor's page: some flags as
the strings ``"true"``/``"false"``, some numbers as numeric strings, limits,
port and ``lang`` as integers, ``use_upnp`` as a 0/1 integer. set_prefs (and
the config file) accept a value in any of those encodings and store it in the
vendor's encoding of that key, so get_prefs always answers the same way.
"""

from __future__ import annotations

from typing import Union

PrefValue = Union[str, int]

# Keys whose value get_prefs sends as "true"/"false".
BOOL_STRING_PREFS = frozenset({
    "disk_low_priority",
    "lan_encrypt_data",
    "lan_use_tcp",
    "rate_limit_local_peers",
})
# Keys whose value get_prefs sends as a numeric string ("600").
NUMERIC_STRING_PREFS = frozenset({
    "folder_rescan_interval",
    "max_file_size_diff_for_patching",
    "max_file_size_for_versioning",
    "recv_buf_size",
    "send_buf_size",
    "sync_max_time_diff",
    "sync_trash_ttl",
})
# Keys whose value get_prefs sends as an integer.
INT_PREFS = frozenset({"download_limit", "lang", "listening_port", "upload_limit"})
# Keys whose value get_prefs sends as a 0/1 integer.
FLAG_INT_PREFS = frozenset({"use_upnp"})
STRING_PREFS = frozenset({"device_name"})

PREF_KEYS = tuple(sorted(BOOL_STRING_PREFS | NUMERIC_STRING_PREFS | INT_PREFS | FLAG_INT_PREFS | STRING_PREFS))

# The values of the vendor's sample (device_name is filled in at start).
PREF_DEFAULTS: dict[str, PrefValue] = {
    "device_name": "",
    "disk_low_priority": "true",
    "download_limit": 0,
    "folder_rescan_interval": "600",
    "lan_encrypt_data": "true",
    "lan_use_tcp": "false",
    "lang": -1,
    "listening_port": 0,
    "max_file_size_diff_for_patching": "1000",
    "max_file_size_for_versioning": "1000",
    "rate_limit_local_peers": "false",
    "recv_buf_size": "5",
    "send_buf_size": "5",
    "sync_max_time_diff": "600",
    "sync_trash_ttl": "30",
    "upload_limit": 0,
    "use_upnp": 0,
}

FOLDER_PREF_KEYS = (
    "search_lan",
    "use_dht",
    "use_hosts",
    "use_relay_server",
    "use_sync_trash",
    "use_tracker",
)
# What a folder added through the API starts with (the vendor's defaults).
FOLDER_PREF_DEFAULTS: dict[str, int] = {
    "search_lan": 1,
    "use_dht": 0,
    "use_hosts": 0,
    "use_relay_server": 1,
    "use_sync_trash": 1,
    "use_tracker": 1,
}
# folder_defaults.* names in the config that differ from the API's names.
FOLDER_DEFAULT_ALIASES = {
    "delete_to_trash": "use_sync_trash",
    "use_relay": "use_relay_server",
}

_MAX_INT = 2**31 - 1
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class PrefError(ValueError):
    """A preference name or value that the server refuses."""


def to_flag(value: object, name: str) -> bool:
    """Read a flag sent as 1/0, "1"/"0", "true"/"false" or a JSON bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
    elif isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise PrefError(f"Invalid value for {name}: expected 0 or 1.")


def to_int(value: object, name: str, minimum: int = 0, maximum: int = _MAX_INT) -> int:
    """Read an integer sent as a number or a numeric string, within bounds."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in ("-", "+") else text
        if digits.isascii() and digits.isdigit() and len(digits) <= 12:
            number = int(text)
    if number is None:
        raise PrefError(f"Invalid value for {name}: expected an integer.")
    if not minimum <= number <= maximum:
        raise PrefError(f"Invalid value for {name}: expected an integer from {minimum} to {maximum}.")
    return number


def coerce_pref(name: str, value: object) -> PrefValue:
    """A device preference in the vendor's encoding for ``name``.

    Raises :class:`PrefError` for an unknown name or a value out of range.
    """
    if name in BOOL_STRING_PREFS:
        return "true" if to_flag(value, name) else "false"
    if name in NUMERIC_STRING_PREFS:
        return str(to_int(value, name))
    if name in FLAG_INT_PREFS:
        return 1 if to_flag(value, name) else 0
    if name == "listening_port":
        return to_int(value, name, 0, 65535)
    if name == "lang":
        return to_int(value, name, -1)
    if name in INT_PREFS:
        return to_int(value, name)
    if name == "device_name":
        if not isinstance(value, str) or not value.strip() or len(value) > 255 or not value.isprintable():
            raise PrefError("Invalid value for device_name: expected a printable name of 1 to 255 characters.")
        return value
    raise PrefError(f"Unknown preference: {name}.")


def coerce_folder_pref(name: str, value: object) -> int:
    """A folder preference as a 0/1 integer."""
    if name not in FOLDER_PREF_KEYS:
        raise PrefError(f"Unknown folder preference: {name}.")
    return 1 if to_flag(value, name) else 0
