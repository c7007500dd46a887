"""Helpers of the xoev.xpersonenstand tests: the reference data, connectors both ways.

The official XPersonenstand 26.11 set and the Vertama samples are read from ../shared
(a path from the project root); they are never copied into the project. "official"
points ``schema_dir`` at ../shared/xoev, "shipped" uses the subset xgw ships.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.base import ConnectorOptions, Envelope
from connectors.xoev.xpersonenstand import XPersonenstandConnector
from connectors.xoev.xpersonenstand.resolver import parse_message

PROJECT = Path(__file__).resolve().parents[3]
SHARED_XOEV = PROJECT.parent / "shared" / "xoev"
SAMPLES = SHARED_XOEV / "xpersonenstand" / "26.11" / "samples"
VALID_SAMPLE = SAMPLES / "Portal2StASterbefall084020.xml"
INVALID_SAMPLE = SAMPLES / "Portal2StAGeburt081020_invalid.xml"

ERREICHBARKEIT = "urn:de:xoev:codeliste:erreichbarkeit"
_CONNECTORS: dict[str, XPersonenstandConnector] = {}


def connector(way: str) -> XPersonenstandConnector:
    """``official`` (schema_dir at ../shared/xoev) or ``shipped`` (no schema_dir); built once."""
    if way not in _CONNECTORS:
        options = (
            ConnectorOptions(schema_dir=SHARED_XOEV) if way == "official" else ConnectorOptions()
        )
        _CONNECTORS[way] = XPersonenstandConnector(options)
    return _CONNECTORS[way]


@dataclass(frozen=True)
class Decoded:
    kind: str | None
    document: dict[str, Any]
    notes: tuple[str, ...]


def decode(way: str, body: bytes) -> Decoded:
    envelope = connector(way).decode_message(body)
    assert envelope.document is not None
    return Decoded(envelope.kind, envelope.document, envelope.notes)


def encode(way: str, person: dict[str, Any]) -> tuple[bytes, tuple[str, ...]]:
    body, _, notes = connector(way).encode_with_notes(
        Envelope("application/json", document=person, kind="Person")
    )
    return body, notes


def valid_under_both(body: bytes) -> None:
    """The message passes the official set and the shipped subset (AssertionError if not)."""
    tree = parse_message(body)
    for way in ("official", "shipped"):
        schema = connector(way).schema.schema
        assert schema.validate(tree), (way, str(schema.error_log))


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= leaves(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out |= leaves(item, f"{path}[{index}]")
        return out
    return {path: value}


_MOVE = "comes back as "


def note_paths(notes: tuple[str, ...]) -> list[str]:
    """The fields the notes speak for (moves are not losses: left out)."""
    return [n.split(": ", 1)[0] for n in notes if not n.split(": ", 1)[1].startswith(_MOVE)]


def moved(path: str, notes: tuple[str, ...]) -> str:
    """Where the field at ``path`` comes back, by the notes' "comes back as" moves."""
    moves = {
        n.split(": ", 1)[0]: n.split(_MOVE, 1)[1]
        for n in notes
        if n.split(": ", 1)[1].startswith(_MOVE)
    }
    tokens = re.findall(r"\[\d+\]|[^.\[]+", path)
    result = list(tokens)
    for prefix, target in moves.items():
        parts = re.findall(r"\[\d+\]|[^.\[]+", prefix)
        if tokens[: len(parts)] == parts:  # the item at prefix comes back at target's index
            result[len(parts) - 1] = re.findall(r"\[\d+\]", target)[-1]
    return "".join(t if t.startswith("[") or i == 0 else f".{t}" for i, t in enumerate(result))


def covered(path: str, paths: list[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in paths)


def element_text(body: bytes, local: str) -> list[str]:
    root = etree.fromstring(body)
    return [
        e.text or ""
        for e in root.iter()
        if isinstance(e.tag, str) and etree.QName(e).localname == local
    ]


def death(**extra: Any) -> dict[str, Any]:
    """A minimal death notification the format can carry whole."""
    person: dict[str, Any] = {
        "name": {"givenNames": ["Jüri"], "familyName": "Põder"},
        "gender": "male",
        "deceased": True,
        "deathDate": "2024-11-01",
        "deathPlace": {"name": "Görlitz"},
        "event": {
            "type": "death",
            "date": "2024-11-01",
            "time": "05:21",
            "timeExact": True,
            "place": {"name": "Görlitz"},
            "informant": {
                "organisationName": "Städtisches Klinikum Görlitz",
                "contactPoints": [
                    {
                        "channel": "telephone",
                        "value": "03581 37-0",
                        "code": {"code": "02", "listURI": ERREICHBARKEIT, "listVersionID": "1"},
                    }
                ],
            },
        },
    }
    person.update(extra)
    return person


def birth(**extra: Any) -> dict[str, Any]:
    """A minimal birth notification the format can carry whole."""
    person: dict[str, Any] = {
        "gender": "female",
        "birthDate": "2024-11-01",
        "event": {
            "type": "birth",
            "date": "2024-11-01",
            "time": "10:00",
            "facility": "Carl-Thiem-Klinikum Cottbus",
        },
        "relatedPersons": [
            {
                "role": "mother",
                "person": {
                    "name": {"givenNames": ["Õie"], "familyName": "Šťastná"},
                    "birthDate": "1990-02-28",
                },
            }
        ],
    }
    person.update(extra)
    return person


def test_the_reference_data_is_where_the_tests_read_it():
    assert VALID_SAMPLE.is_file()
    assert INVALID_SAMPLE.is_file()
    assert connector("official").schema.official
    assert not connector("shipped").schema.official
