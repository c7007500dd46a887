"""Witnessing: the rules that tell a grown log from a rewritten one, and the witness that
applies them to a peer's heads, keeps them in a real SQLite store and refuses or reports.

The peer is a real log in memory (RFC 9162 leaves, heads signed with the peer's signing
key as the directory lists it, proofs computed from its leaves); a "rewrite" changes a
leaf and recomputes everything, as an intruder with the peer's key would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest

from gateway.app import bind
from gateway.audit.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, tree_root
from gateway.audit.tree_head import TreeHead, TreeHeadSigner
from gateway.audit.witness import (
    Adopt,
    Contradiction,
    Keep,
    Prove,
    ServedProof,
    Witness,
    compare,
    parse_proof,
)
from gateway.audit.witness_store import SQLiteWitnessStore
from gateway.directory import Directory, Member
from gateway.errors import (
    CLIENT_PROXY,
    SERVER_PROXY,
    InconsistentTreeHeadError,
    NetworkError,
    PartnerError,
)
from gateway.identifiers import ClientId
from gateway.pki import CertificateAuthority, Usage
from gateway.settings import WitnessSettings
from tests.integration.federation import DE, EE, Harness

ROOT_A, ROOT_B = b"\xaa" * 32, b"\xbb" * 32


# ---------------------------------------------------------------------------- compare


def head(size: int, root: bytes, timestamp: int) -> TreeHead:
    return TreeHead(size, root, timestamp, EE)


@pytest.mark.parametrize(
    ("held", "new", "expected"),
    [
        (None, head(5, ROOT_A, 10), Adopt()),
        (head(5, ROOT_A, 10), head(5, ROOT_A, 20), Adopt()),  # the same tree, signed again
        (head(5, ROOT_A, 20), head(5, ROOT_A, 10), Keep()),
        (
            head(5, ROOT_A, 10),
            head(8, ROOT_B, 20),
            Prove(head(5, ROOT_A, 10), head(8, ROOT_B, 20), True),
        ),
        (
            head(8, ROOT_B, 20),
            head(5, ROOT_A, 10),
            Prove(head(5, ROOT_A, 10), head(8, ROOT_B, 20), False),
        ),
    ],
)
def test_heads_that_may_agree_are_adopted_kept_or_proven(
    held: TreeHead | None, new: TreeHead, expected: object
):
    assert compare(held, new) == expected


@pytest.mark.parametrize(
    ("held", "new", "kind"),
    [
        (head(5, ROOT_A, 10), head(5, ROOT_B, 20), "fork"),
        (head(8, ROOT_A, 10), head(5, ROOT_B, 20), "rollback"),  # fewer records, signed later
        (head(5, ROOT_A, 20), head(8, ROOT_B, 10), "rollback"),  # the held one came after it
    ],
)
def test_heads_that_cannot_both_be_true_are_a_contradiction(
    held: TreeHead, new: TreeHead, kind: str
):
    verdict = compare(held, new)
    assert isinstance(verdict, Contradiction) and verdict.kind == kind


def test_a_proof_answer_must_be_the_proof_asked_for():
    good = {"type": "consistency", "first_size": 3, "second_size": 8, "path": ["ab" * 32]}
    assert parse_proof(orjson.dumps(good), 3, 8) == [bytes.fromhex("ab" * 32)]
    for bad in (
        b"not json",
        orjson.dumps([]),
        orjson.dumps({**good, "type": "inclusion"}),
        orjson.dumps({**good, "second_size": 9}),
        orjson.dumps({**good, "path": "ab" * 32}),
        orjson.dumps({**good, "path": ["AB" * 32]}),
        orjson.dumps({**good, "path": ["ab" * 31]}),
    ):
        with pytest.raises(PartnerError):
            parse_proof(bad, 3, 8)


# ---------------------------------------------------------------------------- a peer's log


class PeerLog:
    """EE's log as EE keeps it: leaves, heads signed with EE's key, proofs on request."""

    def __init__(self, signer: TreeHeadSigner) -> None:
        self.signer = signer
        self.leaves: list[bytes] = []
        self.clock = 1_800_000_000_000
        self.down = False  # the peer serves no proofs (a network failure)
        self.asked: list[tuple[int, int]] = []

    def grow(self, count: int) -> None:
        start = len(self.leaves)
        self.leaves += [leaf_hash(f"record {start + i}".encode()) for i in range(count)]

    def rewrite(self, index: int) -> None:
        self.leaves[index] = leaf_hash(b"what the intruder wants it to say")

    def head(self, size: int | None = None, *, timestamp: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        self.clock += 1000
        return self.signer.sign(
            size, tree_root(self.leaves[:size]), timestamp=timestamp or self.clock
        ).jws

    async def __call__(
        self, directory: Directory, peer: Member, first: int, second: int
    ) -> ServedProof:
        self.asked.append((first, second))
        if self.down:
            raise NetworkError(f"cannot reach the gateway of {peer.id}")
        path = consistency_proof(self.leaves, first, second)
        text = orjson.dumps(
            {
                "type": "consistency",
                "first_size": first,
                "second_size": second,
                "path": [h.hex() for h in path],
            }
        ).decode()
        return ServedProof(parse_proof(text.encode(), first, second), text)


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("xgw witness CA")


@pytest.fixture
def fed(tmp_path: Path, ca: CertificateAuthority) -> Iterator[Harness]:
    harness = Harness(tmp_path, ca, "http://127.0.0.1:9")
    for member in harness.members.values():  # their ports go in the directory
        member.peer_sock, member.client_sock = bind("127.0.0.1", 0), bind("127.0.0.1", 0)
    yield harness
    for member in harness.members.values():
        member.peer_sock.close()
        member.client_sock.close()


@pytest.fixture
def directory(fed: Harness) -> Directory:
    return Directory.from_json(fed.directory_document(), token="the signed directory")


@pytest.fixture
def ee(directory: Directory) -> Member:
    found = directory.member(ClientId.parse(EE))
    assert found is not None
    return found


@pytest.fixture
def log(fed: Harness) -> PeerLog:
    signing = fed.members["EE"].signing
    return PeerLog(TreeHeadSigner(signing.key, signing.cert, EE))


@contextlib.asynccontextmanager
async def witness_of(
    path: Path, directory: Directory, log: PeerLog, action: str = "refuse"
) -> AsyncIterator[Witness]:
    witness = Witness(
        SQLiteWitnessStore(path),
        member=DE,
        settings=WitnessSettings(on_inconsistency=action, refresh_interval=0.05),
        directory=lambda: directory,
        audit=None,
        proofs=log,
    )
    await witness.start()
    try:
        yield witness
    finally:
        await witness.close()


async def show(witness: Witness, directory: Directory, peer: Member, jws: str) -> None:
    witness.observe(directory, peer, jws)
    await witness.settle()


# ---------------------------------------------------------------------------- the witness


async def test_a_growing_log_is_proven_consistent_and_kept(
    tmp_path: Path, directory: Directory, ee: Member, log: PeerLog
):
    db = tmp_path / "witness.sqlite"
    async with witness_of(db, directory, log) as witness:
        log.grow(3)
        first = log.head()
        await show(witness, directory, ee, first)
        held = witness.latest(EE)
        assert held is not None and (held.tree_size, held.jws) == (3, first)
        assert log.asked == []  # the first head is trusted on first use

        witness.observe(directory, ee, first)  # the same head again: nothing to do
        assert witness.checking == 0

        log.grow(5)
        await show(witness, directory, ee, log.head())
        assert log.asked == [(3, 8)] and witness.proofs_checked == 1
        assert witness.latest(EE).tree_size == 8  # type: ignore[union-attr]

        older = log.head(5, timestamp=log.clock - 500)  # crossed on the way: older, smaller
        await show(witness, directory, ee, older)
        assert log.asked[-1] == (5, 8) and witness.latest(EE).tree_size == 8  # type: ignore[union-attr]
        notes: list[str] = []
        witness.guard(EE, CLIENT_PROXY, notes)
        assert notes == []

    async with SQLiteWitnessStore(db, readonly=True) as store:  # durable, as kept
        latest = await store.latest()
        assert latest[EE].tree_size == 8 and latest[EE].root_hash == tree_root(log.leaves)
        assert [h.tree_size for h in await store.heads(EE)] == [3, 8]


async def test_a_rewritten_log_is_refused_with_the_evidence_kept(
    tmp_path: Path,
    directory: Directory,
    ee: Member,
    log: PeerLog,
    caplog: pytest.LogCaptureFixture,
):
    db = tmp_path / "witness.sqlite"
    async with witness_of(db, directory, log) as witness:
        log.grow(4)
        held = log.head()
        await show(witness, directory, ee, held)
        log.rewrite(1)  # every hash recomputed, heads re-signed with EE's own key
        log.grow(2)
        rewritten = log.head()
        with caplog.at_level(logging.ERROR, logger="gateway.witness"):
            await show(witness, directory, ee, rewritten)

        evidence = witness.inconsistency(EE)
        assert evidence is not None and evidence.kind == "inconsistent" and evidence.number == 1
        assert (evidence.held_jws, evidence.new_jws) == (held, rewritten)
        assert orjson.loads(evidence.proof or "")["second_size"] == 6
        assert evidence.directory == "the signed directory" and evidence.action == "refuse"
        line = caplog.records[-1].getMessage()
        assert EE in line and "4 records" in line and "6 records" in line

        for origin in (CLIENT_PROXY, SERVER_PROXY):
            notes: list[str] = []
            with pytest.raises(InconsistentTreeHeadError) as refused:
                witness.guard(EE, origin, notes)
            assert refused.value.type == f"{origin}.InconsistentTreeHead"
            assert "evidence #1" in refused.value.message and notes
        witness.guard(DE, CLIENT_PROXY, [])  # others are not concerned

        asked = len(log.asked)
        log.grow(1)
        await show(witness, directory, ee, log.head())  # waits for an administrator
        assert len(log.asked) == asked

    # A restart refuses it all the same; clearing makes the next head the new baseline.
    async with witness_of(db, directory, log) as witness:
        with pytest.raises(InconsistentTreeHeadError):
            witness.guard(EE, CLIENT_PROXY, [])
        async with SQLiteWitnessStore(db) as admin:
            assert await admin.clear(EE, at=1) == [1]
            assert await admin.clear(EE, at=2) == []
        await witness.refresh()
        witness.guard(EE, CLIENT_PROXY, [])
        assert witness.latest(EE) is None
        await show(witness, directory, ee, rewritten)
        assert witness.latest(EE).jws == rewritten  # type: ignore[union-attr]
        assert witness.inconsistency(EE) is None


async def test_report_mode_keeps_exchanging_with_a_note(
    tmp_path: Path, directory: Directory, ee: Member, log: PeerLog
):
    async with witness_of(tmp_path / "w.sqlite", directory, log, action="report") as witness:
        log.grow(4)
        await show(witness, directory, ee, log.head())
        await show(witness, directory, ee, log.head(4, timestamp=log.clock + 5))
        assert witness.inconsistency(EE) is None  # the same tree signed again
        log.rewrite(3)
        await show(witness, directory, ee, log.head())
        evidence = witness.inconsistency(EE)
        assert evidence is not None and evidence.kind == "fork" and evidence.proof is None
        notes: list[str] = []
        witness.guard(EE, CLIENT_PROXY, notes)
        assert notes and "reported, not refused" in notes[0] and "fork" in notes[0]


async def test_a_rollback_is_found_without_asking_the_peer(
    tmp_path: Path, directory: Directory, ee: Member, log: PeerLog
):
    async with witness_of(tmp_path / "w.sqlite", directory, log) as witness:
        log.grow(8)
        await show(witness, directory, ee, log.head())
        del log.leaves[5:]  # cut off, and a new head signed
        await show(witness, directory, ee, log.head())
        evidence = witness.inconsistency(EE)
        assert evidence is not None and evidence.kind == "rollback"
        assert log.asked == []


async def test_heads_that_are_not_the_peers_are_ignored(
    tmp_path: Path,
    directory: Directory,
    ee: Member,
    log: PeerLog,
    fed: Harness,
    ca: CertificateAuthority,
    caplog: pytest.LogCaptureFixture,
):
    stranger = ca.issue(EE, usage=Usage.SIGNING)  # EE's name, a key the directory does not list
    de_signing, ee_signing = fed.members["DE"].signing, fed.members["EE"].signing
    log.grow(2)
    forged = [
        TreeHeadSigner(stranger.key, stranger.cert, EE).sign(2, tree_root(log.leaves)).jws,
        TreeHeadSigner(de_signing.key, de_signing.cert, DE).sign(2, EMPTY_ROOT).jws,  # DE's
        TreeHeadSigner(ee_signing.key, ee_signing.cert, DE).sign(2, EMPTY_ROOT).jws,  # not EE's
        "not.a.head",
        "x" * 5000,
    ]
    async with witness_of(tmp_path / "w.sqlite", directory, log) as witness:
        with caplog.at_level(logging.WARNING, logger="gateway.witness"):
            for jws in forged:
                await show(witness, directory, ee, jws)
        assert witness.latest(EE) is None and witness.inconsistency(EE) is None
        assert len([r for r in caplog.records if "ignored a tree head" in r.getMessage()]) == 5
        real = log.head()
        await show(witness, directory, ee, real)
        assert witness.latest(EE).jws == real  # type: ignore[union-attr]
        await show(witness, directory, ee, forged[0])  # a forged head never refuses anyone
        assert witness.inconsistency(EE) is None


async def test_a_head_that_cannot_be_proven_now_is_retried(
    tmp_path: Path, directory: Directory, ee: Member, log: PeerLog
):
    db = tmp_path / "w.sqlite"
    async with witness_of(db, directory, log) as witness:
        log.grow(2)
        await show(witness, directory, ee, log.head())
        log.grow(2)
        log.down = True
        grown = log.head()
        await show(witness, directory, ee, grown)
        assert witness.latest(EE).tree_size == 2  # type: ignore[union-attr]
        async with SQLiteWitnessStore(db, readonly=True) as store:
            (unchecked,) = await store.unchecked()
        assert unchecked.jws == grown and "cannot reach" in unchecked.reason

        witness.observe(directory, ee, grown)  # not again before the retry is due
        assert witness.checking == 0
        log.down = False
        await asyncio.sleep(0.06)  # the retry is due after refresh_interval
        await witness.refresh()  # what the schedule does then
        await witness.settle()
        assert witness.latest(EE).tree_size == 4  # type: ignore[union-attr]
        async with SQLiteWitnessStore(db, readonly=True) as store:
            assert await store.unchecked() == []
