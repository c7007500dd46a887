"""Admin API: the node's certificates — list, show, import, and rotating its own keys.

Usage::

    GET  /admin/v1/certificates                 every certificate of the node and its certs dir
    GET  /admin/v1/certificates/{ref}           one, by fingerprint (prefix of >= 8 hex digits)
    POST /admin/v1/certificates                 {"pem": ..., "usage": "tls"}: import a partner's
    POST /admin/v1/certificates/rotate          {"usage": "signing"}: a next key and its CSR
    PUT  /admin/v1/certificates/next/{usage}    the CA's certificate for the staged next key

The same service layer as ``xgw certs`` (gateway/certs/). The inventory directory is the
one that holds the node's TLS certificate. A rotation through the API always ends in a
CSR for the federation's CA (the node keeps no CA key); the gateway adopts the staged
pair by itself once the directory lists the new certificate (docs/rotation.md). Private
keys stay on the node's disk and never appear in an answer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509

from gateway.admin.routes import (
    EVERYONE,
    OFFICERS,
    Reply,
    Route,
    file_names_only,
    json_body,
    read_limited,
)
from gateway.admin.tokens import Role, TokenActor
from gateway.certs.checks import USAGES
from gateway.certs.inventory import (
    ca_certificates,
    find_certificate,
    import_certificate,
    load_inventory,
    reserved_paths,
)
from gateway.certs.rotate import ROTATION_USAGES, install_next, rotate
from gateway.errors import AdminError, DirectoryError, ForbiddenError
from gateway.node import Node

__all__ = ["routes"]

_MAX_PEM_BYTES = 64 * 1024


def routes(node: Node) -> list[Route]:
    settings = node.settings
    inventory_dir = settings.tls.certificate.parent
    reserved = reserved_paths(settings)

    def public(answer: dict[str, Any]) -> dict[str, Any]:
        """An answer with file names, not the node's directories (also inside next_steps)."""
        answer = file_names_only(answer)
        prefixes = {
            f"{settings.tls.certificate.parent}/",
            f"{settings.signing.certificate.parent}/",
        }
        steps = []
        for step in answer.get("next_steps", []):
            for prefix in prefixes:
                step = step.replace(prefix, "")
            steps.append(step)
        if steps:
            answer["next_steps"] = steps
        return answer

    def federation_cas() -> list[x509.Certificate]:
        try:
            return list(node.directory.current().ca_certificates)
        except DirectoryError:
            return []

    def anchors() -> list[x509.Certificate]:
        """What an imported certificate may chain to: the federation's CAs and the kept ones."""
        return federation_cas() + ca_certificates(inventory_dir)

    async def listing(request: web.Request, actor: TokenActor) -> Reply:
        inventory = await asyncio.to_thread(load_inventory, inventory_dir, settings)
        return Reply(file_names_only(inventory.to_json()))

    async def show(request: web.Request, actor: TokenActor) -> Reply:
        ref = request.match_info["ref"]
        if len(ref) < 8 or any(c not in "0123456789abcdefABCDEF:" for c in ref):
            raise AdminError("a certificate is named by its SHA-256 fingerprint (>= 8 hex digits)")
        inventory = await asyncio.to_thread(load_inventory, inventory_dir, settings)
        return Reply(file_names_only(find_certificate(inventory, ref).to_json()))

    async def add(request: web.Request, actor: TokenActor) -> Reply:
        body = await json_body(request, limit=_MAX_PEM_BYTES)
        pem, usage, name = body.get("pem"), body.get("usage"), body.get("name")
        if set(body) - {"pem", "usage", "name", "trust"}:
            raise AdminError("an import takes pem, usage, name and trust only")
        if not isinstance(pem, str) or not isinstance(usage, str):
            raise AdminError('expected {"pem": "-----BEGIN CERTIFICATE-----...", "usage": ...}')
        if usage not in USAGES:
            raise AdminError(f"unknown usage {usage!r}; one of {', '.join(USAGES)}")
        if name is not None and not isinstance(name, str):
            raise AdminError("name must be a file name")
        if usage == "ca" and not (actor.role == Role.ADMIN and body.get("trust") is True):
            # A CA kept here becomes an anchor for later imports: an admin's explicit choice.
            raise ForbiddenError(
                'importing a CA makes it trusted: only the admin role, with "trust": true'
            )
        result = await asyncio.to_thread(
            import_certificate,
            pem.encode("ascii", "replace"),
            usage=usage,
            directory=inventory_dir,
            anchors=anchors(),
            name=name,
            reserved=reserved,  # never where the node's own certificates and keys live
            source="the posted certificate",
        )
        info = result.certificate
        return Reply(
            file_names_only(result.to_json()),
            status=201,
            target=f"certificate/{info.fingerprint}",
            details={"usage": usage, "subject": info.subject, "fingerprint": info.fingerprint},
        )

    async def stage(request: web.Request, actor: TokenActor) -> Reply:
        body = await json_body(request)
        usage = _usage(body.get("usage"))
        if set(body) != {"usage"}:
            raise AdminError("a rotation takes the usage only; the CA decides the validity")
        result = await asyncio.to_thread(rotate, settings, usage)
        assert result.csr_path is not None  # no CA here: always a CSR
        answer = public(result.to_json())
        answer["csr"] = Path(result.csr_path).read_text(encoding="ascii")
        return Reply(
            answer,
            status=201,
            target=f"{usage}/next",
            details={"usage": usage, "public_key_sha256": result.public_key_sha256},
        )

    async def install(request: web.Request, actor: TokenActor) -> Reply:
        usage = _usage(request.match_info["usage"])
        raw = await read_limited(request, _MAX_PEM_BYTES)
        result = await asyncio.to_thread(
            install_next,
            settings,
            usage,
            raw,
            anchors=federation_cas(),  # the federation's CAs only, never one kept here
            source="the posted certificate",
        )
        info = result.certificate
        return Reply(
            public(result.to_json()),
            target=f"{usage}/{info.fingerprint}",
            details={"usage": usage, "fingerprint": info.fingerprint, "subject": info.subject},
        )

    return [
        Route("GET", "/certificates", listing, EVERYONE),
        Route("GET", "/certificates/{ref}", show, EVERYONE),
        Route("POST", "/certificates", add, OFFICERS, act="certs.import"),
        Route("POST", "/certificates/rotate", stage, OFFICERS, act="certs.rotate"),
        Route("PUT", "/certificates/next/{usage}", install, OFFICERS, act="certs.install-next"),
    ]


def _usage(value: object) -> str:
    if value not in ROTATION_USAGES:
        raise AdminError(f"usage must be one of {', '.join(ROTATION_USAGES)}, not {value!r}")
    assert isinstance(value, str)
    return value
