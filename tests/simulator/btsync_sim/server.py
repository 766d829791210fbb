"""The web UI port: HTTP Basic auth, the ``/api`` endpoint, faults, request log.

* Basic auth on every path when ``webui.login``/``password`` (or
  ``password_hash``) are set: HTTP 401 with ``WWW-Authenticate`` otherwise.
* ``/api`` answers HTTP 400, ``text/plain``, ``invalid request`` unless
  ``webui.api_key`` is set; then it answers JSON as ``text/javascript`` (no
  charset), HTTP 200 for API errors too.
* ``/`` and ``/gui/...`` answer a small HTML page; anything else is a 404.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import socket
import socketserver
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from .app import App

JSON_CONTENT_TYPE = "text/javascript"
MAX_FIELDS = 1000
MAX_BODY = 1024 * 1024
REQUEST_TIMEOUT = 30.0


def check_password_hash(password: str, password_hash: str) -> bool:
    """Check ``password`` against a crypt(3) hash, as the vendor's ``password_hash``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
        except ImportError:  # Python 3.13+: no crypt module
            return False
    return hmac.compare_digest(crypt.crypt(password, password_hash), password_hash)


class ApiHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server on ``webui.listen``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App, tls: ssl.SSLContext | None = None) -> None:
        self.app = app
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, ApiRequestHandler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can hang
        # on a machine without DNS; the name is not needed here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.app.logger.debug("HTTP connection from %s failed", client_address, exc_info=True)


class ApiRequestHandler(BaseHTTPRequestHandler):
    """One HTTP request on the web UI port."""

    server: ApiHTTPServer
    server_version = "BitTorrentSync"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(REQUEST_TIMEOUT)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        # Never log the query string: it holds secrets.
        self.server.app.logger.debug("HTTP %s %s", self.command, urlsplit(self.path).path)

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._send(413 if length > MAX_BODY else 400, "text/plain", b"invalid request")
            return
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        self._handle(body if content_type.startswith("application/x-www-form-urlencoded") else b"")

    # -- plumbing ---------------------------------------------------------------

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        """Close the connection without a word."""
        self.close_connection = True

    def _authorized(self) -> bool:
        webui = self.server.app.config.webui
        if not webui.auth_required:
            return True
        scheme, _sep, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(":")
        if not sep:
            return False
        user_ok = hmac.compare_digest(user.encode("utf-8"), webui.login.encode("utf-8"))
        if webui.password_hash:
            password_ok = check_password_hash(password, webui.password_hash)
        else:
            password_ok = hmac.compare_digest(password.encode("utf-8"), webui.password.encode("utf-8"))
        return user_ok and password_ok

    def _handle(self, form: bytes) -> None:
        if not self._authorized():
            self._send(401, "text/plain", b"Unauthorized", {"WWW-Authenticate": 'Basic realm="BitTorrent Sync"'})
            return
        split = urlsplit(self.path)
        if split.path in ("/api", "/api/"):
            self._api(split.query, form.decode("utf-8", "replace"))
        elif split.path == "/" or split.path.startswith("/gui"):
            page = b"<!DOCTYPE html><html><head><title>BitTorrent Sync</title></head><body>BitTorrent Sync (simulator): use /api</body></html>"
            self._send(200, "text/html", page)
        else:
            self._send(404, "text/plain", b"not found")

    def _api(self, query: str, form: str) -> None:
        app = self.server.app
        if not app.config.webui.api_key:
            self._send(400, "text/plain", b"invalid request")
            return
        try:
            pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
            pairs += parse_qsl(form, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            self._send_json({"error": 4, "message": "Too many parameters."})
            return
        params: dict[str, str] = {}
        for name, value in pairs:
            params[name] = value  # the last of repeated names wins
        method = params.pop("method", "")
        app.log_request(method, list(params))

        decision = app.faults.decide(method)
        if decision.latency_s:
            time.sleep(decision.latency_s)
        if decision.drop:
            self._drop()
            return
        if decision.http500:
            self._send(500, "text/plain", b"Internal Server Error")
            return
        try:
            result = app.api.call(method, params)
        except Exception:
            app.logger.exception("internal error in API method %s", method if method in app.api.methods else "?")
            self._send(500, "text/plain", b"Internal Server Error")
            return
        if decision.lose_response:
            self._drop()
        else:
            self._send_json(result, malformed=decision.malformed)
        if method == "shutdown" and result == {"error": 0}:
            app.request_stop()

    def _send_json(self, result: Any, malformed: bool = False) -> None:
        body = json.dumps(result, ensure_ascii=False).encode("utf-8", "replace")
        if malformed:
            body = body[: max(1, len(body) // 2)]  # a strict prefix of an object or array: never valid JSON
        self._send(200, JSON_CONTENT_TYPE, body)
