"""The exchange as an ordered chain of small async stages.

Usage::

    pipeline = Pipeline(stages=(Authenticate(node), Authorize(node), ...),
                        finish=(AuditExchange(node),), render=render_rest_error)
    response = await pipeline.run(exchange)

The contract of a stage:

- it reads and writes only the shared :class:`Exchange`, and the node resources
  it was built with;
- it raises a :class:`~gateway.errors.GatewayError` to refuse, never anything else
  on purpose; the pipeline turns it into an error response in the caller's
  convention and skips the remaining ``stages``;
- it may set ``exchange.response`` to answer early (a metaservice answered
  locally): the remaining ``stages`` are then skipped;
- ``finish`` stages always run, after an answer or a refusal (sign the response,
  audit); an error there replaces the response, so a client never gets an
  answer whose audit record is not durable.

The order of each side is declared once, in ``gateway.stages``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from asyncio import BaseTransport
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from connectors.base import Envelope
from gateway.audit.record import AuditRecord
from gateway.directory import Directory, Member
from gateway.errors import GatewayError
from gateway.identifiers import ClientId, ServiceId
from gateway.signing import body_digest

__all__ = ["Direction", "ErrorRenderer", "Exchange", "Pipeline", "Reply", "Stage"]

_logger = logging.getLogger("gateway.exchange")


Direction = Literal["outbound", "inbound"]


@dataclass(slots=True)
class Reply:
    """An HTTP answer under construction: status, headers in order, body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    signature: str | None = None
    digest: str = ""  # of the body as signed; kept if the body is re-rendered for the client
    # The canonical envelope ``body`` encodes, when this gateway wrote it: not parsed again.
    canonical: Envelope | None = None

    def body_digest(self) -> str:
        if not self.digest:
            self.digest = body_digest(self.body)
        return self.digest


@dataclass(slots=True)
class Exchange:
    """Everything one request/response pair carries through the stages."""

    direction: Direction
    method: str
    raw_path: str  # as arrived: /r1/...?query
    headers: list[tuple[str, str]]  # as arrived, in order
    body: bytes
    transport: BaseTransport | None
    id: str = ""
    received: str = field(default_factory=AuditRecord.now)
    started: float = field(default_factory=time.perf_counter)
    client: ClientId | None = None
    service: ServiceId | None = None
    backend_path: str = ""  # what follows the service id, with the query
    xroad_headers: list[tuple[str, str]] = field(default_factory=list)
    directory: Directory | None = None
    peer: Member | None = None  # the other gateway's member
    request_digest: str = ""
    # The canonical envelope ``body`` encodes, when this gateway wrote it: not parsed again.
    canonical_body: Envelope | None = None
    request_signature: str | None = None
    request_nonce: str | None = None
    # What the hop signatures cover (gateway.signing), for the audit record's signed_headers:
    # the request's signing input, and the response's signature with its signing input.
    request_signed_input: bytes | None = None
    response_signed: tuple[str, bytes] | None = None
    request_hash: str | None = None
    request_record: asyncio.Future[int] | None = None
    upstream: Reply | None = None  # what the peer or backend answered, before checks
    response: Reply | None = None  # what the caller gets; set once it may be answered
    error: GatewayError | None = None
    notes: list[str] = field(default_factory=list)  # translation notes, into the audit record
    translated: bool = False  # a connector turned the request into or out of canonical form
    backend_body: bytes | None = None  # the request as the backend gets it, when translated
    backend_headers: list[tuple[str, str]] | None = None
    # A translated bodiless request (message/http): the method and the path + query,
    # relative to the backend's URL, it names; None: the exchange's own.
    backend_method: str | None = None
    backend_target: str | None = None
    # What encoding the request for the backend could not carry: back to the caller
    # with a translated answer, so that the client sees them too.
    backend_notes: list[str] = field(default_factory=list)
    # The client's format when its frontend fixes it (a Haal Centraal front door speaks
    # nl.brp whoever calls); None: the [[clients]] format of the authenticated client.
    client_format: str | None = None
    # The subsystem a bearer token authenticated, set only by a front door whose protocol
    # authenticates callers by token (Haal Centraal): AuthenticateClient then accepts the
    # caller on a TLS client port without a certificate. X-Road frontends never set it.
    token_client: ClientId | None = None
    # The subsystem the caller's TLS client certificate is bound to, when its frontend has
    # already looked it up (X-Road REST on a TLS client port): AuthenticateClient need not.
    certificate_client: ClientId | None = None
    # Canonical properties the frontend adds to the decoded request where it has none:
    # what the client's format cannot say and the provider's needs (requester, purpose).
    canonical_context: dict[str, Any] = field(default_factory=dict)
    # The client's native request, kept when it was translated: the answer is shaped
    # after it (a BRP answer has the request's type and only the fields it asked for).
    client_request: bytes | None = None
    # The canonical document the client sent when the gateway asked a question about it
    # instead (gateway.stages.derive): the answer is folded back into it.
    asked_about: dict[str, Any] | None = None

    def new_id(self) -> str:
        self.id = str(uuid.uuid4())
        return self.id

    @property
    def error_type(self) -> str | None:
        """Ours, or the one a peer's authentic answer carries (passed through to the caller)."""
        if self.error is not None:
            return self.error.type
        if self.response is not None:
            for name, value in self.response.headers:
                if len(name) == 12 and name.lower() == "x-road-error":  # length first: cheaper
                    return value
        return None

    @property
    def duration_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0


