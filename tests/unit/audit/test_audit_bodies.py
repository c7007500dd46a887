"""Message bodies in the audit log: sealed, bound to their record, rotated, purged, limited.

Real SQLite files, real AES-256-GCM; the intruder's edits use the standard library's sqlite3.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.audit import AuditLog, AuditRecord, verify_sqlite
from gateway.audit.bodies import BodyVault, associated_data
from gateway.audit.body_keys import BodyKeyring, create_body_key, load_body_key
from gateway.audit.body_policy import BodyRule, BodyRules
from gateway.audit.body_purge import purge_bodies, record_time
from gateway.errors import AuditError, ConfigError
from gateway.signing import body_digest
from gateway.storage import SQLiteAuditStore
from gateway.storage.base import BODY_KEPT, BODY_OVER_LIMIT, BODY_UNAVAILABLE
from tests.unit.audit.audit_support import connect, make_record

SERVICE = "EE/GOV/70000310/ariregister/ettevotted"
OTHER = "EE/GOV/70000310/ariregister/isikud"
DAY = 86400.0
KEEP_30_DAYS = BodyRule(30.0)


def keyring(tmp_path: Path, *names: str) -> BodyKeyring:
    paths = []
    for name in names:
        path = tmp_path / name
        if not path.exists():
            create_body_key(path)
        paths.append(path)
    return BodyKeyring.load(paths)


def vault(
    ring: BodyKeyring | None,
    *,
    default: BodyRule = KEEP_30_DAYS,
    overrides: dict[str, tuple[float | None, bool | None]] | None = None,
    max_bytes: int = 1 << 20,
) -> BodyVault:
    return BodyVault(ring, BodyRules(default, overrides), max_bytes)


def record_for(i: int, body: bytes, **overrides: object) -> AuditRecord:
    values: dict[str, object] = {"digest": body_digest(body), "service": SERVICE}
    values.update(overrides)
    return make_record(i, **values)


def body_rows(path: Path) -> list[tuple[int, str, int | None, str | None]]:
    with connect(path) as db:
        return db.execute(
            "SELECT seq, status, size, key_id FROM audit_bodies ORDER BY seq"
        ).fetchall()


async def append_all(log: AuditLog, items: Sequence[tuple[AuditRecord, bytes | None]]) -> list[int]:
    return [await log.append(record, body) for record, body in items]


# -- keys ------------------------------------------------------------------------------


def test_a_new_key_file_is_32_random_bytes_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "body.key"
    key = create_body_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32 and path.read_bytes() == key.secret
    assert load_body_key(path) == key
    assert key.secret.hex() not in repr(key) and key.id in repr(key)
    assert create_body_key(tmp_path / "other.key").secret != key.secret
    with pytest.raises(ConfigError, match="never overwritten"):
        create_body_key(path)
    assert path.read_bytes() == key.secret


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused(tmp_path, mode):
    path = tmp_path / "body.key"
    create_body_key(path)
    path.chmod(mode)
    with pytest.raises(ConfigError, match=f"mode {mode:04o}.*chmod 600") as caught:
        BodyKeyring.load([path])
    assert caught.value.key == "audit.body_keys[0]"


def test_a_key_file_of_another_length_or_missing_is_refused(tmp_path):
    short = tmp_path / "short.key"
    short.write_bytes(os.urandom(16))
    short.chmod(0o600)
    with pytest.raises(ConfigError, match="holds 16 bytes"):
        load_body_key(short)
    with pytest.raises(ConfigError, match="does not exist"):
        load_body_key(tmp_path / "missing.key")
    same = tmp_path / "same.key"
    create_body_key(tmp_path / "a.key")
    same.write_bytes((tmp_path / "a.key").read_bytes())
    same.chmod(0o400)  # read-only for the owner is fine
    with pytest.raises(ConfigError, match="holds the same key"):
        BodyKeyring.load([tmp_path / "a.key", same])


# -- sealing ---------------------------------------------------------------------------


async def test_a_body_round_trips_sealed_and_never_in_the_clear(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    body = b'{"registrikood": "10000356", "nimi": "P\xc3\xb5hjaranniku Puit O\xc3\x9c"}' * 4
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        seq = await log.append(record_for(0, body), body)
        assert await log.open_body(seq) == body
        stored = await log.stored_body(seq)
    assert stored is not None and stored.status == BODY_KEPT and stored.size == len(body)
    assert stored.key_id == ring.current.id and len(stored.nonce or b"") == 12
    assert stored.ciphertext is not None and len(stored.ciphertext) == len(body) + 16
    # Not in the database, the WAL or anywhere else on disk in the clear.
    for file in tmp_path.iterdir():
        assert b"Puit" not in file.read_bytes(), file
    assert (await verify_sqlite(path)).ok


async def test_each_body_gets_its_own_nonce(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    body = b"the same message twice"
    async with AuditLog.sqlite(tmp_path / "a.sqlite", bodies=vault(ring)) as log:
        seqs = await append_all(log, [(record_for(i, body), body) for i in range(20)])
        stored = [await log.stored_body(seq) for seq in seqs]
    nonces = {s.nonce for s in stored if s is not None}
    assert len(nonces) == 20


async def test_an_outside_reader_opens_a_body_with_the_documented_associated_data(tmp_path):
    """docs/audit-log.md, "Bodies": AESGCM(key).decrypt(nonce, ciphertext, aad), stdlib JSON."""
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    body = b"<soap:Envelope>...</soap:Envelope>"
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        await log.append(make_record(0, service=SERVICE), None)
        seq = await log.append(record_for(1, body), body)
    with connect(path) as db:
        record, nonce, ciphertext, key_id = db.execute(
            "SELECT e.record, b.nonce, b.ciphertext, b.key_id"
            " FROM audit_entries e JOIN audit_bodies b ON b.seq = e.seq WHERE e.seq = ?",
            (seq,),
        ).fetchone()
    fields = json.loads(record)
    aad = json.dumps(
        {
            "digest": fields["digest"],
            "direction": fields["direction"],
            "exchange_id": fields["exchange_id"],
            "kind": fields["kind"],
            "seq": seq,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert aad == associated_data(seq, AuditRecord.from_canonical(record))
    key = (tmp_path / "k1.key").read_bytes()
    assert key_id == ring.current.id
    assert AESGCM(key).decrypt(nonce, ciphertext, aad) == body


async def test_a_flipped_ciphertext_byte_is_refused(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    body = b"a body worth keeping intact"
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        seq = await log.append(record_for(0, body), body)
    for position in (0, len(body) // 2, len(body) + 15):  # plaintext part and the tag
        with connect(path) as db:
            (ciphertext,) = db.execute(
                "SELECT ciphertext FROM audit_bodies WHERE seq = ?", (seq,)
            ).fetchone()
            changed = bytearray(ciphertext)
            changed[position] ^= 0x01
            db.execute("UPDATE audit_bodies SET ciphertext = ? WHERE seq = ?", (changed, seq))
        async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
            with pytest.raises(AuditError, match=r"does not decrypt.*changed, moved"):
                await log.open_body(seq)
        with connect(path) as db:
            db.execute("UPDATE audit_bodies SET ciphertext = ? WHERE seq = ?", (ciphertext, seq))
    assert (await verify_sqlite(path)).ok  # the log itself was never touched


async def test_a_body_moved_to_another_record_is_refused_even_with_the_same_digest(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    body = b"identical message bodies"
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        first = await log.append(record_for(0, body), body)
        second = await log.append(record_for(1, body), body)
        other = await log.append(record_for(2, b"another body"), b"another body")
    with connect(path) as db:  # the intruder swaps the two sealed bodies' rows
        db.execute("UPDATE audit_bodies SET seq = -1 WHERE seq = ?", (first,))
        db.execute("UPDATE audit_bodies SET seq = ? WHERE seq = ?", (first, second))
        db.execute("UPDATE audit_bodies SET seq = ? WHERE seq = -1", (second,))
        db.execute("DELETE FROM audit_bodies WHERE seq = ?", (other,))
        db.execute(
            "INSERT INTO audit_bodies SELECT ?, service, time, status, size, key_id, nonce,"
            " ciphertext FROM audit_bodies WHERE seq = ?",
            (other, first),
        )
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        for seq in (first, second, other):
            with pytest.raises(AuditError, match="does not decrypt"):
                await log.open_body(seq)


async def test_a_record_edited_to_another_digest_no_longer_opens_its_body(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    body = b"what was really sent"
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        seq = await log.append(record_for(0, body), body)
    forged = record_for(0, b"what they claim was sent").canonical()
    with connect(path) as db:
        db.execute("UPDATE audit_entries SET record = ? WHERE seq = ?", (forged, seq))
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        with pytest.raises(AuditError, match="does not decrypt"):
            await log.open_body(seq)
    assert (await verify_sqlite(path)).first_bad == seq


# -- rotation --------------------------------------------------------------------------


async def test_after_a_rotation_old_bodies_open_with_the_old_key_new_ones_use_the_new(tmp_path):
    path = tmp_path / "audit.sqlite"
    old_body, new_body = b"sealed in 2026", b"sealed in 2027"
    old_ring = keyring(tmp_path, "k1.key")
    async with AuditLog.sqlite(path, bodies=vault(old_ring)) as log:
        old_seq = await log.append(record_for(0, old_body), old_body)
    rotated = keyring(tmp_path, "k2.key", "k1.key")  # the new key first
    async with AuditLog.sqlite(path, bodies=vault(rotated)) as log:
        new_seq = await log.append(record_for(1, new_body), new_body)
        assert await log.open_body(old_seq) == old_body
        assert await log.open_body(new_seq) == new_body
    assert [key for _, _, _, key in body_rows(path)] == [old_ring.current.id, rotated.current.id]
    assert rotated.current.id != old_ring.current.id
    # The old key retired too early: its bodies say which key they need.
    async with AuditLog.sqlite(path, bodies=vault(keyring(tmp_path, "k2.key"))) as log:
        assert await log.open_body(new_seq) == new_body
        with pytest.raises(AuditError, match=f"sealed with key {old_ring.current.id}"):
            await log.open_body(old_seq)


# -- which bodies are kept -------------------------------------------------------------


async def test_a_metadata_only_service_keeps_no_body(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    rules = vault(ring, overrides={OTHER: (None, True)})
    async with AuditLog.sqlite(path, bodies=rules) as log:
        kept = await log.append(record_for(0, b"kept"), b"kept")
        dropped = await log.append(record_for(1, b"not kept", service=OTHER), b"not kept")
        assert await log.stored_body(dropped) is None
        with pytest.raises(AuditError, match="no body is stored"):
            await log.open_body(dropped)
    assert [(seq, status) for seq, status, _, _ in body_rows(path)] == [(kept, BODY_KEPT)]
    assert b"not kept" not in path.read_bytes()


async def test_a_node_that_is_metadata_only_needs_no_key(tmp_path):
    path = tmp_path / "audit.sqlite"
    with pytest.raises(ValueError, match="keyring is needed"):
        vault(None)
    async with AuditLog.sqlite(path, bodies=vault(None, default=BodyRule(30, True))) as log:
        await log.append(record_for(0, b"x"), b"x")
    assert body_rows(path) == []


async def test_a_body_over_the_limit_is_logged_as_digest_only_and_said_so(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    small, large = b"s" * 64, b"L" * 65
    async with AuditLog.sqlite(path, bodies=vault(ring, max_bytes=64)) as log:
        at_limit = await log.append(record_for(0, small), small)
        over = await log.append(record_for(1, large), large)
        assert await log.open_body(at_limit) == small
        with pytest.raises(AuditError, match="65 bytes, over \\[audit\\] max_body_bytes"):
            await log.open_body(over)
        records = await log.records(record_for(1, large).exchange_id)
    assert records[0].digest == body_digest(large)  # the record still names the body
    assert body_rows(path) == [
        (at_limit, BODY_KEPT, 64, ring.current.id),
        (over, BODY_OVER_LIMIT, 65, None),
    ]
    assert b"L" * 65 not in path.read_bytes()


async def test_only_bytes_the_digest_names_are_kept(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    signed, rendered = b'{"signed": "answer"}', b"<answer>re-rendered for the client</answer>"
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        # The client got a re-rendered answer; the signed one is the fallback, and kept.
        chosen = await log.submit(record_for(0, signed), rendered, fallback=signed)
        assert await log.open_body(chosen) == signed
        # Neither candidate is what the digest names: a marker, never the wrong bytes.
        lost = await log.append(record_for(1, b"canonical, not at hand"), rendered)
        empty = await log.append(record_for(2, b""), b"")
        none = await log.append(record_for(3, b"body not handed over"))
    assert [(seq, status) for seq, status, _, _ in body_rows(path)] == [
        (0, BODY_KEPT),
        (lost, BODY_UNAVAILABLE),
    ]
    assert empty == 2 and none == 3


# -- retention and purge ---------------------------------------------------------------


async def test_a_purge_deletes_expired_bodies_by_each_services_rule_and_verify_passes(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    now = time.time()
    rules = vault(ring, overrides={OTHER: (7.0, None)})

    def aged(i: int, days: float, service: str = SERVICE) -> tuple[AuditRecord, bytes]:
        body = f"body {i}".encode()
        return record_for(i, body, time=record_time(now - days * DAY), service=service), body

    items = [aged(0, 40), aged(1, 29), aged(2, 8, OTHER), aged(3, 6, OTHER), aged(4, 31)]
    async with AuditLog.sqlite(path, bodies=rules) as log:
        await append_all(log, items)
        assert await purge_bodies(log.store, rules.rules, now=now) == 3
        assert await log.open_body(1) == b"body 1"
        assert await log.open_body(3) == b"body 3"
        for seq in (0, 2, 4):
            assert await log.stored_body(seq) is None
        assert len(await log.records(items[0][0].exchange_id)) == 1  # the record stays
        assert await purge_bodies(log.store, rules.rules, now=now) == 0
    assert [seq for seq, _, _, _ in body_rows(path)] == [1, 3]
    result = await verify_sqlite(path)
    assert (result.ok, result.count) == (True, 5)


async def test_a_shorter_retention_or_metadata_only_applies_to_bodies_stored_before(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    now = time.time()
    body = b"stored under the old rules"
    items = [
        (record_for(i, body, time=record_time(now - 3 * DAY), service=s), body)
        for i, s in enumerate((SERVICE, OTHER, "NL/GOV/00000001/brp/personen"))
    ]
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        await append_all(log, items)
    tighter = BodyRules(
        BodyRule(30.0),
        {OTHER: (None, True), "NL/GOV/00000001": (2.0, None)},  # a member-wide rule
    )
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        assert await purge_bodies(log.store, tighter, now=now) == 2
    assert [seq for seq, _, _, _ in body_rows(path)] == [0]
    assert (await verify_sqlite(path)).ok


async def test_a_large_purge_runs_in_chunks_and_deletes_everything_due(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    now = time.time()
    old = record_time(now - 60 * DAY)
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        futures = [log.submit(record_for(i, b"%d" % i, time=old), b"%d" % i) for i in range(1234)]
        for future in futures:
            await future
        assert await purge_bodies(log.store, vault(ring).rules, now=now) == 1234
    assert body_rows(path) == []
    assert (await verify_sqlite(path)).count == 1234


async def test_a_retention_longer_than_the_epoch_purges_nothing(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    async with AuditLog.sqlite(tmp_path / "a.sqlite", bodies=vault(ring)) as log:
        await log.append(record_for(0, b"old", time="1999-01-01T00:00:00.000000Z"), b"old")
        forever = BodyRules(BodyRule(1e9))  # a valid setting: no body is that old
        assert await purge_bodies(log.store, forever) == 0
        assert await log.open_body(0) == b"old"


# -- rules -----------------------------------------------------------------------------


def test_the_most_specific_rule_wins_and_missing_keys_come_from_the_next():
    rules = BodyRules(
        BodyRule(30.0),
        {
            "EE/GOV/70000310": (None, True),
            "EE/GOV/70000310/ariregister": (10.0, False),
            SERVICE: (2.0, None),
            "NL/GOV/00000001/brp/a/b": (5.0, None),  # a service code with a '/'
        },
    )
    assert rules.for_service(SERVICE) == BodyRule(2.0, False)
    assert rules.for_service(OTHER) == BodyRule(10.0, False)
    assert rules.for_service("EE/GOV/70000310/rahvastik/isik") == BodyRule(30.0, True)
    assert rules.for_service("NL/GOV/00000001/brp/a/b") == BodyRule(5.0, False)
    assert rules.for_service("DE/GOV/05974028/meldeamt/x") == BodyRule(30.0, False)
    assert rules.for_service("") == BodyRule(30.0, False)
    assert rules.keeps_any()
    assert not BodyRules(BodyRule(30.0, True), {SERVICE: (None, True)}).keeps_any()
    assert BodyRules(BodyRule(30.0, True), {SERVICE: (None, False)}).keeps_any()


# -- schema ----------------------------------------------------------------------------


async def test_a_version_2_log_is_upgraded_and_keeps_verifying(tmp_path):
    path = tmp_path / "audit.sqlite"
    async with AuditLog.sqlite(path) as log:  # written, then made a version 2 file
        for i in range(5):
            await log.append(make_record(i))
    with connect(path) as db:
        db.execute("BEGIN")
        db.execute("DROP TRIGGER audit_append_insert")
        db.execute("DROP VIEW audit_append")
        db.execute("DROP TABLE audit_bodies")
        db.execute("PRAGMA user_version = 2")
        db.execute("COMMIT")
    reader = SQLiteAuditStore(path, readonly=True)
    await reader.open()
    assert reader.schema_version == 2 and await reader.bodies([0]) == {}
    assert await reader.body_services() == []
    await reader.close()
    ring = keyring(tmp_path, "k1.key")
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        seq = await log.append(record_for(5, b"after the upgrade"), b"after the upgrade")
        assert await log.open_body(seq) == b"after the upgrade"
    with connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    result = await verify_sqlite(path)
    assert (result.ok, result.count) == (True, 6)


async def test_a_failed_batch_stores_neither_records_nor_bodies(tmp_path):
    ring = keyring(tmp_path, "k1.key")
    path = tmp_path / "audit.sqlite"
    async with AuditLog.sqlite(path, bodies=vault(ring)) as log:
        await log.append(record_for(0, b"first"), b"first")
        with connect(path) as db:  # another writer takes the next sequence number
            db.execute(
                "INSERT INTO audit_entries (seq, record, chain_hash, exchange_id, time,"
                " direction, kind) VALUES (1, x'00', 'ab', 'x', 't', 'inbound', 'request')"
            )
        with pytest.raises(AuditError, match="not committed"):
            await log.append(record_for(1, b"second"), b"second")
    assert [seq for seq, _, _, _ in body_rows(path)] == [0]
