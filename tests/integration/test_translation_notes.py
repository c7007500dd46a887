"""Translation notes reach the client, not only the audit log: ``X-Xgw-Translation-Notes`` on
the X-Road REST answer, an RFC 9651 List of Display Strings, capped with a last member that
counts the notes left in the audit log (issue 4, notes for the client)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from urllib.parse import quote, unquote

import orjson
import pytest
from aiohttp import web

from connectors.base import Envelope
from connectors.ee.ariregister import AriregisterConnector
from connectors.nl.brp import BrpConnector
from gateway.stages.translate import NOTES_FIELD_LIMIT, TRANSLATION_NOTES_HEADER, notes_field
from tests.connectors.xoev.test_xgewerbeanzeige_foreign import (
    REGISTRY_CODE,
    estonian_ou_anmeldung,
)
from tests.integration.federation import SERVICE, Answer, Harness, call, serve_app
from tests.integration.kvk_support import KVK_NUMBER, KVK_SERVICE, KvkApi, kvk_service

BRP = BrpConnector()
ARIREGISTER = AriregisterConnector()
PERSON = {
    "identifiers": [{"notation": "999993653", "scheme": "nl.bsn"}],
    "name": {"givenNames": ["Anna"], "familyName": "Straat", "namePrefix": "van der"},
}
BRP_QUERY = {
    "type": "RaadpleegMetBurgerservicenummer",
    "burgerservicenummer": ["999993653"],
    "fields": ["naam", "aNummer"],  # aNummer has no canonical field: a note
}
_MEMBER = re.compile(r'%"((?:[^"%\\]|%[0-9a-f]{2})*)"')
_MORE = re.compile(r"\.\.\. ([0-9]+) more notes? in the audit log")


def read_notes_field(value: str) -> list[str]:
    """The field as a client reads it: an RFC 9651 List of Display Strings (not xgw's code)."""
    members = _MEMBER.findall(value)
    assert ", ".join(f'%"{m}"' for m in members) == value, value[:200]  # nothing else in it
    return [unquote(m, encoding="utf-8", errors="strict") for m in members]


def _display_string(text: str) -> str:
    """RFC 9651's Display String (section 4.1.11), as the test writes it."""
    printable = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"%')
    escaped = re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), quote(text, safe=printable))
    return f'%"{escaped}"'


def _notes_field(answer: Answer) -> list[str]:
    values = answer.headers.getall(TRANSLATION_NOTES_HEADER, [])
    assert len(values) == 1, dict(answer.headers)
    assert values[0].isascii()
    assert len(values[0].encode()) <= NOTES_FIELD_LIMIT
    return read_notes_field(values[0])


def _audit_notes(fed: Harness, key: str, kind: str = "response") -> list[str]:
    path = fed.members[key].dir / "data" / "audit.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
    records = [orjson.loads(row[0]) for row in rows]
    [record] = [r for r in records if r["kind"] == kind]
    notes: str | None = record["notes"]
    return notes.split("\n") if notes else []


@pytest.fixture
async def kvk_api() -> AsyncIterator[tuple[KvkApi, str]]:
    api = KvkApi()
    async with serve_app(api.app()) as url:
        yield api, url


async def _kvk_get(fed: Harness, path: str) -> Answer:
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        return await call(
            http,
            "GET",
            f"{de.client_url}/r1/{KVK_SERVICE}{path}",
            headers={"X-Road-Client": fed.client_id("DE")},
            encoded=True,
        )


# ---------------------------------------------------------------------------- what the client sees


@pytest.fixture
async def brp_backend() -> AsyncIterator[str]:
    async def personen(request: web.Request) -> web.Response:
        assert BRP.decode_message(await request.read()).kind == "PersonQuery"
        answer, media_type, _ = BRP.encode_with_notes(Envelope("x", document=PERSON, kind="Person"))
        return web.Response(body=answer, content_type=media_type.split(";")[0])

    app = web.Application()
    app.router.add_post("/ettevotted/personen", personen)
    async with serve_app(app) as url:
        yield url


async def test_a_brp_client_sees_the_notes_of_its_exchange(fed: Harness, brp_backend: str):
    fed.backend_url = brp_backend
    fed.members["DE"].client_format = "nl.brp"
    fed.members["EE"].backend_format = "nl.brp"
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/personen",
            headers={"X-Road-Client": fed.client_id("DE"), "Content-Type": "application/json"},
            data=orjson.dumps(BRP_QUERY),
        )
    assert answer.status == 200, answer.body
    notes = _notes_field(answer)
    assert "nl.brp: $.fields[1]: field selection not carried (no canonical path)" in notes
    assert notes == _audit_notes(fed, "DE")  # all of them, in the audit's order


