"""import_certificate: the checks before a certificate is kept, each refusal naming its check."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway._crypto import generate_key, now_utc
from gateway.certs.inventory import import_certificate, reserved_paths
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.errors import AdminError, ConflictError
from gateway.pki import CertificateAuthority, Usage
from tests.unit.certs.conftest import DE, EE, node_settings, pem

KEY_USAGE_BITS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def keep(cert_pem: bytes, tmp_path: Path, usage: str = "tls", anchors=None, **kwargs):
    return import_certificate(
        cert_pem, usage=usage, directory=tmp_path / "certs", anchors=anchors, **kwargs
    )


def test_a_partner_tls_certificate_is_kept_under_a_readable_name(ca, tmp_path: Path):
    cert = ca.issue(EE, usage=Usage.TLS, hosts=["ee.example"]).cert
    imported = keep(pem(cert), tmp_path, anchors=[ca.cert])
    assert imported.path == tmp_path / "certs" / "EE-GOV-70000310-tls.pem"
    assert imported.path.read_bytes() == pem(cert)
    assert imported.certificate.usage == "tls"
    assert imported.checked_against == ca.cert.subject.rfc4514_string()


def test_a_second_certificate_of_the_same_name_never_overwrites(ca, tmp_path: Path):
    first = keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path, anchors=[ca.cert])
    second = keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path, anchors=[ca.cert])
    assert second.path == tmp_path / "certs" / "EE-GOV-70000310-tls-2.pem"
    assert first.path.read_bytes() != second.path.read_bytes()


def test_the_same_certificate_twice_is_a_conflict(ca, tmp_path: Path):
    cert_pem = pem(ca.issue(EE, usage=Usage.SIGNING).cert)
    first = keep(cert_pem, tmp_path, usage="signing", anchors=[ca.cert])
    with pytest.raises(ConflictError, match=f"already in the inventory as {first.path}"):
        keep(cert_pem, tmp_path, usage="signing", anchors=[ca.cert])


def test_an_explicit_name_that_exists_is_a_conflict(ca, tmp_path: Path):
    keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path, anchors=[ca.cert], name="ee")
    with pytest.raises(ConflictError, match="exists already"):
        keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path, anchors=[ca.cert], name="ee")
    with pytest.raises(AdminError, match="file name"):
        keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path, anchors=[ca.cert], name="../x")


def test_wrong_chain_is_refused(ca, other_ca, tmp_path: Path):
    cert = other_ca.issue(EE, usage=Usage.TLS).cert
    with pytest.raises(AdminError, match="the chain check failed: not signed by any"):
        keep(pem(cert), tmp_path, anchors=[ca.cert])
    assert not (tmp_path / "certs").exists()


def test_no_ca_to_check_against_is_refused(ca, tmp_path: Path):
    with pytest.raises(AdminError, match="chain check failed: no CA certificate"):
        keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path)


def test_the_inventory_cas_are_the_default_anchors(ca, other_ca, tmp_path: Path):
    keep(pem(ca.cert), tmp_path, usage="ca")
    keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path)  # chains to the kept CA
    with pytest.raises(AdminError, match="chain check failed"):
        keep(pem(other_ca.issue(EE, usage=Usage.TLS).cert), tmp_path)


def test_an_issuer_that_expired_breaks_the_chain(tmp_path: Path):
    now = now_utc()
    old_ca = CertificateAuthority.create("old CA", not_before=now - timedelta(days=20), days=10)
    cert = old_ca.issue(EE, usage=Usage.TLS, not_before=now - timedelta(days=1)).cert
    with pytest.raises(AdminError, match=r"chain check failed: its issuer .* is not valid now"):
        keep(pem(cert), tmp_path, anchors=[old_ca.cert])


def test_an_end_entity_is_no_issuer(ca, tmp_path: Path):
    # a "CA" that is a plain signing certificate: its key signed the partner's certificate
    fake = ca.issue("fake CA", usage=Usage.SIGNING)
    impostor = CertificateAuthority(fake.key, fake.cert)
    cert = impostor.issue(EE, usage=Usage.TLS).cert
    with pytest.raises(AdminError, match=r"its issuer .* is not a CA"):
        keep(pem(cert), tmp_path, anchors=[fake.cert])


def test_expired_is_refused(ca, tmp_path: Path):
    now = now_utc()
    cert = ca.issue(EE, usage=Usage.TLS, not_before=now - timedelta(days=400), days=365).cert
    with pytest.raises(AdminError, match="the validity check failed: expired"):
        keep(pem(cert), tmp_path, anchors=[ca.cert])


def test_not_yet_valid_is_refused(ca, tmp_path: Path):
    cert = ca.issue(EE, usage=Usage.TLS, not_before=now_utc() + timedelta(days=1)).cert
    with pytest.raises(AdminError, match="the validity check failed: not valid before"):
        keep(pem(cert), tmp_path, anchors=[ca.cert])


def test_a_ca_certificate_as_an_end_entity_is_refused(ca, other_ca, tmp_path: Path):
    with pytest.raises(AdminError, match="the ca check failed: it is a CA certificate"):
        keep(pem(other_ca.cert), tmp_path, usage="tls", anchors=[other_ca.cert])


def test_an_end_entity_as_a_ca_is_refused(ca, tmp_path: Path):
    with pytest.raises(AdminError, match="the ca check failed: it is no CA"):
        keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path, usage="ca", anchors=[ca.cert])


def test_a_self_signed_ca_is_kept(other_ca, tmp_path: Path):
    imported = keep(pem(other_ca.cert), tmp_path, usage="ca")
    assert imported.path.name == "another-CA-ca.pem"
    assert imported.certificate.is_ca


@pytest.mark.parametrize(
    ("subject", "issued_as", "declared", "problem"),
    [
        (EE, Usage.SIGNING, "tls", "a tls certificate needs serverAuth or clientAuth"),
        (EE, Usage.TLS, "client", None),  # tls has clientAuth: a client may use it
        (EE, Usage.SIGNING, "client", "a client certificate needs clientAuth"),
        (EE, Usage.TLS, "signing", "a signing certificate is no TLS certificate"),
    ],
)
def test_key_usage_must_fit_the_declared_usage(
    ca, tmp_path: Path, subject, issued_as, declared, problem
):
    cert = ca.issue(subject, usage=issued_as).cert
    if problem is None:
        keep(pem(cert), tmp_path, usage=declared, anchors=[ca.cert])
        return
    with pytest.raises(AdminError, match=f"the usage check failed: {problem}"):
        keep(pem(cert), tmp_path, usage=declared, anchors=[ca.cert])


def built(ca, key_usage: dict[str, bool], purposes=None, is_ca: bool = False) -> bytes:
    """A certificate with exactly these extensions, as another CA might issue it."""
    bits = dict.fromkeys(KEY_USAGE_BITS, False) | key_usage
    key = generate_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, EE)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now_utc() - timedelta(minutes=1))
        .not_valid_after(now_utc() + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**bits), critical=True)
    )
    if purposes is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
    return pem(builder.sign(ca.key, hashes.SHA256()))


@pytest.mark.parametrize(
    ("bits", "purposes", "declared", "problem"),
    [
        (
            {"key_encipherment": True},
            [ExtendedKeyUsageOID.SERVER_AUTH],
            "tls",
            "needs digitalSignature",
        ),
        (
            {"digital_signature": True},
            [ExtendedKeyUsageOID.CODE_SIGNING],
            "tls",
            "serverAuth or clientAuth",
        ),
        ({"digital_signature": True}, None, "tls", "serverAuth or clientAuth"),
        ({"key_encipherment": True}, None, "signing", "digitalSignature or nonRepudiation"),
        ({"key_agreement": True}, [ExtendedKeyUsageOID.CLIENT_AUTH], "client", "digitalSignature"),
    ],
)
def test_other_cas_key_usages_are_checked(ca, tmp_path: Path, bits, purposes, declared, problem):
    with pytest.raises(AdminError, match=f"the usage check failed: .*{problem}"):
        keep(built(ca, bits, purposes), tmp_path, usage=declared, anchors=[ca.cert])


def test_non_repudiation_alone_makes_a_signing_certificate(ca, tmp_path: Path):
    imported = keep(
        built(ca, {"content_commitment": True}), tmp_path, usage="signing", anchors=[ca.cert]
    )
    assert imported.certificate.usage == "signing"


def test_a_ca_without_key_cert_sign_is_refused(ca, tmp_path: Path):
    cert = built(ca, {"crl_sign": True}, is_ca=True)
    with pytest.raises(AdminError, match="the usage check failed: a CA certificate needs"):
        keep(cert, tmp_path, usage="ca", anchors=[ca.cert])


def test_rsa_1024_is_refused(ca, tmp_path: Path):
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert = ca.issue(EE, usage=Usage.TLS, key=weak).cert
    with pytest.raises(AdminError, match="the key type check failed: rsa-1024"):
        keep(pem(cert), tmp_path, anchors=[ca.cert])


@pytest.mark.parametrize("kind", ["ed25519", "rsa-3072"])
def test_ed25519_and_rsa_3072_are_accepted(ca, tmp_path: Path, kind: str):
    cert = ca.issue(DE, usage=Usage.SIGNING, key=generate_key(kind)).cert
    assert (
        keep(pem(cert), tmp_path, usage="signing", anchors=[ca.cert]).certificate.key_type == kind
    )


def test_a_file_with_a_private_key_is_refused(ca, tmp_path: Path):
    issued = ca.issue(EE, usage=Usage.TLS)
    cert_path, key_path = issued.write(tmp_path / "both")
    with pytest.raises(AdminError, match="holds a private key"):
        keep(cert_path.read_bytes() + key_path.read_bytes(), tmp_path, anchors=[ca.cert])


def test_several_certificates_or_none_are_refused(ca, tmp_path: Path):
    two = pem(ca.issue(EE, usage=Usage.TLS).cert) + pem(ca.cert)
    with pytest.raises(AdminError, match="holds 2 certificates"):
        keep(two, tmp_path, anchors=[ca.cert])
    with pytest.raises(AdminError, match="not a PEM certificate"):
        keep(b"nothing here", tmp_path, anchors=[ca.cert])
    with pytest.raises(AdminError, match="unknown usage"):
        keep(pem(ca.cert), tmp_path, usage="server")


# -- where an import may write ---------------------------------------------------------


@pytest.mark.parametrize("name", ["tls.next", "de-tls.next.pem", "de-sign.previous", "x.next"])
def test_a_staged_file_name_is_refused(ca, tmp_path: Path, name: str):
    cert = ca.issue(EE, usage=Usage.TLS).cert
    with pytest.raises(AdminError, match="a rotation's staged file name"):
        keep(pem(cert), tmp_path, anchors=[ca.cert], name=name)
    assert not (tmp_path / "certs").exists()


def test_the_node_files_are_reserved(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    reserved = reserved_paths(settings)
    for pair in (settings.tls, settings.signing):
        for path in (pair.certificate, pair.key):
            assert {path, staged(path, NEXT), staged(path, PREVIOUS)} <= reserved
    assert settings.clients[0].certificate in reserved
    assert settings.directory.trust_anchor in reserved
    assert settings.security.client_ca in reserved


def test_a_configured_file_not_written_yet_is_never_an_import_target(ca, tmp_path: Path):
    settings = node_settings(tmp_path, ca)
    client = settings.clients[0].certificate
    assert client is not None and client.parent == tmp_path / "certs"
    client.unlink()  # configured, not there (yet): a free name but for the reservation
    cert_pem = pem(ca.issue(EE, usage=Usage.TLS).cert)
    with pytest.raises(ConflictError, match="configured or staged files"):
        keep(
            cert_pem,
            tmp_path,
            anchors=[ca.cert],
            name=client.stem,
            reserved=reserved_paths(settings),
        )
    assert not client.exists()
    # unreserved, the same import would have written it there
    assert keep(cert_pem, tmp_path, anchors=[ca.cert], name=client.stem).path == client


def test_a_made_up_name_skips_the_reserved_ones(ca, tmp_path: Path):
    first_choice = tmp_path / "certs" / "EE-GOV-70000310-tls.pem"
    cert = ca.issue(EE, usage=Usage.TLS).cert
    imported = keep(pem(cert), tmp_path, anchors=[ca.cert], reserved=[first_choice])
    assert imported.path == tmp_path / "certs" / "EE-GOV-70000310-tls-2.pem"
    assert not first_choice.exists()


@pytest.mark.parametrize(
    "name", ["a\x00b", "a\nb", "tab\there", "\u202etxt.pem", "\ud800", "", " ", ".", ".."]
)
def test_a_name_with_control_characters_is_refused(ca, tmp_path: Path, name: str):
    cert = ca.issue(EE, usage=Usage.TLS).cert
    with pytest.raises(AdminError, match="file name of printable characters"):
        keep(pem(cert), tmp_path, anchors=[ca.cert], name=name)


def test_a_name_too_long_for_a_file_system_is_refused(ca, tmp_path: Path):
    cert = ca.issue(EE, usage=Usage.TLS).cert
    with pytest.raises(AdminError, match="longer than 255 bytes"):
        keep(pem(cert), tmp_path, anchors=[ca.cert], name="x" * 252)
    assert keep(pem(cert), tmp_path, anchors=[ca.cert], name="x" * 251).path.name == (
        "x" * 251 + ".pem"
    )


def test_an_import_never_follows_a_link_at_its_name(ca, tmp_path: Path):
    certs = tmp_path / "certs"
    certs.mkdir()
    elsewhere = tmp_path / "elsewhere.pem"
    (certs / "ee.pem").symlink_to(elsewhere)  # dangling: exists() says no, O_EXCL says yes
    with pytest.raises(ConflictError, match="exists already"):
        keep(pem(ca.issue(EE, usage=Usage.TLS).cert), tmp_path, anchors=[ca.cert], name="ee")
    assert not elsewhere.exists()
