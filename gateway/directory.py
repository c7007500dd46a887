"""The federation directory: members, their gateways and certificates, services, access rights.

Usage::

    token = sign_directory(doc, operator_key, operator_cert)     # the federation operator
    directory = verify_directory(token, [operator_cert])         # every gateway
    directory.is_allowed(ClientId.parse("EE/GOV/70000310/ariregister"),
                         ServiceId.parse("DE/GOV/05974028/gewerbeamt/gewerbeanzeige"),
                         "GET", "/meldungen/42")

    # gateway.directory_manager keeps one current: refresh, rollback refusal, expiry.

The document is JSON (``schemas/directory.v1.json``, docs/directory.md) signed by the
federation operator as a compact JWS. A member is an xgw gateway, or a partner without
xgw (``Member.partner``) that gateways call in its own protocol (docs/partner-routes.md).
A gateway holds the operator's certificate as its trust anchor, refreshes the directory
periodically, never goes back to a lower ``sequence`` and refuses to work once the
directory it holds has expired, like X-Road's global configuration.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import jwt
import orjson
from cryptography import x509
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jwt import exceptions as jwt_errors

from gateway._crypto import (
    PrivateKey,
    PublicKey,
    certificate_public_key,
    fingerprint,
    jws_algorithm,
    kid,
    load_certificates,
)
from gateway.access import AccessRule
from gateway.errors import CertValidationError, ConfigError, DirectoryError, GatewayError
from gateway.identifiers import ClientId, ServiceId
from gateway.shipped import load_json

__all__ = [
    "CLOCK_SKEW",
    "FORMAT",
    "JWS_TYPE",
    "NATIVE",
    "XROAD",
    "Directory",
    "Endpoint",
    "Member",
    "Partner",
    "Service",
    "directory_schema",
    "format_timestamp",
    "inspect_token",
    "sign_directory",
    "validate_document",
    "verify_directory",
]

_logger = logging.getLogger(__name__)
_T = TypeVar("_T")

FORMAT = "xgw-directory/1"
JWS_TYPE = "xgw-directory+jws"
# Tolerated lead of the operator's clock over ours for "issued"; expiry is never stretched.
CLOCK_SKEW = timedelta(minutes=5)
_SCHEMA_RESOURCE = "directory.v1.json"
_ALGORITHMS = ("ES256", "RS256", "EdDSA")
_MESSAGE_LIMIT = 300
_QUOTE_LIMIT = 64
# Verification needs nothing but the three algorithms xgw keys sign with.
_JWS = jwt.PyJWS(algorithms=list(_ALGORITHMS), options={"enforce_minimum_key_length": True})

# ---------------------------------------------------------------------------- model

# How a partner without xgw is reached (docs/partner-routes.md).
XROAD = "x-road"  # through its X-Road security server: REST at /r1/..., SOAP 4.0 with headers
NATIVE = "native"  # its own SOAP or REST service, called directly (e.g. Flemish MAGDA)


@dataclass(frozen=True, slots=True)
class Partner:
    """A member without xgw: the protocol it speaks and the base URL it is reached at."""

    protocol: str  # XROAD or NATIVE
    url: str
    request_hash: str = "xgw"  # x-road REST: "xgw" (recomputed) or "opaque" (present only)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A REST endpoint: an HTTP method (or ``*``) and a path pattern (gateway.access)."""

    method: str
    path: str


@dataclass(frozen=True, slots=True)
class Service:
    id: ServiceId
    type: str  # "REST" or "SOAP"
    format: str  # connector name, or "opaque"
    endpoints: tuple[Endpoint, ...]
    openapi: str | None
    version: str | None = None  # X-Road serviceVersion (SOAP services)
    address: str | None = None  # a native partner's service: its path below the partner's url


