"""One member as one or two nodes on one PostgreSQL: the chain's throughput with 1 and 2 DE nodes.

Usage::

    python -m bench.nodes --nodes 1 --requests 3000 --concurrency 16
    python -m bench.nodes --nodes 2 --requests 3000 --concurrency 64 --json
    python -m bench.nodes --nodes 1,2 --rounds 4      # both, rounds alternating, same processes
    python -m bench.nodes --nodes 1 --sqlite          # SQLite files instead, for comparison
    python -m bench.nodes --dsn postgresql://postgres@127.0.0.1:5432/test

Run it from the repository root, with the venv that has xgw installed. A script, never
a test (docs/scaling.md has its figures). Everything is its own process on 127.0.0.1:

    load generator --TLS--> DE node 1 --\\
                   --TLS--> DE node 2 ---+--mTLS, signed hop--> EE --HTTP--> EE's backend
                     (round robin)       |                      |
                     DE's schema <-------+    EE's schema <-----+

``xgw demo init``'s layout (:func:`gateway.demo.deployment.init_deployment`, ``--storage
postgresql``) in a temp dir (bench/nodes_layout.py); each ``xgw serve`` gets its own
ports, admin port and data directory through ``XGW_*`` variables. The DE nodes share DE's
config, keys, body key and schema: one member behind a load balancer. EE is one node with
a schema of its own. Both schemas are created fresh on the server (``--dsn``, default
``XGW_TEST_POSTGRES_DSN``, else postgresql://postgres@127.0.0.1:5432/test), migrated by
``xgw db upgrade`` and dropped at the end. The exchange is :mod:`bench.workload`'s
``xoev`` one (3 KiB XGewerbeanzeige translated for Estonia's Business Register,
``bench.backend --serves register``), the one ``bench.chain`` measures.

Each round: one probe per node, a warm-up (default ``max(200, 4 x C)``), then
``--requests`` measured exchanges from ``--concurrency`` workers, closed loop; request i
goes to node ``i mod n`` (each node has its own keep-alive pool, as a load balancer's
upstreams do). Every answer must be 200 and the expected document. CPU per exchange is
utime + stime of each process over the measured phase (``/proc/<pid>/stat``): each node,
EE, the backend, the load generator and, per member, the PostgreSQL server processes
serving its gateways' connections (found through ``pg_stat_activity.client_port``).
With ``--nodes 1,2`` the rounds alternate between one and two nodes (both started; the
second idles in the one-node rounds), so both see the same machine. At the end the
gateways are stopped (each signs a last tree head) and ``xgw audit verify --config`` must
pass on DE's shared log and EE's log, with at least two DE records per answered exchange.
The report (bench/nodes_report.py) ends with what each log takes on disk (bytes per
record and per sealed body, indexes included).

Exit status: 0 if every request was answered correctly and both logs verify, 1
otherwise, 130 on Ctrl-C. Every process started is stopped, the schemas dropped and
the temp dir removed (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from bench.chain import wait_ready
from bench.load import Tally, closed_loop
from bench.nodes_layout import HOST, Layout, Node, lay_out, scoped, xgw_json
from bench.nodes_report import NodesRound, Outcome, label, print_report, report_json
from bench.processes import (
    REPO,
    BenchError,
    Proc,
    Processes,
    child_env,
    cpu_seconds,
    rss_mib,
    system_cpu,
    watched,
    xgw_command,
)
from bench.report import ChainResult, ProcessCpu
from bench.workload import WORKLOADS, Workload

__all__ = ["main"]

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
MAX_NODES = 2


# --- PostgreSQL ---------------------------------------------------------------------


async def _schemas(dsn: str, names: Sequence[str], *, create: bool) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for name in names:
            if create:
                await conn.execute(f'CREATE SCHEMA "{name}"')
            else:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await conn.close()


def _tcp_ports_to(pids: Sequence[int], remote_port: int) -> set[int]:
    """The local ports of the TCP connections ``pids`` hold to ``remote_port``."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text(encoding="ascii").splitlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


async def _server_pids(admin: asyncpg.Connection, dsn: str, clients: Sequence[int]) -> list[int]:
    """The server processes serving the connections of the processes ``clients``."""
    ports = _tcp_ports_to(clients, urlsplit(dsn).port or 5432)
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])", sorted(ports)
    )
    return [int(row["pid"]) for row in rows]


