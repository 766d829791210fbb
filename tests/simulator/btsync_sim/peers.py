"""Peers: a handshake on ``listening_port`` between simulator instances.

No file content is ever exchanged. The protocol is the simulator's own: the
client connects over TCP and sends one JSON line

    {"proto": "btsync-sim/1", "share": SHARE_ID, "peer_id": ID, "name": DEVICE_NAME}

and the server answers one JSON line, ``{"proto": ..., "ok": true, "peer_id":
..., "name": ...}`` when it holds that share, ``{"proto": ..., "ok": false}``
otherwise. Both sides then remember each other for that share: the client "via"
the host it probed, the server from the inbound handshake.

Who probes: every folder's predefined hosts are probed in the background every
``PROBE_INTERVAL`` seconds, and again on demand by get_folder_peers (in
parallel, with short timeouts, at most ``MAX_HOSTS_PER_FOLDER`` hosts). A peer
learned through a host is forgotten as soon as a probe of that host fails; one
learned from its handshake only, ``PEER_TTL`` seconds after its last one.
"""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .config import parse_host_port
from .state import SimState

PROTOCOL = "btsync-sim/1"
PROBE_INTERVAL = 2.0
PEER_TTL = 10.0
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
MAX_PROBE_WORKERS = 8
MAX_HOSTS_PER_FOLDER = 32
MAX_LINE = 4096


class _HandshakeHandler(socketserver.StreamRequestHandler):
    timeout = READ_TIMEOUT
    server: PeerServer

    def handle(self) -> None:
        try:
            line = self.rfile.readline(MAX_LINE)
        except OSError:
            return
        reply = self.server.service.answer(line)
        try:
            self.wfile.write(json.dumps(reply).encode("utf-8") + b"\n")
        except OSError:
            pass


