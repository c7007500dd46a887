"""Reading operator input and finding things in the raw draft document (a JSON dict).

Usage::

    member = find_member(doc, member_id("DE/GOV/05974028"))      # NotFoundError
    cert = as_certificate(pem_text)                               # AdminError
    parse_endpoint("GET /meldungen/*")                            # ("GET", "/meldungen/*")

Everything raises AdminError (or NotFoundError) with a message for the operator: these
are the values an operator typed, or the admin API received.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

from cryptography import x509

from gateway._crypto import fingerprint, load_certificates
from gateway.directory import directory_schema, format_timestamp
from gateway.errors import AdminError, CertValidationError, GatewayError, NotFoundError
from gateway.federation.changes import AccessRight, Endpoint
from gateway.identifiers import ClientId, ServiceId

__all__ = [
    "CERTIFICATE_KEYS",
    "CertificateInput",
    "access_rights",
    "as_certificate",
    "as_serial",
    "certificate_json",
    "certificates_of",
    "endpoint_entries",
    "find_member",
    "find_service",
    "member_id",
    "member_of",
    "normalise_fingerprint",
    "parse_endpoint",
    "revocation_reasons",
    "service_id",
    "subsystem_id",
]

CertificateInput: TypeAlias = x509.Certificate | bytes | str
# usage -> the member's list of that usage
CERTIFICATE_KEYS = {"tls": "tls_certificates", "signing": "signing_certificates"}
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_SERIAL = re.compile(r"[0-9a-f]{1,40}")
_METHODS_ENUM = ("$defs", "endpoint", "properties", "method", "enum")


@functools.cache
def revocation_reasons() -> tuple[str, ...]:
    """The RFC 5280 CRLReason names the directory schema allows."""
    reasons: list[str] = directory_schema()["$defs"]["revocation"]["properties"]["reason"]["enum"]
    return tuple(reasons)


@functools.cache
def _methods() -> frozenset[str]:
    node: Any = directory_schema()
    for key in _METHODS_ENUM:
        node = node[key]
    return frozenset(node)


# ---------------------------------------------------------------------------- input


def _identifier(value: object, parse: Any, what: str) -> Any:
    try:
        return parse(str(value))
    except GatewayError as exc:
        raise AdminError(f"{what}: {exc.message}") from exc


def member_id(value: str | ClientId) -> ClientId:
    """A member's id, INSTANCE/CLASS/CODE (a subsystem id is refused)."""
    parsed: ClientId = _identifier(value, ClientId.parse, "member")
    if parsed.subsystem is not None:
        raise AdminError(f"member: {value} names a subsystem; a member is INSTANCE/CLASS/CODE")
    return parsed


def subsystem_id(value: str | ClientId) -> ClientId:
    """A subsystem's id, INSTANCE/CLASS/CODE/SUBSYSTEM: only subsystems are granted access."""
    parsed: ClientId = _identifier(value, ClientId.parse, "client")
    if parsed.subsystem is None:
        raise AdminError(f"client: {value} is a member; access is granted to a subsystem")
    return parsed


def service_id(value: str | ServiceId) -> ServiceId:
    parsed: ServiceId = _identifier(value, ServiceId.parse, "service")
    return parsed


def as_certificate(value: CertificateInput) -> x509.Certificate:
    """A certificate object, or the first certificate of a PEM text (a chain may follow)."""
    if isinstance(value, x509.Certificate):
        return value
    try:
        certs = load_certificates(value)
    except CertValidationError as exc:
        raise AdminError(exc.message) from exc
    if not certs:
        raise AdminError("no PEM certificate found")
    return certs[0]


def normalise_fingerprint(text: str) -> str:
    """Hex SHA-256 in lower case; ``AB:12:...`` is accepted too."""
    value = text.strip().replace(":", "").lower()
    if not _FINGERPRINT.fullmatch(value):
        raise AdminError(f"fingerprint {text!r} is not a hex SHA-256 (64 hex digits)")
    return value


def as_serial(value: int | str) -> int:
    """A serial number from an int or hex text (``1c7f...``, ``1C:7F:...``, ``0x1c7f``)."""
    if isinstance(value, int):
        if value < 0:
            raise AdminError(f"serial {value} is negative")
        return value
    text = value.strip().lower().replace(":", "").removeprefix("0x")
    if not _SERIAL.fullmatch(text):
        raise AdminError(f"serial {value!r} is not a hex serial number (1 to 40 hex digits)")
    return int(text, 16)


def parse_endpoint(value: str | Endpoint) -> Endpoint:
    """``"GET /meldungen/*"`` (or a bare path: any method) into (method, path)."""
    if isinstance(value, tuple):
        method, path = value
    else:
        parts = value.split()
        if len(parts) == 1:
            method, path = "*", parts[0]
        elif len(parts) == 2:
            method, path = parts
        else:
            raise AdminError(f"endpoint {value!r} must be 'METHOD /path' or '/path'")
    method = method.upper()
    if method not in _methods():
        raise AdminError(f"endpoint {value!r}: unknown method {method!r}")
    if not path.startswith("/"):
        raise AdminError(f"endpoint {value!r}: the path must start with '/'")
    return method, path


def endpoint_entries(endpoints: Iterable[Endpoint]) -> list[dict[str, str]]:
    return [{"method": method, "path": path} for method, path in endpoints]


# ---------------------------------------------------------------------------- lookups


def find_member(doc: dict[str, Any], member: ClientId) -> dict[str, Any]:
    for entry in doc["members"]:
        if entry["id"] == str(member):
            found: dict[str, Any] = entry
            return found
    raise NotFoundError(f"no member {member} in the draft")


def member_of(doc: dict[str, Any], client: ClientId) -> dict[str, Any] | None:
    """The member a subsystem belongs to, when it lists that subsystem."""
    for entry in doc["members"]:
        if entry["id"] == str(client.member) and any(
            s["code"] == client.subsystem for s in entry.get("subsystems", [])
        ):
            found: dict[str, Any] = entry
            return found
    return None


def find_service(doc: dict[str, Any], service: ServiceId) -> tuple[dict[str, Any], int]:
    """The member that provides ``service`` and the service's index in its list."""
    provider = service.provider
    member = find_member(doc, provider.member)
    for index, entry in enumerate(member.get("services", [])):
        if entry["subsystem"] == provider.subsystem and entry["code"] == service.code:
            return member, index
    raise NotFoundError(f"no service {service} in the draft")


def certificates_of(member: dict[str, Any]) -> Iterator[tuple[str, x509.Certificate]]:
    """Every certificate a member lists, with its usage (``tls`` or ``signing``)."""
    for usage, key in CERTIFICATE_KEYS.items():
        for pem in member.get(key, []):
            yield usage, as_certificate(pem)


def access_rights(doc: dict[str, Any]) -> list[AccessRight]:
    return [AccessRight.from_entry(entry) for entry in doc.get("access", [])]


def certificate_json(cert: x509.Certificate, revoked: bool = False) -> dict[str, Any]:
    return {
        "sha256": fingerprint(cert),
        "subject": cert.subject.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_after": format_timestamp(cert.not_valid_after_utc),
        "revoked": revoked,
    }
