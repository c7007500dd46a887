"""What verification finds when a log with a Merkle tree and signed tree heads is tampered with.

The log: 20 records, tree heads signed at 8, 16 and 20 records. Each test edits the
file with the standard library, as an intruder with file access would, from clumsy
(a record edited in place) to careful (every hash after the change recomputed).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import orjson
import pytest

from gateway.audit import AuditLog, VerifyResult, verify_sqlite
from gateway.audit.merkle import leaf_hash
from gateway.pki import CertificateAuthority, Issued
from tests.unit.audit.audit_support import (
    connect,
    make_record,
    records_of,
    rewrite_from,
    signer_of,
    signing,
)

SIGNED_AT = (8, 16, 20)


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("xgw audit tamper CA")


@pytest.fixture(scope="module")
def issued(ca: CertificateAuthority) -> Issued:
    return signing(ca)


@pytest.fixture
async def db_path(tmp_path: Path, issued: Issued) -> Path:
    path = tmp_path / "audit.db"
    async with AuditLog.sqlite(path) as log:
        for i in range(20):
            await log.append(make_record(i))
            if i + 1 in SIGNED_AT:
                await log.sign_tree_head(signer_of(issued))
    return path


async def verify(path: Path, issued: Issued) -> VerifyResult:
    return await verify_sqlite(path, certificates=[issued.cert])


def edited(data: bytes) -> bytes:
    fields = orjson.loads(data)
    fields["path"] = "/companies/someone-else"  # still a canonical, valid record
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


async def test_an_untouched_log_matches_every_signed_head(db_path, issued):
    result = await verify(db_path, issued)
    assert (result.ok, result.count, result.tree_heads, result.bad_tree_head) == (True, 20, 3, None)


async def test_an_edited_record_is_named(db_path, issued):
    with connect(db_path) as db:
        (data,) = db.execute("SELECT record FROM audit_entries WHERE seq = 11").fetchone()
        db.execute("UPDATE audit_entries SET record = ? WHERE seq = 11", (edited(data),))
    result = await verify(db_path, issued)
    assert (result.ok, result.first_bad, result.count) == (False, 11, 11)


async def test_an_edited_record_with_its_chain_recomputed_is_named_by_its_leaf(db_path, issued):
    records = records_of(db_path)
    with connect(db_path) as db:
        (leaf,) = db.execute("SELECT leaf_hash FROM audit_entries WHERE seq = 11").fetchone()
    rewrite_from(db_path, [*records[:11], edited(records[11]), *records[12:]], 11)
    with connect(db_path) as db:  # ...but the tree hashes left as they were
        db.execute("UPDATE audit_entries SET leaf_hash = ? WHERE seq = 11", (leaf,))
    result = await verify(db_path, issued)
    assert (result.first_bad, result.reason) == (11, "leaf hash does not match the record")


async def test_an_edited_record_with_its_leaf_recomputed_is_named_by_its_subtree(db_path, issued):
    records = records_of(db_path)
    with connect(db_path) as db:
        (subtrees,) = db.execute("SELECT subtrees FROM audit_entries WHERE seq = 11").fetchone()
    rewrite_from(db_path, [*records[:11], edited(records[11]), *records[12:]], 11)
    with connect(db_path) as db:  # entry 11 completes subtrees (1, 5) and (2, 2)
        db.execute("UPDATE audit_entries SET subtrees = ? WHERE seq = 11", (subtrees,))
    result = await verify(db_path, issued)
    assert result.first_bad == 11
    assert result.reason is not None and "records 10 to 11" in result.reason


async def test_a_rewritten_log_is_caught_by_the_first_signed_head_after_the_change(db_path, issued):
    """Every hash recomputed: only the signature on the head of 16 records shows it."""
    records = records_of(db_path)
    rewrite_from(db_path, [*records[:11], edited(records[11]), *records[12:]], 11)
    result = await verify(db_path, issued)
    # Records 0-7 match the head of 8; one of 8-15 is not what was signed.
    assert (result.ok, result.first_bad, result.count, result.tree_heads) == (False, 8, 8, 1)
    assert result.reason is not None and "records 8 to 15 do not give the root" in result.reason
    assert "tree head #2" in result.reason


async def test_a_deleted_record_is_named(db_path, issued):
    with connect(db_path) as db:
        db.execute("DELETE FROM audit_entries WHERE seq = 5")
    result = await verify(db_path, issued)
    assert (result.first_bad, result.reason) == (
        5,
        "expected sequence 5, found 6: an entry is missing",
    )


async def test_a_deleted_record_with_the_rest_renumbered_and_rehashed_is_caught(db_path, issued):
    records = records_of(db_path)
    rewrite_from(db_path, records[:5] + records[6:], 5)
    result = await verify(db_path, issued)
    assert (result.ok, result.first_bad) == (False, 0)  # the head of 8 is the first one broken
    assert result.reason is not None and "tree head #1" in result.reason


async def test_an_inserted_record_is_named(db_path, issued):
    """Forged at 5 with a correct chain hash and leaf hash; the later rows moved up one."""
    records = records_of(db_path)
    forged = make_record(99).canonical()
    with connect(db_path) as db:
        original = dict(db.execute("SELECT seq, subtrees FROM audit_entries").fetchall())
    rewrite_from(db_path, [*records[:5], forged, *records[5:]], 5)
    with connect(db_path) as db:  # the moved rows keep the tree hashes they had
        for seq in range(6, 21):
            db.execute(
                "UPDATE audit_entries SET subtrees = ? WHERE seq = ?", (original[seq - 1], seq)
            )
        db.execute("UPDATE audit_entries SET subtrees = ? WHERE seq = 5", (original[5],))
    result = await verify(db_path, issued)
    assert result.first_bad == 5
    assert result.reason is not None and "records 4 to 5" in result.reason


async def test_reordered_records_are_named(db_path, issued):
    with connect(db_path) as db:
        rows = {
            seq: rest
            for seq, *rest in db.execute(
                "SELECT seq, record, chain_hash, exchange_id, time, direction, kind, nonce,"
                " leaf_hash, subtrees FROM audit_entries WHERE seq IN (3, 9)"
            )
        }
        db.execute("BEGIN")
        db.execute("DELETE FROM audit_entries WHERE seq IN (3, 9)")
        for seq, other in ((3, 9), (9, 3)):
            db.execute(
                "INSERT INTO audit_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, *rows[other]),
            )
        db.execute("COMMIT")
    result = await verify(db_path, issued)
    assert result.first_bad == 3


async def test_a_truncated_tail_is_caught_by_a_signed_head(db_path, issued):
    with connect(db_path) as db:
        db.execute("DELETE FROM audit_entries WHERE seq >= 17")
    result = await verify(db_path, issued)
    assert (result.ok, result.first_bad, result.count) == (False, 17, 17)
    assert result.reason is not None and "records 17 to 19 were removed" in result.reason


async def test_a_tail_no_head_covers_yet_can_be_cut_unseen(tmp_path, issued):
    """The remaining limit: what no signed head covers yet (at most one interval's worth)."""
    path = tmp_path / "audit.db"
    async with AuditLog.sqlite(path) as log:
        for i in range(10):
            await log.append(make_record(i))
        await log.sign_tree_head(signer_of(issued))
        await log.append(make_record(10))
    with connect(path) as db:
        db.execute("DELETE FROM audit_entries WHERE seq = 10")
    result = await verify(path, issued)
    assert (result.ok, result.count) == (True, 10)


def _forge_payload(jws: str, **changes: object) -> str:
    header, payload, signature = jws.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields.update(changes)
    data = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return ".".join([header, base64.urlsafe_b64encode(data).rstrip(b"=").decode(), signature])


async def test_an_altered_tree_head_is_named(db_path, issued):
    with connect(db_path) as db:
        (jws,) = db.execute("SELECT jws FROM audit_tree_heads WHERE number = 2").fetchone()
        db.execute(
            "UPDATE audit_tree_heads SET jws = ?, tree_size = 15 WHERE number = 2",
            (_forge_payload(jws, tree_size=15),),
        )
    result = await verify(db_path, issued)
    assert (result.ok, result.first_bad, result.bad_tree_head) == (False, None, 2)
    assert result.reason is not None and "tree head #2 is not valid: signature does not verify" in (
        result.reason
    )
    assert result.tree_heads == 2  # the other two still match


async def test_a_tree_head_whose_columns_were_edited_is_named(db_path, issued):
    with connect(db_path) as db:
        db.execute("UPDATE audit_tree_heads SET root_hash = ? WHERE number = 3", ("00" * 32,))
    result = await verify(db_path, issued)
    assert result.bad_tree_head == 3
    assert result.reason is not None and "disagree with what was signed" in result.reason


async def test_a_record_change_is_named_even_when_a_head_is_bad_too(db_path, issued):
    with connect(db_path) as db:
        db.execute("UPDATE audit_tree_heads SET jws = 'garbage' WHERE number = 1")
        (data,) = db.execute("SELECT record FROM audit_entries WHERE seq = 2").fetchone()
        db.execute("UPDATE audit_entries SET record = ? WHERE seq = 2", (edited(data),))
    result = await verify(db_path, issued)
    assert (result.first_bad, result.bad_tree_head) == (2, 1)
    assert any("tree head #1 is not valid: not a JWS" in note for note in result.notes)


async def test_heads_signed_by_another_key_or_member_are_refused(db_path, issued, ca):
    other = signing(ca)
    result = await verify_sqlite(db_path, certificates=[other.cert])
    assert result.bad_tree_head == 1
    assert result.reason is not None and "unknown certificate" in result.reason
    result = await verify_sqlite(db_path, certificates=[issued.cert], member="EE/GOV/70000310")
    assert result.reason is not None and "signed for member DE/GOV/05974028" in result.reason


async def test_without_a_trusted_certificate_the_logs_own_is_used_and_said(db_path):
    result = await verify_sqlite(db_path)
    assert (result.ok, result.tree_heads) == (True, 3)
    assert any("certificates stored in the log itself" in note for note in result.notes)


async def test_a_leaf_hash_removed_is_named(db_path, issued):
    with connect(db_path) as db:
        db.execute("UPDATE audit_entries SET leaf_hash = NULL WHERE seq = 6")
    result = await verify(db_path, issued)
    assert result.first_bad == 6
    assert result.reason is not None and "tree hashes are missing" in result.reason


async def test_a_leaf_hash_of_another_record_is_named(db_path, issued):
    with connect(db_path) as db:
        db.execute("UPDATE audit_entries SET leaf_hash = ? WHERE seq = 6", (leaf_hash(b"x"),))
    assert (await verify(db_path, issued)).first_bad == 6


async def test_malformed_subtree_hashes_are_named(db_path, issued):
    with connect(db_path) as db:
        db.execute("UPDATE audit_entries SET subtrees = X'00' WHERE seq = 6")
    result = await verify(db_path, issued)
    assert result.first_bad == 6
    assert result.reason is not None and "malformed" in result.reason
