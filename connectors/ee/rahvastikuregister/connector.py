"""The ``ee.rahvastikuregister`` connector: ``isikud`` JSON <-> PersonQuery / Person.

Usage::

    connector = RahvastikuregisterConnector(ConnectorOptions(lenient_identifiers=True))
    envelope = await connector.decode(body, "application/json")    # a request or an answer
    body, media_type = await connector.encode(envelope)
    body, media_type, notes = connector.encode_with_notes(envelope)

A request (``{"isikukoodid": [...], "andmevaljad": {...}}``) decodes to a
PersonQuery, an answer (a list of persons) to a Person when it lists exactly one,
else to a PersonList (none found, or several). The X-Road REST headers
(``X-Road-Client``, ``X-Road-UserId``, ``RR-Request-Reason``) are the transport's.
The Population Register publishes no schema; the schemas xgw ships are used
whether or not a schema directory is configured.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import orjson

from connectors.base import ConnectorOptions, EncodeWithNotes, Envelope
from connectors.canonical import Person, PersonList, PersonQuery
from connectors.ee._common import Context, Notes
from connectors.ee.rahvastikuregister.mapping import (
    person_from_native,
    person_to_native,
    query_from_native,
    query_to_native,
)
from connectors.ee.rahvastikuregister.schema import IsikudSchemas
from gateway.errors import ConnectorError

__all__ = ["MEDIA_TYPE", "RahvastikuregisterConnector"]

MEDIA_TYPE = "application/json"
_logger = logging.getLogger("gateway.connector.ee.rahvastikuregister")


class RahvastikuregisterConnector(EncodeWithNotes):
    name = "ee.rahvastikuregister"
    # The canonical kinds a request to this format's services may be (gateway.stages.derive).
    request_kinds: tuple[str, ...] = ("PersonQuery",)
    schema_ids: tuple[str, ...] = (
        "ee/rahvastikuregister/isikud-request.v1",
        "ee/rahvastikuregister/isikud-response.v1",
    )

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()
        self.schemas = IsikudSchemas.load()

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_message(body)

    def decode_message(self, body: bytes) -> Envelope:
        try:
            native: Any = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ConnectorError(f"isikud: not JSON: {exc}") from None
        ctx = self._context()
        document: dict[str, Any]
        if isinstance(native, list):
            self.schemas.check_response(native)
            if len(native) == 1:
                document, kind = dict(person_from_native(native[0], "$[0]", ctx)), "Person"
            else:  # none or several: notes name "$[*]", one path for every person
                persons = [person_from_native(person, "$[*]", ctx) for person in native]
                document, kind = {"persons": persons}, "PersonList"
        else:
            self.schemas.check_request(native)
            document, kind = dict(query_from_native(native, ctx)), "PersonQuery"
        return Envelope(MEDIA_TYPE, document=document, notes=ctx.notes.as_tuple(), kind=kind)

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """The ``isikud`` JSON for ``envelope``'s document, and what it could not carry."""
        document, ctx = envelope.document, self._context()
        if document is None:
            raise ConnectorError("ee.rahvastikuregister: nothing to encode (no canonical document)")
        native: Any
        if envelope.kind == "PersonQuery":
            native = query_to_native(cast(PersonQuery, document), ctx)
            self.schemas.check_request(native)
        elif envelope.kind == "Person":
            native = [person_to_native(cast(Person, document), ctx)]
            self.schemas.check_response(native)
        elif envelope.kind == "PersonList":
            people = cast(PersonList, document)["persons"]
            native = [person_to_native(person, ctx) for person in people]
            self.schemas.check_response(native)
        else:
            raise ConnectorError(
                "ee.rahvastikuregister encodes PersonQuery, Person and PersonList, "
                f"not {envelope.kind}"
            )
        return orjson.dumps(native), MEDIA_TYPE, ctx.notes.as_tuple()

    def _context(self) -> Context:
        return Context(Notes(self.name), self.options.lenient_identifiers)
