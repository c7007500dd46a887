"""The certificate inventory: a directory of PEM files, plus the node's configured certificates.

Usage::

    inventory = load_inventory(Path("certs"), settings)       # settings: optional
    for info in inventory.certificates: ...                   # CertificateInfo, with roles
    inventory.warnings                                        # files skipped, and why
    info = find_certificate(inventory, "3f2a9c1e")            # a path or >= 8 hex digits
    imported = import_certificate(
        pem, usage="tls", directory=Path("certs"), reserved=reserved_paths(settings)
    )

With settings, the node's own files come first, each with its role: ``tls``,
``signing``, their staged ``tls-next``/``tls-previous``/``signing-next``/
``signing-previous`` copies (gateway/certs/staging.py), ``client`` (bound client
certificates), ``ca`` (security.client_ca) and ``trust-anchor``. Only certificates
are read: a file holding a private key is skipped unread, with a warning.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from gateway._crypto import certificate_to_pem, fingerprint, load_certificates, now_utc
from gateway.certs.checks import USAGES, check_certificate
from gateway.certs.inspect import (
    DEFAULT_WARN_DAYS,
    CertificateInfo,
    basic_constraints_ca,
    common_name,
    describe,
)
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.errors import AdminError, CertValidationError, ConflictError, NotFoundError
from gateway.files import create_exclusively
from gateway.settings import Settings

__all__ = [
    "DEFAULT_DIRECTORY",
    "ImportResult",
    "Inventory",
    "ca_certificates",
    "configured_certificates",
    "find_certificate",
    "import_certificate",
    "load_inventory",
    "read_certificate_file",
    "reserved_paths",
    "single_certificate",
]

DEFAULT_DIRECTORY = Path("certs")
MIN_PREFIX = 8
_HEX_PREFIX = re.compile(f"[0-9a-f]{{{MIN_PREFIX},64}}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_STAGED_SUFFIXES = (f".{NEXT}.pem", f".{PREVIOUS}.pem")
_NAME_MAX = 255  # bytes, as most file systems allow
_READABLE_MAX = 64  # characters of a subject's common name in a made-up file name


@dataclass(frozen=True)
class Inventory:
    certificates: tuple[CertificateInfo, ...]
    warnings: tuple[str, ...]
    warn_days: float
    now: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "certificates": [info.to_json() for info in self.certificates],
            "warnings": list(self.warnings),
            "warn_days": self.warn_days,
        }


@dataclass(frozen=True)
class ImportResult:
    path: Path
    certificate: CertificateInfo
    checked_against: str  # the CA certificate it chains to (its own, for a self-signed CA)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "checked_against": self.checked_against,
            "certificate": self.certificate.to_json(),
        }


def load_inventory(
    directory: Path | None,
    settings: Settings | None = None,
    *,
    warn_days: float | None = None,
    now: datetime | None = None,
) -> Inventory:
    """Every certificate of the node's configuration (if given) and of ``directory``'s
    ``*.pem`` files (recursively); ``warn_days`` defaults to the configured
    ``operations.expiry_warning_days``, else 30."""
    now = now or now_utc()
    if warn_days is None:
        warn_days = (
            DEFAULT_WARN_DAYS if settings is None else settings.operations.expiry_warning_days
        )
    entries: list[CertificateInfo] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    sources = [] if settings is None else configured_certificates(settings)
    for role, key, path in sources:
        if not path.exists():
            if role.endswith((NEXT, PREVIOUS)):
                continue  # no rotation staged: nothing to show
            warnings.append(f"{key}: {path} does not exist")
            continue
        seen.add(path.resolve())
        entries += _describe_file(path, role, key, warnings, warn_days, now)
    for path in _pem_files(directory, warnings):
        if path.resolve() not in seen:
            entries += _describe_file(path, None, None, warnings, warn_days, now)
    return Inventory(tuple(entries), tuple(warnings), warn_days, now)


def configured_certificates(settings: Settings) -> list[tuple[str, str, Path]]:
    """(role, config key, path) of every certificate the node's configuration names."""
    found: list[tuple[str, str, Path]] = []
    for role, pair in (("tls", settings.tls), ("signing", settings.signing)):
        key = f"{role}.certificate"
        found.append((role, key, pair.certificate))
        for stage in (NEXT, PREVIOUS):
            found.append((f"{role}-{stage}", f"{key} ({stage})", staged(pair.certificate, stage)))
    for index, client in enumerate(settings.clients):
        if client.certificate is not None:
            found.append(("client", f"clients[{index}].certificate", client.certificate))
    if settings.security.client_ca is not None:
        found.append(("ca", "security.client_ca", settings.security.client_ca))
    found.append(("trust-anchor", "directory.trust_anchor", settings.directory.trust_anchor))
    return found