@dataclass(frozen=True)
class Member:
    """A member of the federation: an xgw gateway, or a partner reached in its own protocol.

    A gateway has ``gateway_url`` and signing certificates and no ``partner``; a partner
    has ``partner`` and neither of the others. ``tls_certificates`` are the gateway's
    (client and server) or the partner's server certificates, pinned when calling it.
    """

    id: ClientId
    name: str
    gateway_url: str | None
    tls_fingerprints: frozenset[str]  # hex SHA-256 of each TLS certificate's DER
    tls_certificates: tuple[x509.Certificate, ...]
    signing_certificates: tuple[x509.Certificate, ...]
    subsystems: tuple[tuple[str, str], ...]  # (code, name)
    services: tuple[Service, ...]
    partner: Partner | None = None

    @property
    def is_partner(self) -> bool:
        return self.partner is not None


def format_timestamp(value: datetime) -> str:
    """``2026-11-28T02:00:00Z``: the directory's spelling of a UTC time."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------- schema


@functools.cache
def directory_schema() -> dict[str, Any]:
    """The packaged JSON Schema (Draft 2020-12) of ``xgw-directory/1``."""
    schema: dict[str, Any] = load_json(_SCHEMA_RESOURCE)
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    schema = directory_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _json_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


# Why a property is refused where the schema forbids it (``{"not": {}}``: jsonschema names
# the property's path for that, not for ``false``): a partner member's gateway properties.
_NOT_ALLOWED = {
    "gateway_url": "a partner member (one with 'partner') is reached at partner.url",
    "signing_certificates": "a partner member (one with 'partner') signs no xgw messages",
}


def _schema_message(error: ValidationError) -> str:
    if error.validator == "not" and error.validator_value == {} and error.path:
        name = str(error.path[-1])
        return f"not allowed: {_NOT_ALLOWED.get(name, 'this property is not allowed here')}"
    # The message quotes the offending value, which may be a whole PEM certificate:
    # shorten the quote, keep the explanation.
    text = error.message
    quoted = repr(error.instance)
    if len(quoted) > _QUOTE_LIMIT:
        text = text.replace(quoted, quoted[: _QUOTE_LIMIT - 4] + "...'")
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def validate_document(doc: object) -> None:
    """Check ``doc`` against the schema; DirectoryError("schema: <json path>: <problem>")."""
    error = best_match(_validator().iter_errors(doc))
    if error is not None:
        path = _json_path(error.absolute_path)
        raise DirectoryError(f"schema: {path}: {_schema_message(error)}")


# ---------------------------------------------------------------------------- building


def _timestamp(path: str, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as exc:
        raise DirectoryError(f"{path}: {text!r} is not a valid date and time") from exc


def _certificate(path: str, pem: str) -> x509.Certificate:
    try:
        certs = load_certificates(pem)
    except CertValidationError as exc:
        raise DirectoryError(f"{path}: {exc.message}") from exc
    if len(certs) != 1:
        raise DirectoryError(f"{path}: holds {len(certs)} certificates, expected one")
    return certs[0]


def _certificates(path: str, pems: Sequence[str]) -> tuple[x509.Certificate, ...]:
    return tuple(_certificate(f"{path}[{i}]", pem) for i, pem in enumerate(pems))


def _identifier(path: str, parse: Callable[[str], _T], text: str) -> _T:
    try:
        return parse(text)
    except GatewayError as exc:
        raise DirectoryError(f"{path}: {exc.message}") from exc


def _endpoints(entries: Sequence[Mapping[str, str]]) -> tuple[Endpoint, ...]:
    return tuple(Endpoint(entry["method"], entry["path"]) for entry in entries)


def _rule(path: str, endpoints: tuple[Endpoint, ...]) -> AccessRule:
    try:
        return AccessRule.of((e.method, e.path) for e in endpoints)
    except ValueError as exc:
        raise DirectoryError(f"{path}: {exc}") from exc


def _unique(path: str, what: str, values: Iterable[object]) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise DirectoryError(f"{path}: {what} {value} is listed twice")
        seen.add(value)


def _service(
    path: str,
    member: ClientId,
    entry: Mapping[str, Any],
    codes: set[str],
    partner: Partner | None,
) -> Service:
    if entry["subsystem"] not in codes:
        raise DirectoryError(
            f"{path}.subsystem: {entry['subsystem']!r} is not a subsystem of {member}"
        )
    if "version" in entry and entry["type"] != "SOAP":
        raise DirectoryError(f"{path}.version: only a SOAP service has a serviceVersion")
    if "address" in entry and (partner is None or partner.protocol != NATIVE):
        # An X-Road partner's services are found by their identifier, a gateway's by /r1/.
        raise DirectoryError(f"{path}.address: only a service of a native partner has an address")
    provider = ClientId(
        member.instance, member.member_class, member.member_code, entry["subsystem"]
    )
    endpoints = _endpoints(entry.get("endpoints", []))
    _rule(f"{path}.endpoints", endpoints)  # malformed patterns fail here, with their path
    return Service(
        ServiceId(provider, entry["code"]),
        entry["type"],
        entry.get("format", "opaque"),
        endpoints,
        entry.get("openapi"),
        entry.get("version"),
        entry.get("address"),
    )


def _member(path: str, entry: Mapping[str, Any]) -> Member:
    member_id = _identifier(f"{path}.id", ClientId.parse, entry["id"])
    partner_entry = entry.get("partner")
    partner = (
        Partner(
            partner_entry["protocol"],
            partner_entry["url"],
            partner_entry.get("request_hash", "xgw"),
        )
        if partner_entry
        else None
    )
    subsystems = tuple((s["code"], s["name"]) for s in entry.get("subsystems", []))
    _unique(f"{path}.subsystems", "subsystem", (code for code, _ in subsystems))
    codes = {code for code, _ in subsystems}
    services = tuple(
        _service(f"{path}.services[{i}]", member_id, s, codes, partner)
        for i, s in enumerate(entry.get("services", []))
    )
    _unique(f"{path}.services", "service", (s.id for s in services))
    tls = _certificates(f"{path}.tls_certificates", entry["tls_certificates"])
    signing = _certificates(f"{path}.signing_certificates", entry.get("signing_certificates", []))
    return Member(
        member_id,
        entry["name"],
        entry.get("gateway_url"),
        frozenset(fingerprint(c) for c in tls),
        tls,
        signing,
        subsystems,
        services,
        partner,
    )


@dataclass(frozen=True, slots=True)
class _Indexes:
    members: dict[ClientId, Member]
    services: dict[ServiceId, Service]
    services_of: dict[ClientId, tuple[Service, ...]]
    by_tls_fingerprint: dict[str, Member]  # gateways only
    partners_by_tls_fingerprint: dict[str, tuple[Member, ...]]
    by_kid: dict[str, tuple[Member, x509.Certificate]]


def _index(members: Sequence[Member]) -> _Indexes:
    _unique("members", "member", (m.id for m in members))
    services = {s.id: s for m in members for s in m.services}
    services_of: dict[ClientId, tuple[Service, ...]] = {}
    for service in services.values():
        services_of[service.id.provider] = (*services_of.get(service.id.provider, ()), service)
    by_fp: dict[str, Member] = {}
    partners_fp: dict[str, tuple[Member, ...]] = {}
    by_kid: dict[str, tuple[Member, x509.Certificate]] = {}
    for i, member in enumerate(members):
        for fp in member.tls_fingerprints:
            # One certificate for two members would let one act as the other. Partners
            # reached through one X-Road security server share its certificate: harmless,
            # since a partner's certificate never authenticates anyone to a gateway.
            other = by_fp.get(fp) or next(iter(partners_fp.get(fp, ())), None)
            if other is not None and not (member.is_partner and other.is_partner):
                raise DirectoryError(
                    f"members[{i}].tls_certificates: {fp} is listed for {other.id} too"
                )
            if member.is_partner:
                partners_fp[fp] = (*partners_fp.get(fp, ()), member)
            else:
                by_fp[fp] = member
        for cert in member.signing_certificates:
            if by_kid.setdefault(kid(cert), (member, cert))[0] is not member:
                raise DirectoryError(
                    f"members[{i}].signing_certificates: kid {kid(cert)} "
                    f"is listed for {by_kid[kid(cert)][0].id} too"
                )
    return _Indexes({m.id: m for m in members}, services, services_of, by_fp, partners_fp, by_kid)


def _access(
    entries: Sequence[Mapping[str, Any]], services: Mapping[ServiceId, Service]
) -> dict[tuple[ClientId, ServiceId], AccessRule]:
    index: dict[tuple[ClientId, ServiceId], AccessRule] = {}
    for i, entry in enumerate(entries):
        path = f"access[{i}]"
        client = _identifier(f"{path}.client", ClientId.parse, entry["client"])
        service_id = _identifier(f"{path}.service", ServiceId.parse, entry["service"])
        service = services.get(service_id)
        if service is None:
            raise DirectoryError(f"{path}.service: {service_id} is not a service of any member")
        granted = _endpoints(entry.get("endpoints", []))
        # A grant without endpoints inherits the service's (none there either: any endpoint).
        rule = _rule(f"{path}.endpoints", granted or service.endpoints)
        key = (client, service_id)
        index[key] = index[key].merge(rule) if key in index else rule
    return index


# ---------------------------------------------------------------------------- directory


class Directory:
    """One verified publication of the directory, indexed for the lookups of every exchange.

    Build it with :meth:`from_json` (or :func:`verify_directory` for a signed token);
    it does not change afterwards.
    """

    __slots__ = (
        "_access",
        "_cas",
        "_indexes",
        "_members",
        "_revoked",
        "_validity",
        "expires",
        "instance",
        "issued",
        "raw",
        "sequence",
        "token",
    )

    def __init__(self, raw: dict[str, Any], token: str) -> None:
        # Callers use from_json: it validates ``raw`` against the schema first.
        self.raw = raw
        self.token = token
        self.instance: str = raw["instance"]
        self.sequence: int = raw["sequence"]
        self.issued = _timestamp("issued", raw["issued"])
        self.expires = _timestamp("expires", raw["expires"])
        if self.expires <= self.issued:
            raise DirectoryError(f"expires: {raw['expires']} is not after issued {raw['issued']}")
        self._cas = _certificates("cas", raw["cas"])
        self._members = tuple(_member(f"members[{i}]", m) for i, m in enumerate(raw["members"]))
        self._indexes = _index(self._members)
        self._access = _access(raw.get("access", []), self._indexes.services)
        self._revoked = {
            int(entry["serial"], 16): entry.get("reason", "unspecified")
            for entry in raw.get("revoked", [])
        }
        self._validity: dict[int, _Validity] = {}

    @classmethod
    def from_json(cls, doc: dict[str, Any], *, token: str = "") -> Directory:
        """Validate ``doc`` (schema, then cross-references) and index it; DirectoryError."""
        validate_document(doc)
        return cls(doc, token)

    def __repr__(self) -> str:
        return (
            f"<Directory {self.instance} sequence {self.sequence} "
            f"expires {format_timestamp(self.expires)}>"
        )

    # -- lookups ------------------------------------------------------------

    @property
    def ca_certificates(self) -> tuple[x509.Certificate, ...]:
        return self._cas

    @property
    def members(self) -> tuple[Member, ...]:
        return self._members

    def member(self, member: ClientId) -> Member | None:
        """The member, whether ``member`` names it or one of its subsystems."""
        return self._indexes.members.get(member.member)

    def service(self, service: ServiceId) -> Service | None:
        return self._indexes.services.get(service)

    def services_of(self, provider: ClientId) -> tuple[Service, ...]:
        """The services of a subsystem (a member-level id has none)."""
        return self._indexes.services_of.get(provider, ())

    def member_by_tls_fingerprint(self, fp_hex: str) -> Member | None:
        """The gateway member with this TLS certificate; never a partner.

        Accepts ``ab12...`` as well as ``AB:12:...``.
        """
        return self._indexes.by_tls_fingerprint.get(fp_hex.replace(":", "").lower())

    def partners_by_tls_fingerprint(self, fp_hex: str) -> tuple[Member, ...]:
        """The partner members whose server presents this TLS certificate (several may
        share one X-Road security server)."""
        return self._indexes.partners_by_tls_fingerprint.get(fp_hex.replace(":", "").lower(), ())

    def signing_key(self, kid: str) -> tuple[Member, x509.Certificate] | None:
        return self._indexes.by_kid.get(kid)

    def clients(self) -> list[tuple[ClientId, str]]:
        """Every member and subsystem with its name, in document order (``listClients``)."""
        out: list[tuple[ClientId, str]] = []
        for m in self._members:
            out.append((m.id, m.name))
            out.extend(
                (ClientId(m.id.instance, m.id.member_class, m.id.member_code, code), name)
                for code, name in m.subsystems
            )
        return out

    # -- certificates -------------------------------------------------------

    def is_revoked(self, cert: x509.Certificate) -> bool:
        return cert.serial_number in self._revoked

    def check_certificate(self, cert: x509.Certificate, now: datetime) -> None:
        """CertValidationError when ``cert`` is revoked, expired or not yet valid."""
        # On every exchange: the descriptive strings are built only for a refusal.
        validity = self._validity_of(cert)
        reason = self._revoked.get(validity.serial)
        if reason is not None:
            raise CertValidationError(f"{_describe(cert)} is revoked ({reason})")
        if now < validity.not_before:
            raise CertValidationError(
                f"{_describe(cert)} is not valid before {format_timestamp(validity.not_before)}"
            )
        if now >= validity.not_after:
            raise CertValidationError(
                f"{_describe(cert)} expired at {format_timestamp(validity.not_after)}"
            )

    def _validity_of(self, cert: x509.Certificate) -> _Validity:
        """``cert``'s serial number and validity, read out of it once per certificate object.

        Each of these properties decodes the DER anew on every access. Keyed by identity
        (hashing a certificate hashes its DER); the entry holds the certificate, so its id
        is not reused while the entry lives. The certificates checked are the directory's
        own and the peers' it identified, so few; the bound is only a safety net.
        """
        validity = self._validity.get(id(cert))
        if validity is None or validity.cert is not cert:
            if len(self._validity) >= _VALIDITY_ENTRIES:
                self._validity.clear()
            validity = _Validity(
                cert, cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc
            )
            self._validity[id(cert)] = validity
        return validity

    # -- access rights ------------------------------------------------------

    def is_allowed(self, client: ClientId, service: ServiceId, method: str, path: str) -> bool:
        """Deny by default: only a subsystem with a grant covering ``method`` and ``path``."""
        if client.subsystem is None:
            return False
        rule = self._access.get((client, service))
        return rule is not None and rule.allows(method, path)

    def allowed_endpoints(self, client: ClientId, service: ServiceId) -> tuple[Endpoint, ...]:
        """What ``client`` may call on ``service``; ``(*, /**)`` when that is everything."""
        rule = self._access.get((client, service)) if client.subsystem else None
        if rule is None:
            return ()
        if rule.unrestricted:
            return (Endpoint("*", "/**"),)
        return tuple(Endpoint(e.method, e.path) for e in rule.endpoints)

    # -- freshness ----------------------------------------------------------

    def check_fresh(self, now: datetime) -> None:
        """DirectoryError past ``expires``, or before ``issued`` by more than CLOCK_SKEW."""
        if now >= self.expires:
            raise DirectoryError(
                f"directory sequence {self.sequence} expired at {format_timestamp(self.expires)}"
            )
        if now + CLOCK_SKEW < self.issued:
            raise DirectoryError(
                f"directory sequence {self.sequence} is not valid before "
                f"{format_timestamp(self.issued)} (check the clock)"
            )


# ---------------------------------------------------------------------------- signing


_VALIDITY_ENTRIES = 4096


class _Validity(NamedTuple):
    cert: x509.Certificate
    serial: int
    not_before: datetime
    not_after: datetime


def _describe(cert: x509.Certificate) -> str:
    return f"certificate {cert.subject.rfc4514_string()} (serial {cert.serial_number:x})"


def sign_directory(doc: dict[str, Any], key: PrivateKey, cert: x509.Certificate) -> str:
    """A compact JWS over ``doc`` (sorted-key JSON), ``kid`` and ``typ`` in the header.

    Refuses a document no gateway would accept (DirectoryError) and a key that does not
    belong to ``cert`` (ConfigError): both would only surface later, on every gateway.
    """
    Directory.from_json(doc)
    algorithm = jws_algorithm(key)
    payload = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    token = _JWS.encode(
        payload, key, algorithm=algorithm, headers={"kid": kid(cert), "typ": JWS_TYPE}
    )
    try:
        _JWS.decode_complete(token, _public_key(cert), algorithms=[algorithm])
    except (jwt_errors.PyJWTError, DirectoryError) as exc:
        raise ConfigError(
            "key",
            f"the private key does not belong to the certificate {cert.subject.rfc4514_string()}",
        ) from exc
    return token


def _public_key(cert: x509.Certificate) -> PublicKey:
    try:
        return certificate_public_key(cert)
    except CertValidationError as exc:
        raise DirectoryError(str(exc)) from exc


def inspect_token(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and document of a token WITHOUT checking the signature: for display only."""
    try:
        decoded = _JWS.decode_complete(token.strip(), options={"verify_signature": False})
        doc = orjson.loads(decoded["payload"])
    except (jwt_errors.PyJWTError, orjson.JSONDecodeError) as exc:
        raise DirectoryError(f"malformed directory JWS: {exc}") from exc
    if not isinstance(doc, dict):
        raise DirectoryError("malformed directory JWS: the payload is not a JSON object")
    return decoded["header"], doc


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        header = _JWS.get_unverified_header(token)
    except jwt_errors.PyJWTError as exc:
        raise DirectoryError(f"malformed directory JWS: {exc}") from exc
    if header.get("typ") != JWS_TYPE:
        raise DirectoryError(
            f"not a directory JWS: typ {header.get('typ')!r}, expected {JWS_TYPE!r}"
        )
    if "crit" in header or "b64" in header:
        raise DirectoryError("malformed directory JWS: unsupported 'crit' or 'b64' header")
    if not isinstance(header.get("kid"), str):
        raise DirectoryError("malformed directory JWS: no 'kid' in the header")
    return header


def _anchor(
    header: Mapping[str, Any], anchors: Sequence[x509.Certificate], now: datetime
) -> tuple[x509.Certificate, PublicKey]:
    by_kid = {kid(cert): cert for cert in anchors}
    cert = by_kid.get(header["kid"])
    if cert is None:
        raise DirectoryError(
            f"signed by an unknown key (kid {header['kid']}); trust anchors: "
            f"{', '.join(by_kid) or 'none configured'}"
        )
    subject = cert.subject.rfc4514_string()
    if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
        raise DirectoryError(
            f"trust anchor {subject} is valid only from "
            f"{format_timestamp(cert.not_valid_before_utc)} to "
            f"{format_timestamp(cert.not_valid_after_utc)}"
        )
    key = _public_key(cert)
    if header.get("alg") != jws_algorithm(key):
        # Never let the token choose how its own signature is checked.
        raise DirectoryError(
            f"alg {header.get('alg')!r} does not fit the trust anchor "
            f"{subject} ({jws_algorithm(key)})"
        )
    return cert, key


def verify_directory(
    token: str, trust_anchors: Sequence[x509.Certificate], *, now: datetime | None = None
) -> Directory:
    """Check signature (by a trust anchor, matched by kid), schema and freshness.

    Every failure is a DirectoryError whose message is the reason: "bad signature ...",
    "directory sequence 7 expired at ...", "schema: members[0].gateway_url: ...".
    """
    now = now or datetime.now(UTC)
    token = token.strip()
    header = _unverified_header(token)
    cert, key = _anchor(header, trust_anchors, now)
    try:
        decoded = _JWS.decode_complete(token, key, algorithms=[header["alg"]])
    except jwt_errors.InvalidSignatureError as exc:
        raise DirectoryError(
            f"bad signature (kid {header['kid']}, trust anchor {cert.subject.rfc4514_string()})"
        ) from exc
    except jwt_errors.PyJWTError as exc:
        raise DirectoryError(f"malformed directory JWS: {exc}") from exc
    try:
        doc = orjson.loads(decoded["payload"])
    except orjson.JSONDecodeError as exc:
        raise DirectoryError(f"the signed payload is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise DirectoryError("the signed payload is not a JSON object")
    directory = Directory.from_json(doc, token=token)
    directory.check_fresh(now)
    return directory


# ---------------------------------------------------------------------------- loading
