"""Offline schema resolution: XÖV URLs map to the schema directory, everything else is refused."""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path

import pytest

from connectors.base import ConnectorOptions
from connectors.xoev.xpersonenstand import XPersonenstandConnector
from connectors.xoev.xpersonenstand.resolver import SchemaResolver
from gateway.errors import ConfigError
from tests.connectors.xoev.test_xpersonenstand_support import SHARED_XOEV, VALID_SAMPLE

_IMPORT = (
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
    '<xs:import namespace="urn:x" schemaLocation="{url}"/>'
    '<xs:element name="a"/></xs:schema>'
)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://example.invalid/evil.xsd",
        "https://xoev.de/schemata/other/1_0/thing.xsd",
        "http://www.osci.de/xinneres/../../../../etc/hostname",
        "file:///etc/hostname",
        "/etc/hostname",
    ],
)
def test_an_import_of_an_unknown_url_fails_without_network(url, no_network):
    resolver = SchemaResolver.official(SHARED_XOEV)
    with pytest.raises(ConfigError) as refused:
        resolver.compile(_IMPORT.format(url=url).encode())
    assert f"refused to load {url}" in refused.value.message
    assert resolver.refused == [url]
    assert no_network == []


def test_the_official_set_compiles_offline(no_network):
    resolver = SchemaResolver.official(SHARED_XOEV)
    assert resolver.entry_point is not None
    resolver.compile(resolver.entry_point)
    assert resolver.refused == []
    assert no_network == []


def test_known_urls_map_into_the_schema_directory_only():
    resolver = SchemaResolver.official(SHARED_XOEV)
    datum = resolver.locate("http://www.osci.de/xinneres/datum/2/xinneres-datum.xsd")
    assert datum == (SHARED_XOEV / "xinneres/xsd-for-26.11/datum/2/xinneres-datum.xsd").resolve()
    din = "https://xoev.de/schemata/din/91379/2022-08/din-norm-91379-datatypes.xsd"
    assert resolver.locate(din) is not None
    assert resolver.locate("http://www.osci.de/xinneres/datum/9/missing.xsd") is None
    assert resolver.locate(str(VALID_SAMPLE)) is not None  # a file inside the directory
    assert resolver.locate(str(Path(__file__))) is None  # a file outside it
    assert SchemaResolver.sealed().locate(str(VALID_SAMPLE)) is None


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def test_the_url_mirror_layout_is_understood(tmp_path, no_network):
    """An operator's directory laid out like the URLs (host/path), as XRepository names them."""
    for xsd in (SHARED_XOEV / "xpersonenstand/26.11/xsd").glob("*.xsd"):
        _copy(xsd, tmp_path / "xpsw.domap.de/xpsw2611" / xsd.name)
    for xsd in (SHARED_XOEV / "xinneres/xsd-for-26.11").rglob("*.xsd"):
        relative = xsd.relative_to(SHARED_XOEV / "xinneres/xsd-for-26.11")
        _copy(xsd, tmp_path / "www.osci.de/xinneres" / relative)
    framework = SHARED_XOEV / "xoev-framework/from-xbau26"
    for name, url_path in (
        ("xoev-basisnachricht-unqualified-g2g_1.1.xsd", "basisnachricht/unqualified/g2g/1_1"),
        ("din-norm-91379-datatypes.xsd", "din/91379/2022-08"),
        ("xoev-code.xsd", "code/1_0"),
    ):
        _copy(framework / name, tmp_path / "xoev.de/schemata" / url_path / name)
    connector = XPersonenstandConnector(ConnectorOptions(schema_dir=tmp_path))
    assert connector.schema.official
    assert str(tmp_path) in connector.schema.source
    assert connector.decode_message(VALID_SAMPLE.read_bytes()).kind == "Person"


def test_an_incomplete_official_set_is_a_config_error_at_start(tmp_path):
    for xsd in (SHARED_XOEV / "xpersonenstand/26.11/xsd").glob("*.xsd"):
        _copy(xsd, tmp_path / "xpersonenstand/26.11/xsd" / xsd.name)
    with pytest.raises(ConfigError, match=r"refused to load http://xoev\.de/schemata/code/"):
        XPersonenstandConnector(ConnectorOptions(schema_dir=tmp_path))


def test_a_schema_directory_without_xpersonenstand_falls_back_to_the_shipped_subset(
    tmp_path, caplog
):
    with caplog.at_level(logging.WARNING):
        connector = XPersonenstandConnector(ConnectorOptions(schema_dir=tmp_path))
    assert not connector.schema.official
    assert connector.schema_ids == ("xgw:xoev/xpersonenstand/portal2sta-geburt-sterbefall.v1.xsd",)
    assert "no XPersonenstand 26.11 set" in caplog.text


def test_official_requires_the_set():
    with pytest.raises(ConfigError, match=r"no XPersonenstand 26\.11 schema set"):
        SchemaResolver.official(SHARED_XOEV / "xgewerbeanzeige")
