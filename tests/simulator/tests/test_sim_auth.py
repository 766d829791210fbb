"""HTTP Basic auth, the api_key switch, paths, and HTTPS."""

from __future__ import annotations

import base64
import datetime
import socket
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest
from btsync_sim.harness import SimulatorProcess
from simtest_util import SimFactory


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_auth_required_when_login_and_password_are_set(sim: SimulatorProcess) -> None:
    for target in ("/api?method=get_version", "/gui/", "/", "/nothing"):
        response = sim.request(target, auth=False)
        assert response.status == 401, target
        assert response.headers["www-authenticate"].startswith("Basic realm=")
    for headers in (basic("admin", "wrong"), basic("wrong", "password"), basic("admin", ""),
                    {"Authorization": "Basic !!!notbase64"}, {"Authorization": "Bearer token"},
                    {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}):
        assert sim.request("/api?method=get_version", auth=False, headers=headers).status == 401, headers
    ok = sim.request("/api?method=get_version", auth=False, headers=basic("admin", "password"))
    assert ok.status == 200 and ok.json() == {"version": "1.4.111"}


def test_no_auth_when_no_login_is_set(make_sim: SimFactory) -> None:
    sim = make_sim("open", login=None, password=None)
    assert sim.request("/api?method=get_version", auth=False).status == 200
    assert sim.request("/api?method=get_version", auth=False, headers=basic("any", "thing")).status == 200


def test_api_key_switches_the_api_on(make_sim: SimFactory) -> None:
    off = make_sim("off", api_key=None)
    response = off.request("/api?method=get_version")
    assert response.status == 400
    assert response.content_type == "text/plain"
    assert response.body == b"invalid request"
    assert off.request("/api?method=get_version", auth=False).status == 401  # auth comes first
    empty = make_sim("empty", api_key="")
    assert empty.request("/api?method=get_version").status == 400
    on = make_sim("on", api_key="anything")
    assert on.request("/api?method=get_version").status == 200


def test_other_paths(sim: SimulatorProcess) -> None:
    assert sim.request("/").status == 200
    assert sim.request("/gui/").content_type == "text/html"
    assert sim.request("/api/?method=get_os").json() == {"os": "linux"}
    assert sim.request("/favicon.ico").status == 404


def test_empty_password_needs_allow_empty_password(make_sim: SimFactory) -> None:
    sim = make_sim("empty", password=None, config_overrides={"webui": {"allow_empty_password": True}})
    assert sim.request("/api?method=get_version", auth=False).status == 401
    assert sim.request("/api?method=get_version", auth=False, headers=basic("admin", "")).status == 200


def test_password_hash(make_sim: SimFactory) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    hashed = crypt.crypt("hashed-pw", crypt.mksalt(crypt.METHOD_SHA512))
    sim = make_sim("hash", password=None, config_overrides={"webui": {"password_hash": hashed}})
    assert sim.request("/api?method=get_version", auth=False, headers=basic("admin", "hashed-pw")).status == 200
    assert sim.request("/api?method=get_version", auth=False, headers=basic("admin", hashed)).status == 401


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_force_https(make_sim: SimFactory, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    sim = make_sim("tls", config_overrides={"webui": {
        "force_https": True, "ssl_certificate": str(cert), "ssl_private_key": str(key)}})
    assert sim.url.startswith("https://")
    assert sim.api("get_version") == {"version": "1.4.111"}
    with pytest.raises(urllib.error.URLError):  # certificate checks on: self-signed is refused
        urllib.request.urlopen(sim.url + "/api?method=get_version", timeout=5)
    with socket.create_connection(("127.0.0.1", sim.api_port), timeout=5) as plain:  # plain HTTP gets no answer
        plain.sendall(b"GET /api?method=get_version HTTP/1.0\r\n\r\n")
        plain.settimeout(5)
        try:
            data = plain.recv(100)
        except OSError:
            data = b""
    assert not data.startswith(b"HTTP/")
    assert sim.api("get_os") == {"os": "linux"}  # still serving after the bad client
