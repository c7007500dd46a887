"""The nodes benchmark keeps working as the gateway changes (its figures are measured by hand:
docs/scaling.md). A few exchanges through one and two DE nodes on one PostgreSQL schema, and
through one node on SQLite, must all be answered correctly and leave logs that verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.storage.postgres_support import DSN_VARIABLE, needs_postgres

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # a few seconds each: processes, migrations, verify

REQUESTS = 24


def run_bench(*options: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.nodes", "--requests", str(REQUESTS), "--concurrency", "4",
         "--warmup", "4", "--timeout", "60", "--json", *options],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@needs_postgres
def test_two_nodes_share_one_postgresql_log_that_verifies() -> None:
    report = run_bench("--nodes", "1,2", "--rounds", "2", "--dsn", os.environ[DSN_VARIABLE])
    assert report["params"]["engine"] == "postgresql" and report["ok"]
    assert [r["nodes"] for r in report["rounds"]] == [1, 2]
    two = report["median"]["2"]
    assert two["requests"] == REQUESTS and two["errors"] == 0
    # Both nodes served the round, and each member's database CPU was found and counted.
    de = [c for c in two["cpu"] if c["role"] == "first hop"]
    assert len(de) == 2 and all(c["cpu_seconds"] > 0 for c in de), de
    database = [c for c in two["cpu"] if c["role"] == "database"]
    assert [c["process"].split(" (")[0] for c in database] == [
        "PostgreSQL for DE",
        "PostgreSQL for EE",
    ]
    assert all(c["cpu_seconds"] > 0 for c in database), database
    # One log for both nodes: two records per answered exchange, and it verifies.
    verify = report["verify"]
    assert verify["DE"]["ok"] and verify["EE"]["ok"]
    assert verify["DE"]["records"] >= 2 * report["answered"] > 4 * REQUESTS


def test_one_node_on_sqlite_for_comparison() -> None:
    report = run_bench("--sqlite", "--rounds", "1")
    assert report["params"]["engine"] == "sqlite" and report["ok"]
    one = report["median"]["1"]
    assert one["requests"] == REQUESTS and one["exchanges_per_s"] > 0
    assert not [c for c in one["cpu"] if c["role"] == "database"]
    assert report["verify"]["DE"]["ok"] and report["verify"]["DE"]["records"] >= 2 * REQUESTS
