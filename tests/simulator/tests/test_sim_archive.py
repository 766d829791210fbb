"""The archive: what `make sync-archive` ships, and the binary in it."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import build_archive
import pytest
from btsync_sim.harness import SimulatorProcess
from simtest_util import SIM_ROOT, extract_binary


def test_archive_holds_only_an_executable_btsync(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["btsync"]
        (member,) = members
        assert member.isreg() and stat.S_IMODE(member.mode) == 0o755
        extracted = tar.extractfile(member)
        assert extracted is not None
        data = extracted.read()
    assert data.startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        names = zipped.namelist()
        assert "__main__.py" in names and "btsync_sim/cli.py" in names
        assert "btsync_sim/harness.py" not in names
        assert b'VERSION = "1.4.111"' in zipped.read("btsync_sim/_version.py")


def test_build_is_reproducible(tmp_path: Path) -> None:
    first = build_archive.build_archive("1.4.111", tmp_path / "a" / "btsync_x64.tar.gz")
    second = build_archive.build_archive("1.4.111", tmp_path / "b" / "btsync_x64.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    other = build_archive.build_archive("1.4.112", tmp_path / "c" / "btsync_x64.tar.gz")
    assert other.read_bytes() != first.read_bytes()


def test_command_line_of_the_builder(tmp_path: Path) -> None:
    script = SIM_ROOT / "build_archive.py"
    out = tmp_path / "deep" / "dir" / "btsync_x64.tar.gz"
    result = subprocess.run([sys.executable, str(script), "--version", "2.0.93", "--out", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert out.is_file() and "sha256" in result.stdout
    bad = subprocess.run([sys.executable, str(script), "--version", "latest", "--out", str(out)],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "X.Y.Z" in bad.stderr


def test_binary_help_and_version(btsync_binary: Path) -> None:
    result = subprocess.run([str(btsync_binary), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "BitTorrent Sync 1.4.111 (simulator)"
    version = subprocess.run([str(btsync_binary), "--version"], capture_output=True, text=True, check=False)
    assert version.stdout == "BitTorrent Sync 1.4.111 (simulator)\n"


def test_version_is_baked_in_at_build_time(tmp_path: Path) -> None:
    built = build_archive.build_archive("2.0.93", tmp_path / "btsync_x64.tar.gz")
    binary = extract_binary(built, tmp_path / "bin")
    result = subprocess.run([str(binary), "--help"], capture_output=True, text=True, check=False)
    assert result.stdout.splitlines()[0] == "BitTorrent Sync 2.0.93 (simulator)"
    with SimulatorProcess(tmp_path / "run", binary=binary) as sim:
        assert sim.api("get_version") == {"version": "2.0.93"}


@pytest.mark.parametrize("version", ["1.4", "1.4.111.2", "10.20.30"])
def test_version_formats(tmp_path: Path, version: str) -> None:
    built = build_archive.build_archive(version, tmp_path / "btsync_x64.tar.gz")
    binary = extract_binary(built, tmp_path / "bin")
    result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == f"BitTorrent Sync {version} (simulator)"
