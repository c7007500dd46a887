"""create_csr: new key pairs, the request's contents, and one key per usage."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gateway._crypto import load_private_key
from gateway.certs.inspect import hosts_of, usage_of
from gateway.certs.inventory import load_inventory
from gateway.certs.keys import public_key_sha256
from gateway.certs.requests import create_csr
from gateway.errors import AdminError, ConfigError, ConflictError
from gateway.pki import Usage
from tests.unit.certs.conftest import CLIENT, DE


def test_a_tls_csr_names_the_member_and_its_hosts(tmp_path: Path):
    made = create_csr(DE, "tls", tmp_path / "de-tls", hosts=["gw.example", "10.0.0.1"])
    assert made.csr_path == tmp_path / "de-tls.csr"
    assert made.key_path == tmp_path / "de-tls.key"
    csr = x509.load_pem_x509_csr(made.csr_path.read_bytes())
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == "O=DE,CN=DE/GOV/05974028"
    assert hosts_of(csr.extensions) == ("gw.example", "10.0.0.1")
    assert usage_of(csr.extensions) == "tls"
    key = load_private_key(made.key_path)
    assert public_key_sha256(key.public_key()) == public_key_sha256(csr.public_key())
    assert made.key_type == "ec-p256"
    assert made.to_json()["csr_pem"] == made.csr_path.read_text()


def test_the_new_key_is_0600_and_never_in_the_result(tmp_path: Path):
    made = create_csr(DE, "signing", tmp_path / "de-sign.csr", key_type_name="ed25519")
    assert made.key_path == tmp_path / "de-sign.key"
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600
    key_pem = made.key_path.read_text()
    body = "".join(key_pem.splitlines()[1:-1])
    assert body not in str(made.to_json())
    assert "PRIVATE KEY" not in str(made.to_json())


def test_a_passphrase_encrypts_the_new_key(tmp_path: Path):
    made = create_csr(CLIENT, "client", tmp_path / "client", passphrase=b"pw")
    assert made.key_encrypted
    with pytest.raises(ConfigError):
        load_private_key(made.key_path)
    load_private_key(made.key_path, b"pw")


def test_existing_files_are_never_overwritten(tmp_path: Path):
    (tmp_path / "de-tls.key").write_text("an older key")
    with pytest.raises(ConflictError, match="never overwrites"):
        create_csr(DE, "tls", tmp_path / "de-tls")
    assert (tmp_path / "de-tls.key").read_text() == "an older key"
    assert not (tmp_path / "de-tls.csr").exists()


@pytest.mark.parametrize(("subject", "usage"), [(CLIENT, "tls"), (DE, "client"), ("DE/x", "tls")])
def test_the_subject_must_fit_the_usage(tmp_path: Path, subject: str, usage: str):
    with pytest.raises(AdminError, match="subject check failed"):
        create_csr(subject, usage, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_the_signing_key_cannot_serve_tls(ca, tmp_path: Path):
    """TLS and signing keys are separate key pairs: reusing one for the other is refused."""
    issued = ca.issue(DE, usage=Usage.SIGNING)
    cert_path, key_path = issued.write(tmp_path / "certs" / "de-sign")
    inventory = load_inventory(tmp_path / "certs")
    with pytest.raises(ConflictError, match="needs its own key pair"):
        create_csr(DE, "tls", tmp_path / "de-tls", existing_key=key_path, inventory=inventory)
    assert not (tmp_path / "de-tls.csr").exists()
    renewed = create_csr(
        DE, "signing", tmp_path / "de-sign-2", existing_key=key_path, inventory=inventory
    )
    assert not renewed.key_created
    assert renewed.key_path == key_path
    csr = x509.load_pem_x509_csr(renewed.csr_path.read_bytes())
    assert csr.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == issued.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert cert_path.exists()
