"""Folder secrets: format, validation and the simulator's own derivation.

Format (as the vendor's): one type letter, then base32 (``A-Z2-7``) text.

* ``A`` read-write, ``B`` read-only (derived from A), ``D`` read-write that
  can feed encrypted peers, ``F`` encrypted peer (derived from E), ``R``
  legacy read-only: letter + 32 characters (20 bytes).
* ``E`` read-only that can decrypt (derived from D): letter + 52 characters
  (32 bytes), so longer than the others.
* Custom secrets: at least 40 base64 characters; read-write.
* ``C`` (one-time) secrets cannot name a folder: they are rejected.

The vendor does not publish how B, E and F are derived. The simulator uses its
own one-way derivation (SHA-256 over a domain tag and the parent key, see
:func:`_derive`): deterministic, so every instance derives the same secrets,
and never reversible. Real secrets and simulator secrets are not
interchangeable.

A *share* is the family of secrets that name one folder (A and its B; D, its E
and F). Its id, :attr:`Secret.share_id`, is a one-way function of the most
derived member of the family, so every member computes the same id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass

READ_WRITE = "read_write"
READ_ONLY = "read_only"
ENCRYPTED = "encrypted"

STANDARD_LENGTH = 33
E_LENGTH = 53
CUSTOM_MIN_LENGTH = 40
CUSTOM_MAX_LENGTH = 1024

_BASE32 = re.compile(r"[A-Z2-7]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_STANDARD_LETTERS = "ABDFR"
_CUSTOM = ""


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 8)
    return base64.b32decode(padded)


def _derive(tag: str, key: bytes, size: int) -> bytes:
    """The simulator's one-way derivation: SHA-256 over a tag and a key."""
    return hashlib.sha256(b"btsync-sim/" + tag.encode("ascii") + b"/" + key).digest()[:size]


@dataclass(frozen=True)
class Secret:
    """A valid secret. Build one with :func:`parse_secret` or :func:`generate_secret`."""

    text: str
    letter: str  # "A", "B", "D", "E", "F", "R", or "" for a custom secret

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        # Never print a secret in a traceback or a log line.
        return f"Secret(letter={self.letter or 'custom'!r})"

    @property
    def key(self) -> bytes:
        """The bytes behind a standard secret (the text of a custom one)."""
        if self.letter == _CUSTOM:
            return self.text.encode("ascii")
        return _unb32(self.text[1:])

    @property
    def folder_type(self) -> str:
        """What a folder added with this secret is: read_write, read_only or encrypted."""
        if self.letter in ("A", "D", _CUSTOM):
            return READ_WRITE
        if self.letter == "F":
            return ENCRYPTED
        return READ_ONLY

    def read_only(self) -> Secret | None:
        """The read-only secret this one yields: A -> B, D -> E (B, E, R: itself)."""
        if self.letter == "A":
            return Secret("B" + _b32(_derive("A>B", self.key, 20)), "B")
        if self.letter == "D":
            return Secret("E" + _b32(_derive("D>E", self.key, 32)), "E")
        if self.letter in ("B", "E", "R"):
            return self
        return None

    def encryption(self) -> Secret | None:
        """The encrypted-peer secret this one yields: D -> F, E -> F (F: itself)."""
        if self.letter in ("D", "E"):
            read_only = self.read_only()
            assert read_only is not None
            return Secret("F" + _b32(_derive("E>F", read_only.key, 20)), "F")
        if self.letter == "F":
            return self
        return None

    def shareable(self) -> dict[str, str]:
        """What get_secrets answers for this secret: only what it can share."""
        result: dict[str, str] = {}
        if self.folder_type == READ_WRITE:
            result["read_write"] = self.text
        read_only = self.read_only()
        if read_only is not None:
            result["read_only"] = read_only.text
        encryption = self.encryption()
        if encryption is not None:
            result["encryption"] = encryption.text
        return result

    @property
    def most_derived(self) -> Secret:
        """The last member of the family: B for A/B, F for D/E/F, itself otherwise."""
        return self.encryption() or self.read_only() or self

    @property
    def share_id(self) -> str:
        """The id of the share (one-way; the same for every member of the family)."""
        return _derive("share", self.most_derived.text.encode("ascii"), 20).hex()


def parse_secret(text: str) -> Secret | None:
    """A :class:`Secret`, or ``None`` when ``text`` is not a valid folder secret."""
    if not text.isascii():
        return None
    length = len(text)
    if length == STANDARD_LENGTH and text[0] in _STANDARD_LETTERS and _BASE32.fullmatch(text, 1):
        return Secret(text, text[0])
    if length == E_LENGTH and text[0] == "E" and _BASE32.fullmatch(text, 1):
        try:
            _unb32(text[1:])
        except (binascii.Error, ValueError):
            return None
        return Secret(text, "E")
    if CUSTOM_MIN_LENGTH <= length <= CUSTOM_MAX_LENGTH and _BASE64.fullmatch(text):
        return Secret(text, _CUSTOM)
    return None


def generate_secret(encryption: bool = False) -> Secret:
    """A new random read-write secret: A, or D when ``encryption`` is true."""
    letter = "D" if encryption else "A"
    return Secret(letter + _b32(os.urandom(20)), letter)
