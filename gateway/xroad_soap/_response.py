"""X-Road SOAP responses: requestHash, the echoed headers, SOAP Faults."""

from __future__ import annotations

import base64
import hashlib
import re
from xml.sax.saxutils import quoteattr

from lxml import etree

from gateway.errors import SERVER_PROXY, GatewayError, InconsistentResponseError, PartnerError
from gateway.xroad_soap._request import (
    Envelope,
    SoapRequest,
    read_envelope,
    read_headers,
    soap_part,
)
from gateway.xroad_soap._xml import NS_SOAP, NS_XROAD, document_codec, layout, self_describing

__all__ = [
    "FAULT_CONTENT_TYPE",
    "REQUEST_HASH_ALGORITHM",
    "backend_failure",
    "fault",
    "request_hash",
    "response_with_echoed_headers",
]

REQUEST_HASH_ALGORITHM = "http://www.w3.org/2001/04/xmlenc#sha512"
FAULT_CONTENT_TYPE = "text/xml; charset=utf-8"
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def request_hash(soap_part: bytes) -> str:
    """``requestHash``: base64 (RFC 4648, padded) of SHA-512 over the request's SOAP part.

    The SOAP part is taken exactly as it arrived (a UTF-8 BOM included), without the
    MIME headers of its part and without attachments; the algorithm is
    ``http://www.w3.org/2001/04/xmlenc#sha512`` (the ``algorithmId`` attribute).
    """
    return base64.b64encode(hashlib.sha512(soap_part).digest()).decode("ascii")


def backend_failure(code: str, message: str) -> GatewayError:
    """``Server.ServerProxy.ServiceFailed.<code>``: the backend's answer is unusable."""
    return PartnerError(f"the service's answer is invalid: {message}", code=f"ServiceFailed.{code}")


def _prefix(element: etree._Element, namespace: str) -> str | None:
    """A prefix bound to ``namespace`` where ``element`` is, or None."""
    for prefix, uri in element.nsmap.items():
        if uri == namespace and prefix:
            return prefix
    return None


def response_with_echoed_headers(
    request: SoapRequest, backend_response: bytes, content_type: str
) -> tuple[bytes, str]:
    """The service's answer with the request's X-Road headers and ``requestHash``.

    - A SOAP Fault from the service is passed on as it is, byte for byte.
    - If the answer carries X-Road headers (as an X-Road service must), they are
      checked like a request's and must match the request's (client, service and
      its version, id, userId, issue, protocolVersion, representedParty), else
      ``Server.ServerProxy.ServiceFailed.InconsistentResponse``. If it carries none
      (a plain SOAP backend), the request's X-Road header elements are inserted,
      in the request's order.
    - Any ``requestHash`` in the answer is removed and a fresh one is added at the end
      of the header, covering the request's SOAP part as received.
    - Only those bytes change: the rest of the envelope, the body, comments, the
      encoding, the MIME structure and every attachment stay as the service sent them;
      the content type is returned unchanged.
    """
    part = soap_part(backend_response, content_type, backend_failure, strict=False)
    envelope = read_envelope(part.data, part.charset, backend_failure)
    if envelope.fault is not None:
        return backend_response, content_type
    if envelope.body is None:
        raise backend_failure("MissingBody", "the SOAP message has no body")
    codec = document_codec(envelope.root, part.data, part.charset)
    if codec.lower().replace("_", "-").startswith(("utf-16", "utf-32", "ucs")):
        raise backend_failure("InvalidXml", f"cannot edit a SOAP message encoded in {codec}")
    echo = ""
    if envelope.header is not None and read_fields_present(envelope.header):
        answered, _ = read_headers(envelope.header, backend_failure)
        differing = answered.consistent_with(request.headers)
        if differing:
            raise InconsistentResponseError(
                f"the service's answer does not match the request: {', '.join(differing)}",
                origin=SERVER_PROXY,
                code="ServiceFailed.InconsistentResponse",
            )
    else:
        echo = "".join(request.header_xml)
    soap = _with_hash(request, part.data, part.charset, envelope, echo, codec)
    if part.part is None:
        return soap, content_type
    body = backend_response[: part.part.start] + soap + backend_response[part.part.end :]
    return body, content_type


