"""Messages to and from partners without xgw: X-Road headers filled in, answers checked.

Usage::

    fields = XRoadFields(client, service, "v1", exchange_id, user_id="EE37702211234")
    fields = exchange_fields(exchange, directory_service)      # the same, from an exchange
    soap = with_xroad_header(encoded_soap, fields)            # into the connector's empty Header
    sent = parse_request(soap, "text/xml; charset=utf-8")      # gateway.xroad_soap
    envelope = read_soap_answer(body, content_type, partner)   # a SOAP Fault raises, typed
    check_soap_binding(sent, envelope, partner)                # echoed headers, requestHash
    error = check_rest_binding(headers, body, expected_hash, exchange_id, partner)

The provider's gateway fills the same header for an X-Road producer behind it
(``EncodeBackendRequest``, gateway.stages.translate): one function for both edges.

Pure functions, no I/O. Every refusal is a :class:`~gateway.errors.GatewayError`:
``InconsistentResponse`` when an answer is not bound to what we sent, the partner's own
X-Road error type when it refused, ``ServiceFailed`` when its answer is unusable.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from gateway.directory import Service
from gateway.errors import (
    CLIENT_PROXY,
    BadRequestError,
    GatewayError,
    InconsistentResponseError,
    PartnerError,
    parse_error_type,
)
from gateway.identifiers import ClientId, ServiceId
from gateway.pipeline import Exchange
from gateway.xroad_rest import last_header, parse_error_response
from gateway.xroad_soap import PROTOCOL_VERSION, REQUEST_HASH_ALGORITHM, SoapRequest, request_hash
from gateway.xroad_soap._request import Envelope, Fail, read_envelope, read_headers, soap_part
from gateway.xroad_soap._response import read_fields_present
from gateway.xroad_soap._xml import NS_ID, NS_REPR, NS_SOAP, NS_XROAD, parse_xml

__all__ = [
    "XRoadFields",
    "check_rest_binding",
    "check_soap_binding",
    "exchange_fields",
    "has_xroad_header",
    "read_soap_answer",
    "with_xroad_header",
]

# An X-Road error type in either spelling (PR-MESS fault codes, PR-REST X-Road-Error).
_XROAD_TYPE = re.compile(r"^(client|server\.clientproxy|server\.serverproxy)\.", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class XRoadFields:
    """The X-Road header fields of one exchange, as the directory and the client give them."""

    client: ClientId
    service: ServiceId
    service_version: str | None
    id: str
    user_id: str | None = None
    issue: str | None = None
    represented_party: str | None = None  # X-Road-Represented-Party: "CLASS/CODE" or "CODE"


def exchange_fields(ex: Exchange, service: Service) -> XRoadFields:
    """The header fields of ``ex`` calling ``service`` (its directory entry gives the version).

    ``userId``, ``issue`` and the represented party are the client's own X-Road headers,
    as the client's gateway received them or as the signed hop carried them.
    """
    assert ex.client is not None
    return XRoadFields(
        client=ex.client,
        service=service.id,
        service_version=service.version,
        id=ex.id,
        user_id=last_header(ex.xroad_headers, "X-Road-UserId"),
        issue=last_header(ex.xroad_headers, "X-Road-Issue"),
        represented_party=last_header(ex.xroad_headers, "X-Road-Represented-Party"),
    )


def _client_failure(code: str, message: str) -> GatewayError:
    return BadRequestError(message, code=code)


def _answer_failure(partner: ClientId) -> Fail:
    def fail(code: str, message: str) -> GatewayError:
        return PartnerError(
            f"the answer of {partner} is invalid: {message}", code=f"ServiceFailed.{code}"
        )

    return fail


# ---------------------------------------------------------------------------- requests


# The header fields are built in a holder element, never serialised: each field declares its
# namespaces itself, as an element standing alone would, and one copy of the holder makes
# all of a message's fields.
_HOLDER = "fields"
_HEADER = f"{{{NS_SOAP}}}Header"


def _identifier(
    holder: etree._Element, tag: str, object_type: str, parts: Sequence[tuple[str, str | None]]
) -> None:
    element = etree.SubElement(
        holder,
        f"{{{NS_XROAD}}}{tag}",
        {f"{{{NS_ID}}}objectType": object_type},
        nsmap={"xrd": NS_XROAD, "id": NS_ID},
    )
    for name, value in parts:
        if value is not None:
            etree.SubElement(element, f"{{{NS_ID}}}{name}").text = value


def _text(holder: etree._Element, tag: str, value: str | None) -> None:
    etree.SubElement(holder, f"{{{NS_XROAD}}}{tag}", nsmap={"xrd": NS_XROAD}).text = value


def _represented_party(value: str) -> etree._Element:
    party_class, _, party_code = value.rpartition("/")
    element = etree.Element(f"{{{NS_REPR}}}representedParty", nsmap={"repr": NS_REPR})
    if party_class:
        etree.SubElement(element, f"{{{NS_REPR}}}partyClass").text = party_class
    etree.SubElement(element, f"{{{NS_REPR}}}partyCode").text = party_code
    return element


@functools.lru_cache(maxsize=1024)
def _fields_template(client: ClientId, service: ServiceId, version: str | None) -> etree._Element:
    """The header fields of a client and service, built once per pair and copied for each
    message: an element with its own namespace map is the dear part of building them.

    The exchange's text fields are there without text; a message drops the optional ones
    it has no value for.
    """
    provider = service.provider
    holder = etree.Element(_HOLDER)
    _identifier(
        holder,
        "client",
        client.object_type,
        [
            ("xRoadInstance", client.instance),
            ("memberClass", client.member_class),
            ("memberCode", client.member_code),
            ("subsystemCode", client.subsystem),
        ],
    )
    _identifier(
        holder,
        "service",
        "SERVICE",
        [
            ("xRoadInstance", provider.instance),
            ("memberClass", provider.member_class),
            ("memberCode", provider.member_code),
            ("subsystemCode", provider.subsystem),
            ("serviceCode", service.code),
            ("serviceVersion", version),
        ],
    )
    for tag in ("id", "userId", "issue"):
        _text(holder, tag, None)
    _text(holder, "protocolVersion", PROTOCOL_VERSION)
    return holder


def _header_fields(fields: XRoadFields) -> list[etree._Element]:
    """In the order of PR-MESS's examples (and the representation extension's vector)."""
    holder = copy.deepcopy(_fields_template(fields.client, fields.service, fields.service_version))
    _, service, exchange_id, user_id, issue, _ = holder
    if fields.represented_party:
        service.addnext(_represented_party(fields.represented_party))
    exchange_id.text = fields.id
    _fill(holder, user_id, fields.user_id)
    _fill(holder, issue, fields.issue)
    return list(holder)


def _fill(holder: etree._Element, element: etree._Element, value: str | None) -> None:
    if value is None:
        holder.remove(element)
    else:
        element.text = value


def has_xroad_header(body: bytes, content_type: str) -> bool:
    """True when a SOAP message carries X-Road header fields; ``Client.*`` if it is no SOAP."""
    part = soap_part(body, content_type, _client_failure)
    envelope = read_envelope(part.data, part.charset, _client_failure)
    return envelope.header is not None and read_fields_present(envelope.header)


def with_xroad_header(soap: bytes, fields: XRoadFields) -> bytes:
    """``soap`` (a SOAP 1.1 envelope without X-Road fields) with them added to its Header.

    Connectors write an empty ``SOAP-ENV:Header``: the header belongs to the exchange,
    which only the transport knows. A message without a Header gets one before its Body.
    The result is UTF-8 with an XML declaration.
    """
    root = parse_xml(soap, None, _client_failure)
    header = next(root.iterchildren(_HEADER), None)
    if header is None:
        header = etree.Element(_HEADER)
        root.insert(0, header)
    header.extend(_header_fields(fields))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# ---------------------------------------------------------------------------- answers


def _fault_error(fault: etree._Element, partner: ClientId) -> GatewayError:
    """A partner's SOAP Fault: an X-Road fault code is kept, any other is ServiceFailed."""
    code = (fault.findtext("faultcode") or "").strip()
    text = (fault.findtext("faultstring") or "").strip()
    detail = next(
        (
            (element.text or "").strip()
            for element in fault.iter(tag=etree.Element)
            if etree.QName(element).localname == "faultDetail"
        ),
        "",
    )
    local = code.rpartition(":")[2]  # a QName such as SOAP-ENV:Server or foo:FOOCODE
    if _XROAD_TYPE.match(local):
        origin, xroad_code = parse_error_type(local)
        return GatewayError(
            f"{partner} answered: {text}", origin=origin, code=xroad_code, detail=detail or None
        )
    return PartnerError(f"{partner} answered with the SOAP Fault {code!r}: {text}")


