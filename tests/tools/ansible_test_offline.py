"""Let ``ansible-test`` bootstrap pip without Ansible's CI file server.

``ansible-test --venv`` downloads ``get_pip_<ver>.py`` from a server that our
machines (and CI) cannot reach.  It looks for the script in its cache first, so
we put the pip wheel from the package index into that cache and write a small
stand-in script that installs pip from that wheel.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

# ansible-core 2.16 bootstraps pip 23.1.2; 2.17 to 2.19 bootstrap pip 24.2.
PIP_VERSIONS = ("23.1.2", "24.2")
CACHE = pathlib.Path.home() / ".ansible" / "test" / "cache"

SHIM = '''\
"""Stand-in for get-pip.py: installs pip from the wheel cached beside this file."""
import os
import sys

WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "{wheel}")
sys.path.insert(0, WHEEL)

from pip._internal.cli.main import main  # noqa: E402

# get-pip.py-only flags and the pinned pip requirement have no meaning for "pip install WHEEL".
rest = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel") and not a.startswith("pip==")]
sys.exit(main(["install", WHEEL, *rest]))
'''


def install_shim(pip_version: str) -> pathlib.Path:
    """Cache the pip wheel and write the stand-in get-pip script for one pip version."""
    wheel = CACHE / f"pip-{pip_version}-py3-none-any.whl"
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(CACHE), f"pip=={pip_version}"],
            check=True,
        )
    shim = CACHE / f"get_pip_{pip_version.replace('.', '_')}.py"
    shim.write_text(SHIM.format(wheel=wheel.name), encoding="utf-8")
    return shim


def main() -> int:
    CACHE.mkdir(parents=True, exist_ok=True)
    for pip_version in PIP_VERSIONS:
        print(f"ansible-test pip bootstrap ready: {install_shim(pip_version)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
