"""Metaservices through the gateways: PR-META ``listClients`` and PR-MREST's three.

Shapes are compared with the spec's examples in ../shared/xroad (C1, B1, B2); the
content comes from the harness directory. None of them reaches a backend.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.integration.federation import (
    DE,
    EE,
    Answer,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
)

SHARED = Path("/work/shared/xroad")
PROVIDER = f"{EE}/ariregister"
IDENTIFIERS_NS = "{http://x-road.eu/xsd/identifiers}"
XROAD_NS = "{http://x-road.eu/xsd/xroad.xsd}"
JSON = {"Accept": "application/json"}


def spec_example(relative: str) -> Any:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not available")
    return json.loads(path.read_text())


async def metaservice(
    fed: Harness, client_url: str, name: str, query: str = "", provider: str = PROVIDER
) -> Answer:
    async with fed.client("DE") as http:
        return await call(
            http,
            "GET",
            f"{client_url}/r1/{provider}/{name}{query}",
            headers={"X-Road-Client": fed.client_id("DE")},
        )


def entry(ident: dict[str, str], name: str, subsystem_name: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ident, "name": name}
    if subsystem_name is not None:
        out["subsystem_name"] = subsystem_name
    return out


def member_id(member: str, subsystem: str | None = None) -> dict[str, str]:
    instance, member_class, code = member.split("/")
    ident = {"member_class": member_class, "member_code": code}
    if subsystem is not None:
        ident["subsystem_code"] = subsystem
    ident["object_type"] = "MEMBER" if subsystem is None else "SUBSYSTEM"
    ident["xroad_instance"] = instance
    return ident


async def test_list_clients_lists_every_member_and_subsystem(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(http, "GET", f"{de.client_url}/listClients", headers=JSON)
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {
        "member": [
            entry(member_id(DE), "DE"),
            entry(member_id(DE, "gewerbeamt"), "DE", "client"),
            entry(member_id(EE), "EE"),
            entry(member_id(EE, "klient"), "EE", "client"),
            entry(member_id(EE, "ariregister"), "EE", "ariregister"),
        ]
    }


async def test_list_clients_has_the_shape_of_the_spec_example(fed: Harness):
    example = spec_example("soap/pr-meta-metaservices/C1-listClients-response.json")
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(http, "GET", f"{de.client_url}/listClients", headers=JSON)
    ours = answer.json()["member"]
    theirs = example["member"]
    for kind in ("MEMBER", "SUBSYSTEM"):
        mine = next(m for m in ours if m["id"]["object_type"] == kind)
        spec = next(m for m in theirs if m["id"]["object_type"] == kind)
        assert list(mine) == list(spec)
        assert list(mine["id"]) == list(spec["id"])


async def test_list_clients_filters_by_instance(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http, "GET", f"{de.client_url}/listClients?xRoadInstance=EE", headers=JSON
        )
    instances = {m["id"]["xroad_instance"] for m in answer.json()["member"]}
    assert instances == {"EE"}
    assert len(answer.json()["member"]) == 3


@pytest.mark.parametrize("accept", [None, "application/xml", "*/*"])
async def test_list_clients_is_xml_unless_json_is_asked_for(fed: Harness, accept: str | None):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/listClients",
            headers={"Accept": accept} if accept else {},
        )
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(answer.body)
    assert root.tag == f"{XROAD_NS}clientList"
    codes = [
        m.findtext(f"{XROAD_NS}id/{IDENTIFIERS_NS}subsystemCode")
        for m in root.findall(f"{XROAD_NS}member")
    ]
    assert codes == [None, "gewerbeamt", None, "klient", "ariregister"]


async def test_list_methods_lists_the_providers_rest_services(fed: Harness, backend_url: str):
    example = spec_example("rest/pr-mrest-metaservices/B1-listMethods-response.json")
    async with fed.start() as (de, _ee):
        answer = await metaservice(fed, de.client_url, "listMethods")
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["X-Road-Request-Hash"]  # verified by DE: EE answered it
    (service,) = answer.json()["service"]
    assert list(service) == list(example["service"][0])  # B1's keys, in B1's order
    assert service == {
        "member_class": "GOV",
        "member_code": "70000310",
        "object_type": "SERVICE",
        "service_code": "ettevotted",
        "service_type": "REST",
        "subsystem_code": "ariregister",
        "xroad_instance": "EE",
        "endpoint_list": [
            {"method": "GET", "path": "/ettevotted/**"},
            {"method": "POST", "path": "/ettevotted/**"},
            {"method": "*", "path": "/echo/**"},
            {"method": "GET", "path": "/slow"},
            {"method": "GET", "path": "/redirect"},
        ],
    }
    assert await backend_seen(backend_url) == []


async def test_allowed_methods_lists_what_the_client_may_call(fed: Harness, backend_url: str):
    example = spec_example("rest/pr-mrest-metaservices/B2-allowedMethods-response.json")
    async with fed.start() as (de, _ee):
        answer = await metaservice(fed, de.client_url, "allowedMethods")
    assert answer.status == 200, answer.body
    (service,) = answer.json()["service"]
    assert list(service) == list(example["service"][0])
    assert service["service_code"] == "ettevotted"
    assert service["endpoint_list"] == [
        {"method": "*", "path": "/ettevotted/**"},
        {"method": "*", "path": "/echo/**"},
        {"method": "GET", "path": "/slow"},
        {"method": "GET", "path": "/redirect"},
    ]
    assert await backend_seen(backend_url) == []


async def test_allowed_methods_is_empty_without_a_grant(fed: Harness):
    fed.access = []
    async with fed.start() as (de, _ee):
        answer = await metaservice(fed, de.client_url, "allowedMethods")
        listed = await metaservice(fed, de.client_url, "listMethods")
    assert answer.status == 200, answer.body
    assert answer.json() == {"service": []}
    assert len(listed.json()["service"]) == 1  # listing is not granting


async def test_get_openapi_returns_the_description_in_the_directory(fed: Harness):
    async with fed.start() as (de, _ee):
        answer = await metaservice(fed, de.client_url, "getOpenAPI", "?serviceCode=ettevotted")
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {
        "openapi": "3.0.0",
        "info": {"title": "ettevotted", "version": "1"},
        "paths": {},
    }


@pytest.mark.parametrize("query", ["", "?serviceCode=nonexistent"])
async def test_get_openapi_of_no_service_is_unknown(fed: Harness, query: str):
    async with fed.start() as (de, _ee):
        answer = await metaservice(fed, de.client_url, "getOpenAPI", query)
    assert_xroad_error(answer, "Client.UnknownService")


async def test_metaservice_of_an_unknown_member_is_unknown(fed: Harness):
    async with fed.start() as (de, _ee):
        answer = await metaservice(
            fed, de.client_url, "listMethods", provider="FI/GOV/0245437-2/vrk"
        )
    assert_xroad_error(answer, "Client.UnknownService")


async def test_metaservice_name_with_a_path_is_an_ordinary_service(fed: Harness):
    """``.../listMethods/x`` is not the metaservice: a service called listMethods, unknown."""
    async with fed.start() as (de, _ee):
        answer = await metaservice(fed, de.client_url, "listMethods/x")
    assert_xroad_error(answer, "Client.UnknownService")