_MEANS = """
SELECT (SELECT count(*) FROM audit_entries), (SELECT avg(length(record)) FROM audit_entries),
       (SELECT count(*) FROM audit_bodies), (SELECT avg(length(ciphertext)) FROM audit_bodies)
"""
# Bytes per table, its indexes (and PostgreSQL's TOAST) included.
_TABLES_PG = """
SELECT relname, pg_total_relation_size(oid) FROM pg_class
 WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'
"""
_TABLES_SQLITE = """
SELECT s.tbl_name, sum(d.pgsize) FROM dbstat d JOIN sqlite_schema s ON s.name = d.name
 GROUP BY s.tbl_name
"""


async def footprint(node: Node) -> dict[str, float]:
    """What a member's log takes: mean bytes of a record and a sealed body, and bytes on
    disk per record and per body, indexes and the database's own overhead included."""
    dsn = node.env.get("XGW_STORAGE_DSN")
    if dsn is not None:
        conn = await asyncpg.connect(dsn)
        try:
            means = tuple((await conn.fetchrow(_MEANS)) or ())
            tables = {name: size for name, size in await conn.fetch(_TABLES_PG)}
        finally:
            await conn.close()
    else:
        audit = node.config.parent / "data" / "audit.sqlite"
        with contextlib.closing(sqlite3.connect(f"file:{audit}?mode=ro", uri=True)) as db:
            means = db.execute(_MEANS).fetchone()
            tables = dict(db.execute(_TABLES_SQLITE).fetchall())
    records, record_bytes, bodies, body_bytes = (float(v or 0) for v in means)
    entries, sealed = float(tables.get("audit_entries", 0)), float(tables.get("audit_bodies", 0))
    return {
        "records": records,
        "record_bytes_mean": round(record_bytes),
        "bodies": bodies,
        "body_ciphertext_bytes_mean": round(body_bytes),
        "entries_bytes_per_record": round(entries / records) if records else 0,
        "bodies_bytes_per_body": round(sealed / bodies) if bodies else 0,
        "bytes_on_disk": float(sum(tables.values())),
    }


# --- load ---------------------------------------------------------------------------


# --- one run ------------------------------------------------------------------------


@dataclass
class Started:
    """The running topology."""

    de: list[tuple[Node, Proc]]
    ee: tuple[Node, Proc]
    backend: Proc
    client_ssl: ssl.SSLContext
    urls: list[str]  # each DE node's request URL


async def start(procs: Processes, layout: Layout, workload: Workload) -> Started:
    """``xgw db upgrade`` for each member, then the backend, EE and the DE nodes; ready."""
    for node in (layout.de[0], layout.ee):
        await asyncio.to_thread(xgw_json, node, "db", "upgrade")
    sock = layout.backend_sock
    try:
        backend = procs.start(
            "EE-backend",
            [
                *(sys.executable, "-m", "bench.backend"),
                *("--fd", str(sock.fileno()), "--serves", workload.backend("xgw")),
            ],
            pass_fds=[sock.fileno()],
            env=child_env(),
            cwd=REPO,
        )
        backend_port = int(sock.getsockname()[1])
    finally:
        sock.close()
    xgw = xgw_command()

    def serve(node: Node) -> Proc:
        return procs.start(
            node.name, [xgw, "serve", "--config", str(node.config)], env=child_env(node.env)
        )

    ee = (layout.ee, serve(layout.ee))
    de = [(node, serve(node)) for node in layout.de]
    members = layout.deployment.members
    public = layout.deployment.state_dir / "public"

    def context(key: str) -> ssl.SSLContext:
        found = ssl.create_default_context(cafile=str(public / "ca.pem"))
        found.load_cert_chain(members[key].dir / "client.pem", members[key].dir / "client.key")
        return found

    de_ssl = context("DE")
    await wait_ready(procs, [(f"http://{HOST}:{backend_port}/healthz", None)])
    await wait_ready(procs, [(f"https://{HOST}:{layout.ee.client_port}/readyz", context("EE"))])
    for node, _ in de:  # /readyz: serving, client certificate accepted, directory loaded
        await wait_ready(procs, [(f"https://{HOST}:{node.client_port}/readyz", de_ssl)])
    urls = [f"https://{HOST}:{node.client_port}{workload.request_path}" for node, _ in de]
    return Started(de, ee, backend, de_ssl, urls)


async def _database(
    admin: asyncpg.Connection | None, dsn: str, members: dict[str, list[int]]
) -> dict[str, list[int]]:
    """Per member, the server processes serving its gateways' connections (none: SQLite)."""
    if admin is None:
        return {}
    return {member: await _server_pids(admin, dsn, pids) for member, pids in members.items()}


def _flat(database: dict[str, list[int]]) -> list[int]:
    return [pid for pids in database.values() for pid in pids]


