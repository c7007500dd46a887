"""Reading a SOAP 1.1 envelope: safe parsing, byte offsets, X-Road header fields.

lxml builds the tree (no network, no entities, no DTD); expat walks the same
bytes once more to record where the Header, its children and the Body start and
end, so that edits can be spliced into the bytes as received.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from lxml import etree

from gateway import shipped
from gateway.errors import GatewayError

__all__ = [
    "NS_ID",
    "NS_REPR",
    "NS_SOAP",
    "NS_XROAD",
    "Layout",
    "Located",
    "document_codec",
    "header_schema",
    "layout",
    "parse_xml",
    "self_describing",
]

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_XROAD = "http://x-road.eu/xsd/xroad.xsd"
NS_ID = "http://x-road.eu/xsd/identifiers"
NS_REPR = "http://x-road.eu/xsd/representation.xsd"

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
    remove_pis=False,
    strip_cdata=False,
)


def parse_xml(
    data: bytes, charset: str | None, fail: Callable[[str, str], GatewayError]
) -> etree._Element:
    """The root element; ``fail(code, message)`` builds the error for bad XML.

    ``charset`` (from the Content-Type) is used only when the document itself
    says nothing: no BOM and no encoding declaration. A DTD is refused outright:
    SOAP 1.1 forbids it, and it is the door to entity tricks.
    """
    parser = _PARSER
    if charset and not self_describing(data):
        try:
            parser = etree.XMLParser(
                resolve_entities=False, no_network=True, load_dtd=False, encoding=charset
            )
        except LookupError as exc:
            raise fail("InvalidContentType", f"unknown charset {charset!r}") from exc
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError, LookupError) as exc:
        raise fail("InvalidXml", f"malformed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or getattr(docinfo, "internalDTD", None) is not None:
        raise fail("InvalidXml", "a SOAP message may not contain a document type declaration")
    return root


def self_describing(data: bytes) -> bool:
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    head = data[:200].lstrip()
    return head.startswith(b"<?xml") and b"encoding" in head.split(b"?>", 1)[0]


def document_codec(root: etree._Element, data: bytes, charset: str | None) -> str:
    """The Python codec to encode text spliced into this document."""
    if data.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return "utf-16-be"
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    declared = root.getroottree().docinfo.encoding
    if self_describing(data) and declared:
        return declared
    return charset or "utf-8"


@dataclass(slots=True)
class Located:
    """An element's byte span in the document: ``data[start:end]`` is the element."""

    start: int
    end: int


@dataclass(slots=True)
class Layout:
    """Where the envelope's parts are, as byte offsets into the SOAP part."""

    header: Located | None = None
    header_content_end: int | None = None  # start of "</...Header>"; None if self-closing
    header_children: list[Located] = field(default_factory=list)
    body_start: int | None = None
    body: Located | None = None


def layout(data: bytes, encoding: str | None) -> Layout:
    """Byte offsets of Header, its child elements and Body in ``data`` (already known good)."""
    parser = expat.ParserCreate(encoding, namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    found = Layout()
    depth = 0
    stack: list[tuple[str, int]] = []

    def start(name: str, _attrs: object) -> None:
        nonlocal depth
        depth += 1
        stack.append((name, parser.CurrentByteIndex))
        if depth == 2 and name == f"{NS_SOAP} Body" and found.body_start is None:
            found.body_start = parser.CurrentByteIndex

    def end(name: str) -> None:
        nonlocal depth
        tag, began = stack.pop()
        index = parser.CurrentByteIndex
        self_closing = not data.startswith(b"</", index)
        finish = _tag_end(data, began) if self_closing else _tag_end(data, index)
        if depth == 3 and stack[-1][0] == f"{NS_SOAP} Header":
            found.header_children.append(Located(began, finish))
        elif depth == 2 and tag == f"{NS_SOAP} Header" and found.header is None:
            found.header = Located(began, finish)
            found.header_content_end = None if self_closing else index
        elif depth == 2 and tag == f"{NS_SOAP} Body" and found.body is None:
            found.body = Located(began, finish)
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return found


def _tag_end(data: bytes, index: int) -> int:
    """The offset just past the ``>`` closing the tag that starts at ``index``.

    Quoted attribute values may hold ``>``; they are skipped. (Only ASCII-compatible
    encodings reach here with tags to edit; see ``document_codec``.)
    """
    quote = 0
    for position in range(index, len(data)):
        byte = data[position]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):
            quote = byte
        elif byte == 0x3E:
            return position + 1
    return len(data)


class _Shipped(etree.Resolver):
    """Resolves the header schema's imports to the files xgw ships, never the network."""

    def resolve(  # type: ignore[override]  # lxml-stubs omit the context argument
        self, system_url: str, public_id: str, context: object
    ) -> object:
        name = system_url.rsplit("/", 1)[-1]
        if name in {"xroad-header.xsd", "identifiers.xsd", "representation.xsd"}:
            return self.resolve_string(  # type: ignore[call-arg]  # base_url is optional
                shipped.load_bytes(f"xroad/{name}"), context
            )
        return None


@functools.cache
def header_schema() -> etree.XMLSchema:
    """The schema of the X-Road header elements (``schemas/xroad/soap-header.xsd``)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(_Shipped())
    document = etree.fromstring(shipped.load_bytes("xroad/soap-header.xsd"), parser)
    return etree.XMLSchema(etree.ElementTree(document))
