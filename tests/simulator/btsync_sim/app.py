"""One running instance: state, API, web UI server, peer service, faults.

:meth:`App.prepare` loads the state and binds both ports without starting a
thread (so that the process can daemonize afterwards); :meth:`App.start`
starts serving; :meth:`App.close` stops everything.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from typing import IO

from ._version import VERSION
from .api import Api
from .config import Config
from .errors import StartupError
from .faults import FaultConfig, FaultInjector
from .peers import PeerService
from .server import ApiHTTPServer
from .sharesecret import parse_secret
from .state import Folder, SimState


class App:
    """Everything one simulator process runs."""

    def __init__(
        self,
        config: Config,
        logger: logging.Logger,
        faults: FaultConfig | None = None,
        request_log: IO[str] | None = None,
    ) -> None:
        self.config = config
        self.logger = logger
        self.faults = FaultInjector(faults or FaultConfig())
        self.state = SimState(config.storage_path, persist_folders=config.shared_folders is None)
        self.peers = PeerService(self.state, logger)
        self.api = Api(self.state, self.peers, config, VERSION)
        self.http: ApiHTTPServer | None = None
        self._request_log = request_log
        self._log_lock = threading.Lock()
        self._stop_requested = threading.Event()
        self._serving: list[ApiHTTPServer] = []  # servers whose serve_forever runs

    @property
    def api_enabled(self) -> bool:
        """False when the config defines shared_folders: the vendor then turns the web UI off."""
        return self.config.shared_folders is None

    def prepare(self) -> None:
        """Load the state, apply the config, bind the ports. Starts no thread."""
        state = self.state
        state.load()
        state.prefs.update(self.config.prefs)  # the config file wins over what was set through the API
        if not state.prefs.get("device_name"):
            state.prefs["device_name"] = socket.gethostname() or "btsync"
        if self.config.shared_folders is not None:
            state.folders = []
            for item in self.config.shared_folders:
                secret = parse_secret(item.secret)
                assert secret is not None  # checked by the config parser
                state.folders.append(Folder(
                    dir=item.dir, secret=secret, selective_sync=item.selective_sync,
                    prefs=dict(item.prefs), hosts=list(item.hosts),
                ))
        port = int(state.prefs["listening_port"])
        try:
            self.peers.bind(port)
        except OSError as exc:
            raise StartupError(f"cannot listen on port {port} (listening_port): {exc.strerror or exc}") from None
        if self.api_enabled:
            webui = self.config.webui
            tls = self._tls_context() if webui.force_https else None
            try:
                self.http = ApiHTTPServer((webui.host, webui.port), self, tls)
            except OSError as exc:
                self.peers.stop()
                raise StartupError(f"cannot listen on {webui.host}:{webui.port} (webui.listen): {exc.strerror or exc}") from None
        try:
            state.save()
        except OSError as exc:
            raise StartupError(f"cannot write the state file {state.path}: {exc.strerror or exc}") from None

    def _tls_context(self) -> ssl.SSLContext:
        webui = self.config.webui
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(webui.ssl_certificate, webui.ssl_private_key)
        except (OSError, ssl.SSLError) as exc:
            raise StartupError(f"cannot load webui.ssl_certificate / webui.ssl_private_key: {exc}") from None
        return context

    def start(self) -> None:
        """Serve the API and the peer port (threads)."""
        self.peers.start()
        if self.http is not None:
            thread = threading.Thread(
                target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, name="webui", daemon=True
            )
            thread.start()
            self._serving.append(self.http)
        webui = self.config.webui
        if self.http is not None:
            scheme = "https" if webui.force_https else "http"
            self.logger.info("web UI and API on %s://%s:%d (API %s)", scheme, webui.host, self.http.server_port,
                             "enabled" if webui.api_key else "disabled: no webui.api_key")
        else:
            self.logger.info("web UI and API disabled: the config defines shared_folders")
        self.logger.info("peer port %d, device %s, %d folder(s)", self.peers.port,
                         self.state.prefs["device_name"], len(self.state.folders))

    def request_stop(self) -> None:
        """Ask the main loop to stop (shutdown method, SIGTERM)."""
        self._stop_requested.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested.is_set()

    def close(self) -> None:
        """Stop serving and close the ports."""
        for server in self._serving:
            server.shutdown()
        if self.http is not None:
            self.http.server_close()
        self.peers.stop()
        if self._request_log is not None:
            self._request_log.close()

    def log_request(self, method: str, names: list[str]) -> None:
        """One ``--request-log`` line: parameter names only, never values."""
        if self._request_log is None:
            return
        line = json.dumps({"ts": round(time.time(), 6), "method": method, "params": names}, ensure_ascii=False)
        with self._log_lock:
            self._request_log.write(line + "\n")
            self._request_log.flush()
