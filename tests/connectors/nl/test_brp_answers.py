"""nl.brp as a Haal Centraal endpoint needs it: the API's request checks, the answer to a request.

``check_request`` refuses what the API refuses (its feature files' codes); ``encode_answer``
writes the answer to one request: its type, Persoon or PersoonBeperkt, exactly the fields it
names. Every answer is checked against the official OpenAPI by its type's schema.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from connectors.base import Envelope
from connectors.nl._common import Notes
from connectors.nl.brp.fields import fields_from_brp
from connectors.nl.brp.paths import PERSOON, PERSOON_BEPERKT
from connectors.nl.brp.query import ALL_TYPES, RAADPLEEG, ZOEK
from tests.connectors.nl.reference import brp_openapi, brp_request_errors, brp_response_errors

SEARCH = {
    "type": ZOEK,
    "geslachtsnaam": "Jansen",
    "geboortedatum": "1975-04-02",
    "fields": ["naam"],
}
BY_BSN = {"type": RAADPLEEG, "burgerservicenummer": ["999993653"], "fields": ["naam"]}
DUTCH = {
    "identifiers": [{"notation": "999993653", "scheme": "nl.bsn"}],
    "name": {"givenNames": ["Pieter", "Jan"], "familyName": "Jansen", "namePrefix": "van"},
    "birthDate": "1975-04-02",
    "birthPlace": {"name": "Utrecht"},
    "gender": "male",
    "residenceAddress": {
        "thoroughfare": "Borgesiusstraat",
        "locatorDesignator": "103",
        "postCode": "2497BV",
        "postName": "Scheveningen",
        "adminUnitL1": "NL",
    },
}
GERMAN = {
    "name": {"givenNames": ["Anna"], "familyName": "Jansen"},
    "birthDate": "1975-04-02",
    "residenceAddress": {
        "thoroughfare": "Hauptstraße",
        "locatorDesignator": "12a",
        "postCode": "59494",
        "postName": "Soest",
        "adminUnitL1": "DE",
    },
}
DECEASED = {"name": {"familyName": "Jansen"}, "birthDate": "1975-04-02", "deceased": True}


def _answer(brp: Any, request: dict[str, Any], *persons: dict[str, Any]) -> dict[str, Any]:
    envelope = Envelope("x", document={"persons": list(persons)}, kind="PersonList")
    body, media_type, _notes = brp.encode_answer(envelope, orjson.dumps(request))
    document: dict[str, Any] = orjson.loads(body)
    assert media_type == "application/json"
    assert brp_response_errors(document) == []
    return document


# ------------------------------------------------------------------ the API's request rules


def test_the_query_types_are_the_official_ones():
    mapping = brp_openapi()["components"]["schemas"]["PersonenQuery"]["discriminator"]["mapping"]
    assert sorted(ALL_TYPES) == sorted(mapping)


@pytest.mark.parametrize(
    ("body", "code", "params"),
    [
        ({"fields": ["naam"]}, "paramsValidation", [("type", "required")]),
        ({**BY_BSN, "type": "Onbekend"}, "paramsValidation", [("type", "value")]),
        ({"type": "ZoekMetNummeraanduidingIdentificatie"}, "paramsValidation", [("type", "value")]),
        ({"type": RAADPLEEG, "fields": ["naam"]}, "paramsCombination",
         [("burgerservicenummer", "required")]),
        ({**BY_BSN, "burgerservicenummer": ["999993653"] * 21}, "paramsValidation",
         [("burgerservicenummer", "maxItems")]),
        ({**BY_BSN, "fields": ["naam"] * 131}, "paramsValidation", [("fields", "maxItems")]),
        ({**BY_BSN, "gemeenteVanInschrijving": "123"}, "paramsValidation",
         [("gemeenteVanInschrijving", "pattern")]),
        ({**SEARCH, "geslachtsnaam": "Ja*"}, "paramsValidation", [("geslachtsnaam", "pattern")]),
        ({**SEARCH, "geslacht": "X"}, "paramsValidation", [("geslacht", "pattern")]),
        ({**SEARCH, "fields": ["geboorte.plaats", "leeftijd"]}, "paramsValidation",
         [("fields.0", "fields")]),
        ({**BY_BSN, "fields": ["naam.inOnderzoek", "geheimhoudingPersoonsgegevens", "rni"]},
         "paramsValidation", [(f"fields.{i}", "fields") for i in range(3)]),
        ({**BY_BSN, "burgerservicenummer": ["999993654", "999993653"]}, "paramsValidation",
         [("burgerservicenummer.0", "checksum")]),
    ],
    ids=["no-type", "unknown-type", "unsupported-type", "no-bsn", "21-bsns", "131-fields",
         "gemeente", "short-wildcard", "geslacht", "field-of-persoon-only", "automatic-fields",
         "11-check"],
)  # fmt: skip
def test_what_the_api_refuses_is_refused_by_parameter(brp, body, code, params):
    refusal = brp.check_request(body)
    assert refusal is not None
    assert refusal.code == code
    assert [(p.name, p.code) for p in refusal.params] == params
    for param in refusal.params:  # the OpenAPI's InvalidParam patterns
        assert len(param.name) <= 30 and len(param.reason) <= 80
        assert all(c.isalnum() or c in "., " for c in param.reason), param.reason


@pytest.mark.parametrize(
    "body",
    [
        SEARCH,
        {**SEARCH, "geslachtsnaam": "Jan*", "voornamen": "Pieter", "voorvoegsel": "van",
         "geslacht": "m", "inclusiefOverledenPersonen": True, "gemeenteVanInschrijving": "0518"},
        {**SEARCH, "fields": ["adressering.adresregel1", "adresseringBinnenland", "geslacht.code",
                              "geboorte.datum.jaar", "naam.adellijkeTitelPredicaat.soort"]},
        {**BY_BSN, "fields": ["aNummer", "verblijfplaats.verblijfadres.regel1",
                              "verblijfplaats.verblijfadres.postcode",
                              "nationaliteiten.nationaliteit.code", "partners.naam.voornamen",
                              "verblijfplaatsBinnenland"]},
    ],
    ids=["search", "search-all-parameters", "search-field-paths", "raadpleeg-field-paths"],
)  # fmt: skip
def test_what_the_api_accepts_is_accepted(brp, body):
    assert brp_request_errors(body) == []
    assert brp.check_request(body) is None


def test_a_test_bsn_passes_in_lenient_mode(brp_lenient):
    assert brp_lenient.check_request({**BY_BSN, "burgerservicenummer": ["999993654"]}) is None


def test_the_field_paths_come_from_the_schema(brp):
    persoon, beperkt = brp.paths.known(PERSOON), brp.paths.known(PERSOON_BEPERKT)
    assert {"geboorte.plaats", "verblijfplaats.verblijfadres.regel1",
            "verblijfplaats.verblijfadres.postcode"} <= persoon - beperkt  # fmt: skip
    assert {
        "naam.voornamen",
        "geboorte.datum.jaar",
        "adressering.adresregel2",
        "leeftijd",
    } <= beperkt
    assert beperkt < persoon
    assert not [p for p in persoon if "inOnderzoek" in p.split(".")]


# ------------------------------------------------------------------ the answer to a request


def test_a_search_answers_with_persoon_beperkt_of_its_type(brp):
    request = {**SEARCH, "fields": ["naam", "geboorte", "burgerservicenummer"]}
    answer = _answer(brp, request, DUTCH)
    assert answer == {
        "type": ZOEK,
        "personen": [
            {
                "burgerservicenummer": "999993653",
                "naam": {
                    "voornamen": "Pieter Jan",
                    "voorvoegsel": "van",
                    "geslachtsnaam": "Jansen",
                },
                "geboorte": {  # no plaats: a PersoonBeperkt's geboorte has a datum only
                    "datum": {"type": "Datum", "datum": "1975-04-02", "langFormaat": "2 april 1975"}
                },
            }
        ],
    }


def test_a_raadpleeg_answers_with_persoon_and_exactly_the_fields(brp):
    request = {
        **BY_BSN,
        "fields": ["verblijfplaats.verblijfadres.postcode", "geboorte.plaats.code"],
    }
    answer = _answer(brp, request, DUTCH)
    # The discriminator stays; a part of a table value gives the value as it is (a place
    # known by its name: omschrijving, no code).
    assert answer == {
        "type": RAADPLEEG,
        "personen": [
            {
                "geboorte": {"plaats": {"omschrijving": "Utrecht"}},
                "verblijfplaats": {"type": "Adres", "verblijfadres": {"postcode": "2497BV"}},
            }
        ],
    }
    empty = _answer(brp, {**BY_BSN, "fields": ["naam.adellijkeTitelPredicaat"]}, DUTCH)
    assert empty["personen"] == [{}]  # a field without a value is not delivered, nor its group


def test_a_foreign_address_is_written_as_lines(brp):
    answer = _answer(brp, {**BY_BSN, "fields": ["verblijfplaats", "adressering"]}, GERMAN)
    (persoon,) = answer["personen"]
    assert persoon["verblijfplaats"] == {
        "type": "VerblijfplaatsBuitenland",
        "verblijfadres": {"regel1": "Hauptstraße 12a", "regel2": "59494 Soest"},
    }
    assert persoon["adressering"] == {
        "adresregel1": "Hauptstraße 12a",
        "adresregel2": "59494 Soest",
    }


def test_adressering_of_a_dutch_address_and_the_domestic_alias(brp):
    request = {**SEARCH, "fields": ["adresseringBinnenland"]}
    answer = _answer(brp, request, DUTCH, GERMAN)
    lines = {"adresregel1": "Borgesiusstraat 103", "adresregel2": "2497 BV  SCHEVENINGEN"}
    assert answer["personen"] == [{"adressering": lines}, {}]  # the alias: domestic only


def test_a_search_leaves_deceased_persons_out_unless_asked(brp):
    request = {**SEARCH, "fields": ["naam.geslachtsnaam"]}
    assert len(_answer(brp, request, DUTCH, DECEASED)["personen"]) == 1
    with_deceased = {**request, "inclusiefOverledenPersonen": True}
    assert len(_answer(brp, with_deceased, DUTCH, DECEASED)["personen"]) == 2
    assert len(_answer(brp, {**BY_BSN, "fields": ["naam"]}, DECEASED)["personen"]) == 1


def test_fields_a_search_cannot_have_are_never_answered(brp):
    """A request that did not pass the front door's checks still gets a valid answer."""
    envelope = Envelope("x", document=DUTCH, kind="Person")
    body, _, notes = brp.encode_answer(
        envelope, orjson.dumps({**SEARCH, "fields": ["naam.voornamen", "verblijfplaats"]})
    )
    assert orjson.loads(body)["personen"] == [{"naam": {"voornamen": "Pieter Jan"}}]
    assert any("$.fields[1]: not answered" in note for note in notes)


# ------------------------------------------------------------------ fields for the register


@pytest.mark.parametrize(
    ("fields", "canonical"),
    [
        (["geslacht.code"], ["gender"]),
        (["geboorte.datum.jaar"], ["birthDate"]),
        (["verblijfplaats.verblijfadres.postcode"], ["residenceAddress", "postalAddress"]),
        (["adressering.adresregel1"], ["residenceAddress", "postalAddress"]),
        (["naam.voornamen", "naam"], ["name.givenNames", "name"]),
    ],
)
def test_a_field_below_a_table_entry_asks_for_that_entry(fields, canonical):
    notes = Notes("nl.brp")
    assert fields_from_brp(fields, notes) == canonical
    assert notes.items == []


def test_a_field_no_entry_holds_is_a_note():
    notes = Notes("nl.brp")
    assert fields_from_brp(["aNummer", "naam"], notes) == ["name"]
    assert notes.items == ["nl.brp: $.fields[0]: field selection not carried (no canonical path)"]