def _cpu(pids: Sequence[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # a server process that ended meanwhile
            found[pid] = cpu_seconds(pid)
    return found


async def run_round(
    args: argparse.Namespace,
    procs: Processes,
    started: Started,
    workload: Workload,
    nodes: int,
    admin: asyncpg.Connection | None,
) -> tuple[ChainResult, int]:
    """Probe, warm-up and the measured phase over the first ``nodes`` DE nodes."""
    tally, unmeasured = Tally(), Tally()
    members = {"DE": [proc.pid for _, proc in started.de], "EE": [started.ee[1].pid]}
    roles: list[tuple[str, str, int]] = [
        *(("first hop", node.name, proc.pid) for node, proc in started.de),
        ("second hop", started.ee[0].name, started.ee[1].pid),
        ("backend", started.backend.name, started.backend.pid),
        ("load generator", "bench.nodes", os.getpid()),
    ]
    measured: dict[str, Any] = {}

    async def measure() -> None:
        sessions = [
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=started.client_ssl, limit=args.concurrency),
                timeout=aiohttp.ClientTimeout(total=30),
            )
            for _ in range(nodes)
        ]
        try:
            targets = list(zip(sessions, started.urls[:nodes], strict=True))
            for target in targets:  # a node that does not work fails here, with its reason
                probe = Tally()
                await closed_loop([target], workload, 1, 1, probe)
                if probe.errors:
                    raise BenchError(f"the first exchange via {target[1]} failed: {probe.errors}")
                unmeasured.answered += probe.answered
            await closed_loop(targets, workload, args.warmup, args.concurrency, unmeasured)
            database = await _database(admin, args.dsn, members)
            measured["machine"], measured["load"] = system_cpu(), os.getloadavg()
            before = _cpu([pid for *_, pid in roles] + _flat(database))
            began = time.perf_counter()
            await closed_loop(targets, workload, args.requests, args.concurrency, tally)
            measured["seconds"] = time.perf_counter() - began
            # The pools may have opened connections meanwhile: count their whole CPU.
            later = await _database(admin, args.dsn, members)
            database = {m: sorted(set(database[m]) | set(later[m])) for m in database}
            measured["after"] = _cpu([pid for *_, pid in roles] + _flat(database))
            measured["busy"] = system_cpu().since(measured["machine"])
            measured["before"], measured["database"] = before, database
        finally:
            for session in sessions:
                await session.close()

    try:
        async with asyncio.timeout(args.timeout):
            await watched(procs, measure())
    except TimeoutError:
        raise BenchError(
            f"{label(nodes)}: {args.warmup} warm-up and {args.requests} measured requests "
            f"took over {args.timeout:.0f} s ({len(tally.latencies_ms)} measured done); "
            "raise --timeout or lower --requests"
        ) from None
    seconds, before, after = measured["seconds"], measured["before"], measured["after"]

    def row(role: str, name: str, pids: Sequence[int]) -> ProcessCpu:
        used = sum(after.get(pid, 0.0) - before.get(pid, 0.0) for pid in pids if pid in after)
        rss = 0.0
        for pid in pids if role != "database" else ():  # servers share their buffers: not summed
            with contextlib.suppress(OSError):
                rss += rss_mib(pid)
        return ProcessCpu(
            role, name, pids[0] if len(pids) == 1 else 0, used,
            used * 1e6 / args.requests, used / seconds, rss,
        )  # fmt: skip

    cpu = [row(role, name, [pid]) for role, name, pid in roles]
    for member, servers in measured["database"].items():
        name = f"PostgreSQL for {member} ({len(servers)} server processes)"
        cpu.append(row("database", name, servers))
    busy, steal = measured["busy"]
    errors = tally.errors + Counter({f"(warm-up) {k}": n for k, n in unmeasured.errors.items()})
    result = ChainResult(
        label(nodes),
        args.requests,
        args.concurrency,
        args.warmup,
        seconds,
        tally.latencies_ms,
        errors,
        cpu,
        busy,
        steal,
    )
    return result, tally.answered + unmeasured.answered


def _stop(procs: Processes, proc: Proc, grace: float = 20.0) -> None:
    """SIGTERM and wait: a gateway signs its last tree head on the way out."""
    with contextlib.suppress(ProcessLookupError):
        proc.popen.terminate()
    try:
        code = proc.popen.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{proc.name} did not stop within {grace:.0f} s:\n{proc.tail()}") from None
    procs.release(proc)
    if code not in (0, -signal.SIGTERM):
        raise BenchError(f"{proc.name} ended with code {code}:\n{proc.tail()}")


