"""A stand-in for the BitTorrent Sync 1.4 binary and its HTTP API.

Python 3 standard library only. Run it as ``python3 -m btsync_sim --config
FILE`` (with ``tests/simulator`` on ``PYTHONPATH``) or as the ``btsync``
zipapp that ``build_archive.py`` packs; see ``docs/simulator.md``.
"""

from ._version import VERSION

PRODUCT = "BitTorrent Sync"

__all__ = ["PRODUCT", "VERSION", "banner"]


def banner() -> str:
    """The first line of ``--help``: product, version and what this is."""
    return f"{PRODUCT} {VERSION} (simulator)"
