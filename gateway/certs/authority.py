"""The local CA: make one (``xgw certs init-ca``), load it, issue a certificate for a CSR.

Usage::

    made = init_ca(Path("certs/ca"), name="Musterstadt dev CA", passphrase=b"...")
    ca = load_ca(Path("certs/ca"), passphrase=b"...")
    issued = issue_certificate(ca, Path("de-tls.csr").read_bytes(), out=Path("de-tls.pem"))
    issued.info.fingerprint, issued.pem

A CA directory holds ``ca.pem`` and ``ca.key`` (0600, optionally encrypted). An
existing CA key is never replaced: every certificate it issued depends on it. A
certificate is issued only for a CSR whose signature, key type and subject pass
(gateway/certs/requests.py), with the extensions gateway.pki gives the usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from gateway._crypto import certificate_to_pem
from gateway.certs.inspect import CertificateInfo, describe
from gateway.certs.keys import (
    DEFAULT_KEY_TYPE,
    check_key_type,
    check_new_key_type,
    csr_from_pem,
)
from gateway.certs.requests import check_request
from gateway.errors import AdminError, ConflictError, NotFoundError
from gateway.files import create_exclusively
from gateway.pki import CertificateAuthority, Usage

__all__ = [
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "DEFAULT_CA_DAYS",
    "DEFAULT_CA_NAME",
    "DEFAULT_DAYS",
    "MAX_CA_DAYS",
    "MAX_DAYS",
    "CAResult",
    "IssuedCertificate",
    "check_days",
    "init_ca",
    "issue_certificate",
    "load_ca",
]

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca.key"
DEFAULT_CA_NAME = "xgw development CA"
DEFAULT_CA_DAYS = 3650
DEFAULT_DAYS = 365
MAX_DAYS = 3650  # an end entity's certificate: ten years at most
MAX_CA_DAYS = 3 * MAX_DAYS
_EXISTS = "{out} exists already; xgw never overwrites a certificate"


@dataclass(frozen=True)
class CAResult:
    certificate_path: Path
    key_path: Path
    key_encrypted: bool
    certificate: CertificateInfo

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate_path": str(self.certificate_path),
            "key_path": str(self.key_path),
            "key_encrypted": self.key_encrypted,
            "certificate": self.certificate.to_json(),
        }


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: x509.Certificate
    info: CertificateInfo
    path: Path | None  # where it was written, if it was

    @property
    def pem(self) -> str:
        return certificate_to_pem(self.certificate)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": None if self.path is None else str(self.path),
            "certificate": self.info.to_json(),
            "pem": self.pem,
        }


def init_ca(
    directory: Path,
    *,
    name: str = DEFAULT_CA_NAME,
    days: int = DEFAULT_CA_DAYS,
    key_type_name: str = DEFAULT_KEY_TYPE,
    passphrase: bytes | None = None,
) -> CAResult:
    """Make a CA in ``directory`` (``ca.pem``, ``ca.key``); ConflictError if one is there."""
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    for path in (key_path, cert_path):
        if path.exists():
            raise ConflictError(
                f"{path} exists already: init-ca never replaces a CA, whose key signed"
                " every certificate it issued"
            )
    check_days(days, MAX_CA_DAYS)
    if not name.strip():
        raise AdminError("a CA needs a name (its common name)")
    check_new_key_type(key_type_name)
    ca = CertificateAuthority.create(name, days=days, key_kind=key_type_name)
    ca.write(directory / "ca", passphrase)
    return CAResult(cert_path, key_path, passphrase is not None, describe(ca.cert, path=cert_path))


def load_ca(directory: Path, passphrase: bytes | None = None) -> CertificateAuthority:
    """The CA ``init_ca`` made in ``directory``; the key needs its passphrase if encrypted."""
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    if not (cert_path.is_file() and key_path.is_file()):
        raise NotFoundError(
            f"no CA in {directory} (it needs {CA_CERT_FILE} and {CA_KEY_FILE});"
            " make one with xgw certs init-ca"
        )
    return CertificateAuthority.load(cert_path, key_path, passphrase)


def issue_certificate(
    ca: CertificateAuthority,
    csr_pem: bytes,
    *,
    usage: str | None = None,
    days: int = DEFAULT_DAYS,
    out: Path | None = None,
    source: str = "the CSR",
    not_before: datetime | None = None,
) -> IssuedCertificate:
    """A certificate from ``ca`` for the CSR, written to ``out`` if given (never over a file).

    ``usage`` may be left out when the CSR asks for one (xgw's CSRs do).
    """
    check_days(days)
    if out is not None and out.exists():
        raise ConflictError(_EXISTS.format(out=out))
    csr = csr_from_pem(csr_pem, source)
    request = check_request(csr, usage, source)
    cert = ca.certify(
        check_key_type(csr.public_key(), source),
        request.subject,
        usage=Usage(request.usage),
        hosts=list(request.hosts) or None,
        days=days,
        not_before=not_before,
    )
    if out is not None:
        try:
            create_exclusively(out, certificate_to_pem(cert).encode("ascii"))
        except FileExistsError:
            raise ConflictError(_EXISTS.format(out=out)) from None
    return IssuedCertificate(cert, describe(cert, path=out), out)


def check_days(days: int, maximum: int = MAX_DAYS) -> None:
    """AdminError unless ``days`` is a validity from 1 to ``maximum`` days."""
    if not 1 <= days <= maximum:
        raise AdminError(f"a validity of {days} days: give a number of days from 1 to {maximum}")
