"""rotate and install_next: the staged next pair, with a local CA or an external one."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from gateway._crypto import check_key_pair, load_certificate, load_private_key, now_utc
from gateway.certs.inspect import hosts_of, usage_of
from gateway.certs.rotate import install_next, rotate
from gateway.certs.staging import NEXT, staged
from gateway.errors import AdminError, ConfigError, ConflictError, NotFoundError
from gateway.pki import Usage
from tests.unit.certs.conftest import DE, EE, node_settings, pem


def test_rotate_with_a_local_ca_stages_key_and_certificate(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    staged_result = rotate(settings, "tls", ca=ca, config_path=Path("de.toml"))
    key_path = staged(settings.tls.key, NEXT)
    cert_path = staged(settings.tls.certificate, NEXT)
    assert staged_result.key_path == key_path
    assert staged_result.certificate_path == cert_path
    assert staged_result.csr_path is None
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert, key = load_certificate(cert_path), load_private_key(key_path)
    check_key_pair(cert, key, "next")
    current_key = load_private_key(settings.tls.key)
    with pytest.raises(ConfigError):
        check_key_pair(cert, current_key, "a new key, not the old one")
    assert hosts_of(cert.extensions) == ("gw.example", "127.0.0.1")  # as the current one
    assert staged_result.certificate is not None
    assert staged_result.certificate.role == "tls-next"
    assert any("xgw directory cert add" in step for step in staged_result.next_steps)
    assert any("docs/rotation.md" in step for step in staged_result.next_steps)
    assert not any("install-next" in step for step in staged_result.next_steps)


def test_rotate_without_a_ca_writes_a_csr(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    result = rotate(settings, "signing", key_type_name="ed25519", config_path=Path("de.toml"))
    assert result.csr_path == tmp_path / "certs" / "de-sign.next.csr"
    assert result.certificate_path is None
    assert not staged(settings.signing.certificate, NEXT).exists()
    assert result.csr_path is not None
    csr = x509.load_pem_x509_csr(result.csr_path.read_bytes())
    assert csr.is_signature_valid
    assert usage_of(csr.extensions) == "signing"
    assert result.key_type == "ed25519"
    assert any(
        "xgw certs install-next CERT --config de.toml --usage signing" in step
        for step in result.next_steps
    )


def test_a_staged_rotation_is_not_replaced_without_force(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    first = rotate(settings, "tls", ca=ca)
    key_before = first.key_path.read_bytes()
    with pytest.raises(ConflictError, match="staged already"):
        rotate(settings, "tls")
    assert first.key_path.read_bytes() == key_before
    again = rotate(settings, "tls", force=True)
    assert again.key_path.read_bytes() != key_before
    # the old next certificate belonged to the replaced key: it is gone
    assert not staged(settings.tls.certificate, NEXT).exists()
    assert again.csr_path is not None and again.csr_path.exists()


def test_rotate_only_the_node_pairs(ca, tmp_path: Path):
    with pytest.raises(AdminError, match="tls or signing"):
        rotate(node_settings(tmp_path, ca), "client")


def test_the_configured_passphrase_encrypts_the_next_key(ca, tmp_path: Path):
    passphrase_file = tmp_path / "tls.pass"
    passphrase_file.write_text("tls secret\n")
    settings = node_settings(tmp_path, ca, tls={"passphrase_file": str(passphrase_file)})
    result = rotate(settings, "tls")
    assert result.key_encrypted
    with pytest.raises(ConfigError):
        load_private_key(result.key_path)
    load_private_key(result.key_path, b"tls secret")
    # install_next reads it with the same configured passphrase
    assert result.csr_path is not None
    csr = x509.load_pem_x509_csr(result.csr_path.read_bytes())
    cert = ca.certify(csr.public_key(), DE, usage=Usage.TLS)
    installed = install_next(settings, "tls", pem(cert), anchors=[ca.cert])
    assert installed.certificate_path == staged(settings.tls.certificate, NEXT)


def external_certificate(ca, settings, usage: Usage = Usage.SIGNING, **kwargs) -> bytes:
    csr_path = staged(settings.signing.key, NEXT).with_suffix(".csr")
    csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    return pem(ca.certify(csr.public_key(), kwargs.pop("subject", DE), usage=usage, **kwargs))


def test_install_next_stages_the_external_certificate(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    rotate(settings, "signing")
    installed = install_next(
        settings, "signing", external_certificate(ca, settings), anchors=[ca.cert]
    )
    target = staged(settings.signing.certificate, NEXT)
    assert installed.certificate_path == target
    check_key_pair(
        load_certificate(target), load_private_key(staged(settings.signing.key, NEXT)), "k"
    )
    assert installed.checked_against == ca.cert.subject.rfc4514_string()
    assert installed.certificate.role == "signing-next"
    with pytest.raises(ConflictError, match="--force"):
        install_next(settings, "signing", external_certificate(ca, settings), anchors=[ca.cert])
    install_next(
        settings, "signing", external_certificate(ca, settings), anchors=[ca.cert], force=True
    )


def test_install_next_refusals(ca, other_ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    good = external_certificate  # shorthand
    with pytest.raises(NotFoundError, match="run xgw certs rotate"):
        install_next(settings, "signing", pem(ca.cert), anchors=[ca.cert])
    rotate(settings, "signing")
    stranger = pem(ca.issue(DE, usage=Usage.SIGNING).cert)
    cases = [
        (stranger, "the key check failed"),
        (good(ca, settings, subject=EE), "the subject check failed"),
        (good(other_ca, settings), "the chain check failed"),
        (good(ca, settings, usage=Usage.TLS), "the usage check failed"),
        (
            good(ca, settings, not_before=now_utc() - timedelta(days=40), days=30),
            "the validity check failed",
        ),
    ]
    for certificate, problem in cases:
        with pytest.raises(AdminError, match=problem):
            install_next(settings, "signing", certificate, anchors=[ca.cert])
    assert not staged(settings.signing.certificate, NEXT).exists()


def test_a_next_tls_certificate_needs_both_purposes(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    result = rotate(settings, "tls")
    assert result.csr_path is not None
    csr = x509.load_pem_x509_csr(result.csr_path.read_bytes())
    client_only = ca.certify(csr.public_key(), DE, usage=Usage.CLIENT)
    with pytest.raises(AdminError, match="needs serverAuth and clientAuth"):
        install_next(settings, "tls", pem(client_only), anchors=[ca.cert])
