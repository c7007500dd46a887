"""Message bodies through real gateways: each side keeps the signed bytes its records name,
sealed, per its own rules; a purge leaves both logs verifiable (issue 5, item 6)."""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from pathlib import Path

import orjson
import pytest

from gateway.app import Gateway, bind
from gateway.audit import verify_sqlite
from gateway.audit.body_keys import BodyKeyring, create_body_key
from gateway.errors import ConfigError
from gateway.node import AUDIT_DB, BODY_KEY_FILE
from gateway.settings import Settings
from gateway.signing import body_digest
from gateway.storage.base import BODY_OVER_LIMIT
from tests.integration.federation import EE, HOST, SERVICE, Harness, call
from tests.integration.test_translation import BRP, QUERY, _ask, _translated, brp_backend

__all__ = ["brp_backend"]  # the fixture, shared with the translation tests

Kept = dict[tuple[str, str], bytes | str]  # (kind, direction) -> the body, or why none


async def kept_bodies(gateway: Gateway, exchange_id: str) -> Kept:
    """What ``gateway`` kept of one exchange: each record's body (opened and checked), its
    marker's status, or ``"none"``; and every record's digest must match its body."""
    audit = gateway.node.audit
    kept: Kept = {}
    for entry in await audit.store.entries_for_exchange(exchange_id):
        [record] = [r for r in await audit.records(exchange_id) if r.kind == entry.kind
                    and r.direction == entry.direction]  # fmt: skip
        stored = await audit.stored_body(entry.seq)
        if stored is None:
            kept[(entry.kind, entry.direction)] = "none"
        elif stored.status != "kept":
            kept[(entry.kind, entry.direction)] = stored.status
        else:
            body = await audit.open_body(entry.seq)
            assert body_digest(body) == record.digest
            kept[(entry.kind, entry.direction)] = body
    return kept


async def post_echo(fed: Harness, de: Gateway, body: bytes) -> tuple[str, bytes]:
    async with fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/bodies",
            headers={"X-Road-Client": fed.client_id("DE"), "Content-Type": "application/json"},
            data=body,
        )
    assert answer.status == 200, answer.body
    return answer.headers["X-Road-Id"], answer.body


async def test_both_gateways_keep_the_signed_bodies_sealed_with_their_own_key(fed: Harness):
    sent = orjson.dumps({"registrikood": "10000356", "päring": "kõik"})
    async with fed.start() as (de, ee):
        exchange, received = await post_echo(fed, de, sent)
        de_kept, ee_kept = await kept_bodies(de, exchange), await kept_bodies(ee, exchange)
        de_key = BodyKeyring.load([fed.members["DE"].dir / "data" / BODY_KEY_FILE]).current
        ee_key = BodyKeyring.load([fed.members["EE"].dir / "data" / BODY_KEY_FILE]).current
        de_seq = (await de.node.audit.store.entries_for_exchange(exchange))[0].seq
        stored = await de.node.audit.stored_body(de_seq)
    assert de_kept == {("request", "outbound"): sent, ("response", "outbound"): received}
    assert ee_kept == {("request", "inbound"): sent, ("response", "inbound"): received}
    # Each gateway created its own key in its data directory on first start, owner-only.
    assert de_key.id != ee_key.id and stored is not None and stored.key_id == de_key.id
    for key in ("DE", "EE"):
        path = fed.members[key].dir / "data" / BODY_KEY_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for file in path.parent.glob(f"{AUDIT_DB}*"):  # the database and its WAL
            assert "päring".encode() not in file.read_bytes(), file
        assert (await verify_sqlite(path.parent / AUDIT_DB)).ok


async def test_a_translated_exchange_keeps_the_signed_canonical_bytes_not_the_clients(
    fed: Harness, brp_backend: tuple[str, list[bytes]]
):
    backend, _ = brp_backend
    _translated(fed, backend)
    raw = orjson.dumps(QUERY)
    async with fed.start() as (de, ee), fed.client("DE") as http:
        answer = await _ask(http, fed, de.client_url, raw)
        assert answer.status == 200, answer.body
        exchange = answer.headers["X-Road-Id"]
        de_kept, ee_kept = await kept_bodies(de, exchange), await kept_bodies(ee, exchange)
    # The client sent and got Haal Centraal BRP; between the gateways, canonical documents
    # travelled, signed: those are what both logs name and keep, identically.
    request, response = de_kept[("request", "outbound")], de_kept[("response", "outbound")]
    assert isinstance(request, bytes) and isinstance(response, bytes)
    assert request != raw and response != answer.body
    assert BRP.decode_message(answer.body).kind == "Person"
    assert ee_kept == {("request", "inbound"): request, ("response", "inbound"): response}


