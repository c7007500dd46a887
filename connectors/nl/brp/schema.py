"""The BRP Personen schemas nl.brp validates with: shipped, or the official OpenAPI document.

Usage::

    schemas = load_schemas(None)                        # schemas/nl/brp/personen.v1.json
    schemas = load_schemas(Path("/etc/xgw/schemas"))    # <dir>/partners/netherlands/...
    schemas.check(REQUEST, body)                        # ConnectorError names path and rule

The shipped schema is derived from the official ``openapi-resolved.json`` by
:func:`derive_personen` (regenerate with ``python -m connectors.nl.brp.derive
OPENAPI.json``); with an operator's schema directory the same derivation runs on
the official file at start, so both validate alike. A test keeps the shipped copy
equal to the derivation of the official document.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from connectors.nl._openapi import CompiledSchemas, derive
from gateway import shipped
from gateway.errors import ConfigError

__all__ = [
    "OFFICIAL_PATH",
    "QUERY_TYPES",
    "REQUEST",
    "RESPONSE",
    "SCHEMA_ID",
    "SHIPPED",
    "derive_personen",
    "load_derived",
    "load_schemas",
]

SHIPPED = "nl/brp/personen.v1.json"
# Where the official document lies under the operator's schema directory (the layout of ../shared).
OFFICIAL_PATH = Path("partners/netherlands/haal-centraal-brp-bevragen/openapi-resolved.json")
SCHEMA_ID = "urn:xgw:nl:brp:personen:1"
REQUEST = "PersonenQuery"
RESPONSE = "PersonenQueryResponse"
QUERY_TYPES = ("RaadpleegMetBurgerservicenummer", "ZoekMetGeslachtsnaamEnGeboortedatum")
SOURCE = (
    "Derived by xgw (connectors.nl.brp.derive) from the Haal Centraal BRP Personen API "
    "OpenAPI document, BRP-API/Haal-Centraal-BRP-bevragen specificatie/resolved/openapi.json "
    "(info.version {version}, EUPL-1.2): the components.schemas that PersonenQuery and "
    "PersonenQueryResponse use, restricted to the query types {types}; references point to "
    "$defs and every discriminator is expressed as if/then on its property."
)


def derive_personen(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of the requests and responses nl.brp handles, from the official OpenAPI."""
    return derive(
        openapi,
        (REQUEST, RESPONSE),
        schema_id=SCHEMA_ID,
        description=SOURCE.format(version=openapi["info"]["version"], types=", ".join(QUERY_TYPES)),
        only={REQUEST: QUERY_TYPES, RESPONSE: QUERY_TYPES},
    )


def load_derived(schema_dir: Path | None) -> dict[str, Any]:
    """The derived schema: the shipped one, or the official document's derivation."""
    if schema_dir is None:
        return shipped.load_json(SHIPPED)  # type: ignore[no-any-return]
    path = schema_dir / OFFICIAL_PATH
    try:
        return derive_personen(orjson.loads(path.read_bytes()))
    except (OSError, orjson.JSONDecodeError, KeyError) as exc:
        problem = f"nl.brp needs the official Haal Centraal OpenAPI at {path}: {exc}"
        raise ConfigError("translation.schema_dir", problem) from exc


def load_schemas(
    schema_dir: Path | None, derived: Mapping[str, Any] | None = None
) -> CompiledSchemas:
    if derived is None:
        derived = load_derived(schema_dir)
    return CompiledSchemas(derived, (REQUEST, RESPONSE), prefix="nl.brp")
