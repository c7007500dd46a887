"""The demo's registers, each speaking its real format, and the tampering load balancer.

Usage::

    register = german_resident_register()            # XMeld Datenabruf -> XMeld answer
    async with serve_app(register.app, sock): ...
    register.seen                                     # [(request bytes, answer bytes), ...]

- Musterstadt's resident register answers XMeld ``datenabruf.freieSuche``;
- Estonia's Business Register answers ``detailandmed_v2`` (X-Road SOAP 4.0, the
  request's X-Road header echoed as an X-Road producer does);
- Flanders' MAGDA answers ``GeefOnderneming`` 02.00 in MAGDA's SOAP envelope.

They read the question with lxml and answer with the payloads written for the demo
(``gateway.demo.payloads``); they record what crossed their edge, so that the demo
can show it. The relay stands where a TLS-terminating load balancer would: it
forwards the caller's certificate in ``X-Forwarded-Client-Cert`` (as nginx does),
and when a request carries ``X-Demo-Tamper`` it changes the registry code in the
body on the way: the gateway behind it must catch that with the signature.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp
from aiohttp import web
from lxml import etree
from yarl import URL

from gateway.demo.payloads import payload
from gateway.trust import FORWARDED_CERT_HEADER
from gateway.xroad_rest import forwardable_headers

__all__ = [
    "MAGDA_ADDRESS",
    "Register",
    "estonian_business_register",
    "flemish_magda",
    "german_resident_register",
    "serve_app",
    "tampering_relay",
]

MAGDA_ADDRESS = "/GeefOnderneming-02.00/soap/WebService"
_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_XML = "text/xml; charset=utf-8"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass
class Register:
    """A demo register: its aiohttp app and what it was asked and answered."""

    app: web.Application
    seen: list[tuple[bytes, bytes]] = field(default_factory=list)


def _text(root: etree._Element, local_name: str) -> str:
    found = root.xpath(f"string(//*[local-name()='{local_name}'])")
    return str(found).strip()


def _register(path: str, answer: Callable[[etree._Element], tuple[int, bytes]]) -> Register:
    register = Register(web.Application())

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            status, reply = answer(etree.fromstring(body, _PARSER))
        except etree.XMLSyntaxError:
            status, reply = 400, _fault("SOAP-ENV:Client", "not XML")
        register.seen.append((body, reply))
        return web.Response(status=status, body=reply, content_type="text/xml", charset="utf-8")

    register.app.router.add_post(path, handle)
    return register


def _fault(code: str, text: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="{_SOAP_NS}">'
        f"<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>{code}</faultcode>"
        f"<faultstring>{text}</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()


def german_resident_register() -> Register:
    """DE: XMeld free search by family name; Anna Maria Müller lives in Musterstadt."""

    def answer(query: etree._Element) -> tuple[int, bytes]:
        name = _text(query, "nachname") or _text(query, "familienname")
        found = name.casefold() == "müller"
        return 200, payload(
            "xmeld-antwort-mueller.xml" if found else "xmeld-antwort-keine-person.xml"
        )

    return _register("/personen", answer)


def estonian_business_register() -> Register:
    """EE: detailandmed_v2 by registry code, as an X-Road producer: the header comes back."""

    def answer(request: etree._Element) -> tuple[int, bytes]:
        code = _text(request, "ariregistri_kood")
        if code != "12345678":
            return 500, _fault("SOAP-ENV:Server", f"ettevõtjat registrikoodiga {code} ei leitud")
        reply = payload("ariregister-detailandmed_v2-12345678.xml")
        header = request.find(f"{{{_SOAP_NS}}}Header")
        if header is None or len(header) == 0:
            return 200, reply
        echoed = etree.tostring(header, encoding="unicode")
        # The producer echoes the request's X-Road header fields (PR-MESS 2.3).
        echoed = re.sub(r"^<([\w-]+:)?Header", "<SOAP-ENV:Header", echoed)
        echoed = re.sub(r"</([\w-]+:)?Header>$", "</SOAP-ENV:Header>", echoed)
        return 200, reply.replace(b"<SOAP-ENV:Header/>", echoed.encode(), 1)

    return _register("/", answer)


def flemish_magda() -> Register:
    """BE: MAGDA GeefOnderneming by enterprise number (KBO)."""

    def answer(request: etree._Element) -> tuple[int, bytes]:
        number = _text(request, "Ondernemingsnummer")
        if number != "0403170701":
            return 500, _fault("soapenv:Server", f"onderneming {number} niet gevonden")
        return 200, payload("magda-geefonderneming-0403170701.xml")

    return _register(MAGDA_ADDRESS, answer)


def tampering_relay(upstream: str, upstream_ssl: ssl.SSLContext) -> web.Application:
    async def relay(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if "X-Demo-Tamper" in request.headers:
            body = body.replace(b"12345678", b"87654321")
        headers = [
            (n, v)
            for n, v in forwardable_headers(request.headers.items())
            if n.lower() != FORWARDED_CERT_HEADER.lower()
        ]
        der = (
            request.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
            if request.transport
            else None
        )
        if der:
            headers.append((FORWARDED_CERT_HEADER, quote(ssl.DER_cert_to_PEM_cert(der))))
        async with request.app[_SESSION].request(
            request.method,
            URL(upstream + request.raw_path, encoded=True),
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as response:
            return web.Response(
                status=response.status,
                body=await response.read(),
                headers=forwardable_headers(response.headers.items()),
            )

    async def session_ctx(app: web.Application) -> AsyncIterator[None]:
        app[_SESSION] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=upstream_ssl))
        yield
        await app[_SESSION].close()

    app = web.Application()
    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", relay)
    return app


_SESSION = web.AppKey("session", aiohttp.ClientSession)


@contextlib.asynccontextmanager
async def serve_app(
    app: web.Application, sock: socket.socket, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[None]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        yield
    finally:
        await runner.cleanup()
