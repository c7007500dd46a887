"""Property tests: Person + event -> message -> validates -> decodes back equal up to the notes.

Documents come from the shared canonical strategies (tests.unit.canonical.strategies), made
into what a 084020 / 081020 notification needs; everything else they carry (identifiers,
nationalities, postal addresses, ...) must come back as a note. A field the connector's
documentation lists as carried may only differ with a note that gives the reason (NFC,
prefix, partial date, ...), never with the generic "not carried".
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.canonical import validate
from connectors.xoev.xpersonenstand.mapping import MOTHER_CONFIDENTIAL
from gateway.errors import ConnectorError
from tests.connectors.xoev.test_xpersonenstand_support import (
    covered,
    decode,
    encode,
    leaves,
    moved,
    note_paths,
    valid_under_both,
)
from tests.unit.canonical.strategies import (
    addresses,
    contact_points,
    full_dates,
    person_names,
    persons,
    places,
)

_NAME = r"name\.(givenNames\[\d+\]|familyName|birthName)"
_PLACE = (
    r"(name|country|countryName|address\.(thoroughfare|locatorDesignator|addressArea|"
    r"adminUnitL2|postName))"
)
_CONTACT = r"contactPoints\[\d+\]\.(channel|value|code\.(code|listURI|listVersionID))"
CARRIED = {  # what docs/connectors/xoev-xpersonenstand.md says each message carries
    "death": [
        _NAME, "gender", "birthDate",
        r"birthPlace\.(name|country|countryName|address\.adminUnitL2)",
        "deathDate", rf"deathPlace\.{_PLACE}",
        r"residenceAddress\.(thoroughfare|postCode|postName|addressArea|adminUnitL1)",
        r"event\.(type|date|time|timeExact)", rf"event\.place\.{_PLACE}",
        rf"event\.informant\.(organisationName|{_CONTACT}|person\.{_NAME})",
    ],
    "birth": [
        _NAME, "gender", "birthDate", rf"birthPlace\.{_PLACE}",
        r"event\.(type|date|time|facility)", rf"event\.place\.{_PLACE}",
    ],
}  # fmt: skip
_MOTHER = [
    "role", rf"person\.{_NAME}", r"person\.birthDate", rf"person\.{_CONTACT}",
    r"person\.residenceAddress\.(thoroughfare|postCode|postName|locatorDesignator|"
    r"locatorDesignators\[\d+\]\.(designator|type)|municipalityCode\.(code|listURI|listVersionID|name))",
]  # fmt: skip
_FAMILY = st.sampled_from(["Müller", "Põder", "Šťastný", "MAASIKAS", "Öztürk", "D'Hondt"])
_GIVEN = st.lists(st.sampled_from(["Jüri", "Zoë", "Anna-Lena", "Õie", "Çağlar"]), min_size=1)
_TIMES = st.times().map(lambda t: t.strftime("%H:%M")) | st.times().map(lambda t: f"{t:%H:%M:%S}")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _named(draw: st.DrawFn, *, given: bool) -> dict[str, Any]:
    name = dict(draw(person_names()))
    name.setdefault("familyName", draw(_FAMILY))
    if given:
        name.setdefault("givenNames", draw(_GIVEN))
    return name


@st.composite
def notifications(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A Person with what ``kind``'s message needs, plus whatever else the strategies give."""
    person = dict(draw(persons(depth=0)))
    person["gender"] = draw(st.sampled_from(["male", "female", "diverse", "unspecified"]))
    person["name"] = _named(draw, given=False)
    event: dict[str, Any] = {"type": kind, "date": draw(full_dates(1950, 2025))}
    event["time"] = draw(_TIMES)
    if draw(st.booleans()):
        event["timeExact"] = draw(st.booleans())
    if draw(st.booleans()) or kind == "death":
        place = dict(draw(places()))
        place.setdefault("name", "Cottbus")
        event["place"] = place
    if kind == "death":
        contacts = [{"channel": "email", "value": "standesamt@example.de"}]
        contacts += draw(st.lists(contact_points(), max_size=2))
        informant: dict[str, Any] = {"organisationName": "Carl-Thiem-Klinikum"}
        informant["contactPoints"] = contacts
        if draw(st.booleans()):
            informant["person"] = {"name": _named(draw, given=draw(st.booleans()))}
        event["informant"] = informant
    else:
        event["facility"] = draw(st.sampled_from(["Carl-Thiem-Klinikum", "Städtisches Klinikum"]))
        person["relatedPersons"] = draw(_parents())
    person["event"] = event
    validate("Person", person)
    return person


