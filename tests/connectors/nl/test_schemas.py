"""The shipped Dutch schemas are the derivation of the official OpenAPI documents in ../shared."""

from __future__ import annotations

import orjson
import pytest

from connectors.nl import _openapi
from connectors.nl.brp import schema as brp_schema
from connectors.nl.kvk import schema as kvk_schema
from gateway import shipped
from gateway.errors import ConfigError, ConnectorError
from tests.connectors.nl.reference import (
    BRP_OPENAPI,
    KVK_OPENAPI,
    SHARED,
    brp_openapi,
    brp_validators,
    kvk_openapi,
)

_DUMP = orjson.OPT_INDENT_2


def test_the_shipped_brp_schema_is_derived_from_the_official_openapi():
    derived = brp_schema.derive_personen(brp_openapi())
    assert shipped.load_json(brp_schema.SHIPPED) == derived
    assert shipped.load_bytes(brp_schema.SHIPPED) == orjson.dumps(derived, option=_DUMP) + b"\n"
    assert "2.7.0" in derived["description"]


def test_the_shipped_kvk_schema_is_derived_from_the_official_openapi():
    derived = kvk_schema.derive_basisprofiel(kvk_openapi())
    assert shipped.load_json(kvk_schema.SHIPPED) == derived
    assert shipped.load_bytes(kvk_schema.SHIPPED) == orjson.dumps(derived, option=_DUMP) + b"\n"
    assert derived["$defs"]["kvkNummer"] == {"pattern": "^[0-9]{8}$", "type": "string"}


def test_the_official_files_are_found_in_the_layout_of_shared():
    assert SHARED / brp_schema.OFFICIAL_PATH == BRP_OPENAPI
    assert SHARED / kvk_schema.OFFICIAL_PATH == KVK_OPENAPI


def test_the_derive_tools_write_what_is_shipped(tmp_path, monkeypatch):
    from connectors.nl.brp import derive as brp_derive
    from connectors.nl.kvk import derive as kvk_derive

    for module, source, name in (
        (brp_derive, BRP_OPENAPI, brp_schema.SHIPPED),
        (kvk_derive, KVK_OPENAPI, kvk_schema.SHIPPED),
    ):
        monkeypatch.setattr(module, "_SCHEMAS", tmp_path)
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        assert module.main([str(source)]) == 0
        assert (tmp_path / name).read_bytes() == shipped.load_bytes(name)
        assert module.main([]) == 2


def test_a_broken_official_kvk_document_is_a_config_error(tmp_path):
    path = tmp_path / kvk_schema.OFFICIAL_PATH
    path.parent.mkdir(parents=True)
    path.write_text("openapi: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="basisprofiel-openapi"):
        kvk_schema.load_schemas(tmp_path)


# --- what the derivation adds to plain JSON Schema ------------------------------------------

OPENAPI = {
    "components": {
        "schemas": {
            "Datum": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"type": "string"}},
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {"Jaar": "#/components/schemas/Jaar"},
                },
            },
            "Jaar": {
                "allOf": [
                    {"$ref": "#/components/schemas/Datum"},
                    {"properties": {"jaar": {"type": "integer"}}},
                ],
                "required": ["jaar"],
            },
            "Holder": {"properties": {"datum": {"$ref": "#/components/schemas/Datum"},
                                      "note": {"type": "string", "nullable": True}}},
            "Unused": {"type": "string"},
        }
    }
}  # fmt: skip


def test_a_discriminator_is_enforced_and_nullable_admits_null():
    derived = _openapi.derive(OPENAPI, ("Holder",), schema_id="urn:t", description="t")
    assert set(derived["$defs"]) == {"Holder", "Datum", "Datum__base", "Jaar"}
    schemas = _openapi.CompiledSchemas(derived, ("Holder",), prefix="t")
    schemas.check("Holder", {"datum": {"type": "Jaar", "jaar": 1985}, "note": None})
    with pytest.raises(ConnectorError, match=r"t: \$\.datum: missing required property 'jaar'"):
        schemas.check("Holder", {"datum": {"type": "Jaar"}})
    with pytest.raises(ConnectorError, match=r"\$\.datum\.type: is not one of \['Jaar'\]"):
        schemas.check("Holder", {"datum": {"type": "Maand"}})
    assert not schemas.is_valid("Holder", {"note": 1})


def test_without_the_discriminator_the_official_schema_lets_a_date_without_its_value_pass():
    """Why nl.brp does not validate with plain JSON Schema semantics alone."""
    persoon = {"geboorte": {"datum": {"type": "Datum", "langFormaat": "1 mei 2000"}}}
    plain, discriminated = brp_validators("Persoon")
    assert plain.is_valid(persoon)
    assert not discriminated.is_valid(persoon)


def test_json_path_and_unknown_components():
    assert _openapi.json_path(["personen", 0, "naam"]) == "$.personen[0].naam"
    with pytest.raises(KeyError, match=r"components\.schemas\.Nope"):
        _openapi.derive(OPENAPI, ("Nope",), schema_id="urn:t", description="t")
