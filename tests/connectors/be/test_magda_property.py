"""Property: any canonical document of the kinds be.magda handles encodes to a MAGDA message that
the official XSDs accept and decodes back equal, up to what the encoding's notes name."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import Envelope
from connectors.be.magda.messages import parse
from connectors.canonical import validate
from tests.connectors.be.magda_support import connector, differences, skipped_paths
from tests.unit.canonical import strategies as cs

CANONICAL = "application/vnd.xgw.canonical+json"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Doc = dict[str, Any]


def _check(kind: str, document: Doc) -> None:
    validate(kind, document)
    official, own = connector(official=True), connector()
    body, _, notes = official.encode_with_notes(Envelope(CANONICAL, document=document, kind=kind))
    payload = parse(body)
    own.schemas.validate(payload.tag.partition("}")[2], payload)  # xgw's schema agrees
    decoded = official.decode_now(body)
    assert decoded.kind == kind and decoded.document is not None
    validate(kind, decoded.document)
    assert differences(document, decoded.document, kind, skipped_paths(kind, notes)) == []


@st.composite
def persons(draw: st.DrawFn) -> Doc:
    """A Person with the INSZ a GeefPersoon answer needs (other identifiers may come with it)."""
    person: Doc = draw(cs.persons(schemes=("be.ssin", "nl.bsn")))
    ssin = draw(cs.identifiers(("be.ssin",)))
    person["identifiers"] = [ssin, *person.get("identifiers", [])]
    return person


@st.composite
def legal_entities(draw: st.DrawFn) -> Doc:
    entity: Doc = draw(
        cs.legal_entities(schemes=("be.enterprise", "be.establishment", "ee.registrikood"))
    )
    number = draw(cs.identifiers(("be.enterprise",)))
    entity["identifiers"] = [number, *entity.get("identifiers", [])]
    return entity


@st.composite
def person_queries(draw: st.DrawFn) -> Doc:
    query: Doc = draw(cs.person_queries(schemes=("be.ssin",)))
    query.pop("familyName", None)
    query["identifiers"] = [draw(cs.identifiers(("be.ssin",)))]
    return query


@st.composite
def legal_entity_queries(draw: st.DrawFn) -> Doc:
    query: Doc = draw(cs.legal_entity_queries(schemes=("be.enterprise",)))
    query.pop("name", None)
    query["identifiers"] = [draw(cs.identifiers(("be.enterprise",)))]
    return query


@SETTINGS
@given(persons())
def test_person(person: Doc) -> None:
    _check("Person", person)


@SETTINGS
@given(legal_entities())
def test_legal_entity(entity: Doc) -> None:
    _check("LegalEntity", entity)


@SETTINGS
@given(person_queries())
def test_person_query(query: Doc) -> None:
    _check("PersonQuery", query)


@SETTINGS
@given(legal_entity_queries())
def test_legal_entity_query(query: Doc) -> None:
    _check("LegalEntityQuery", query)