@st.composite
def _parents(draw: st.DrawFn) -> list[dict[str, Any]]:
    mother: dict[str, Any] = {"name": _named(draw, given=True)}
    mother["birthDate"] = draw(full_dates(1950, 2008))
    if draw(st.booleans()):
        mother["residenceAddress"] = draw(addresses(("DE",)))
    if draw(st.booleans()):
        mother["contactPoints"] = draw(st.lists(contact_points(), min_size=1, max_size=2))
    related = [{"role": "mother", "person": mother}]
    if draw(st.integers(0, 4)) == 0:
        related[0]["roleCode"] = dict(MOTHER_CONFIDENTIAL)
    if draw(st.booleans()):
        second = {"name": _named(draw, given=draw(st.booleans()))}
        related.append({"role": draw(st.sampled_from(["father", "parent"])), "person": second})
    if draw(st.booleans()):
        related.insert(0, {"role": "guardian", "person": draw(persons(depth=0))})
    return related


def _carried_patterns(person: dict[str, Any]) -> list[str]:
    patterns = list(CARRIED[person["event"]["type"]])
    for index, related in enumerate(person.get("relatedPersons", [])):
        if related["role"] == "mother" and related.get("roleCode") != MOTHER_CONFIDENTIAL:
            patterns += [rf"relatedPersons\[{index}\]\.{p}" for p in _MOTHER]
            break
    return patterns


def _check_round_trip(way: str, sent: dict[str, Any]) -> None:
    body, notes = encode(way, sent)
    valid_under_both(body)
    back = decode(way, body).document
    assert back is not None
    validate("Person", back)
    paths, generic = note_paths(notes), set()
    for note in notes:
        path, text = note.split(": ", 1)
        if text.startswith("not carried by portal2StA.") and ":" not in text:
            generic.add(path)
    carried = [re.compile(p) for p in _carried_patterns(sent)]
    returned = leaves(back)
    for path, value in leaves(sent).items():
        if returned.get(moved(path, notes)) == value:
            continue
        assert covered(path, paths), f"{path} changed without a note"
        if any(p.fullmatch(path) for p in carried):  # the closest note must give a reason
            closest = max((p for p in paths if covered(path, [p])), key=len)
            assert closest not in generic, f"{path} is carried, but lost: {notes}"
    again, _ = encode(way, back)
    assert decode(way, again).document == back  # one round reaches a fixed point


@SETTINGS
@given(notifications("death"))
def test_a_death_encodes_validates_and_decodes_back_up_to_its_notes(person):
    for way in ("official", "shipped"):
        _check_round_trip(way, person)


@SETTINGS
@given(notifications("birth"))
def test_a_birth_encodes_validates_and_decodes_back_up_to_its_notes(person):
    for way in ("official", "shipped"):
        _check_round_trip(way, person)


_FIELD = re.compile(r"^[a-zA-Z]+(\[\d+\])?(\.[a-zA-Z]+(\[\d+\])?)*: ")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(persons())
def test_any_person_is_either_encoded_validly_or_refused_naming_a_field(person):
    try:
        body, notes = encode("shipped", person)
    except ConnectorError as refused:
        assert _FIELD.match(refused.message), refused.message
        assert "invalid" not in refused.message  # never a schema failure of our own output
        return
    valid_under_both(body)
    back = decode("shipped", body).document
    validate("Person", back)
    paths = note_paths(notes)
    returned = leaves(back)
    for path, value in leaves(person).items():
        assert returned.get(moved(path, notes)) == value or covered(path, paths), path
