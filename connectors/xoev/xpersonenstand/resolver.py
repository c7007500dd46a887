"""Offline XML resolution: XÖV / XInneres schema URLs map to local files, nothing else loads.

Usage::

    resolver = SchemaResolver.official(Path("/etc/xgw/schemas"))
    schema = resolver.compile(resolver.entry_point)   # lxml XMLSchema, or ConfigError
    tree = parse_message(body)                         # a message: no DTD, entities, network

The official XPersonenstand 26.11 schemas import XInneres modules and XÖV framework
files by their URLs (``http://www.osci.de/xinneres/…``, ``http(s)://xoev.de/schemata/…``).
:class:`SchemaResolver` answers those imports from the operator's schema directory and
refuses every other URL and every file outside that directory, so compiling never
touches the network or an unexpected file. Two layouts are understood (the first one
mirrors ``../shared/xoev``, which the tests use)::

    <schema_dir>/xpersonenstand/26.11/xsd/xpersonenstand-{nachrichten-portale,baukasten,codes}.xsd
    <schema_dir>/xinneres/xsd-for-26.11/<module>/<version>/*.xsd   (http://www.osci.de/xinneres/…)
    <schema_dir>/xoev-framework/from-xbau26/*.xsd                  (http(s)://xoev.de/schemata/…)

    <schema_dir>/xpsw.domap.de/xpsw2611/xpersonenstand-{nachrichten-portale,baukasten,codes}.xsd
    <schema_dir>/www.osci.de/xinneres/<module>/<version>/*.xsd
    <schema_dir>/xoev.de/schemata/<path as in the URL>
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from lxml import etree

from gateway.errors import ConfigError, ConnectorError

__all__ = ["ENTRY_POINTS", "URL_LOCATIONS", "SchemaResolver", "parse_message"]

_logger = logging.getLogger(__name__)

# The file that includes / imports the rest, relative to the schema directory.
ENTRY_POINTS: tuple[str, ...] = (
    "xpersonenstand/26.11/xsd/xpersonenstand-nachrichten-portale.xsd",
    "xpsw.domap.de/xpsw2611/xpersonenstand-nachrichten-portale.xsd",
)
# URL prefix -> directories (relative to the schema directory) that mirror what follows it.
URL_LOCATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("http://www.osci.de/xinneres/", ("xinneres/xsd-for-26.11/", "www.osci.de/xinneres/")),
    (
        "http://xoev.de/schemata/basisnachricht/unqualified/g2g/1_1/",
        (
            "xoev-framework/from-xbau26/",
            "xoev.de/schemata/basisnachricht/unqualified/g2g/1_1/",
        ),
    ),
    (
        "https://xoev.de/schemata/din/91379/2022-08/",
        ("xoev-framework/from-xbau26/", "xoev.de/schemata/din/91379/2022-08/"),
    ),
    (
        "http://xoev.de/schemata/code/1_0/",
        ("xoev-framework/from-xbau26/", "xoev.de/schemata/code/1_0/"),
    ),
)
_REFUSED = b'<refused xmlns="urn:xgw:refused"/>'
_PARSERS = threading.local()


class SchemaResolver(etree.Resolver):
    """Resolves the XPersonenstand schema set from one local directory; refuses the rest."""

    def __init__(self, root: Path | None, entry_point: Path | None = None) -> None:
        super().__init__()
        self.root = root.resolve() if root is not None else None
        self.entry_point = entry_point
        self.refused: list[str] = []

    @classmethod
    def official(cls, schema_dir: Path) -> SchemaResolver:
        """The resolver for ``schema_dir``; ConfigError if the set is not in it."""
        root = schema_dir.resolve()
        for candidate in ENTRY_POINTS:
            if (root / candidate).is_file():
                return cls(root, root / candidate)
        raise ConfigError(
            "schema_dir",
            f"no XPersonenstand 26.11 schema set under {schema_dir} "
            f"(looked for {' or '.join(ENTRY_POINTS)})",
        )

    @classmethod
    def sealed(cls) -> SchemaResolver:
        """A resolver that loads nothing at all (messages, the self-contained shipped XSD)."""
        return cls(None)

    def locate(self, url: str) -> Path | None:
        """The local file for ``url`` (an import URL or a path inside the root), or None."""
        if self.root is None:
            return None
        for prefix, directories in URL_LOCATIONS:
            if url.startswith(prefix):
                return self._first_file(url[len(prefix) :], directories)
        if "://" in url and not url.startswith("file://"):
            return None
        return self._inside_root(Path(url.removeprefix("file://")))

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        # (lxml-stubs know an older signature; lxml passes the parser context)
        path = self.locate(system_url)
        if path is None:
            self.refused.append(system_url)
            _logger.warning("refused to load %s while compiling a schema", system_url)
            return self.resolve_string(_REFUSED, context, base_url=None)
        this: Any = self  # resolve_filename is missing from lxml-stubs
        return this.resolve_filename(str(path), context)

    def parser(self) -> etree.XMLParser:
        parser = etree.XMLParser(
            no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
        )
        parser.resolvers.add(self)
        return parser

    def compile(self, source: Path | bytes) -> etree.XMLSchema:
        """Compile the schema at ``source`` (or these bytes); ConfigError names the problem."""
        parser = self.parser()
        try:
            if isinstance(source, Path):
                document = etree.parse(str(source), parser)
            else:
                document = etree.ElementTree(etree.fromstring(source, parser))
            return etree.XMLSchema(document)
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
            refused = f"; refused to load {', '.join(self.refused)}" if self.refused else ""
            raise ConfigError("schema_dir", f"XPersonenstand schema: {exc}{refused}") from exc

    def _first_file(self, rest: str, directories: tuple[str, ...]) -> Path | None:
        if not rest or rest.startswith("/") or ".." in rest.split("/"):
            return None
        assert self.root is not None
        for directory in directories:
            path = self._inside_root(self.root / directory / rest)
            if path is not None:
                return path
        return None

    def _inside_root(self, path: Path) -> Path | None:
        assert self.root is not None
        resolved = path.resolve()
        if resolved.is_relative_to(self.root) and resolved.is_file():
            return resolved
        return None


def parse_message(body: bytes) -> etree._ElementTree:
    """Parse an untrusted message: no DTD, no entities, no network, no file; line numbers kept."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:  # one per thread: lxml parsers are not shared between threads
        parser = _PARSERS.parser = SchemaResolver.sealed().parser()
    try:
        tree = etree.ElementTree(etree.fromstring(body, parser))
    except etree.XMLSyntaxError as exc:
        raise ConnectorError(f"XPersonenstand: not well-formed XML: {exc}") from exc
    info: Any = tree.docinfo  # lxml-stubs lack DocInfo.doctype
    if info.doctype:
        raise ConnectorError("XPersonenstand: a document type declaration is not allowed")
    return tree