class Stage(Protocol):
    async def __call__(self, exchange: Exchange, /) -> None: ...


ErrorRenderer = Callable[[Exchange, GatewayError], Reply]


class Pipeline:
    """Runs ``stages`` in order, then ``finish``; refusals become rendered errors."""

    def __init__(
        self,
        stages: Sequence[Stage],
        finish: Sequence[Stage],
        render: ErrorRenderer,
        observe: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.stages = tuple(stages)
        self.finish = tuple(finish)
        self.render = render
        self.observe = observe  # sees every finished exchange (the node's metrics)

    async def run(self, exchange: Exchange, *, refused: GatewayError | None = None) -> Reply:
        """Run one exchange; ``refused`` is a refusal the frontend met before any stage."""
        try:
            if refused is not None:
                raise refused
            for stage in self.stages:
                await stage(exchange)
                if exchange.response is not None:
                    break
        except GatewayError as exc:
            self._refuse(exchange, exc)
        except Exception as exc:
            self._refuse(exchange, _internal(exc, exchange))
        for stage in self.finish:
            try:
                await stage(exchange)
            except GatewayError as exc:
                self._refuse(exchange, exc)
            except Exception as exc:
                self._refuse(exchange, _internal(exc, exchange))
        assert exchange.response is not None
        _log_exchange(exchange)
        if self.observe is not None:
            try:
                self.observe(exchange)
            except Exception:  # counting must never cost the caller its answer
                _logger.exception("metrics of exchange %s failed", exchange.id)
        return exchange.response

    def _refuse(self, exchange: Exchange, error: GatewayError) -> None:
        exchange.error = error
        exchange.response = self.render(exchange, error)


def _internal(exc: Exception, exchange: Exchange) -> GatewayError:
    error = GatewayError("internal error; the gateway's log names the cause by this id")
    _logger.error(
        "internal error %s in exchange %s",
        error.detail,
        exchange.id,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error


def _log_exchange(exchange: Exchange) -> None:
    status = exchange.response.status if exchange.response is not None else 0
    code = exchange.error_type
    error_id = exchange.error.detail if exchange.error else None
    # Each built once, for the message and its fields alike.
    client, service, duration_ms = str(exchange.client), str(exchange.service), exchange.duration_ms
    _logger.info(
        "exchange %s %s %s %s %s -> %s %s %.1fms",
        exchange.id,
        exchange.direction,
        client,
        service,
        exchange.method,
        status,
        code or "ok",
        duration_ms,
        extra={
            "exchange_id": exchange.id,
            "direction": exchange.direction,
            "client": client,
            "service": service,
            "status": status,
            "code": code,
            "error_id": error_id,
            "duration_ms": round(duration_ms, 2),
        },
    )
