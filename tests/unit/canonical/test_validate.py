"""validate(): valid documents pass, the model's rules hold, the first violation is named."""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from connectors.canonical import KINDS, SCHEMA_FILES, compile_all, schema, validate
from connectors.canonical.validate import COMMON_FILE, first_violation, json_path
from gateway import shipped
from gateway.errors import ConnectorError
from tests.unit.canonical.documents import VALID


def _fails(kind: str, doc: object) -> str:
    with pytest.raises(ConnectorError) as info:
        validate(kind, doc)
    assert info.value.code == "InvalidMessage"
    return info.value.message


def _with(kind: str, path: str, value: Any) -> dict[str, Any]:
    """A copy of VALID[kind] with ``value`` set at a dotted path (list indexes as numbers)."""
    doc: dict[str, Any] = copy.deepcopy(VALID[kind])
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize("kind", KINDS)
def test_hand_written_documents_are_valid(kind: str):
    validate(kind, VALID[kind])


@pytest.mark.parametrize("kind", ["Address", "LegalEntity", "Person"])
def test_empty_documents_of_optional_kinds_are_valid_or_not_by_rule(kind: str):
    if kind == "Address":  # an address must say something
        assert _fails(kind, {}) == "Address: $: is empty (needs at least 1 properties)"
    else:
        validate(kind, {})


@pytest.mark.parametrize(
    "text",
    ["Põhjaranniku Puit OÜ", "Müller", "Šťastný", "Straße", "Łódź", "François", "Ærøskøbing",
     "D'Hondt", "van 't Hek", "MAASIKAS", "İstanbul", "Ñandú", "Zoë"],
)  # fmt: skip
def test_diacritics_and_case_pass_everywhere_text_goes(text: str):
    validate("Person", {"name": {"givenNames": [text], "familyName": text, "birthName": text}})
    validate("LegalEntity", {"legalNames": [{"lang": "et", "text": text}]})
    validate("Address", {"thoroughfare": text, "postName": text, "locatorName": text})


@pytest.mark.parametrize("date", ["1984", "1984-03", "1984-03-15", "2000-02-29", "0999-12-31"])
def test_partial_dates(date: str):
    validate("Person", {"birthDate": date})


@pytest.mark.parametrize(
    "date",
    ["1984--15", "1984-00", "1984-13", "1984-03-00", "1984-03-32", "84", "1984-3", "1984-03-5",
     "1984-03-15T00:00:00", "19840315", "15.03.1984", "", "1984-03-15 "],
)  # fmt: skip
def test_malformed_or_invented_partial_dates_are_refused(date: str):
    message = _fails("Person", {"birthDate": date})
    assert message.startswith("Person: $.birthDate: does not match pattern")


def test_a_day_without_a_month_cannot_be_written():
    _fails("Person", {"birthDate": "1984--15"})
    _fails("Person", {"event": {"type": "birth", "date": "1984-00-15"}})


@pytest.mark.parametrize("country", ["DEU", "de", "276", "D", "Deutschland", ""])
def test_countries_are_iso_alpha_2(country: str):
    _fails("Address", {"adminUnitL1": country})
    _fails("Person", {"nationalities": [country]})


def test_unknown_properties_are_refused_at_every_level():
    assert _fails("Person", {"surname": "Müller"}) == "Person: $: unknown property 'surname'"
    message = _fails("Person", {"name": {"familyName": "Müller", "middleName": "X"}})
    assert message == "Person: $.name: unknown property 'middleName'"
    message = _fails("LegalEntity", _with("LegalEntity", "addresses.1.address.street", "Vana"))
    assert message == "LegalEntity: $.addresses[1].address: unknown property 'street'"
    message = _fails("Person", {"identifiers": [{"notation": "1", "scheme": "nl.bsn", "x": 1}]})
    assert message == "Person: $.identifiers[0]: unknown property 'x'"


