"""Metaservice bodies: listClients (PR-META C1), listMethods/allowedMethods (PR-MREST B1, B2)."""

from __future__ import annotations

import json

import orjson
import pytest
from lxml import etree

from gateway.identifiers import ClientId, ServiceId
from gateway.xroad_rest import list_clients_json, list_clients_xml, rest_service_list_json
from tests.unit.xroad.xroad_shared import read_shared, shared_path

C1_CLIENTS = [
    (ClientId("AA", "GOV", "TS1OWNER"), "TS1 Owner"),
    (ClientId("AA", "GOV", "TS2OWNER"), "TS2 Owner"),
    (ClientId("AA", "ENT", "CLIENT1"), "Client One"),
    (ClientId("AA", "ENT", "CLIENT1", "sub"), "Client One Sub"),
]
PROVIDER = ClientId("INSTANCE", "CLASS2", "MEMBER2", "SUBSYSTEM2")


def _same_bytes_as(relative: str) -> bytes:
    """The vector re-serialised compactly: equal bytes mean equal values AND key order."""
    return orjson.dumps(json.loads(read_shared(relative)))


def _tree(element: etree._Element) -> tuple[object, ...]:
    """A comparable view of an element: name, attributes, text and children."""
    text = (element.text or "").strip()
    return (element.tag, sorted(element.attrib.items()), text, [_tree(c) for c in element])


def _parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, parser=etree.XMLParser(remove_blank_text=True))


def _services(relative: str) -> list[tuple[ServiceId, str, list[tuple[str, str]]]]:
    """The input that should reproduce a B1/B2 vector, read from the vector itself."""
    services = []
    for entry in json.loads(read_shared(relative))["service"]:
        provider = ClientId(
            entry["xroad_instance"],
            entry["member_class"],
            entry["member_code"],
            entry["subsystem_code"],
        )
        endpoints = [(e["method"], e["path"]) for e in entry["endpoint_list"]]
        services.append(
            (ServiceId(provider, entry["service_code"]), entry["service_type"], endpoints)
        )
    return services


# --- listClients ------------------------------------------------------------------


def test_list_clients_json_equals_c1() -> None:
    relative = "soap/pr-meta-metaservices/C1-listClients-response.json"
    ours = list_clients_json(C1_CLIENTS)
    assert orjson.loads(ours) == json.loads(read_shared(relative))
    assert ours == _same_bytes_as(relative)


def test_list_clients_xml_matches_c1() -> None:
    expected = _parse(
        shared_path("soap/pr-meta-metaservices/C1-listClients-response.xml").read_bytes()
    )
    ours = _parse(list_clients_xml(C1_CLIENTS))
    assert _tree(ours) == _tree(expected)
    assert (
        ours.nsmap
        == expected.nsmap
        == {
            "ns1": "http://x-road.eu/xsd/identifiers",
            "ns2": "http://x-road.eu/xsd/xroad.xsd",
        }
    )


def test_list_clients_xml_has_a_standalone_utf8_declaration() -> None:
    document = etree.fromstring(list_clients_xml(C1_CLIENTS)).getroottree().docinfo
    assert (document.encoding, document.standalone) == ("UTF-8", True)


def test_xroad_instance_keeps_only_that_instances_clients() -> None:
    others = [(ClientId("BB", "GOV", "X"), "Other"), (ClientId("BB", "GOV", "X", "s"), "Other s")]
    clients = others + C1_CLIENTS
    assert list_clients_json(clients, xroad_instance="AA") == list_clients_json(C1_CLIENTS)
    assert list_clients_xml(clients, xroad_instance="AA") == list_clients_xml(C1_CLIENTS)
    assert len(orjson.loads(list_clients_json(clients, xroad_instance="BB"))["member"]) == 2
    assert orjson.loads(list_clients_json(clients, xroad_instance="ZZ")) == {"member": []}
    assert len(orjson.loads(list_clients_json(clients))["member"]) == 6


def test_a_subsystem_without_a_name_has_no_subsystem_name() -> None:
    clients = [(ClientId("AA", "ENT", "C"), "C Ltd"), (ClientId("AA", "ENT", "C", "s"), "")]
    entry = orjson.loads(list_clients_json(clients))["member"][1]
    assert entry == {"id": clients[1][0].as_json(), "name": "C Ltd"}
    xml = _parse(list_clients_xml(clients))
    assert [etree.QName(c).localname for c in xml[1]] == ["id", "name"]


def test_a_subsystem_listed_without_its_member_is_refused() -> None:
    with pytest.raises(ValueError, match="without its member"):
        list_clients_json([(ClientId("AA", "ENT", "C", "s"), "sub")])


def test_names_are_escaped_in_xml() -> None:
    clients = [(ClientId("AA", "ENT", "C"), "A & B <Ltd> \x01")]
    name = _parse(list_clients_xml(clients)).findtext(".//{http://x-road.eu/xsd/xroad.xsd}name")
    assert name == "A & B <Ltd> \ufffd"


# --- listMethods / allowedMethods --------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    [
        "rest/pr-mrest-metaservices/B1-listMethods-response.json",
        "rest/pr-mrest-metaservices/B2-allowedMethods-response.json",
    ],
)
def test_rest_service_list_equals_the_vector(relative: str) -> None:
    ours = rest_service_list_json(_services(relative))
    assert orjson.loads(ours) == json.loads(read_shared(relative))
    assert ours == _same_bytes_as(relative)


def test_b2_from_literal_data() -> None:
    service = ServiceId(PROVIDER, "payloadgen")
    endpoints = [("GET", "/pet/findByStatus"), ("GET", "/pet/findByTags"), ("GET", "/pet/*")]
    ours = rest_service_list_json([(service, "OPENAPI", endpoints)])
    assert ours == _same_bytes_as("rest/pr-mrest-metaservices/B2-allowedMethods-response.json")


def test_an_empty_service_list() -> None:
    assert orjson.loads(rest_service_list_json([])) == {"service": []}
    entry = orjson.loads(rest_service_list_json([(ServiceId(PROVIDER, "a/b"), "REST", [])]))
    assert entry["service"][0]["service_code"] == "a/b"
    assert entry["service"][0]["endpoint_list"] == []