def read_fields_present(header: etree._Element) -> bool:
    """True when the header holds any X-Road field other than ``requestHash``."""
    for child in header.iterchildren(tag=etree.Element):
        qname = etree.QName(child)
        if qname.namespace == NS_XROAD and qname.localname != "requestHash":
            return True
    return False


def _with_hash(
    request: SoapRequest,
    data: bytes,
    charset: str | None,
    envelope: Envelope,
    echo: str,
    codec: str,
) -> bytes:
    expat_encoding = None if self_describing(data) else (charset or None)
    spans = layout(data, expat_encoding)
    anchor = envelope.header if envelope.header is not None else envelope.root
    xrd = _prefix(anchor, NS_XROAD)
    tag = f"{xrd}:requestHash" if xrd else "xrd:requestHash"
    declaration = "" if xrd else f' xmlns:xrd="{NS_XROAD}"'
    hash_element = (
        f"<{tag}{declaration} algorithmId={quoteattr(REQUEST_HASH_ALGORITHM)}>"
        f"{request_hash(request.envelope)}</{tag}>"
    )
    inserted = (echo + hash_element).encode(codec, "xmlcharrefreplace")
    edits: list[tuple[int, int, bytes]] = []
    if envelope.header is not None:
        children = [c for c in envelope.header if isinstance(c.tag, str)]
        for child, span in zip(children, spans.header_children, strict=True):
            if etree.QName(child).namespace == NS_XROAD and etree.QName(child).localname == (
                "requestHash"
            ):
                edits.append((span.start, span.end, b""))
        if spans.header is None:  # lxml found a Header, so expat does too
            raise backend_failure("InvalidSoap", "SOAP header not found")
        if spans.header_content_end is not None:
            edits.append((spans.header_content_end, spans.header_content_end, inserted))
        else:
            # <Header .../> is opened: its start tag stays as it is (attributes, namespace
            # declarations), only the "/" goes, and a close tag of the same name follows.
            start_tag = data[spans.header.start : spans.header.end]
            qname = re.match(rb"<([^\s/>]+)", start_tag)
            if qname is None or not start_tag.endswith(b"/>"):  # expat said self-closing
                raise backend_failure("InvalidSoap", "SOAP header not found")
            edits.append(
                (
                    spans.header.start,
                    spans.header.end,
                    start_tag[:-2] + b">" + inserted + b"</" + qname.group(1) + b">",
                )
            )
    else:
        if spans.body_start is None:  # lxml found a Body, so expat does too
            raise backend_failure("MissingBody", "the SOAP message has no body")
        name = envelope.root.prefix
        open_tag = f"<{name}:Header>" if name else f'<Header xmlns="{NS_SOAP}">'
        close_tag = f"</{name}:Header>" if name else "</Header>"
        edits.append(
            (
                spans.body_start,
                spans.body_start,
                open_tag.encode(codec) + inserted + close_tag.encode(codec),
            )
        )
    out = data
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
    return out


def _xml_safe(text: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", text.encode("utf-8", "replace").decode("utf-8"))


def fault(error: GatewayError, *, snake_case: bool = False) -> bytes:
    """A SOAP 1.1 Fault for ``error``, shaped like PR-MESS Annex D1.

    ``faultcode`` is the X-Road type (CamelCase, or the 7.8 snake_case spelling),
    ``faultstring`` the message, an empty ``faultactor``, and ``detail/faultDetail``
    the id an operator finds the error by. Serve it as ``FAULT_CONTENT_TYPE`` with
    HTTP status 500 (SOAP 1.1 over HTTP, section 6.2).
    """
    soap = f"{{{NS_SOAP}}}"
    root = etree.Element(soap + "Envelope", nsmap={"SOAP-ENV": NS_SOAP})
    body = etree.SubElement(root, soap + "Body")
    fault_element = etree.SubElement(body, soap + "Fault")
    etree.SubElement(fault_element, "faultcode").text = (
        error.snake_type if snake_case else error.type
    )
    etree.SubElement(fault_element, "faultstring").text = _xml_safe(error.message)
    etree.SubElement(fault_element, "faultactor").text = ""
    detail = etree.SubElement(fault_element, "detail")
    etree.SubElement(detail, "faultDetail").text = _xml_safe(error.detail)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