@pytest.mark.parametrize(
    ("kind", "path", "value", "expected"),
    [
        ("Person", "gender", "m", "$.gender: is not one of"),
        ("Person", "name.givenNames", "Mari Liis", "$.name.givenNames: is not of type array"),
        ("Person", "name.givenNames", [], "$.name.givenNames: has fewer than 1 items"),
        ("Person", "name.familyName", "", "$.name.familyName: is shorter than 1 characters"),
        ("Person", "nationalities", ["EE", "EE"], "$.nationalities: has duplicate items"),
        ("Person", "identifiers.0.scheme", "NL.BSN", "$.identifiers[0].scheme: does not match"),
        ("Person", "identifiers.0.scheme", "bsn", "$.identifiers[0].scheme: does not match"),
        ("Person", "identifiers.0.notation", _DELETE,
         "$.identifiers[0]: missing required property 'notation'"),
        ("Person", "event.type", "marriage", "$.event.type: is not one of"),
        ("Person", "event.time", "25:00", "$.event.time: does not match"),
        ("Person", "relatedPersons.0.person.birthDate", "1960-1",
         "$.relatedPersons[0].person.birthDate: does not match"),
        ("Person", "birthPlace", {}, "$.birthPlace: is empty"),
        ("LegalEntity", "legalNames", [], "$.legalNames: has fewer than 1 items"),
        ("LegalEntity", "legalNames.0.lang", "EST", "$.legalNames[0].lang: does not match"),
        ("LegalEntity", "legalNames.0", "Puit OÜ", "$.legalNames[0]: is not of type object"),
        ("LegalEntity", "legalForm", "OÜ", "$.legalForm: is not of type object"),
        ("LegalEntity", "addresses.0.role", "seat", "$.addresses[0].role: is not one of"),
        ("LegalEntity", "representatives.1.organisation", _DELETE,
         "$.representatives[1]: needs 'person' or 'organisation'"),
        ("TradeNotification", "notificationType", _DELETE,
         "$: missing required property 'notificationType'"),
        ("TradeNotification", "notificationType", "Anmeldung", "$.notificationType: is not one of"),
        ("TradeNotification", "created", "2016-07-04", "$.created: does not match"),
        ("TradeNotification", "partTimeEmployees", -1, "$.partTimeEmployees: is less than 0"),
        ("TradeNotification", "sectors", ["craft", "craft"], "$.sectors: has duplicate items"),
        ("TradeNotification", "persons.0.person.nationalities.0", "CHL",
         "$.persons[0].person.nationalities[0]: does not match"),
        ("PersonQuery", "familyName", _DELETE, "$: needs 'identifiers' or 'familyName'"),
        ("PersonQuery", "fields.0", "name.0.familyName", "$.fields[0]: does not match"),
        ("PersonQuery", "fields", ["name", "name"], "$.fields: has duplicate items"),
        ("LegalEntityQuery", "identifiers", _DELETE, "$: needs 'identifiers' or 'name'"),
        ("LegalEntityQuery", "identifiers", [], "$.identifiers: has fewer than 1 items"),
        ("Address", "locatorDesignators.0.type", "houseNumber",
         "$.locatorDesignators[0].type: is not one of"),
    ],
)  # fmt: skip
def test_rules_name_the_json_path(kind: str, path: str, value: Any, expected: str):
    message = _fails(kind, _with(kind, path, value))
    assert message.startswith(f"{kind}: {expected}"), message


def test_messages_never_carry_the_offending_value():
    secret = "48503150000-not-a-date"
    message = _fails("Person", {"birthDate": secret})
    assert secret not in message
    message = _fails("Person", {"gender": secret})
    assert secret not in message


def test_first_violation_is_the_earliest_in_the_document():
    doc = {"name": {"familyName": ""}, "birthDate": "x", "nationalities": ["DEU"]}
    assert _fails("Person", doc) == "Person: $.name.familyName: is shorter than 1 characters"
    doc = {"nationalities": ["DEU"], "name": {"familyName": ""}, "birthDate": "x"}
    assert _fails("Person", doc).startswith("Person: $.nationalities[0]: ")


