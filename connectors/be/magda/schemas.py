"""The MAGDA schemas, compiled once: the operator's official set when configured, else xgw's own.

Usage::

    schemas = MagdaSchemas.load(options.schema_dir)    # cached per directory
    schemas.validate("GeefPersoonResponse", element)   # ConnectorError names the element
    schemas.origin["GeefPersoonResponse"]              # "official" or "xgw"

The official answer XSDs are read from ``<schema_dir>/partners/belgium/magda/xsd/``, the layout
of the reference data (``../shared``) and of the MAGDA-Mock ``simulator_xsd`` folder::

    Persoon.GeefPersoonDienst-02.02/WebService/GeefPersoonResponse.xsd
    Onderneming.GeefOndernemingDienst-02.00/WebService/GeefOndernemingResponse.xsd
    Onderneming.GeefOndernemingVKBODienst-02.00/WebService/GeefOndernemingVKBOResponse.xsd
    Generiek/, Generiek-02.00/, Persoon/, Persoon-02.00/, Onderneming-02.00/, Sleutel-02.00/

Their imports resolve inside that folder only, never from the network. The reference set lacks
``Sleutel-02.00/Sleutel.xsd``; when the operator's folder lacks it too, xgw's stand-in
(``schemas/be/magda/Sleutel-02.00-standin.xsd``) is served in its place. A message whose official
XSD is absent, and every request (MAGDA publishes no request XSD in that set), is validated with
the compact schema xgw ships in ``schemas/be/magda/`` (derived from the official ones).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from pathlib import Path
from typing import Any

from lxml import etree

from gateway import shipped
from gateway.errors import ConfigError, ConnectorError

__all__ = ["MESSAGES", "OFFICIAL_DIR", "MagdaSchemas"]

_logger = logging.getLogger(__name__)

OFFICIAL_DIR = Path("partners", "belgium", "magda", "xsd")
_SHIPPED_DIR = "be/magda/"
_SHIPPED_SCHEME = "xgw-schemas:/be/magda/"
_STANDIN = "Sleutel-02.00-standin.xsd"

# message (the payload's root element) -> (official XSD under OFFICIAL_DIR or None, shipped XSD)
MESSAGES: dict[str, tuple[str | None, str]] = {
    "GeefPersoonResponse": (
        "Persoon.GeefPersoonDienst-02.02/WebService/GeefPersoonResponse.xsd",
        "GeefPersoonResponse-02.02.xsd",
    ),
    "GeefOndernemingResponse": (
        "Onderneming.GeefOndernemingDienst-02.00/WebService/GeefOndernemingResponse.xsd",
        "GeefOndernemingResponse-02.00.xsd",
    ),
    "GeefOndernemingVKBOResponse": (
        "Onderneming.GeefOndernemingVKBODienst-02.00/WebService/GeefOndernemingVKBOResponse.xsd",
        "GeefOndernemingVKBOResponse-02.00.xsd",
    ),
    "GeefPersoon": (None, "GeefPersoon-02.02.xsd"),
    "GeefOnderneming": (None, "GeefOnderneming-02.00.xsd"),
}


class MagdaSchemas:
    """One compiled XMLSchema per MAGDA message."""

    def __init__(self, schemas: dict[str, etree.XMLSchema], origin: dict[str, str]) -> None:
        self._schemas = schemas
        self.origin = origin

    @classmethod
    def load(cls, schema_dir: Path | None) -> MagdaSchemas:
        return _load(None if schema_dir is None else Path(schema_dir).resolve())

    def validate(self, message: str, element: etree._Element) -> None:
        """Raise ConnectorError naming the first violation (element path and rule, no value)."""
        schema = self._schemas[message]
        if not schema.validate(element):
            log: Any = schema.error_log  # lxml-stubs do not know it is a sequence
            error = log[0]
            where = error.path or f"line {error.line}"
            raise ConnectorError(f"{message} fails its schema: {where}: {_without_values(error)}")


@functools.cache
def _load(schema_dir: Path | None) -> MagdaSchemas:
    schemas: dict[str, etree.XMLSchema] = {}
    origin: dict[str, str] = {}
    official_root = None if schema_dir is None else schema_dir / OFFICIAL_DIR
    for message, (official, own) in MESSAGES.items():
        path = None if official_root is None or official is None else official_root / official
        if path is not None and official_root is not None and path.is_file():
            schemas[message], origin[message] = _compile_official(path, official_root), "official"
        else:
            if path is not None:
                _logger.warning("no official XSD %s: %s validated with xgw's schema", path, message)
            schemas[message], origin[message] = _compile_shipped(own), "xgw"
    return MagdaSchemas(schemas, origin)


class _ShippedResolver(etree.Resolver):
    """Serves xgw's own schema files, and nothing else."""

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:  # type: ignore[override]
        if url and url.startswith(_SHIPPED_SCHEME):
            name = _SHIPPED_DIR + url[len(_SHIPPED_SCHEME) :]
            return self.resolve_string(shipped.load_bytes(name), context, base_url=url)
        return self.resolve_string(b"", context, base_url=None)  # anything else fails


class _OfficialResolver(etree.Resolver):
    """Resolves imports inside the official folder; supplies the Sleutel stand-in if missing."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = str(root) + os.sep

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:  # type: ignore[override]
        path = os.path.normpath(url.removeprefix("file://")) if url else ""
        if not path.startswith(self.root):
            return self.resolve_string(b"", context, base_url=None)  # network, or outside
        if path.endswith(os.path.join("Sleutel-02.00", "Sleutel.xsd")) and not os.path.isfile(path):
            _logger.info("Sleutel-02.00/Sleutel.xsd missing in %s: using xgw's stand-in", self.root)
            return self.resolve_string(
                shipped.load_bytes(_SHIPPED_DIR + _STANDIN), context, base_url=None
            )
        return None  # the file itself


def _parser(resolver: etree.Resolver) -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(resolver)
    return parser


def _compile_official(path: Path, root: Path) -> etree.XMLSchema:
    try:
        document = etree.parse(str(path), _parser(_OfficialResolver(root)))
        return etree.XMLSchema(document)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ConfigError("schema_dir", f"the MAGDA schema {path} does not compile: {exc}") from exc


def _compile_shipped(name: str) -> etree.XMLSchema:
    document = etree.fromstring(
        shipped.load_bytes(_SHIPPED_DIR + name), _parser(_ShippedResolver()),
        base_url=_SHIPPED_SCHEME + name,
    )  # fmt: skip
    return etree.XMLSchema(document.getroottree())


_VALUE = re.compile(r"The value '[^']*'")
_ATOMIC = re.compile(r"(Element '[^']*'(?:, attribute '[^']*')?: )'[^']*'")


def _without_values(error: Any) -> str:
    """libxml2's message with the offending value left out (it may be personal data)."""
    message = _VALUE.sub("The value", str(error.message))
    return _ATOMIC.sub(r"\1the value", message)
