"""options.schema_dir: the shipped subset XSD, or <schema_dir>/xgewerbeanzeige/<version>/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.base import ConnectorOptions
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from gateway.errors import ConnectorError
from tests.connectors.xoev.test_xgewerbeanzeige_support import ROOT, SAMPLES, VALID

SHIPPED = ROOT / "schemas" / "xoev" / "xgewerbeanzeige"
SHARED = ROOT / ".." / "shared"


def _layout(schema_dir: Path) -> Path:
    """A copy of our XSDs laid out as documented: <schema_dir>/xgewerbeanzeige/..."""
    target = schema_dir / "xgewerbeanzeige"
    shutil.copytree(SHIPPED, target)
    return target


def test_without_a_schema_dir_the_shipped_schemas_are_used():
    connector = XGewerbeanzeigeConnector(ConnectorOptions())
    assert connector.schemas.sources == {
        v: f"shipped:xoev/xgewerbeanzeige/{v}" for v in ("2.0", "2.1", "2.2")
    }


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
async def test_schema_dir_pointed_at_shared_falls_back_to_shipped(sample):
    # ../shared has no XGewerbeanzeige XSD (none is public): every version uses ours.
    connector = XGewerbeanzeigeConnector(ConnectorOptions(schema_dir=SHARED / "xoev"))
    assert all(s.startswith("shipped:") for s in connector.schemas.sources.values())
    envelope = await connector.decode(sample.read_bytes(), "application/xml")
    assert envelope.document is not None


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
async def test_a_copy_in_the_schema_dir_is_used(tmp_path, sample):
    _layout(tmp_path)
    connector = XGewerbeanzeigeConnector(ConnectorOptions(schema_dir=tmp_path))
    assert connector.schemas.sources == {
        v: str(tmp_path / "xgewerbeanzeige" / v / "xgewerbeanzeige.xsd")
        for v in ("2.0", "2.1", "2.2")
    }
    shipped = XGewerbeanzeigeConnector(ConnectorOptions())
    body = sample.read_bytes()
    assert (await connector.decode(body, "application/xml")) == (
        await shipped.decode(body, "application/xml")
    )


async def test_the_operator_schema_decides(tmp_path):
    target = _layout(tmp_path)
    baukasten = target / "xgewerbeanzeige-baukasten.xsd"
    text = baukasten.read_text(encoding="utf-8")
    stricter = text.replace(
        '<xs:element name="geburtsname" type="Text" minOccurs="0"/>',
        '<xs:element name="geburtsname" type="Text" minOccurs="0" maxOccurs="0"/>',
    )
    assert stricter != text
    baukasten.write_text(stricter, encoding="utf-8")
    connector = XGewerbeanzeigeConnector(ConnectorOptions(schema_dir=tmp_path))
    body = (SAMPLES / "xgwa2.0-valid.xml").read_bytes()
    with pytest.raises(
        ConnectorError, match=r"2\.0 input fails the schema: line \d+, .*/beteiligtePerson/"
    ):
        await connector.decode(body, "application/xml")
    shipped = XGewerbeanzeigeConnector(ConnectorOptions())
    assert (await shipped.decode(body, "application/xml")).document is not None


def test_only_the_versions_present_are_taken_from_the_schema_dir(tmp_path):
    target = _layout(tmp_path)
    shutil.rmtree(target / "2.0")
    sources = XGewerbeanzeigeConnector(ConnectorOptions(schema_dir=tmp_path)).schemas.sources
    assert sources["2.0"] == "shipped:xoev/xgewerbeanzeige/2.0"
    assert sources["2.2"].startswith(str(tmp_path))


def test_a_broken_schema_in_the_schema_dir_fails_at_start(tmp_path):
    target = _layout(tmp_path)
    (target / "2.1" / "xgewerbeanzeige.xsd").write_text("<xs:schema", encoding="utf-8")
    with pytest.raises(ConnectorError, match=r"XGewerbeanzeige schema .*2\.1.* does not compile"):
        XGewerbeanzeigeConnector(ConnectorOptions(schema_dir=tmp_path))


def _importing_schema(target: Path) -> None:
    """A 2.2 schema that imports the XÖV Code type by its URL, as official XÖV schemas do."""
    path = target / "2.2" / "xgewerbeanzeige.xsd"
    text = path.read_text(encoding="utf-8").replace(
        '<xs:include schemaLocation="../xgewerbeanzeige-baukasten.xsd"/>',
        '<xs:import namespace="http://xoev.de/schemata/code/1_0" '
        'schemaLocation="http://xoev.de/schemata/code/1_0/xoev-code.xsd"/>\n'
        '  <xs:include schemaLocation="../xgewerbeanzeige-baukasten.xsd"/>\n'
        '  <xs:element xmlns:xc="http://xoev.de/schemata/code/1_0" name="x" type="xc:Code"/>',
    )
    path.write_text(text, encoding="utf-8")


def test_remote_imports_resolve_inside_the_schema_dir_never_the_network(tmp_path):
    target = _layout(tmp_path)
    _importing_schema(target)
    with pytest.raises(ConnectorError, match="does not compile"):
        XGewerbeanzeigeConnector(ConnectorOptions(schema_dir=tmp_path))  # not there: no fetch
    local = tmp_path / "xoev.de" / "schemata" / "code" / "1_0"
    local.mkdir(parents=True)
    shutil.copy(SHARED / "xoev" / "xoev-framework" / "xoev-code.xsd", local / "xoev-code.xsd")
    connector = XGewerbeanzeigeConnector(ConnectorOptions(schema_dir=tmp_path))
    assert connector.schemas.sources["2.2"].startswith(str(tmp_path))
