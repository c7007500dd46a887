"""Property tests: canonical -> native (schema-valid) -> canonical is equal, up to the notes.

For every generated document: encoding validates against the native schema (the
connectors check their output); decoding gives a valid canonical document; each
top-level field that did not come back equal is named by an encode note; and the
decoded document is a fixed point (it encodes without a "not carried" note and
decodes to itself). Strict identifier mode: the strategies give valid check digits.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical import validate
from connectors.ee.ariregister import AriregisterConnector
from connectors.ee.ariregister.query import ALWAYS, IANDMED_FIELDS, YANDMED_FIELDS
from connectors.ee.rahvastikuregister import RahvastikuregisterConnector
from connectors.ee.rahvastikuregister.mapping import PERSON_FIELDS
from gateway.errors import ConnectorError
from tests.connectors.ee.conftest import note_paths
from tests.connectors.ee.samples import SHARED
from tests.unit.canonical import strategies as cs

Doc = dict[str, Any]
COUNTRIES = ("EE", "LV", "FI", "DE")
# Built once per module: schemas compile once. Official XSD for one, xgw's for the other.
ARIREGISTER = {
    "shipped": AriregisterConnector(ConnectorOptions()),
    "official": AriregisterConnector(ConnectorOptions(schema_dir=SHARED)),
}
RR = RahvastikuregisterConnector(ConnectorOptions())
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _heads(notes: tuple[str, ...], connector: str) -> set[str]:
    return {path.split(".", 1)[0] for path in note_paths(notes, connector)}


def _implied_issuers(value: Any) -> Any:
    """Drop ``issuer`` where the scheme implies it (``EE`` on ``ee.*``): no information."""
    if isinstance(value, list):
        return [_implied_issuers(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("issuer") and value.get("scheme", "")[:2].upper() == value["issuer"]:
        value = {k: v for k, v in value.items() if k != "issuer"}
    return {k: _implied_issuers(v) for k, v in value.items()}


def _round_trip(connector: Any, kind: str, doc: Doc) -> tuple[Doc, set[str]]:
    validate(kind, doc)
    body, _, notes = connector.encode_with_notes(Envelope("", doc, kind=kind))
    back = connector.decode_message(body)
    assert back.kind == kind
    assert back.document is not None
    validate(kind, back.document)
    # the fixed point: what came back goes there and back unchanged, with nothing left behind
    body2, _, notes2 = connector.encode_with_notes(Envelope("", back.document, kind=kind))
    assert [n for n in notes2 if "not carried" in n] == []
    assert connector.decode_message(body2).document == back.document
    return back.document, _heads(notes, connector.name)


def _assert_equal_up_to_notes(
    doc: Doc, back: Doc, heads: set[str], ignore: tuple[str, ...]
) -> None:
    doc = _implied_issuers(doc)
    for key in set(doc) | set(back):
        mine, theirs = doc.get(key), back.get(key)
        if key == "fields" and mine and theirs:  # a set: it comes back in the register's order
            mine, theirs = sorted(mine), sorted(theirs)
        if key not in ignore and mine != theirs:
            assert key in heads, (key, doc.get(key), back.get(key), sorted(heads))


def _by_scheme(ids: list[Doc]) -> list[Doc]:
    return sorted(ids, key=lambda ident: (ident["scheme"], ident["notation"]))


@st.composite
def register_entities(draw: st.DrawFn) -> Doc:
    """A LegalEntity with what detailandmed_v2 requires: registry code, ettevotja_id, name."""
    doc: Doc = draw(cs.legal_entities(schemes=("ee.registrikood", "nl.kvk"), countries=COUNTRIES))
    required = [
        {"notation": draw(cs.notation("ee.registrikood")), "scheme": "ee.registrikood"},
        {"notation": str(draw(st.integers(1, 10**9))), "scheme": "ee.ettevotja-id"},
    ]
    others = [i for i in doc.get("identifiers", []) if i["scheme"] != "ee.registrikood"]
    doc["identifiers"] = required + others
    doc.setdefault("legalNames", [{"lang": "et", "text": draw(st.sampled_from(cs._BUSINESS))}])
    return doc


@pytest.mark.parametrize("mode", sorted(ARIREGISTER))
@PROFILE
@given(doc=register_entities())
def test_legal_entity_round_trip(mode: str, doc: Doc) -> None:
    back, heads = _round_trip(ARIREGISTER[mode], "LegalEntity", doc)
    if _by_scheme(_implied_issuers(doc["identifiers"])) != _by_scheme(back["identifiers"]):
        assert "identifiers" in heads
    _assert_equal_up_to_notes(doc, back, heads, ignore=("identifiers",))


@PROFILE
@given(doc=cs.legal_entity_queries(schemes=("ee.registrikood", "nl.kvk")))
def test_legal_entity_query_round_trip(doc: Doc) -> None:
    has_code = any(i["scheme"] == "ee.registrikood" for i in doc.get("identifiers", []))
    if not has_code and "name" not in doc:
        with pytest.raises(ConnectorError, match="the query has none of them"):
            ARIREGISTER["shipped"].encode_with_notes(Envelope("", doc, kind="LegalEntityQuery"))
        return
    back, heads = _round_trip(ARIREGISTER["shipped"], "LegalEntityQuery", doc)
    if "fields" not in doc:  # absent: the register is asked for all xgw can carry
        assert back["fields"] == [*ALWAYS, *YANDMED_FIELDS, *IANDMED_FIELDS]
    ignore = ("fields",) if "fields" not in doc else ()
    if doc.get("country") == "EE":  # implied: the register is Estonian
        ignore = (*ignore, "country")
    _assert_equal_up_to_notes(doc, back, heads, ignore)


@st.composite
def register_persons(draw: st.DrawFn) -> Doc:
    doc: Doc = draw(cs.persons(schemes=("ee.isikukood", "nl.bsn"), countries=COUNTRIES))
    code = {"notation": draw(cs.notation("ee.isikukood")), "scheme": "ee.isikukood"}
    doc["identifiers"] = [code, *(i for i in doc.get("identifiers", []) if i != code)]
    return doc


@PROFILE
@given(doc=register_persons())
def test_person_round_trip(doc: Doc) -> None:
    back, heads = _round_trip(RR, "Person", doc)
    _assert_equal_up_to_notes(doc, back, heads, ignore=())


@PROFILE
@given(doc=cs.person_queries(schemes=("ee.isikukood",)))
def test_person_query_round_trip(doc: Doc) -> None:
    if "identifiers" not in doc:
        with pytest.raises(ConnectorError, match=r"asked by ee\.isikukood"):
            RR.encode_with_notes(Envelope("", doc, kind="PersonQuery"))
        return
    back, heads = _round_trip(RR, "PersonQuery", doc)
    if "fields" not in doc:  # absent: the identity fields
        assert back["fields"] == list(PERSON_FIELDS.values())
    _assert_equal_up_to_notes(doc, back, heads, ignore=() if "fields" in doc else ("fields",))


@PROFILE
@given(doc=st.lists(register_persons(), max_size=3).map(lambda people: {"persons": people}))
def test_person_list_round_trip(doc: Doc) -> None:
    if len(doc["persons"]) == 1:  # one person is a Person answer, not a list
        return
    back, heads = _round_trip(RR, "PersonList", doc)
    assert len(back["persons"]) == len(doc["persons"])
    for mine, theirs in zip(doc["persons"], back["persons"], strict=True):
        _assert_equal_up_to_notes(mine, theirs, heads, ignore=())
