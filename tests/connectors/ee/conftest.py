"""Fixtures for the Estonian connectors: both schema modes, strict and lenient identifiers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors.base import ConnectorOptions
from connectors.ee.ariregister import AriregisterConnector
from connectors.ee.rahvastikuregister import RahvastikuregisterConnector
from tests.connectors.ee.samples import SHARED


# None: the schemas xgw ships; SHARED: the official ones from the reference data.
@pytest.fixture(params=[None, SHARED], ids=["shipped", "official"])
def schema_dir(request: pytest.FixtureRequest) -> Path | None:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def ariregister(schema_dir: Path | None) -> AriregisterConnector:
    """Lenient: the published samples use test codes that fail their check digits."""
    return AriregisterConnector(ConnectorOptions(schema_dir=schema_dir, lenient_identifiers=True))


@pytest.fixture
def strict_ariregister(schema_dir: Path | None) -> AriregisterConnector:
    return AriregisterConnector(ConnectorOptions(schema_dir=schema_dir))


@pytest.fixture
def rr() -> RahvastikuregisterConnector:
    return RahvastikuregisterConnector(ConnectorOptions(lenient_identifiers=True))


@pytest.fixture
def strict_rr() -> RahvastikuregisterConnector:
    return RahvastikuregisterConnector(ConnectorOptions())


def note_paths(notes: tuple[str, ...], connector: str) -> list[str]:
    """The paths the notes name (``<connector>: <path>: <what>``)."""
    prefix = f"{connector}: "
    assert all(note.startswith(prefix) for note in notes), notes
    return [note[len(prefix) :].split(": ", 1)[0] for note in notes]


def covered(path: str, noted: list[str], separators: str) -> bool:
    return any(path == n or (path.startswith(n) and path[len(n)] in separators) for n in noted)


def xml_leaves(element: etree._Element, path: str = "") -> Counter[tuple[str, str]]:
    """(path without indexes, text) of every leaf with text: the fields a message carries."""
    here = f"{path}/{etree.QName(element).localname}" if path else etree.QName(element).localname
    leaves: Counter[tuple[str, str]] = Counter()
    children = list(element)
    if not children and element.text and element.text.strip():
        leaves[(here, element.text)] += 1
    for child in children:
        leaves.update(xml_leaves(child, here))
    return leaves


def json_leaves(value: Any, path: str = "$") -> Counter[tuple[str, str]]:
    leaves: Counter[tuple[str, str]] = Counter()
    if isinstance(value, dict):
        for key, item in value.items():
            leaves.update(json_leaves(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            leaves.update(json_leaves(item, f"{path}[{index}]" if path == "$" else path))
    elif value not in ("", None):
        leaves[(path, str(value))] += 1
    return leaves
