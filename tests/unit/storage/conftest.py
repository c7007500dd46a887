"""Fixtures: an ``AuditStore`` of each engine, and a PostgreSQL schema of a test's own.

``engine`` parametrises a test over SQLite (a file in ``tmp_path``) and PostgreSQL (a
fresh schema on the server ``XGW_TEST_POSTGRES_DSN`` names, skipped with that reason
when it is unset).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from gateway.storage.base import AuditStore
from gateway.storage.factory import AuditSource, audit_store
from tests.unit.storage.postgres_support import PgSchema, fresh_schema, needs_postgres

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=needs_postgres),
]


@pytest.fixture
async def pg_schema() -> AsyncIterator[PgSchema]:
    async with fresh_schema() as schema:
        yield schema


@pytest.fixture(params=ENGINES)
async def source(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AuditSource]:
    """Where a log of the engine lives: an SQLite file, or an upgraded schema's DSN."""
    if request.param == "sqlite":
        yield tmp_path / "audit.sqlite"
        return
    async with fresh_schema() as schema:
        await schema.upgrade()
        yield schema.dsn


@pytest.fixture
def open_store(source: AuditSource) -> Callable[..., AuditStore]:
    """``open_store(readonly=False)``: a store of the engine on ``source``, not yet open."""

    def make(*, readonly: bool = False) -> AuditStore:
        return audit_store(source, readonly=readonly)

    return make


@pytest.fixture
async def store(open_store: Callable[..., AuditStore]) -> AsyncIterator[AuditStore]:
    engine = open_store()
    await engine.open()
    yield engine
    await engine.close()
