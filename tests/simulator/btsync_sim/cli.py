"""The vendor binary's command line, plus the simulator's test-only flags.

Without ``--nodaemon`` the process daemonizes like the vendor's: it binds its
ports, forks twice, detaches (``setsid``, ``chdir /``, standard streams to
``/dev/null``) and writes ``pid_file``. The command returns once the daemon
serves (exit 0), or with one line on stderr and a non-zero exit when it
cannot start. Every startup error is one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import sys
import time
from typing import IO, NoReturn, Sequence

from . import banner
from .config import Config, ConfigError, load_config
from .errors import StartupError
from .faults import FaultConfig
from .sharesecret import generate_secret, parse_secret
from .state import StateError

PROG = "btsync"
DAEMON_READY_TIMEOUT = 60.0

HELP = """\
{banner}
Usage: {prog} [--config FILE] [--nodaemon] [other options]

Options:
  --config FILE            use this JSON config (// and /* */ comments allowed)
  --nodaemon               stay in the foreground (default: detach, write pid_file)
  --dump-sample-config     print a sample config file and exit
  --generate-secret        print a new read-write secret and exit
  --get-ro-secret SECRET   print the read-only secret of SECRET and exit
  --webui.listen IP:PORT   web UI and API address (overrides webui.listen)
  --log [FILE]             log to FILE (default: sync.log in storage_path)
  --help                   print this help and exit

Simulator only (for tests; never read from the config):
  --version                      print the first line of this help and exit
  --fault-latency-ms N           wait N ms before each API request
  --fault-drop-rate P            close a share P of connections before handling
  --fault-http500-rate P         answer a share P of requests with HTTP 500
  --fault-lose-response-rate P   handle a share P of requests, then close unanswered
  --fault-malformed-rate P       handle a share P of requests, answer malformed JSON
  --fault-methods M1,M2          limit the faults to these API methods
  --fault-seed N                 seed of the fault draws (repeatable runs)
  --request-log FILE             one JSON line per API request (parameter names only)

No file content is replicated: peers only shake hands (see docs/simulator.md).
"""

SAMPLE_CONFIG = """\
{
  "device_name": "My Sync Device",
  "listening_port" : 0, // 0 - randomize port

/* storage_path dir contains auxiliary app files; it must exist */
  "storage_path" : "/home/user/.sync",

// uncomment next line if you want to set location of pid file
// "pid_file" : "/var/run/btsync/btsync.pid",

  "check_for_updates" : false,
  "use_upnp" : true, // use UPnP for port mapping

/* limits in kB/s. 0 - no limit */
  "download_limit" : 0,
  "upload_limit" : 0,

/* proxy configuration */
// "proxy_type" : "socks4", // "socks4", "socks5", "http_connect"; any other value means no proxy
// "proxy_addr" : "192.168.1.2",
// "proxy_port" : 1080,
// "proxy_auth" : false,
// "proxy_username" : "user",
// "proxy_password" : "password",

  "webui" :
  {
    "listen" : "0.0.0.0:8888", // IP address and port of the web UI and the API
    "login" : "admin",
    "password" : "password",
    "api_key" : "" // the /api endpoint answers only when api_key is set
  }

/* !!! if you set shared folders in the config file, the web UI and the API are DISABLED !!!
  ,
  "shared_folders" :
  [
    {
      "secret" : "MY_SECRET_1", // required: use --generate-secret to create one
      "dir" : "/home/user/bittorrent/sync_test", // required
      "use_relay_server" : true, // use a relay server when a direct connection fails
      "use_tracker" : true,
      "use_dht" : false,
      "search_lan" : true,
      "use_sync_trash" : true, // keep files deleted on remote devices
      "overwrite_changes" : false, // restore modified files, read-only folders only
      "known_hosts" : // hosts to connect to without searching
      [
        "192.168.1.2:44444"
      ]
    }
  ]
*/

/* Advanced preferences can be added here as well, e.g.
  "folder_rescan_interval" : 600,
  "sync_trash_ttl" : 30,
  "folder_defaults.use_dht" : false
*/
}
"""


class UsageError(Exception):
    """A command-line error; ``str()`` is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _methods(text: str) -> frozenset[str]:
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of API methods")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, add_help=False, allow_abbrev=False)
    parser.add_argument("--config", metavar="FILE")
    parser.add_argument("--nodaemon", action="store_true")
    parser.add_argument("--dump-sample-config", action="store_true")
    parser.add_argument("--generate-secret", action="store_true")
    parser.add_argument("--get-ro-secret", metavar="SECRET")
    parser.add_argument("--webui.listen", dest="webui_listen", metavar="IP:PORT")
    parser.add_argument("--log", nargs="?", const="", metavar="FILE")
    parser.add_argument("--help", "-h", action="store_true")
    parser.add_argument("--version", action="store_true")
    parser.add_argument("--fault-latency-ms", type=_non_negative, default=0, metavar="N")
    parser.add_argument("--fault-drop-rate", type=_rate, default=0.0, metavar="P")
    parser.add_argument("--fault-http500-rate", type=_rate, default=0.0, metavar="P")
    parser.add_argument("--fault-lose-response-rate", type=_rate, default=0.0, metavar="P")
    parser.add_argument("--fault-malformed-rate", type=_rate, default=0.0, metavar="P")
    parser.add_argument("--fault-methods", type=_methods, default=None, metavar="M1,M2")
    parser.add_argument("--fault-seed", type=int, default=None, metavar="N")
    parser.add_argument("--request-log", metavar="FILE")
    return parser


def help_text() -> str:
    return HELP.format(banner=banner(), prog=PROG)


def _fail(message: str, code: int = 1) -> int:
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def _setup_logging(args: argparse.Namespace, config: Config) -> logging.Logger:
    logger = logging.getLogger("btsync_sim")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    path: str | None = None
    if args.log is not None:
        path = os.path.abspath(args.log) if args.log else os.path.join(config.storage_path, "sync.log")
    elif not args.nodaemon:
        path = os.path.join(config.storage_path, "sync.log")
    handler: logging.Handler
    if path is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        try:
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError as exc:
            raise StartupError(f"cannot open log file {path}: {exc.strerror or exc}") from None
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger.addHandler(handler)
    return logger


def _open_request_log(path: str | None) -> IO[str] | None:
    if not path:
        return None
    try:
        return open(os.path.abspath(path), "a", encoding="utf-8")  # closed by App.close
    except OSError as exc:
        raise StartupError(f"cannot open request log {path}: {exc.strerror or exc}") from None


def _daemonize() -> int:
    """Fork twice and detach; return the fd on which the daemon reports readiness.

    The original process waits for that report and exits with it: 0 once the
    daemon serves, 1 (and the daemon's one-line error) otherwise.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    child = os.fork()
    if child > 0:  # the original process
        os.close(write_fd)
        report = b""
        deadline = time.monotonic() + DAEMON_READY_TIMEOUT
        while time.monotonic() < deadline:
            ready, _unused_w, _unused_x = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(read_fd, 4096)
            if not chunk:
                break
            report += chunk
        os.close(read_fd)
        os.waitpid(child, 0)
        text = report.decode("utf-8", "replace").strip()
        if text == "ok":
            os._exit(0)
        if text.startswith("error:"):
            text = text[len("error:"):]
        _fail(text.strip() or "the daemon did not start")
        sys.stderr.flush()
        os._exit(1)
    os.close(read_fd)
    os.setsid()
    if os.fork() > 0:  # the first child: leave the daemon to init
        os._exit(0)
    os.chdir("/")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
    return write_fd


def _report(fd: int | None, message: str) -> None:
    if fd is None:
        return
    try:
        os.write(fd, message.encode("utf-8"))
        os.close(fd)
    except OSError:
        pass


def write_pid_file(path: str) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(f"{os.getpid()}\n")
    os.replace(tmp, path)


def remove_pid_file(path: str) -> None:
    try:
        with open(path, encoding="ascii") as handle:
            if handle.read().strip() != str(os.getpid()):
                return  # another instance's
        os.unlink(path)
    except OSError:
        pass


def run(args: argparse.Namespace) -> int:
    """Start an instance from a parsed command line; return the exit code."""
    from .app import App  # the server's imports are not needed for the other commands
    if not args.config:
        return _fail("no config file: use --config FILE")
    try:
        config = load_config(args.config, args.webui_listen)
    except ConfigError as exc:
        return _fail(str(exc))
    faults = FaultConfig(
        latency_ms=args.fault_latency_ms,
        drop_rate=args.fault_drop_rate,
        http500_rate=args.fault_http500_rate,
        lose_response_rate=args.fault_lose_response_rate,
        malformed_rate=args.fault_malformed_rate,
        methods=args.fault_methods,
        seed=args.fault_seed,
    )
    try:
        logger = _setup_logging(args, config)
        app = App(config, logger, faults, _open_request_log(args.request_log))
        app.prepare()
    except (StartupError, StateError) as exc:
        return _fail(str(exc))

    ready_fd = None if args.nodaemon else _daemonize()
    if config.pid_file:
        try:
            write_pid_file(config.pid_file)
        except OSError as exc:
            message = f"cannot write pid_file {config.pid_file}: {exc.strerror or exc}"
            logger.error("%s", message)
            _report(ready_fd, f"error: {message}\n")
            return _fail(message)

    def on_signal(signum: int, frame: object) -> None:
        app.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logger.info("%s starting (pid %d)", banner(), os.getpid())
    app.start()
    _report(ready_fd, "ok\n")
    while not app.stop_requested:
        time.sleep(0.02)
    logger.info("stopping")
    app.close()
    if config.pid_file:
        remove_pid_file(config.pid_file)
    logger.info("stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The ``btsync`` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return _fail(f"{exc} (see --help)", 2)
    if args.help:
        print(help_text(), end="")
        return 0
    if args.version:
        print(banner())
        return 0
    if args.dump_sample_config:
        print(SAMPLE_CONFIG, end="")
        return 0
    if args.generate_secret:
        print(generate_secret().text)
        return 0
    if args.get_ro_secret is not None:
        secret = parse_secret(args.get_ro_secret)
        if secret is None:
            return _fail("invalid secret")
        read_only = secret.read_only()
        if read_only is None:
            return _fail("this secret has no read-only secret (encrypted or custom secret)")
        print(read_only.text)
        return 0
    return run(args)
