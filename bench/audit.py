"""The audit log's speed: appending, durable commits, proofs at 10^4..10^6 records, verify.

Usage::

    python -m bench.audit                           # up to 10^6 records, a table (~2 minutes)
    python -m bench.audit --max-records 100000      # a quicker run, up to 10^5
    python -m bench.audit --json --state-dir /dev/shm

Run it from the repository root. A script, never a test. Everything happens in one
process on files in a temp dir under ``--state-dir`` (removed at the end), through
the gateway's own classes:

1. **append CPU**: ``chain_entries`` (what the audit writer does per record before the
   commit: chain hash, leaf hash, completed subtree hashes) over batches of 256
   records, against the chain hash alone (what it did before the tree), in µs per
   record: the cost the tree adds to every exchange.
2. **durable appends**: ``AuditLog.append`` one record at a time (every record its
   own commit and fsync), then ``--concurrency`` tasks appending at once (grouped
   commits), in records per second.
3. **large logs**: a log is bulk-loaded to 10^4, 10^5 and 10^6 records: records
   built, chained and tree-hashed by ``chain_entries`` and written through the store
   (``append_batch``, 3000 rows per INSERT, one transaction per 30 000 rows), which is
   far faster than one commit per exchange and writes the very same rows. At each
   size, inclusion proofs for random records and consistency proofs between random
   sizes are computed from a freshly opened read-only store (``StoredTree``), checked
   against the root, and timed: median and 99th percentile in milliseconds.
4. **verify**: ``verify_sqlite`` over the largest log, seconds in all and per million.

The records are synthetic but of a real size (about 700 bytes: a detached JWS, a
nonce, a UUID exchange id); request and response alternate.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateway.audit.log import AuditLog, chain_entries
from gateway.audit.merkle import Frontier, verify_consistency, verify_inclusion
from gateway.audit.record import AuditRecord
from gateway.audit.tree import StoredTree
from gateway.audit.verify import GENESIS, verify_sqlite
from gateway.storage.base import StoredEntry
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = ["main"]

SIZES = (10_000, 100_000, 1_000_000)
BULK = 30_000  # rows per bulk transaction
PROOFS = 200  # of each kind, at each size
_SIGNATURE = (
    "eyJhbGciOiJFUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il0sImlhdCI6MTc2NDI5NTUxMSwia2lkIjoi"
    + "x" * 180
    + ".."
    + "s" * 86
)


def record(i: int) -> AuditRecord:
    request = i % 2 == 0
    seconds = i // 200
    return AuditRecord(
        exchange_id=f"5f1c0e52-3a52-4f57-9a0c-{i // 2:012d}",
        kind="request" if request else "response",
        direction="outbound" if i % 4 < 2 else "inbound",
        time=f"2026-11-{1 + seconds // 86400 % 28:02d}T{seconds // 3600 % 24:02d}:"
        f"{seconds // 60 % 60:02d}:{seconds % 60:02d}.{i % 1_000_000:06d}Z",
        client="DE/GOV/05974028/gewerbeamt",
        service="EE/GOV/70000310/arireg/detailandmed_v2",
        method="POST",
        path="/cgi-bin/consumer_proxy",
        digest="sha-256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        signature=_SIGNATURE,
        nonce=f"nonce-{i:016d}" if request else None,
        peer="EE/GOV/70000310",
        status=None if request else 200,
        duration_ms=None if request else 12.5,
    )


def pending(start: int, count: int) -> list[tuple[AuditRecord, bytes, None]]:
    return [(r, r.canonical(), None) for r in map(record, range(start, start + count))]


def bench_append_cpu(rounds: int = 300, batch: int = 256) -> dict[str, float]:
    """µs of CPU per record: the writer's work before the commit, with and without the tree.

    "Before" is the writer's loop as it was before the tree (chain hash and row only);
    the two alternate round by round, so that a busy neighbour hits both alike.
    """
    items = pending(0, batch)
    frontier = Frontier()
    sha256 = hashlib.sha256

    def chain_only() -> None:
        seq, head, rows = -1, GENESIS, []
        for item, data, _ in items:
            seq += 1
            head = sha256(head + sha256(data).digest()).digest()
            rows.append(
                StoredEntry(
                    seq,
                    data,
                    head,
                    item.exchange_id,
                    item.time,
                    item.direction,
                    item.kind,
                    item.nonce,
                )
            )

    def with_tree() -> None:
        chain_entries(items, -1, GENESIS, frontier)

    times: dict[str, list[float]] = {"chain_only_us": [], "chain_and_tree_us": []}
    for n in range(rounds + 20):
        for name, run in (("chain_only_us", chain_only), ("chain_and_tree_us", with_tree)):
            start = time.process_time_ns()
            run()
            if n >= 20:  # the first rounds warm up
                times[name].append((time.process_time_ns() - start) / batch / 1000)
    return {name: statistics.median(values) for name, values in times.items()}


async def bench_durable(directory: Path, concurrency: int) -> dict[str, float]:
    path = directory / "durable.sqlite"
    async with AuditLog.sqlite(path) as log:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < 3.0:
            await log.append(record(count))
            count += 1
        one_by_one = count / (time.perf_counter() - started)

        total, per_task = 20_000, 20_000 // concurrency
        commits_before = log.commits

        async def task(offset: int) -> None:
            for i in range(per_task):
                await log.append(record(offset + i))

        started = time.perf_counter()
        await asyncio.gather(*(task(count + n * per_task) for n in range(concurrency)))
        grouped = per_task * concurrency / (time.perf_counter() - started)
        commits = log.commits - commits_before
    return {
        "one_at_a_time_per_s": one_by_one,
        "concurrent_per_s": grouped,
        "concurrency": concurrency,
        "records": total,
        "commits": commits,
    }


async def bulk_load(store: SQLiteAuditStore, start: int, end: int, state: list[Any]) -> None:
    """Append records ``start..end`` through the store; ``state`` is [head, frontier]."""
    for at in range(start, end, BULK):
        items = pending(at, min(BULK, end - at))
        rows, state[1] = chain_entries(items, at - 1, state[0], state[1])
        state[0] = rows[-1].chain_hash
        await store.append_batch(rows)


async def time_proofs(path: Path, size: int, rng: random.Random) -> dict[str, float]:
    store = SQLiteAuditStore(path, readonly=True)
    await store.open()
    try:
        tree = StoredTree(store)
        root = await tree.root(size)
        inclusion, consistency = [], []
        for _ in range(PROOFS):
            index = rng.randrange(size)
            started = time.perf_counter()
            proof = await tree.inclusion_proof(index, size)
            inclusion.append(time.perf_counter() - started)
            (leaf,) = (await store.tree_hashes([(0, index)])).values()
            assert verify_inclusion(leaf, index, size, proof, root)
        for _ in range(PROOFS):
            first = rng.randrange(1, size)
            started = time.perf_counter()
            proof = await tree.consistency_proof(first, size)
            consistency.append(time.perf_counter() - started)
            first_root = await tree.root(first)
            assert verify_consistency(first, size, first_root, root, proof)
    finally:
        await store.close()
    return {
        "records": size,
        "inclusion_ms_median": statistics.median(inclusion) * 1000,
        "inclusion_ms_p99": _p99(inclusion) * 1000,
        "consistency_ms_median": statistics.median(consistency) * 1000,
        "consistency_ms_p99": _p99(consistency) * 1000,
    }


def _p99(values: Sequence[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


async def bench_large(directory: Path, sizes: Sequence[int]) -> dict[str, Any]:
    path = directory / "large.sqlite"
    store = SQLiteAuditStore(path)
    await store.open()
    state: list[Any] = [GENESIS, Frontier()]
    loaded, load_seconds, proofs = 0, 0.0, []
    rng = random.Random(9162)
    try:
        for size in sizes:
            started = time.perf_counter()
            await bulk_load(store, loaded, size, state)
            load_seconds += time.perf_counter() - started
            loaded = size
            proofs.append(await time_proofs(path, size, rng))
    finally:
        await store.close()
    started = time.perf_counter()
    result = await verify_sqlite(path)
    verify_seconds = time.perf_counter() - started
    if not (result.ok and result.count == loaded):
        raise SystemExit(f"bench: the bulk-loaded log does not verify: {result}")
    return {
        "bulk_load_records_per_s": loaded / load_seconds,
        "proofs": proofs,
        "verify_records": loaded,
        "verify_seconds": verify_seconds,
        "verify_seconds_per_million": verify_seconds / loaded * 1_000_000,
        "file_bytes": path.stat().st_size + _size(path, "-wal"),
    }


def _size(path: Path, suffix: str) -> int:
    other = path.with_name(path.name + suffix)
    return other.stat().st_size if other.exists() else 0


def report(results: dict[str, Any]) -> str:
    cpu, durable, large = results["append_cpu"], results["durable"], results["large"]
    lines = [
        f"xgw audit benchmark, {results['when']}: {results['machine']}",
        "",
        "append CPU per record (chain_entries, batches of 256):",
        f"  chain hash only (before the tree)        {cpu['chain_only_us']:8.2f} µs",
        f"  chain + leaf + subtree hashes (now)      {cpu['chain_and_tree_us']:8.2f} µs",
        "durable appends (WAL, synchronous=FULL):",
        f"  one at a time (a commit each)            {durable['one_at_a_time_per_s']:8.0f}"
        " records/s",
        f"  {durable['concurrency']} tasks at once ({durable['records']} records in"
        f" {durable['commits']} commits): {durable['concurrent_per_s']:.0f} records/s",
        f"bulk load through the store                {large['bulk_load_records_per_s']:8.0f}"
        " records/s",
        "proofs from a freshly opened read-only store (ms, median / p99):",
        "  records      inclusion          consistency",
    ]
    for p in large["proofs"]:
        lines.append(
            f"  {p['records']:>9,}  {p['inclusion_ms_median']:6.2f} / {p['inclusion_ms_p99']:6.2f}"
            f"    {p['consistency_ms_median']:6.2f} / {p['consistency_ms_p99']:6.2f}"
        )
    lines += [
        f"xgw audit verify of {large['verify_records']:,} records: {large['verify_seconds']:.1f} s"
        f" ({large['verify_seconds_per_million']:.1f} s per million),"
        f" file {large['file_bytes'] / 1e6:.0f} MB",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [size for size in SIZES if size <= args.max_records] or [args.max_records]
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" load average {os.getloadavg()[0]:.2f}",
        "append_cpu": bench_append_cpu(),
    }
    directory = Path(tempfile.mkdtemp(prefix="xgw-bench-audit-", dir=args.state_dir))
    try:
        results["durable"] = await bench_durable(directory, args.concurrency)
        results["large"] = await bench_large(directory, sizes)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.audit", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--max-records", type=int, default=SIZES[-1], help="the largest log")
    parser.add_argument("--concurrency", type=int, default=64, help="tasks appending at once")
    parser.add_argument("--state-dir", type=Path, help="where the temp dir goes (e.g. /dev/shm)")
    parser.add_argument("--json", action="store_true", help="one JSON document")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
