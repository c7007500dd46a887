"""Operations endpoints: ``/healthz`` (alive), ``/readyz`` (can serve), ``/metrics`` (Prometheus).

Usage::

    add_routes(app, node)                  # the client port: /healthz and /readyz
    add_routes(app, node, metrics=True)    # the admin listener: /metrics too

    readiness = Readiness(settings, directory_manager)
    ready, checks = await readiness.check()   # {"directory": Check(ok, detail), ...}

``/readyz`` answers 200 only when every check passes, else 503, with the same
``{"status": ..., "checks": {name: {"ok": bool, "detail": str}}}`` either way:
the directory is current (not expired), the node's own TLS and signing
certificates are valid now, and the data directory takes a write (a small file
written and fsynced there, at most every ``STORAGE_PROBE_TTL`` seconds; the
audit database itself is never written to). Certificates are read from their
files, so a rotated certificate counts as soon as its file is replaced.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway._crypto import now_utc
from gateway.directory import format_timestamp
from gateway.directory_manager import DirectoryManager
from gateway.errors import ConfigError, DirectoryError
from gateway.expiry import SIGNING, TLS, NodeCertificates
from gateway.node import Node
from gateway.settings import Settings

__all__ = ["STORAGE_PROBE", "STORAGE_PROBE_TTL", "Check", "Readiness", "StorageProbe", "add_routes"]

STORAGE_PROBE = ".xgw-ready-probe"  # the file /readyz writes in the data directory
STORAGE_PROBE_TTL = 2.0  # seconds a probe's result stands: probes must not hammer the disk


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


class StorageProbe:
    """Whether ``directory`` takes a write now: a small file written and fsynced there."""

    def __init__(self, directory: Path, ttl: float = STORAGE_PROBE_TTL) -> None:
        self.path = directory / STORAGE_PROBE
        self.ttl = ttl
        self._last: tuple[float, Check] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> Check:
        async with self._lock:  # concurrent probes share one write
            last = self._last
            if last is None or time.monotonic() - last[0] >= self.ttl:
                last = self._last = (time.monotonic(), await asyncio.to_thread(self._write))
            return last[1]

    def _write(self) -> Check:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, f"{time.time():.3f}\n".encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            return Check(False, f"cannot write {self.path}: {exc.strerror or exc}")
        return Check(True, f"{self.path.parent} takes writes")


class Readiness:
    """The checks behind ``/readyz``."""

    def __init__(self, settings: Settings, directory: DirectoryManager) -> None:
        self.directory = directory
        self.certificates = NodeCertificates(settings)
        self.storage = StorageProbe(settings.data_dir)

    async def check(self) -> tuple[bool, dict[str, Check]]:
        """Whether the node is ready, and each check's outcome."""
        checks = {
            "directory": self._directory(),
            "tls_certificate": self._certificate(TLS),
            "signing_certificate": self._certificate(SIGNING),
            "storage": await self.storage.check(),
        }
        return all(c.ok for c in checks.values()), checks

    def _directory(self) -> Check:
        try:
            directory = self.directory.current()
        except DirectoryError as exc:
            return Check(False, exc.message)
        return Check(
            True,
            f"sequence {directory.sequence}, expires {format_timestamp(directory.expires)}",
        )

    def _certificate(self, role: str) -> Check:
        try:
            (cert,) = self.certificates.read(role)
        except ConfigError as exc:
            return Check(False, exc.message)
        problem = cert.problem(now_utc())
        what = f"{cert.subject} (fingerprint {cert.fingerprint[:16]})"
        if problem is not None:
            return Check(False, f"{what} is {problem}")
        return Check(True, f"{what} valid until {format_timestamp(cert.not_after)}")


def add_routes(app: web.Application, node: Node, *, metrics: bool = False) -> None:
    """``/healthz`` and ``/readyz``; ``/metrics`` too where ``metrics`` (the admin listener)."""
    readiness = Readiness(node.settings, node.directory)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        ready, checks = await readiness.check()
        answer: dict[str, Any] = {
            "status": "ready" if ready else "unready",
            "checks": {name: check.as_json() for name, check in checks.items()},
        }
        try:
            directory = node.directory.current()
        except DirectoryError:
            pass
        else:
            answer["directory_sequence"] = directory.sequence
            answer["directory_expires"] = directory.expires.isoformat()
        return web.json_response(answer, status=200 if ready else 503)

    async def metrics_text(request: web.Request) -> web.Response:
        body, content_type = node.metrics.render()
        # prometheus_client's type carries the charset; aiohttp takes it in the header as is.
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if metrics:
        app.router.add_get("/metrics", metrics_text)