def read_soap_answer(body: bytes, content_type: str, partner: ClientId) -> Envelope:
    """The answer's envelope; its SOAP Fault raised as a typed error, garbage as ServiceFailed."""
    fail = _answer_failure(partner)
    part = soap_part(body, content_type, fail, strict=False)
    envelope = read_envelope(part.data, part.charset, fail)
    if envelope.fault is not None:
        raise _fault_error(envelope.fault, partner)
    if envelope.body is None:
        raise fail("MissingBody", "the SOAP message has no body")
    return envelope


def _inconsistent(message: str) -> InconsistentResponseError:
    return InconsistentResponseError(message, origin=CLIENT_PROXY)


def check_soap_binding(sent: SoapRequest, answer: Envelope, partner: ClientId) -> None:
    """The answer echoes the header fields we sent, and ``requestHash`` is over our request.

    PR-MESS: the provider's security server echoes the request's header fields and adds
    ``requestHash``, the SHA-512 of the request's SOAP part as it was sent.
    """
    header = answer.header
    if header is None or not read_fields_present(header):
        raise _inconsistent(f"the answer of {partner} echoes no X-Road header fields")
    echoed, _ = read_headers(header, _answer_failure(partner))
    differing = echoed.consistent_with(sent.headers)
    if differing:
        raise _inconsistent(
            f"the answer of {partner} echoes other header fields than we sent: "
            f"{', '.join(differing)}"
        )
    element = header.find(f"{{{NS_XROAD}}}requestHash")
    if element is None:
        raise _inconsistent(f"the answer of {partner} carries no requestHash")
    algorithm = element.get("algorithmId")
    if algorithm is not None and algorithm != REQUEST_HASH_ALGORITHM:
        raise _inconsistent(f"the answer of {partner} hashes the request with {algorithm!r}")
    if _WHITESPACE.sub("", element.text or "") != request_hash(sent.envelope):
        raise _inconsistent(
            f"the answer of {partner} is bound to another request (requestHash differs): "
            "the request or the answer was altered on the way"
        )


