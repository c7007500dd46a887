"""The XMeld schema: the one xgw ships, or the official 25.11a set from the schema directory.

Usage::

    schema = XMeldSchema.load(None)                        # the shipped, derived XSD
    schema = XMeldSchema.load(Path("/etc/xgw/schemas"))    # the official set, or ConfigError
    root = parse_message(body)                             # no DTD, entities, network, files
    schema.check(root)                                     # ConnectorError naming the element

Compiled once per connector (at start). The official set imports XInneres modules and XÖV
framework files by URL; :class:`_Resolver` answers those from the schema directory only and
refuses every other URL, so compiling never touches the network. Layouts (either one)::

    <schema_dir>/xmeld/25.11a/xsd/xmeld-nachrichten-datenabrufe.xsd  (+ the files it includes)
    <schema_dir>/www.osci.de/xmeld2511a/xmeld-nachrichten-datenabrufe.xsd
    <schema_dir>/xinneres/xsd-for-26.11/<module>/<version>/
        or <schema_dir>/www.osci.de/xinneres/<module>/<version>/
    <schema_dir>/xoev-framework/from-xbau26/
        or <schema_dir>/xoev.de/schemata/<path as in the URL>

The resolver is a copy of the idea of ``connectors/xoev/xpersonenstand/resolver.py``
(the lead merges the two).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from lxml import etree

from gateway import shipped
from gateway.errors import ConfigError, ConnectorError

__all__ = [
    "ENTRY_POINTS",
    "NAMESPACE",
    "SCHEMA_ID",
    "SHIPPED_XSD",
    "XMeldSchema",
    "parse_message",
]

_logger = logging.getLogger("gateway.connector.xoev.xmeld")

NAMESPACE = "http://www.osci.de/xmeld2511a"
SCHEMA_ID = "xoev/xmeld/datenabruf-25.11a.v1"
SHIPPED_XSD = "xoev/xmeld/xmeld-datenabruf-25.11a.v1.xsd"
ENTRY_POINTS: tuple[str, ...] = (
    "xmeld/25.11a/xsd/xmeld-nachrichten-datenabrufe.xsd",
    "www.osci.de/xmeld2511a/xmeld-nachrichten-datenabrufe.xsd",
)
_URL_LOCATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("http://www.osci.de/xmeld2511a/", ("xmeld/25.11a/xsd/", "www.osci.de/xmeld2511a/")),
    ("http://www.osci.de/xinneres/", ("xinneres/xsd-for-26.11/", "www.osci.de/xinneres/")),
    ("http://xoev.de/schemata/", ("xoev-framework/from-xbau26/", "xoev.de/schemata/")),
    ("https://xoev.de/schemata/", ("xoev-framework/from-xbau26/", "xoev.de/schemata/")),
)
_REFUSED = b'<refused xmlns="urn:xgw:refused"/>'
_PREFIXES = {NAMESPACE: "xmeld:"}


class _Resolver(etree.Resolver):
    """Answers schema imports from one directory; refuses everything else."""

    def __init__(self, root: Path | None) -> None:
        super().__init__()
        self.root = root
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        path = self._locate(system_url)
        if path is None:
            self.refused.append(system_url)
            _logger.warning("refused to load %s while compiling a schema", system_url)
            return self.resolve_string(_REFUSED, context, base_url=None)
        return getattr(self, "resolve_filename")(str(path), context)  # noqa: B009 (not in the stubs)

    def _locate(self, url: str) -> Path | None:
        if self.root is None:
            return None
        for prefix, directories in _URL_LOCATIONS:
            if url.startswith(prefix):
                rest = url[len(prefix) :]
                if prefix.startswith("http://xoev") or prefix.startswith("https://xoev"):
                    candidates = [(directories[0], rest.rpartition("/")[2]), (directories[1], rest)]
                else:
                    candidates = [(directory, rest) for directory in directories]
                return self._first(candidates)
        if "://" in url and not url.startswith("file://"):
            return None
        return self._inside(Path(url.removeprefix("file://")))

    def _first(self, candidates: list[tuple[str, str]]) -> Path | None:
        assert self.root is not None
        for directory, rest in candidates:
            if rest and not rest.startswith("/") and ".." not in rest.split("/"):
                path = self._inside(self.root / directory / rest)
                if path is not None:
                    return path
        return None

    def _inside(self, path: Path) -> Path | None:
        assert self.root is not None
        resolved = path.resolve()
        return resolved if resolved.is_relative_to(self.root) and resolved.is_file() else None


def _parser(resolver: _Resolver) -> etree.XMLParser:
    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
    )
    parser.resolvers.add(resolver)
    return parser


_MESSAGE_PARSER = _parser(_Resolver(None))


class XMeldSchema:
    """A compiled XMeld schema and where it came from (``source``)."""

    def __init__(self, schema: etree.XMLSchema, source: str, official: bool) -> None:
        self.schema = schema
        self.source = source
        self.official = official

    @classmethod
    def load(cls, schema_dir: Path | None) -> XMeldSchema:
        if schema_dir is None:
            document = etree.fromstring(shipped.load_bytes(SHIPPED_XSD), _MESSAGE_PARSER)
            return cls(etree.XMLSchema(document), f"shipped {SHIPPED_XSD}", official=False)
        root = schema_dir.resolve()
        for candidate in ENTRY_POINTS:
            if (root / candidate).is_file():
                return cls(_compile(root, root / candidate), str(root / candidate), official=True)
        raise ConfigError("schema_dir", _missing(schema_dir, root))

    def check(self, root: etree._Element) -> None:
        """ConnectorError naming the first element (and line) that breaks the schema."""
        if self.schema.validate(root):
            return
        error = next(iter(cast(Iterable[Any], self.schema.error_log)))
        message = error.message
        for namespace, prefix in _PREFIXES.items():
            message = message.replace("{" + namespace + "}", prefix)
        raise ConnectorError(f"XMeld: line {error.line}: {message}")


def _compile(root: Path, entry: Path) -> etree.XMLSchema:
    resolver = _Resolver(root)
    try:
        return etree.XMLSchema(etree.parse(str(entry), _parser(resolver)))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        refused = f"; refused to load {', '.join(resolver.refused)}" if resolver.refused else ""
        raise ConfigError("schema_dir", f"XMeld 25.11a schema {entry}: {exc}{refused}") from exc


def _missing(schema_dir: Path, root: Path) -> str:
    message = (
        f"no XMeld 25.11a schema set under {schema_dir} (looked for {' or '.join(ENTRY_POINTS)})"
    )
    if (root / "xmeld" / "xsd-2.4.3").is_dir():
        message += (
            "; xmeld/xsd-2.4.3 holds XMeld 2.4.3 (namespace http://www.osci.de/xmeld243), a "
            "different version that xgw does not read and that does not compile without the "
            "XInneres modules allgemeinername/2, auslandsanschrift/3, azrnummer/1, lichtbild/1, "
            "rueckweisung/3; leave schema_dir unset to validate with the schema xgw ships"
        )
    return message


def parse_message(body: bytes) -> etree._Element:
    """Parse an untrusted message: no DTD, no entities, no network, no file."""
    try:
        root = etree.fromstring(body, _MESSAGE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ConnectorError(f"XMeld: not well-formed XML: {exc}") from exc
    if cast(Any, root.getroottree().docinfo).doctype:
        raise ConnectorError("XMeld: a document type declaration is not allowed")
    return root
