"""The ``be.magda`` connector: MAGDA SOAP messages <-> canonical documents (the thin codec).

Usage::

    connector = MagdaConnector(ConnectorOptions(schema_dir=Path("/etc/xgw/schemas")))
    envelope = await connector.decode(soap_bytes, "text/xml")   # Person, LegalEntity or a query
    body, media_type = await connector.encode(envelope)
    body, media_type, notes = connector.encode_with_notes(envelope)

Messages: GeefPersoon 02.02 (question <-> PersonQuery, answer <-> Person), GeefOnderneming 02.00
(question <-> LegalEntityQuery, answer <-> LegalEntity); GeefOndernemingVKBO 02.00 answers are
read too (written back as GeefOnderneming). Input is validated against its MAGDA schema before
the mapping and output after it (``schemas.py``); identifiers are checked with
``connectors.identifiers`` (``ConnectorOptions.lenient_identifiers`` for MAGDA's test numbers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from lxml import etree

from connectors.base import ConnectorOptions, EncodeWithNotes, Envelope
from connectors.be.magda.enterprise import read_enterprise, write_enterprise
from connectors.be.magda.messages import (
    MEDIA_TYPE,
    answer_content,
    message_name,
    new_answer,
    parse,
    serialise,
)
from connectors.be.magda.person import read_person, write_person
from connectors.be.magda.queries import (
    read_enterprise_query,
    read_person_query,
    write_enterprise_query,
    write_person_query,
)
from connectors.be.magda.schemas import MESSAGES, MagdaSchemas
from connectors.be.magda.values import Translation
from gateway.errors import ConnectorError

__all__ = ["MagdaConnector"]

_CANONICAL_MEDIA_TYPE = "application/vnd.xgw.canonical+json"
_logger = logging.getLogger("gateway.connector.be.magda")


class MagdaConnector(EncodeWithNotes):
    name = "be.magda"
    # The canonical kinds a request to this format's services may be (gateway.stages.derive).
    request_kinds: tuple[str, ...] = ("PersonQuery", "LegalEntityQuery")
    schema_ids: tuple[str, ...] = tuple(f"magda/{message}" for message in MESSAGES)

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()
        self.schemas = MagdaSchemas.load(self.options.schema_dir)  # compiled once

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_now(body)

    def decode_now(self, body: bytes) -> Envelope:
        """``decode`` without the coroutine: for the CLI, benchmarks and tests."""
        payload = parse(body)
        message = message_name(payload)
        self.schemas.validate(message, payload)
        tr = Translation(self.options.lenient_identifiers)
        kind, document = _READERS[message](payload, tr)
        return Envelope(
            _CANONICAL_MEDIA_TYPE, document=document, notes=tr.notes.as_tuple(), kind=kind
        )

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """``encode``, and what the MAGDA message could not carry (the protocol has no place)."""
        if envelope.document is None or envelope.kind not in _WRITERS:
            kinds = ", ".join(sorted(_WRITERS))
            raise ConnectorError(f"be.magda encodes {kinds}, not {envelope.kind or 'opaque bytes'}")
        tr = Translation(self.options.lenient_identifiers)
        message, payload = _WRITERS[envelope.kind](envelope.document, tr)
        body = serialise(payload)
        self.schemas.validate(message, payload)
        return body, MEDIA_TYPE, tr.notes.as_tuple()


def _read_person(payload: etree._Element, tr: Translation) -> tuple[str, Any]:
    return "Person", read_person(answer_content(payload, tr), tr)


def _read_enterprise(payload: etree._Element, tr: Translation) -> tuple[str, Any]:
    return "LegalEntity", read_enterprise(answer_content(payload, tr), tr)


def _write_person(document: Any, tr: Translation) -> tuple[str, etree._Element]:
    root, inhoud = new_answer("GeefPersoonResponse", "GeefPersoon", "02.02.0000")
    write_person(inhoud, document, tr)
    return "GeefPersoonResponse", root


def _write_enterprise(document: Any, tr: Translation) -> tuple[str, etree._Element]:
    root, inhoud = new_answer("GeefOndernemingResponse", "GeefOnderneming", "02.00.0000")
    write_enterprise(inhoud, document, tr)
    return "GeefOndernemingResponse", root


_READERS: dict[str, Callable[[etree._Element, Translation], tuple[str, Any]]] = {
    "GeefPersoonResponse": _read_person,
    "GeefOndernemingResponse": _read_enterprise,
    "GeefOndernemingVKBOResponse": _read_enterprise,
    "GeefPersoon": lambda payload, tr: ("PersonQuery", read_person_query(payload, tr)),
    "GeefOnderneming": lambda payload, tr: ("LegalEntityQuery", read_enterprise_query(payload, tr)),
}
_WRITERS: dict[str, Callable[[Any, Translation], tuple[str, etree._Element]]] = {
    "Person": _write_person,
    "LegalEntity": _write_enterprise,
    "PersonQuery": lambda document, tr: ("GeefPersoon", write_person_query(document, tr)),
    "LegalEntityQuery": lambda document, tr: (
        "GeefOnderneming",
        write_enterprise_query(document, tr),
    ),
}
