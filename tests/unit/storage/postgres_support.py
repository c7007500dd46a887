"""A PostgreSQL schema of its own for each test, on the server ``XGW_TEST_POSTGRES_DSN`` names.

Usage::

    pytestmark = needs_postgres            # skipped, with the reason, when no server is named

    async def test_something(pg_schema):   # a fixture: see ``fresh_schema``
        dsn = pg_schema.dsn                # ...?search_path=xgw_t_1a2b3c: nothing else in it
        await pg_schema.upgrade()          # the xgw schema in it (xgw db upgrade)

Each schema gets a random name and is dropped with everything in it afterwards, so
parallel and repeated runs never see each other's tables. ``.ci/run`` sets the
variable (postgresql://postgres@127.0.0.1:5432/test) and starts the server.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest

from gateway.storage.migrations import upgrade

__all__ = ["DSN_VARIABLE", "PgSchema", "fresh_schema", "needs_postgres", "with_search_path"]

DSN_VARIABLE = "XGW_TEST_POSTGRES_DSN"
_SERVER = os.environ.get(DSN_VARIABLE, "")

needs_postgres = pytest.mark.skipif(
    not _SERVER, reason=f"no PostgreSQL server: {DSN_VARIABLE} is not set (.ci/run sets it)"
)


def with_search_path(dsn: str, schema: str) -> str:
    """``dsn`` whose connections work in ``schema`` (asyncpg passes it as a server setting)."""
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class PgSchema:
    name: str
    dsn: str

    async def upgrade(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await upgrade(conn)
        finally:
            await conn.close()

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def fresh_schema() -> AsyncIterator[PgSchema]:
    """A new, empty schema on the test server; dropped with its contents afterwards."""
    name = f"xgw_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_SERVER)
    try:
        await admin.execute(f'CREATE SCHEMA "{name}"')
        try:
            yield PgSchema(name, with_search_path(_SERVER, name))
        finally:
            await admin.execute(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        await admin.close()
