"""Issue keys and certificates from a local CA: the federation's dev CA, the demo, tests.

Usage::

    ca = CertificateAuthority.create("XGW Demo Federation CA")
    tls = ca.issue("DE/GOV/05974028", usage=Usage.TLS, hosts=["127.0.0.1", "localhost"])
    sign = ca.issue("DE/GOV/05974028", usage=Usage.SIGNING)
    tls.write(Path("certs/de-tls"))           # de-tls.pem + de-tls.key (0600)

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
    generate_key,
    now_utc,
    write_certificate,
    write_private_key,
)

__all__ = ["CertificateAuthority", "Issued", "Usage"]


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
        start = not_before or now_utc() - timedelta(minutes=5)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject, subject.split("/")[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        signing = usage is Usage.SIGNING
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=signing,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        if usage is Usage.TLS:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        elif usage is Usage.CLIENT:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
            )
        if hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(_alt_names(hosts)), critical=False
            )
        return Issued(key, builder.sign(self.key, _hash_for(self.key)))

    def write(self, stem: Path) -> tuple[Path, Path]:
        return Issued(self.key, self.cert).write(stem)


def _hash_for(key: PrivateKey) -> hashes.SHA256 | None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
