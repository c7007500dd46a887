"""The XSD a message is checked against: the official 26.11 set, or the subset xgw ships.

Usage::

    schema = PortalSchema.load(options.schema_dir)   # once, at start
    schema.source                                    # "official: <file>" or "shipped: <file>"
    schema.check(tree)                               # ConnectorError: element, line, reason

With a schema directory that holds the XPersonenstand 26.11 set (layouts in
:mod:`.resolver`), the official set is compiled from it, imports resolved offline. With
no schema directory, or one without XPersonenstand, xgw's own subset schema for the two
messages it handles is used (``schemas/xoev/xpersonenstand/``): it checks structure,
cardinalities, fixed values, dates and DIN 91379 texts, not the code lists.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.xoev.xpersonenstand.resolver import ENTRY_POINTS, SchemaResolver
from gateway import shipped
from gateway.errors import ConnectorError

__all__ = ["OFFICIAL_ID", "SHIPPED_ID", "SHIPPED_XSD", "PortalSchema"]

_logger = logging.getLogger("gateway.connector.xoev.xpersonenstand")

SHIPPED_XSD = "xoev/xpersonenstand/portal2sta-geburt-sterbefall.v1.xsd"
SHIPPED_ID = f"xgw:{SHIPPED_XSD}"
OFFICIAL_ID = "urn:xoev-de:kosit:standard:xinneres.xpersonenstand_26.11:portale"

# libxml2 quotes the offending value; documents carry personal data, so it is cut out.
_VALUE = re.compile(r"The value '.*?' (is not|has a length|is not accepted)", re.DOTALL)
_PATTERN = re.compile(r" by the pattern '.*'", re.DOTALL)
_ATOMIC = re.compile(r"'[^']*' is not a valid value of", re.DOTALL)
_NAMESPACE = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class PortalSchema:
    schema: etree.XMLSchema
    source: str  # where it came from, for operators
    schema_id: str
    official: bool

    @classmethod
    def load(cls, schema_dir: Path | None) -> PortalSchema:
        if schema_dir is not None and any((schema_dir / e).is_file() for e in ENTRY_POINTS):
            resolver = SchemaResolver.official(schema_dir)
            assert resolver.entry_point is not None
            schema = resolver.compile(resolver.entry_point)
            return cls(schema, f"official: {resolver.entry_point}", OFFICIAL_ID, True)
        if schema_dir is not None:
            _logger.warning(
                "no XPersonenstand 26.11 set under %s; validating with xgw's subset schema",
                schema_dir,
            )
        schema = SchemaResolver.sealed().compile(shipped.load_bytes(SHIPPED_XSD))
        return cls(schema, f"shipped: {SHIPPED_XSD}", SHIPPED_ID, False)

    def check(self, tree: etree._ElementTree | etree._Element, what: str = "message") -> None:
        """ConnectorError naming the first violation (path, line, reason) if invalid."""
        if self.schema.validate(tree):
            return
        errors: Any = self.schema.error_log  # indexable; lxml-stubs say otherwise
        error = errors[0]
        raise ConnectorError(
            f"XPersonenstand 26.11 {what} invalid ({'official' if self.official else 'xgw'} "
            f"schema): line {error.line}: {_short_path(error.path)}: {_reason(error.message)}"
        )


def _short_path(path: str | None) -> str:
    return _NAMESPACE.sub("", path or "?")


def _reason(message: str) -> str:
    """libxml2's message without the offending value or the (long) pattern."""
    message = _VALUE.sub(lambda m: f"The value {m.group(1)}", message)
    message = _PATTERN.sub(" by the pattern of its type", message)
    message = _ATOMIC.sub("the value is not a valid value of", message)
    return _NAMESPACE.sub("", message).strip()
