"""The backend both chains end at: ``POST /ettevotted/otsing`` answers a fixed JSON document.

Usage::

    python -m bench.backend --fd 3 --body-bytes 3072

It checks the request body byte for byte (400 if it differs, so a chain that
alters a body shows up as errors) and answers :func:`bench.payload.response_body`.
``GET /healthz`` answers 200 for the readiness checks.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from aiohttp import web

from bench._server import serve
from bench.payload import request_body, response_body

__all__ = ["backend_app", "main"]


def backend_app(body_bytes: int) -> web.Application:
    expected = request_body(body_bytes)
    answer = response_body(body_bytes)

    async def search(request: web.Request) -> web.Response:
        got = await request.read()
        if got != expected:
            return web.json_response(
                {"viga": f"request body differs ({len(got)} bytes, expected {len(expected)})"},
                status=400,
            )
        return web.Response(body=answer, content_type="application/json")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/ettevotted/otsing", search)
    app.router.add_get("/healthz", healthz)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backend", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="inherited listening socket")
    parser.add_argument("--body-bytes", type=int, default=3072)
    args = parser.parse_args(argv)
    serve(backend_app(args.body_bytes), args.fd)


if __name__ == "__main__":
    main()
