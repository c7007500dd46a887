"""The X-Road proxy vectors through running gateways: members, directory, a recording SOAP
backend, and the byte-level checks of what reached the backend and what came back.

Usage (see tests/integration/test_soap_vectors.py)::

    fed = VectorFederation(root, ca, backend_url, unreachable_url)
    async with fed.start(edit=fed.edit_directory) as _gateways, fed.sessions() as sessions:
        backend.answer_with(body, content_type)
        answer = await send(sessions[client], fed.client_url, query, content_type)

The vectors name the members ``EE/BUSINESS/consumer`` (the client), ``EE/BUSINESS/producer``
and ``EE/BUSINESS/attachment`` (the providers): each gets a real gateway of its own, the
directory lists them with the services the vectors call and the access rights, and the
consumer's gateway binds a client certificate to each client subsystem the suite sends as.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email.message
import hashlib
import itertools
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from lxml import etree

from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.settings import ClientSettings, Settings
from tests.integration.federation import HOST, Answer, Harness, call

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_XROAD = "http://x-road.eu/xsd/xroad.xsd"
NS_REPR = "http://x-road.eu/xsd/representation.xsd"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
BOM = b"\xef\xbb\xbf"

CONSUMER = "EE/BUSINESS/consumer"
PRODUCER = "EE/BUSINESS/producer"
ATTACHMENT = "EE/BUSINESS/attachment"
# The subsystem codes of the vectors' own NormalSubsystem case (consumer/subsys1 calls
# producer/subsys2); xgw's clients and services are subsystems, so the vectors that name
# a member as client or provider are sent with these (see ``with_subsystems``).
CLIENT_SUBSYSTEM = "subsys1"
PROVIDER_SUBSYSTEM = "subsys2"
# A client subsystem of the consumer with no access rights (upstream's NotAllowed case
# makes its mock configuration deny the query; here the directory does).
DENIED_SUBSYSTEM = "denied"
# The service codes the vectors call, per provider; one backend each, except
# invalidServiceAddress, whose backend address is a closed port.
SERVICE_CODES = {
    PRODUCER: ("getState", "testQuery", "test", "generateMtom", "invalidServiceAddress"),
    ATTACHMENT: ("test",),
}
UNREACHABLE_SERVICE = "invalidServiceAddress"


def _soap_service(subsystem: str, code: str) -> dict[str, Any]:
    return {"subsystem": subsystem, "code": code, "type": "SOAP", "format": "opaque"}


class VectorFederation(Harness):
    """Three members with a gateway each: the consumer (client side) and two providers."""

    def __init__(
        self, root: Path, ca: CertificateAuthority, backend_url: str, unreachable_url: str
    ) -> None:
        super().__init__(root, ca, backend_url)
        self.unreachable_url = unreachable_url
        self.members = {
            "consumer": self._member("consumer", CONSUMER, f"{CONSUMER}/{CLIENT_SUBSYSTEM}", []),
            **{
                provider.rsplit("/", 1)[1]: self._member(
                    provider.rsplit("/", 1)[1],
                    provider,
                    f"{provider}/client",
                    [_soap_service(PROVIDER_SUBSYSTEM, code) for code in codes],
                )
                for provider, codes in SERVICE_CODES.items()
            },
        }
        self.extra_clients = {
            f"{CONSUMER}/{DENIED_SUBSYSTEM}": ca.issue(
                f"{CONSUMER}/{DENIED_SUBSYSTEM}", usage=Usage.CLIENT
            )
        }
        self.access = [
            {
                "client": f"{CONSUMER}/{CLIENT_SUBSYSTEM}",
                "service": f"{provider}/{PROVIDER_SUBSYSTEM}/{code}",
            }
            for provider, codes in SERVICE_CODES.items()
            for code in codes
        ]

    def edit_directory(self, document: dict[str, Any]) -> dict[str, Any]:
        """List the extra client subsystems under their member."""
        for member in document["members"]:
            for subsystem in self.extra_clients:
                owner, code = subsystem.rsplit("/", 1)
                if member["id"] == owner:
                    member["subsystems"].append({"code": code, "name": code})
        return document

    def settings(self, key: str) -> Settings:
        base = super().settings(key)
        m = self.members[key]
        clients = list(base.clients)
        for subsystem, issued in self.extra_clients.items():
            if subsystem.startswith(m.id + "/"):
                cert, _ = issued.write(m.dir / f"client-{subsystem.rsplit('/', 1)[1]}")
                clients.append(ClientSettings(subsystem=subsystem, certificate=cert))
        services = tuple(
            dataclasses.replace(s, backend=self.unreachable_url)
            if s.code == UNREACHABLE_SERVICE
            else s
            for s in base.services
        )
        return dataclasses.replace(base, clients=tuple(clients), services=services)

    @property
    def client_url(self) -> str:
        """The consumer's gateway's client port."""
        return f"https://{HOST}:{self.members['consumer'].client_sock.getsockname()[1]}"

    @contextlib.asynccontextmanager
    async def sessions(self) -> AsyncIterator[dict[str, aiohttp.ClientSession]]:
        """One TLS session per client subsystem of the consumer, with its bound certificate."""
        identities: dict[str, Issued] = {
            self.members["consumer"].client_subsystem: self.members["consumer"].client,
            **self.extra_clients,
        }
        async with contextlib.AsyncExitStack() as stack:
            sessions = {}
            for subsystem, issued in identities.items():
                cert, key = issued.write(self.root / "sessions" / subsystem.rsplit("/", 1)[1])
                context = ssl.create_default_context(cafile=str(self.ca_cert))
                context.load_cert_chain(cert, key)
                sessions[subsystem] = await stack.enter_async_context(
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))
                )
            yield sessions


# ---------------------------------------------------------------------- the SOAP backend


@dataclass(frozen=True)
class Received:
    """One request as the backend got it."""

    method: str
    path: str
    content_type: str | None
    soap_action: str | None
    body: bytes


@dataclass
class SoapBackend:
    """A SOAP service on 127.0.0.1 that records every request and gives the reply it is told."""

    received: list[Received] = field(default_factory=list)
    status: int = 200
    body: bytes = b""
    content_type: str = "text/xml; charset=utf-8"

    def answer_with(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.body, self.content_type, self.status = body, content_type, status

    def app(self) -> web.Application:
        async def service(request: web.Request) -> web.Response:
            self.received.append(
                Received(
                    request.method,
                    request.raw_path,
                    request.headers.get("Content-Type"),
                    request.headers.get("SOAPAction"),
                    await request.read(),
                )
            )
            # The body as given, and the content type exactly as given (no charset added).
            response = web.Response(status=self.status, body=self.body)
            response.headers["Content-Type"] = self.content_type
            return response

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", service)
        return app


async def send(http: aiohttp.ClientSession, url: str, body: bytes, content_type: str) -> Answer:
    """POST a SOAP message the way an X-Road client system does (SOAPAction empty)."""
    return await call(
        http,
        "POST",
        url + "/",
        data=body,
        headers={"Content-Type": content_type, "SOAPAction": '""'},
    )


# ---------------------------------------------------------------------- adapting the vectors

_HEADER = re.compile(rb"<((?:[\w.-]+:)?)Header\b.*?</\1Header>", re.S)
_CLIENT = re.compile(rb"<((?:[\w.-]+:)?)client\b([^>]*)>(.*?)</\1client>", re.S)
_SERVICE = re.compile(rb"<((?:[\w.-]+:)?)service(\s[^>]*)?>(.*?)</\1service>", re.S)
_MEMBER_CODE = re.compile(rb"<((?:[\w.-]+:)?)memberCode>[^<]*</\1memberCode>")
_OBJECT_TYPE_MEMBER = re.compile(rb"""((?:[\w.-]+:)?objectType\s*=\s*)(["'])MEMBER\2""")


def _add_subsystem(inner: bytes, code: str) -> bytes:
    if b"subsystemCode>" in inner:
        return inner
    member = _MEMBER_CODE.search(inner)
    assert member is not None, inner
    prefix = member.group(1)
    element = b"<%bsubsystemCode>%b</%bsubsystemCode>" % (prefix, code.encode(), prefix)
    return inner[: member.end()] + element + inner[member.end() :]


def with_subsystems(message: bytes, client_subsystem: str | None = CLIENT_SUBSYSTEM) -> bytes:
    """The message with subsystem codes in a member-level ``client`` and ``service`` header.

    Only the SOAP Header's ``client`` (objectType MEMBER becomes SUBSYSTEM; left alone when
    ``client_subsystem`` is None) and ``service`` identifiers change: a ``subsystemCode``
    element with the prefix of the identifier's ``memberCode`` goes right after it.
    Everything else stays byte for byte.
    """
    header = _HEADER.search(message)
    if header is None:
        return message

    def client(match: re.Match[bytes]) -> bytes:
        attributes = match.group(2)
        if client_subsystem is None or not _OBJECT_TYPE_MEMBER.search(attributes):
            return match.group(0)
        attributes = _OBJECT_TYPE_MEMBER.sub(rb"\1\2SUBSYSTEM\2", attributes)
        inner = _add_subsystem(match.group(3), client_subsystem)
        prefix = match.group(1)
        return b"<%bclient%b>%b</%bclient>" % (prefix, attributes, inner, prefix)

    def service(match: re.Match[bytes]) -> bytes:
        inner = _add_subsystem(match.group(3), PROVIDER_SUBSYSTEM)
        prefix, attributes = match.group(1), match.group(2) or b""
        return b"<%bservice%b>%b</%bservice>" % (prefix, attributes, inner, prefix)

    adapted = _SERVICE.sub(service, _CLIENT.sub(client, header.group(0), count=1), count=1)
    return message[: header.start()] + adapted + message[header.end() :]


def plain_answer(service_code: str) -> bytes:
    """A valid answer of a plain SOAP backend: no X-Road headers, no SOAP Header at all."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope xmlns:s="{NS_SOAP}">'
        f'<s:Body><a:{service_code}Response xmlns:a="urn:xgw:test">ok</a:{service_code}Response>'
        "</s:Body></s:Envelope>"
    ).encode()


# ---------------------------------------------------------------------- checking the answer


def soap_part_of(body: bytes, content_type: str) -> bytes:
    """The SOAP part's bytes (what ``requestHash`` covers), found without gateway code.

    A ``text/xml`` body is the SOAP part. In a multipart body it is the part ``start``
    names, else the first: its content between the blank line after its headers and the
    line break before the next delimiter.
    """
    media = email.message.Message()
    media["Content-Type"] = content_type
    if media.get_content_type() != "multipart/related":
        return body
    boundary = media.get_param("boundary")
    start = media.get_param("start")
    assert isinstance(boundary, str)
    delimiter = re.compile(rb"(?:\A(?:" + BOM + rb")?|\r?\n)--" + re.escape(boundary.encode()))
    marks = list(delimiter.finditer(body))
    parts = []
    for here, after in itertools.pairwise(marks):
        segment = body[here.end() : after.start()]
        segment = segment.split(b"\n", 1)[1]  # the rest of the delimiter line
        head, _, content = re.split(rb"(\r?\n\r?\n)", segment, maxsplit=1)
        parts.append((head, content))
    assert parts, "no parts"
    if isinstance(start, str):
        wanted = b"<" + start.strip("<>").encode() + b">"
        return next(content for head, content in parts if wanted in head)
    return parts[0][1]


def request_hash_of(soap_part: bytes) -> str:
    return base64.b64encode(hashlib.sha512(soap_part).digest()).decode("ascii")


_REQUEST_HASH = re.compile(rb"<((?:[\w.-]+:)?)requestHash\b[^>]*?(?:/>|>.*?</\1requestHash>)", re.S)
_HEADER_OPEN = re.compile(rb"<((?:[\w.-]+:)?)Header\b[^>]*?(/?)>")
_BODY_OPEN = re.compile(rb"<((?:[\w.-]+:)?)Body\b")


def _xroad_fields(header: etree._Element) -> list[etree._Element]:
    return [
        child
        for child in header
        if isinstance(child.tag, str) and etree.QName(child).namespace in (NS_XROAD, NS_REPR)
    ]


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def _header_of(soap: bytes) -> etree._Element | None:
    root = etree.fromstring(soap.removeprefix(BOM))
    return root.find(f"{{{NS_SOAP}}}Header")


def check_answer_intact(answer: bytes, out: bytes, answer_type: str, request_soap: bytes) -> None:
    """``out`` is ``answer`` except the X-Road header edits a gateway may make; else AssertionError.

    What may change, and only inside the SOAP part's ``Header`` element:

    - an ``xrd:requestHash`` the service sent is removed (the element only);
    - at the end of the Header go, in this order, the request's X-Road header elements
      (only if the answer carries no X-Road header field of its own) and one
      ``xrd:requestHash`` (SHA-512 of the request's SOAP part, base64);
    - an answer without a Header gets one right before the Body; a self-closing
      ``<Header/>`` is opened (its ``/`` removed) to hold them.

    Every other byte (prolog, BOM, comments, Body, MIME parts, attachments) is the answer's.
    """
    old = answer
    spans = [m.span() for m in _REQUEST_HASH.finditer(answer)]
    for begin, end in reversed(spans):
        old = old[:begin] + old[end:]
    opened = _HEADER_OPEN.search(old)
    if opened is not None and opened.group(2):  # <Header/>: "/" removed, content then close tag
        slash = opened.end() - 2
        head, tail = old[:slash] + b">", old[opened.end() :]
        end_tag = b"</" + opened.group(1) + b"Header>"
        assert out.startswith(head) and out.endswith(end_tag + tail), (answer, out)
        inserted = out[len(head) : len(out) - len(end_tag + tail)]
    elif opened is not None:
        close = old.index(b"</" + opened.group(1) + b"Header>", opened.end())
        head, tail = old[:close], old[close:]
        assert out.startswith(head) and out.endswith(tail), (answer, out)
        inserted = out[len(head) : len(out) - len(tail)]
    else:
        body = _BODY_OPEN.search(old)
        assert body is not None
        head, tail = old[: body.start()], old[body.start() :]
        assert out.startswith(head) and out.endswith(tail), (answer, out)
        wrapped = re.fullmatch(
            rb"<((?:[\w.-]+:)?)Header\b[^>]*>(.*)</\1Header>",
            out[len(head) : len(out) - len(tail)],
            re.S,
        )
        assert wrapped is not None, out[len(head) : len(out) - len(tail)]
        inserted = wrapped.group(2)
    old_header = _header_of(soap_part_of(answer, answer_type))
    new_header = _header_of(soap_part_of(out, answer_type))
    request_header = _header_of(request_soap)
    assert new_header is not None and request_header is not None
    answered = _xroad_fields(old_header) if old_header is not None else []
    own = [f for f in answered if etree.QName(f).localname != "requestHash"]
    echoed = [f for f in _xroad_fields(request_header) if etree.QName(f).localname != "requestHash"]
    elements = _elements_only(inserted, new_header.nsmap)
    assert [_c14n(e) for e in elements[:-1]] == ([] if own else [_c14n(f) for f in echoed])
    hashed = elements[-1]
    assert etree.QName(hashed).localname == "requestHash"
    assert etree.QName(hashed).namespace == NS_XROAD
    assert hashed.get("algorithmId") == SHA512
    assert hashed.text == request_hash_of(request_soap)


def _elements_only(fragment: bytes, nsmap: dict[str | None, str]) -> list[etree._Element]:
    """The elements of ``fragment`` (namespaces as in scope where it sits); no text around them."""
    declarations = "".join(
        f' xmlns:{prefix}="{uri}"' if prefix else f' xmlns="{uri}"' for prefix, uri in nsmap.items()
    )
    wrapper = etree.fromstring(f"<w{declarations}>".encode() + fragment + b"</w>")
    assert not (wrapper.text or "").strip(), fragment
    assert all(not (child.tail or "").strip() for child in wrapper), fragment
    return list(wrapper)


def check_metaservice_answer(out: Answer, request_soap: bytes) -> None:
    """A PR-META answer of the provider's gateway: ``xrd:<service>Response``, headers echoed."""
    assert out.status == 200, out.body[:600]
    assert (out.headers.get("Content-Type") or "").startswith("text/xml"), out.headers
    root = etree.fromstring(out.body)
    header, body = root.find(f"{{{NS_SOAP}}}Header"), root.find(f"{{{NS_SOAP}}}Body")
    request_header = _header_of(request_soap)
    assert header is not None and body is not None and request_header is not None
    asked = request_header.find(f"{{{NS_XROAD}}}service")
    assert asked is not None
    code = asked.findtext("{http://x-road.eu/xsd/identifiers}serviceCode")
    answer = next(child for child in body if isinstance(child.tag, str))
    assert answer.tag == f"{{{NS_XROAD}}}{code}Response", answer.tag
    fields = _xroad_fields(header)
    assert [_c14n(f) for f in fields[:-1]] == [_c14n(f) for f in _xroad_fields(request_header)]
    assert fields[-1].tag == f"{{{NS_XROAD}}}requestHash"
    assert fields[-1].text == request_hash_of(request_soap)


def fault_code(answer: Answer) -> str:
    """The ``faultcode`` of a SOAP Fault answer (HTTP 500, text/xml); else AssertionError."""
    context = (answer.status, answer.headers.get("Content-Type"), answer.body[:600])
    assert answer.status == 500, context
    assert (answer.headers.get("Content-Type") or "").startswith("text/xml"), context
    root = etree.fromstring(answer.body)
    code = root.findtext(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault/faultcode")
    assert code is not None, context
    return code
