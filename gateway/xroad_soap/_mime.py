"""Content types and MIME multipart (SwA, MTOM) for X-Road SOAP, byte-exact.

The parser never re-encodes anything: it returns where each part's header block
and content lie in the body as received, so a response can be rebuilt by
replacing the SOAP part's bytes and nothing else.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from gateway.errors import GatewayError

__all__ = [
    "MediaType",
    "Part",
    "parse_media_type",
    "split_multipart",
]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"  # noqa: S105 (RFC 9110 token, no secret)
_PARAM = re.compile(rf'\s*;\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)\s*')
_MEDIA = re.compile(rf"\s*({_TOKEN})/({_TOKEN})\s*")
_HEADER_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]*:[ \t]*(.*)")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class MediaType:
    """``type/subtype`` (lowercased) and its parameters (names lowercased, values unquoted)."""

    type: str
    params: dict[str, str]

    def param(self, name: str) -> str | None:
        return self.params.get(name.lower())


def parse_media_type(value: str) -> MediaType | None:
    """RFC 9110 media type; None when ``value`` is not one (e.g. ``blah``)."""
    match = _MEDIA.match(value)
    if not match:
        return None
    params: dict[str, str] = {}
    rest = value[match.end() :]
    while rest.strip():
        param = _PARAM.match(rest)
        if not param:
            # Be lenient with a trailing ';' or junk after the last parameter.
            if rest.strip() == ";":
                break
            return None
        raw = param.group(2)
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.setdefault(param.group(1).lower(), raw)
        rest = rest[param.end() :]
    return MediaType(f"{match.group(1)}/{match.group(2)}".lower(), params)


@dataclass(frozen=True, slots=True)
class Part:
    """One body part: its headers in order and where its bytes lie in the whole body.

    ``start``/``end`` delimit the content (``body[start:end]``); ``header_start``
    is where the part's header block begins (just after the boundary line).
    """

    headers: tuple[tuple[str, str], ...]
    header_start: int
    start: int
    end: int

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


def _bad(message: str, code: str, error: type[GatewayError]) -> GatewayError:
    return error(message, code=code)


def _delimiters(body: bytes, boundary: bytes) -> list[tuple[int, int, bool]]:
    """``(start of the line break before the delimiter, end of the delimiter line, is_close)``.

    A delimiter is ``--boundary`` at the very start of the body (after an optional
    UTF-8 BOM, which some clients put in front of everything) or right after a
    line break (CRLF, or a bare LF as in hand-written files), followed by optional
    whitespace and a line break; ``--boundary--`` closes the body.
    """
    found: list[tuple[int, int, bool]] = []
    dash = b"--" + boundary
    pattern = re.compile(rb"(\A(?:" + re.escape(_BOM) + rb")?|\r?\n)" + re.escape(dash))
    for match in pattern.finditer(body):
        after = match.end()
        close = body.startswith(b"--", after)
        if close:
            after += 2
        while after < len(body) and body[after] in b" \t":
            after += 1
        if body.startswith(b"\r\n", after):
            after += 2
        elif body.startswith(b"\n", after):
            after += 1
        elif after != len(body):
            continue  # "--boundaryX...": a longer line, not this delimiter
        found.append((match.start(), after, close))
        if close:
            break
    return found


def _part_headers(block: bytes) -> tuple[tuple[str, str], ...] | None:
    """Header lines of a part (folded lines joined); None if a line is not a header."""
    headers: list[tuple[str, str]] = []
    for raw in re.split(rb"\r?\n", block):
        if not raw:
            continue
        if raw[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {raw.strip().decode('latin-1')}".strip())
            continue
        match = _HEADER_LINE.fullmatch(raw.rstrip())
        if not match:
            return None
        headers.append((match.group(1).decode("ascii"), match.group(2).decode("latin-1").strip()))
    return tuple(headers)


def split_multipart(
    body: bytes, boundary: str, error: type[GatewayError], prefix: str = "", *, strict: bool = True
) -> list[Part]:
    """The parts of a multipart body, in order; raises ``error`` typed X-Road style.

    ``prefix`` goes in front of the X-Road codes (``ServiceFailed.`` for a backend's
    answer). An empty body is ``MissingSoap``; a body without the boundary, without
    its closing delimiter (unless ``strict`` is off, as for a service's answer, which
    upstream also takes without one) or with a part that has no header/content separator is
    ``InvalidMessage``; a part without ``Content-Type`` is ``InvalidContentType``.
    """
    if not body.strip() or body == _BOM:
        raise _bad("multipart message is empty", prefix + "MissingSoap", error)
    delimiters = _delimiters(body, boundary.encode("latin-1"))
    if not delimiters:
        raise _bad(
            f"multipart boundary {boundary!r} not found in the body",
            prefix + "InvalidMessage",
            error,
        )
    if not delimiters[-1][2]:
        if strict:
            raise _bad("multipart body has no closing delimiter", prefix + "InvalidMessage", error)
        # Lenient (answers): the end of the body closes it; a blank tail is no part.
        last_end = delimiters[-1][1]
        if not body[last_end:].strip():
            delimiters[-1] = (delimiters[-1][0], last_end, True)
        else:
            delimiters.append((len(body), len(body), True))
    parts: list[Part] = []
    for (_, line_end, _), (next_start, _, _) in itertools.pairwise(delimiters):
        segment = body[line_end:next_start]
        separator = re.search(rb"\r?\n\r?\n", segment)
        if segment.startswith((b"\r\n", b"\n")):
            headers_end, content_start = line_end, line_end + (2 if segment[:1] == b"\r" else 1)
        elif separator:
            headers_end, content_start = line_end + separator.start(), line_end + separator.end()
        else:
            # Headers only: the line break before the next delimiter belongs to the
            # delimiter (RFC 2046), so the part has no content at all.
            headers_end = content_start = next_start
        headers = _part_headers(body[line_end:headers_end])
        if headers is None:
            raise _bad("multipart part has a malformed header", prefix + "InvalidMessage", error)
        part = Part(headers, line_end, content_start, max(content_start, next_start))
        if part.header("Content-Type") is None:
            raise _bad(
                f"multipart part {len(parts) + 1} has no Content-Type",
                prefix + "InvalidContentType",
                error,
            )
        parts.append(part)
    if not parts:
        raise _bad("multipart message has no parts", prefix + "MissingSoap", error)
    return parts
