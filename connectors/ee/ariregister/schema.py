"""The XSD ``detailandmed_v2`` messages are validated with: the official one or xgw's compact one.

Usage::

    xsd = AriregisterSchema.load(options.schema_dir)   # once, when the connector is built
    xsd.source                                         # the file it was compiled from
    xsd.check(element)                                 # ConnectorError naming the element

With a schema directory, the official RIK schema is read from
``<schema_dir>/partners/estonia/ariregister/xsd/detailandmed_v2.xsd`` (the layout
of the reference data, so the directory can be pointed at a copy of it). Without
one, or when that file is not there (a warning names the path), the compact
schema xgw ships is used: ``schemas/ee/ariregister/detailandmed_v2.v1.xsd``,
derived from the official one (see its header comment).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from gateway import shipped
from gateway.errors import ConfigError, ConnectorError

__all__ = ["OFFICIAL_PATH", "SHIPPED_NAME", "AriregisterSchema"]

OFFICIAL_PATH = Path("partners/estonia/ariregister/xsd/detailandmed_v2.xsd")
SHIPPED_NAME = "ee/ariregister/detailandmed_v2.v1.xsd"

_logger = logging.getLogger(__name__)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_REMOTE = re.compile(rb"schemaLocation\s*=\s*[\"'][a-zA-Z][a-zA-Z0-9+.-]*://")
# lxml quotes the offending value; messages reach logs and partners: say that it failed, not what.
_VALUE = re.compile(r"'[^']*' is not (a valid value|accepted|facet-valid|an element of)")


@dataclass(frozen=True)
class AriregisterSchema:
    schema: etree.XMLSchema
    source: str

    @classmethod
    def load(cls, schema_dir: Path | None) -> AriregisterSchema:
        if schema_dir is not None:
            official = schema_dir / OFFICIAL_PATH
            if official.is_file():
                return cls(_compile(official.read_bytes(), official.as_uri()), str(official))
            _logger.warning(
                "ee.ariregister: %s not found; validating with xgw's compact schema", official
            )
        return cls(_compile(shipped.load_bytes(SHIPPED_NAME), None), f"xgw_schemas/{SHIPPED_NAME}")

    def check(self, element: etree._Element) -> None:
        """Raise ConnectorError naming the first violation's element path and reason."""
        if self.schema.validate(element):
            return
        errors: Any = self.schema.error_log  # lxml-stubs lack its sequence methods
        error = errors[0]
        message = _VALUE.sub(r"the value is not \1", error.message)
        raise ConnectorError(f"{error.path}: {message}")


def _compile(xsd: bytes, base_url: str | None) -> etree.XMLSchema:
    if _REMOTE.search(xsd):
        raise ConfigError("translation.schema_dir", f"{base_url}: the XSD imports from the network")
    try:
        document = etree.fromstring(xsd, _PARSER, base_url=base_url or SHIPPED_NAME)
        return etree.XMLSchema(document)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ConfigError("translation.schema_dir", f"{base_url or SHIPPED_NAME}: {exc}") from exc
