"""The ``xoev.xmeld`` connector: XMeld 25.11a Datenabruf query and answer <-> canonical.

Usage::

    connector = XMeldConnector(ConnectorOptions())            # validates with the shipped XSD
    envelope = await connector.decode(body, "application/xml")  # PersonQuery, Person or PersonList
    body, media_type = await connector.encode(envelope)
    body, media_type, notes = connector.encode_with_notes(envelope)

``decode`` validates the message against the schema, walks the tree once and validates
the canonical result; ``encode`` validates the canonical input, builds the message and
validates it before returning it. An answer with exactly one person decodes to
``Person``, any other number to ``PersonList`` (``{"persons": [...]}``, the kind nl.brp
uses too; the canonical model does not define it yet).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from lxml import etree

from connectors.base import ConnectorOptions, EncodeWithNotes, Envelope
from connectors.canonical import Person, PersonQuery, validate
from connectors.xoev.xmeld.person import ANSWER, answer_from_xmeld, answer_to_xmeld
from connectors.xoev.xmeld.query import QUERY, query_from_xmeld, query_to_xmeld
from connectors.xoev.xmeld.schema import SCHEMA_ID, XMeldSchema, parse_message
from connectors.xoev.xmeld.tree import read
from connectors.xoev.xmeld.values import Notes
from gateway.errors import ConnectorError

__all__ = ["MEDIA_TYPE", "PERSON_LIST", "XMeldConnector"]

MEDIA_TYPE = "application/xml"
PERSON_LIST = "PersonList"  # proposed canonical kind: {"persons": [Person, ...]}
_NAME = "xoev.xmeld"
_logger = logging.getLogger("gateway.connector.xoev.xmeld")


class XMeldConnector(EncodeWithNotes):
    name = _NAME
    # The canonical kinds a request to this format's services may be (gateway.stages.derive).
    request_kinds: tuple[str, ...] = ("PersonQuery",)
    schema_ids: tuple[str, ...] = (SCHEMA_ID,)

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()
        self.schema = XMeldSchema.load(self.options.schema_dir)  # compiled once, here

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_message(body, media_type)

    def decode_message(self, body: bytes, media_type: str = MEDIA_TYPE) -> Envelope:
        if "xml" not in media_type and not media_type.startswith("application/octet-stream"):
            raise ConnectorError(f"{_NAME}: expects XML, not {media_type[:60]!r}")
        root = parse_message(body)
        self.schema.check(root)
        node, notes = read(root), Notes()
        lenient = self.options.lenient_identifiers
        if node.name == QUERY:
            query = query_from_xmeld(node, notes, lenient=lenient)
            validate("PersonQuery", query)
            return Envelope(MEDIA_TYPE, document=dict(query), notes=tuple(notes.items),
                            kind="PersonQuery")  # fmt: skip
        if node.name == ANSWER:
            persons = answer_from_xmeld(node, notes, lenient=lenient)
            for person in persons:
                validate("Person", person)
            if len(persons) == 1:
                return Envelope(MEDIA_TYPE, document=dict(persons[0]), notes=tuple(notes.items),
                                kind="Person")  # fmt: skip
            return Envelope(MEDIA_TYPE, document={"persons": persons}, notes=tuple(notes.items),
                            kind=PERSON_LIST)  # fmt: skip
        raise ConnectorError(f"{_NAME}: the message {node.name!r} is not one xgw translates "
                             f"(it reads {QUERY} and {ANSWER})")  # fmt: skip

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """The native body, its media type and the notes of what could not be sent."""
        document = envelope.document
        if document is None:
            raise ConnectorError(f"{_NAME}: nothing to encode (no canonical document)")
        notes, lenient = Notes(), self.options.lenient_identifiers
        if envelope.kind == "PersonQuery":
            validate("PersonQuery", document)
            root = query_to_xmeld(cast(PersonQuery, document), notes, lenient=lenient)
        elif envelope.kind in ("Person", PERSON_LIST):
            root = answer_to_xmeld(_persons(envelope.kind, document), notes, lenient=lenient)
        else:
            raise ConnectorError(f"{_NAME}: cannot encode a {envelope.kind!r} document "
                                 f"(PersonQuery, Person or {PERSON_LIST})")  # fmt: skip
        self.schema.check(root)
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        return body, MEDIA_TYPE, tuple(notes.items)


def _persons(kind: str, document: dict[str, Any]) -> list[Person]:
    if kind == "Person":
        validate("Person", document)
        return [cast(Person, document)]
    persons = document.get("persons")
    if not isinstance(persons, list) or set(document) != {"persons"}:
        raise ConnectorError(f"{PERSON_LIST}: $: needs exactly the property 'persons' (an array)")
    for i, person in enumerate(persons):
        try:
            validate("Person", person)
        except ConnectorError as exc:
            raise ConnectorError(f"{PERSON_LIST}: persons[{i}]: {exc}") from None
    return cast(list[Person], persons)
