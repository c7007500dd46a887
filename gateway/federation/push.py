"""Push a publication to gateways' admin APIs: adopted now, not at their next refresh.

Usage::

    results = await push_directory(
        publication.token,
        ["https://gw-de.example:9444", "http://127.0.0.1:9444"],
        read_bearer_token(Path("operator/admin.token")),   # or one token per gateway
        ssl_context=push_ssl_context(Path("certs/admin-ca.pem")),   # or None: system CAs
    )
    for result in results:
        print(result.describe())       # "https://gw-de...: adopted sequence 8 (was 7)"

Each gateway gets ``PUT <url>/admin/v1/directory`` with the compact JWS
(``Content-Type: application/jose``) and ``Authorization: Bearer <token>``; it answers
200 with ``{"sequence": N, ...}`` when it holds the publication, problem+json otherwise.
Each gateway signs its admin tokens with its own key (``xgw admin token``), so a token
is given per gateway, unless the gateways share ``admin.token_key``. Every gateway is
tried, concurrently; one that is down or refuses is reported, never fatal: it still
picks the publication up at its refresh interval. Tokens are never logged, printed or
put in a result.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from yarl import URL

from gateway.directory import inspect_token
from gateway.errors import AdminError, ConfigError

__all__ = [
    "ADMIN_DIRECTORY_PATH",
    "JWS_MEDIA_TYPE",
    "PUSH_TIMEOUT",
    "PushResult",
    "admin_directory_url",
    "push_directory",
    "push_ssl_context",
    "read_bearer_token",
]

ADMIN_DIRECTORY_PATH = "/admin/v1/directory"
JWS_MEDIA_TYPE = "application/jose"
PUSH_TIMEOUT = 10.0
_PROBLEM_LIMIT = 300


@dataclass(frozen=True, slots=True)
class PushResult:
    """What one gateway answered: ``adopted`` when it now holds the pushed sequence."""

    url: str
    adopted: bool
    status: int | None = None  # None: no HTTP answer at all
    sequence: int | None = None  # the gateway's sequence after the push
    previous_sequence: int | None = None
    problem: str | None = None

    def describe(self) -> str:
        if self.adopted:
            was = self.previous_sequence
            if was == self.sequence:
                return f"{self.url}: held sequence {self.sequence} already"
            return f"{self.url}: adopted sequence {self.sequence}" + (
                f" (was {was})" if was is not None else ""
            )
        status = f"HTTP {self.status}: " if self.status is not None else ""
        return f"{self.url}: NOT adopted ({status}{self.problem})"

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "adopted": self.adopted,
            "status": self.status,
            "sequence": self.sequence,
            "previous_sequence": self.previous_sequence,
            "problem": self.problem,
        }


def read_bearer_token(path: Path) -> str:
    """The admin token in ``path`` (``xgw admin token`` writes one); ConfigError if none."""
    try:
        token = path.read_text("ascii").strip()
    except FileNotFoundError as exc:
        raise ConfigError("--token-file", f"file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("--token-file", f"cannot read {path}: {exc}") from exc
    if not token or any(c.isspace() for c in token):
        raise ConfigError("--token-file", f"{path} does not hold one bearer token")
    return token


def push_ssl_context(ca_path: Path) -> ssl.SSLContext:
    """Trust the CA (or self-signed certificate) in ``ca_path`` for https admin APIs."""
    try:
        return ssl.create_default_context(cafile=str(ca_path))
    except FileNotFoundError as exc:
        raise ConfigError("--push-ca", f"file {ca_path} does not exist") from exc
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("--push-ca", f"{ca_path}: {exc}") from exc


def admin_directory_url(base: str) -> URL:
    """``<base>/admin/v1/directory``; AdminError unless ``base`` is an http(s) URL."""
    url = URL(base)
    if url.scheme not in ("http", "https") or not url.host:
        raise AdminError(f"push target {base!r} is not an http(s) URL of a gateway's admin API")
    return url.with_path(url.path.rstrip("/") + ADMIN_DIRECTORY_PATH)


async def push_directory(
    token: str,
    gateways: Sequence[str],
    bearer: str | Sequence[str],
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = PUSH_TIMEOUT,
) -> list[PushResult]:
    """PUT ``token`` to every gateway's admin API at once; one result per gateway, in order.

    ``bearer``: one admin token for all, or one per gateway (in the same order).
    """
    expected = int(inspect_token(token)[1]["sequence"])
    endpoints = [admin_directory_url(url) for url in gateways]  # checked before sending
    bearers = [bearer] * len(gateways) if isinstance(bearer, str) else list(bearer)
    if len(bearers) != len(gateways):
        raise AdminError(f"{len(bearers)} admin tokens for {len(gateways)} gateways")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        pushes = (
            _push_one(session, base, endpoint, token, _headers(key), ssl_context, expected)
            for base, endpoint, key in zip(gateways, endpoints, bearers, strict=True)
        )
        return list(await asyncio.gather(*pushes))


def _headers(bearer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer}", "Content-Type": JWS_MEDIA_TYPE}


async def _push_one(
    session: aiohttp.ClientSession,
    base: str,
    endpoint: URL,
    token: str,
    headers: dict[str, str],
    ssl_context: ssl.SSLContext | None,
    expected: int,
) -> PushResult:
    try:
        async with session.put(
            endpoint,
            data=token.encode("ascii"),
            headers=headers,
            ssl=ssl_context if ssl_context is not None else True,
            allow_redirects=False,  # the bearer token goes to this gateway only
        ) as response:
            body = await response.read()
            status = response.status
    except TimeoutError:
        return PushResult(base, False, problem="no answer in time")
    except aiohttp.ClientSSLError as exc:
        return PushResult(base, False, problem=f"TLS failed: {exc}")
    except aiohttp.ClientError as exc:
        return PushResult(base, False, problem=f"unreachable: {str(exc) or type(exc).__name__}")
    if status != 200:
        return PushResult(base, False, status, problem=_problem(body))
    return _adopted(base, body, expected)


def _adopted(base: str, body: bytes, expected: int) -> PushResult:
    try:
        answer = orjson.loads(body)
        sequence, previous = int(answer["sequence"]), answer.get("previous_sequence")
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return PushResult(base, False, 200, problem="the answer names no sequence")
    previous = previous if isinstance(previous, int) else None
    if sequence != expected:
        problem = f"the gateway holds sequence {sequence}, not the pushed {expected}"
        return PushResult(base, False, 200, sequence, previous, problem)
    return PushResult(base, True, 200, sequence, previous)


def _problem(body: bytes) -> str:
    """The problem+json ``detail`` (or ``title``), else the start of the body."""
    try:
        document = orjson.loads(body)
        text = str(document.get("detail") or document.get("title") or "no explanation")
    except (orjson.JSONDecodeError, AttributeError):
        text = body.decode("utf-8", "replace").strip() or "no explanation"
    return text if len(text) <= _PROBLEM_LIMIT else text[: _PROBLEM_LIMIT - 3] + "..."
