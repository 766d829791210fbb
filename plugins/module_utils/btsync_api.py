# -*- coding: utf-8 -*-
# Copyright (c) syncops.btsync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client for the BitTorrent Sync / Resilio Sync HTTP API.

This is the one place that talks to the API. It

* wraps all 17 API methods as typed methods of :class:`BtsyncClient`;
* turns every failure into a subclass of :class:`BtsyncError`, with a message
  that names the operation, the target and the cause (never a secret);
* normalises the values the servers send in several encodings (``0``/``1``,
  ``"true"``/``"false"``, numeric strings, ``error`` or ``result``) so that
  callers compare values, never raw JSON;
* retries reads on connection errors and HTTP 5xx with a bounded exponential
  backoff, and never repeats a write blindly: when the answer to a write is
  lost, it re-reads the state and only sends the write once more when the
  state shows that the first one was not applied;
* validates secrets, ``host:port`` strings, relative paths and preferences
  before any request is made.

It depends on ``requests`` only (and not on Ansible), so that it can be used
and tested on its own. Target-side code: keep it compatible with Python 3.7.
"""

from __future__ import annotations

import ipaddress
import json
import math
import ntpath
import posixpath
import re
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
)
from urllib.parse import unquote, urlsplit, urlunsplit

try:
    import requests
    import requests.exceptions
except ImportError:  # pragma: no cover - exercised through missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: Optional[str] = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

try:
    from urllib3.exceptions import NewConnectionError
except ImportError:  # pragma: no cover - urllib3 comes with requests
    NewConnectionError = None  # type: ignore[assignment,misc]


T = TypeVar("T")

DEFAULT_API_URL = "http://127.0.0.1:8888"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_BASE = 0.2
DEFAULT_BACKOFF_MAX = 5.0

# The methods that change nothing on the server. Only these are retried.
READ_METHODS = frozenset((
    "get_files",
    "get_folder_hosts",
    "get_folder_peers",
    "get_folder_prefs",
    "get_folders",
    "get_os",
    "get_prefs",
    "get_secrets",
    "get_speed",
    "get_version",
))
WRITE_METHODS = frozenset((
    "add_folder",
    "remove_folder",
    "set_file_prefs",
    "set_folder_hosts",
    "set_folder_prefs",
    "set_prefs",
    "shutdown",
))
API_METHODS = tuple(sorted(READ_METHODS | WRITE_METHODS))

FOLDER_PREF_KEYS = (
    "search_lan",
    "use_dht",
    "use_hosts",
    "use_relay_server",
    "use_sync_trash",
    "use_tracker",
)

# Device preferences (the keys of get_prefs) and the type of each value.
# ``int`` keys hold a lower bound: limits, sizes and intervals cannot be negative.
PREF_TYPES: Dict[str, str] = {
    "device_name": "str",
    "disk_low_priority": "bool",
    "download_limit": "int",
    "folder_rescan_interval": "int",
    "lan_encrypt_data": "bool",
    "lan_use_tcp": "bool",
    "lang": "int",
    "listening_port": "port",
    "max_file_size_diff_for_patching": "int",
    "max_file_size_for_versioning": "int",
    "rate_limit_local_peers": "bool",
    "recv_buf_size": "int",
    "send_buf_size": "int",
    "sync_max_time_diff": "int",
    "sync_trash_ttl": "int",
    "upload_limit": "int",
    "use_upnp": "bool",
}
PREF_KEYS = tuple(sorted(PREF_TYPES))
# ``lang`` is a language id where -1 means "system default".
_PREF_MINIMUM = {"lang": -1}

SECRET_TYPES = {
    "A": "read_write",
    "B": "read_only",
    "C": "one_time",
    "D": "read_write_encryption",
    "E": "read_only_encryption",
    "F": "encrypted",
    "R": "read_only_legacy",
    "custom": "custom",
}
# Describes the format of a secret; holds none.
SECRET_FORMAT_HELP = (
    "a secret is one type letter (A, B, C, D, F or R) followed by 32 base32 "  # noqa: S105
    "characters (A-Z, 2-7), an E secret followed by more than 32 base32 "
    "characters, or a custom secret of at least 40 base64 characters"
)
_STANDARD_SECRET_RE = re.compile(r"[ABCDFR][A-Z2-7]{32}")
_E_SECRET_RE = re.compile(r"E[A-Z2-7]{33,}")
_CUSTOM_SECRET_RE = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
_MAX_SECRET_LENGTH = 512

_HOSTNAME_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_DIGITS_RE = re.compile(r"[0-9]{1,5}")
_IPV4_PART_RE = re.compile(r"0|[1-9][0-9]{0,2}")
_INT_RE = re.compile(r"[+-]?[0-9]{1,30}")
_TRUE_STRINGS = frozenset(("1", "true", "yes", "on"))
_FALSE_STRINGS = frozenset(("0", "false", "no", "off"))

# Strip query strings (they may carry a secret) and object addresses from the
# text of library exceptions before they reach a message.
_QUERY_RE = re.compile(r"\?[^\s'\")]*")
_OBJECT_RE = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>:?\s*")
# The userinfo (user:password@) of a URL, to redact it from every message.
_USERINFO_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s]*)@")
REDACTED = "********"


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

class BtsyncError(Exception):
    """Base class of every error raised by this client."""

    def __init__(self, msg: str) -> None:
        super(BtsyncError, self).__init__(msg)
        self.msg = msg

    def __str__(self) -> str:
        return self.msg

    def details(self) -> Dict[str, Any]:
        """Extra, secret-free fields for ``fail_json``."""
        return {}


class BtsyncValidationError(BtsyncError, ValueError):
    """An input value is invalid; raised before any request is made."""


class BtsyncTransportError(BtsyncError):
    """No usable answer came back.

    ``request_sent`` is false when the request certainly never reached the
    server (connection refused, name resolution, connect timeout, TLS); a
    write that failed that way changed nothing.
    """

    request_sent = True

    def __init__(self, msg: str, request_sent: bool = True) -> None:
        super(BtsyncTransportError, self).__init__(msg)
        self.request_sent = request_sent


class BtsyncUnreachableError(BtsyncTransportError):
    """The API could not be reached, or the connection dropped."""


class BtsyncTimeoutError(BtsyncTransportError):
    """The API did not answer within ``timeout`` seconds."""


class BtsyncServerError(BtsyncTransportError):
    """The API answered with an HTTP 5xx status."""

    def __init__(self, msg: str, status: int) -> None:
        super(BtsyncServerError, self).__init__(msg)
        self.status = status

    def details(self) -> Dict[str, Any]:
        return {"http_status": self.status}


class BtsyncAuthenticationError(BtsyncError):
    """HTTP 401: the credentials were refused."""

    def details(self) -> Dict[str, Any]:
        return {"http_status": 401}


class BtsyncApiNotEnabledError(BtsyncError):
    """HTTP 400 with a plain-text body: the API is switched off."""

    def details(self) -> Dict[str, Any]:
        return {"http_status": 400}


class BtsyncProtocolError(BtsyncError):
    """The answer is not what the API documents (not JSON, wrong shape...).

    ``unreadable`` is true when the body could not be decoded at all (empty,
    truncated, not JSON, not UTF-8): like a lost answer, that is retried for a
    read and reconciled for a write.
    """

    def __init__(self, msg: str, unreadable: bool = False) -> None:
        super(BtsyncProtocolError, self).__init__(msg)
        self.unreadable = unreadable


def answer_lost(exc: BtsyncError) -> bool:
    """Whether a request may have been handled although no usable answer came back."""
    if isinstance(exc, BtsyncTransportError):
        return exc.request_sent
    return isinstance(exc, BtsyncProtocolError) and exc.unreadable


class BtsyncApiError(BtsyncError):
    """The API reported an error (non-zero ``error`` or ``result``)."""

    def __init__(self, method: str, code: Optional[int], message: str, target: Optional[str] = None) -> None:
        self.method = method
        self.code = code
        self.api_message = message
        self.target = target
        super(BtsyncApiError, self).__init__(self._format())

    def _format(self) -> str:
        where = self.method if not self.target else "%s %s" % (self.method, self.target)
        code = "" if self.code is None else "[%d] " % self.code
        return "%s failed: %s%s" % (where, code, self.api_message or "no message")

    def details(self) -> Dict[str, Any]:
        return {"api_method": self.method, "api_error_code": self.code, "api_message": self.api_message}


# ---------------------------------------------------------------------------
# Normalisation of values
# ---------------------------------------------------------------------------

def to_bool(value: Any, name: str = "value") -> bool:
    """Normalise a flag: ``True/False``, ``1/0``, ``"1"/"0"``, ``"true"/"false"``, ``"yes"/"no"``, ``"on"/"off"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
    elif isinstance(value, float):
        if value in (0.0, 1.0):
            return bool(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_STRINGS:
            return True
        if text in _FALSE_STRINGS:
            return False
    raise BtsyncValidationError("%s must be a boolean (true/false, 1/0), got %s" % (name, _describe(value)))


def to_int(value: Any, name: str = "value") -> int:
    """Normalise a whole number: an int, an integral float or a numeric string."""
    if isinstance(value, bool):
        raise BtsyncValidationError("%s must be an integer, got a boolean" % name)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise BtsyncValidationError("%s must be an integer, got %s" % (name, _describe(value)))


def normalise_value(value: Any) -> Any:
    """Normalise a value whose type is not known: flags, numbers, strings.

    ``"true"``/``"false"`` become booleans and numeric strings become ints;
    everything else is returned unchanged (strings stripped). Note that
    ``0``/``1`` stay ints here: use :func:`to_bool` where a key is a flag.
    """
    if isinstance(value, (bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        if _INT_RE.fullmatch(text):
            return int(text)
        return text
    return value


def _describe(value: Any) -> str:
    """A short description of a bad value for a message."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return "the string %r" % text
    if value is None:
        return "null"
    return "%s %s" % (type(value).__name__, str(value)[:40])


def short_text(value: Any, limit: int = 40) -> str:
    """``value`` as one line of at most ``limit`` characters, to echo a bad key or name."""
    text = str(value)
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _short_list(values: Sequence[Any], limit: int = 5) -> str:
    """Bounded, one-line, comma-separated ``values`` (at most ``limit`` of them)."""
    shown = ", ".join(short_text(value) for value in values[:limit])
    if len(values) > limit:
        shown += " and %d more" % (len(values) - limit)
    return shown


def redact_url(text: Any) -> str:
    """``text`` with the password (or the whole userinfo) of any URL in it replaced by ``********``."""

    def replace(match: "re.Match[str]") -> str:
        user, sep, _dummy = match.group(2).partition(":")
        userinfo = "%s:%s" % (user, REDACTED) if sep else REDACTED
        return "%s%s@" % (match.group(1), userinfo)

    return _USERINFO_RE.sub(replace, str(text))


def api_url_credentials(url: Any) -> Tuple[Optional[str], Optional[str]]:
    """The user and password given in the userinfo of ``api_url`` (percent-decoded), if any."""
    if not isinstance(url, str):
        return None, None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None, None
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return user, password


def normalise_pref(key: str, value: Any) -> Any:
    """Normalise one device preference as read from the server (tolerant)."""
    kind = PREF_TYPES.get(key)
    try:
        if kind == "bool":
            return to_bool(value, key)
        if kind in ("int", "port"):
            return to_int(value, key)
        if kind == "str":
            return "" if value is None else str(value)
    except BtsyncValidationError:
        pass
    return normalise_value(value)


def normalise_prefs(data: Mapping[str, Any]) -> Dict[str, Any]:
    """Normalise a get_prefs / set_prefs answer; unknown keys are kept, normalised generically."""
    return {str(key): normalise_pref(str(key), value) for key, value in data.items()}


def normalise_folder_prefs(data: Mapping[str, Any]) -> Dict[str, Any]:
    """Normalise a get_folder_prefs answer: known flags to bool, the rest generically."""
    result: Dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key in FOLDER_PREF_KEYS or key == "selective_sync":
            try:
                result[key] = to_bool(value, key)
                continue
            except BtsyncValidationError:
                pass
        result[key] = normalise_value(value)
    return result


def validate_prefs(prefs: Any) -> Dict[str, Any]:
    """Validate device preferences to set; return them normalised.

    Unknown keys, wrong types and negative limits raise
    :class:`BtsyncValidationError` that lists what is valid.
    """
    if not isinstance(prefs, Mapping):
        raise BtsyncValidationError("preferences must be a dictionary, got %s" % _describe(prefs))
    unknown = sorted(str(key) for key in prefs if key not in PREF_TYPES)
    if unknown:
        raise BtsyncValidationError(
            "unknown preference(s) %s; valid preferences: %s" % (_short_list(unknown), ", ".join(PREF_KEYS)))
    result: Dict[str, Any] = {}
    for key, value in prefs.items():
        kind = PREF_TYPES[key]
        if kind == "bool":
            result[key] = to_bool(value, "preference %s" % key)
        elif kind == "str":
            if not isinstance(value, str) or not value.strip() or "\x00" in value:
                raise BtsyncValidationError("preference %s must be a non-empty string, got %s" % (key, _describe(value)))
            result[key] = value
        else:
            number = to_int(value, "preference %s" % key)
            minimum = _PREF_MINIMUM.get(key, 0)
            maximum = 65535 if kind == "port" else 2 ** 31 - 1
            if not minimum <= number <= maximum:
                raise BtsyncValidationError(
                    "preference %s must be between %d and %d, got %d" % (key, minimum, maximum, number))
            result[key] = number
    return result


def validate_folder_prefs(prefs: Any) -> Dict[str, bool]:
    """Validate folder preferences to set (the six flags); return them as bools."""
    if not isinstance(prefs, Mapping):
        raise BtsyncValidationError("preferences must be a dictionary, got %s" % _describe(prefs))
    unknown = sorted(str(key) for key in prefs if key not in FOLDER_PREF_KEYS)
    if unknown:
        raise BtsyncValidationError(
            "unknown folder preference(s) %s; valid folder preferences: %s"
            % (_short_list(unknown), ", ".join(FOLDER_PREF_KEYS)))
    return {str(key): to_bool(value, "folder preference %s" % key) for key, value in prefs.items()}


def encode_param(value: Any) -> str:
    """Encode a query-string value: flags as ``1``/``0``."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# ---------------------------------------------------------------------------
# Validation of secrets, hosts and paths
# ---------------------------------------------------------------------------

def secret_type(secret: Any) -> str:
    """Validate a secret and return its type letter (``A``...``R``) or ``custom``.

    Raises :class:`BtsyncValidationError` with a message that never contains
    the secret.
    """
    if not isinstance(secret, str):
        raise BtsyncValidationError("a secret must be a string, got %s" % type(secret).__name__)
    length = len(secret)
    if length > _MAX_SECRET_LENGTH:
        raise BtsyncValidationError("invalid secret: %d characters is too long; %s" % (length, SECRET_FORMAT_HELP))
    if _STANDARD_SECRET_RE.fullmatch(secret):
        return secret[0]
    if _E_SECRET_RE.fullmatch(secret):
        return "E"
    if _CUSTOM_SECRET_RE.fullmatch(secret):
        return "custom"
    if length < 33:
        reason = "%d characters is too short" % length
    elif length == 33 and "A" <= secret[0] <= "Z" and secret[0] not in SECRET_TYPES:
        reason = "unknown type letter %s" % secret[0]
    elif length == 33 and secret[0] in SECRET_TYPES:
        reason = "it contains characters outside the base32 alphabet A-Z, 2-7"
    elif length < 40 and secret[0] != "E":
        reason = "%d characters: a standard secret has 33 characters, a custom one at least 40" % length
    else:
        reason = "it contains characters outside the allowed alphabet"
    raise BtsyncValidationError("invalid secret (%s); %s" % (reason, SECRET_FORMAT_HELP))


def validate_secret(secret: Any) -> str:
    """Validate a secret and return it unchanged."""
    secret_type(secret)
    return str(secret)


def secret_kind(secret: str) -> str:
    """The access a valid secret gives: ``read_write``, ``read_only``, ``encrypted``..."""
    return SECRET_TYPES[secret_type(secret)]


def validate_host(value: Any) -> str:
    """Validate a ``host:port`` string and return it normalised.

    ``host`` is a DNS name, an IPv4 address or an IPv6 address in brackets;
    ``port`` is 1-65535. Names are lower-cased, IPv6 addresses compressed.
    """
    if not isinstance(value, str):
        raise BtsyncValidationError("a host must be a string 'host:port', got %s" % _describe(value))
    text = value.strip()
    bad = "invalid host %s: " % _describe(value)
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise BtsyncValidationError(bad + "missing ']' after the IPv6 address")
        address, rest = text[1:end], text[end + 1:]
        if not rest.startswith(":"):
            raise BtsyncValidationError(bad + "expected ':port' after ']'")
        port = rest[1:]
        if "%" in address or not address:
            raise BtsyncValidationError(bad + "not a valid IPv6 address")
        try:
            host = "[%s]" % ipaddress.IPv6Address(address).compressed
        except ValueError:
            raise BtsyncValidationError(bad + "not a valid IPv6 address") from None
    else:
        host, sep, port = text.rpartition(":")
        if not sep:
            raise BtsyncValidationError(bad + "expected 'host:port'")
        if ":" in host:
            raise BtsyncValidationError(bad + "an IPv6 address must be written in brackets: '[address]:port'")
        host = _normalise_hostname(host, bad)
    if not _DIGITS_RE.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise BtsyncValidationError(bad + "the port must be a number from 1 to 65535")
    return "%s:%d" % (host, int(port))


def _normalise_hostname(host: str, bad: str) -> str:
    if not host:
        raise BtsyncValidationError(bad + "empty host name")
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if all(_IPV4_PART_RE.fullmatch(label) for label in labels) and len(labels) == 4:
        if all(int(label) <= 255 for label in labels):
            return name
        raise BtsyncValidationError(bad + "not a valid IPv4 address")
    if len(name) > 253 or not all(_HOSTNAME_LABEL_RE.fullmatch(label) for label in labels):
        raise BtsyncValidationError(bad + "not a valid host name or IPv4 address")
    if labels[-1].isdigit():
        # A name whose last label is numeric can only be an IPv4 address.
        raise BtsyncValidationError(bad + "not a valid IPv4 address")
    return name.lower()


def validate_hosts(values: Any) -> List[str]:
    """Validate a list of ``host:port`` strings; return them normalised, without duplicates."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise BtsyncValidationError("hosts must be a list of 'host:port' strings")
    result: List[str] = []
    for value in values:
        host = validate_host(value)
        if host not in result:
            result.append(host)
    return result


def normalise_host(value: str) -> str:
    """Normalise a host read from the server; keep it unchanged when it is not valid."""
    try:
        return validate_host(value)
    except BtsyncValidationError:
        return str(value).strip()


def validate_relative_path(value: Any, name: str = "path") -> str:
    """Validate a path inside a folder: relative, without ``..``; return it normalised with ``/``."""
    if not isinstance(value, str):
        raise BtsyncValidationError("%s must be a string, got %s" % (name, _describe(value)))
    if "\x00" in value:
        raise BtsyncValidationError("%s %s contains a NUL character" % (name, _describe(value)))
    text = value.strip()
    if not text:
        raise BtsyncValidationError("%s must not be empty" % name)
    if text.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", text):
        raise BtsyncValidationError(
            "%s %s is absolute; give a path relative to the folder" % (name, _describe(value)))
    while True:
        # Strip again until stable: "a\r\\" gives "a\r", which must give "a" (idempotent).
        parts = [part for part in re.split(r"[\\/]+", text) if part not in ("", ".")]
        joined = "/".join(parts)
        if joined.strip() == joined:
            break
        text = joined.strip()
    if re.match(r"[A-Za-z]:", joined):
        raise BtsyncValidationError(
            "%s %s is absolute; give a path relative to the folder" % (name, _describe(value)))
    if ".." in parts:
        raise BtsyncValidationError(
            "%s %s leaves the folder ('..' is not allowed)" % (name, _describe(value)))
    if not parts:
        raise BtsyncValidationError("%s %s names the folder itself, not a file in it" % (name, _describe(value)))
    return "/".join(parts)


def normalise_path(path: str) -> str:
    """Normalise a folder path for comparison (no file system access).

    POSIX paths: duplicate and trailing slashes and ``.`` removed. Windows
    paths (``C:\\...``, ``\\\\?\\...``): the long-path prefix dropped, case folded.
    """
    text = str(path).strip()
    if text.startswith("\\\\?\\"):
        text = text[4:]
    if re.match(r"[A-Za-z]:([\\/]|$)", text) or text.startswith("\\\\"):
        return ntpath.normpath(text).rstrip("\\").lower() or "\\"
    if not text:
        return text
    normalised = posixpath.normpath(text)
    if normalised.startswith("//"):
        normalised = "/" + normalised.lstrip("/")
    return normalised


def validate_folder_path(value: Any) -> str:
    """Validate the directory of a folder on the Sync host; return it normalised."""
    if not isinstance(value, str) or not value.strip():
        raise BtsyncValidationError("path must be a non-empty string")
    if "\x00" in value:
        raise BtsyncValidationError("path contains a NUL character")
    return normalise_path(value)


def normalise_api_url(url: Any) -> str:
    """Validate ``api_url`` and return the URL of the ``/api`` endpoint, without any userinfo.

    Credentials in the URL (``http://user:password@host``) are dropped here;
    :func:`api_url_credentials` reads them, and messages show the URL through
    :func:`redact_url`.
    """
    if not isinstance(url, str) or not url.strip():
        raise BtsyncValidationError("api_url must be a non-empty URL such as %s" % DEFAULT_API_URL)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise BtsyncValidationError(
            "api_url %s is not a valid URL: %s" % (_describe(redact_url(url)), redact_url(exc))) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BtsyncValidationError(
            "api_url %s must be an http:// or https:// URL with a host, such as %s" % (_describe(redact_url(url)), DEFAULT_API_URL))
    if port == 0:
        raise BtsyncValidationError("api_url %s: the port must be 1-65535" % _describe(redact_url(url)))
    if parts.query or parts.fragment:
        raise BtsyncValidationError("api_url %s must not have a query string or fragment" % _describe(redact_url(url)))
    path = parts.path.rstrip("/")
    if not path.endswith("/api"):
        path += "/api"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, path, "", ""))


# ---------------------------------------------------------------------------
# Typed answers
# ---------------------------------------------------------------------------

@dataclass
class Folder:
    """One entry of get_folders, normalised."""

    path: str
    secret: str = field(repr=False)
    type: str = ""
    size: int = 0
    files: int = 0
    error: int = 0
    indexing: bool = False
    selective_sync: Optional[bool] = None  # only some servers report it here

    def to_dict(self, include_secret: bool = False) -> Dict[str, Any]:
        data = asdict(self)
        if not include_secret:
            del data["secret"]
        return data


@dataclass
class FileEntry:
    """One entry of get_files / set_file_prefs, normalised."""

    name: str
    type: str = "file"
    state: str = ""
    size: int = 0
    have_pieces: int = 0
    total_pieces: int = 0
    download: Optional[bool] = None  # only on selective-sync folders

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class Peer:
    """One entry of get_folder_peers, normalised."""

    id: str
    name: str = ""
    connection: str = ""
    synced: int = 0
    download: int = 0
    upload: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class Secrets:
    """An answer of get_secrets; a secret the server did not give is None."""

    read_write: Optional[str] = field(default=None, repr=False)
    read_only: Optional[str] = field(default=None, repr=False)
    encryption: Optional[str] = field(default=None, repr=False)

    def to_dict(self) -> Dict[str, str]:
        return {key: value for key, value in asdict(self).items() if value}


@dataclass
class Speed:
    download: int = 0
    upload: int = 0

    def to_dict(self) -> Dict[str, int]:
        return asdict(self)


def _int_field(data: Mapping[str, Any], key: str, default: int = 0) -> int:
    try:
        return to_int(data.get(key, default), key)
    except BtsyncValidationError:
        return default


def _str_field(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    return default if value is None else str(value)


def _bool_field(data: Mapping[str, Any], key: str) -> Optional[bool]:
    if key not in data:
        return None
    try:
        return to_bool(data[key], key)
    except BtsyncValidationError:
        return None


def parse_folder(data: Any) -> Folder:
    if not isinstance(data, Mapping):
        raise BtsyncProtocolError("a folder entry is not an object")
    path = data.get("dir", data.get("path"))
    if not isinstance(path, str):
        raise BtsyncProtocolError("a folder entry has no 'dir'")
    return Folder(
        path=path,
        secret=_str_field(data, "secret"),
        type=_str_field(data, "type"),
        size=_int_field(data, "size"),
        files=_int_field(data, "files"),
        error=_int_field(data, "error"),
        indexing=bool(_bool_field(data, "indexing")),
        selective_sync=_bool_field(data, "selective_sync"),
    )


def parse_file_entry(data: Any) -> FileEntry:
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise BtsyncProtocolError("a file entry is not an object with a 'name'")
    return FileEntry(
        name=data["name"],
        type=_str_field(data, "type", "file"),
        state=_str_field(data, "state"),
        size=_int_field(data, "size"),
        have_pieces=_int_field(data, "have_pieces"),
        total_pieces=_int_field(data, "total_pieces"),
        download=_bool_field(data, "download"),
    )


def parse_peer(data: Any) -> Peer:
    if not isinstance(data, Mapping):
        raise BtsyncProtocolError("a peer entry is not an object")
    return Peer(
        id=_str_field(data, "id"),
        name=_str_field(data, "name"),
        connection=_str_field(data, "connection"),
        synced=_int_field(data, "synced"),
        download=_int_field(data, "download"),
        upload=_int_field(data, "upload"),
    )


def parse_secrets(data: Any) -> Secrets:
    if not isinstance(data, Mapping):
        raise BtsyncProtocolError("expected an object of secrets")
    values: Dict[str, Optional[str]] = {}
    for key in ("read_write", "read_only", "encryption"):
        value = data.get(key)
        values[key] = value.strip() if isinstance(value, str) and value.strip() else None
    return Secrets(**values)


def parse_hosts(data: Any) -> List[str]:
    if isinstance(data, Mapping):
        data = data.get("hosts", [])
    if isinstance(data, str):
        data = [item for item in data.split(",") if item.strip()]
    if not isinstance(data, list):
        raise BtsyncProtocolError("expected a list of hosts")
    return [normalise_host(str(item)) for item in data]


def _error_code(body: Mapping[str, Any]) -> Tuple[bool, Optional[int]]:
    """Read ``error`` and ``result``: (failed, code). A non-zero one is a failure."""
    for key in ("error", "result"):
        if key not in body:
            continue
        value = body[key]
        if value is None or value is False:
            continue
        try:
            code = to_int(value, key)
        except BtsyncValidationError:
            if isinstance(value, str) and not value.strip():
                continue
            if value is True:
                return True, 1
            return True, None
        if code != 0:
            return True, code
    return False, None


def _error_message(body: Mapping[str, Any]) -> str:
    for key in ("message", "msg", "error_message", "error", "result"):
        value = body.get(key)
        if isinstance(value, str) and value.strip() and not _INT_RE.fullmatch(value.strip()):
            return value.strip()
    return "no message"


def describe_cause(exc: BaseException) -> str:
    """The innermost meaningful text of a library exception, without query strings."""
    cause: BaseException = exc
    seen = set()
    while id(cause) not in seen:
        seen.add(id(cause))
        reason = getattr(cause, "reason", None)
        if isinstance(reason, BaseException):
            cause = reason
            continue
        if cause.args and isinstance(cause.args[0], BaseException):
            cause = cause.args[0]
            continue
        if len(cause.args) > 1 and isinstance(cause.args[-1], BaseException):
            cause = cause.args[-1]
            continue
        break
    text = str(cause) or type(cause).__name__
    text = _OBJECT_RE.sub("", _QUERY_RE.sub("", redact_url(text))).strip()
    return text or type(cause).__name__


def _request_not_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server."""
    if HAS_REQUESTS and isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    if NewConnectionError is None:
        return False
    cause: Optional[BaseException] = exc
    for _dummy in range(6):
        if cause is None:
            return False
        if isinstance(cause, NewConnectionError):
            return True
        reason = getattr(cause, "reason", None)
        if isinstance(reason, BaseException):
            cause = reason
        elif cause.args and isinstance(cause.args[0], BaseException):
            cause = cause.args[0]
        else:
            return False
    return False


# ---------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------

class BtsyncClient(object):
    """One connection to one Sync API, over one keep-alive ``requests.Session``.

    ``retries`` is the number of extra attempts for a read after a
    connection error, a connect timeout or an HTTP 5xx answer, waiting
    ``backoff_base * 2**n`` seconds (at most ``backoff_max``) before attempt
    ``n + 1``. Writes are sent once; see :meth:`_write` for what happens
    when their answer is lost.
    """

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        api_user: Optional[str] = None,
        api_password: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        validate_certs: bool = True,
        retries: int = DEFAULT_RETRIES,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        sleep: Callable[[float], None] = time.sleep,
        session: Optional["requests.Session"] = None,
    ) -> None:
        if not HAS_REQUESTS:
            raise BtsyncError("the Python library requests is required")  # pragma: no cover
        self.url = normalise_api_url(api_url)
        if not api_user and not api_password:
            # Credentials in the URL are used only when api_user/api_password are not set.
            api_user, api_password = api_url_credentials(api_url)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
            raise BtsyncValidationError("timeout must be a number of seconds from 0 to 3600, got %s" % _describe(timeout))
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 20:
            raise BtsyncValidationError("retries must be an integer from 0 to 20, got %s" % _describe(retries))
        if backoff_base < 0 or backoff_max < 0:
            raise BtsyncValidationError("backoff delays cannot be negative")
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self._sleep = sleep
        self.session = session if session is not None else requests.Session()
        self.session.verify = bool(validate_certs)
        self.session.headers["Accept"] = "application/json, text/javascript, */*"
        if api_user or api_password:
            self.session.auth = (api_user or "", api_password or "")
        # Folder paths learnt from get_folders, to name folders in messages
        # without ever printing their secret.
        self._labels: Dict[str, str] = {}

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "BtsyncClient":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    # -- transport --------------------------------------------------------

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        return min(self.backoff_max, self.backoff_base * (2.0 ** min(attempt, 30)))

    def label(self, secret: Optional[str]) -> Optional[str]:
        """The folder path known for a secret (for messages), else a neutral label."""
        if not secret:
            return None
        if secret in self._labels:
            return self._labels[secret]
        try:
            kind = secret_type(secret)
        except BtsyncValidationError:
            kind = "?"
        return "(folder with a %s secret)" % (kind if kind == "custom" else "type %s" % kind)

    def _send(self, method: str, params: Mapping[str, Any]) -> "requests.Response":
        query = [("method", method)] + [(key, encode_param(value)) for key, value in params.items() if value is not None]
        try:
            return self.session.request("GET", self.url, params=query, timeout=self.timeout, allow_redirects=False)
        except requests.exceptions.Timeout as exc:
            connect = isinstance(exc, requests.exceptions.ConnectTimeout)
            raise BtsyncTimeoutError(
                "%s: the Sync API at %s did not %s within %g seconds (timeout)"
                % (method, self.url, "accept the connection" if connect else "answer", self.timeout),
                request_sent=not connect) from exc
        except requests.exceptions.SSLError as exc:
            raise BtsyncUnreachableError(
                "%s: cannot reach the Sync API at %s: TLS error: %s (see validate_certs)"
                % (method, self.url, describe_cause(exc)), request_sent=False) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise BtsyncUnreachableError(
                "%s: cannot reach the Sync API at %s: %s" % (method, self.url, describe_cause(exc)),
                request_sent=not _request_not_sent(exc)) from exc
        except requests.exceptions.RequestException as exc:
            raise BtsyncUnreachableError(
                "%s: request to the Sync API at %s failed: %s" % (method, self.url, describe_cause(exc)),
                request_sent=not _request_not_sent(exc)) from exc

    def _decode(self, method: str, response: "requests.Response") -> Any:
        status = response.status_code
        raw = response.content or b""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if status == 401:
            raise BtsyncAuthenticationError(
                "%s: authentication to the Sync API at %s failed (HTTP 401): check api_user and api_password "
                "(webui.login and webui.password in the Sync config)" % (method, self.url))
        if status >= 500:
            raise BtsyncServerError(
                "%s: the Sync API at %s answered HTTP %d" % (method, self.url, status), status)
        body: Any = None
        parsed = False
        if text is not None and text.strip():
            try:
                body = json.loads(text)
                parsed = True
            except ValueError:
                parsed = False
        if status == 400 and not (parsed and isinstance(body, Mapping)):
            hint = " (%s)" % text.strip()[:60] if text and text.strip() and len(text.strip()) <= 60 else ""
            raise BtsyncApiNotEnabledError(
                "%s: the Sync API at %s is not enabled (HTTP 400%s): set webui.api_key in the Sync config "
                "and restart Sync" % (method, self.url, hint))
        if status not in (200, 400):
            raise BtsyncProtocolError(
                "%s: unexpected answer from the Sync API at %s: HTTP %d" % (method, self.url, status))
        if text is None:
            raise BtsyncProtocolError(
                "%s: malformed response from the Sync API at %s: the body is not UTF-8" % (method, self.url),
                unreadable=True)
        if not parsed:
            raise BtsyncProtocolError(
                "%s: malformed response from the Sync API at %s: %s (%d bytes, Content-Type %s)"
                % (method, self.url, "empty body" if not text.strip() else "not JSON", len(raw),
                   response.headers.get("Content-Type", "none")), unreadable=True)
        return body

    def _call_once(self, method: str, params: Mapping[str, Any], target: Optional[str]) -> Any:
        body = self._decode(method, self._send(method, params))
        if isinstance(body, Mapping):
            failed, code = _error_code(body)
            if failed:
                raise BtsyncApiError(method, code, _error_message(body), target)
        return body

    def call(self, method: str, params: Optional[Mapping[str, Any]] = None, target: Optional[str] = None) -> Any:
        """Call one API method; return the decoded JSON body.

        Reads are retried (see the class docstring) after a connection error,
        a connect timeout, an HTTP 5xx or an unreadable body; not after a read
        timeout (a slow server is not asked again). Writes are sent once.
        """
        if method not in READ_METHODS and method not in WRITE_METHODS:
            raise BtsyncValidationError("unknown API method %s; valid: %s" % (method, ", ".join(API_METHODS)))
        attempts = 1 if method in WRITE_METHODS else self.retries + 1
        attempt = 0
        while True:
            try:
                return self._call_once(method, params or {}, target)
            except (BtsyncTransportError, BtsyncProtocolError) as exc:
                if isinstance(exc, BtsyncTimeoutError):
                    retryable = not exc.request_sent
                elif isinstance(exc, BtsyncProtocolError):
                    retryable = exc.unreadable
                else:
                    retryable = True
                attempt += 1
                if not retryable or attempt >= attempts:
                    if attempt > 1:
                        exc.msg = "%s (after %d attempts)" % (exc.msg, attempt)
                    raise
                self._sleep(self.backoff_delay(attempt - 1))

    def _write(
        self,
        method: str,
        params: Mapping[str, Any],
        target: Optional[str],
        parse: Callable[[Any], T],
        confirm: Callable[[], Optional[T]],
    ) -> T:
        """Send a write once; reconcile when its answer is lost.

        When the answer is lost after the request may have reached the server
        (dropped connection, read timeout, HTTP 5xx, unreadable body), the
        state is read back with ``confirm``. If it shows the write took
        effect, that state is returned. If it shows the write did not take
        effect, the write is sent exactly once more (it is then known not to
        be a duplicate). If that answer is lost too and the state still does
        not show the change, a :class:`BtsyncTransportError` says so: nothing
        was changed -- unless an answer timed out, which proves nothing (Sync
        may still apply the change): the message then says so, and that a
        new run reconciles. A request that certainly never reached the server
        (connection refused) is not reconciled: its error is raised as is.
        """
        try:
            return parse(self.call(method, params, target))
        except (BtsyncTransportError, BtsyncProtocolError) as exc:
            if not answer_lost(exc):
                raise
            first = exc
        observed = self._confirm(method, target, confirm, first)
        if observed is not None:
            return observed
        try:
            return parse(self.call(method, params, target))
        except (BtsyncTransportError, BtsyncProtocolError) as exc:
            if not answer_lost(exc) and not isinstance(exc, BtsyncTransportError):
                raise
            if answer_lost(exc):
                observed = self._confirm(method, target, confirm, exc)
                if observed is not None:
                    return observed
            name = "%s%s" % (method, " " + target if target else "")
            if isinstance(first, BtsyncTimeoutError) or isinstance(exc, BtsyncTimeoutError):
                # A read timeout proves nothing: Sync may still be working on the write.
                raise BtsyncTransportError(
                    "%s: the answer did not come back within the timeout (%g seconds) and the change is not "
                    "visible on the server yet; Sync may still apply it. Run the task again: it reads the state "
                    "first and reconciles, without repeating a change that was made (first: %s; then: %s)"
                    % (name, self.timeout, first, exc)) from exc
            raise BtsyncTransportError(
                "%s: no answer came back twice and the change is not visible on the server, "
                "so nothing was changed; run again when the API is stable (first: %s; then: %s)"
                % (name, first, exc)) from exc
        except BtsyncApiError:
            # e.g. "folder already added": the first write landed after all.
            observed = self._confirm(method, target, confirm, first)
            if observed is not None:
                return observed
            raise

    def _confirm(self, method: str, target: Optional[str], confirm: Callable[[], Optional[T]],
                 lost: BtsyncError) -> Optional[T]:
        try:
            return confirm()
        except BtsyncError as exc:
            raise BtsyncTransportError(
                "%s%s: the answer was lost (%s) and reading the state back failed (%s): "
                "the change may or may not have been made" % (method, " " + target if target else "", lost, exc)) from exc

    def _expect_list(self, method: str, body: Any) -> List[Any]:
        if isinstance(body, list):
            return body
        raise BtsyncProtocolError(
            "%s: malformed response from the Sync API at %s: expected a JSON array, got %s"
            % (method, self.url, type(body).__name__))

    def _expect_dict(self, method: str, body: Any) -> Mapping[str, Any]:
        if isinstance(body, Mapping):
            return body
        raise BtsyncProtocolError(
            "%s: malformed response from the Sync API at %s: expected a JSON object, got %s"
            % (method, self.url, type(body).__name__))

    def _parse_list(self, method: str, body: Any, parser: Callable[[Any], T]) -> List[T]:
        try:
            return [parser(item) for item in self._expect_list(method, body)]
        except BtsyncProtocolError as exc:
            if exc.msg.startswith(method + ":"):
                raise
            raise BtsyncProtocolError("%s: malformed response from the Sync API at %s: %s" % (method, self.url, exc)) from exc

    # -- folders ------------------------------------------------------------

    def get_folders(self, secret: Optional[str] = None) -> List[Folder]:
        """All folders, or the folder with ``secret`` (a list either way)."""
        params: Dict[str, Any] = {}
        if secret is not None:
            params["secret"] = validate_secret(secret)
        body = self.call("get_folders", params, self.label(secret))
        if isinstance(body, Mapping) and ("dir" in body or "path" in body):
            body = [body]  # some servers answer one folder as an object
        folders = self._parse_list("get_folders", body, parse_folder)
        for folder in folders:
            if folder.secret:
                self._labels[folder.secret] = folder.path
        return folders

    def find_folder(self, path: Optional[str] = None, secret: Optional[str] = None,
                    folders: Optional[Sequence[Folder]] = None) -> Optional[Folder]:
        """The live folder matching ``path`` and/or ``secret`` (all that are given)."""
        if path is None and secret is None:
            raise BtsyncValidationError("a folder is identified by path and/or secret")
        wanted = normalise_path(path) if path is not None else None
        for folder in (self.get_folders() if folders is None else folders):
            if wanted is not None and normalise_path(folder.path) != wanted:
                continue
            if secret is not None and folder.secret != secret:
                continue
            return folder
        return None

    def add_folder(self, path: str, secret: Optional[str] = None, selective_sync: bool = False,
                   force: bool = False) -> None:
        """Add the directory ``path`` as a folder (a new secret is generated when none is given)."""
        wanted = validate_folder_path(path)
        params: Dict[str, Any] = {"dir": path}
        if secret is not None:
            params["secret"] = validate_secret(secret)
        if selective_sync:
            params["selective_sync"] = True
        if force:
            params["force"] = True

        def confirm() -> Optional[bool]:
            found = self.find_folder(wanted, secret)
            return True if found is not None else None

        self._write("add_folder", params, path, lambda body: True, confirm)
        if secret is not None:
            self._labels[secret] = path

    def remove_folder(self, secret: str) -> None:
        """Remove the folder with ``secret`` from Sync; its files stay on disk."""
        params = {"secret": validate_secret(secret)}
        target = self.label(secret)

        def confirm() -> Optional[bool]:
            return True if self.find_folder(secret=secret) is None else None

        self._write("remove_folder", params, target, lambda body: True, confirm)

    def get_files(self, secret: str, path: Optional[str] = None) -> List[FileEntry]:
        """The entries of the folder's root, or of the sub-directory ``path``."""
        params: Dict[str, Any] = {"secret": validate_secret(secret)}
        target = self.label(secret)
        if path is not None:
            params["path"] = validate_relative_path(path)
            target = "%s/%s" % (target, params["path"])
        return self._parse_list("get_files", self.call("get_files", params, target), parse_file_entry)

    def set_file_prefs(self, secret: str, path: str, download: bool) -> List[FileEntry]:
        """Choose whether ``path`` (relative to the folder) is downloaded (selective sync)."""
        relative = validate_relative_path(path)
        wanted = to_bool(download, "download")
        params = {"secret": validate_secret(secret), "path": relative, "download": wanted}
        target = "%s/%s" % (self.label(secret), relative)
        parent, _dummy, name = relative.rpartition("/")

        def confirm() -> Optional[List[FileEntry]]:
            entries = self.get_files(secret, parent or None)
            for entry in entries:
                if entry.name in (name, relative) and entry.download is wanted:
                    return [entry]
            return None

        def parse(body: Any) -> List[FileEntry]:
            if isinstance(body, list):
                return self._parse_list("set_file_prefs", body, parse_file_entry)
            return self.get_files(secret, parent or None)

        return self._write("set_file_prefs", params, target, parse, confirm)

    def get_folder_peers(self, secret: str) -> List[Peer]:
        params = {"secret": validate_secret(secret)}
        body = self.call("get_folder_peers", params, self.label(secret))
        return self._parse_list("get_folder_peers", body, parse_peer)

    def get_secrets(self, secret: Optional[str] = None, encryption: bool = False) -> Secrets:
        """New secrets, or the secrets that ``secret`` can share."""
        params: Dict[str, Any] = {}
        if secret is not None:
            params["secret"] = validate_secret(secret)
        if encryption:
            params["type"] = "encryption"
        body = self.call("get_secrets", params, self.label(secret))
        return parse_secrets(self._expect_dict("get_secrets", body))

    def get_folder_prefs(self, secret: str) -> Dict[str, Any]:
        """The folder's preferences, flags as bools (``selective_sync`` too when the server reports it)."""
        params = {"secret": validate_secret(secret)}
        body = self.call("get_folder_prefs", params, self.label(secret))
        return normalise_folder_prefs(self._expect_dict("get_folder_prefs", body))

    def set_folder_prefs(self, secret: str, prefs: Mapping[str, Any]) -> Dict[str, Any]:
        """Set some of the six folder flags; return the folder's preferences."""
        wanted = validate_folder_prefs(prefs)
        params: Dict[str, Any] = {"secret": validate_secret(secret)}
        params.update(wanted)
        target = self.label(secret)

        def current(body: Any) -> Dict[str, Any]:
            if isinstance(body, Mapping) and any(key in body for key in FOLDER_PREF_KEYS):
                return normalise_folder_prefs(body)
            return self.get_folder_prefs(secret)  # servers that answer only {"error": 0}

        def confirm() -> Optional[Dict[str, Any]]:
            live = self.get_folder_prefs(secret)
            return live if all(live.get(key) == value for key, value in wanted.items()) else None

        return self._write("set_folder_prefs", params, target, current, confirm)

    def get_folder_hosts(self, secret: str) -> List[str]:
        params = {"secret": validate_secret(secret)}
        body = self.call("get_folder_hosts", params, self.label(secret))
        try:
            return parse_hosts(body)
        except BtsyncProtocolError as exc:
            raise BtsyncProtocolError("get_folder_hosts: malformed response from the Sync API at %s: %s" % (self.url, exc)) from exc

    def set_folder_hosts(self, secret: str, hosts: Sequence[str]) -> List[str]:
        """Replace the folder's predefined hosts; return the hosts now set."""
        wanted = validate_hosts(hosts)
        params = {"secret": validate_secret(secret), "hosts": ",".join(wanted)}
        target = self.label(secret)

        def current(body: Any) -> List[str]:
            if isinstance(body, (list, str)) or (isinstance(body, Mapping) and "hosts" in body):
                return parse_hosts(body)
            return self.get_folder_hosts(secret)

        def confirm() -> Optional[List[str]]:
            live = self.get_folder_hosts(secret)
            return live if sorted(live) == sorted(wanted) else None

        return self._write("set_folder_hosts", params, target, current, confirm)

    # -- device -------------------------------------------------------------

    def get_prefs(self) -> Dict[str, Any]:
        """Device preferences, normalised (flags to bool, numbers to int)."""
        return normalise_prefs(self._expect_dict("get_prefs", self.call("get_prefs")))

    def set_prefs(self, prefs: Mapping[str, Any]) -> Dict[str, Any]:
        """Set some device preferences; return all preferences."""
        wanted = validate_prefs(prefs)

        def current(body: Any) -> Dict[str, Any]:
            if isinstance(body, Mapping) and any(key in body for key in PREF_TYPES):
                return normalise_prefs(body)
            return self.get_prefs()

        def confirm() -> Optional[Dict[str, Any]]:
            live = self.get_prefs()
            return live if all(live.get(key) == value for key, value in wanted.items()) else None

        return self._write("set_prefs", wanted, None, current, confirm)

    def get_os(self) -> str:
        body = self._expect_dict("get_os", self.call("get_os"))
        return _str_field(body, "os")

    def get_version(self) -> str:
        body = self._expect_dict("get_version", self.call("get_version"))
        return _str_field(body, "version")

    def get_speed(self) -> Speed:
        body = self._expect_dict("get_speed", self.call("get_speed"))
        return Speed(download=_int_field(body, "download"), upload=_int_field(body, "upload"))

    def shutdown(self) -> None:
        """Stop Sync. A lost answer is expected (the process exits): it is
        confirmed by the API no longer answering."""

        def confirm() -> Optional[bool]:
            # Sync answers, then exits: give it a few seconds to go away.
            for _dummy in range(max(1, int(min(self.timeout, 5.0) / 0.2))):
                try:
                    self._call_once("get_version", {}, None)
                except BtsyncUnreachableError:
                    return True
                self._sleep(0.2)
            return None

        self._write("shutdown", {}, None, lambda body: True, confirm)


def folder_type_from_secret(secret: str) -> str:
    """The folder type a secret gives: ``read_write``, ``read_only`` or ``encrypted``."""
    kind = secret_type(secret)
    if kind in ("A", "D", "custom"):
        return "read_write"
    if kind == "F":
        return "encrypted"
    return "read_only"
