"""Bytes <-> lxml tree for XGewerbeanzeige 2.x, validated with the compiled XSDs.

Usage::

    schemas = SchemaSet(schema_dir=None)          # the shipped subset XSDs, compiled once
    root = parse(body)                            # no network, no DTD, no entities
    version = version_of(root)                    # "2.0" | "2.1" | "2.2", or ConnectorError
    schemas.check(version, root, "input")         # ConnectorError: line, element path, reason
    schemas.check(version, parse_written(body), "output")   # a message xgw wrote as text

The schema of each version is ``xgewerbeanzeige/<version>/xgewerbeanzeige.xsd``: under the
operator's schema directory when it has one for that version, else the one xgw ships
(``schemas/xoev/xgewerbeanzeige/``). Imports of ``http(s)://`` locations resolve to the same
path under the schema directory (``<schema_dir>/<host>/<path>``); the network is never used.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from gateway import shipped
from gateway.errors import ConnectorError

__all__ = [
    "DATML_RAW_NAMESPACE",
    "NAMESPACES",
    "VERSIONS",
    "SchemaSet",
    "namespace",
    "parse",
    "parse_written",
    "version_of",
]

_logger = logging.getLogger(__name__)

VERSIONS: tuple[str, ...] = ("2.0", "2.1", "2.2")
NAMESPACES: dict[str, str] = {
    f"http://www.xgewerbeanzeige.de/spezifikation/{v}": v for v in VERSIONS
}
DATML_RAW_NAMESPACE = "http://www.destatis.de/schema/datml-raw/2.0/de"
_SHIPPED_DIR = "xoev/xgewerbeanzeige"
_SCHEMA_FILE = "xgewerbeanzeige.xsd"
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
}
# For text xgw wrote itself: no size limit, which building the tree did not have either.
_WRITTEN_OPTIONS: dict[str, Any] = {**_PARSER_OPTIONS, "huge_tree": True}


def namespace(version: str) -> str:
    return f"http://www.xgewerbeanzeige.de/spezifikation/{version}"


class _LocalResolver(etree.Resolver):
    """``http(s)://host/path`` -> ``<root>/host/path`` when that file exists; nothing else."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()

    def resolve(  # type: ignore[override]  # lxml passes a context the stubs omit
        self, system_url: str | None, public_id: str | None, context: Any
    ) -> Any:
        match = re.match(r"https?://([^/]+)/(.*)", system_url or "")
        if match is None:
            return None
        candidate = (self.root / match[1] / match[2]).resolve()
        if candidate.is_relative_to(self.root) and candidate.is_file():
            resolver: Any = self  # resolve_filename is missing from lxml-stubs
            return resolver.resolve_filename(str(candidate), context)
        return None


class SchemaSet:
    """The compiled XSD of every supported version, and where each came from."""

    def __init__(self, schema_dir: Path | None = None) -> None:
        self.schema_dir = schema_dir
        self.sources: dict[str, str] = {}
        self._schemas: dict[str, etree.XMLSchema] = {}
        for version in VERSIONS:
            self._schemas[version], self.sources[version] = self._compile(version)

    def _compile(self, version: str) -> tuple[etree.XMLSchema, str]:
        if self.schema_dir is not None:
            candidate = self.schema_dir / "xgewerbeanzeige" / version / _SCHEMA_FILE
            if candidate.is_file():
                return _compile_file(candidate, self.schema_dir), str(candidate)
            _logger.info(
                "no XGewerbeanzeige %s schema at %s; using the one xgw ships", version, candidate
            )
        with resources.as_file(shipped.path(f"{_SHIPPED_DIR}/{version}/{_SCHEMA_FILE}")) as file:
            return _compile_file(Path(file), None), f"shipped:{_SHIPPED_DIR}/{version}"

    def check(self, version: str, root: etree._Element, what: str) -> None:
        """ConnectorError naming line, element path and reason of the first violation."""
        schema = self._schemas[version]
        if schema.validate(root):
            return
        log: Any = schema.error_log  # indexable at run time; not in lxml-stubs
        error = log[0]
        where = f"line {error.line}, " if what == "input" and error.line else ""
        raise ConnectorError(
            f"XGewerbeanzeige {version} {what} fails the schema: {where}"
            f"{_clean_path(error.path)}: {_clean_message(error.message)}"
        )


def _compile_file(path: Path, schema_dir: Path | None) -> etree.XMLSchema:
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    if schema_dir is not None:
        parser.resolvers.add(_LocalResolver(schema_dir))
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError, OSError) as exc:
        raise ConnectorError(f"XGewerbeanzeige schema {path} does not compile: {exc}") from exc


def parse(body: bytes) -> etree._Element:
    """The root element of a well-formed document without DTD; ConnectorError otherwise."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ConnectorError(f"XGewerbeanzeige input is not well-formed XML: {exc}") from exc
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype:
        raise ConnectorError("XGewerbeanzeige input has a DOCTYPE, which is not accepted")
    return root


def version_of(root: etree._Element) -> str:
    """The 2.x version named by the root's namespace; ConnectorError for anything else."""
    tag = root.tag if isinstance(root.tag, str) else ""
    ns = tag[1 : tag.find("}")] if tag.startswith("{") else ""
    if ns in NAMESPACES:
        return NAMESPACES[ns]
    local = tag[tag.find("}") + 1 :]
    if ns == DATML_RAW_NAMESPACE:
        raise ConnectorError(
            f"unsupported version: {local} is XGewerbeanzeige 1.3 (DatML/RAW); "
            f"xgw reads and writes XGewerbeanzeige {', '.join(VERSIONS)} only"
        )
    raise ConnectorError(
        f"not an XGewerbeanzeige 2.x message: root element {local!r} in namespace "
        f"{ns or '(none)'!r}; expected one of {', '.join(NAMESPACES)}"
    )


def parse_written(body: bytes) -> etree._Element:
    """The tree of a message xgw wrote as text, for its schema check."""
    return etree.fromstring(body, etree.XMLParser(**_WRITTEN_OPTIONS))


_PREFIX = re.compile(r"(?<=/)[A-Za-z_][\w.-]*:")
_CLARK = re.compile(r"\{[^}]*\}")
_VALUE = re.compile(r"[Tt]he value '[^']*'")
_BAD_VALUE = re.compile(r"'[^']*' is not a valid value")
_PATTERN = re.compile(r"the pattern '[^']*'")


def _clean_path(path: str | None) -> str:
    return _PREFIX.sub("", path or "/")


def _clean_message(message: str) -> str:
    """Namespaces out, values masked (they may be personal data), long patterns named."""
    text = _CLARK.sub("", message)
    text = _VALUE.sub("the value", text)
    text = _BAD_VALUE.sub("the value is not a valid value", text)
    if "facet 'pattern'" in text and "&#x" not in text and len(text) > 200:
        text = _PATTERN.sub("the pattern of XÖV String.Latin 1.1 (a character it lacks)", text)
    return text.strip()
