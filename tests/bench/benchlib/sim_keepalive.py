"""The simulator, answering HTTP/1.1 and keeping connections open (benchmark section 5 only).

The simulator answers HTTP/1.0 and closes each connection after one answer, so
a client's keep-alive session cannot reuse anything against it. To show what
keep-alive saves against a server that keeps connections open, section 5 also
runs this variant: the same simulator, with its request handler switched to
HTTP/1.1 (every answer already carries Content-Length) and Nagle's algorithm
off on its connections (else the headers and the body, sent apart, wait for
the client's delayed ACK: 40 ms per answer on Linux). Run as
``python -m benchlib.sim_keepalive ARGS`` with ``tests/simulator`` and
``tests/bench`` on PYTHONPATH; it takes the simulator's command line.
"""

from __future__ import annotations

from btsync_sim import server
from btsync_sim.cli import main


def run() -> int:
    server.ApiRequestHandler.protocol_version = "HTTP/1.1"
    server.ApiRequestHandler.disable_nagle_algorithm = True
    code: int = main()
    return code


if __name__ == "__main__":
    raise SystemExit(run())
