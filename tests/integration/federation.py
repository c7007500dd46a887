"""A test federation: real certificates, a signed directory, real gateways on 127.0.0.1.

Usage (through the fixtures in conftest.py)::

    async with fed.start() as (de, ee):
        async with fed.client("DE") as http:
            resp = await http.get(f"{de.client_url}/r1/EE/GOV/70000310/ariregister/ettevotted/x",
                                  headers={"X-Road-Client": fed.client_id("DE")})
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from gateway._crypto import now_utc
from gateway.app import Gateway, bind
from gateway.directory import inspect_token, sign_directory
from gateway.directory_cli import build_directory
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.settings import Settings
from gateway.signing import (
    SIGNATURE_HEADER,
    HopSigner,
    body_digest,
    request_signing_input,
    response_signing_input,
    verify,
)
from gateway.stages.client_side import hash_headers
from gateway.trust import peer_client_context
from gateway.xroad_rest import request_hash

HOST = "127.0.0.1"
DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
SERVICE = f"{EE}/ariregister/ettevotted"

DirectoryEdit = Callable[[dict[str, Any]], dict[str, Any]]  # changes a document before signing


@dataclass
class HarnessMember:
    key: str
    id: str
    client_subsystem: str
    dir: Path
    tls: Issued
    signing: Issued
    client: Issued
    peer_sock: Any = None
    client_sock: Any = None
    services: list[dict[str, Any]] = field(default_factory=list)
    settings_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    client_format: str = "opaque"  # what the member's client system speaks
    backend_format: str | None = None  # what its backends speak; None: as the directory says

    @property
    def peer_url(self) -> str:
        return f"https://{HOST}:{self.peer_sock.getsockname()[1]}"


class Harness:
    """Two members: DE (a client system, gewerbeamt) and EE (the service ettevotted)."""

    def __init__(self, root: Path, ca: CertificateAuthority, backend_url: str) -> None:
        self.root = root
        self.ca = ca
        self.operator = ca.issue("test federation operator", usage=Usage.SIGNING)
        self.operator_cert, _ = self.operator.write(root / "operator")
        self.ca_cert, _ = Issued(ca.key, ca.cert).write(root / "ca")
        self.backend_url = backend_url
        self.members = {
            "DE": self._member("DE", DE, f"{DE}/gewerbeamt", []),
            "EE": self._member(
                "EE",
                EE,
                f"{EE}/klient",
                [
                    {
                        "subsystem": "ariregister",
                        "code": "ettevotted",
                        "type": "REST",
                        "format": "opaque",
                        "endpoints": [
                            {"method": "GET", "path": "/ettevotted/**"},
                            {"method": "POST", "path": "/ettevotted/**"},
                            {"method": "*", "path": "/echo/**"},
                            {"method": "GET", "path": "/slow"},
                            {"method": "GET", "path": "/redirect"},
                        ],
                        "openapi": '{"openapi": "3.0.0", "info": {"title": "ettevotted", '
                        '"version": "1"}, "paths": {}}',
                    }
                ],
            ),
        }
        self.access: list[dict[str, Any]] = [
            {
                "client": f"{DE}/gewerbeamt",
                "service": SERVICE,
                "endpoints": [
                    {"method": "*", "path": "/ettevotted/**"},
                    {"method": "*", "path": "/echo/**"},
                    {"method": "GET", "path": "/slow"},
                    {"method": "GET", "path": "/redirect"},
                ],
            }
        ]
        self.revoked: list[dict[str, str]] = []
        self.valid_hours = 24.0
        self.sequence = 1
        self.directory_path = root / "directory.jws"

    def _member(
        self, key: str, member_id: str, client: str, services: list[dict[str, Any]]
    ) -> HarnessMember:
        directory = self.root / key.lower()
        return HarnessMember(
            key,
            member_id,
            client,
            directory,
            tls=self.ca.issue(member_id, usage=Usage.TLS, hosts=[HOST, "localhost"]),
            signing=self.ca.issue(member_id, usage=Usage.SIGNING),
            client=self.ca.issue(client, usage=Usage.CLIENT),
            services=services,
        )

    def client_id(self, key: str) -> str:
        return self.members[key].client_subsystem

    # ------------------------------------------------------------------ directory

    def directory_document(self) -> dict[str, Any]:
        members = []
        for m in self.members.values():
            tls_path, _ = m.tls.write(m.dir / "tls")
            sign_path, _ = m.signing.write(m.dir / "sign")
            members.append(
                {
                    "id": m.id,
                    "name": m.key,
                    "gateway_url": m.peer_url,
                    "tls_certificates": [str(tls_path)],
                    "signing_certificates": [str(sign_path)],
                    "subsystems": [{"code": m.client_subsystem.rsplit("/", 1)[1], "name": "client"}]
                    + [
                        {"code": code, "name": code}
                        for code in dict.fromkeys(s["subsystem"] for s in m.services)
                    ],
                    "services": m.services,
                }
            )
        spec = {
            "instance": "TEST",
            "cas": [str(self.ca_cert)],
            "members": members,
            "access": self.access,
            "revoked": self.revoked,
        }
        return build_directory(
            spec, self.root, valid_hours=self.valid_hours, sequence=self.sequence
        )

    def publish(self, document: dict[str, Any] | None = None, signer: Issued | None = None) -> None:
        """Sign (by the operator unless told otherwise) and write the directory file."""
        document = document or self.directory_document()
        signer = signer or self.operator
        self.directory_path.write_text(sign_directory(document, signer.key, signer.cert))
        self.sequence += 1

    def published_document(self) -> dict[str, Any]:
        """The document last published, with the next sequence: change it and publish it.

        Unlike ``directory_document()`` it writes no certificate or key files, which a
        running gateway may be reading.
        """
        document: dict[str, Any] = inspect_token(self.directory_path.read_text())[1]
        document["sequence"] = self.sequence
        return document

    def publish_atomically(self, document: dict[str, Any]) -> float:
        """Publish as the operator, by rename: a refreshing gateway never reads half a file.

        Returns the ``time.monotonic()`` at which the new directory became readable.
        """
        partial = self.directory_path.with_name(self.directory_path.name + ".partial")
        partial.write_text(sign_directory(document, self.operator.key, self.operator.cert))
        os.replace(partial, self.directory_path)
        published = time.monotonic()
        self.sequence += 1
        return published

    # ------------------------------------------------------------------ gateways

    def settings(self, key: str) -> Settings:
        m = self.members[key]
        client_path, _ = m.client.write(m.dir / "client")
        tls_path, tls_key = m.tls.write(m.dir / "tls")
        sign_path, sign_key = m.signing.write(m.dir / "sign")
        raw: dict[str, Any] = {
            "member": {"id": m.id},
            "listen": {"peer": f"{HOST}:0", "client": f"{HOST}:0"},
            "tls": {"certificate": str(tls_path), "key": str(tls_key)},
            "signing": {"certificate": str(sign_path), "key": str(sign_key)},
            "directory": {
                "source": str(self.directory_path),
                "trust_anchor": str(self.operator_cert),
                "refresh_interval": 3600,
            },
            "data": {"dir": str(m.dir / "data")},
            "security": {"client_ca": str(self.ca_cert), "max_body_bytes": 65536},
            "timeouts": {"backend": 2.0, "peer": 10.0},
            "clients": [
                {
                    "subsystem": m.client_subsystem,
                    "certificate": str(client_path),
                    "format": m.client_format,
                }
            ],
            "services": [
                {
                    "subsystem": s["subsystem"],
                    "code": s["code"],
                    "backend": self.backend_url,
                    **({"format": m.backend_format} if m.backend_format else {}),
                }
                for s in m.services
            ],
        }
        for section, values in m.settings_overrides.items():
            raw.setdefault(section, {}).update(values)
        return Settings.from_mapping(raw, base_dir=self.root, env={})

    @contextlib.asynccontextmanager
    async def start(
        self,
        publish: bool = True,
        *,
        edit: DirectoryEdit | None = None,
        signer: Issued | None = None,
    ) -> AsyncIterator[tuple[Gateway, Gateway]]:
        """Bind, publish the directory and run both gateways.

        ``edit`` may change the directory document before it is signed (an expiry in
        the past, say) and ``signer`` signs it instead of the operator.
        """
        for m in self.members.values():
            m.peer_sock, m.client_sock = bind(HOST, 0), bind(HOST, 0)
        if publish:
            document = self.directory_document()
            self.publish(edit(document) if edit is not None else document, signer)
        async with contextlib.AsyncExitStack() as stack:
            gateways = [
                await stack.enter_async_context(
                    Gateway.running(
                        self.settings(k), peer_sock=m.peer_sock, client_sock=m.client_sock
                    )
                )
                for k, m in self.members.items()
            ]
            yield gateways[0], gateways[1]

    # ------------------------------------------------------------------ clients

    def client_ssl(self, key: str) -> ssl.SSLContext:
        m = self.members[key]
        cert, private = m.client.write(m.dir / "client")
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        context.load_cert_chain(cert, private)
        return context

    def client(self, key: str) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self.client_ssl(key)))

    def peer_session(self, issued: Issued, name: str = "peer") -> aiohttp.ClientSession:
        """A session that speaks to peer ports with the given TLS identity."""
        cert, key = issued.write(self.root / name)
        context = peer_client_context(cert, key, [self.ca.cert])
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))


def expired_issue(ca: CertificateAuthority, subject: str, usage: Usage) -> Issued:
    return ca.issue(
        subject, usage=usage, hosts=[HOST], days=1, not_before=now_utc() - timedelta(days=3)
    )


SEEN = web.AppKey("seen", list)
SEEN_PATH = "/_seen"  # GET: every request that reached the backend, in order


@web.middleware
async def _record_hits(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path != SEEN_PATH:
        request.app[SEEN].append(f"{request.method} {request.raw_path}")
    return await handler(request)


def make_backend() -> web.Application:
    """A backend that shows what reached it (``GET /_seen`` lists every request)."""

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "path": request.raw_path,
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": body.decode("utf-8", "replace"),
            },
            headers={"X-Backend": "yes"},
        )

    async def slow(request: web.Request) -> web.Response:
        import asyncio

        await asyncio.sleep(5)
        return web.json_response({})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/ettevotted/elsewhere")

    async def company(request: web.Request) -> web.Response:
        return web.json_response(
            {"registrikood": request.match_info["code"], "nimi": "Põhjaranniku Puit OÜ"}
        )

    async def seen(request: web.Request) -> web.Response:
        return web.json_response(request.app[SEEN])

    app = web.Application(middlewares=[_record_hits])
    app[SEEN] = []
    app.router.add_get(SEEN_PATH, seen)
    app.router.add_get("/ettevotted/{code}", company)
    app.router.add_route("*", "/echo/{tail:.*}", echo)
    app.router.add_get("/slow", slow)
    app.router.add_get("/redirect", redirect)
    return app


def error_of(body: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(body)
    return parsed


# ---------------------------------------------------------------------- refusal-test helpers


async def backend_seen(backend_url: str) -> list[str]:
    """What reached a counting backend so far: ``"METHOD /raw/path?query"`` per request."""
    async with aiohttp.ClientSession() as http, http.get(backend_url + SEEN_PATH) as resp:
        assert resp.status == 200
        seen: list[str] = await resp.json()
    return seen


@contextlib.asynccontextmanager
async def serve_app(
    app: web.Application, ssl_context: ssl.SSLContext | None = None, port: int = 0
) -> AsyncIterator[str]:
    """Run an aiohttp app on 127.0.0.1 (over TLS with ``ssl_context``); yields its base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    try:
        sock = bind(HOST, port)
    except OSError:
        await runner.cleanup()
        raise
    scheme = "https" if ssl_context is not None else "http"
    try:
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        yield f"{scheme}://{HOST}:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def tls_listener(context: ssl.SSLContext) -> AsyncIterator[tuple[str, list[str]]]:
    """A TLS server that counts completed handshakes and then hangs up.

    Yields its base URL and the list it appends to once per completed handshake.
    """
    handshakes: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handshakes.append(str(writer.get_extra_info("peername")))
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()

    server = await asyncio.start_server(handle, HOST, 0, ssl=context)
    try:
        yield f"https://{HOST}:{server.sockets[0].getsockname()[1]}", handshakes
    finally:
        server.close()
        await server.wait_closed()


