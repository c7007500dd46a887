"""The ``fields`` of a BRP ``Persoon`` and ``PersoonBeperkt``, read from the schema; the selection.

Usage::

    paths = PersonPaths.from_schema(derived)           # once, when the connector is built
    paths.unknown("PersoonBeperkt", ["naam", "aNummer"])   # -> [1]: no such field in a search
    persoon = paths.select(persoon, ["naam.voornamen", "geslacht.code"])

The valid paths are every property path of the person schema (array items take
their array's path: ``nationaliteiten.nationaliteit.code``), a discriminated
object contributing the properties of all its types, except the fields the API
delivers by itself and a client may not ask for (``inOnderzoek``,
``geheimhoudingPersoonsgegevens``, ``opschortingBijhouding``, ``rni``,
``verificatie``). ``adresseringBinnenland`` and ``verblijfplaatsBinnenland`` are the
API's aliases of ``adressering`` and ``verblijfplaats`` for clients not authorised
for foreign addresses: they give domestic addresses only.

The selection follows the Haal Centraal rules (features/bevragen/fields.feature):
only what was asked for; a group gives all it holds; any part of a table value
(``Waardetabel``: code and omschrijving) or of a date gives the whole value; a
field without a value is not delivered, nor a group left empty; a discriminated
object keeps its ``type``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ALIASES",
    "AUTOMATIC",
    "PERSOON",
    "PERSOON_BEPERKT",
    "PersonPaths",
    "properties_of",
    "required_of",
]

PERSOON = "Persoon"
PERSOON_BEPERKT = "PersoonBeperkt"
# Delivered by the API whenever they apply; asking for them is an error (the OpenAPI's fields).
AUTOMATIC = frozenset(
    {"inOnderzoek", "geheimhoudingPersoonsgegevens", "opschortingBijhouding", "rni", "verificatie"}
)
# field alias -> the field it stands for (features/.../adres-regels/fields-alias.feature)
ALIASES = {"adresseringBinnenland": "adressering", "verblijfplaatsBinnenland": "verblijfplaats"}
# A value asked for in part is delivered whole (a code with its label, a date with its form).
_ATOMIC = frozenset({"Waardetabel", "AbstractDatum", "AbstractDatum__base"})
_DEFS = "#/$defs/"


@dataclass(frozen=True)
class _Tree:
    paths: frozenset[str]
    atomic: frozenset[str]


class PersonPaths:
    """The field paths of the person kinds a BRP answer holds."""

    def __init__(self, trees: Mapping[str, _Tree]) -> None:
        self._trees = dict(trees)

    @classmethod
    def from_schema(cls, derived: Mapping[str, Any]) -> PersonPaths:
        defs: Mapping[str, Any] = derived["$defs"]
        trees = {}
        for kind in (PERSOON, PERSOON_BEPERKT):
            paths: set[str] = set()
            atomic: set[str] = set()
            _walk(defs, {"$ref": _DEFS + kind}, "", paths, atomic, ())
            for alias, target in ALIASES.items():
                if target in paths:
                    paths |= {alias + p[len(target) :] for p in paths if _under(p, target)}
                    atomic |= {alias + p[len(target) :] for p in atomic if _under(p, target)}
            trees[kind] = _Tree(frozenset(paths), frozenset(atomic))
        return cls(trees)

    def known(self, kind: str) -> frozenset[str]:
        return self._trees[kind].paths

    def unknown(self, kind: str, fields: Iterable[str]) -> list[int]:
        """Indexes of the fields that name no field of ``kind`` (or one delivered by itself)."""
        paths = self._trees[kind].paths
        return [i for i, f in enumerate(fields) if f not in paths]

    def select(self, node: Mapping[str, Any], fields: Sequence[str], kind: str) -> dict[str, Any]:
        """``node`` (one person) with only what ``fields`` asks for, and what ``kind`` has."""
        tree = self._trees[kind]
        return _select(node, tuple(fields), tree, "")


def _under(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(ancestor + ".")


def _walk(
    defs: Mapping[str, Any],
    node: Any,
    prefix: str,
    paths: set[str],
    atomic: set[str],
    stack: tuple[str, ...],
) -> None:
    for name, schemas in properties_of(defs, node).items():
        if name in AUTOMATIC:
            continue
        path = prefix + name
        paths.add(path)
        for schema in schemas:
            target = schema.get("items", schema) if schema.get("type") == "array" else schema
            refs = _refs(defs, target)
            if refs & _ATOMIC:
                atomic.add(path)
            if refs & set(stack):  # a schema within itself: its paths are already known
                continue
            _walk(defs, target, path + ".", paths, atomic, (*stack, *refs))


def required_of(defs: Mapping[str, Any], node: Any) -> list[str]:
    """The properties ``node`` requires, its ``allOf`` parts' included, in order."""
    node = _resolve(defs, node)
    if not isinstance(node, dict):
        return []
    names: list[str] = []
    for part in node.get("allOf", []):
        names += [n for n in required_of(defs, part) if n not in names]
    return names + [n for n in node.get("required", []) if n not in names]