def find_certificate(inventory: Inventory, ref: str) -> CertificateInfo:
    """The certificate ``ref`` names: a certificate file, or the start of a fingerprint
    (at least 8 hex digits, ``:`` allowed). AdminError if it names several."""
    path = Path(ref)
    if path.is_file():
        return _by_path(inventory, path)
    prefix = ref.replace(":", "").strip().lower()
    if not _HEX_PREFIX.fullmatch(prefix):
        raise AdminError(
            f"{ref!r} is neither a certificate file nor a fingerprint prefix"
            f" of at least {MIN_PREFIX} hex digits"
        )
    matches = [i for i in inventory.certificates if i.fingerprint.startswith(prefix)]
    fingerprints = dict.fromkeys(i.fingerprint for i in matches)
    if not matches:
        raise NotFoundError(f"no certificate in the inventory has a fingerprint starting {prefix}")
    if len(fingerprints) > 1:
        candidates = "; ".join(
            f"{i.fingerprint[:16]} {i.subject} ({i.path})"
            for i in {i.fingerprint: i for i in matches}.values()
        )
        raise AdminError(f"fingerprint prefix {prefix} is ambiguous: {candidates}")
    return _preferred(matches)


def import_certificate(
    pem: bytes,
    *,
    usage: str,
    directory: Path,
    anchors: Sequence[x509.Certificate] | None = None,
    name: str | None = None,
    reserved: Collection[Path] = (),
    source: str = "the certificate",
    now: datetime | None = None,
) -> ImportResult:
    """Check a partner's or an external CA's certificate and keep it in ``directory``.

    ``anchors`` are the CA certificates it must chain to; None: the CA certificates in
    ``directory``. Kept as ``name`` or a name made of its subject and usage, in a new
    file: never over an existing one, never at one of the ``reserved`` paths (the
    node's, from ``reserved_paths(settings)``) nor at a staged ``.next``/``.previous``
    name.
    """
    if usage not in USAGES:
        raise AdminError(f"unknown usage {usage!r}; one of {', '.join(USAGES)}")
    if name is not None:
        _check_name(name)
    cert = single_certificate(pem, source)
    trusted = list(anchors) if anchors is not None else ca_certificates(directory)
    anchor = check_certificate(cert, usage=usage, anchors=trusted, now=now)
    fp = fingerprint(cert)
    for path in _pem_files(directory, []):
        if any(fingerprint(c) == fp for c in _certificates_or_none(path)):
            raise ConflictError(f"{source} is already in the inventory as {path}")
    target = _keep(directory, cert, usage, name, {p.resolve() for p in reserved})
    info = describe(cert, path=target, now=now)
    return ImportResult(target, info, anchor.subject.rfc4514_string())


def reserved_paths(settings: Settings) -> frozenset[Path]:
    """Every file the node's configuration names, and the staged next and previous
    copies of its TLS and signing pairs: where an import must never write."""
    found = set(_paths_in(settings))
    for pair in (settings.tls, settings.signing):
        for path in (pair.certificate, pair.key):
            found.update(staged(path, stage) for stage in (NEXT, PREVIOUS))
    return frozenset(path.resolve() for path in found)


def ca_certificates(directory: Path) -> list[x509.Certificate]:
    """The CA certificates in the inventory directory: import's default chain anchors."""
    return [
        cert
        for path in _pem_files(directory, [])
        for cert in _certificates_or_none(path)
        if basic_constraints_ca(cert.extensions)
    ]


def read_certificate_file(path: Path) -> list[x509.Certificate]:
    """The certificates in a PEM file; AdminError if it holds none (or holds a key)."""
    found = _read(path)
    if isinstance(found, str):
        raise AdminError(f"{path}: {found}")
    return found


def single_certificate(pem: bytes, source: str) -> x509.Certificate:
    """The one certificate of a PEM upload; AdminError for a key, no certificate or several."""
    if b"PRIVATE KEY-----" in pem:
        raise AdminError(f"{source} holds a private key; give the certificate alone")
    try:
        certs = load_certificates(pem)
    except CertValidationError:
        raise AdminError(f"{source} is not a PEM certificate") from None
    if len(certs) != 1:
        raise AdminError(f"{source} holds {len(certs)} certificates; import one at a time")
    return certs[0]


