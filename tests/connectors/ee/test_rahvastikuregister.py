"""ee.rahvastikuregister over the reference data: samples, refusals, schemas, faithfulness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical import validate
from connectors.ee.rahvastikuregister import MEDIA_TYPE, RahvastikuregisterConnector
from connectors.identifiers import InvalidIdentifierError
from gateway import shipped
from gateway.errors import CLIENT, ConnectorError
from tests.connectors.ee.conftest import covered, json_leaves, note_paths
from tests.connectors.ee.samples import RR_EXAMPLES, SHARED

NAME = "ee.rahvastikuregister"
SAMPLES = sorted(RR_EXAMPLES.glob("*.json"))


def sample(path: Path) -> bytes:
    """The sample as the register would see it: the DERIVED request says to drop its _comment."""
    document = orjson.loads(path.read_bytes())
    if isinstance(document, dict):
        document.pop("_comment", None)
    return orjson.dumps(document)


def test_there_are_three_samples() -> None:
    assert [p.name for p in SAMPLES] == [
        "request-isikud.DERIVED.json",
        "tuleva-mock-custody-response.json",
        "tuleva-mock-person-response.json",
    ]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_round_trip_keeps_every_field_or_notes_it(
    rr: RahvastikuregisterConnector, path: Path
) -> None:
    original = sample(path)
    envelope = rr.decode_message(original)
    assert envelope.kind in ("Person", "PersonQuery")
    validate(envelope.kind, envelope.document)
    body, media_type, _ = rr.encode_with_notes(envelope)
    assert media_type == MEDIA_TYPE
    noted = note_paths(envelope.notes, NAME)
    before, after = json_leaves(orjson.loads(original)), json_leaves(orjson.loads(body))
    assert [p for p, _ in before - after if not covered(p, noted, ".")] == []
    assert [p for p, _ in after - before if not covered(p, noted, ".")] == []
    assert rr.decode_message(body).document == envelope.document


async def test_the_person_sample(rr: RahvastikuregisterConnector) -> None:
    envelope = await rr.decode(sample(RR_EXAMPLES / "tuleva-mock-person-response.json"), MEDIA_TYPE)
    assert envelope.kind == "Person"
    assert envelope.document == {
        "identifiers": [{"notation": "48503150000", "scheme": "ee.isikukood"}],
        "name": {"givenNames": ["MARI"], "familyName": "MAASIKAS"},  # upper case stays
        "birthDate": "1985-03-15",
        "deceased": False,
        "nationalities": ["EE"],
    }
    assert set(note_paths(envelope.notes, NAME)) == {
        "$[0].isikukood",  # lenient mode: the test code fails its check digit
        "$[0].isikuStaatus.nimetus",
        "$[0].pohiKodakondsus.riik.nimetus",
    }


def test_the_custody_sample_gives_the_child_with_the_custody_type(
    rr: RahvastikuregisterConnector,
) -> None:
    person = rr.decode_message(sample(RR_EXAMPLES / "tuleva-mock-custody-response.json")).document
    assert person is not None
    first, second = person["relatedPersons"]
    assert first == {
        "role": "child",
        "roleCode": {
            "code": "H10",
            "listURI": "urn:xgw:codelist:ee-rr-hoolduse-liik",
            "name": "täielik isikuhooldusõigus",
        },
        "period": {"start": "2016-09-01"},
        "person": {
            "identifiers": [{"notation": "61509070000", "scheme": "ee.isikukood"}],
            "deceased": False,
            "name": {"givenNames": ["JAAN"], "familyName": "MAASIKAS"},
        },
    }
    assert second["roleCode"]["name"] == "täielik varahooldusõigus"


def test_the_request_sample_gives_identifiers_and_fields(rr: RahvastikuregisterConnector) -> None:
    query = rr.decode_message(sample(RR_EXAMPLES / "request-isikud.DERIVED.json")).document
    assert query == {
        "identifiers": [{"notation": "48503150000", "scheme": "ee.isikukood"}],
        "fields": ["identifiers", "name.givenNames", "name.familyName", "birthDate", "deceased",
                   "nationalities"],
    }  # fmt: skip


# --- refusals -------------------------------------------------------------------------------


def test_a_wrong_check_digit_is_a_client_error_naming_identifier_and_rule(
    strict_rr: RahvastikuregisterConnector,
) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        strict_rr.decode_message(sample(RR_EXAMPLES / "tuleva-mock-person-response.json"))
    assert caught.value.origin == CLIENT
    assert caught.value.message.startswith("$[0].isikukood: ee.isikukood 48")
    assert "check digit fails (expected 3)" in caught.value.message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"isikukoodid": ["4850315000"], "andmevaljad": {}},
         r"isikud request: \$\.isikukoodid\[0\]: does not match pattern"),
        ({"isikukoodid": [], "andmevaljad": {}},
         r"isikud request: \$\.isikukoodid: has fewer than 1 items"),
        ({"isikukoodid": ["48503150003"]}, r"missing required property 'andmevaljad'"),
        ({"isikukoodid": ["48503150003"], "andmevaljad": {"isikuandmed": "Eesnimi"}},
         r"\$\.andmevaljad\.isikuandmed: is not of type array"),
        ({"isikukoodid": ["48503150003"], "andmevaljad": {"lapsed": []}},
         r"\$\.andmevaljad: unknown property 'lapsed'"),
        ([{"eesnimi": "MARI"}], r"isikud response: \$\[0\]: missing required property 'isikukood'"),
        ([{"isikukood": "48503150003", "isikuStaatus": "ELUS"}],
         r"isikud response: \$\[0\]\.isikuStaatus: is not of type object"),
        ([{"isikukood": "48503150003", "synniKuupaev": "15.03.1985"}],
         r"\$\[0\]\.synniKuupaev: does not match pattern"),
    ],
)  # fmt: skip
def test_schema_violations_are_refused_naming_the_path(
    strict_rr: RahvastikuregisterConnector, document: Any, message: str
) -> None:
    with pytest.raises(ConnectorError, match=message) as caught:
        strict_rr.decode_message(orjson.dumps(document))
    assert "1985" not in caught.value.message  # the value is not repeated


@pytest.mark.parametrize("count", [0, 2])
def test_an_answer_of_none_or_several_is_a_person_list(
    strict_rr: RahvastikuregisterConnector, count: int
) -> None:
    people = [{"isikukood": "48503150003", "eesnimi": "MARI"}] * count
    envelope = strict_rr.decode_message(orjson.dumps(people))
    assert envelope.kind == "PersonList"
    validate("PersonList", envelope.document)
    assert envelope.document == {
        "persons": [
            {
                "identifiers": [{"notation": "48503150003", "scheme": "ee.isikukood"}],
                "name": {"givenNames": ["MARI"]},
            }
        ]
        * count
    }
    body, _, notes = strict_rr.encode_with_notes(envelope)
    assert orjson.loads(body) == people
    assert notes == ()


def test_not_json_and_impossible_dates_are_refused(strict_rr: RahvastikuregisterConnector) -> None:
    with pytest.raises(ConnectorError, match="not JSON"):
        strict_rr.decode_message(b"{")
    with pytest.raises(ConnectorError, match=r"\$\[0\]\.synniKuupaev: not a calendar date"):
        strict_rr.decode_message(b'[{"isikukood": "48503150003", "synniKuupaev": "1985-02-30"}]')


def test_a_query_without_isikukood_cannot_be_sent(strict_rr: RahvastikuregisterConnector) -> None:
    query = {"familyName": "Maasikas"}
    with pytest.raises(ConnectorError, match=r"asked by ee\.isikukood"):
        strict_rr.encode_with_notes(Envelope(MEDIA_TYPE, query, kind="PersonQuery"))


# --- schemas --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["isikud-request.v1.json", "isikud-response.v1.json"])
def test_schemas_are_draft_2020_12_and_say_they_are_derived(name: str) -> None:
    schema = shipped.load_json(f"ee/rahvastikuregister/{name}")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "DERIVED from the samples" in schema["description"]


@pytest.mark.parametrize("schema_dir", [None, SHARED], ids=["shipped", "official"])
def test_the_schema_directory_changes_nothing(schema_dir: Path | None) -> None:
    """No published schema exists: xgw's own are used either way."""
    connector = RahvastikuregisterConnector(ConnectorOptions(schema_dir, lenient_identifiers=True))
    body = sample(RR_EXAMPLES / "tuleva-mock-person-response.json")
    assert connector.decode_message(body).document is not None
    assert connector.schema_ids == (
        "ee/rahvastikuregister/isikud-request.v1",
        "ee/rahvastikuregister/isikud-response.v1",
    )


