"""Access rights: which endpoints (method + path pattern) a client may call on a service.

Usage::

    rule = AccessRule.of([("GET", "/meldungen/**"), ("POST", "/meldungen")])
    rule.allows("GET", "/meldungen/42/anlagen")     # True
    rule.allows("DELETE", "/meldungen/42")          # False
    AccessRule.any().allows("PUT", "/whatever")     # True

Path patterns (the same rules as X-Road's REST endpoints):

- ``*`` matches within one segment (any characters but ``/``, possibly none);
- ``**`` must be a whole segment and matches zero or more segments, so
  ``/meldungen/**`` matches ``/meldungen``, ``/meldungen/`` and ``/meldungen/a/b``;
- everything else is literal, compared with the raw (still percent-encoded) path.

Method ``*`` means any method. Each pattern is compiled once into a regex when the
directory is loaded, so a check on the hot path is a dict lookup plus a few
``fullmatch`` calls. Requests whose path contains dot segments (``.``, ``..``, also
percent-encoded) are refused whatever the rule says: a backend that normalises the
path would otherwise serve something the rule never granted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

__all__ = [
    "ANY_METHOD",
    "AccessRule",
    "EndpointRule",
    "compile_path_pattern",
    "normalise_request_path",
]

ANY_METHOD = "*"

_SEGMENT_WILDCARD = "[^/]*"
_ANY_SEGMENTS = "(?:/[^/]*)*"
_DOT_SEGMENTS = frozenset({".", ".."})


@functools.lru_cache(maxsize=4096)
def compile_path_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a path pattern into a regex for ``fullmatch``; ValueError when malformed.

    Cached: directories repeat the same patterns across grants and publications.
    """
    if not pattern.startswith("/"):
        raise ValueError(f"path pattern {pattern!r} must start with '/'")
    parts: list[str] = []
    for segment in pattern[1:].split("/"):
        if segment == "**":
            parts.append(_ANY_SEGMENTS)
        elif "**" in segment:
            raise ValueError(f"path pattern {pattern!r}: '**' must be a whole segment")
        else:
            parts.append("/" + _compile_segment(segment))
    return re.compile("".join(parts))


def _compile_segment(segment: str) -> str:
    pieces = segment.split("*")
    return _SEGMENT_WILDCARD.join(re.escape(piece) for piece in pieces)


def normalise_request_path(path: str) -> str | None:
    """The path a rule is matched against, or None when the request must be refused.

    ``path`` is the raw (still percent-encoded) path without the query, exactly as it
    is signed and sent to the backend. Turns an empty path (a call on the service
    itself) into ``/``; refuses relative paths, empty inner segments (``//``, which
    many servers merge), and any segment that a backend could read as something
    else: dot segments (also ``..;`` and encoded forms), and encoded ``/ \\ ? # ;``
    or NUL, which would let a path match a grant it does not really fall under.
    """
    path = path.split("?", 1)[0] or "/"  # a raw "?" can only start the query
    if not path.startswith("/") or "#" in path:
        return None
    segments = path.split("/")
    if any(not segment for segment in segments[1:-1]):
        return None
    for segment in segments:
        if ("." in segment or "%" in segment or ";" in segment) and _is_ambiguous(segment):
            return None
    return path


_HIDDEN = ("/", "\\", "?", "#", "\x00")


def _is_ambiguous(segment: str) -> bool:
    # Decoding may reveal "../" hidden as "%2e%2e%2f"; Java servers read "..;x" as "..".
    decoded = unquote(segment)
    if "%" in segment and any(c in decoded for c in _HIDDEN):
        return True
    return any(piece.split(";", 1)[0] in _DOT_SEGMENTS for piece in decoded.split("/"))


@dataclass(frozen=True, slots=True)
class EndpointRule:
    """One granted endpoint: a method (or ``*``) and a compiled path pattern."""

    method: str
    path: str
    regex: re.Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def compile(cls, method: str, path: str) -> EndpointRule:
        """ValueError when the method or path pattern is malformed."""
        if method != ANY_METHOD and not (method.isalpha() and method.isupper()):
            raise ValueError(f"method {method!r} must be an upper-case HTTP method or '*'")
        return cls(method, path, compile_path_pattern(path))

    def matches(self, method: str, path: str) -> bool:
        """``method`` upper-case and ``path`` normalised (see normalise_request_path)."""
        if self.method != ANY_METHOD and self.method != method:
            return False
        return self.regex.fullmatch(path) is not None


@dataclass(frozen=True, slots=True)
class AccessRule:
    """What one client may call on one service: every endpoint, or the listed ones."""

    endpoints: tuple[EndpointRule, ...] = ()
    unrestricted: bool = False

    @classmethod
    def any(cls) -> AccessRule:
        return cls((), unrestricted=True)

    @classmethod
    def of(cls, endpoints: Iterable[tuple[str, str]]) -> AccessRule:
        """A rule for (method, path pattern) pairs; no pairs at all means any endpoint."""
        rules = tuple(EndpointRule.compile(method, path) for method, path in endpoints)
        return cls(rules) if rules else cls.any()

    def merge(self, other: AccessRule) -> AccessRule:
        """The union of two grants for the same client and service."""
        if self.unrestricted or other.unrestricted:
            return AccessRule.any()
        seen = dict.fromkeys(self.endpoints + other.endpoints)
        return AccessRule(tuple(seen))

    def allows(self, method: str, path: str) -> bool:
        normalised = normalise_request_path(path)
        if normalised is None:
            return False
        if self.unrestricted:
            return True
        method = method.upper()
        return any(rule.matches(method, normalised) for rule in self.endpoints)
