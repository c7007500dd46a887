"""xoev.xmeld with an operator schema directory: the documented layout, ../shared, no network."""

from __future__ import annotations

import shutil

import pytest
from lxml import etree

from connectors.xoev.din91379 import xsd_pattern
from connectors.xoev.xmeld.schema import ENTRY_POINTS, SHIPPED_XSD
from gateway import shipped
from gateway.errors import ConfigError, ConnectorError
from tests.connectors.xoev.test_xmeld_support import SAMPLE, SHARED_XOEV, TWO_PERSONS, connector


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_official_layout_is_loaded_from_schema_dir(tmp_path, entry):
    """A directory laid out as documented (here holding our XSD in the official file's place)."""
    target = tmp_path / entry
    target.parent.mkdir(parents=True)
    target.write_bytes(shipped.load_bytes(SHIPPED_XSD))
    xmeld = connector(schema_dir=tmp_path)
    assert xmeld.schema.official and xmeld.schema.source == str(target.resolve())
    query = xmeld.decode_message(SAMPLE.read_bytes())
    body, _, _ = xmeld.encode_with_notes(query)
    assert xmeld.decode_message(body).document == query.document
    answer = xmeld.decode_message(TWO_PERSONS)
    assert xmeld.decode_message(xmeld.encode_with_notes(answer)[0]).document == answer.document


def test_imports_resolve_from_schema_dir_only(tmp_path):
    """XInneres imports resolve by URL from the directory (../shared's copies); others refused."""
    entry = tmp_path / ENTRY_POINTS[0]
    entry.parent.mkdir(parents=True)
    shutil.copytree(
        SHARED_XOEV / "xinneres" / "xsd-for-26.11", tmp_path / "xinneres" / "xsd-for-26.11"
    )
    shutil.copytree(SHARED_XOEV / "xoev-framework" / "from-xbau26",
                    tmp_path / "xoev-framework" / "from-xbau26")  # fmt: skip
    entry.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="http://www.osci.de/xmeld2511a">'
        '<xs:import namespace="http://www.osci.de/xinneres/datum/2" '
        'schemaLocation="http://www.osci.de/xinneres/datum/2/xinneres-datum.xsd"/>'
        '<xs:import namespace="http://www.osci.de/xinneres/allgemeinername/4" '
        'schemaLocation="http://www.osci.de/xinneres/allgemeinername/4/xinneres-name.xsd"/>'
        "</xs:schema>"
    )
    assert connector(schema_dir=tmp_path).schema.official
    entry.write_text(entry.read_text().replace("http://www.osci.de/xinneres/datum/2/",
                                               "http://example.org/datum/"))  # fmt: skip
    with pytest.raises(ConfigError, match=r"refused to load http://example\.org/datum/"):
        connector(schema_dir=tmp_path)


def test_shared_has_no_compiling_official_set():
    """../shared holds only XMeld 2.4.3, which does not compile: said plainly, not hidden."""
    with pytest.raises(ConfigError) as caught:
        connector(schema_dir=SHARED_XOEV)
    message = str(caught.value)
    assert "no XMeld 25.11a schema set" in message and "2.4.3" in message
    assert "allgemeinername/2" in message


def test_shared_243_message_schema_really_does_not_compile():
    """The fact the docs state: 2.4.3 datenabrufe fails on a missing XInneres module."""
    xsd = SHARED_XOEV / "xmeld" / "xsd-2.4.3" / "xmeld-nachrichten-datenabrufe.xsd"
    parser = etree.XMLParser(no_network=True)
    with pytest.raises(etree.XMLSchemaParseError):
        etree.XMLSchema(etree.parse(str(xsd), parser))


def test_shipped_xsd_text_pattern_is_the_din_91379_repertoire():
    root = etree.fromstring(shipped.load_bytes(SHIPPED_XSD))
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    pattern = root.find("xs:simpleType[@name='Text']/xs:restriction/xs:pattern", ns)
    assert pattern is not None
    expected = etree.fromstring(f'<p v="{xsd_pattern()}"/>').get("v")
    assert pattern.get("value") == expected


def test_schema_is_compiled_once_per_connector(monkeypatch):
    xmeld = connector()
    calls = []
    monkeypatch.setattr(etree, "XMLSchema", lambda *a, **k: calls.append(a))
    xmeld.decode_message(SAMPLE.read_bytes())
    assert calls == []


def test_invalid_output_is_refused(monkeypatch):
    xmeld = connector()
    envelope = xmeld.decode_message(SAMPLE.read_bytes())
    assert envelope.document is not None
    monkeypatch.setattr("connectors.xoev.xmeld.header.PLACEHOLDER", "")
    with pytest.raises(ConnectorError, match="kennung"):
        xmeld.encode_with_notes(
            envelope.__class__(
                envelope.media_type,
                document={k: v for k, v in envelope.document.items() if k != "requester"}
                | {"requester": {"name": "Amt"}},
                kind="PersonQuery",
            )
        )
