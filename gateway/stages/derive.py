"""Questions the caller's gateway asks for its client: a trade notification checked in a register.

Usage::

    Pipeline(stages=(..., DecodeClientRequest(node), AskAboutNotification(node), SendSigned(node),
                     ...),
             finish=(FoldAnswerIntoNotification(), EncodeClientResponse(node), ...), ...)

A trade office posts an XGewerbeanzeige Anmeldung to a foreign register's lookup
service (Estonia's Business Register, ``detailandmed_v2``). The register answers
questions about legal entities, not notifications: the caller's gateway asks it
about the notification's business (``connectors.canonical.derive``), then folds
the register's answer back into the notification. The office gets its own kind of
message back, with the business as the register records it, and a note for each
field the register corrected. Whether a service takes such a question is read from
its format's connector (``request_kinds``), which the directory names.
"""

from __future__ import annotations

from connectors.base import Envelope
from connectors.canonical.derive import legal_entity_query_for, with_registered_business
from connectors.canonical.types import LegalEntity, TradeNotification
from connectors.canonical.validate import validate as validate_canonical
from gateway.errors import CLIENT, CLIENT_PROXY, ConnectorError
from gateway.node import Node
from gateway.pipeline import Exchange, Reply
from gateway.signing import body_digest
from gateway.stages.translate import (
    CANONICAL_MEDIA_TYPE,
    canonical_of,
    from_wire,
    is_canonical,
    wired,
)
from gateway.xroad_rest import last_header

__all__ = ["AskAboutNotification", "FoldAnswerIntoNotification"]

_NOTIFICATION = "TradeNotification"
_QUESTION = "LegalEntityQuery"
_ANSWER = "LegalEntity"


class AskAboutNotification:
    """A notification sent to a service that answers questions about legal entities."""

    def __init__(self, node: Node) -> None:
        self.node = node

    async def __call__(self, ex: Exchange) -> None:
        if not ex.translated or ex.service is None or ex.directory is None:
            return
        service = ex.directory.service(ex.service)
        if service is None or not self._takes_questions_only(service.format):
            return
        envelope = canonical_of(ex.body, ex.canonical_body)
        if envelope.kind != _NOTIFICATION or envelope.document is None:
            return
        # ee.ariregister looks up Estonian registry codes, be.magda Belgian enterprise numbers.
        country = service.format.partition(".")[0].upper()
        notification: TradeNotification = envelope.document  # type: ignore[assignment]
        try:
            query = legal_entity_query_for(notification, country=country)
        except ConnectorError as exc:
            raise exc.with_origin(CLIENT) from None
        ex.asked_about = envelope.document
        ex.body, ex.canonical_body = wired(
            Envelope(
                CANONICAL_MEDIA_TYPE, document=dict(query), notes=envelope.notes, kind=_QUESTION
            )
        )
        ex.request_digest = body_digest(ex.body)

    def _takes_questions_only(self, format_name: str) -> bool:
        try:
            connector = self.node.connectors.get(format_name)
        except ConnectorError:
            return False  # a format this node does not know: nothing to derive for it
        kinds = getattr(connector, "request_kinds", ())
        return _QUESTION in kinds and _NOTIFICATION not in kinds


class FoldAnswerIntoNotification:
    """The register's legal entity, folded into the notification the client sent."""

    async def __call__(self, ex: Exchange) -> None:
        reply = ex.response
        if ex.asked_about is None or reply is None or ex.error is not None or reply.status >= 300:
            return
        if not is_canonical(last_header(reply.headers, "Content-Type")):
            return
        try:
            envelope = from_wire(reply.body)
        except ConnectorError as exc:
            raise exc.with_origin(CLIENT_PROXY) from None
        if envelope.kind != _ANSWER or envelope.document is None:
            return  # the client's own encoder names what it cannot carry
        entity: LegalEntity = envelope.document  # type: ignore[assignment]
        notification: TradeNotification = ex.asked_about  # type: ignore[assignment]
        verified, corrected = with_registered_business(notification, entity)
        validate_canonical(_NOTIFICATION, verified)
        folded = Envelope(
            CANONICAL_MEDIA_TYPE,
            document=dict(verified),
            notes=(*envelope.notes, *corrected),
            kind=_NOTIFICATION,
        )
        body, canonical = wired(folded)
        ex.response = Reply(
            reply.status, reply.headers, body, reply.signature, reply.body_digest(), canonical
        )
