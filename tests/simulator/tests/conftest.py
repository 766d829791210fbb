"""Fixtures of the simulator's suite: instances, folders, the built archive."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

HERE = Path(__file__).resolve().parent
SIM_ROOT = HERE.parent
for _path in (SIM_ROOT, HERE):  # btsync_sim and build_archive; simtest_util (any import mode)
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import build_archive  # noqa: E402 - needs the path above
from btsync_sim.harness import SimulatorProcess  # noqa: E402
from simtest_util import SimFactory, extract_binary  # noqa: E402


@pytest.fixture
def make_sim(tmp_path: Path) -> Iterator[SimFactory]:
    """Start simulators in ``tmp_path/<name>``; all are stopped at the end."""
    sims: list[SimulatorProcess] = []

    def factory(name: str = "sim", *, start: bool = True, **kwargs: Any) -> SimulatorProcess:
        kwargs.setdefault("device_name", name)
        sim = SimulatorProcess(tmp_path / name, **kwargs)
        sims.append(sim)
        if start:
            sim.start()
        return sim

    yield factory
    for sim in sims:
        sim.stop()


@pytest.fixture
def sim(make_sim: SimFactory) -> SimulatorProcess:
    """One running simulator with auth and the API on."""
    return make_sim("sim")


@pytest.fixture
def make_dir(tmp_path: Path) -> Callable[..., Path]:
    """Create ``tmp_path/data/<name>`` holding ``files`` (relative path -> text)."""

    def factory(name: str, files: dict[str, str] | None = None) -> Path:
        root = tmp_path / "data" / name
        root.mkdir(parents=True)
        for rel, text in (files or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return factory


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball as `make sync-archive` builds it (default version)."""
    out = tmp_path_factory.mktemp("archive") / "btsync_x64.tar.gz"
    return build_archive.build_archive(build_archive.DEFAULT_VERSION, out)


@pytest.fixture(scope="session")
def btsync_binary(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``btsync`` of the archive, extracted as the role would install it."""
    return extract_binary(archive, tmp_path_factory.mktemp("bin"))
