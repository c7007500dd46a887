"""``xgw db status`` and ``xgw db upgrade``: the schema of either engine, through the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from gateway.storage.migrations import LATEST
from gateway.storage.sqlite import SCHEMA_VERSION
from tests.integration.federation import kept_logging
from tests.unit.storage.postgres_support import needs_postgres


def config(tmp_path: Path, storage: str) -> str:
    """A node's TOML; the files it names need not exist for ``xgw db``."""
    path = tmp_path / "node.toml"
    path.write_text(
        "\n".join(
            [
                '[member]\nid = "DE/GOV/05974028"',
                '[listen]\npeer = "127.0.0.1:0"\nclient = "127.0.0.1:0"\nclient_tls = false',
                '[tls]\ncertificate = "tls.pem"\nkey = "tls.key"',
                '[signing]\ncertificate = "sign.pem"\nkey = "sign.key"',
                '[directory]\nsource = "directory.jws"\ntrust_anchor = "operator.pem"',
                '[data]\ndir = "data"',
                "[security]\nallow_plain_loopback = true",
                storage,
            ]
        )
    )
    return str(path)


@pytest.fixture
def xgw(capsys, monkeypatch):
    monkeypatch.delenv("XGW_STORAGE_DSN", raising=False)
    monkeypatch.delenv("XGW_STORAGE_ENGINE", raising=False)

    async def run(toml: str, *argv: str) -> tuple[int, dict[str, Any]]:
        with kept_logging():
            code = await asyncio.to_thread(main, [*argv, "--config", toml, "--json"])
        return code, json.loads(capsys.readouterr().out)

    return run


@needs_postgres
async def test_postgresql_is_upgraded_once_and_reported(pg_schema, tmp_path, xgw):
    toml = config(tmp_path, f'[storage]\nengine = "postgresql"\ndsn = "{pg_schema.dsn}"')
    code, status = await xgw(toml, "db", "status")
    assert (code, status["version"], status["current"]) == (1, 0, False)
    code, done = await xgw(toml, "db", "upgrade")
    assert (code, done["upgraded"], done["current"]) == (0, list(range(1, LATEST + 1)), True)
    code, again = await xgw(toml, "db", "upgrade")
    assert (code, again["upgraded"], again["version"]) == (0, [], LATEST)
    code, status = await xgw(toml, "db", "status")
    assert (code, status["current"], status["engine"]) == (0, True, "postgresql")
    assert [step["version"] for step in status["applied"]] == list(range(1, LATEST + 1))


async def test_sqlite_is_created_and_reported(tmp_path, xgw):
    toml = config(tmp_path, "")
    code, status = await xgw(toml, "db", "status")
    assert (code, status["version"], status["engine"]) == (1, 0, "sqlite")
    code, done = await xgw(toml, "db", "upgrade")
    assert (code, done["version"], done["current"]) == (0, SCHEMA_VERSION, True)
    assert (tmp_path / "data" / "audit.sqlite").is_file()
    code, again = await xgw(toml, "db", "upgrade")
    assert (code, again["upgraded"]) == (0, [])
    code, status = await xgw(toml, "db", "status")
    assert (code, status["current"]) == (0, True)


async def test_an_unreachable_server_is_a_clear_failure(tmp_path, xgw, capsys):
    toml = config(
        tmp_path, '[storage]\nengine = "postgresql"\ndsn = "postgresql://x:pw@127.0.0.1:1/x"'
    )
    with kept_logging():
        code = await asyncio.to_thread(main, ["db", "status", "--config", toml])
    assert code != 0
    err = capsys.readouterr().err
    assert "connecting failed" in err and "pw" not in err
