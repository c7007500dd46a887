"""Identifiers of persons and organisations: normalised, checked, carried as ``{notation, scheme}``.

Usage::

    from connectors.identifiers import validate

    validate("be.enterprise", "BE 0403.170.701").as_json()
    # -> {"notation": "0403170701", "scheme": "be.enterprise"}
    validate("nl.bsn", "999993654")
    # raises InvalidIdentifierError (Client.BadRequest):
    #   "nl.bsn 99••••••54: 11-check fails (sum 351 is not divisible by 11)"
    validate("ee.isikukood", "39901010000", lenient=True).warnings
    # -> ("lenient mode accepted: check digit fails (expected 5)",)

Every scheme in :data:`SCHEMES` has a normalisation (separators removed, lost
leading zeros restored where the length is fixed) and rules, each of one kind:
format (length, characters) always fails; structure (dates, ranges, digit
rules) and checksum fail unless ``lenient=True``, the per-partner mode for test
environments, turns them into warnings; an advisory rule (Luxembourg's 13th
digit) only ever warns. Error messages mask the identifier: personal numbers
are personal data. The rules and their sources: docs/identifiers.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from connectors.identifiers._schemes import SCHEMES as _SCHEMES
from connectors.identifiers._schemes import Failure, Kind, Scheme
from gateway.errors import ClientError

__all__ = [
    "SCHEMES",
    "Identifier",
    "InvalidIdentifierError",
    "check",
    "normalise",
    "validate",
]

SCHEMES: Mapping[str, str] = MappingProxyType(
    {code: scheme.description for code, scheme in _SCHEMES.items()}
)

# No identifier here comes near this; longer input is refused before any rule runs.
_MAX_LENGTH = 64
_LENIENT = frozenset({Kind.STRUCTURE, Kind.CHECKSUM})
_BULLETS = "\u2022" * 6


@dataclass(frozen=True, slots=True)
class Identifier:
    """A checked identifier: the canonical model's ``{notation, scheme}``, plus warnings."""

    notation: str
    scheme: str
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, str]:
        return {"notation": self.notation, "scheme": self.scheme}


class InvalidIdentifierError(ClientError):
    """An identifier fails a rule of its scheme (``Client.BadRequest``, HTTP 400).

    The message names the scheme, the masked identifier and every rule that
    failed; :attr:`failures` holds those rules one by one.
    """

    code = "BadRequest"

    def __init__(self, message: str, *, scheme: str, failures: Sequence[str]) -> None:
        super().__init__(message)
        self.scheme = scheme
        self.failures = tuple(failures)

    @classmethod
    def from_failures(
        cls, scheme: str, notation: str, failures: Sequence[str]
    ) -> InvalidIdentifierError:
        message = f"{scheme} {_mask(notation)}: {'; '.join(failures)}"
        return cls(message, scheme=scheme, failures=failures)


def normalise(scheme: str, raw: str) -> str:
    """The notation ``raw`` stands for in ``scheme``, whether or not it is valid."""
    return _lookup(scheme).clean(raw)


def check(scheme: str, raw: str) -> list[str]:
    """Every rule ``raw`` fails in ``scheme``, warnings included; empty when it passes."""
    spec = _lookup(scheme)
    return [failure.rule for failure in _failures(spec, spec.clean(raw))]


def validate(scheme: str, raw: str, *, lenient: bool = False) -> Identifier:
    """Normalise ``raw`` and check it; raise :class:`InvalidIdentifierError` if it fails.

    With ``lenient=True`` structure and checksum failures become warnings;
    format failures (length, characters) still raise.
    """
    spec = _lookup(scheme)
    notation = spec.clean(raw)
    failures = _failures(spec, notation)
    if not failures:
        return Identifier(notation, scheme)
    errors = [f.rule for f in failures if f.kind is Kind.FORMAT or _strict(f, lenient)]
    if errors:
        raise InvalidIdentifierError.from_failures(scheme, notation, errors)
    return Identifier(notation, scheme, tuple(_warning(f) for f in failures))


def _lookup(scheme: str) -> Scheme:
    spec = _SCHEMES.get(scheme)
    if spec is None:
        message = f"unknown identifier scheme {scheme[:40]!r}"
        raise InvalidIdentifierError(message, scheme=scheme, failures=["unknown scheme"])
    return spec


def _failures(spec: Scheme, notation: str) -> list[Failure]:
    if len(notation) > _MAX_LENGTH:
        return [Failure(Kind.FORMAT, f"has {len(notation)} characters, far too many")]
    return spec.rules(notation)


def _strict(failure: Failure, lenient: bool) -> bool:
    return failure.kind in _LENIENT and not lenient


def _warning(failure: Failure) -> str:
    if failure.kind is Kind.ADVISORY:
        return failure.rule
    return f"lenient mode accepted: {failure.rule}"


def _mask(notation: str) -> str:
    """``999993653`` -> ``99••••••53``: the first and last two characters of 8 or more."""
    if len(notation) < 8:
        return _BULLETS
    shown = notation[:2] + notation[-2:]
    if not (shown.isprintable() and shown.isascii()):
        shown = "".join(c if c.isascii() and c.isprintable() else "?" for c in shown)
    return shown[:2] + _BULLETS + shown[2:]