def test_a_parent_comes_before_its_children_and_basic_rules_first():
    doc = {"relatedPersons": [{"role": "aunt"}]}  # missing person at [0], bad role under it
    assert (
        _fails("Person", doc) == "Person: $.relatedPersons[0]: missing required property 'person'"
    )
    other: dict[str, Any] = {"name": {"surname": "x", "givenNames": []}}
    assert _fails("Person", other) == "Person: $.name: unknown property 'surname'"


def test_first_violation_is_the_same_as_with_the_pure_python_validator():
    registry: Registry = Registry().with_resources(
        (c["$id"], Resource.from_contents(c, DRAFT202012))
        for c in map(shipped.load_json, [COMMON_FILE, *SCHEMA_FILES.values()])
    )
    broken = [
        ("Person", {"relatedPersons": [{"role": "aunt"}], "gender": "m"}),
        ("Person", {"name": {"x": 1, "givenNames": []}, "birthDate": "1984-13"}),
        ("LegalEntity", _with("LegalEntity", "representatives.0.role.code", "")),
        ("TradeNotification", _with("TradeNotification", "persons.0.person.birthDate", "65")),
        ("PersonQuery", {"fields": ["a"]}),
        ("LegalEntityQuery", {"name": "", "identifiers": [{"scheme": "ee.registrikood"}]}),
        ("Address", {"adminUnitL1": "EST", "locatorDesignators": [{"designator": "1"}]}),
    ]
    for kind, doc in broken:
        reference = Draft202012Validator(schema(kind), registry=registry)
        errors = [
            (tuple(e.absolute_path), str(e.validator), None) for e in reference.iter_errors(doc)
        ]
        expected_path = json_path(first_violation(doc, errors)[0])
        assert _fails(kind, doc).startswith(f"{kind}: {expected_path}: "), (kind, doc)


def test_unknown_kind_and_non_json_values():
    assert "unknown canonical kind 'person'" in _fails("person", {})
    message = _fails("Person", {"birthDate": dt.date(1984, 3, 15)})
    assert message.startswith("Person: $: not JSON data")
    assert _fails("Person", []) == "Person: $: is not of type object"
    assert _fails("Person", None) == "Person: $: is not of type object"


def test_compile_all_prepares_every_kind():
    compile_all()
    for kind in KINDS:
        validate(kind, VALID[kind])


def test_schema_returns_the_shipped_schema():
    assert schema("Person")["$id"] == "urn:xgw:canonical:person:1"
    assert _fails("Nope", {}).startswith("unknown canonical kind")


def _person_of_about_2_kib() -> dict[str, Any]:
    person: dict[str, Any] = copy.deepcopy(VALID["Person"])
    person["postalAddress"] = copy.deepcopy(VALID["Address"])
    person["maritalStatus"] = {"code": "10", "listURI": "urn:xgw:codelist:be-burgerlijke-staat"}
    father = copy.deepcopy(VALID["TradeNotification"]["persons"][0]["person"])
    person["relatedPersons"].append({"role": "father", "person": father})
    person["contactPoints"].append({"channel": "email", "value": "mari.maasikas@example.ee"})
    person["identifiers"].append(
        {"notation": "850315-123-45", "scheme": "xx.example", "issuer": "XX"}
    )
    person["deathPlace"] = {"name": "Tartu", "names": [{"lang": "et", "text": "Tartu"}]}
    person["event"]["informant"] = {
        "organisationName": "Städtisches Klinikum Görlitz gGmbH, Kreißsaal",
        "contactPoints": [{"channel": "telephone", "value": "03581 37-0"}],
    }
    return person


def test_validation_is_compiled_and_fast():
    """Issue 3 item 10: a 2 KiB Person validates in microseconds, not a millisecond."""
    person = _person_of_about_2_kib()
    assert 1950 <= len(orjson.dumps(person)) <= 2300
    validate("Person", person)
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        validate("Person", person)
    mean = (time.perf_counter() - started) / runs
    assert mean < 100e-6, f"{mean * 1e6:.0f} us per 2 KiB Person: is the compiled validator in use?"
