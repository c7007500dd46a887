"""``xgw db upgrade|status``: the storage engine's schema (docs/storage.md).

Usage::

    xgw db status --config de.toml      # the schema version, and whether it is current
    xgw db upgrade --config de.toml     # apply the missing migrations (idempotent)

PostgreSQL: a node refuses to start on an older schema and names ``xgw db upgrade``;
the upgrade applies the missing migrations of ``gateway.storage.migrations`` in one
transaction (so it can run while old nodes still serve: it only adds). SQLite: the
gateway upgrades its own file when it opens it; ``upgrade`` does the same ahead of a
start (and builds the Merkle tree of a first-version log).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.settings import Settings

__all__ = ["add_commands", "schema_report", "upgrade_schema"]


def add_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``db`` command group to ``xgw``."""
    db = sub.add_parser("db", parents=[common], help="the storage engine's schema")
    dsub = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, func, text in (
        ("status", _status, "print the schema version and whether it is current (exit 1 if not)"),
        ("upgrade", _upgrade, "apply every missing schema migration; nothing when current"),
    ):
        parser = dsub.add_parser(name, parents=[common], help=text)
        parser.add_argument("--config", type=Path, required=True, help="the gateway's TOML file")
        parser.set_defaults(func=func)


def _settings(args: argparse.Namespace) -> Settings:
    from gateway.settings import Settings

    return Settings.from_toml(args.config)


def _status(args: argparse.Namespace) -> int:
    report = asyncio.run(schema_report(_settings(args)))
    _print(report, args.json)
    return 0 if report["current"] else 1


def _upgrade(args: argparse.Namespace) -> int:
    report = asyncio.run(upgrade_schema(_settings(args)))
    _print(report, args.json)
    return 0


async def schema_report(settings: Settings) -> dict[str, Any]:
    """Engine, where, the schema version and the one this xgw needs, the migrations done."""
    if settings.storage.engine != "postgresql":
        return await _sqlite_report(settings, upgrade=False)
    from gateway.storage.migrations import LATEST, schema_version

    async with _connection(settings) as (conn, where):
        version = await schema_version(conn)
        applied = (
            await conn.fetch(
                "SELECT version, description, applied_at FROM xgw_schema_migrations"
                " ORDER BY version"
            )
            if version
            else []
        )
    return {
        "engine": "postgresql",
        "database": where,
        "version": version,
        "needed": LATEST,
        "current": version == LATEST,
        "applied": [
            {"version": v, "description": d, "applied_at": at.isoformat()} for v, d, at in applied
        ],
    }


async def upgrade_schema(settings: Settings) -> dict[str, Any]:
    """Apply the missing migrations; the report after, with what this run applied."""
    if settings.storage.engine != "postgresql":
        return await _sqlite_report(settings, upgrade=True)
    from gateway.errors import AuditError
    from gateway.storage.migrations import LATEST, schema_version, upgrade

    async with _connection(settings) as (conn, where):
        found = await schema_version(conn)
        if found > LATEST:
            raise AuditError(
                f"{where}: schema version {found} is newer than this xgw knows ({LATEST})"
            )
        done = await upgrade(conn)
    report = await schema_report(settings)
    report["upgraded"] = [m.version for m in done]
    return report


@contextlib.asynccontextmanager
async def _connection(settings: Settings) -> AsyncIterator[tuple[Any, str]]:
    """One connection in the configured schema, and where it is; failures as ``AuditError``."""
    import asyncpg

    from gateway.errors import AuditError
    from gateway.storage.postgres import redact

    where = redact(settings.storage.dsn)
    try:
        conn = await asyncpg.connect(
            settings.storage.dsn, server_settings={"application_name": "xgw"}
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise AuditError(f"{where}: connecting failed: {exc}") from exc
    try:
        yield conn, where
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise AuditError(f"{where}: {exc}") from exc
    finally:
        await conn.close()


async def _sqlite_report(settings: Settings, *, upgrade: bool) -> dict[str, Any]:
    """The SQLite file's version; with ``upgrade`` opened read-write first (which upgrades)."""
    from gateway.audit.tree import build_missing_tree
    from gateway.storage.factory import audit_source
    from gateway.storage.sqlite import SCHEMA_VERSION, SQLiteAuditStore

    path = audit_source(settings)
    assert isinstance(path, Path)
    before = 0
    if path.is_file():
        reader = SQLiteAuditStore(path, readonly=True)
        await reader.open()
        before = reader.schema_version
        await reader.close()
    version = before
    if upgrade:
        path.parent.mkdir(parents=True, exist_ok=True)
        store = SQLiteAuditStore(path)
        await store.open()
        try:
            await build_missing_tree(store)
        finally:
            await store.close()
        version = SCHEMA_VERSION
    report: dict[str, Any] = {
        "engine": "sqlite",
        "database": str(path),
        "version": version,
        "needed": SCHEMA_VERSION,
        "current": version == SCHEMA_VERSION,
    }
    if upgrade:
        report["upgraded"] = list(range(before + 1, version + 1)) if before < version else []
    return report


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report))
        return
    state = "current" if report["current"] else "NOT current: run xgw db upgrade --config FILE"
    print(
        f"{report['database']} ({report['engine']}): schema version {report['version']},"
        f" this xgw needs {report['needed']}: {state}"
    )
    if report.get("upgraded"):
        print(f"  upgraded: applied {', '.join(map(str, report['upgraded']))}")
    elif "upgraded" in report:
        print("  nothing to upgrade")
    for step in report.get("applied", []):
        print(f"  {step['version']}  {step['applied_at']}  {step['description']}")
