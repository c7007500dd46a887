"""One node's files for the operations tests: real certificates, a signed directory, settings.

Usage::

    files = NodeFiles(tmp_path, ca)
    files.tls = files.issue(Usage.TLS, days=10)          # expires in about ten days
    files.publish(valid_hours=0.5)                       # a directory ending in 30 minutes
    settings = files.settings(expiry_warning_days=30)
    async with files.manager(settings) as manager: ...   # a started DirectoryManager
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gateway._crypto import now_utc
from gateway.directory import sign_directory
from gateway.directory_cli import build_directory
from gateway.directory_manager import DirectoryManager
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.settings import Settings

MEMBER = "DE/GOV/05974028"
SERVICE = f"{MEMBER}/gewerbeamt/gewerbeanzeige"


class NodeFiles:
    def __init__(self, root: Path, ca: CertificateAuthority) -> None:
        self.root = root
        self.ca = ca
        self.operator = ca.issue("test operator", usage=Usage.SIGNING)
        self.operator_path, _ = self.operator.write(root / "operator")
        self.ca_path, _ = Issued(ca.key, ca.cert).write(root / "ca")
        self.tls = self.issue(Usage.TLS)
        self.signing = self.issue(Usage.SIGNING)
        self.directory_path = root / "directory.jws"
        self.sequence = 1

    def issue(self, usage: Usage, *, days: int = 365, not_before: datetime | None = None) -> Issued:
        return self.ca.issue(
            MEMBER, usage=usage, hosts=["127.0.0.1"], days=days, not_before=not_before
        )

    def expired(self, usage: Usage) -> Issued:
        return self.issue(usage, days=1, not_before=now_utc() - timedelta(days=3))

    def write_certificates(self) -> tuple[Path, Path, Path, Path]:
        tls_cert, tls_key = self.tls.write(self.root / "tls")
        sign_cert, sign_key = self.signing.write(self.root / "sign")
        return tls_cert, tls_key, sign_cert, sign_key

    def settings(self, **operations: Any) -> Settings:
        tls_cert, tls_key, sign_cert, sign_key = self.write_certificates()
        raw: dict[str, Any] = {
            "member": {"id": MEMBER},
            "listen": {"peer": "127.0.0.1:0", "client": "127.0.0.1:0"},
            "tls": {"certificate": str(tls_cert), "key": str(tls_key)},
            "signing": {"certificate": str(sign_cert), "key": str(sign_key)},
            "directory": {
                "source": str(self.directory_path),
                "trust_anchor": str(self.operator_path),
                "refresh_interval": 3600,
            },
            "data": {"dir": str(self.root / "data")},
            "security": {"client_ca": str(self.ca_path)},
            "operations": operations,
            "services": [
                {
                    "subsystem": "gewerbeamt",
                    "code": "gewerbeanzeige",
                    "backend": "http://127.0.0.1:1",
                }
            ],
        }
        return Settings.from_mapping(raw, base_dir=self.root, env={})

    def publish(self, *, valid_hours: float = 24.0, issued: datetime | None = None) -> None:
        tls_cert, _, sign_cert, _ = self.write_certificates()
        spec = {
            "instance": "TEST",
            "cas": [str(self.ca_path)],
            "members": [
                {
                    "id": MEMBER,
                    "name": "DE",
                    "gateway_url": "https://127.0.0.1:8443",
                    "tls_certificates": [str(tls_cert)],
                    "signing_certificates": [str(sign_cert)],
                    "subsystems": [{"code": "gewerbeamt", "name": "Gewerbeamt"}],
                    "services": [{"subsystem": "gewerbeamt", "code": "listed", "type": "REST"}],
                }
            ],
        }
        document = build_directory(
            spec, self.root, valid_hours=valid_hours, sequence=self.sequence, now=issued
        )
        token = sign_directory(document, self.operator.key, self.operator.cert)
        self.directory_path.write_text(token)
        self.sequence += 1

    @contextlib.asynccontextmanager
    async def manager(self, settings: Settings) -> AsyncIterator[DirectoryManager]:
        async with DirectoryManager(
            settings.directory.source,
            [self.operator.cert],
            refresh_interval=settings.directory.refresh_interval,
        ) as manager:
            yield manager
