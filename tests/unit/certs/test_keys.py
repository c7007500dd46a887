"""Key types xgw makes and accepts, and passphrase files."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway._crypto import generate_key, read_passphrase
from gateway.certs.keys import (
    check_key_type,
    key_type,
    new_key,
    public_key_sha256,
)
from gateway.errors import AdminError, ConfigError
from gateway.pki import Usage


@pytest.mark.parametrize("kind", ["ec-p256", "rsa-3072", "ed25519"])
def test_new_key_types_are_made_and_accepted(kind: str):
    key = new_key(kind)
    assert key_type(key.public_key()) == kind
    assert check_key_type(key.public_key(), "it") is not None


def test_unknown_new_key_type_is_refused():
    with pytest.raises(AdminError, match="unknown key type 'rsa-1024'"):
        new_key("rsa-1024")


def test_rsa_1024_is_refused_naming_the_check():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(AdminError, match="key type check failed: rsa-1024"):
        check_key_type(key.public_key(), "partner cert")


def test_rsa_2048_and_p384_are_accepted_p521_is_not():
    check_key_type(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(), "x")
    check_key_type(ec.generate_private_key(ec.SECP384R1()).public_key(), "x")
    with pytest.raises(AdminError, match="ec-p521"):
        check_key_type(ec.generate_private_key(ec.SECP521R1()).public_key(), "x")


def test_public_key_sha256_is_the_same_for_key_and_its_certificate(ca):
    key = generate_key()
    cert = ca.certify(key.public_key(), "DE/GOV/05974028", usage=Usage.TLS)
    assert public_key_sha256(key.public_key()) == public_key_sha256(cert.public_key())
    assert public_key_sha256(key.public_key()) != public_key_sha256(generate_key().public_key())


def test_passphrase_file_loses_its_line_end_only(tmp_path: Path):
    path = tmp_path / "pass"
    path.write_bytes(b"  s3cret \r\n")
    assert read_passphrase(path, key_name="--passphrase-file") == b"  s3cret "


def test_empty_or_missing_passphrase_file_is_a_config_error(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"\n")
    with pytest.raises(ConfigError, match="is empty"):
        read_passphrase(empty, key_name="--passphrase-file")
    with pytest.raises(ConfigError, match="does not exist") as caught:
        read_passphrase(tmp_path / "none", key_name="--ca-passphrase-file")
    assert caught.value.key == "--ca-passphrase-file"
