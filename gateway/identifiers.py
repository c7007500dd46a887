"""X-Road identifiers: members, subsystems and services.

Usage::

    client = ClientId.parse("DE/GOV/05974028/gewerbeamt")
    service = ServiceId.parse("EE/GOV/70000310/ariregister/detailandmed_v2")
    service.provider            # ClientId("EE", "GOV", "70000310", "ariregister")

Character rules are X-Road's (PR-REST 4.2): letters, digits and ``'()+,-.=?``,
plus ``_`` which real service codes use. On the wire a path is split on ``/``
first and then each part is percent-decoded, so an encoded ``/`` can only ever
end up inside the service code (the spec's ``BAR%2FSERVICE`` example).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from gateway.errors import BadRequestError, InvalidClientIdentifierError

__all__ = ["ClientId", "ServiceId", "split_service_path"]

_PART = re.compile(r"[A-Za-z0-9'()+,\-.=?_]+")
_WIRE_SAFE = "'()+,-.=_"  # identifier characters that need no encoding in a path
_SERVICE_CODE = re.compile(r"[A-Za-z0-9'()+,\-.=?_/]+")


def _check_part(value: str, what: str, pattern: re.Pattern[str] = _PART) -> str:
    if not pattern.fullmatch(value):
        raise BadRequestError(f"invalid {what} {value!r} in identifier")
    return value


@dataclass(frozen=True, slots=True)
class ClientId:
    """A member (``INSTANCE/CLASS/CODE``) or subsystem (``.../SUBSYSTEM``)."""

    instance: str
    member_class: str
    member_code: str
    subsystem: str | None = None

    @classmethod
    def parse(cls, text: str) -> ClientId:
        parts = text.strip().split("/")
        if len(parts) not in (3, 4):
            raise InvalidClientIdentifierError(
                f"client identifier {text!r} must be INSTANCE/CLASS/CODE[/SUBSYSTEM]"
            )
        try:
            for part in parts:
                _check_part(part, "part")
        except BadRequestError as exc:
            raise InvalidClientIdentifierError(f"client identifier {text!r}: {exc}") from exc
        return cls(*parts)

    @property
    def member(self) -> ClientId:
        return ClientId(self.instance, self.member_class, self.member_code)

    @property
    def object_type(self) -> str:
        return "MEMBER" if self.subsystem is None else "SUBSYSTEM"

    def __str__(self) -> str:
        base = f"{self.instance}/{self.member_class}/{self.member_code}"
        return base if self.subsystem is None else f"{base}/{self.subsystem}"

    def as_json(self) -> dict[str, str]:
        """The shape of X-Road's metaservice JSON (``listClients``)."""
        # Key order as in PR-META's C1 example: subsystem_code before object_type.
        out = {"member_class": self.member_class, "member_code": self.member_code}
        if self.subsystem is not None:
            out["subsystem_code"] = self.subsystem
        out["object_type"] = self.object_type
        out["xroad_instance"] = self.instance
        return out


@dataclass(frozen=True, slots=True)
class ServiceId:
    """A service: ``INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICECODE``."""

    provider: ClientId
    code: str

    @classmethod
    def parse(cls, text: str) -> ServiceId:
        parts = text.strip().split("/", 4)
        if len(parts) != 5:
            raise BadRequestError(
                f"service identifier {text!r} must be INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE"
            )
        for part in parts[:4]:
            _check_part(part, "part")
        _check_part(parts[4], "service code", _SERVICE_CODE)
        return cls(ClientId(*parts[:4]), parts[4])

    def __str__(self) -> str:
        return f"{self.provider}/{self.code}"

    def wire(self) -> str:
        """The identifier as a raw path: every part percent-encoded on its own, so that a
        ``/`` or ``?`` inside a part cannot change where the path or the query begins."""
        parts = (
            self.provider.instance,
            self.provider.member_class,
            self.provider.member_code,
            self.provider.subsystem or "",
            self.code,
        )
        return "/".join(quote(part, safe=_WIRE_SAFE) for part in parts)

    def as_json(self) -> dict[str, str]:
        out = self.provider.as_json()
        out["object_type"] = "SERVICE"
        out["service_code"] = self.code
        return out


def _decode_segment(segment: str) -> str:
    """Percent-decode one path segment; bytes that are not UTF-8 are the caller's fault."""
    if "%" not in segment:
        return segment
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"invalid percent-encoding in path segment {segment!r}") from exc


def split_service_path(raw_path: str) -> tuple[ServiceId, str]:
    """Split a raw ``/r1/...`` remainder into the service and the backend path.

    ``raw_path`` is what follows ``/r1/`` exactly as it arrived (still
    percent-encoded, without the query). The first five segments name the
    service, each decoded on its own; the rest is passed on untouched.
    """
    segments = raw_path.split("/")
    if len(segments) < 5 or not all(segments[:5]):
        raise BadRequestError(
            "request path must be /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]"
        )
    decoded = [_decode_segment(seg) for seg in segments[:5]]
    for part in decoded[:4]:
        if "/" in part:
            raise BadRequestError(f"encoded '/' is only allowed in the service code: {part!r}")
        _check_part(part, "part")
    _check_part(decoded[4], "service code", _SERVICE_CODE)
    rest = "/".join(segments[5:])
    return ServiceId(ClientId(*decoded[:4]), decoded[4]), ("/" + rest if len(segments) > 5 else "")
