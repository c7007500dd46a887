"""One audit record: what the gateway saw of one message of an exchange.

Usage::

    record = AuditRecord(
        exchange_id="5f1c0e52-3a52-4f57-9a0c-2b8f0f3b1f4e",
        kind="request",
        direction="outbound",
        time=AuditRecord.now(),
        client="DE/GOV/05974028/gewerbeamt",
        service="EE/GOV/70000310/ariregister/detailandmed_v2",
        method="GET",
        path="/companies/12345678",
        digest="sha-256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    )
    data = record.canonical()          # the bytes that are hashed into the chain
    assert AuditRecord.from_canonical(data) == record

The canonical form is the contract with outside verifiers; ``docs/audit-log.md``
spells out its rules so that anyone can rebuild it without this code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

__all__ = ["FIELD_NAMES", "OPTIONAL_FIELDS", "AuditRecord", "check_fields"]

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
# "admin": an administrator's act (docs/audit-log.md, "Admin events"), direction "local".
_KINDS = frozenset({"request", "response", "admin"})
_DIRECTIONS = frozenset({"outbound", "inbound", "local"})
_STR = (str,)
_OPT_STR = (str, type(None))
_OPT_INT = (int, type(None))
_OPT_NUM = (float, int, type(None))
_NUMBERS = (float, int)
_SEQUENCES = (list, tuple)
_NO_PAIR = "field 'signed_headers' holds an item that is no [name, value] pair of strings"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One message of an exchange, as recorded by one gateway."""

    exchange_id: str
    kind: Literal["request", "response", "admin"]
    direction: Literal["outbound", "inbound", "local"]
    time: str
    client: str
    service: str
    method: str
    path: str
    digest: str
    signature: str | None = None
    nonce: str | None = None
    peer: str | None = None
    status: int | None = None
    error_type: str | None = None
    duration_ms: float | None = None
    notes: str | None = None  # translation notes, one per line: what could not be carried across
    # The header lines the hop signature covers, as (name, value) in the signing input's
    # order: every x-road-* line, then content-type. None: no hop signature, or a record
    # written before the field existed. Written into the canonical form only when present.
    signed_headers: tuple[tuple[str, str], ...] | None = None

    def canonical(self) -> bytes:
        """Compact JSON of every field, keys sorted, ``None`` kept as ``null``

        (but ``signed_headers``, which is left out when ``None``)."""
        # A dict, not the dataclass: orjson writes dataclasses in field order
        # and ignores OPT_SORT_KEYS for them.
        values: dict[str, Any] = {
            "client": self.client,
            "digest": self.digest,
            "direction": self.direction,
            "duration_ms": self.duration_ms,
            "error_type": self.error_type,
            "exchange_id": self.exchange_id,
            "kind": self.kind,
            "method": self.method,
            "nonce": self.nonce,
            "notes": self.notes,
            "path": self.path,
            "peer": self.peer,
            "service": self.service,
            "signature": self.signature,
            "status": self.status,
            "time": self.time,
        }
        # Absent, not null, when there is none: the records written before the field
        # existed keep their exact bytes, and so their leaf hashes.
        if self.signed_headers is not None:
            values["signed_headers"] = self.signed_headers
        return orjson.dumps(values, option=orjson.OPT_SORT_KEYS)

    @staticmethod
    def now() -> str:
        """The current UTC time as ``2026-11-28T02:05:11.123456Z``."""
        # isoformat, not strftime: the same text in about two thirds of the time, and
        # this runs for every record. "+00:00" always ends it, as the time is UTC.
        return datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z"

    @classmethod
    def from_canonical(cls, data: bytes) -> AuditRecord:
        """Rebuild a record from its canonical bytes; ``ValueError`` if they are not one."""
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from exc
        check_fields(parsed)
        signed = parsed.pop("signed_headers", None)
        if signed is not None:
            parsed["signed_headers"] = tuple((name, value) for name, value in signed)
        return cls(**parsed)

    def problem(self) -> str | None:
        """Why this record cannot be stored as it is, or ``None`` when it can."""
        return _problem(self)


FIELD_NAMES: frozenset[str] = frozenset(f.name for f in fields(AuditRecord))
# Fields a record may lack: added after records were first written.
OPTIONAL_FIELDS: frozenset[str] = frozenset({"signed_headers"})
_REQUIRED_FIELDS = FIELD_NAMES - OPTIONAL_FIELDS

