"""The ``ee.ariregister`` connector: ``detailandmed_v2`` SOAP <-> LegalEntityQuery / LegalEntity.

Usage::

    connector = AriregisterConnector(ConnectorOptions(schema_dir=Path("/etc/xgw/schemas")))
    envelope = await connector.decode(soap_bytes, "text/xml")   # LegalEntityQuery / LegalEntity
    body, media_type = await connector.encode(envelope)         # a SOAP 1.1 envelope
    body, media_type, notes = connector.encode_with_notes(envelope)

Decoding accepts a SOAP 1.1 envelope or the producer's element alone (as the
register's published examples are written). Encoding writes a SOAP envelope with
an empty ``SOAP-ENV:Header``: the X-Road headers (client, service, id, userId,
protocolVersion) are the transport's, which knows the exchange. Both directions
validate the producer's element with the XSD (:mod:`.schema`).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from lxml import etree

from connectors.base import ConnectorOptions, EncodeWithNotes, Envelope
from connectors.canonical import LegalEntity, LegalEntityQuery
from connectors.ee._common import Context, Notes
from connectors.ee.ariregister.mapping import entity_from_native, entity_to_native
from connectors.ee.ariregister.native import NS, REQUEST, RESPONSE
from connectors.ee.ariregister.query import query_from_native, query_to_native
from connectors.ee.ariregister.schema import AriregisterSchema
from connectors.ee.ariregister.tree import parse_message, read, soap_envelope, write
from gateway.errors import ConnectorError

__all__ = ["MEDIA_TYPE", "AriregisterConnector"]

MEDIA_TYPE = "text/xml; charset=utf-8"  # SOAP 1.1, as X-Road's message protocol uses
_REQUEST = "detailandmed_v2"
_RESPONSE = "detailandmed_v2Response"
_OPERATIONS = {f"{{{NS}}}{name}": name for name in (_REQUEST, _RESPONSE)}  # by Clark name
_logger = logging.getLogger("gateway.connector.ee.ariregister")


class AriregisterConnector(EncodeWithNotes):
    name = "ee.ariregister"
    # The canonical kinds a request to this format's services may be (gateway.stages.derive).
    request_kinds: tuple[str, ...] = ("LegalEntityQuery",)
    schema_ids: tuple[str, ...] = ("ee/ariregister/detailandmed_v2",)
    # An X-Road producer: the gateway fills the empty SOAP Header with the X-Road fields.
    xroad_soap_header = True

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()
        self.schema = AriregisterSchema.load(self.options.schema_dir)

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_message(body)

    def decode_message(self, body: bytes) -> Envelope:
        operation = parse_message(body)
        name = _local_name(operation)
        self.schema.check(operation)
        ctx = self._context()
        document: dict[str, Any]
        if name == _REQUEST:
            native = read(operation, REQUEST, name, ctx.notes)
            document = dict(query_from_native(native["keha"], f"{name}/keha", ctx))
            kind = "LegalEntityQuery"
        else:
            native = read(operation, RESPONSE, name, ctx.notes)
            document = dict(_entity_from_response(native, ctx))
            kind = "LegalEntity"
        return Envelope(MEDIA_TYPE, document=document, notes=ctx.notes.as_tuple(), kind=kind)

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """The SOAP message for ``envelope``'s document, and what it could not carry."""
        document, ctx = envelope.document, self._context()
        if document is None:
            raise ConnectorError("ee.ariregister: nothing to encode (no canonical document)")
        if envelope.kind == "LegalEntityQuery":
            keha = query_to_native(cast(LegalEntityQuery, document), ctx)
            operation = write(_REQUEST, {"keha": keha}, REQUEST)
        elif envelope.kind == "LegalEntity":
            native = _response_from_entity(cast(LegalEntity, document), ctx)
            operation = write(_RESPONSE, native, RESPONSE)
        else:
            raise ConnectorError(
                f"ee.ariregister encodes LegalEntityQuery and LegalEntity, not {envelope.kind}"
            )
        self.schema.check(operation)
        return soap_envelope(operation), MEDIA_TYPE, ctx.notes.as_tuple()

    def _context(self) -> Context:
        return Context(Notes(self.name), self.options.lenient_identifiers)


def _local_name(operation: etree._Element) -> str:
    name = _OPERATIONS.get(operation.tag)
    if name is None:
        local = etree.QName(operation).localname
        raise ConnectorError(f"{local}: not a detailandmed_v2 message (namespace {NS})")
    return name


def _entity_from_response(native: dict[str, Any], ctx: Context) -> LegalEntity:
    if native.get("paring"):
        ctx.notes.not_carried(f"{_RESPONSE}/paring", "the echoed request")
    keha = native["keha"]
    items = keha.get("ettevotjad", {}).get("item", [])
    if len(items) != 1:
        raise ConnectorError(
            f"{_RESPONSE}/keha/ettevotjad: {len(items)} entities; a LegalEntity answer holds one"
        )
    if keha["leitud_ettevotjate_arv"].strip() != "1":
        ctx.notes.add(f"{_RESPONSE}/keha/leitud_ettevotjate_arv", "more found than returned")
    return entity_from_native(items[0], f"{_RESPONSE}/keha/ettevotjad/item", ctx)


def _response_from_entity(entity: LegalEntity, ctx: Context) -> dict[str, Any]:
    item = entity_to_native(entity, ctx)
    paring = {  # the echoed request: the query this answer would answer
        "ariregistri_kood": item["ariregistri_kood"],
        "yandmed": "true" if "yldandmed" in item else "false",
        "iandmed": "true" if "isikuandmed" in item else "false",
        "kandmed": "false",
        "dandmed": "false",
        "maarused": "false",
    }
    keha = {"ettevotjad": {"item": [item]}, "leitud_ettevotjate_arv": "1"}
    return {"paring": paring, "keha": keha}