async def test_an_answer_re_rendered_for_the_client_keeps_the_signed_one(fed: Harness):
    """EE's backend times out: EE signs its error, DE renders it in its own spelling."""
    fed.members["DE"].settings_overrides = {"xroad": {"error_spelling": "snake_case"}}
    async with fed.start() as (de, ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/slow",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
        assert answer.status == 500
        exchange = answer.headers["X-Road-Id"]
        de_kept, ee_kept = await kept_bodies(de, exchange), await kept_bodies(ee, exchange)
    signed = ee_kept[("response", "inbound")]
    assert isinstance(signed, bytes) and b"Server.ServerProxy" in signed
    assert answer.body != signed  # the client got DE's rendering ...
    assert de_kept[("response", "outbound")] == signed  # ... DE keeps the bytes EE signed
    assert de_kept[("request", "outbound")] == "none"  # a GET: no body to keep


async def test_each_side_keeps_what_its_own_rules_say(fed: Harness, monkeypatch):
    # EE: its service is metadata-only ([[services]]). DE: bodies up to 100 bytes, and
    # nothing at all of another member's service ([[audit.services]] by member id).
    harness_settings = fed.settings

    def settings(key: str) -> Settings:
        made = harness_settings(key)
        if key == "EE":
            services = tuple(dataclasses.replace(s, metadata_only=True) for s in made.services)
            return dataclasses.replace(made, services=services)
        return made

    monkeypatch.setattr(fed, "settings", settings)
    fed.members["DE"].settings_overrides = {"audit": {"max_body_bytes": 100}}
    small, large = b'{"q": 1}', orjson.dumps({"q": "x" * 200})
    async with fed.start() as (de, ee):
        small_id, small_answer = await post_echo(fed, de, small)
        large_id, _ = await post_echo(fed, de, large)
        assert await kept_bodies(de, small_id) == {
            ("request", "outbound"): small,
            ("response", "outbound"): BODY_OVER_LIMIT,  # the echo repeats headers: > 100
        }
        large_seq = (await de.node.audit.store.entries_for_exchange(large_id))[0].seq
        marker = await de.node.audit.stored_body(large_seq)
        assert marker is not None and (marker.status, marker.size) == (BODY_OVER_LIMIT, len(large))
        for exchange in (small_id, large_id):
            assert set((await kept_bodies(ee, exchange)).values()) == {"none"}
        assert len(small_answer) > 100
    fed.members["DE"].settings_overrides = {
        "audit": {"services": [{"service": EE, "metadata_only": True}]}
    }
    async with fed.start() as (de, _):
        exchange, _ = await post_echo(fed, de, small)
        assert set((await kept_bodies(de, exchange)).values()) == {"none"}


async def test_a_purge_in_a_running_gateway_leaves_its_log_verifiable(fed: Harness):
    async with fed.start() as (de, ee):
        exchanges = [(await post_echo(fed, de, b'{"n": %d}' % n))[0] for n in range(5)]
        assert de.node.body_purge.runs >= 1  # once at start, then every interval
        assert await de.node.body_purge.purge_now() == 0  # nothing is 30 days old yet
        later = time.time() + 31 * 86400.0
        assert await de.node.body_purge.purge_now(now=later) == 10
        assert await ee.node.body_purge.purge_now(now=later) == 10
        for exchange in exchanges:
            assert set((await kept_bodies(de, exchange)).values()) == {"none"}
            assert len(await de.node.audit.records(exchange)) == 2
        exchange, _ = await post_echo(fed, de, b'{"after": "the purge"}')
        assert (await kept_bodies(de, exchange))[
            ("request", "outbound")
        ] == b'{"after": "the purge"}'
        for gateway in (de, ee):  # beside the running gateway, read-only
            db = gateway.node.settings.data_dir / AUDIT_DB
            result = await verify_sqlite(db)
            assert (result.ok, result.count) == (True, 12), result.reason


async def test_configured_keys_are_used_and_a_key_others_can_read_stops_the_start(
    fed: Harness, tmp_path: Path
):
    key_file = tmp_path / "de-body.key"
    key = create_body_key(key_file)
    fed.members["DE"].settings_overrides = {"audit": {"body_keys": [str(key_file)]}}
    async with fed.start() as (de, _):
        exchange, _ = await post_echo(fed, de, b'{"sealed": "with mine"}')
        seq = (await de.node.audit.store.entries_for_exchange(exchange))[0].seq
        stored = await de.node.audit.stored_body(seq)
        assert stored is not None and stored.key_id == key.id
    assert not (fed.members["DE"].dir / "data" / BODY_KEY_FILE).exists()
    os.chmod(key_file, 0o644)
    peer, client = bind(HOST, 0), bind(HOST, 0)
    try:
        with pytest.raises(ConfigError, match="chmod 600") as caught:
            async with Gateway.running(fed.settings("DE"), peer_sock=peer, client_sock=client):
                pass
    finally:
        peer.close()
        client.close()
    assert caught.value.key == "audit.body_keys[0]"
