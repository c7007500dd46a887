"""A member's key files on disk and directories that list (or do not list) certificates.

Usage (in a test)::

    member = KeyedMember.create(tmp_path, ca)       # tls.pem/.key and sign.pem/.key written
    nxt = member.stage("signing")                    # sign.next.pem/.key, returns the Issued
    keys = member.keys()                             # NodeKeys over those files
    directory = listing(ca, tls=[member.tls], signing=[member.signing, nxt], sequence=2)
    await serve_once(server_context, client_context)  # SHA-256 of what the server presents
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway._crypto import PrivateKey, certificate_to_pem, write_certificate, write_private_key
from gateway.certs.staging import NEXT, staged
from gateway.directory import Directory, format_timestamp
from gateway.key_files import KeyFiles
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.rotation import NodeKeys
from gateway.settings import Settings

DE = "DE/GOV/05974028"
HOST = "127.0.0.1"


def issue(ca: CertificateAuthority, usage: str, **options: Any) -> Issued:
    if usage == "tls":
        return ca.issue(DE, usage=Usage.TLS, hosts=[HOST], **options)
    return ca.issue(DE, usage=Usage.SIGNING, **options)


@dataclass
class KeyedMember:
    root: Path
    ca: CertificateAuthority
    tls: Issued
    signing: Issued
    passphrase: bytes | None = None

    @classmethod
    def create(
        cls, root: Path, ca: CertificateAuthority, passphrase: bytes | None = None
    ) -> KeyedMember:
        member = cls(root, ca, issue(ca, "tls"), issue(ca, "signing"), passphrase)
        member.tls.write(root / "tls", passphrase)
        member.signing.write(root / "sign", passphrase)
        if passphrase is not None:
            member.passphrase_file.write_bytes(passphrase + b"\n")
        return member

    @property
    def passphrase_file(self) -> Path:
        return self.root / "passphrase"

    def files(self, usage: str) -> KeyFiles:
        stem = self.root / ("tls" if usage == "tls" else "sign")
        secret = self.passphrase_file if self.passphrase is not None else None
        return KeyFiles(usage, stem.with_suffix(".pem"), stem.with_suffix(".key"), secret)

    def stage(
        self, usage: str, issued: Issued | None = None, *, key: PrivateKey | None = None
    ) -> Issued:
        """Write a next pair for ``usage`` (``key`` instead of its own, to break it)."""
        issued = issued or issue(self.ca, usage)
        files = self.files(usage)
        write_certificate(staged(files.certificate, NEXT), issued.cert)
        write_private_key(staged(files.key, NEXT), key or issued.key, self.passphrase)
        return issued

    def keys(self, settle: float = 0.0) -> NodeKeys:
        return NodeKeys(DE, self.files("tls"), self.files("signing"), settle=settle)

    def settings(self) -> Settings:
        secret = {"passphrase_file": str(self.passphrase_file)} if self.passphrase else {}
        raw: dict[str, Any] = {
            "member": {"id": DE},
            "listen": {"peer": f"{HOST}:0", "client": f"{HOST}:0"},
            "tls": {"certificate": "tls.pem", "key": "tls.key", **secret},
            "signing": {"certificate": "sign.pem", "key": "sign.key", **secret},
            "directory": {"source": "directory.jws", "trust_anchor": "operator.pem"},
            "data": {"dir": "data"},
            "security": {"client_ca": "tls.pem"},  # required, never read here
        }
        return Settings.from_mapping(raw, base_dir=self.root, env={})


def listing(
    ca: CertificateAuthority,
    *,
    tls: list[Issued],
    signing: list[Issued],
    sequence: int = 1,
    issued: datetime | None = None,
    revoked: Sequence[Issued] = (),
) -> Directory:
    """A directory in which DE has these certificates."""
    issued = issued or datetime.now(UTC) - timedelta(seconds=1)
    document = {
        "format": "xgw-directory/1",
        "instance": "XGW-TEST",
        "sequence": sequence,
        "issued": format_timestamp(issued),
        "expires": format_timestamp(issued + timedelta(hours=1)),
        "cas": [certificate_to_pem(ca.cert)],
        "members": [
            {
                "id": DE,
                "name": "DE",
                "gateway_url": f"https://{HOST}:8443",
                "tls_certificates": [certificate_to_pem(i.cert) for i in tls],
                "signing_certificates": [certificate_to_pem(i.cert) for i in signing],
            }
        ],
        "access": [],
        "revoked": [{"serial": format(i.cert.serial_number, "x")} for i in revoked],
    }
    return Directory.from_json(document)


async def serve_once(context: ssl.SSLContext, client: ssl.SSLContext) -> str:
    """SHA-256 of the certificate a server with ``context`` presents to a new client."""

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, HOST, 0, ssl=context)
    try:
        port = server.sockets[0].getsockname()[1]
        _reader, writer = await asyncio.open_connection(HOST, port, ssl=client)
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    return hashlib.sha256(der).hexdigest()
