"""Rotation, the admin's half: a new key pair for the node's next TLS or signing credential.

Usage::

    staged = rotate(settings, "tls", ca=load_ca(Path("certs/ca")))  # next key + certificate
    staged = rotate(settings, "signing")                             # next key + CSR
    done = install_next(settings, "signing", cert_pem, anchors=[external_ca])
    print("\\n".join(staged.next_steps))

Everything goes to the staged paths of gateway/certs/staging.py: with ``tls.key =
certs/de-tls.key`` the next key is ``certs/de-tls.next.key``, its certificate
``certs/de-tls.next.pem`` and, for an external CA, its request ``certs/de-tls.next.csr``.
The running gateway adopts the staged pair once the directory lists the next
certificate and keeps the current one as ``previous`` (docs/rotation.md); this
module only writes the staged files. The next key is encrypted with the pair's
configured ``passphrase_file``, if it has one: the gateway reads a staged key with the
passphrase of the current one (gateway/rotation.py).

``rotate``, ``install_next`` and the gateway's adoption of one key pair hold its rotation
lock (gateway/certs/files.py, ``<key>.rotate.lock``), so two admins, or an admin and the
gateway, never leave one's key beside the other's certificate or request; each staged
file is written whole (a temporary file renamed onto it). With a CSR the CA decides the
validity of the certificate; ``days`` counts only with a local ``ca``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from gateway._crypto import (
    PrivateKey,
    check_key_pair,
    load_private_key,
    read_passphrase,
    write_certificate,
    write_private_key,
)
from gateway.certs.authority import DEFAULT_DAYS, check_days
from gateway.certs.checks import check_certificate
from gateway.certs.files import rotation_lock
from gateway.certs.inspect import CertificateInfo, common_name, describe, hosts_of
from gateway.certs.inventory import read_certificate_file, single_certificate
from gateway.certs.keys import (
    DEFAULT_KEY_TYPE,
    csr_to_pem,
    key_type,
    new_key,
    public_key_sha256,
)
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.errors import AdminError, ConfigError, ConflictError, GatewayError, NotFoundError
from gateway.files import replace_atomically
from gateway.pki import CertificateAuthority, Usage, certificate_request
from gateway.settings import KeyPairSettings, Settings

__all__ = [
    "ROTATION_USAGES",
    "InstallResult",
    "RotationResult",
    "StagedPaths",
    "install_next",
    "next_request",
    "rotate",
]

ROTATION_USAGES = ("tls", "signing")
PUBLIC_MODE = 0o644  # certificates and requests; keys stay 0600


def next_request(key: Path) -> Path:
    """The request (CSR) for an external CA, beside the staged next key of ``key``."""
    return staged(key, NEXT).with_suffix(".csr")


@dataclass(frozen=True)
class StagedPaths:
    """Where the next and previous pair of one configured key pair live."""

    key: Path
    certificate: Path
    csr: Path
    previous_key: Path
    previous_certificate: Path

    @classmethod
    def of(cls, pair: KeyPairSettings) -> StagedPaths:
        return cls(
            key=staged(pair.key, NEXT),
            certificate=staged(pair.certificate, NEXT),
            csr=next_request(pair.key),
            previous_key=staged(pair.key, PREVIOUS),
            previous_certificate=staged(pair.certificate, PREVIOUS),
        )


@dataclass(frozen=True)
class RotationResult:
    member: str
    usage: str
    key_path: Path
    key_type: str
    key_encrypted: bool
    public_key_sha256: str
    certificate_path: Path | None  # issued by the local CA
    csr_path: Path | None  # for an external CA
    certificate: CertificateInfo | None
    next_steps: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "usage": self.usage,
            "key_path": str(self.key_path),
            "key_type": self.key_type,
            "key_encrypted": self.key_encrypted,
            "public_key_sha256": self.public_key_sha256,
            "certificate_path": _text(self.certificate_path),
            "csr_path": _text(self.csr_path),
            "certificate": None if self.certificate is None else self.certificate.to_json(),
            "next_steps": list(self.next_steps),
        }


@dataclass(frozen=True)
class InstallResult:
    member: str
    usage: str
    certificate_path: Path
    certificate: CertificateInfo
    checked_against: str  # the CA certificate it chains to
    next_steps: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "usage": self.usage,
            "certificate_path": str(self.certificate_path),
            "checked_against": self.checked_against,
            "certificate": self.certificate.to_json(),
            "next_steps": list(self.next_steps),
        }


def rotate(
    settings: Settings,
    usage: str,
    *,
    ca: CertificateAuthority | None = None,
    days: int = DEFAULT_DAYS,
    key_type_name: str = DEFAULT_KEY_TYPE,
    hosts: Sequence[str] | None = None,
    force: bool = False,
    config_path: Path | None = None,
) -> RotationResult:
    """Write the next key pair of ``usage``: with ``ca`` its certificate, else a CSR.

    ConflictError if a next key or certificate is staged already, unless ``force``.
    ``days`` (1 to 3650) is the validity a local ``ca`` gives; with a CSR the CA decides.
    ``hosts`` default to the current TLS certificate's.
    """
    pair = _pair(settings, usage)
    check_days(days)
    paths = StagedPaths.of(pair)
    member = settings.member.id
    with rotation_lock(pair.key):
        _refuse_staged(paths, force)
        key = new_key(key_type_name)
        passphrase = _passphrase(pair, usage)
        names = list(hosts) if hosts is not None else _current_hosts(pair, usage)
        for stale in (paths.certificate, paths.csr):
            stale.unlink(missing_ok=True)  # of the replaced next key, or left by an adoption
        _write_key(paths.key, key, passphrase)
        info = None
        if ca is not None:
            cert = ca.certify(key.public_key(), member, usage=Usage(usage), hosts=names, days=days)
            _write_certificate(paths.certificate, cert)
            warn_days = settings.operations.expiry_warning_days
            info = describe(
                cert, path=paths.certificate, role=f"{usage}-{NEXT}", warn_days=warn_days
            )
        else:
            csr = certificate_request(key, member, usage=Usage(usage), hosts=names or None)
            _write_request(paths.csr, csr_to_pem(csr))
    config = str(config_path) if config_path is not None else "CONFIG"
    return RotationResult(
        member=member,
        usage=usage,
        key_path=paths.key,
        key_type=key_type(key.public_key()),
        key_encrypted=passphrase is not None,
        public_key_sha256=public_key_sha256(key.public_key()),
        certificate_path=paths.certificate if ca is not None else None,
        csr_path=None if ca is not None else paths.csr,
        certificate=info,
        next_steps=_next_steps(member, usage, paths, issued=ca is not None, config=config),
    )


def install_next(
    settings: Settings,
    usage: str,
    pem: bytes,
    *,
    anchors: Sequence[x509.Certificate],
    force: bool = False,
    source: str = "the certificate",
    now: datetime | None = None,
) -> InstallResult:
    """Check an external CA's certificate for the staged next key and stage it.

    It must be the staged key's certificate, name the member, chain to one of
    ``anchors`` and fit the usage (a TLS one both serverAuth and clientAuth).
    """
    pair = _pair(settings, usage)
    paths = StagedPaths.of(pair)
    cert = single_certificate(pem, source)
    member = settings.member.id
    with rotation_lock(pair.key):
        _check_installable(paths, usage, force)
        key = load_private_key(paths.key, _passphrase(pair, usage), key_name=f"{usage}.key")
        try:
            check_key_pair(cert, key, f"{usage}.key")
        except ConfigError:
            raise AdminError(
                f"{source}: the key check failed: it is not the certificate of the staged next"
                f" key {paths.key}"
            ) from None
        if common_name(cert.subject) != member:
            raise AdminError(
                f"{source}: the subject check failed: it names {common_name(cert.subject)},"
                f" not the member {member}"
            )
        anchor = check_certificate(
            cert, usage=usage, anchors=anchors, now=now, both_tls_purposes=True
        )
        _write_certificate(paths.certificate, cert)
    warn_days = settings.operations.expiry_warning_days
    info = describe(cert, path=paths.certificate, role=f"{usage}-{NEXT}", warn_days=warn_days)
    return InstallResult(
        member=member,
        usage=usage,
        certificate_path=paths.certificate,
        certificate=info,
        checked_against=anchor.subject.rfc4514_string(),
        next_steps=_publish_steps(member, usage, paths),
    )


def _check_installable(paths: StagedPaths, usage: str, force: bool) -> None:
    if not paths.key.exists():
        raise NotFoundError(
            f"no next {usage} key is staged ({paths.key}); run xgw certs rotate --usage {usage}"
        )
    if paths.certificate.exists() and not force:
        raise ConflictError(
            f"a next {usage} certificate is staged already ({paths.certificate});"
            " --force replaces it"
        )


def _pair(settings: Settings, usage: str) -> KeyPairSettings:
    if usage == "tls":
        return settings.tls
    if usage == "signing":
        return settings.signing
    raise AdminError(f"rotate handles the node's own key pairs: tls or signing, not {usage!r}")


def _refuse_staged(paths: StagedPaths, force: bool) -> None:
    """A staged next key or certificate is a rotation under way; a request alone is not
    (an adopted rotation may leave it: it belonged to the key now in use)."""
    present = [p for p in (paths.key, paths.certificate) if p.exists()]
    if present and paths.csr.exists():
        present.append(paths.csr)
    if present and not force:
        raise ConflictError(
            f"a rotation is staged already ({', '.join(map(str, present))}); let the gateway"
            " adopt it, or start over with --force"
        )


def _write_key(path: Path, key: PrivateKey, passphrase: bytes | None) -> None:
    replace_atomically(path, lambda temporary: write_private_key(temporary, key, passphrase))


def _write_request(path: Path, pem: str) -> None:
    def write(temporary: Path) -> None:
        temporary.write_text(pem, encoding="ascii")

    replace_atomically(path, write, mode=PUBLIC_MODE)


def _write_certificate(path: Path, cert: x509.Certificate) -> None:
    replace_atomically(path, lambda temporary: write_certificate(temporary, cert), mode=PUBLIC_MODE)


def _passphrase(pair: KeyPairSettings, usage: str) -> bytes | None:
    if pair.passphrase_file is None:
        return None
    return read_passphrase(pair.passphrase_file, key_name=f"{usage}.passphrase_file")


def _current_hosts(pair: KeyPairSettings, usage: str) -> list[str]:
    """The current TLS certificate's host names: the next one serves the same hosts."""
    if usage != "tls" or not pair.certificate.is_file():
        return []
    try:
        cert = read_certificate_file(pair.certificate)[0]
    except GatewayError:
        return []
    return list(hosts_of(cert.extensions))


def _next_steps(
    member: str, usage: str, paths: StagedPaths, *, issued: bool, config: str
) -> tuple[str, ...]:
    sign = (
        f"Have your CA sign {paths.csr} (a {usage} certificate for {member}); the CA decides"
        " its validity (days count only with a local CA).",
        f"Stage the certificate it returns: xgw certs install-next CERT --config {config}"
        f" --usage {usage}",
    )
    return (*(() if issued else sign), *_publish_steps(member, usage, paths))


def _publish_steps(member: str, usage: str, paths: StagedPaths) -> tuple[str, ...]:
    return (
        f"Have the federation operator list {paths.certificate} for {member}: xgw directory"
        f" cert add {paths.certificate} --member {member} --usage {usage} --draft DRAFT,"
        " then xgw directory publish; the current certificate stays listed for the overlap.",
        "The running gateway adopts the staged pair once the directory lists it and keeps the"
        f" current pair as {paths.previous_certificate} and {paths.previous_key}"
        " (docs/rotation.md).",
    )


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)