def _check_name(name: str) -> None:
    """A plain file name: no directory, no control character, not a staged file's."""
    if not name.isprintable() or name.strip() in ("", ".", ".."):
        raise AdminError(f"the name {name!r} must be a file name of printable characters")
    if Path(name).name != name:
        raise AdminError(f"the name {name!r} must be a file name, without a directory")
    file_name = _pem_name(name)
    if file_name.endswith(_STAGED_SUFFIXES):
        raise AdminError(
            f"the name {name!r} is a rotation's staged file name ({', '.join(_STAGED_SUFFIXES)});"
            " choose another"
        )
    if len(file_name.encode()) > _NAME_MAX:
        raise AdminError(f"the name {name!r} is longer than {_NAME_MAX} bytes")


def _pem_name(name: str) -> str:
    return name if name.endswith(".pem") else f"{name}.pem"


def _keep(
    directory: Path, cert: x509.Certificate, usage: str, name: str | None, reserved: set[Path]
) -> Path:
    """Write ``cert`` to a new file in ``directory``: ``name``, or a free name of its own."""
    data = certificate_to_pem(cert).encode("ascii")
    if name is not None:
        target = directory / _pem_name(name)
        if target.resolve() in reserved:
            raise ConflictError(
                f"{target} is one of the node's configured or staged files; choose another name"
            )
        try:
            create_exclusively(target, data)
        except FileExistsError:
            raise ConflictError(f"{target} exists already; xgw never overwrites it") from None
        return target
    readable = _UNSAFE_NAME.sub("-", common_name(cert.subject) or "certificate").strip("-.")
    base = f"{readable[:_READABLE_MAX] or 'certificate'}-{usage}"
    number = 1
    while True:
        target = directory / (f"{base}.pem" if number == 1 else f"{base}-{number}.pem")
        number += 1
        if target.resolve() in reserved:
            continue
        try:
            create_exclusively(target, data)
        except FileExistsError:
            continue  # taken, perhaps a moment ago: the next number
        return target


def _paths_in(value: object) -> Iterator[Path]:
    """Every Path in a settings tree (dataclasses, tuples, mappings)."""
    if isinstance(value, Path):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _paths_in(getattr(value, field.name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _paths_in(item)
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _paths_in(item)


def _by_path(inventory: Inventory, path: Path) -> CertificateInfo:
    resolved = path.resolve()
    known = [i for i in inventory.certificates if i.path and i.path.resolve() == resolved]
    if known:
        return known[0]
    described = _describe_file(path, None, None, [], inventory.warn_days, inventory.now)
    if not described:
        read_certificate_file(path)  # raises, naming why
    return described[0]


def _preferred(matches: list[CertificateInfo]) -> CertificateInfo:
    """One certificate kept in several files: the entry that knows its role."""
    return next((i for i in matches if i.role is not None), matches[0])


def _describe_file(
    path: Path,
    role: str | None,
    key: str | None,
    warnings: list[str],
    warn_days: float,
    now: datetime,
) -> list[CertificateInfo]:
    found = _read(path)
    if isinstance(found, str):
        warnings.append(f"skipped {path}: {found}")
        return []
    return [
        # A node reads the first certificate of a configured file: only it has the role.
        describe(
            cert,
            path=path,
            role=role if index == 0 else None,
            config_key=key if index == 0 else None,
            warn_days=warn_days,
            now=now,
        )
        for index, cert in enumerate(found)
    ]


def _read(path: Path) -> list[x509.Certificate] | str:
    """The certificates in a PEM file, or why there are none."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if b"PRIVATE KEY-----" in data:
        return "it holds a private key (not read: keys belong in .key files)"
    try:
        return load_certificates(data)
    except CertValidationError:
        return "not a PEM certificate"


def _certificates_or_none(path: Path) -> list[x509.Certificate]:
    found = _read(path)
    return [] if isinstance(found, str) else found


def _pem_files(directory: Path | None, warnings: list[str]) -> Iterator[Path]:
    if directory is None:
        return
    if not directory.is_dir():
        warnings.append(f"inventory directory {directory} does not exist")
        return
    yield from sorted(p for p in directory.rglob("*.pem") if p.is_file())
