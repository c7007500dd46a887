"""What a certificate is: subject, usage, key, validity and status, as plain data.

Usage::

    info = describe(cert, path=Path("certs/de-tls.pem"), role="tls", warn_days=30)
    info.status            # "valid", "expiring", "expired" or "not-yet-valid"
    info.usage             # "tls", "signing", "client", "ca" or "other"
    info.to_json()         # JSON-able dict for --json and the admin API

The usage is read from the extensions as gateway.pki writes them: a CA has
BasicConstraints ca=true; serverAuth makes a TLS certificate, clientAuth alone a
client certificate; nonRepudiation, or digitalSignature without an extended key
usage, a signing certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway._crypto import fingerprint, now_utc
from gateway.certs.keys import key_type, public_key_sha256

__all__ = [
    "DEFAULT_WARN_DAYS",
    "EXPIRED",
    "EXPIRING",
    "NOT_YET_VALID",
    "VALID",
    "CertificateInfo",
    "basic_constraints_ca",
    "common_name",
    "describe",
    "extended_key_usage",
    "hosts_of",
    "key_usage",
    "status_of",
    "usage_of",
]

DEFAULT_WARN_DAYS = 30.0
VALID, EXPIRING, EXPIRED, NOT_YET_VALID = "valid", "expiring", "expired", "not-yet-valid"

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}
_KEY_USAGE_NAMES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


@dataclass(frozen=True)
class CertificateInfo:
    """One certificate as an admin sees it; never anything about a private key."""

    fingerprint: str  # hex SHA-256 of the DER, as the directory names certificates
    subject: str
    issuer: str
    serial: str  # hex
    usage: str
    key_type: str
    not_before: datetime
    not_after: datetime
    days_left: int
    status: str
    path: Path | None = None
    role: str | None = None  # tls, signing, tls-next, signing-previous, client, ca, trust-anchor
    config_key: str | None = None  # where the node's configuration names it
    common_name: str | None = None
    is_ca: bool = False
    key_usage: tuple[str, ...] = ()
    extended_key_usage: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    public_key_sha256: str = ""
    self_signed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "subject": self.subject,
            "common_name": self.common_name,
            "issuer": self.issuer,
            "serial": self.serial,
            "usage": self.usage,
            "role": self.role,
            "config_key": self.config_key,
            "key_type": self.key_type,
            "public_key_sha256": self.public_key_sha256,
            "is_ca": self.is_ca,
            "self_signed": self.self_signed,
            "key_usage": list(self.key_usage),
            "extended_key_usage": list(self.extended_key_usage),
            "hosts": list(self.hosts),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left,
            "status": self.status,
            "path": None if self.path is None else str(self.path),
        }


def describe(
    cert: x509.Certificate,
    *,
    path: Path | None = None,
    role: str | None = None,
    config_key: str | None = None,
    warn_days: float = DEFAULT_WARN_DAYS,
    now: datetime | None = None,
) -> CertificateInfo:
    now = now or now_utc()
    left = cert.not_valid_after_utc - now
    return CertificateInfo(
        fingerprint=fingerprint(cert),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        usage=usage_of(cert.extensions),
        key_type=key_type(cert.public_key()),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        days_left=left.days,
        status=status_of(cert, warn_days=warn_days, now=now),
        path=path,
        role=role,
        config_key=config_key,
        common_name=common_name(cert.subject),
        is_ca=basic_constraints_ca(cert.extensions),
        key_usage=key_usage(cert.extensions),
        extended_key_usage=extended_key_usage(cert.extensions),
        hosts=hosts_of(cert.extensions),
        public_key_sha256=public_key_sha256(cert.public_key()),
        self_signed=cert.subject == cert.issuer,
    )


def status_of(
    cert: x509.Certificate, *, warn_days: float = DEFAULT_WARN_DAYS, now: datetime | None = None
) -> str:
    """``not-yet-valid``, ``expired``, ``expiring`` (within ``warn_days``) or ``valid``."""
    now = now or now_utc()
    if now < cert.not_valid_before_utc:
        return NOT_YET_VALID
    if now >= cert.not_valid_after_utc:
        return EXPIRED
    if cert.not_valid_after_utc - now <= timedelta(days=warn_days):
        return EXPIRING
    return VALID


def usage_of(extensions: x509.Extensions) -> str:
    """``ca``, ``tls``, ``client``, ``signing`` or ``other``: what the extensions of a
    certificate or a CSR say it is for."""
    if basic_constraints_ca(extensions):
        return "ca"
    purposes = extended_key_usage(extensions)
    if "serverAuth" in purposes:
        return "tls"
    if "clientAuth" in purposes:
        return "client"
    usages = key_usage(extensions)
    if "nonRepudiation" in usages or ("digitalSignature" in usages and not purposes):
        return "signing"
    return "other"


def basic_constraints_ca(extensions: x509.Extensions) -> bool:
    try:
        return extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def key_usage(extensions: x509.Extensions) -> tuple[str, ...]:
    """The key usage bits set, in RFC 5280 spelling; () without the extension."""
    try:
        value = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(name for attr, name in _KEY_USAGE_NAMES if getattr(value, attr))


def extended_key_usage(extensions: x509.Extensions) -> tuple[str, ...]:
    """The extended key usages (``serverAuth``, ``clientAuth`` ...); () without the extension."""
    try:
        value = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(_EKU_NAMES.get(oid, oid.dotted_string) for oid in value)


def common_name(name: x509.Name) -> str | None:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else None


def hosts_of(extensions: x509.Extensions) -> tuple[str, ...]:
    """The DNS names and IP addresses of the subjectAltName, of a certificate or a CSR."""
    try:
        names = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    dns = names.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    return (*dns, *ips)
