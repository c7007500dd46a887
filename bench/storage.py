"""Durable appends per second on each engine: SQLite, PostgreSQL with one node and with two.

Usage::

    python -m bench.storage                                  # 5 s per case, a table
    python -m bench.storage --seconds 10 --concurrency 64 --json
    python -m bench.storage --dsn postgresql://xgw@db:5432/xgw   # default: XGW_TEST_POSTGRES_DSN

Run it from the repository root. A script, never a test. Each node is its own OS
process running an ``AuditLog`` (grouped durable commits) on the engine; ``--concurrency``
tasks append at once, as exchanges do under load, split evenly between the nodes (the
same offered load for one node and for two); the nodes of a case start together and
append for ``--seconds``. Printed per case: appends per second
(all nodes), commits per second, records per commit, the latency of one append (p50,
p99: submit to durable) and the CPU of the node processes per append (the database
server's own CPU is not in it). PostgreSQL runs in a fresh schema, dropped afterwards;
SQLite in a temp dir (``--state-dir``). Records are the size of real ones (~700 bytes,
as ``bench.audit`` makes them).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

from bench.audit import record
from gateway.audit.log import AuditLog
from gateway.storage.factory import AuditSource, audit_store
from gateway.storage.migrations import upgrade

__all__ = ["main"]

_START_DELAY = 1.5  # seconds for every node to open its log before the clock starts


async def _node(
    source: AuditSource, start_at: float, seconds: float, tasks: int, first: int
) -> dict[str, Any]:
    """One node: open the log, wait for the common start, append until the time is up."""
    latencies: list[float] = []
    count = 0
    async with AuditLog(audit_store(source)) as log:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu, commits, deadline = time.process_time(), log.commits, time.monotonic() + seconds

        async def appender(n: int) -> None:
            nonlocal count
            i = first + n
            while time.monotonic() < deadline:
                began = time.perf_counter()
                await log.append(record(i))
                latencies.append(time.perf_counter() - began)
                count += 1
                i += tasks

        await asyncio.gather(*(appender(n) for n in range(tasks)))
        cpu, commits = time.process_time() - cpu, log.commits - commits
    return {"appends": count, "commits": commits, "cpu": cpu, "latencies": latencies}


def _run_node(
    source: AuditSource, start_at: float, seconds: float, tasks: int, first: int
) -> dict[str, Any]:
    return asyncio.run(_node(source, start_at, seconds, tasks, first))


def run_case(source: AuditSource, nodes: int, seconds: float, tasks: int) -> dict[str, Any]:
    """``nodes`` processes appending to ``source`` at once; the totals."""
    start_at = time.time() + _START_DELAY
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(nodes, mp_context=context) as pool:
        futures = [
            pool.submit(_run_node, source, start_at, seconds, tasks // nodes, n * 10_000_000)
            for n in range(nodes)
        ]
        results = [future.result() for future in futures]
    appends = sum(r["appends"] for r in results)
    commits = sum(r["commits"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"])
    return {
        "nodes": nodes,
        "appends_per_s": round(appends / seconds),
        "commits_per_s": round(commits / seconds),
        "records_per_commit": round(appends / max(commits, 1), 1),
        "latency_p50_ms": round(1000 * statistics.median(latencies), 2),
        "latency_p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 2),
        "cpu_us_per_append": round(1e6 * sum(r["cpu"] for r in results) / max(appends, 1), 1),
    }


async def _schema(dsn: str, name: str, *, create: bool) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        if not create:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            return ""
        await conn.execute(f'CREATE SCHEMA "{name}"')
        separator = "&" if "?" in dsn else "?"
        scoped = f"{dsn}{separator}search_path={name}"
        inner = await asyncpg.connect(scoped)
        try:
            await upgrade(inner)
        finally:
            await inner.close()
        return scoped
    finally:
        await conn.close()


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=args.state_dir) as directory:
        row = run_case(Path(directory) / "audit.sqlite", 1, args.seconds, args.concurrency)
        rows.append({"engine": "sqlite", **row})
    if not args.dsn:
        return rows
    for nodes in (1, 2):
        name = f"xgw_bench_{uuid.uuid4().hex[:8]}"
        scoped = asyncio.run(_schema(args.dsn, name, create=True))
        try:
            row = run_case(scoped, nodes, args.seconds, args.concurrency)
        finally:
            asyncio.run(_schema(args.dsn, name, create=False))
        rows.append({"engine": "postgresql", **row})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.storage", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per case")
    parser.add_argument(
        "--concurrency", type=int, default=64, help="appending tasks, split between the nodes"
    )
    parser.add_argument(
        "--dsn",
        default=os.environ.get("XGW_TEST_POSTGRES_DSN", ""),
        help="the PostgreSQL server (default: XGW_TEST_POSTGRES_DSN; none: SQLite only)",
    )
    parser.add_argument("--state-dir", type=Path, help="where SQLite's temp dir goes")
    parser.add_argument("--json", action="store_true", help="one JSON document")
    args = parser.parse_args(argv)
    rows = run(args)
    if args.json:
        print(json.dumps({"seconds": args.seconds, "concurrency": args.concurrency, "rows": rows}))
        return 0
    columns = list(rows[0])
    print("  ".join(f"{c:>18}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]!s:>18}" for c in columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