# --- encode ---------------------------------------------------------------------------------


def test_diacritics_case_and_order_survive(strict_rr: RahvastikuregisterConnector) -> None:
    person = {
        "identifiers": [{"notation": "48503150003", "scheme": "ee.isikukood"}],
        "name": {"givenNames": ["ÕIE", "Šarlota", "Märt"], "familyName": "Žõgalova-Öövel"},
        "birthDate": "1985-03",  # partial: stays partial
        "deceased": True,
    }
    body, _, notes = strict_rr.encode_with_notes(Envelope(MEDIA_TYPE, person, kind="Person"))
    assert notes == ()
    native = orjson.loads(body)
    assert native[0]["eesnimi"] == "ÕIE Šarlota Märt"
    assert native[0]["perekonnanimi"] == "Žõgalova-Öövel"
    assert native[0]["synniKuupaev"] == "1985-03"
    assert native[0]["isikuStaatus"] == {"kood": "ISIKU_STAATUS", "elemendiKood": "S"}
    assert strict_rr.decode_message(body).document == person


def test_what_the_register_cannot_hold_is_noted_on_encode(
    strict_rr: RahvastikuregisterConnector,
) -> None:
    person = {
        "identifiers": [
            {"notation": "48503150003", "scheme": "ee.isikukood"},
            {"notation": "999993653", "scheme": "nl.bsn"},
        ],
        "name": {"familyName": "Berg", "namePrefix": "van der", "title": "Dr."},
        "gender": "female",
        "nationalities": ["EE", "FI"],
        "relatedPersons": [{"role": "mother", "person": {"name": {"familyName": "Kask"}}}],
    }
    body, _, notes = strict_rr.encode_with_notes(Envelope(MEDIA_TYPE, person, kind="Person"))
    assert orjson.loads(body)[0]["perekonnanimi"] == "van der Berg"
    assert set(note_paths(notes, NAME)) == {
        "identifiers.nl.bsn", "name.namePrefix", "name.title", "gender", "nationalities",
        "relatedPersons",
    }  # fmt: skip


