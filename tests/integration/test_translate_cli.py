"""`xgw translate` and `xgw connectors list` (issue 3, items 8 and 9)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from connectors.base import ConnectorOptions
from connectors.registry import ENTRY_POINT_GROUP, ConnectorRegistry
from gateway import cli
from tests.integration.federation import kept_logging


def main(argv: list[str]) -> int:
    """``xgw ...`` in-process, leaving pytest's log handlers in place."""
    with kept_logging():
        return cli.main(argv)


BRP_SEARCH = {
    "type": "ZoekMetGeslachtsnaamEnGeboortedatum",
    "geslachtsnaam": "Müller",
    "geboortedatum": "1984-03-12",
    "fields": ["naam", "geboorte"],
}


def test_connectors_list_names_every_built_in_connector(capsys):
    assert main(["connectors", "list", "--json"]) == 0
    names = json.loads(capsys.readouterr().out)
    for name in (
        "opaque",
        "nl.brp",
        "xoev.xmeld",
        "xoev.xgewerbeanzeige",
        "ee.ariregister",
        "ee.rahvastikuregister",
        "nl.kvk",
        "be.magda",
        "xoev.xpersonenstand",
    ):
        assert name in names


def test_translate_to_canonical_prints_the_document(tmp_path: Path, capsys):
    source = tmp_path / "query.json"
    source.write_bytes(orjson.dumps(BRP_SEARCH))
    code = main(
        [
            "translate",
            "--from",
            "nl.brp",
            "--to",
            "canonical",
            "--media-type",
            "application/json",
            str(source),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    message = json.loads(out)
    assert message["kind"] == "PersonQuery"
    assert message["document"]["familyName"] == "Müller"  # the umlaut survives
    assert message["document"]["birthDate"] == "1984-03-12"


def test_translate_invalid_input_exits_1_with_the_reason(tmp_path: Path, capsys):
    source = tmp_path / "bad.json"
    source.write_bytes(orjson.dumps({**BRP_SEARCH, "geboortedatum": "12-03-1984"}))
    code = main(
        [
            "translate",
            "--from",
            "nl.brp",
            "--to",
            "xoev.xmeld",
            "--media-type",
            "application/json",
            str(source),
        ]
    )
    assert code == 1
    assert "geboortedatum" in capsys.readouterr().err


def test_translate_between_two_formats_reports_what_the_target_cannot_carry(tmp_path: Path, capsys):
    source = tmp_path / "query.json"
    source.write_bytes(orjson.dumps(BRP_SEARCH))
    # XMeld needs who asks and why: a BRP search does not say, so it is refused by name.
    code = main(
        [
            "translate",
            "--from",
            "nl.brp",
            "--to",
            "xoev.xmeld",
            "--media-type",
            "application/json",
            str(source),
        ]
    )
    assert code == 1
    assert "requester" in capsys.readouterr().err


def _announce(root: Path, name: str, entry: str) -> None:
    """A throwaway installed distribution that announces one xgw connector."""
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry}\n")


def test_an_outside_connector_is_found_through_the_entry_point_group(tmp_path, monkeypatch):
    package = tmp_path / "xgw_lu_demo"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent("""
        from connectors.opaque import OpaqueConnector

        class RnppConnector(OpaqueConnector):
            name = "lu.rnpp"
    """)
    )
    _announce(tmp_path, "xgw_lu_demo", "lu.rnpp = xgw_lu_demo:RnppConnector")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = ConnectorRegistry.default(ConnectorOptions())
    assert "lu.rnpp" in registry.names()
    assert registry.get("lu.rnpp").name == "lu.rnpp"
    sys.modules.pop("xgw_lu_demo", None)


def test_a_broken_outside_connector_is_logged_and_left_out(tmp_path, monkeypatch, caplog):
    _announce(tmp_path, "xgw_broken", "broken = no_such_module:Nothing")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = ConnectorRegistry.default(ConnectorOptions())
    assert "broken" not in registry.names()
    assert "connector entry point broken could not be loaded" in caplog.text


@pytest.mark.parametrize("name", ["nope", "xoev"])
def test_an_unknown_format_is_named(tmp_path: Path, capsys, name: str):
    source = tmp_path / "x.json"
    source.write_bytes(b"{}")
    assert main(["translate", "--from", name, "--to", "canonical", str(source)]) == 1
    assert name in capsys.readouterr().err
