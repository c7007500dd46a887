"""The demo's small backends, and the tampering load balancer in front of EE's gateway.

Usage::

    async with serve_app(estonian_business_register(), sock): ...
    async with serve_app(tampering_relay(upstream, ssl_in, ssl_out, lb_cert_pem), sock, ssl_in): ...

The relay stands where a TLS-terminating load balancer would: it terminates the
caller's mutual TLS, forwards the caller's certificate in
``X-Forwarded-Client-Cert`` (as nginx does) and re-encrypts to the gateway.
When a request carries ``X-Demo-Tamper`` it rewrites one byte string of the
body on the way: the gateway behind it must catch that with the signature.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
from aiohttp import web
from yarl import URL

from gateway.trust import FORWARDED_CERT_HEADER
from gateway.xroad_rest import forwardable_headers

__all__ = ["estonian_business_register", "german_resident_register", "serve_app", "tampering_relay"]

_COMPANIES = {
    "12345678": {
        "registrikood": "12345678",
        "nimi": "Põhjaranniku Puit OÜ",
        "staatus": "Registrisse kantud",
        "oiguslik_vorm": "Osaühing",
        "aadress": {
            "maakond": "Harju maakond",
            "linn": "Tallinn",
            "tanav": "Narva mnt 5",
            "postiindeks": "10117",
        },
    },
}


def estonian_business_register() -> web.Application:
    """EE: company details by registry code, and a name search."""

    async def company(request: web.Request) -> web.Response:
        found = _COMPANIES.get(request.match_info["code"])
        if found is None:
            return web.json_response({"viga": "ettevõtet ei leitud"}, status=404)
        return web.json_response(found)

    async def search(request: web.Request) -> web.Response:
        query = await request.json()
        name = str(query.get("nimi", "")).lower()
        hits = [c for c in _COMPANIES.values() if name and name in str(c["nimi"]).lower()]
        return web.json_response({"tulemused": hits})

    app = web.Application()
    app.router.add_get("/ettevotted/{code}", company)
    app.router.add_post("/ettevotted/otsing", search)
    return app


def german_resident_register() -> web.Application:
    """DE: a resident lookup by name and date of birth (Haal Centraal-like query)."""

    async def persons(request: web.Request) -> web.Response:
        query = await request.json()
        if query.get("geslachtsnaam", "").lower() != "müller":
            return web.json_response({"personen": []})
        return web.json_response(
            {
                "personen": [
                    {
                        "naam": {"voornamen": "Anna Maria", "geslachtsnaam": "Müller"},
                        "geboorte": {"datum": {"type": "JaarMaandDatum", "jaar": 1984, "maand": 3}},
                        "verblijfplaats": {
                            "straat": "Rathausplatz",
                            "huisnummer": "1",
                            "postcode": "59069",
                            "woonplaats": "Musterstadt",
                            "land": {"code": "DE"},
                        },
                    }
                ]
            }
        )

    app = web.Application()
    app.router.add_post("/personen", persons)
    return app


def tampering_relay(upstream: str, upstream_ssl: ssl.SSLContext) -> web.Application:
    async def relay(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if "X-Demo-Tamper" in request.headers:
            body = body.replace(b"Musterfirma", b"Evil Corp!!")
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
