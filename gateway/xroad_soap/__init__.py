"""The X-Road SOAP message protocol 4.0 (PR-MESS), as pure functions.

Usage::

    request = parse_request(body, headers["Content-Type"])   # raises Client.* errors
    request.headers.client, request.headers.service           # ClientId, ServiceId
    request.headers.rest_headers()        # X-Road-Client, -Id, ... as the signed hop mirrors them
    check_soap_action(headers.get("SOAPAction"))              # Client.InvalidSoapAction
    # ... pass request.body / request.content_type on to the service unchanged ...
    body, content_type = response_with_echoed_headers(request, answer, answer_type)
    # on any GatewayError: fault(err) as FAULT_CONTENT_TYPE, HTTP 500

No I/O here: the frontends hand in what arrived and send what comes back.

Requests (``parse_request``): ``text/xml`` (SOAP 1.1) or ``multipart/related``
(SwA, or MTOM with an ``application/xop+xml`` root part; ``start`` is honoured,
else the first part is the SOAP part). Parts are located in the bytes as received
and never re-encoded. The checks and the X-Road codes, in order:

==========================================  ==================================
problem                                     ``Client.*`` code
==========================================  ==================================
content type not text/xml or multipart/     InvalidContentType
related, no boundary, a part without
Content-Type, SOAP part not XML
empty multipart body                        MissingSoap
boundary or closing delimiter missing       InvalidMessage
empty SOAP part                             InvalidSoap
not well-formed XML, a DTD                  InvalidXml
root not a SOAP 1.1 Envelope, a Fault       InvalidSoap
no Header / no Body                         MissingHeader / MissingBody
an X-Road header field twice                DuplicateHeaderField
a header field against the header XSD       InvalidXml
client, service, id, protocolVersion absent MissingHeaderField
protocolVersion other than 4.0              InvalidProtocolVersion
client objectType vs. subsystemCode, bad    InvalidClientIdentifier
identifier characters                       (service: BadRequest)
Body without exactly one element            InvalidBody
Body element not named after the service    InconsistentHeaders
code (it must start with it)
==========================================  ==================================

The header XSD is ``schemas/xroad/soap-header.xsd`` (derived from PR-MESS Annexes A
and B plus the representation extension), read from the installed package.
``fault(err, snake_case=True)`` gives the 7.8 spelling of the code.
"""

from __future__ import annotations

from gateway.xroad_soap._request import (
    PROTOCOL_VERSION,
    Attachment,
    RepresentedParty,
    SoapHeaders,
    SoapRequest,
    check_soap_action,
    parse_request,
)
from gateway.xroad_soap._response import (
    FAULT_CONTENT_TYPE,
    REQUEST_HASH_ALGORITHM,
    fault,
    request_hash,
    response_with_echoed_headers,
)

__all__ = [
    "FAULT_CONTENT_TYPE",
    "PROTOCOL_VERSION",
    "REQUEST_HASH_ALGORITHM",
    "Attachment",
    "RepresentedParty",
    "SoapHeaders",
    "SoapRequest",
    "check_soap_action",
    "fault",
    "parse_request",
    "request_hash",
    "response_with_echoed_headers",
]
