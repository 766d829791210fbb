"""The vendor's command-line flags (other than running an instance)."""

from __future__ import annotations

from btsync_sim.harness import SimulatorProcess
from simtest_util import E_RE, STANDARD_RE, random_secret, run_source


def test_help_names_product_and_version() -> None:
    result = run_source("--help")
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "BitTorrent Sync 1.4.111 (simulator)"
    for flag in ("--config", "--nodaemon", "--dump-sample-config", "--generate-secret", "--get-ro-secret",
                 "--webui.listen", "--log", "--help", "--fault-latency-ms", "--request-log"):
        assert flag in result.stdout, flag
    assert run_source("-h").stdout == result.stdout


def test_version_flag() -> None:
    result = run_source("--version")
    assert (result.returncode, result.stdout) == (0, "BitTorrent Sync 1.4.111 (simulator)\n")


def test_generate_secret() -> None:
    first = run_source("--generate-secret")
    second = run_source("--generate-secret")
    assert first.returncode == 0 and second.returncode == 0
    for out in (first.stdout, second.stdout):
        assert STANDARD_RE.fullmatch(out.strip()) and out.startswith("A")
    assert first.stdout != second.stdout


def test_get_ro_secret_matches_the_api(sim: SimulatorProcess) -> None:
    rw = random_secret("A")
    result = run_source("--get-ro-secret", rw)
    assert result.returncode == 0
    assert result.stdout.strip() == sim.api("get_secrets", secret=rw)["read_only"]
    d = random_secret("D")
    e = run_source("--get-ro-secret", d).stdout.strip()
    assert E_RE.fullmatch(e) and e == sim.api("get_secrets", secret=d)["read_only"]
    assert run_source("--get-ro-secret", e).stdout.strip() == e  # a read-only secret is its own


def test_get_ro_secret_errors() -> None:
    for secret in ("garbage", random_secret("F")):
        result = run_source("--get-ro-secret", secret)
        assert result.returncode == 1 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("btsync: error: ")


def test_bad_flags_are_one_line() -> None:
    for args in (["--bogus"], ["--fault-drop-rate", "2"], ["--fault-latency-ms", "-1"], ["--config"], ["--conf", "x"]):
        result = run_source(*args)
        assert result.returncode == 2, args
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, (args, result.stderr)
        assert result.stderr.startswith("btsync: error: ")
