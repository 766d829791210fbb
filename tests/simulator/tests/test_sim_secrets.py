"""Secrets: format, the simulator's own one-way derivation, share ids, and get_secrets."""

from __future__ import annotations

import base64
import hashlib

import pytest
from btsync_sim.harness import SimulatorProcess
from btsync_sim.sharesecret import generate_secret, parse_secret
from simtest_util import E_RE, INVALID_SECRET, STANDARD_RE, random_secret


def test_generated_secrets_have_the_vendor_format() -> None:
    for encryption, letter in ((False, "A"), (True, "D")):
        secret = generate_secret(encryption).text
        assert STANDARD_RE.fullmatch(secret) and secret[0] == letter
    assert generate_secret().text != generate_secret().text


def test_derivation_is_the_documented_one_way_hash() -> None:
    a = parse_secret(random_secret("A"))
    assert a is not None
    key = base64.b32decode(a.text[1:])
    expected = "B" + base64.b32encode(hashlib.sha256(b"btsync-sim/A>B/" + key).digest()[:20]).decode()
    b = a.read_only()
    assert b is not None and b.text == expected
    assert STANDARD_RE.fullmatch(b.text)
    assert a.read_only() == b  # deterministic
    assert a.text[1:] not in b.text and b.key != key


def test_encryption_family_formats_and_derivation() -> None:
    d = generate_secret(encryption=True)
    e = d.read_only()
    f = d.encryption()
    assert e is not None and f is not None
    assert E_RE.fullmatch(e.text) and len(e.text) == 53 > 33
    assert STANDARD_RE.fullmatch(f.text) and f.letter == "F"
    assert e.encryption() == f  # E -> F gives the F that D gives
    parsed_e = parse_secret(e.text)
    assert parsed_e is not None and parsed_e.letter == "E"


def test_share_id_is_common_to_a_family_and_differs_between_families() -> None:
    a = generate_secret()
    d = generate_secret(encryption=True)
    b, e, f = a.read_only(), d.read_only(), d.encryption()
    assert b is not None and e is not None and f is not None
    assert a.share_id == b.share_id
    assert d.share_id == e.share_id == f.share_id
    assert a.share_id != d.share_id != generate_secret().share_id
    assert a.text not in a.share_id and b.text not in a.share_id


@pytest.mark.parametrize(
    ("letter", "folder_type", "keys"),
    [
        ("A", "read_write", {"read_write", "read_only"}),
        ("B", "read_only", {"read_only"}),
        ("D", "read_write", {"read_write", "read_only", "encryption"}),
        ("F", "encrypted", {"encryption"}),
        ("R", "read_only", {"read_only"}),
    ],
)
def test_each_letter(letter: str, folder_type: str, keys: set[str]) -> None:
    secret = parse_secret(random_secret(letter))
    assert secret is not None
    assert secret.folder_type == folder_type
    assert set(secret.shareable()) == keys


@pytest.mark.parametrize(
    "text",
    [
        "",
        "A",
        "A" + "B" * 31,  # 32 characters
        "C" + "B" * 32,  # one-time secrets name no folder
        "Z" + "B" * 32,  # unknown type letter
        "a" + "b" * 32,  # lower case
        "A" + "B" * 31 + "1",  # 1 is not base32
        "A" + "B" * 31 + "8",
        "A" + "B" * 35,  # 36 characters: neither standard nor custom
        "E" + "B" * 34,  # an E secret of the wrong length (35: not custom either)
        "x" * 39,
        "!" * 45,
        "A" + "B" * 31 + "é",
        "A" * 2000,
    ],
)
def test_invalid_secrets_are_rejected(text: str) -> None:
    assert parse_secret(text) is None


def test_custom_secrets_are_read_write() -> None:
    custom = parse_secret(base64.b64encode(b"x" * 40).decode())
    assert custom is not None
    assert custom.folder_type == "read_write"
    assert custom.shareable() == {"read_write": custom.text}


# -- through the API --------------------------------------------------------------


def test_get_secrets_without_secret(sim: SimulatorProcess) -> None:
    plain = sim.api("get_secrets")
    assert set(plain) == {"read_write", "read_only"}
    assert plain["read_write"][0] == "A" and plain["read_only"][0] == "B"
    encryption = sim.api("get_secrets", type="encryption")
    assert set(encryption) == {"read_write", "read_only", "encryption"}
    assert encryption["read_write"][0] == "D"
    assert E_RE.fullmatch(encryption["read_only"])
    assert encryption["encryption"][0] == "F"
    assert sim.api("get_secrets")["read_write"] != plain["read_write"]


def test_get_secrets_with_each_kind_of_secret(sim: SimulatorProcess) -> None:
    family = sim.api("get_secrets", type="encryption")
    d, e, f = family["read_write"], family["read_only"], family["encryption"]
    assert sim.api("get_secrets", secret=d) == family
    assert sim.api("get_secrets", secret=e) == {"read_only": e, "encryption": f}
    assert sim.api("get_secrets", secret=f) == {"encryption": f}
    plain = sim.api("get_secrets")
    a, b = plain["read_write"], plain["read_only"]
    assert sim.api("get_secrets", secret=a) == plain
    ro = sim.api("get_secrets", secret=b)
    assert ro == {"read_only": b}  # a read-only secret yields no read-write one
    # type is ignored when a secret is given
    assert sim.api("get_secrets", secret=a, type="encryption") == plain


def test_get_secrets_invalid(sim: SimulatorProcess) -> None:
    for bad in ("nope", "A" * 10, "Z" + "A" * 32, "A" + "B" * 31 + "1", "C" + "A" * 32):
        assert sim.api("get_secrets", secret=bad) == INVALID_SECRET, bad