def test_query_fields_map_to_andmevaljad(strict_rr: RahvastikuregisterConnector) -> None:
    query = {
        "identifiers": [{"notation": "48503150003", "scheme": "ee.isikukood"}],
        "fields": ["name.familyName", "relatedPersons", "residenceAddress"],
        "purpose": "Gewerbeanmeldung",
    }
    body, _, notes = strict_rr.encode_with_notes(Envelope(MEDIA_TYPE, query, kind="PersonQuery"))
    native = orjson.loads(body)
    assert native["andmevaljad"]["isikuandmed"] == ["Perekonnanimi"]
    assert native["andmevaljad"]["hooldusoigused"][0] == "Liik"
    assert native["andmevaljad"]["isikuAadressid"] == []
    assert set(note_paths(notes, NAME)) == {"fields.residenceAddress", "purpose"}


# --- registration ---------------------------------------------------------------------------


def test_both_register_under_their_names() -> None:
    from connectors.registry import ConnectorRegistry, _load

    registry = ConnectorRegistry(ConnectorOptions(schema_dir=SHARED))
    for name, target in (
        ("ee.ariregister", "connectors.ee.ariregister:AriregisterConnector"),
        ("ee.rahvastikuregister", "connectors.ee.rahvastikuregister:RahvastikuregisterConnector"),
    ):
        registry.register(name, _load(target))
        assert registry.get(name).name == name
