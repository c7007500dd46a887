"""Certificate signing requests: a member's TLS, signing or client key pair and its PKCS#10 CSR.

Usage::

    made = create_csr("DE/GOV/05974028", "tls", Path("certs/de-tls"), hosts=["gw.example"])
    made.csr_path, made.key_path          # certs/de-tls.csr, certs/de-tls.key (0600)
    request = check_request(csr, "tls", "de-tls.csr")   # before a CA signs it

The subject is the X-Road identifier (CN; O = its instance): a member for ``tls`` and
``signing``, a subsystem for ``client``. The CSR asks for the usage's extensions, as
gateway.pki issues them. A member's TLS and signing keys are separate key pairs: a
new key is made unless ``existing_key`` names one, and a key that already backs a
certificate of another usage in the inventory is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from gateway._crypto import PrivateKey, load_private_key, write_private_key
from gateway.certs.checks import END_ENTITY_USAGES
from gateway.certs.inspect import common_name, hosts_of, usage_of
from gateway.certs.inventory import Inventory
from gateway.certs.keys import (
    DEFAULT_KEY_TYPE,
    check_key_type,
    csr_to_pem,
    key_type,
    new_key,
    public_key_sha256,
)
from gateway.errors import AdminError, ConflictError, GatewayError
from gateway.identifiers import ClientId
from gateway.pki import Usage, certificate_request

__all__ = ["CsrResult", "RequestSummary", "check_request", "check_subject", "create_csr"]


@dataclass(frozen=True)
class CsrResult:
    """What ``create_csr`` wrote; the CSR's PEM is public, the key never leaves its file."""

    subject: str
    usage: str
    key_type: str
    hosts: tuple[str, ...]
    csr_path: Path
    key_path: Path
    key_created: bool
    key_encrypted: bool
    public_key_sha256: str
    pem: str

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "usage": self.usage,
            "key_type": self.key_type,
            "hosts": list(self.hosts),
            "csr_path": str(self.csr_path),
            "key_path": str(self.key_path),
            "key_created": self.key_created,
            "key_encrypted": self.key_encrypted,
            "public_key_sha256": self.public_key_sha256,
            "csr_pem": self.pem,
        }


@dataclass(frozen=True)
class RequestSummary:
    """A checked CSR: whom it names, for what, and with which hosts."""

    subject: str
    usage: str
    hosts: tuple[str, ...]
    key_type: str


def create_csr(
    subject: str,
    usage: str,
    out: Path,
    *,
    key_type_name: str = DEFAULT_KEY_TYPE,
    hosts: Sequence[str] = (),
    passphrase: bytes | None = None,
    existing_key: Path | None = None,
    inventory: Inventory | None = None,
) -> CsrResult:
    """Write ``OUT.key`` (new, 0600, encrypted with ``passphrase`` if given) and ``OUT.csr``.

    With ``existing_key`` no key is made: the CSR is signed with that key (read with
    ``passphrase``), unless ``inventory`` shows it backing a certificate of another usage.
    """
    check_subject(subject, usage)
    stem = _stem(out)
    csr_path = stem.with_name(stem.name + ".csr")
    key_path = existing_key or stem.with_name(stem.name + ".key")
    for path in (csr_path,) if existing_key else (csr_path, key_path):
        if path.exists():
            raise ConflictError(f"{path} exists already; xgw never overwrites keys or requests")
    if existing_key is not None:
        key = load_private_key(existing_key, passphrase, key_name="--key")
        _check_key_is_free(key, usage, existing_key, inventory)
    else:
        key = new_key(key_type_name)
    csr = certificate_request(key, subject, usage=Usage(usage), hosts=list(hosts) or None)
    if existing_key is None:
        write_private_key(key_path, key, passphrase)
    csr_path.parent.mkdir(parents=True, exist_ok=True)
    csr_path.write_text(csr_to_pem(csr), encoding="ascii")
    return CsrResult(
        subject=subject,
        usage=usage,
        key_type=key_type(key.public_key()),
        hosts=tuple(hosts),
        csr_path=csr_path,
        key_path=key_path,
        key_created=existing_key is None,
        key_encrypted=passphrase is not None,
        public_key_sha256=public_key_sha256(key.public_key()),
        pem=csr_to_pem(csr),
    )


def check_request(
    csr: x509.CertificateSigningRequest, usage: str | None, what: str
) -> RequestSummary:
    """The CSR's subject, usage and hosts once its signature, key and subject pass."""
    if not csr.is_signature_valid:
        raise AdminError(
            f"{what}: the signature check failed: the CSR is not signed by its own key"
            " (altered on the way, or not a request of this key's holder)"
        )
    check_key_type(csr.public_key(), what)
    said = usage_of(csr.extensions)
    asked = said if said in END_ENTITY_USAGES else None
    if usage is not None and asked is not None and usage != asked:
        raise AdminError(f"{what} asks for a {asked} certificate, not a {usage} certificate")
    chosen = usage or asked
    if chosen is None:
        raise AdminError(f"{what} does not say its usage; give one of {END_ENTITY_USAGES}")
    subject = common_name(csr.subject)
    if subject is None:
        raise AdminError(f"{what}: the subject check failed: the CSR has no common name")
    check_subject(subject, chosen, what)
    return RequestSummary(subject, chosen, hosts_of(csr.extensions), key_type(csr.public_key()))


def check_subject(subject: str, usage: str, what: str = "the subject") -> ClientId:
    """The X-Road identifier a certificate of ``usage`` names: a member, or a subsystem
    for ``client``."""
    if usage not in END_ENTITY_USAGES:
        raise AdminError(f"unknown usage {usage!r}; one of {', '.join(END_ENTITY_USAGES)}")
    try:
        identifier = ClientId.parse(subject)
    except GatewayError as exc:
        raise AdminError(f"{what}: the subject check failed: {exc.message}") from None
    wants_subsystem = usage == "client"
    if (identifier.subsystem is not None) != wants_subsystem:
        kind = "a subsystem INSTANCE/CLASS/CODE/SUBSYSTEM" if wants_subsystem else "a member"
        raise AdminError(
            f"{what}: the subject check failed: a {usage} certificate names {kind}, not {subject}"
        )
    return identifier


def _check_key_is_free(
    key: PrivateKey, usage: str, path: Path, inventory: Inventory | None
) -> None:
    """One key, one usage: TLS and signing keys are separate key pairs (DESIGN.md)."""
    if inventory is None:
        return
    spki = public_key_sha256(key.public_key())
    for entry in inventory.certificates:
        if entry.public_key_sha256 == spki and entry.usage != usage:
            raise ConflictError(
                f"{path} is the key of the {entry.usage} certificate {entry.path}; a {usage}"
                " certificate needs its own key pair (leave out --key to make one)"
            )


def _stem(out: Path) -> Path:
    return out.with_suffix("") if out.suffix in (".csr", ".key", ".pem") else out