class PeerServer(socketserver.ThreadingTCPServer):
    """The TCP listener on ``listening_port``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: PeerService) -> None:
        self.service = service
        super().__init__(address, _HandshakeHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.service.logger.debug("peer connection from %s failed", client_address, exc_info=True)


class PeerService:
    """Listens for handshakes, probes predefined hosts, lists peers."""

    def __init__(self, state: SimState, logger: logging.Logger, host: str = "0.0.0.0") -> None:  # noqa: S104 - as the vendor
        self.state = state
        self.logger = logger
        self.host = host
        self._server: PeerServer | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._serving: set[int] = set()  # ids of the servers whose serve_forever runs
        self._swap_lock = threading.Lock()

    # -- listener -------------------------------------------------------------

    def bind(self, port: int) -> None:
        """Bind the listener (before daemonizing: no thread is started here)."""
        self._server = PeerServer((self.host, port), self)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def _serve(self, server: PeerServer) -> None:
        self._serving.add(id(server))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="peer-listener", daemon=True)
        thread.start()
        self._threads.append(thread)

    def start(self) -> None:
        assert self._server is not None
        self._serve(self._server)
        prober = threading.Thread(target=self._probe_loop, name="peer-prober", daemon=True)
        prober.start()
        self._threads.append(prober)

    def rebind(self, port: int) -> int:
        """Listen on ``port`` instead (0: a random one); raises OSError if it cannot."""
        with self._swap_lock:
            new = PeerServer((self.host, port), self)
            old = self._server
            self._server = new
            self._serve(new)
        if old is not None:
            self._close(old)
        return self.port

    def _close(self, server: PeerServer) -> None:
        if id(server) in self._serving:
            self._serving.discard(id(server))
            server.shutdown()
        server.server_close()

    def stop(self) -> None:
        self._stop.set()
        server = self._server
        if server is not None:
            self._close(server)

    def answer(self, raw: bytes) -> dict[str, Any]:
        """The reply to one handshake line; remembers the peer when the share is held."""
        refused: dict[str, Any] = {"proto": PROTOCOL, "ok": False}
        try:
            message = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return refused
        if not isinstance(message, dict) or message.get("proto") != PROTOCOL:
            return refused
        share, peer_id, name = message.get("share"), message.get("peer_id"), message.get("name")
        if not (_short_str(share, 128) and _short_str(peer_id, 128) and _short_str(name, 255)):
            return refused
        assert isinstance(share, str) and isinstance(peer_id, str) and isinstance(name, str)
        with self.state.lock:
            if self.state.folder_by_share(share) is None:
                return refused
            if peer_id != self.state.peer_id:
                self.state.record_peer(share, peer_id, name, via=None)
            return {"proto": PROTOCOL, "ok": True, "peer_id": self.state.peer_id, "name": str(self.state.prefs["device_name"])}

    # -- prober ---------------------------------------------------------------

    def _probe_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.probe_all()
            except Exception:  # keep probing whatever one round did
                if not self._stop.is_set():  # (at exit, no new probe thread may start)
                    self.logger.exception("peer probe round failed")
            self._stop.wait(PROBE_INTERVAL)

    def probe_all(self) -> None:
        """Probe the predefined hosts of every folder."""
        with self.state.lock:
            pairs = [(folder.share_id, host) for folder in self.state.folders for host in folder.hosts[:MAX_HOSTS_PER_FOLDER]]
        self._probe(pairs)

    def probe_share(self, share_id: str, hosts: list[str]) -> None:
        """Probe the hosts of one folder now (get_folder_peers)."""
        self._probe([(share_id, host) for host in hosts[:MAX_HOSTS_PER_FOLDER]])

    def _probe(self, pairs: list[tuple[str, str]]) -> None:
        if not pairs:
            return
        with self.state.lock:
            me = self.state.peer_id
            my_name = str(self.state.prefs["device_name"])
        workers = min(MAX_PROBE_WORKERS, len(pairs))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="peer-probe") as pool:
            replies = list(pool.map(lambda pair: self._handshake(pair[1], pair[0], me, my_name), pairs))
        with self.state.lock:
            for (share_id, host), reply in zip(pairs, replies):
                if self.state.folder_by_share(share_id) is None:
                    continue  # removed meanwhile
                if reply is not None and reply[0] != self.state.peer_id:
                    self.state.record_peer(share_id, reply[0], reply[1], via=host)
                else:
                    self.forget_via(share_id, host)

    def _handshake(self, host_port: str, share_id: str, me: str, my_name: str) -> tuple[str, str] | None:
        """(peer id, name) of the instance at ``host_port`` if it holds the share."""
        try:
            host, port = parse_host_port(host_port)
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
                sock.settimeout(READ_TIMEOUT)
                hello = {"proto": PROTOCOL, "share": share_id, "peer_id": me, "name": my_name}
                sock.sendall(json.dumps(hello).encode("utf-8") + b"\n")
                data = b""
                while b"\n" not in data and len(data) < MAX_LINE:
                    chunk = sock.recv(MAX_LINE)
                    if not chunk:
                        break
                    data += chunk
            reply = json.loads(data.split(b"\n", 1)[0].decode("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(reply, dict) or reply.get("proto") != PROTOCOL or reply.get("ok") is not True:
            return None
        peer_id, name = reply.get("peer_id"), reply.get("name")
        if not (_short_str(peer_id, 128) and _short_str(name, 255)):
            return None
        assert isinstance(peer_id, str) and isinstance(name, str)
        return peer_id, name

    # -- table (hold the state lock) --------------------------------------------

    def forget_via(self, share_id: str, host: str) -> None:
        peers = self.state.peers.get(share_id, {})
        for peer_id in [pid for pid, record in peers.items() if record.via == host]:
            del peers[peer_id]

    def forget_share(self, share_id: str) -> None:
        self.state.peers.pop(share_id, None)

    def peers_of(self, share_id: str) -> list[dict[str, Any]]:
        """The get_folder_peers answer: peers seen recently on this share."""
        now = time.time()
        peers = self.state.peers.get(share_id, {})
        for peer_id in [pid for pid, record in peers.items() if now - record.last_seen > PEER_TTL]:
            del peers[peer_id]
        return [
            {
                "id": record.peer_id,
                "connection": "direct",
                "name": record.name,
                "synced": record.synced,
                "download": 0,
                "upload": 0,
            }
            for record in sorted(peers.values(), key=lambda r: (r.name, r.peer_id))
        ]


def _short_str(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit
