"""``xgw directory create|sign|show``: what the federation operator runs to publish a directory.

Usage::

    create(Path("federation.toml"), Path("directory.json"), valid_hours=24)
    sign(Path("directory.json"), Path("certs/operator.key"), Path("certs/operator.pem"),
         Path("directory.jws"))
    show(Path("directory.jws"), trust_anchor=Path("certs/operator.pem"), as_json=False)

Each function prints to stdout and returns an exit code; bad input (a missing file, a
spec that does not make a valid directory) raises ConfigError, which ``xgw``'s ``main``
prints once. The spec is TOML with certificate file paths (relative to the spec)
instead of inline PEM; docs/directory.md describes it.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from cryptography import x509

from gateway._crypto import (
    certificate_to_pem,
    fingerprint,
    issued_by,
    kid,
    load_certificate,
    load_certificates,
    load_private_key,
)
from gateway.directory import (
    FORMAT,
    Directory,
    Member,
    Service,
    format_timestamp,
    inspect_token,
    sign_directory,
    verify_directory,
)
from gateway.errors import CertValidationError, ConfigError, DirectoryError
from gateway.files import write_atomic

__all__ = ["build_directory", "create", "directory_summary", "show", "sign"]

_SPEC_KEYS = frozenset({"instance", "cas", "members", "access", "revoked"})
_MEMBER_CERT_KEYS = ("tls_certificates", "signing_certificates")
_PEM_START = "-----BEGIN"

# ---------------------------------------------------------------------------- create


def _read_spec(spec_path: Path) -> dict[str, Any]:
    try:
        with spec_path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError("spec", f"file {spec_path} does not exist") from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("spec", f"{spec_path}: {exc}") from exc


def _certificates_at(base_dir: Path, entry: object, key: str) -> list[x509.Certificate]:
    """The certificates of one spec entry: a file path (relative to the spec) or inline PEM."""
    if not isinstance(entry, str):
        raise ConfigError(key, f"expected a certificate file path, got {entry!r}")
    if entry.lstrip().startswith(_PEM_START):
        try:
            return load_certificates(entry)
        except CertValidationError as exc:
            raise ConfigError(key, exc.message) from exc
    path = base_dir / entry
    try:
        return load_certificates(path.read_bytes())
    except FileNotFoundError as exc:
        raise ConfigError(key, f"file {path} does not exist") from exc
    except (OSError, CertValidationError) as exc:
        raise ConfigError(key, f"{path}: {exc}") from exc


def _as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _member_doc(base_dir: Path, member: Mapping[str, Any], index: int) -> dict[str, Any]:
    doc = dict(member)
    # A partner member lists no signing certificates: only what the spec names is written.
    for key in (k for k in _MEMBER_CERT_KEYS if k in member):
        # A member's file holds its certificate first; a chain after it is not listed.
        doc[key] = [
            certificate_to_pem(_certificates_at(base_dir, entry, f"members[{index}].{key}")[0])
            for entry in _as_list(member.get(key, []))
        ]
    return doc


def _revoked_doc(base_dir: Path, entry: Mapping[str, Any], index: int) -> dict[str, Any]:
    """``serial`` (hex, colons allowed) or ``certificate`` (a file) names what is revoked."""
    doc = {k: v for k, v in entry.items() if k != "certificate"}
    if "certificate" in entry:
        cert = _certificates_at(base_dir, entry["certificate"], f"revoked[{index}].certificate")[0]
        doc["serial"] = format(cert.serial_number, "x")
    elif isinstance(entry.get("serial"), str):
        doc["serial"] = entry["serial"].replace(":", "").lower()
    return doc


def _check_issuers(directory: Directory) -> None:
    """Every gateway's certificate must be issued by a listed CA, or no handshake will work.

    A partner's server certificates come from its own CA: they are pinned, not chained.
    """
    for member in directory.members:
        if member.is_partner:
            continue
        for cert in member.tls_certificates + member.signing_certificates:
            if not any(issued_by(cert, ca) for ca in directory.ca_certificates):
                raise ConfigError(
                    "spec",
                    f"member {member.id}: certificate "
                    f"{cert.subject.rfc4514_string()} is not issued by a CA in 'cas'",
                )


def build_directory(
    spec: dict[str, Any],
    base_dir: Path,
    *,
    valid_hours: float,
    sequence: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned directory document for ``spec``, checked against the schema.

    ConfigError names what is wrong: an unknown spec key, a missing certificate file,
    a schema violation ("schema: members[0].gateway_url: ..."), a member certificate
    that no listed CA issued.
    """
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if unknown:
        raise ConfigError(
            "spec", f"unknown keys {', '.join(unknown)} (allowed: {', '.join(sorted(_SPEC_KEYS))})"
        )
    if not valid_hours > 0:
        raise ConfigError("valid_hours", f"must be positive, got {valid_hours}")
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "instance": spec.get("instance"),
        "sequence": sequence,
        "issued": format_timestamp(issued),
        "expires": format_timestamp(issued + timedelta(hours=valid_hours)),
        "cas": [
            certificate_to_pem(cert)
            for entry in _as_list(spec.get("cas", []))
            for cert in _certificates_at(base_dir, entry, "cas")
        ],
        "members": [_member_doc(base_dir, m, i) for i, m in enumerate(spec.get("members", []))],
        "access": list(spec.get("access", [])),
        "revoked": [_revoked_doc(base_dir, r, i) for i, r in enumerate(spec.get("revoked", []))],
    }
    try:
        directory = Directory.from_json(doc)
    except DirectoryError as exc:
        raise ConfigError("spec", exc.message) from exc
    _check_issuers(directory)
    return doc


