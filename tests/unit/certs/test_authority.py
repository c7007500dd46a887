"""init-ca, loading a CA and issuing for a CSR: files, passphrases and every refusal."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway._crypto import generate_key
from gateway.certs.authority import init_ca, issue_certificate, load_ca
from gateway.certs.keys import csr_to_pem
from gateway.errors import AdminError, ConfigError, ConflictError, NotFoundError
from gateway.pki import Usage, certificate_request
from tests.unit.certs.conftest import CLIENT, DE


def csr_pem(usage: Usage = Usage.TLS, subject: str = DE, **kwargs) -> bytes:
    key = kwargs.pop("key", None) or generate_key()
    return csr_to_pem(certificate_request(key, subject, usage=usage, **kwargs)).encode()


def test_init_ca_writes_a_ca_with_a_0600_key(tmp_path: Path):
    made = init_ca(tmp_path / "ca", name="Musterstadt dev CA")
    assert made.certificate_path == tmp_path / "ca" / "ca.pem"
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600
    assert made.certificate.usage == "ca"
    assert made.certificate.common_name == "Musterstadt dev CA"
    assert not made.key_encrypted
    ca = load_ca(tmp_path / "ca")
    assert ca.cert.subject.rfc4514_string() == made.certificate.subject


def test_init_ca_never_replaces_an_existing_ca_key(tmp_path: Path):
    init_ca(tmp_path / "ca")
    key_before = (tmp_path / "ca" / "ca.key").read_bytes()
    with pytest.raises(ConflictError, match=r"ca\.key exists already"):
        init_ca(tmp_path / "ca")
    assert (tmp_path / "ca" / "ca.key").read_bytes() == key_before


def test_init_ca_refuses_an_unknown_key_type_before_writing(tmp_path: Path):
    with pytest.raises(AdminError, match="unknown key type"):
        init_ca(tmp_path / "ca", key_type_name="dsa")
    assert not (tmp_path / "ca").exists()


def test_an_encrypted_ca_key_needs_its_passphrase(tmp_path: Path):
    made = init_ca(tmp_path / "ca", passphrase=b"correct horse")
    assert made.key_encrypted
    assert b"ENCRYPTED PRIVATE KEY" in made.key_path.read_bytes()
    with pytest.raises(ConfigError, match=r"ca\.key"):
        load_ca(tmp_path / "ca")
    with pytest.raises(ConfigError, match=r"ca\.key"):
        load_ca(tmp_path / "ca", b"wrong")
    assert load_ca(tmp_path / "ca", b"correct horse").cert.subject.rfc4514_string() == (
        made.certificate.subject
    )


def test_an_ed25519_ca_issues(tmp_path: Path):
    init_ca(tmp_path / "ca", key_type_name="ed25519")
    ca = load_ca(tmp_path / "ca")
    issued = issue_certificate(ca, csr_pem(Usage.SIGNING))
    issued.certificate.verify_directly_issued_by(ca.cert)
    assert issued.info.usage == "signing"


def test_load_ca_without_a_ca_is_not_found(tmp_path: Path):
    with pytest.raises(NotFoundError, match="init-ca"):
        load_ca(tmp_path)


def test_issue_for_a_csr_carries_the_extensions_pki_gives_the_usage(ca, tmp_path: Path):
    out = tmp_path / "de-tls.pem"
    issued = issue_certificate(ca, csr_pem(hosts=["gw.example"]), out=out)
    reference = ca.issue(DE, usage=Usage.TLS, hosts=["gw.example"]).cert
    ours = {e.oid: e for e in issued.certificate.extensions}
    theirs = {e.oid: e for e in reference.extensions}
    assert ours.keys() == theirs.keys()
    for oid in (x509.oid.ExtensionOID.KEY_USAGE, x509.oid.ExtensionOID.EXTENDED_KEY_USAGE):
        assert ours[oid] == theirs[oid]
    assert issued.info.hosts == ("gw.example",)
    assert issued.certificate.subject == reference.subject
    assert out.read_text() == issued.pem
    assert issued.to_json()["path"] == str(out)


def test_issue_with_an_rsa_3072_key(ca):
    key = generate_key("rsa-3072")
    issued = issue_certificate(ca, csr_pem(Usage.CLIENT, CLIENT, key=key), days=30)
    assert issued.info.key_type == "rsa-3072"
    assert issued.info.usage == "client"


def test_a_csr_with_a_bad_signature_is_refused(ca):
    csr = csr_pem()
    der = x509.load_pem_x509_csr(csr).public_bytes(serialization.Encoding.DER)
    tampered = der.replace(b"05974028", b"05974029")  # the subject changed after signing
    assert tampered != der
    bad = x509.load_der_x509_csr(tampered).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(AdminError, match="signature check failed"):
        issue_certificate(ca, bad)


def test_a_csr_with_an_rsa_1024_key_is_refused(ca):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, DE)]))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(AdminError, match="key type check failed: rsa-1024"):
        issue_certificate(ca, request.public_bytes(serialization.Encoding.PEM), usage="tls")


def test_the_usage_must_agree_with_the_csr(ca):
    with pytest.raises(AdminError, match="asks for a tls certificate, not a signing"):
        issue_certificate(ca, csr_pem(Usage.TLS), usage="signing")


def test_a_csr_without_extensions_needs_a_usage(ca):
    key = generate_key()
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, DE)]))
        .sign(key, hashes.SHA256())
    )
    pem = request.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(AdminError, match="does not say its usage"):
        issue_certificate(ca, pem)
    assert issue_certificate(ca, pem, usage="signing").info.usage == "signing"


@pytest.mark.parametrize(
    ("usage", "subject"), [(Usage.CLIENT, DE), (Usage.TLS, CLIENT), (Usage.SIGNING, "not an id")]
)
def test_the_subject_must_fit_the_usage(ca, usage, subject):
    with pytest.raises(AdminError, match="subject check failed"):
        issue_certificate(ca, csr_pem(usage, subject))


def test_issue_never_overwrites_and_needs_positive_days(ca, tmp_path: Path):
    out = tmp_path / "taken.pem"
    out.write_text("mine")
    with pytest.raises(ConflictError, match="never overwrites"):
        issue_certificate(ca, csr_pem(), out=out)
    assert out.read_text() == "mine"
    with pytest.raises(AdminError, match="days"):
        issue_certificate(ca, csr_pem(), days=0)


def test_garbage_is_no_csr(ca):
    with pytest.raises(AdminError, match="not a PEM certificate signing request"):
        issue_certificate(ca, b"hello", source="x.csr")


@pytest.mark.parametrize("days", [3651, 10**9])
def test_issue_gives_ten_years_at_most(ca, days: int):
    with pytest.raises(AdminError, match="from 1 to 3650"):
        issue_certificate(ca, csr_pem(), days=days)
    assert issue_certificate(ca, csr_pem(), days=3650).info.days_left >= 3649


def test_init_ca_refuses_a_validity_it_cannot_write(tmp_path: Path):
    with pytest.raises(AdminError, match="from 1 to 10950"):
        init_ca(tmp_path / "ca", days=10**9)
    assert not (tmp_path / "ca").exists()


def test_issue_never_writes_through_a_link(ca, tmp_path: Path):
    out, elsewhere = tmp_path / "de-tls.pem", tmp_path / "elsewhere.pem"
    out.symlink_to(elsewhere)  # dangling: exists() says no
    with pytest.raises(ConflictError, match="never overwrites"):
        issue_certificate(ca, csr_pem(), out=out)
    assert not elsewhere.exists()
