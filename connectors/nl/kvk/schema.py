"""The KvK Basisprofiel schemas nl.kvk validates with: shipped, or the official OpenAPI document.

Usage::

    schemas = load_schemas(None)                        # schemas/nl/kvk/basisprofiel.v1.json
    schemas = load_schemas(Path("/etc/xgw/schemas"))    # <dir>/partners/netherlands/kvk/...
    schemas.check(BASISPROFIEL, document)               # ConnectorError names path and rule

The official document is YAML (OpenAPI 3.0.2); reading it needs PyYAML, which is
imported only when a schema directory is configured. The shipped schema is the
same derivation (:func:`derive_basisprofiel`) of that document, regenerated with
``python -m connectors.nl.kvk.derive OPENAPI.yaml``; a test keeps the two equal.
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
    "BASISPROFIEL",
    "KVK_NUMMER",
    "OFFICIAL_PATH",
    "SCHEMA_ID",
    "SHIPPED",
    "derive_basisprofiel",
    "load_official",
    "load_schemas",
]

SHIPPED = "nl/kvk/basisprofiel.v1.json"
# Where the official document lies under the operator's schema directory (the layout of ../shared).
OFFICIAL_PATH = Path("partners/netherlands/kvk/basisprofiel-openapi-v1.5.0.yaml")
SCHEMA_ID = "urn:xgw:nl:kvk:basisprofiel:1"
BASISPROFIEL = "Basisprofiel"
KVK_NUMMER = "kvkNummer"  # the path parameter of GET /basisprofielen/{kvkNummer}
PATH = "/basisprofielen/{kvkNummer}"
SOURCE = (
    "Derived by xgw (connectors.nl.kvk.derive) from the KvK API Basisprofiel OpenAPI document "
    "(info.version {version}): the components.schemas that Basisprofiel uses, with references "
    "pointing to $defs, plus the schema of the path parameter kvkNummer of GET {path}."
)


def derive_basisprofiel(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of the response and the path parameter nl.kvk handles."""
    parameters = openapi["paths"][PATH]["get"]["parameters"]
    kvk = next(p["schema"] for p in parameters if p["name"] == KVK_NUMMER)
    return derive(
        openapi,
        (BASISPROFIEL,),
        schema_id=SCHEMA_ID,
        description=SOURCE.format(version=openapi["info"]["version"], path=PATH),
        extra={KVK_NUMMER: kvk},
    )


def load_official(path: Path) -> Any:
    """The official OpenAPI document (YAML, or JSON if the file name ends in .json)."""
    if path.suffix == ".json":
        return orjson.loads(path.read_bytes())
    import yaml  # only an operator's schema directory needs PyYAML

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"not YAML: {exc}") from exc


def load_schemas(schema_dir: Path | None) -> CompiledSchemas:
    if schema_dir is None:
        derived = shipped.load_json(SHIPPED)
    else:
        path = schema_dir / OFFICIAL_PATH
        try:
            derived = derive_basisprofiel(load_official(path))
        except (OSError, ValueError, KeyError, StopIteration, ImportError) as exc:
            problem = f"nl.kvk needs the official KvK Basisprofiel OpenAPI at {path}: {exc}"
            raise ConfigError("translation.schema_dir", problem) from exc
    return CompiledSchemas(derived, (BASISPROFIEL, KVK_NUMMER), prefix="nl.kvk")