async def test_the_providers_losses_reach_the_client_too(fed: Harness):
    """A trade notification asked about in the Estonian register: what EE's encoding of the
    question could not carry is in the client's field, as in both audit logs."""
    asked: list[bytes] = []

    async def detailandmed(request: web.Request) -> web.Response:
        asked.append(await request.read())
        registered = {
            "identifiers": [
                {"notation": REGISTRY_CODE, "scheme": "ee.registrikood"},
                {"notation": "9000123", "scheme": "ee.ettevotja-id"},
            ],
            "legalNames": [{"lang": "et", "text": "Põhjaranniku Puit OÜ"}],
        }
        body, media_type, _ = ARIREGISTER.encode_with_notes(
            Envelope("x", document=registered, kind="LegalEntity")
        )
        return web.Response(body=body, content_type=media_type.split(";")[0])

    app = web.Application()
    app.router.add_post("/ettevotted/detailandmed_v2", detailandmed)
    async with serve_app(app) as url:
        fed.backend_url = url
        fed.members["DE"].client_format = "xoev.xgewerbeanzeige"
        fed.members["EE"].services[0]["format"] = "ee.ariregister"
        async with fed.start() as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "POST",
                f"{de.client_url}/r1/{SERVICE}/ettevotted/detailandmed_v2",
                headers={"X-Road-Client": fed.client_id("DE"), "Content-Type": "application/xml"},
                data=estonian_ou_anmeldung(),
            )
    assert answer.status == 200, answer.body
    [question] = asked
    notes = _notes_field(answer)
    provider_losses = [
        n for n in _audit_notes(fed, "EE", "request") if n.startswith("ee.ariregister: ")
    ]
    assert provider_losses  # the question lost something on its way to the register
    assert all(loss in notes for loss in provider_losses)
    assert notes == _audit_notes(fed, "DE")
    assert ARIREGISTER.decode_message(question).kind == "LegalEntityQuery"


async def test_notes_in_any_script_quotes_and_percent_signs_survive(fed: Harness, kvk_api):
    _api, url = kvk_api
    kvk_service(fed, url, client_format="nl.kvk")
    odd = ["straße", 'a"b%c', "ünïcødé ✓"]
    query = "&".join(f"{quote(key, safe='')}=1" for key in odd)
    answer = await _kvk_get(fed, f"/basisprofielen/{KVK_NUMBER}?{query}")
    assert answer.status == 200, answer.body
    notes = _notes_field(answer)
    assert [f"nl.kvk: $.query.{key}: not carried (LegalEntityQuery has no such option)"
            for key in odd] == [n for n in notes if "$.query." in n]  # fmt: skip
    raw = answer.headers[TRANSLATION_NOTES_HEADER]
    assert "stra%c3%9fe" in raw and "a%22b%25c" in raw  # RFC 9651: lowercase %xx of UTF-8


async def test_a_refusal_shows_the_notes_gathered_before_it(fed: Harness, kvk_api):
    _api, url = kvk_api
    kvk_service(fed, url, client_format="nl.kvk")
    answer = await _kvk_get(fed, "/basisprofielen/90004760?geoData=true")
    assert answer.status == 404  # the register's own verdict
    assert _notes_field(answer) == [
        "nl.kvk: $.query.geoData: not carried (LegalEntityQuery has no such option)"
    ]


async def test_many_notes_are_capped_and_counted(fed: Harness, kvk_api):
    _api, url = kvk_api
    kvk_service(fed, url, client_format="nl.kvk")
    query = "&".join(f"parameter-{i:03d}-{'ä' * 8}=1" for i in range(120))
    answer = await _kvk_get(fed, f"/basisprofielen/{KVK_NUMBER}?{quote(query, safe='&=')}")
    assert answer.status == 200, answer.body
    notes = _notes_field(answer)
    audited = _audit_notes(fed, "DE")
    assert len(audited) >= 120
    *shown, last = notes
    more = _MORE.fullmatch(last)
    assert more is not None, last
    assert shown == audited[: len(shown)]  # whole notes, in order, none cut
    assert len(shown) + int(more[1]) == len(audited)
    # As many as fit: with the next one (and the count after it) the field would be too long.
    longer = [*shown, audited[len(shown)], f"... {int(more[1]) - 1} more notes in the audit log"]
    assert len(", ".join(map(_display_string, longer))) > NOTES_FIELD_LIMIT


# ---------------------------------------------------------------------------- and what it does not


@pytest.fixture
async def forging_backend() -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"ok": True}, headers={TRANSLATION_NOTES_HEADER: '%"forged"'})

    app = web.Application()
    app.router.add_get("/ettevotted/x", answer)
    async with serve_app(app) as url:
        yield url


async def test_an_untranslated_exchange_has_no_notes_field_whatever_upstream_says(
    fed: Harness, forging_backend: str
):
    fed.backend_url = forging_backend
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/x",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert answer.status == 200, answer.body
    assert TRANSLATION_NOTES_HEADER not in answer.headers


def test_the_field_reader_reads_what_the_rfc_example_writes() -> None:
    # RFC 9651, section 3.3.8: the Display String for "This is intended for display to üsers."
    example = '%"This is intended for display to %c3%bcsers."'
    assert _display_string("This is intended for display to üsers.") == example
    assert read_notes_field(example) == ["This is intended for display to üsers."]
    assert (
        read_notes_field(f"{example}, {example}") == ["This is intended for display to üsers."] * 2
    )


def test_a_note_longer_than_the_field_is_counted_not_cut() -> None:
    field = notes_field(["x" * (NOTES_FIELD_LIMIT + 1), "short"])
    assert field is not None
    assert read_notes_field(field) == ["... 2 more notes in the audit log"]
    assert read_notes_field(notes_field(["y" * 5000]) or "") == ["... 1 more note in the audit log"]


def test_notes_that_fit_exactly_need_no_count() -> None:
    notes = ["a" * 100] * 3
    exact = len(", ".join(map(_display_string, notes)))
    assert read_notes_field(notes_field(notes, limit=exact) or "") == notes
    shorter = read_notes_field(notes_field(notes, limit=exact - 1) or "")
    assert shorter == [*notes[:2], "... 1 more note in the audit log"]
    assert notes_field([]) is None
