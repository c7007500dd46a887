"""The baseline: a plain aiohttp reverse proxy, one process, one shared client session.

Usage::

    python -m bench.plain_proxy --fd 3 --upstream https://127.0.0.1:9443 \
        --cert tls.pem --key tls.key --client-ca ca.pem --tls-min 1.2 \
        --upstream-cert tls.pem --upstream-key tls.key --upstream-ca ca.pem

It forwards the method, the raw path (less ``--strip-prefix``), the headers less
the hop-by-hop ones and the body, and answers with the upstream's status,
headers (less hop-by-hop) and body. Both bodies are read whole, as xgw does.
With ``--cert`` it terminates TLS, and with ``--client-ca`` requires a client
certificate; with ``--upstream-cert`` it presents one upstream (mutual TLS 1.3,
host name not checked: xgw pins peers by fingerprint instead).
"""

from __future__ import annotations

import argparse
import ssl
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from bench._server import serve, server_context
from gateway.xroad_rest import HOP_BY_HOP

__all__ = ["forwardable", "main", "proxy_app"]

# The same hop-by-hop rules as xgw, so both chains pass on the same headers.
_HOP_BY_HOP = HOP_BY_HOP
_SESSION = web.AppKey("session", aiohttp.ClientSession)
_TLS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def forwardable(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers less hop-by-hop ones and those the ``Connection`` header names."""
    items = list(headers)
    drop = set(_HOP_BY_HOP)
    for name, value in items:
        if name.lower() == "connection":
            drop.update(token.strip().lower() for token in value.split(","))
    return [(name, value) for name, value in items if name.lower() not in drop]


def proxy_app(
    upstream: str, upstream_ssl: ssl.SSLContext | None, strip_prefix: str = ""
) -> web.Application:
    base = upstream.rstrip("/")

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        path = request.raw_path
        if strip_prefix and path.startswith(strip_prefix):
            path = path[len(strip_prefix) :] or "/"
        try:
            async with request.app[_SESSION].request(
                request.method,
                URL(base + path, encoded=True),
                headers=forwardable(request.headers.items()),
                data=body or None,
                allow_redirects=False,
            ) as response:
                answer = await response.read()
                return web.Response(
                    status=response.status,
                    headers=CIMultiDict(forwardable(response.headers.items())),
                    body=answer,
                )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return web.Response(status=502, text=f"upstream failed: {type(exc).__name__}: {exc}")

    async def session_ctx(app: web.Application) -> AsyncIterator[None]:
        # The same pool limits and timeouts as xgw's peer session.
        app[_SESSION] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                ssl=upstream_ssl if upstream_ssl is not None else True,
                limit=256,
                limit_per_host=128,
            ),
            timeout=aiohttp.ClientTimeout(total=60, sock_connect=5),
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
        )
        yield
        await app[_SESSION].close()

    app = web.Application(client_max_size=1024 * 1024 + 1)
    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def upstream_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    """Mutual TLS 1.3 towards the next hop, like xgw's ``peer_client_context``."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(cert, key)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plain_proxy", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="inherited listening socket")
    parser.add_argument("--upstream", required=True, help="base URL of the next hop")
    parser.add_argument("--strip-prefix", default="", help="path prefix removed upstream")
    parser.add_argument("--cert", type=Path, help="server certificate: serve TLS")
    parser.add_argument("--key", type=Path)
    parser.add_argument("--client-ca", type=Path, help="require a client certificate from it")
    parser.add_argument("--tls-min", choices=sorted(_TLS), default="1.2")
    parser.add_argument("--upstream-cert", type=Path, help="client certificate upstream")
    parser.add_argument("--upstream-key", type=Path)
    parser.add_argument("--upstream-ca", type=Path)
    args = parser.parse_args(argv)
    server_ssl = None
    if args.cert is not None:
        if args.key is None:
            parser.error("--cert needs --key")
        server_ssl = server_context(args.cert, args.key, args.client_ca, _TLS[args.tls_min])
    upstream_ssl = None
    if args.upstream_cert is not None:
        if args.upstream_key is None or args.upstream_ca is None:
            parser.error("--upstream-cert needs --upstream-key and --upstream-ca")
        upstream_ssl = upstream_context(args.upstream_cert, args.upstream_key, args.upstream_ca)
    serve(proxy_app(args.upstream, upstream_ssl, args.strip_prefix), args.fd, server_ssl)


if __name__ == "__main__":
    main()
