"""The ``nl.kvk`` connector: KvK API Basisprofiel <-> LegalEntity / LegalEntityQuery.

Usage::

    connector = KvkConnector(ConnectorOptions())
    body, media_type = await connector.encode(Envelope(..., kind="LegalEntityQuery",
        document={"identifiers": [{"notation": "69599084", "scheme": "nl.kvk"}]}))
    # -> b"GET /basisprofielen/69599084 HTTP/1.1\\r\\n...", "message/http; msgtype=request"
    envelope = await connector.decode(basisprofiel_json, "application/json")  # LegalEntity

The request is a REST GET without a body: it travels as an HTTP request message
(``message/http``, see :mod:`connectors.nl.kvk.request`). The response is the
Basisprofiel JSON, validated before mapping and after encoding against the
shipped schema or the official OpenAPI (``schema_dir``).
"""

from __future__ import annotations

import logging
from typing import cast

from connectors.base import ConnectorOptions, EncodeWithNotes, Envelope
from connectors.canonical import LegalEntity, LegalEntityQuery
from connectors.nl._common import (
    Notes,
    drop_empty,
    dump_json,
    identifier,
    json_media_type,
    parse_json,
)
from connectors.nl.kvk.mapping import entity_from_kvk, entity_to_kvk
from connectors.nl.kvk.request import (
    MEDIA_TYPE as REQUEST_MEDIA_TYPE,
)
from connectors.nl.kvk.request import (
    build_request,
    is_http_message,
    parse_request,
)
from connectors.nl.kvk.schema import BASISPROFIEL, KVK_NUMMER, SCHEMA_ID, load_schemas
from gateway.errors import ConnectorError

__all__ = ["MEDIA_TYPE", "REQUEST_MEDIA_TYPE", "KvkConnector"]

MEDIA_TYPE = "application/json"
_NAME = "nl.kvk"
_PARAMETER = "{kvkNummer}"  # how errors name the path parameter
_logger = logging.getLogger("gateway.connector.nl.kvk")
# LegalEntityQuery properties a Basisprofiel GET cannot carry.
_NOT_SENT = (
    "country",
    "postCode",
    "postName",
    "includeInactive",
    "period",
    "language",
    "fields",
    "purpose",
)


class KvkConnector(EncodeWithNotes):
    name = _NAME
    # The canonical kinds a request to this format's services may be (gateway.stages.derive).
    request_kinds: tuple[str, ...] = ("LegalEntityQuery",)
    # A client's bodiless GET reaches decode as message/http (connectors.base).
    decodes_http_requests = True
    schema_ids: tuple[str, ...] = (SCHEMA_ID,)

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()
        self.schemas = load_schemas(self.options.schema_dir)

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_message(body, media_type)

    def decode_message(self, body: bytes, media_type: str = MEDIA_TYPE) -> Envelope:
        notes = Notes(_NAME)
        lenient = self.options.lenient_identifiers
        if is_http_message(media_type):
            query = self._query_from(body, notes)
            return Envelope(media_type, document=dict(query), notes=notes.as_tuple(),
                            kind="LegalEntityQuery")  # fmt: skip
        if not (json_media_type(media_type) or media_type.startswith("application/octet-stream")):
            raise ConnectorError(f"{_NAME}: expects application/json or message/http")
        document = parse_json(body, _NAME)
        self.schemas.check(BASISPROFIEL, document)
        entity = entity_from_kvk(drop_empty(document, "$", notes), notes, lenient=lenient)
        return Envelope(media_type, document=dict(entity), notes=notes.as_tuple(),
                        kind="LegalEntity")  # fmt: skip

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """The native message for ``envelope``'s document, and what it could not carry."""
        document = envelope.document
        if document is None:
            raise ConnectorError(f"{_NAME}: nothing to encode (no canonical document)")
        notes = Notes(_NAME)
        if envelope.kind == "LegalEntityQuery":
            kvk = self._query_to(cast(LegalEntityQuery, document), notes)
            return build_request(kvk), REQUEST_MEDIA_TYPE, notes.as_tuple()
        if envelope.kind != "LegalEntity":
            raise ConnectorError(f"{_NAME}: cannot encode a {envelope.kind!r} document")
        native = entity_to_kvk(cast(LegalEntity, document), notes)
        self.schemas.check(BASISPROFIEL, native)
        return dump_json(native), MEDIA_TYPE, notes.as_tuple()

    def _query_from(self, body: bytes, notes: Notes) -> LegalEntityQuery:
        request = parse_request(body)
        self.schemas.check(KVK_NUMMER, request.kvk_nummer, root=_PARAMETER)
        kvk = self._kvk(request.kvk_nummer, "$.path.kvkNummer", notes)
        for key, value in request.query.items():
            if key != "geoData" or value not in ("false", ""):
                notes.add(f"$.query.{key}", "not carried (LegalEntityQuery has no such option)")
        return {"identifiers": [{"notation": kvk, "scheme": "nl.kvk"}]}

    def _query_to(self, query: LegalEntityQuery, notes: Notes) -> str:
        numbers = [
            (i, ident) for i, ident in enumerate(query.get("identifiers", []))
            if ident["scheme"] == "nl.kvk"
        ]  # fmt: skip
        if len(numbers) != 1:
            raise ConnectorError(
                f"{_NAME}: LegalEntityQuery $.identifiers: a Basisprofiel request needs exactly "
                f"one nl.kvk identifier, not {len(numbers)}"
            )
        index, ident = numbers[0]
        for i in range(len(query.get("identifiers", []))):
            if i != index:
                notes.add(f"$.identifiers[{i}]", "not sent (Basisprofiel asks by kvkNummer only)")
        for key in ident:
            if key not in ("notation", "scheme"):
                notes.add(f"$.identifiers[{index}].{key}", "not sent (the path takes the number)")
        for key in (*_NOT_SENT, "name"):
            if key in query:
                notes.add(f"$.{key}", "not sent (no Basisprofiel request parameter for it)")
        kvk = self._kvk(ident["notation"], f"$.identifiers[{index}].notation", notes)
        self.schemas.check(KVK_NUMMER, kvk, root=_PARAMETER)
        return kvk

    def _kvk(self, raw: str, path: str, notes: Notes) -> str:
        lenient = self.options.lenient_identifiers
        return identifier("nl.kvk", raw, path, notes, lenient=lenient, query=True)
