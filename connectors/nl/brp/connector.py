"""The ``nl.brp`` connector: Haal Centraal BRP Personen ``POST /personen`` <-> canonical.

Usage::

    connector = BrpConnector(ConnectorOptions(schema_dir=None, lenient_identifiers=True))
    envelope = await connector.decode(body, "application/json")   # PersonQuery or Person(s)
    body, media_type = await connector.encode(envelope)

    refusal = connector.check_request(body)        # the API's own 400 rules, per parameter
    body, media_type, notes = connector.encode_answer(envelope, request)  # the answer to it

A body with ``fields`` and query parameters is a request (``PersonQuery``); one
with ``personen`` (or only ``type``) is a response. A response with exactly one
person decodes to ``Person``, any other number to ``PersonList``
(``{"persons": [...]}``). Input is validated before mapping and output after,
against the shipped schema or the official OpenAPI (``schema_dir``).
``encode_answer`` writes the answer to one request (its ``type``, ``Persoon`` or
``PersoonBeperkt``, only the ``fields`` it names): the gateway calls it at the
client's edge, where the request is known.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from connectors.base import ConnectorOptions, EncodeWithNotes, Envelope
from connectors.canonical import Person
from connectors.nl._common import Notes, drop_empty, dump_json, json_media_type, parse_json
from connectors.nl.brp.answer import answer_to
from connectors.nl.brp.paths import PersonPaths
from connectors.nl.brp.person import person_from_brp, person_to_brp
from connectors.nl.brp.query import RAADPLEEG, query_from_brp, query_to_brp
from connectors.nl.brp.requests import RequestRefusal, RequestRules
from connectors.nl.brp.schema import REQUEST, RESPONSE, SCHEMA_ID, load_derived, load_schemas
from gateway.errors import ConnectorError

__all__ = ["MEDIA_TYPE", "PERSON_LIST", "BrpConnector"]

MEDIA_TYPE = "application/json"
PERSON_LIST = "PersonList"  # canonical kind: {"persons": [Person, ...]}
_NAME = "nl.brp"
_logger = logging.getLogger("gateway.connector.nl.brp")


class BrpConnector(EncodeWithNotes):
    name = _NAME
    schema_ids: tuple[str, ...] = (SCHEMA_ID,)

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()
        derived = load_derived(self.options.schema_dir)
        self.schemas = load_schemas(self.options.schema_dir, derived)
        self.paths = PersonPaths.from_schema(derived)
        self.rules = RequestRules.from_schema(
            derived, self.paths, lenient=self.options.lenient_identifiers
        )

    def check_request(self, body: Mapping[str, Any]) -> RequestRefusal | None:
        """What the API would refuse in ``body`` (a JSON object), parameter by parameter."""
        return self.rules.check(body)

    def encode_answer(
        self, envelope: Envelope, request: bytes
    ) -> tuple[bytes, str, tuple[str, ...]]:
        """The answer to ``request`` (the client's BRP request) holding the canonical persons."""
        body = parse_json(request, _NAME)
        if not isinstance(body, dict) or not self.schemas.is_valid(REQUEST, body):
            raise ConnectorError(f"{_NAME}: the request to answer is not a valid BRP request")
        document = envelope.document
        if document is None or envelope.kind not in ("Person", PERSON_LIST):
            raise ConnectorError(f"{_NAME}: cannot answer with a {envelope.kind!r} document")
        persons: list[Person] = (
            [document] if envelope.kind == "Person" else list(document.get("persons", []))  # type: ignore[list-item]
        )
        notes = Notes(_NAME)
        native = answer_to(body, persons, self.paths, notes)
        self.schemas.check(RESPONSE, native)
        return dump_json(native), MEDIA_TYPE, notes.as_tuple()

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_message(body, media_type)

    def decode_message(self, body: bytes, media_type: str = MEDIA_TYPE) -> Envelope:
        if not (json_media_type(media_type) or media_type.startswith("application/octet-stream")):
            raise ConnectorError(f"{_NAME}: expects application/json, not {media_type[:60]!r}")
        document = parse_json(body, _NAME)
        if not isinstance(document, dict):
            raise ConnectorError(f"{_NAME}: $: is not of type 'object'")
        notes = Notes(_NAME)
        if _is_response(document):
            self.schemas.check(RESPONSE, document)
            kind, canonical = self._persons(drop_empty(document, "$", notes), notes)
        else:
            self.schemas.check(REQUEST, document)
            kind = "PersonQuery"
            canonical = dict(
                query_from_brp(document, notes, lenient=self.options.lenient_identifiers)
            )
        return Envelope(media_type, document=canonical, notes=notes.as_tuple(), kind=kind)

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """The native body, its media type and the notes of what could not be sent."""
        document = envelope.document
        if document is None:
            raise ConnectorError(f"{_NAME}: nothing to encode (no canonical document)")
        notes = Notes(_NAME)
        if envelope.kind == "PersonQuery":
            native = query_to_brp(document, notes, lenient=self.options.lenient_identifiers)  # type: ignore[arg-type]
            self.schemas.check(REQUEST, native)
        elif envelope.kind in ("Person", PERSON_LIST):
            native = self._response(document, envelope.kind, notes)
            self.schemas.check(RESPONSE, native)
        else:
            raise ConnectorError(f"{_NAME}: cannot encode a {envelope.kind!r} document")
        return dump_json(native), MEDIA_TYPE, notes.as_tuple()

    def _persons(self, document: Mapping[str, Any], notes: Notes) -> tuple[str, dict[str, Any]]:
        lenient = self.options.lenient_identifiers
        persons = [
            person_from_brp(p, f"$.personen[{i}]", notes, lenient=lenient)
            for i, p in enumerate(document.get("personen", []))
        ]
        notes.rest(document, "$", {"type", "personen"})
        if len(persons) == 1:
            return "Person", dict(persons[0])
        return PERSON_LIST, {"persons": persons}

    @staticmethod
    def _response(document: Mapping[str, Any], kind: str | None, notes: Notes) -> dict[str, Any]:
        if kind == "Person":
            persons: list[Person] = [document]  # type: ignore[list-item]
            paths = ["$"]
        else:
            persons = list(document.get("persons", []))
            paths = [f"$.persons[{i}]" for i in range(len(persons))]
        personen = [person_to_brp(p, path, notes) for p, path in zip(persons, paths, strict=True)]
        return {"type": RAADPLEEG, "personen": personen}


def _is_response(document: Mapping[str, Any]) -> bool:
    return "personen" in document or document.keys() == {"type"}