# Exact types on purpose: a bool is not a status and a UUID object is not an id.
_FIELD_TYPES: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("exchange_id", _STR),
    ("kind", _STR),
    ("direction", _STR),
    ("time", _STR),
    ("client", _STR),
    ("service", _STR),
    ("method", _STR),
    ("path", _STR),
    ("digest", _STR),
    ("signature", _OPT_STR),
    ("nonce", _OPT_STR),
    ("peer", _OPT_STR),
    ("status", _OPT_INT),
    ("error_type", _OPT_STR),
    ("duration_ms", _OPT_NUM),
    ("notes", _OPT_STR),
)


def _problem(r: Any) -> str | None:
    # Typed Any: the checks guard against callers that ignored the annotations.
    # Unrolled because it runs for every record; a loop over _FIELD_TYPES is 4x slower.
    if not (
        type(r.exchange_id) is str
        and type(r.kind) is str
        and type(r.direction) is str
        and type(r.time) is str
        and type(r.client) is str
        and type(r.service) is str
        and type(r.method) is str
        and type(r.path) is str
        and type(r.digest) is str
        and (r.signature is None or type(r.signature) is str)
        and (r.nonce is None or type(r.nonce) is str)
        and (r.peer is None or type(r.peer) is str)
        and (r.status is None or type(r.status) is int)
        and (r.error_type is None or type(r.error_type) is str)
        and (r.duration_ms is None or type(r.duration_ms) in _NUMBERS)
        and (r.notes is None or type(r.notes) is str)
    ):
        return _type_problem(r)
    if r.signed_headers is not None:
        problem = _headers_problem(r.signed_headers)
        if problem is not None:
            return problem
    return _value_problem(r.kind, r.direction, r.time, r.duration_ms)


def _headers_problem(headers: Any) -> str | None:
    """Why ``headers`` are no signed header lines: a sequence of [name, value] strings.

    A name holds no ``:`` and neither holds a line break, so that the lines they make
    in the signing input read back as the same pairs.
    """
    # A tuple of types, not ``list | tuple``: isinstance takes it in half the time.
    if not isinstance(headers, _SEQUENCES):
        return f"field 'signed_headers' has type {type(headers).__name__}"
    for pair in headers:
        if not isinstance(pair, _SEQUENCES) or len(pair) != 2:
            return _NO_PAIR
        name, value = pair
        if type(name) is not str or type(value) is not str:
            return _NO_PAIR
        if not name or ":" in name or "\n" in name or "\n" in value:
            return f"signed header {name[:40]!r} has an empty name, a ':' in it or a line break"
    return None


def _type_problem(record: AuditRecord) -> str:
    for name, types in _FIELD_TYPES:
        value = getattr(record, name)
        if type(value) not in types:
            return f"field {name!r} has type {type(value).__name__}"
    raise AssertionError("no field has a wrong type")  # pragma: no cover


def _value_problem(kind: str, direction: str, time: str, duration: float | None) -> str | None:
    if kind not in _KINDS:
        return f"kind {kind!r} is not request, response or admin"
    if direction not in _DIRECTIONS:
        return f"direction {direction!r} is not outbound, inbound or local"
    if (kind == "admin") != (direction == "local"):
        return f"kind {kind!r} with direction {direction!r}: admin records alone are local"
    # A fixed-width time is what makes string order equal time order in the index.
    if not _TIME.fullmatch(time):
        return f"time {time!r} is not RFC 3339 UTC with microseconds"
    if duration is not None and not math.isfinite(duration):
        return "duration_ms is not a finite number"  # JSON has no NaN; orjson writes null
    return None


def check_fields(parsed: Any) -> None:
    """Raise ``ValueError`` unless ``parsed`` (decoded JSON) has exactly a record's fields."""
    if not isinstance(parsed, Mapping):
        raise ValueError("record is not a JSON object")
    keys = parsed.keys()
    if not (_REQUIRED_FIELDS <= keys <= FIELD_NAMES):
        missing = sorted(_REQUIRED_FIELDS - keys)
        extra = sorted(keys - FIELD_NAMES)
        raise ValueError(f"record fields differ: missing {missing}, unexpected {extra}")
    for name, types in _FIELD_TYPES:
        if type(parsed[name]) not in types:
            raise ValueError(f"field {name!r} has type {type(parsed[name]).__name__}")
    if "signed_headers" in keys:
        # Written only when present: a null would give the record a second canonical form.
        signed = parsed["signed_headers"]
        problem = (
            "field 'signed_headers' is null: leave it out instead"
            if signed is None
            else _headers_problem(signed)
        )
        if problem is not None:
            raise ValueError(problem)
    problem = _value_problem(
        parsed["kind"], parsed["direction"], parsed["time"], parsed["duration_ms"]
    )
    if problem is not None:
        raise ValueError(problem)
