"""Pack the simulator like the vendor's tarball: ``btsync`` alone in a tar.gz.

    python3 tests/simulator/build_archive.py --version 1.4.111 --out build/btsync_x64.tar.gz

``btsync`` is a zipapp (``#!/usr/bin/env python3``, mode 0755) holding the
``btsync_sim`` package (without the test harness) and a ``__main__.py``; the
version it reports is written into the archive's ``btsync_sim/_version.py``.
The build is reproducible: fixed timestamps (``SOURCE_DATE_EPOCH`` if set),
owners and order, so the same sources and version give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import re
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "btsync_sim"
DEFAULT_VERSION = "1.4.111"
DEFAULT_OUT = "build/btsync_x64.tar.gz"
SHEBANG = b"#!/usr/bin/env python3\n"
EXCLUDED = frozenset({"harness.py"})  # test tooling, not part of the "binary"
DEFAULT_EPOCH = 1420070400  # 2015-01-01, the days of Sync 1.4
VERSION_RE = re.compile(r"\d+(\.\d+){1,3}")
MAIN = (
    '"""The btsync binary of the simulator (a zipapp)."""\n'
    "import sys\n\n"
    "from btsync_sim.cli import main\n\n"
    "sys.exit(main())\n"
)


def _epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else DEFAULT_EPOCH


def _zip_bytes(version: str) -> bytes:
    """The zipapp's zip part: package sources, the baked version, __main__.py."""
    files: dict[str, bytes] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name not in EXCLUDED:
            files[f"btsync_sim/{path.name}"] = path.read_bytes()
    files["btsync_sim/_version.py"] = (
        f'"""The version the simulator reports (baked in by build_archive.py)."""\n\nVERSION = "{version}"\n'
    ).encode("ascii")
    files["__main__.py"] = MAIN.encode("ascii")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def build_zipapp(version: str) -> bytes:
    """The ``btsync`` executable: shebang + zip."""
    return SHEBANG + _zip_bytes(version)


def build_archive(version: str, out: Path) -> Path:
    """Write the tar.gz with ``btsync`` at its root to ``out``; return ``out``."""
    if not VERSION_RE.fullmatch(version):
        raise ValueError(f"version must look like X.Y.Z, got {version!r}")
    binary = build_zipapp(version)
    mtime = _epoch()
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("btsync")
        info.size = len(binary)
        info.mode = 0o755
        info.mtime = mtime
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        tar.addfile(info, io.BytesIO(binary))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, mtime=mtime, compresslevel=9) as gz:
        gz.write(tar_buffer.getvalue())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.{os.getpid()}")
    tmp.write_bytes(gz_buffer.getvalue())
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pack the Sync simulator like the vendor's btsync tarball.")
    parser.add_argument("--version", default=DEFAULT_VERSION, help=f"version the binary reports (default {DEFAULT_VERSION})")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"archive to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        out = build_archive(args.version, Path(args.out))
    except ValueError as exc:
        print(f"build_archive.py: error: {exc}", file=sys.stderr)
        return 2
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"{out}  version {args.version}  sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
