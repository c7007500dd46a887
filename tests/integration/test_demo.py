"""`xgw demo`: the README's first command, end to end, in-process; each story's edges checked
against the partners' real schemas in ../shared."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from lxml import etree
from multidict import CIMultiDict, CIMultiDictProxy

from connectors.base import ConnectorOptions
from connectors.be.magda import MagdaConnector
from connectors.ee.ariregister import AriregisterConnector
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from connectors.xoev.xmeld import XMeldConnector
from gateway.admin.tokens import Role, issue_token, token_key
from gateway.audit.verify import verify_sqlite
from gateway.demo import Demo, Told, run_demo, running_demo, tell
from gateway.demo.stories import STORIES
from gateway.settings import Settings
from tests.connectors.be.magda_support import TEMPLATES, element_paths
from tests.integration.federation import Answer
from tests.integration.haalcentraal_support import request_errors, response_errors

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
OFFICIAL = ConnectorOptions(schema_dir=SHARED)
XGEWERBEANZEIGE = XGewerbeanzeigeConnector(OFFICIAL)


async def test_demo_tells_every_story_and_refuses_what_it_must(tmp_path, capsys):
    assert await run_demo(state_dir=tmp_path) == 0
    out = capsys.readouterr().out
    assert "all exchanges went as expected" in out
    assert "UNEXPECTED" not in out
    for story in STORIES:
        assert story.title in out
    assert out.count("   answered in ") == len(STORIES)
    assert "Server.ClientProxy.InconsistentResponse" in out  # the tampering relay is caught
    assert "answered Server.ServerProxy.InvalidSignatureValue" in out  # by EE's signature check
    assert "Server.ClientProxy.AccessDenied" in out
    # The auditor's evidence bundle, fetched over the admin API, checks out offline.
    assert "checked offline, it proves:" in out
    assert out.count(": signature verified") == 2
    for member in ("de", "ee", "nl"):
        result = await verify_sqlite(tmp_path / member / "data" / "audit.sqlite")
        assert result.ok and result.count > 0
    assert not any(p.suffix == ".key" and p.stat().st_mode & 0o077 for p in tmp_path.rglob("*"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def told(tmp_path_factory) -> AsyncIterator[dict[str, Told]]:
    """Each story told once, by the register that answered it."""
    demo: Demo
    async with running_demo(tmp_path_factory.mktemp("demo")) as demo:
        yield {story.register: await tell(demo, story) for story in STORIES}


@pytest.mark.asyncio(loop_scope="module")
async def test_trade_registration_edges(told) -> None:
    story = told["EE"]
    assert story.ok, story.answer
    # The register was asked in detailandmed_v2, valid against RIK's official XSD ...
    question = await AriregisterConnector(OFFICIAL).decode(story.asked, "text/xml")
    assert question.kind == "LegalEntityQuery"
    # ... and the trade office got an XGewerbeanzeige Anmeldung, with the register's name.
    answer = await XGEWERBEANZEIGE.decode(story.answer.body, "application/xml")
    assert answer.kind == "TradeNotification" and answer.document is not None
    assert answer.document["business"]["legalNames"][0]["text"] == "Põhjaranniku Puit OÜ"


@pytest.mark.asyncio(loop_scope="module")
async def test_resident_lookup_edges(told) -> None:
    story = told["DE"]
    assert story.ok, story.answer
    assert request_errors(json.loads(story.sent)) == []  # the official OpenAPI, by its type
    got = Answer(story.answer.status, CIMultiDictProxy(CIMultiDict(story.answer.headers)),
                 story.answer.body)  # fmt: skip
    assert response_errors(got) == []  # the official OpenAPI, for the answer's type
    question = await XMeldConnector().decode(story.asked, "application/xml")
    assert question.kind == "PersonQuery" and question.document is not None
    assert question.document["familyName"] == "Müller"
    persons = got.json()["personen"]
    assert [p["naam"]["geslachtsnaam"] for p in persons] == ["Müller"]


@pytest.mark.asyncio(loop_scope="module")
async def test_belgian_enterprise_check_edges(told) -> None:
    story = told["BE"]
    assert story.ok, story.answer
    # What left xgw for MAGDA is MAGDA's own request template, without the optional
    # criteria (period, language, capacity) a question by enterprise number does not need.
    template = element_paths(etree.parse(str(TEMPLATES["GeefOnderneming"])).getroot())
    sent = element_paths(etree.fromstring(story.asked))
    assert sent <= template
    assert {p for p in template - sent if "Datums" not in p} == {
        "/Envelope/Body/GeefOnderneming/Verzoek/Context/Bericht/Afzender/Hoedanigheid",
        "/Envelope/Body/GeefOnderneming/Verzoek/Vragen/Vraag/Inhoud/Taal",
    }
    # MAGDA's answer is valid against the official response XSD.
    entity = await MagdaConnector(OFFICIAL).decode(story.answered, "text/xml")
    assert entity.kind == "LegalEntity"
    answer = await XGEWERBEANZEIGE.decode(story.answer.body, "application/xml")
    assert answer.document is not None
    assert answer.document["business"]["legalNames"][0]["text"] == "Vlaamse Houtbouw BV"


async def test_demo_serve_writes_a_federation_file_a_client_can_use(tmp_path):
    task = asyncio.create_task(run_demo(state_dir=tmp_path, keep_serving=True))
    path = tmp_path / "federation.json"
    try:
        for _ in range(400):
            if path.exists() or task.done():
                break
            await asyncio.sleep(0.05)
        assert path.exists(), "federation.json was not written"
        federation = json.loads(path.read_text())
        nl = federation["members"]["NL"]
        context = ssl.create_default_context(cafile=federation["ca_certificate"])
        context.load_cert_chain(nl["client"]["certificate"], nl["client"]["key"])
        url = f"{nl['client_url']}/haalcentraal/api/brp/personen"
        query = {
            "type": "ZoekMetGeslachtsnaamEnGeboortedatum",
            "geslachtsnaam": "Müller",
            "geboortedatum": "1984-03-12",
            "fields": ["naam"],
        }
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
            async with http.post(url, json=query) as r:
                assert r.status == 200, await r.text()
                body = await r.json()
        assert body["personen"][0]["naam"]["geslachtsnaam"] == "Müller"
        assert "geboorte" not in body["personen"][0]  # fields honoured
        assert "haalcentraal/api/brp/personen" in federation["example"]
        # An admin of DE reaches its admin API with a token made from its config.
        de = federation["members"]["DE"]
        settings = Settings.from_toml(Path(de["config"]))
        token = issue_token(
            token_key(settings), settings.member.id, subject="t", role=Role.AUDITOR, ttl=60
        )
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{de['admin_url']}/admin/v1/status",
                headers={"Authorization": f"Bearer {token}"},
            ) as r,
        ):
            assert r.status == 200
            assert (await r.json())["member"] == de["member"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
