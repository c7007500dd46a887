"""The witness store: a real SQLite file, kept small, durable, and only ever an xgw one."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from gateway.audit.witness_store import (
    APPLICATION_ID,
    Evidence,
    SeenHead,
    SQLiteWitnessStore,
    Unchecked,
)
from gateway.errors import AuditError

EE = "EE/GOV/70000310"
NL = "NL/GOV/00000001"
DAY = 86_400_000


def seen(peer: str, size: int, seen_at: int) -> SeenHead:
    return SeenHead(
        peer, size, bytes([size]) * 32, seen_at - 5, "kid", f"jws-{peer}-{size}", seen_at
    )


def evidence(peer: str) -> Evidence:
    return Evidence(peer, "fork", "why", 7, "refuse", "held", "new", None, ("PEM",), "dir")


async def test_heads_are_kept_as_baseline_and_thinned_to_the_first_and_last_of_each_day(
    tmp_path: Path,
):
    db = tmp_path / "witness.sqlite"
    async with SQLiteWitnessStore(db) as store:
        for size, at in ((1, 10 * DAY + 1), (2, 10 * DAY + 2), (3, 10 * DAY + 3), (4, 11 * DAY)):
            await store.adopt(seen(EE, size, at))
        await store.adopt(seen(NL, 9, 11 * DAY))
        assert {p: h.tree_size for p, h in (await store.latest()).items()} == {EE: 4, NL: 9}
        # day 10 keeps its first (1) and its last (3); day 11 has one so far
        assert [h.tree_size for h in await store.heads(EE)] == [1, 3, 4]
        assert (await store.heads(NL))[0] == seen(NL, 9, 11 * DAY)

        await store.set_unchecked(Unchecked(EE, "jws-x", 5, "no proof"), EE)
        assert await store.unchecked() == [Unchecked(EE, "jws-x", 5, "no proof")]
        await store.adopt(seen(EE, 5, 11 * DAY + 1))  # a checked head settles it
        assert await store.unchecked() == []

    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_clearing_closes_the_evidence_and_forgets_the_baseline(tmp_path: Path):
    db = tmp_path / "witness.sqlite"
    async with SQLiteWitnessStore(db) as store:
        await store.adopt(seen(EE, 4, DAY))
        await store.adopt(seen(NL, 4, DAY))
        first = await store.add_inconsistency(evidence(EE))
        second = await store.add_inconsistency(evidence(EE))
        other = await store.add_inconsistency(evidence(NL))
        assert [e.number for e in await store.inconsistencies(EE, open_only=True)] == [
            first,
            second,
        ]
        assert await store.clear(EE, at=99) == [first, second]
        assert await store.inconsistencies(open_only=True) == [await store.inconsistency(other)]
        assert (await store.inconsistency(first)).cleared_at == 99  # type: ignore[union-attr]
        assert set(await store.latest()) == {NL}
        assert [h.tree_size for h in await store.heads(EE)] == [4]  # history stays

    async with SQLiteWitnessStore(db, readonly=True) as reader:
        kept = await reader.inconsistency(other)
        assert kept is not None and kept.certificates == ("PEM",) and kept.directory == "dir"
        with pytest.raises(AuditError, match="read-only"):
            await reader.clear(NL, at=1)


async def test_only_an_xgw_witness_file_is_opened(tmp_path: Path):
    with pytest.raises(AuditError, match="no such file"):
        await SQLiteWitnessStore(tmp_path / "missing.sqlite", readonly=True).open()
    foreign = tmp_path / "foreign.sqlite"
    with contextlib.closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE t (x)")
    for readonly in (False, True):
        with pytest.raises(AuditError, match="not an xgw witness database"):
            await SQLiteWitnessStore(foreign, readonly=readonly).open()
    with contextlib.closing(sqlite3.connect(foreign)) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 1