def check_rest_binding(
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    expected_hash: str | None,
    exchange_id: str,
    client: ClientId,
    service: ServiceId,
    partner: ClientId,
) -> GatewayError | None:
    """Check an X-Road REST answer against our request; its X-Road error, if it is one.

    An answer must carry ``X-Road-Request-Hash`` equal to the hash of what we sent
    (``expected_hash``; None: a real security server's hash, which only has to be a
    base64 digest) and echo our ``X-Road-Id`` (and ``X-Road-Client`` /
    ``X-Road-Service`` where it names them). An X-Road error from the partner's own
    security server may come without a hash (it never reached the provider), but one
    that names a hash must name ours.
    """
    refusal = parse_error_response(
        body, last_header(headers, "Content-Type"), last_header(headers, "X-Road-Error")
    )
    answered = last_header(headers, "X-Road-Request-Hash")
    if answered is None and refusal is None:
        raise _inconsistent(f"the answer of {partner} carries no X-Road-Request-Hash")
    if answered is not None and expected_hash is None and not _is_digest(answered):
        raise _inconsistent(f"the answer of {partner} carries no well-formed X-Road-Request-Hash")
    if answered is not None and expected_hash is not None and answered.strip() != expected_hash:
        verdict = f"; {partner} answered {refusal[0]}" if refusal else ""
        raise _inconsistent(
            f"the answer of {partner} is bound to another request (X-Road-Request-Hash "
            f"differs): the request or the answer was altered on the way{verdict}"
        )
    echoes = (
        ("X-Road-Id", exchange_id, refusal is None),  # an answer must echo our id
        ("X-Road-Client", str(client), False),
        ("X-Road-Service", str(service), False),
    )
    for name, ours, required in echoes:
        value = last_header(headers, name)
        if (value is not None or required) and value != ours:
            raise _inconsistent(f"the answer of {partner} echoes {name} {value!r}, not ours")
    if refusal is None:
        return None
    error_type, message, detail = refusal
    origin, code = parse_error_type(error_type)
    return GatewayError(
        f"{partner} answered: {message}", origin=origin, code=code, detail=detail or None
    )


def _is_digest(value: str) -> bool:
    """A base64 SHA-256, -384 or -512 digest, as security servers write X-Road-Request-Hash."""
    try:
        return len(base64.b64decode(value.strip(), validate=True)) in (32, 48, 64)
    except (binascii.Error, ValueError):
        return False