def server_context(issued: Issued, directory: Path) -> ssl.SSLContext:
    """A TLS server context presenting ``issued``; asks for no client certificate."""
    cert, key = issued.write(directory / "server")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (a port bound, then closed)."""
    sock = bind(HOST, 0)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://{HOST}:{port}"


@dataclass
class Answer:
    """A response read whole, its connection released."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: Iterable[tuple[str, str]] | dict[str, str] = (),
    data: Any = None,
    encoded: bool = False,
) -> Answer:
    """One request; ``encoded=True`` sends the path exactly as given (no normalisation)."""
    target = URL(url, encoded=True) if encoded else url
    pairs = headers.items() if isinstance(headers, dict) else headers
    async with http.request(
        method, target, headers=CIMultiDict(pairs), data=data, allow_redirects=False
    ) as resp:
        return Answer(resp.status, resp.headers, await resp.read())


def assert_xroad_error(answer: Answer, expected_type: str) -> dict[str, Any]:
    """An X-Road REST error of ``expected_type``: header, JSON body, 400/500, a detail id."""
    context = (answer.status, dict(answer.headers), answer.body[:500])
    assert answer.headers.get("X-Road-Error") == expected_type, context
    document: dict[str, Any] = json.loads(answer.body)
    assert document["type"] == expected_type, context
    assert answer.status == (400 if expected_type.startswith("Client.") else 500), context
    assert isinstance(document["message"], str) and document["message"], context
    uuid.UUID(document["detail"])
    return document


