"""Issue keys and certificates from a local CA: the federation's dev CA, the demo, tests.

Usage::

    ca = CertificateAuthority.create("XGW Demo Federation CA")
    tls = ca.issue("DE/GOV/05974028", usage=Usage.TLS, hosts=["127.0.0.1", "localhost"])
    sign = ca.issue("DE/GOV/05974028", usage=Usage.SIGNING)
    tls.write(Path("certs/de-tls"))           # de-tls.pem + de-tls.key (0600)
    csr = certificate_request(key, "DE/GOV/05974028", usage=Usage.TLS, hosts=["gw.example"])
    cert = ca.certify(csr.public_key(), "DE/GOV/05974028", usage=Usage.TLS, hosts=["gw.example"])
    ca = CertificateAuthority.load(Path("ca.pem"), Path("ca.key"), passphrase)

A member has separate TLS and signing key pairs (like X-Road's auth and sign
certificates); the key usage in each certificate says which is which.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway._crypto import (
    PrivateKey,
    PublicKey,
    check_key_pair,
    generate_key,
    load_certificate,
    load_private_key,
    now_utc,
    write_certificate,
    write_private_key,
)
from gateway.errors import ConfigError

__all__ = ["CertificateAuthority", "Issued", "Usage", "certificate_request", "usage_extensions"]


class Usage(enum.Enum):
    TLS = "tls"  # server and client authentication (gateway <-> gateway, client port)
    CLIENT = "client"  # a local client system authenticating to its gateway
    SIGNING = "signing"  # message signatures (JWS), the directory operator's key too


@dataclass(frozen=True)
class Issued:
    key: PrivateKey
    cert: x509.Certificate

    def write(self, stem: Path, passphrase: bytes | None = None) -> tuple[Path, Path]:
        """Write ``stem.pem`` and ``stem.key`` (0600); return both paths."""
        cert_path, key_path = stem.with_suffix(".pem"), stem.with_suffix(".key")
        write_certificate(cert_path, self.cert)
        write_private_key(key_path, self.key, passphrase)
        return cert_path, key_path


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


@dataclass(frozen=True)
class CertificateAuthority:
    key: PrivateKey
    cert: x509.Certificate

    @classmethod
    def create(
        cls,
        common_name: str,
        *,
        days: int = 3650,
        key_kind: str = "ec-p256",
        not_before: datetime | None = None,
    ) -> CertificateAuthority:
        key = generate_key(key_kind)
        start = not_before or now_utc() - timedelta(minutes=5)
        name = _name(common_name, "xgw federation")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, _hash_for(key))
        )
        return cls(key, cert)

    @classmethod
    def load(
        cls, cert_path: Path, key_path: Path, passphrase: bytes | None = None
    ) -> CertificateAuthority:
        """A CA as :meth:`write` left it (``xgw certs init-ca``); ConfigError if it does not fit."""
        cert = load_certificate(cert_path, key_name="ca.certificate")
        key = load_private_key(key_path, passphrase, key_name="ca.key")
        check_key_pair(cert, key, "ca.key")
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            raise ConfigError("ca.certificate", f"{cert_path} is not a CA certificate")
        return cls(key, cert)

    def issue(
        self,
        subject: str,
        *,
        usage: Usage,
        hosts: list[str] | None = None,
        days: int = 365,
        not_before: datetime | None = None,
        key: PrivateKey | None = None,
        key_kind: str = "ec-p256",
    ) -> Issued:
        """Issue an end-entity certificate; ``subject`` is an X-Road identifier."""
        key = key or generate_key(key_kind)
        cert = self.certify(
            key.public_key(), subject, usage=usage, hosts=hosts, days=days, not_before=not_before
        )
        return Issued(key, cert)

    def certify(
        self,
        public_key: PublicKey,
        subject: str,
        *,
        usage: Usage,
        hosts: list[str] | None = None,
        days: int = 365,
        not_before: datetime | None = None,
    ) -> x509.Certificate:
        """The one end-entity builder: for a new key (:meth:`issue`) or a CSR's public key."""
        start = not_before or now_utc() - timedelta(minutes=5)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_subject_name(subject))
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        for extension, critical in usage_extensions(usage, hosts):
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(self.key, _hash_for(self.key))

    def write(self, stem: Path, passphrase: bytes | None = None) -> tuple[Path, Path]:
        return Issued(self.key, self.cert).write(stem, passphrase)


def usage_extensions(
    usage: Usage, hosts: list[str] | None = None
) -> list[tuple[x509.ExtensionType, bool]]:
    """The key usage, extended key usage and host names of ``usage``, with their criticality:
    what an issued certificate carries and what a CSR asks for."""
    key_usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=usage is Usage.SIGNING,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    extensions: list[tuple[x509.ExtensionType, bool]] = [(key_usage, True)]
    if usage is Usage.TLS:
        purposes = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        extensions.append((x509.ExtendedKeyUsage(purposes), False))
    elif usage is Usage.CLIENT:
        extensions.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False))
    if hosts:
        extensions.append((x509.SubjectAlternativeName(_alt_names(hosts)), False))
    return extensions


def certificate_request(
    key: PrivateKey, subject: str, *, usage: Usage, hosts: list[str] | None = None
) -> x509.CertificateSigningRequest:
    """A PKCS#10 request for ``subject`` (an X-Road identifier), asking for ``usage``'s
    extensions, named as :meth:`CertificateAuthority.issue` names its certificates."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject_name(subject))
    for extension, critical in usage_extensions(usage, hosts):
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, _hash_for(key))


def _subject_name(identifier: str) -> x509.Name:
    """CN = the X-Road identifier, O = its instance."""
    return _name(identifier, identifier.split("/")[0])


def _hash_for(key: PrivateKey) -> hashes.SHA256 | None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
