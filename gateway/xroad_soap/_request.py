"""X-Road SOAP requests: the envelope's structure, its X-Road header fields, the request itself."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from gateway.errors import (
    BadRequestError,
    ClientError,
    GatewayError,
    InvalidBodyError,
    InvalidClientIdentifierError,
    MissingHeaderError,
)
from gateway.identifiers import ClientId, ServiceId
from gateway.xroad_soap._mime import Part, parse_media_type, split_multipart
from gateway.xroad_soap._xml import NS_ID, NS_REPR, NS_SOAP, NS_XROAD, header_schema, parse_xml

__all__ = [
    "PROTOCOL_VERSION",
    "Attachment",
    "Envelope",
    "Fail",
    "RepresentedParty",
    "SoapHeaders",
    "SoapPart",
    "SoapRequest",
    "check_soap_action",
    "client_failure",
    "parse_request",
    "read_envelope",
    "read_headers",
    "soap_part",
]

PROTOCOL_VERSION = "4.0"
# The X-Road header fields, by (namespace, local name), and the ones a message must have.
_FIELDS = {
    (NS_XROAD, "client"),
    (NS_XROAD, "service"),
    (NS_XROAD, "id"),
    (NS_XROAD, "userId"),
    (NS_XROAD, "issue"),
    (NS_XROAD, "protocolVersion"),
    (NS_XROAD, "requestHash"),
    (NS_REPR, "representedParty"),
}
_REQUIRED = ("client", "service", "id", "protocolVersion")
_PART = re.compile(r"[A-Za-z0-9'()+,\-.=?_]+")
_SERVICE_CODE = re.compile(r"[A-Za-z0-9'()+,\-.=?_/]+")
_SOAP_PART_TYPES = ("text/xml", "application/xop+xml")
# An exchange id as the X-Road REST hop carries it: 1-128 visible ASCII characters.
_EXCHANGE_ID = re.compile(r"[\x21-\x7e]{1,128}")
# What an HTTP header value cannot hold as it is: control characters (CR, LF, ...) anywhere,
# whitespace at either end (HTTP strips it).
_NOT_A_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]|^[ \t]|[ \t]$")

# ``fail(code, message)`` builds the error a problem is reported with: ``Client.*``
# for what a client sent, ``Server.ServerProxy.ServiceFailed.*`` for a backend's answer.
Fail = Callable[[str, str], GatewayError]


def client_failure(code: str, message: str) -> GatewayError:
    """The ``Client.*`` error for a request; the specific class where xgw has one."""
    classes: dict[str, type[ClientError]] = {
        "MissingHeaderField": MissingHeaderError,
        "InvalidBody": InvalidBodyError,
        "InvalidClientIdentifier": InvalidClientIdentifierError,
    }
    return classes.get(code, BadRequestError)(message, code=code)


@dataclass(frozen=True, slots=True)
class RepresentedParty:
    """``repr:representedParty`` (the third-party representation extension)."""

    party_class: str | None
    party_code: str


@dataclass(frozen=True, slots=True)
class SoapHeaders:
    """The X-Road header fields of a message.

    ``raw_order`` lists the X-Road header elements by local name in the order they
    came (``requestHash`` included when present), so that they can be echoed in it.
    """

    client: ClientId
    service: ServiceId
    id: str
    user_id: str | None
    issue: str | None
    protocol_version: str
    represented_party: RepresentedParty | None = None
    service_version: str | None = None
    raw_order: tuple[str, ...] = ()

    def consistent_with(self, other: SoapHeaders) -> list[str]:
        """Names of the fields that differ (``requestHash`` and the order aside)."""
        names = (
            "client",
            "service",
            "service_version",
            "id",
            "user_id",
            "issue",
            "protocol_version",
            "represented_party",
        )
        return [name for name in names if getattr(self, name) != getattr(other, name)]

    def rest_headers(self) -> list[tuple[str, str]]:
        """The X-Road REST headers (PR-REST 4.3) that mirror these fields on the signed hop.

        The SOAP message itself carries every field, intact and signed; a header mirrors
        a field only where an HTTP header holds its value exactly: ``X-Road-Id`` when the
        ``id`` can be an exchange id (1-128 visible ASCII; an empty id, say, gets a fresh
        one), ``X-Road-UserId`` and ``X-Road-Issue`` when present and on one line without
        whitespace at either end (split-header.query's issue spans three lines).
        """
        headers = [("X-Road-Client", str(self.client))]
        if _EXCHANGE_ID.fullmatch(self.id):
            headers.append(("X-Road-Id", self.id))
        for name, value in (("X-Road-UserId", self.user_id), ("X-Road-Issue", self.issue)):
            if value is not None and not _NOT_A_HEADER_VALUE.search(value):
                headers.append((name, value))
        return headers


@dataclass(frozen=True, slots=True)
class Attachment:
    """A MIME part after the SOAP part: its headers as they came and its content, byte for byte."""

    headers: tuple[tuple[str, str], ...]
    content: bytes

    @property
    def content_id(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-id":
                return value.strip().removeprefix("<").removesuffix(">")
        return None


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """A parsed X-Road SOAP request.

    ``envelope`` is the SOAP part exactly as received (BOM, declaration, comments and
    all): it is what ``requestHash`` covers. ``body`` and ``content_type`` are the
    whole HTTP body and its ``Content-Type``, to pass on unchanged. ``header_xml``
    holds each X-Road header element, serialised on its own, in arrival order.
    """

    headers: SoapHeaders
    envelope: bytes
    content_type: str
    attachments: tuple[Attachment, ...] = ()
    mtom: bool = False
    body: bytes = b""
    header_xml: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class SoapPart:
    """Where the SOAP envelope is in an HTTP body."""

    data: bytes
    charset: str | None
    part: Part | None  # None for a plain text/xml body
    attachments: tuple[Attachment, ...]
    mtom: bool


def soap_part(body: bytes, content_type: str, fail: Fail, *, strict: bool = True) -> SoapPart:
    """The SOAP part of a ``text/xml`` or ``multipart/related`` (SwA, MTOM) body.

    ``strict`` is for requests: a multipart body must end with its closing delimiter.
    """
    media = parse_media_type(content_type or "")
    if media is None:
        raise fail("InvalidContentType", f"invalid content type {content_type!r}")
    if media.type == "text/xml":
        return SoapPart(body, media.param("charset"), None, (), False)
    if media.type != "multipart/related":
        raise fail("InvalidContentType", f"unsupported content type {media.type!r}")
    boundary = media.param("boundary")
    if not boundary:
        raise fail("InvalidContentType", "multipart content type without a boundary")

    class _MultipartError(GatewayError):
        """Carries the code of a multipart problem to ``fail``."""

    try:
        parts = split_multipart(body, boundary, _MultipartError, strict=strict)
    except _MultipartError as exc:
        raise fail(exc.code, exc.message) from exc
    root_index = 0
    start = media.param("start")
    if start:
        wanted = start.strip().removeprefix("<").removesuffix(">")
        ids = [(p.header("Content-ID") or "").strip().strip("<>") for p in parts]
        if wanted not in ids:
            raise fail("InvalidContentType", f"multipart start {start!r} names no part")
        root_index = ids.index(wanted)
    root = parts[root_index]
    root_type = parse_media_type(root.header("Content-Type") or "")
    if root_type is None or root_type.type not in _SOAP_PART_TYPES:
        raise fail("InvalidContentType", "the SOAP part of a multipart message must be XML")
    attachments = tuple(
        Attachment(p.headers, body[p.start : p.end]) for i, p in enumerate(parts) if i != root_index
    )
    return SoapPart(
        body[root.start : root.end],
        root_type.param("charset"),
        root,
        attachments,
        root_type.type == "application/xop+xml",
    )


@dataclass(frozen=True, slots=True)
class Envelope:
    root: etree._Element
    header: etree._Element | None
    body: etree._Element | None
    fault: etree._Element | None


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def read_envelope(data: bytes, charset: str | None, fail: Fail) -> Envelope:
    """Parse a SOAP 1.1 envelope and find its Header, Body and Fault (structure only)."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise fail("InvalidSoap", "the SOAP message is empty")
    root = parse_xml(data, charset, fail)
    if root.tag != f"{{{NS_SOAP}}}Envelope":
        raise fail("InvalidSoap", f"not a SOAP 1.1 envelope: {root.tag}")
    header = body = None
    for child in _elements(root):
        if child.tag == f"{{{NS_SOAP}}}Header" and header is None and body is None:
            header = child
        elif child.tag == f"{{{NS_SOAP}}}Body" and body is None:
            body = child
        else:
            raise fail("InvalidSoap", f"unexpected element {child.tag} in the SOAP envelope")
    fault = None
    if body is not None:
        fault = next((c for c in _elements(body) if c.tag == f"{{{NS_SOAP}}}Fault"), None)
    return Envelope(root, header, body, fault)


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return "".join(str(piece) for piece in element.itertext())


def _identifier(element: etree._Element, what: str, fail: Fail) -> dict[str, str]:
    parts = {etree.QName(c).localname: (_text(c) or "").strip() for c in _elements(element)}
    for name, value in parts.items():
        pattern = _SERVICE_CODE if name == "serviceCode" else _PART
        if not pattern.fullmatch(value):
            code = "InvalidClientIdentifier" if what == "client" else "BadRequest"
            raise fail(code, f"invalid {name} {value!r} in the {what} header")
    return parts


def _client(element: etree._Element, fail: Fail) -> ClientId:
    parts = _identifier(element, "client", fail)
    object_type = element.get(f"{{{NS_ID}}}objectType")
    subsystem = parts.get("subsystemCode")
    if (object_type, subsystem is None) not in (("MEMBER", True), ("SUBSYSTEM", False)):
        raise fail(
            "InvalidClientIdentifier",
            f"client objectType {object_type!r} does not fit its identifier",
        )
    return ClientId(parts["xRoadInstance"], parts["memberClass"], parts["memberCode"], subsystem)


def _represented_party(element: etree._Element) -> RepresentedParty:
    party_class = _text(element.find(f"{{{NS_REPR}}}partyClass"))
    return RepresentedParty(
        None if party_class is None else party_class.strip(),
        (_text(element.find(f"{{{NS_REPR}}}partyCode")) or "").strip(),
    )


def _serialised(element: etree._Element) -> str:
    """One header element on its own, with only the namespace declarations it needs."""
    alone = copy.deepcopy(element)
    alone.tail = None
    etree.cleanup_namespaces(alone)
    return etree.tostring(alone, encoding="unicode", with_tail=False)


# Attributes the header schema declares; others are ignored, as the security server
# ignores them (the xmlencoded vector puts one on protocolVersion).
_KNOWN_ATTRIBUTES = {f"{{{NS_ID}}}objectType", "algorithmId"}


def _without_foreign_attributes(element: etree._Element) -> etree._Element:
    alone = copy.deepcopy(element)
    for node in alone.iter():
        for name in list(node.attrib):
            if name not in _KNOWN_ATTRIBUTES:
                del node.attrib[name]
    return alone


def read_headers(header: etree._Element, fail: Fail) -> tuple[SoapHeaders, tuple[str, ...]]:
    """The X-Road fields of a SOAP Header, checked as the security server checks them.

    Order of checks: a field given twice (``DuplicateHeaderField``), a field that does
    not validate against the shipped header schema (``InvalidXml``), a required field
    missing (``MissingHeaderField``), a protocol version other than 4.0
    (``InvalidProtocolVersion``). Other header elements are ignored and not echoed.
    """
    fields: dict[str, etree._Element] = {}
    for child in _elements(header):
        qname = etree.QName(child)
        if (qname.namespace, qname.localname) not in _FIELDS:
            continue
        if qname.localname in fields:
            raise fail("DuplicateHeaderField", f"duplicate header field {qname.localname!r}")
        fields[qname.localname] = child
    schema = header_schema()
    for name, element in fields.items():
        if not schema.validate(_without_foreign_attributes(element)):
            detail = str(schema.error_log.last_error or "schema violation")  # type: ignore[attr-defined]
            raise fail("InvalidXml", f"header field {name!r} is invalid: {detail}")
    for name in _REQUIRED:
        if name not in fields:
            raise fail("MissingHeaderField", f"required header field {name!r} is missing")
    version = (_text(fields["protocolVersion"]) or "").strip()
    if version != PROTOCOL_VERSION:
        raise fail("InvalidProtocolVersion", f"unsupported protocolVersion {version!r}")
    service_parts = _identifier(fields["service"], "service", fail)
    provider = ClientId(
        service_parts["xRoadInstance"],
        service_parts["memberClass"],
        service_parts["memberCode"],
        service_parts.get("subsystemCode"),
    )
    user_id, issue = _text(fields.get("userId")), _text(fields.get("issue"))
    party = fields.get("representedParty")
    headers = SoapHeaders(
        client=_client(fields["client"], fail),
        service=ServiceId(provider, service_parts["serviceCode"]),
        id=_text(fields["id"]) or "",
        user_id=user_id,
        issue=issue,
        protocol_version=version,
        represented_party=None if party is None else _represented_party(party),
        service_version=service_parts.get("serviceVersion"),
        raw_order=tuple(fields),
    )
    echo = tuple(_serialised(e) for name, e in fields.items() if name != "requestHash")
    return headers, echo


def _check_body(body: etree._Element, service_code: str, fail: Fail) -> None:
    children = _elements(body)
    stray_text = (body.text or "").strip() or any((c.tail or "").strip() for c in body)
    if len(children) != 1 or stray_text:
        raise fail("InvalidBody", f"the SOAP body must hold one element, not {len(children)}")
    name = etree.QName(children[0]).localname
    # The body element is named after the service: the code itself, ``code + "Request"``
    # (request-suffix vector) or a longer name, as PR-MESS's own examples F and G
    # (``exampleServiceSwaRef`` for ``exampleService``) have it.
    if not name.startswith(service_code):
        raise fail(
            "InconsistentHeaders",
            f"body element {name!r} does not match the service code {service_code!r}",
        )


def parse_request(body: bytes, content_type: str) -> SoapRequest:
    """Parse and check an X-Road SOAP 4.0 request; raises ``Client.*`` errors.

    See the package docstring for the checks and the codes they raise.
    """
    part = soap_part(body, content_type, client_failure)
    envelope = read_envelope(part.data, part.charset, client_failure)
    if envelope.fault is not None:
        raise client_failure("InvalidSoap", "a SOAP Fault is not a request")
    if envelope.header is None:
        raise client_failure("MissingHeader", "the SOAP message has no header")
    if envelope.body is None:
        raise client_failure("MissingBody", "the SOAP message has no body")
    headers, echo = read_headers(envelope.header, client_failure)
    _check_body(envelope.body, headers.service.code, client_failure)
    return SoapRequest(
        headers=headers,
        envelope=part.data,
        content_type=content_type,
        attachments=part.attachments,
        mtom=part.mtom,
        body=body,
        header_xml=echo,
    )


def check_soap_action(value: str | None) -> str | None:
    """A ``SOAPAction`` header must be absent, empty or a quoted string (SOAP 1.1, 6.1.1).

    Returns the value unquoted; anything else is ``Client.InvalidSoapAction``.
    """
    if value is None or not value.strip():
        return value
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        return stripped[1:-1]
    raise client_failure("InvalidSoapAction", f"SOAPAction {value!r} is not a quoted string")
