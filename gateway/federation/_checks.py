"""Checks of what an operator adds to the draft, before the whole document is checked.

Usage::

    check_member_shape(member, gateway_url, tls, signing, partner)   # AdminError
    check_new_certificate(doc, cert, owner, owner_is_partner=False)   # Conflict/AdminError
    listed_by(doc, serial)     # ("DE/GOV/05974028 (tls)", ...): who lists a serial

They give the operator a precise message ("... is revoked", "... is listed for member
X") where the document check would only say which JSON path is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509

from gateway._crypto import fingerprint, issued_by, now_utc
from gateway.directory import format_timestamp
from gateway.errors import AdminError, ConflictError
from gateway.federation._document import (
    CERTIFICATE_KEYS,
    CertificateInput,
    as_certificate,
    as_serial,
    certificates_of,
)
from gateway.identifiers import ClientId

__all__ = [
    "MAX_CERTIFICATES",
    "certificate_key",
    "check_member_shape",
    "check_new_certificate",
    "is_ca",
    "issued_certificates",
    "listed_by",
    "serial_of",
]

# The current certificate and, during a rotation, the next one (schema: certificatePair).
MAX_CERTIFICATES = 2


def check_member_shape(
    member: ClientId,
    gateway_url: str | None,
    tls: list[x509.Certificate],
    signing: list[x509.Certificate],
    partner: Mapping[str, str] | None,
) -> None:
    if partner is None and (gateway_url is None or not signing):
        raise AdminError(
            f"member {member}: a gateway needs a gateway_url and a signing certificate; "
            "a partner without xgw needs 'partner' instead"
        )
    if partner is not None and (gateway_url is not None or signing):
        raise AdminError(
            f"member {member}: a partner without xgw is reached at partner.url and signs "
            "nothing: no gateway_url, no signing certificates"
        )
    if not tls:
        raise AdminError(f"member {member}: a TLS certificate is needed")
    for usage, certs in (("tls", tls), ("signing", signing)):
        if len(certs) > MAX_CERTIFICATES:
            raise AdminError(
                f"member {member}: at most {MAX_CERTIFICATES} {usage} certificates "
                "(the current one and, during a rotation, the next)"
            )


def check_new_certificate(
    doc: dict[str, Any], cert: x509.Certificate, owner: ClientId, owner_is_partner: bool
) -> None:
    """Refuse what no gateway would accept: revoked, expired, or another member's."""
    described = f"certificate {fingerprint(cert)} ({cert.subject.rfc4514_string()})"
    if any(int(e["serial"], 16) == cert.serial_number for e in doc.get("revoked", [])):
        raise ConflictError(f"{described} is revoked")
    if now_utc() >= cert.not_valid_after_utc:
        raise AdminError(f"{described} expired at {format_timestamp(cert.not_valid_after_utc)}")
    for entry in doc["members"]:
        if entry["id"] == str(owner):
            continue
        for _, listed in certificates_of(entry):
            # Partners behind one X-Road security server share its certificate.
            shared = owner_is_partner and "partner" in entry
            if fingerprint(listed) == fingerprint(cert) and not shared:
                raise ConflictError(f"{described} is listed for member {entry['id']}")


def certificate_key(usage: str) -> str:
    try:
        return CERTIFICATE_KEYS[usage]
    except KeyError:
        raise AdminError(f"usage {usage!r} is neither 'tls' nor 'signing'") from None


def serial_of(certificate: CertificateInput | int) -> int:
    if isinstance(certificate, int):
        return as_serial(certificate)
    if isinstance(certificate, str) and "-----BEGIN" not in certificate:
        return as_serial(certificate)
    return as_certificate(certificate).serial_number


def listed_by(doc: dict[str, Any], serial: int) -> tuple[str, ...]:
    found = [
        f"{entry['id']} ({usage})"
        for entry in doc["members"]
        for usage, cert in certificates_of(entry)
        if cert.serial_number == serial
    ]
    found += ["cas" for pem in doc["cas"] if as_certificate(pem).serial_number == serial]
    return tuple(found)


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def issued_certificates(doc: dict[str, Any], ca: x509.Certificate) -> list[str]:
    return [
        f"{entry['id']} ({usage} {fingerprint(cert)[:16]}...)"
        for entry in doc["members"]
        for usage, cert in certificates_of(entry)
        if issued_by(cert, ca)
    ]
