"""Fixtures: a session-wide test CA, a real backend on 127.0.0.1, a two-member federation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from gateway.app import bind
from gateway.pki import CertificateAuthority
from tests.integration.federation import HOST, Harness, make_backend


@pytest.fixture(scope="session")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("xgw test federation CA")


@pytest.fixture
async def backend_url() -> AsyncIterator[str]:
    runner = web.AppRunner(make_backend(), access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    sock = bind(HOST, 0)
    await web.SockSite(runner, sock).start()
    yield f"http://{HOST}:{sock.getsockname()[1]}"
    await runner.cleanup()


@pytest.fixture
def fed(tmp_path: Path, ca: CertificateAuthority, backend_url: str) -> Harness:
    return Harness(tmp_path, ca, backend_url)