def _resolve(defs: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = defs[node["$ref"][len(_DEFS) :]]
    return node


def properties_of(defs: Mapping[str, Any], node: Any) -> dict[str, list[Any]]:
    """Every property ``node`` may have, with each schema that describes it: its own, its
    ``allOf`` parts', each mapped type's (a ``verblijfadres`` is one of several kinds)."""
    node = _resolve(defs, node)
    found: dict[str, list[Any]] = {}
    if not isinstance(node, dict):
        return found
    parts = [*node.get("allOf", [])]
    parts += [part["then"] for part in node.get("allOf", []) if "then" in part]
    for part in parts:
        for name, schemas in properties_of(defs, part).items():
            found.setdefault(name, []).extend(schemas)
    for name, schema in node.get("properties", {}).items():
        found.setdefault(name, []).append(schema)
    return found


def _refs(defs: Mapping[str, Any], node: Any) -> set[str]:
    """The names of the schemas ``node`` is made of (by ``$ref`` and ``allOf``)."""
    names: set[str] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if not isinstance(current, dict):
            continue
        ref = current.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            name = ref[len(_DEFS) :]
            if name not in names:
                names.add(name)
                todo.append(defs[name])
        todo.extend(current.get("allOf", []))
    return names


def _select(
    node: Mapping[str, Any], fields: tuple[str, ...], tree: _Tree, prefix: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = prefix + key
        if path not in tree.paths:
            continue  # not a field of this kind of person (a PersoonBeperkt's geboorte.plaats)
        below = [f for f in fields if f.startswith(path + ".")]
        if any(_under(path, f) for f in fields) or (below and path in tree.atomic):
            kept = _known(value, tree, path + ".")
        elif below:
            kept = _part(value, tuple(below), tree, path + ".")
        else:
            continue
        if kept not in (None, {}, []):
            out[key] = kept
    if out and prefix and "type" in node and "type" not in out:
        out = {"type": node["type"], **out}  # the discriminator says what the rest is
    return out


def _part(value: Any, fields: tuple[str, ...], tree: _Tree, prefix: str) -> Any:
    if isinstance(value, Mapping):
        return _select(value, fields, tree, prefix)
    if isinstance(value, list):
        items = [_part(item, fields, tree, prefix) for item in value]
        return [item for item in items if item not in (None, {}, [])]
    return None  # a scalar has no parts: asking for one names no field


def _known(value: Any, tree: _Tree, prefix: str) -> Any:
    """``value`` whole, less what the person kind does not have."""
    if isinstance(value, Mapping):
        return {
            k: _known(v, tree, prefix + k + ".")
            for k, v in value.items()
            if prefix + k in tree.paths
        }
    if isinstance(value, list):
        return [_known(item, tree, prefix) for item in value]
    return value