def _next_sequence(out_path: Path) -> int:
    """Unix seconds, or one more than the directory already at ``out_path`` if that is higher.

    Time keeps sequences increasing across operators' machines without shared state.
    """
    previous = -1
    try:
        previous = int(orjson.loads(out_path.read_bytes())["sequence"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        pass  # no earlier directory there: time alone decides
    return max(int(time.time()), previous + 1)


def create(
    spec_path: Path, out_path: Path, *, valid_hours: float = 24.0, sequence: int | None = None
) -> int:
    """Write the unsigned directory JSON for the TOML spec at ``spec_path``."""
    spec = _read_spec(spec_path)
    seq = sequence if sequence is not None else _next_sequence(out_path)
    doc = build_directory(spec, spec_path.parent, valid_hours=valid_hours, sequence=seq)
    write_atomic(out_path, orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    print(
        f"wrote unsigned directory {doc['instance']} sequence {seq} "
        f"(expires {doc['expires']}) to {out_path}"
    )
    print("sign it with the operator key before publishing: xgw directory sign")
    return 0


# ---------------------------------------------------------------------------- sign


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = orjson.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise ConfigError("input", f"file {path} does not exist") from exc
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigError("input", f"{path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise ConfigError("input", f"{path}: not a JSON object")
    return doc


def sign(in_path: Path, key_path: Path, cert_path: Path, out_path: Path) -> int:
    """Sign the directory JSON at ``in_path``; write the compact JWS to ``out_path``."""
    doc = _read_json(in_path)
    key = load_private_key(key_path, key_name="key")
    cert = load_certificate(cert_path, key_name="cert")
    try:
        token = sign_directory(doc, key, cert)
        # Verifying as a gateway would catches an expired document before it is published.
        directory = verify_directory(token, [cert])
    except DirectoryError as exc:
        raise ConfigError("input", f"{in_path}: {exc.message}") from exc
    write_atomic(out_path, token.encode("ascii") + b"\n")
    print(
        f"signed directory {directory.instance} sequence {directory.sequence} "
        f"(expires {format_timestamp(directory.expires)}) with kid {kid(cert)}; "
        f"wrote {out_path}"
    )
    return 0


# ---------------------------------------------------------------------------- show


def _certificate_summary(
    cert: x509.Certificate, directory: Directory, now: datetime
) -> dict[str, Any]:
    return {
        "subject": cert.subject.rfc4514_string(),
        "sha256": fingerprint(cert),
        "kid": kid(cert),
        "serial": format(cert.serial_number, "x"),
        "not_after": format_timestamp(cert.not_valid_after_utc),
        "status": _certificate_status(cert, directory, now),
    }


def _certificate_status(cert: x509.Certificate, directory: Directory, now: datetime) -> str:
    if directory.is_revoked(cert):
        return "REVOKED"
    if now >= cert.not_valid_after_utc:
        return "EXPIRED"
    return "NOT YET VALID" if now < cert.not_valid_before_utc else "valid"


def _service_summary(service: Service) -> dict[str, Any]:
    openapi = service.openapi
    if openapi is not None and not openapi.startswith(("http://", "https://")):
        openapi = f"inline ({len(openapi)} characters)"
    return {
        "id": str(service.id),
        "type": service.type,
        "format": service.format,
        "version": service.version,
        "address": service.address,
        "endpoints": [f"{e.method} {e.path}" for e in service.endpoints],
        "openapi": openapi,
    }


def _member_summary(member: Member, directory: Directory, now: datetime) -> dict[str, Any]:
    partner = member.partner
    return {
        "id": str(member.id),
        "name": member.name,
        "gateway_url": member.gateway_url,
        "partner": None
        if partner is None
        else {
            "protocol": partner.protocol,
            "url": partner.url,
            "request_hash": partner.request_hash,
        },
        "tls_certificates": [
            _certificate_summary(c, directory, now) for c in member.tls_certificates
        ],
        "signing_certificates": [
            _certificate_summary(c, directory, now) for c in member.signing_certificates
        ],
        "subsystems": [{"code": code, "name": name} for code, name in member.subsystems],
        "services": [_service_summary(s) for s in member.services],
    }


def directory_summary(directory: Directory, now: datetime) -> dict[str, Any]:
    raw = directory.raw
    return {
        "instance": directory.instance,
        "sequence": directory.sequence,
        "issued": raw["issued"],
        "expires": raw["expires"],
        "expired": now >= directory.expires,
        "cas": [_certificate_summary(c, directory, now) for c in directory.ca_certificates],
        "members": [_member_summary(m, directory, now) for m in directory.members],
        "access": [
            {
                "client": a["client"],
                "service": a["service"],
                "endpoints": [f"{e['method']} {e['path']}" for e in a.get("endpoints", [])],
            }
            for a in raw.get("access", [])
        ],
        "revoked": [
            {"serial": r["serial"], "reason": r.get("reason", "unspecified")}
            for r in raw.get("revoked", [])
        ],
    }


def _load_anchors(path: Path) -> list[x509.Certificate]:
    try:
        return load_certificates(path.read_bytes())
    except FileNotFoundError as exc:
        raise ConfigError("trust_anchor", f"file {path} does not exist") from exc
    except (OSError, CertValidationError) as exc:
        raise ConfigError("trust_anchor", f"{path}: {exc}") from exc


def _inspect(text: str, anchor_path: Path | None) -> dict[str, Any]:
    """Verification status, JWS header and the parsed directory (when it parses)."""
    signed = not text.lstrip().startswith("{")
    report: dict[str, Any] = {
        "signed": signed,
        "header": None,
        "status": "NOT VERIFIED",
        "reason": "no trust anchor given",
        "directory": None,
    }
    try:
        if signed:
            report["header"], doc = inspect_token(text)
        else:
            doc = orjson.loads(text)
            if not isinstance(doc, dict):
                raise DirectoryError("not a JSON object")
        report["directory"] = Directory.from_json(doc, token=text.strip() if signed else "")
    except (DirectoryError, orjson.JSONDecodeError) as exc:
        report.update(status="INVALID", reason=str(exc))
        return report
    if anchor_path is not None:
        report.update(_verification(text, signed, _load_anchors(anchor_path)))
    return report


def _verification(text: str, signed: bool, anchors: list[x509.Certificate]) -> dict[str, str]:
    if not signed:
        return {"status": "INVALID", "reason": "not signed (an unsigned directory JSON)"}
    try:
        verify_directory(text, anchors)
    except DirectoryError as exc:
        return {"status": "INVALID", "reason": exc.message}
    return {"status": "VALID", "reason": ""}


def _print_certificates(label: str, certs: list[dict[str, Any]], indent: str) -> None:
    for cert in certs:
        print(f"{indent}{label:<8} sha256 {cert['sha256']}")
        if label == "signing":  # the kid that message and directory JWS headers carry
            print(f"{indent}{'':<8} kid {cert['kid']}")
        print(
            f"{indent}{'':<8} {cert['subject']}, serial {cert['serial']}, "
            f"expires {cert['not_after']} [{cert['status']}]"
        )


def _print_member(member: dict[str, Any]) -> None:
    partner = member["partner"]
    where = (
        member["gateway_url"]
        if partner is None
        else f"partner without xgw, {partner['protocol']} at {partner['url']}"
    )
    print(f"  {member['id']}  {member['name']}  {where}")
    _print_certificates("tls", member["tls_certificates"], "    ")
    _print_certificates("signing", member["signing_certificates"], "    ")
    for subsystem in member["subsystems"]:
        print(f"    subsystem {subsystem['code']} ({subsystem['name']})")
    for service in member["services"]:
        version = f"  version {service['version']}" if service["version"] else ""
        address = f"  at {service['address']}" if service["address"] else ""
        print(
            f"    service {service['id']}  {service['type']}  format {service['format']}"
            f"{version}{address}"
        )
        for endpoint in service["endpoints"] or ["* /** (no endpoints listed: any)"]:
            print(f"      {endpoint}")
        if service["openapi"]:
            print(f"      openapi: {service['openapi']}")


def _print_summary(summary: dict[str, Any]) -> None:
    expired = "  [EXPIRED]" if summary["expired"] else ""
    print(f"directory {summary['instance']} sequence {summary['sequence']}")
    print(f"issued    {summary['issued']}")
    print(f"expires   {summary['expires']}{expired}")
    print("CAs")
    _print_certificates("ca", summary["cas"], "  ")
    print("members" if summary["members"] else "members: none")
    for member in summary["members"]:
        _print_member(member)
    print("access rights" if summary["access"] else "access rights: none")
    for grant in summary["access"]:
        endpoints = ", ".join(grant["endpoints"]) or "every endpoint of the service"
        print(f"  {grant['client']} -> {grant['service']}: {endpoints}")
    print("revoked" if summary["revoked"] else "revoked: none")
    for entry in summary["revoked"]:
        print(f"  serial {entry['serial']} ({entry['reason']})")


def show(path: Path, trust_anchor: Path | None, as_json: bool) -> int:
    """Print a summary of a signed ``.jws`` or unsigned ``.json`` directory; 1 when INVALID."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("directory", f"cannot read {path}: {exc}") from exc
    report = _inspect(text, trust_anchor)
    directory: Directory | None = report["directory"]
    now = datetime.now(UTC)
    summary = directory_summary(directory, now) if directory is not None else None
    header = report["header"] or {}
    verdict = report["status"] + (f" ({report['reason']})" if report["reason"] else "")
    if as_json:
        out = {
            "file": str(path),
            "signed": report["signed"],
            "kid": header.get("kid"),
            "alg": header.get("alg"),
            "status": report["status"],
            "reason": report["reason"],
            "directory": summary,
        }
        print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    else:
        print(f"file      {path} ({'signed JWS' if report['signed'] else 'unsigned JSON'})")
        if header:
            print(f"signer    kid {header.get('kid')}, alg {header.get('alg')}")
        print(f"status    {verdict}")
        if summary is not None:
            _print_summary(summary)
    return 1 if report["status"] == "INVALID" else 0
