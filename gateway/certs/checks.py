"""The checks a certificate passes before xgw keeps or installs it; each refusal names its check.

Usage::

    check_certificate(cert, usage="tls", anchors=[partner_ca])    # AdminError on a failure
    check_usage(csr.extensions, "signing", "the CSR")

The checks, in order: ``key type`` (EC P-256/P-384, RSA >= 2048, Ed25519),
``validity`` (now within notBefore..notAfter), ``ca`` (an end entity is no CA, a CA is
one), ``usage`` (the key usage and extended key usage fit the declared usage) and
``chain`` (signed by one of the given CA certificates, itself a valid CA; a
self-signed CA imported as such checks its own signature).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509

from gateway._crypto import issued_by, now_utc
from gateway.certs.inspect import basic_constraints_ca, extended_key_usage, key_usage
from gateway.certs.keys import check_key_type
from gateway.errors import AdminError

__all__ = ["CA", "END_ENTITY_USAGES", "USAGES", "check_certificate", "check_chain", "check_usage"]

CA = "ca"
END_ENTITY_USAGES = ("tls", "signing", "client")
USAGES = (*END_ENTITY_USAGES, CA)


def check_certificate(
    cert: x509.Certificate,
    *,
    usage: str,
    anchors: Sequence[x509.Certificate],
    now: datetime | None = None,
    both_tls_purposes: bool = False,
) -> x509.Certificate:
    """Run every check; return the CA certificate it chains to. ``both_tls_purposes`` for
    a gateway's own TLS certificate, which serves (serverAuth) and calls peers (clientAuth)."""
    what = f"certificate {cert.subject.rfc4514_string()}"
    now = now or now_utc()
    check_key_type(cert.public_key(), what)
    _check_validity(cert, what, now)
    _check_ca_flag(cert, usage, what)
    check_usage(cert.extensions, usage, what, both_tls_purposes=both_tls_purposes)
    self_signed_ca = usage == CA and cert.issuer == cert.subject
    return check_chain(cert, [cert] if self_signed_ca else anchors, what, now)


def check_usage(
    extensions: x509.Extensions, usage: str, what: str, *, both_tls_purposes: bool = False
) -> None:
    """AdminError unless the key usage and extended key usage fit ``usage``."""
    bits, purposes = key_usage(extensions), extended_key_usage(extensions)
    problem = _usage_problem(usage, bits, purposes, basic_constraints_ca(extensions))
    if problem is None and usage == "tls" and both_tls_purposes:
        missing = [p for p in ("serverAuth", "clientAuth") if p not in purposes]
        if missing:
            problem = f"a gateway's tls certificate needs serverAuth and clientAuth, not {missing}"
    if problem is not None:
        has = f"key usage: {', '.join(bits) or 'none'}; extended: {', '.join(purposes) or 'none'}"
        raise AdminError(f"{what}: the usage check failed: {problem} ({has})")


def _usage_problem(
    usage: str, bits: tuple[str, ...], purposes: tuple[str, ...], is_ca: bool
) -> str | None:
    if usage == "tls":
        if "digitalSignature" not in bits:
            return "a tls certificate needs digitalSignature in its key usage"
        if not {"serverAuth", "clientAuth"} & set(purposes):
            return "a tls certificate needs serverAuth or clientAuth"
    elif usage == "signing":
        if not {"digitalSignature", "nonRepudiation"} & set(bits):
            return "a signing certificate needs digitalSignature or nonRepudiation"
        if {"serverAuth", "clientAuth"} & set(purposes):
            return "a signing certificate is no TLS certificate (TLS and signing keys are separate)"
    elif usage == "client":
        if "clientAuth" not in purposes:
            return "a client certificate needs clientAuth"
        if bits and "digitalSignature" not in bits:
            return "a client certificate needs digitalSignature in its key usage"
    elif usage == CA:
        if not is_ca or "keyCertSign" not in bits:
            return "a CA certificate needs keyCertSign and BasicConstraints ca=true"
    else:
        return f"unknown usage {usage!r}; one of {', '.join(USAGES)}"
    return None


def check_chain(
    cert: x509.Certificate, anchors: Sequence[x509.Certificate], what: str, now: datetime
) -> x509.Certificate:
    """The CA certificate among ``anchors`` that signed ``cert``; AdminError if none did."""
    if not anchors:
        raise AdminError(
            f"{what}: the chain check failed: no CA certificate to check it against"
            " (give the issuing CA's certificate)"
        )
    for anchor in anchors:
        if not issued_by(cert, anchor):
            continue
        name = anchor.subject.rfc4514_string()
        if not basic_constraints_ca(anchor.extensions):
            raise AdminError(f"{what}: the chain check failed: its issuer {name} is not a CA")
        if not anchor.not_valid_before_utc <= now < anchor.not_valid_after_utc:
            raise AdminError(
                f"{what}: the chain check failed: its issuer {name} is not valid now"
                f" ({anchor.not_valid_before_utc:%Y-%m-%d} to"
                f" {anchor.not_valid_after_utc:%Y-%m-%d})"
            )
        return anchor
    names = "; ".join(a.subject.rfc4514_string() for a in anchors)
    raise AdminError(
        f"{what}: the chain check failed: not signed by any of the given CA certificates ({names})"
    )


def _check_validity(cert: x509.Certificate, what: str, now: datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise AdminError(
            f"{what}: the validity check failed: not valid before {cert.not_valid_before_utc}"
        )
    if now >= cert.not_valid_after_utc:
        raise AdminError(f"{what}: the validity check failed: expired {cert.not_valid_after_utc}")


def _check_ca_flag(cert: x509.Certificate, usage: str, what: str) -> None:
    is_ca = basic_constraints_ca(cert.extensions)
    if usage != CA and is_ca:
        raise AdminError(
            f"{what}: the ca check failed: it is a CA certificate, not a {usage} certificate"
            " (import a CA with usage ca)"
        )
    if usage == CA and not is_ca:
        raise AdminError(f"{what}: the ca check failed: it is no CA (BasicConstraints ca=false)")