# The signed hop, crafted by hand -----------------------------------------------------------


@dataclass
class Hop:
    """One request to a peer port, as a gateway would send it."""

    method: str
    path: str  # the raw path and query, /r1/...
    headers: list[tuple[str, str]]
    body: bytes = b""


def signed_hop(
    method: str,
    path: str,
    *,
    client: str,
    signing: Issued | None,
    body: bytes = b"",
    xroad_id: str | None = None,
    extra_headers: Sequence[tuple[str, str]] = (),
    iat: int | None = None,
    nonce: str | None = None,
    signed_method: str | None = None,
    signed_path: str | None = None,
    signed_body: bytes | None = None,
    signed_headers: Sequence[tuple[str, str]] | None = None,
) -> Hop:
    """A hop request signed with ``signing`` (unsigned when None).

    The ``signed_*`` arguments sign something other than what is sent, as if the
    request had been changed in transit after it was signed.
    """
    headers = [("X-Road-Client", client), ("X-Road-Id", xroad_id or str(uuid.uuid4()))]
    headers += extra_headers
    if body and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/octet-stream"))  # signed, so explicit
    if signing is not None:
        payload = request_signing_input(
            signed_method or method,
            signed_path or path,
            headers if signed_headers is None else signed_headers,
            body_digest(body if signed_body is None else signed_body),
        )
        token = HopSigner(signing.key, signing.cert).sign(payload, iat=iat, nonce=nonce)
        headers.append((SIGNATURE_HEADER, token))
    return Hop(method, path, headers, body)


async def send_hop(http: aiohttp.ClientSession, peer_url: str, hop: Hop) -> Answer:
    return await call(
        http,
        hop.method,
        peer_url + hop.path,
        headers=hop.headers,
        data=hop.body or None,
        encoded=True,
    )


def assert_signed_answer(answer: Answer, hop: Hop, provider: Issued) -> None:
    """The answer is signed by ``provider``'s signing key and bound to ``hop``."""
    token = answer.headers.get(SIGNATURE_HEADER)
    assert token, f"unsigned answer: {answer.status} {dict(answer.headers)}"
    payload = response_signing_input(
        answer.status, list(answer.headers.items()), body_digest(answer.body)
    )
    verify(token, payload, provider.cert)
    expected = request_hash(hop.method, hop.path, hash_headers(hop.headers), hop.body)
    assert answer.headers.get("X-Road-Request-Hash") == expected


# The command line, in-process ---------------------------------------------------------------


@contextlib.contextmanager
def kept_logging() -> Iterator[None]:
    """``xgw``'s main() reconfigures the root logger; put pytest's handlers back after it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