async def run(args: argparse.Namespace, state: Path, procs: Processes, outcome: Outcome) -> None:
    workload = WORKLOADS["xoev"](None)
    dsns = None
    if not args.sqlite:
        dsns = {member: scoped(args.dsn, args.schemas[member]) for member in ("DE", "EE")}
    layout = lay_out(state, max(args.nodes), dsns)
    admin = await asyncpg.connect(args.dsn) if dsns else None
    try:
        started = await start(procs, layout, workload)
        for number in range(1, args.rounds + 1):
            nodes = args.nodes[(number - 1) % len(args.nodes)]
            if not args.json:
                print(f"round {number}: {label(nodes)} ...", file=sys.stderr)
            result, answered = await run_round(args, procs, started, workload, nodes, admin)
            result.round = number
            outcome.rounds.append(NodesRound(nodes, result, os.getloadavg()))
            outcome.answered += answered
    finally:
        if admin is not None:
            await admin.close()
    for _, proc in [*started.de, started.ee]:
        await asyncio.to_thread(_stop, procs, proc)
    for key, node in (("DE", layout.de[0]), ("EE", layout.ee)):
        outcome.verify[key] = await asyncio.to_thread(
            xgw_json, node, "audit", "verify", refusal_ok=True
        )
        outcome.footprint[key] = await footprint(node)
    de = outcome.verify["DE"]
    if not (de.get("ok") and outcome.verify["EE"].get("ok")):
        outcome.problems.append("`xgw audit verify` refused a log")
    if int(de.get("records", 0)) < 2 * outcome.answered:
        outcome.problems.append(
            f"DE's log holds {de.get('records')} records for {outcome.answered} answered "
            "exchanges (two each expected)"
        )


# --- main ---------------------------------------------------------------------------


def _node_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: 1, 2 or 1,2") from None
    if not counts or any(not 1 <= n <= MAX_NODES for n in counts):
        raise argparse.ArgumentTypeError(f"{text!r}: 1, 2 or 1,2")
    return counts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.nodes", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--nodes", type=_node_counts, default=[1], help="DE nodes: 1, 2, or 1,2 (rounds alternate)"
    )
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per round")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent workers")
    parser.add_argument("--rounds", type=int, help="default 3 per node count")
    parser.add_argument("--warmup", type=int, help="per round, not counted (default 4 x C, >= 200)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds one round may take")
    parser.add_argument(
        "--dsn",
        default=os.environ.get("XGW_TEST_POSTGRES_DSN") or DEFAULT_DSN,
        help="the PostgreSQL server; a schema per member is created there and dropped after "
        "(default: XGW_TEST_POSTGRES_DSN, else %(default)s)",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="SQLite files instead of PostgreSQL (one node only)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--state-dir", type=Path, help="parent of the temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, configs)")
    return parser


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or (args.rounds is not None and args.rounds < 1):
        parser.error("--requests, --concurrency and --rounds must be at least 1")
    if args.sqlite and max(args.nodes) > 1:
        parser.error("--sqlite runs one node: several nodes share a PostgreSQL database")
    if urlsplit(args.dsn).hostname not in (HOST, "localhost") and not args.sqlite:
        parser.error(f"--dsn must name a server on {HOST}")
    args.rounds = args.rounds or 3 * len(args.nodes)
    args.warmup = args.warmup if args.warmup is not None else max(200, 4 * args.concurrency)
    tag = uuid.uuid4().hex[:8]
    args.schemas = {member: f"xgw_nodes_{tag}_{member.lower()}" for member in ("DE", "EE")}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    if args.state_dir is not None:
        args.state_dir.mkdir(parents=True, exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="xgw-nodes-", dir=args.state_dir))
    outcome = Outcome("sqlite" if args.sqlite else "postgresql")
    created = False
    try:
        if not args.sqlite:
            asyncio.run(_schemas(args.dsn, list(args.schemas.values()), create=True))
            created = True
        with Processes(state / "logs") as procs:
            asyncio.run(run(args, state, procs, outcome))
    except KeyboardInterrupt:
        print("bench: interrupted; stopped every process it started", file=sys.stderr)
        return 130
    except (BenchError, OSError, asyncpg.PostgresError) as exc:
        print(f"bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if created:
            asyncio.run(_schemas(args.dsn, list(args.schemas.values()), create=False))
        if args.keep:
            print(f"bench: kept {state}", file=sys.stderr)
        else:
            shutil.rmtree(state, ignore_errors=True)
    if args.json:
        print(json.dumps(report_json(args, outcome), indent=2, ensure_ascii=False))
    else:
        print_report(args, outcome)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
