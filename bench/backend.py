"""The backend both chains end at: it checks what it gets and answers a fixed document.

Usage::

    python -m bench.backend --fd 3 --serves opaque --body-bytes 3072
    python -m bench.backend --fd 3 --serves register      # EE's Business Register (xgw chain)
    python -m bench.backend --fd 3 --serves xoev          # the same exchange, untranslated

- ``opaque``: ``POST /ettevotted/otsing`` compares the JSON request byte for byte and
  answers :func:`bench.payload.response_body`.
- ``register``: ``POST /`` is Estonia's Business Register behind xgw EE: the SOAP
  ``detailandmed_v2`` request must equal the expected one from its Body on (the X-Road
  header before it names the exchange), and the answer echoes that header, as an X-Road
  producer does (PR-MESS 2.3).
- ``xoev``: ``POST /`` is the plain chain's end of the same exchange: it gets the
  client's XGewerbeanzeige byte for byte and answers what xgw's client gets back.

A request that differs is answered 400, so a chain that alters a body shows up as
errors. ``GET /healthz`` answers 200 for the readiness checks.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from bench._server import serve
from bench.payload import request_body, response_body
from bench.xoev import soap_body, xoev_documents

__all__ = ["SERVES", "backend_app", "main"]

SERVES = ("opaque", "register", "xoev")
_XML = "text/xml"
_HEADER_END = b"</SOAP-ENV:Header>"
_EMPTY_HEADER = b"<SOAP-ENV:Header/>"

Handler = Callable[[web.Request], Awaitable[web.Response]]


def _refuse(got: bytes, expected: int) -> web.Response:
    return web.json_response(
        {"viga": f"request body differs ({len(got)} bytes, expected {expected})"}, status=400
    )


def _fixed(expected: bytes, answer: bytes, content_type: str) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        got = await request.read()
        if got != expected:
            return _refuse(got, len(expected))
        return web.Response(body=answer, content_type=content_type)

    return handle


def _register(expected_body: bytes, answer: bytes) -> Handler:
    head, _, tail = answer.partition(_EMPTY_HEADER)
    assert tail, "the register's answer has an empty SOAP Header to echo the request's into"

    async def handle(request: web.Request) -> web.Response:
        got = await request.read()
        body = soap_body(got)
        if body != expected_body:
            return _refuse(body, len(expected_body))
        start, end = got.find(b"<SOAP-ENV:Header>"), got.find(_HEADER_END)
        header = got[start : end + len(_HEADER_END)] if 0 <= start < end else _EMPTY_HEADER
        return web.Response(body=head + header + tail, content_type=_XML, charset="utf-8")

    return handle


def backend_app(serves: str, body_bytes: int | None) -> web.Application:
    app = web.Application()
    if serves == "opaque":
        size = body_bytes or 3072
        handler = _fixed(request_body(size), response_body(size), "application/json")
        app.router.add_post("/ettevotted/otsing", handler)
    else:
        docs = xoev_documents(body_bytes)
        if serves == "register":
            app.router.add_post("/", _register(docs.register_request, docs.register_answer))
        else:
            app.router.add_post("/", _fixed(docs.request, docs.client_answer, "application/xml"))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backend", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="inherited listening socket")
    parser.add_argument("--serves", choices=SERVES, default="opaque")
    parser.add_argument("--body-bytes", type=int, help="request size (default: the document's)")
    args = parser.parse_args(argv)
    serve(backend_app(args.serves, args.body_bytes), args.fd)


if __name__ == "__main__":
    main()
