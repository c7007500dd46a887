"""PR-META's SOAP metaservices as messages: ``listMethods``, ``allowedMethods``, ``getWsdl``.

Usage::

    # the provider's gateway, answering a parsed request
    body = service_list_answer(request, "listMethods", [service_id, ...])     # text/xml
    code, version = wsdl_request_fields(request)                    # Client.InvalidRequest
    body, content_type = wsdl_answer(request, code, version, published_wsdl)  # multipart

    # the client's gateway, serving GET /wsdl
    message = wsdl_request(client, provider, "exampleService", "v1", message_id)
    wsdl, content_type = wsdl_from_answer(answer_body, answer_content_type)

No I/O here. Answers have the shape of PR-META's examples C3, C5 and C7: the
request's X-Road header fields echoed in the request's order, then
``requestHash``; a body element ``xroad:<name>Response``; service identifiers as
``xroad:service id:objectType="SERVICE"``. ``getWsdl`` answers are
``multipart/related``: the SOAP part, then the WSDL as a ``text/xml`` attachment
(``Content-Transfer-Encoding: binary``, ``Content-ID: <wsdl=UUID@x-road.eu>``), as
a security server sends them (the metaservice vector ``wsdl_response.xml``).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import uuid
from collections.abc import Callable, Sequence

from lxml import etree

from gateway.errors import GatewayError, parse_error_type
from gateway.identifiers import ClientId, ServiceId
from gateway.xroad_soap._mime import parse_media_type
from gateway.xroad_soap._request import (
    PROTOCOL_VERSION,
    SoapRequest,
    client_failure,
    read_envelope,
    soap_part,
)
from gateway.xroad_soap._response import REQUEST_HASH_ALGORITHM, backend_failure, request_hash
from gateway.xroad_soap._xml import NS_ID, NS_SOAP, NS_XROAD

__all__ = [
    "ANSWER_CONTENT_TYPE",
    "SERVICE_LISTS",
    "SOAP_METASERVICES",
    "WSDL_CONTENT_TYPE",
    "is_soap_media_type",
    "service_list_answer",
    "wsdl_answer",
    "wsdl_from_answer",
    "wsdl_request",
    "wsdl_request_fields",
]

SERVICE_LISTS = frozenset({"listMethods", "allowedMethods"})
SOAP_METASERVICES = SERVICE_LISTS | {"getWsdl"}
WSDL_CONTENT_TYPE = "text/xml"
ANSWER_CONTENT_TYPE = "text/xml; charset=utf-8"
_NSMAP = {"SOAP-ENV": NS_SOAP, "xroad": NS_XROAD, "id": NS_ID}
_SERVICE_CODE = re.compile(r"[A-Za-z0-9'()+,\-.=?_/]+")
_VERSION = re.compile(r"[A-Za-z0-9'()+,\-.=?_]+")
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def is_soap_media_type(content_type: str | None) -> bool:
    """``text/xml`` or ``multipart/related`` (SwA, MTOM): how an X-Road SOAP message travels."""
    media = parse_media_type(content_type or "")
    return media is not None and media.type in ("text/xml", "multipart/related")


# --------------------------------------------------------------------- the provider's side


def _answer(request: SoapRequest, fill_body: Callable[[etree._Element], None]) -> bytes:
    """A response envelope: the request's header fields echoed, ``requestHash``, a body."""
    root = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap=_NSMAP)
    header = etree.SubElement(root, f"{{{NS_SOAP}}}Header")
    for field in request.header_xml:
        header.append(etree.fromstring(field, parser=_SAFE))
    digest = etree.SubElement(
        header, f"{{{NS_XROAD}}}requestHash", {"algorithmId": REQUEST_HASH_ALGORITHM}
    )
    digest.text = request_hash(request.envelope)
    fill_body(etree.SubElement(root, f"{{{NS_SOAP}}}Body"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _identifier(parent: etree._Element, service: ServiceId) -> etree._Element:
    element = etree.SubElement(
        parent, f"{{{NS_XROAD}}}service", {f"{{{NS_ID}}}objectType": "SERVICE"}
    )
    provider = service.provider
    for name, value in (
        ("xRoadInstance", provider.instance),
        ("memberClass", provider.member_class),
        ("memberCode", provider.member_code),
        ("subsystemCode", provider.subsystem),
        ("serviceCode", service.code),
    ):
        if value is not None:
            etree.SubElement(element, f"{{{NS_ID}}}{name}").text = value
    return element


def service_list_answer(request: SoapRequest, name: str, services: Sequence[ServiceId]) -> bytes:
    """``listMethodsResponse`` / ``allowedMethodsResponse`` (C3, C5), one identifier a service.

    xgw's directory knows no service versions, so ``serviceVersion`` is never given.
    """
    if name not in SERVICE_LISTS:
        raise ValueError(f"{name} is not a service list metaservice")

    def fill(body: etree._Element) -> None:
        listing = etree.SubElement(body, f"{{{NS_XROAD}}}{name}Response")
        for service in services:
            _identifier(listing, service)

    return _answer(request, fill)


def _body_element(request: SoapRequest) -> etree._Element:
    part = soap_part(request.body, request.content_type, client_failure)
    envelope = read_envelope(part.data, part.charset, client_failure)
    assert envelope.body is not None  # parse_request has checked it holds one element
    return next(child for child in envelope.body if isinstance(child.tag, str))


def _field(element: etree._Element, name: str) -> str | None:
    """The text of a child called ``name`` (in any namespace; the spec's is xroad's)."""
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return "".join(str(piece) for piece in child.itertext()).strip()
    return None


def _invalid(message: str) -> GatewayError:
    return client_failure("InvalidRequest", message)


def wsdl_request_fields(request: SoapRequest) -> tuple[str, str | None]:
    """``serviceCode`` and the optional ``serviceVersion`` of a ``getWsdl`` body.

    A missing, blank or malformed ``serviceCode`` is ``Client.InvalidRequest``, as a
    security server answers it ("Missing serviceCode in message body").
    """
    body = _body_element(request)
    code, version = _field(body, "serviceCode"), _field(body, "serviceVersion")
    if not code:
        raise _invalid("missing serviceCode in the getWsdl body")
    if not _SERVICE_CODE.fullmatch(code):
        raise _invalid(f"invalid serviceCode {code!r} in the getWsdl body")
    if version is not None and not _VERSION.fullmatch(version):
        raise _invalid(f"invalid serviceVersion {version!r} in the getWsdl body")
    return code, version or None


def wsdl_answer(
    request: SoapRequest, service_code: str, version: str | None, wsdl: bytes
) -> tuple[bytes, str]:
    """The ``getWsdl`` answer (C7 + C8) and its ``multipart/related`` content type."""

    def fill(body: etree._Element) -> None:
        answer = etree.SubElement(body, f"{{{NS_XROAD}}}getWsdlResponse")
        etree.SubElement(answer, f"{{{NS_XROAD}}}serviceCode").text = service_code
        if version is not None:
            etree.SubElement(answer, f"{{{NS_XROAD}}}serviceVersion").text = version

    soap = _answer(request, fill)
    boundary = "xroad" + secrets.token_hex(16)
    while boundary.encode() in wsdl or boundary.encode() in soap:  # pragma: no cover
        boundary = "xroad" + secrets.token_hex(16)
    dash = f"--{boundary}".encode()
    body = b"".join(
        [
            dash + b"\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n",
            soap,
            b"\r\n" + dash + b"\r\n",
            f"Content-Type: {WSDL_CONTENT_TYPE}\r\n".encode(),
            b"Content-Transfer-Encoding: binary\r\n",
            f"Content-ID: <wsdl={uuid.uuid4()}@x-road.eu>\r\n\r\n".encode(),
            wsdl,
            b"\r\n" + dash + b"--\r\n",
        ]
    )
    content_type = f'multipart/related; type="text/xml"; charset=UTF-8; boundary={boundary}'
    return body, content_type


# ----------------------------------------------------------------------- the client's side


def wsdl_request(
    client: ClientId,
    provider: ClientId,
    service_code: str,
    version: str | None,
    message_id: str,
) -> bytes:
    """The ``getWsdl`` request (C6) a client's gateway sends for ``GET /wsdl``.

    As a security server does, the metaservice's own identifier carries the version
    asked for, and so does the body.
    """
    root = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap=_NSMAP)
    header = etree.SubElement(root, f"{{{NS_SOAP}}}Header")
    caller = etree.SubElement(
        header, f"{{{NS_XROAD}}}client", {f"{{{NS_ID}}}objectType": client.object_type}
    )
    for name, value in (
        ("xRoadInstance", client.instance),
        ("memberClass", client.member_class),
        ("memberCode", client.member_code),
        ("subsystemCode", client.subsystem),
    ):
        if value is not None:
            etree.SubElement(caller, f"{{{NS_ID}}}{name}").text = value
    service = _identifier(header, ServiceId(provider, "getWsdl"))
    if version is not None:
        etree.SubElement(service, f"{{{NS_ID}}}serviceVersion").text = version
    etree.SubElement(header, f"{{{NS_XROAD}}}id").text = message_id
    etree.SubElement(header, f"{{{NS_XROAD}}}protocolVersion").text = PROTOCOL_VERSION
    body = etree.SubElement(root, f"{{{NS_SOAP}}}Body")
    question = etree.SubElement(body, f"{{{NS_XROAD}}}getWsdl")
    etree.SubElement(question, f"{{{NS_XROAD}}}serviceCode").text = service_code
    if version is not None:
        etree.SubElement(question, f"{{{NS_XROAD}}}serviceVersion").text = version
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _fault_error(fault: etree._Element) -> GatewayError:
    """A SOAP Fault in the provider's answer, as the error it names."""
    code = (fault.findtext("faultcode") or "").strip()
    message = (fault.findtext("faultstring") or "").strip() or "the provider answered a fault"
    if not code:
        return backend_failure("InvalidSoap", f"a fault without a faultcode: {message}")
    origin, rest = parse_error_type(code.rpartition(":")[2] if ":" in code else code)
    return GatewayError(message, origin=origin, code=rest)


def wsdl_from_answer(body: bytes, content_type: str) -> tuple[bytes, str]:
    """The WSDL attached to a ``getWsdl`` answer, and its content type.

    An answer that is not a ``getWsdlResponse`` with an attachment is
    ``Server.ServerProxy.ServiceFailed.*``; a SOAP Fault becomes the error it names.
    """
    part = soap_part(body, content_type, backend_failure, strict=False)
    envelope = read_envelope(part.data, part.charset, backend_failure)
    if envelope.fault is not None:
        raise _fault_error(envelope.fault)
    answer = None
    if envelope.body is not None:
        answer = next((c for c in envelope.body if isinstance(c.tag, str)), None)
    if answer is None or etree.QName(answer).localname != "getWsdlResponse":
        raise backend_failure("InvalidBody", "the answer to getWsdl is not a getWsdlResponse")
    if not part.attachments:
        raise backend_failure("InvalidMessage", "the answer to getWsdl carries no WSDL")
    attachment = part.attachments[0]
    headers = {name.lower(): value for name, value in attachment.headers}
    document = attachment.content
    encoding = headers.get("content-transfer-encoding", "binary").strip().lower()
    if encoding == "base64":
        try:
            document = base64.b64decode(document, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise backend_failure("InvalidMessage", f"the WSDL attachment: {exc}") from exc
    return document, headers.get("content-type", WSDL_CONTENT_TYPE)
