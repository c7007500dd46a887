"""Schemas at run time: the operator's official MAGDA set when configured, xgw's own otherwise,
compiled once, resolved inside the folder only (never the network)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from connectors.base import ConnectorOptions
from connectors.be.magda import MagdaConnector
from connectors.be.magda.schemas import OFFICIAL_DIR, MagdaSchemas
from gateway import shipped
from gateway.errors import ConfigError, ConnectorError
from tests.connectors.be.magda_support import EXAMPLES, MAGDA, SHARED, connector

PERSON_SAMPLE = next(p for p in EXAMPLES if p.name.startswith("Persoon"))
RESPONSES = ("GeefPersoonResponse", "GeefOndernemingResponse", "GeefOndernemingVKBOResponse")


def test_official_set_from_the_schema_directory() -> None:
    schemas = connector(official=True).schemas
    assert {m: schemas.origin[m] for m in RESPONSES} == dict.fromkeys(RESPONSES, "official")
    assert schemas.origin["GeefPersoon"] == schemas.origin["GeefOnderneming"] == "xgw"


def test_own_schemas_without_a_schema_directory() -> None:
    assert set(connector().schemas.origin.values()) == {"xgw"}


def test_compiled_once_per_directory() -> None:
    first = MagdaConnector(ConnectorOptions(schema_dir=SHARED))
    second = MagdaConnector(ConnectorOptions(schema_dir=SHARED, lenient_identifiers=True))
    assert first.schemas is second.schemas is MagdaSchemas.load(SHARED)


def _official_copy(tmp_path: Path) -> Path:
    """A writable copy of the reference XSDs in an operator-style schema directory."""
    shutil.copytree(MAGDA / "xsd", tmp_path / OFFICIAL_DIR)
    return tmp_path


def test_an_operators_sleutel_xsd_replaces_the_stand_in(tmp_path: Path) -> None:
    root = _official_copy(tmp_path)
    sleutel = root / OFFICIAL_DIR / "Sleutel-02.00" / "Sleutel.xsd"
    sleutel.parent.mkdir()
    standin = shipped.load_bytes("be/magda/Sleutel-02.00-standin.xsd").decode()
    sleutel.write_text(standin.replace('value="[0-9]{11}"', 'value="[0-9]{3}"'))  # a stricter INSZ
    strict = MagdaConnector(ConnectorOptions(schema_dir=root, lenient_identifiers=True))
    with pytest.raises(ConnectorError, match="Persoon/INSZ"):
        strict.decode_now(PERSON_SAMPLE.read_bytes())


def test_imports_never_reach_the_network(tmp_path: Path) -> None:
    root = _official_copy(tmp_path)
    response = (
        root / OFFICIAL_DIR / "Persoon.GeefPersoonDienst-02.02/WebService/GeefPersoonResponse.xsd"
    )
    text = response.read_text(encoding="utf-8")
    response.write_text(
        text.replace("../../Generiek-02.00/Generiek.xsd", "http://127.0.0.1:9/Generiek.xsd")
    )
    with pytest.raises(ConfigError, match="does not compile"):
        MagdaSchemas.load(root)


def test_a_missing_official_xsd_falls_back_to_xgws(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / OFFICIAL_DIR).mkdir(parents=True)
    with caplog.at_level(logging.WARNING):
        schemas = MagdaSchemas.load(tmp_path)
    assert set(schemas.origin.values()) == {"xgw"}
    assert "GeefPersoonResponse validated with xgw's schema" in caplog.text
