"""BRP ``fields`` <-> canonical field paths (PersonQuery.fields).

Usage::

    fields_from_brp(["burgerservicenummer", "geboorte"], notes)
    # -> ["identifiers", "birthDate", "birthPlace"]
    fields_to_brp(["identifiers", "birthDate", "birthPlace"], notes, beperkt=False)
    # -> ["burgerservicenummer", "geboorte"]

One table, :data:`FIELDS`, says which canonical paths each BRP field gives. A
selection is never widened (``fields`` is data minimisation) beyond the smallest
table entry that holds the field: a BRP path below an entry (``geslacht.code``,
``geboorte.datum.jaar``, ``verblijfplaats.verblijfadres.postcode``) asks for that
entry's canonical paths, and the answer is cut to the exact BRP fields at the
client's edge (:mod:`connectors.nl.brp.answer`). A BRP field under no entry, or a
canonical path no BRP field covers exactly, is left out with a note. Decoding also
knows the fields a BRP answer derives from the address (``adressering``, and the
aliases of :data:`connectors.nl.brp.paths.ALIASES`), which no BRP request built
by encoding asks for. Encoding picks the broadest BRP fields whose canonical paths
were all asked for, in the order they were asked for; ``verblijfplaats`` gives a
residence or a postal address (never both), so asking for either selects it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from connectors.nl._common import Notes

__all__ = [
    "BEPERKT",
    "DEFAULT_FIELDS",
    "DERIVED",
    "FIELDS",
    "fields_from_brp",
    "fields_to_brp",
]

# BRP field -> the canonical paths it gives; broader fields before narrower ones.
FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("burgerservicenummer", ("identifiers",)),
    ("geslacht", ("gender",)),
    ("naam", ("name",)),
    ("naam.voornamen", ("name.givenNames",)),
    ("naam.voorvoegsel", ("name.namePrefix",)),
    ("naam.geslachtsnaam", ("name.familyName",)),
    ("naam.volledigeNaam", ("name.fullName",)),
    ("naam.adellijkeTitelPredicaat", ("name.nobleTitle",)),
    ("geboorte", ("birthDate", "birthPlace")),
    ("geboorte.datum", ("birthDate",)),
    ("geboorte.plaats", ("birthPlace.name", "birthPlace.code")),
    ("geboorte.land", ("birthPlace.country", "birthPlace.countryName")),
    ("overlijden", ("deceased", "deathDate", "deathPlace")),
    ("overlijden.datum", ("deathDate",)),
    ("overlijden.plaats", ("deathPlace.name", "deathPlace.code")),
    ("overlijden.land", ("deathPlace.country", "deathPlace.countryName")),
    ("nationaliteiten", ("nationalities",)),
    ("verblijfplaats", ("residenceAddress", "postalAddress")),
)
# The fields a search (ZoekMet...) may ask for: those of PersoonBeperkt.
BEPERKT = frozenset(
    {
        "burgerservicenummer",
        "geslacht",
        "naam",
        "naam.voornamen",
        "naam.voorvoegsel",
        "naam.geslachtsnaam",
        "naam.volledigeNaam",
        "naam.adellijkeTitelPredicaat",
        "geboorte",
        "geboorte.datum",
    }
)
# What nl.brp asks for when the canonical query names no fields (BRP requires some).
DEFAULT_FIELDS = (
    "burgerservicenummer",
    "geslacht",
    "naam",
    "geboorte",
    "overlijden",
    "nationaliteiten",
    "verblijfplaats",
)
_ADDRESSES = ("residenceAddress", "postalAddress")
# Fields of a BRP answer made from the address; asked for by a client, never sent to a register.
DERIVED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("adressering", _ADDRESSES),
    ("adresseringBinnenland", _ADDRESSES),
    ("verblijfplaatsBinnenland", _ADDRESSES),
)
_TABLE = dict(FIELDS)
_FROM_BRP = {**_TABLE, **dict(DERIVED)}
# One BRP field that gives one of its canonical paths, never both: asking for either is enough.
_EITHER = frozenset({"verblijfplaats"})


def fields_from_brp(fields: Iterable[str], notes: Notes) -> list[str]:
    wanted: list[str] = []
    for index, field in enumerate(fields):
        paths = _entry(field)
        if paths is None:
            notes.add(f"$.fields[{index}]", "field selection not carried (no canonical path)")
            continue
        wanted.extend(p for p in paths if p not in wanted)
    return wanted


def _entry(field: str) -> tuple[str, ...] | None:
    """The canonical paths of ``field``, or of the smallest table entry above it."""
    parts = field.split(".")
    for end in range(len(parts), 0, -1):
        paths = _FROM_BRP.get(".".join(parts[:end]))
        if paths is not None:
            return paths
    return None


def fields_to_brp(wanted: Sequence[str], notes: Notes, *, beperkt: bool) -> list[str]:
    chosen: list[tuple[int, str]] = []
    covered: set[str] = set()
    for field, paths in FIELDS:
        if beperkt and field not in BEPERKT:
            continue
        asked = [_asked_at(path, wanted) for path in paths]
        enough = any if field in _EITHER else all
        if enough(i is not None for i in asked) and not all(_under(p, covered) for p in paths):
            chosen.append((min(i for i in asked if i is not None), field))
            covered.update(paths)
    for index, path in enumerate(wanted):
        if not _under(path, covered) and not _covers_some(path, covered):
            notes.add(f"$.fields[{index}]", "field selection not carried (no BRP field for it)")
    return [field for _, field in sorted(chosen, key=lambda c: c[0])]


def _asked_at(path: str, wanted: Sequence[str]) -> int | None:
    """Index of the first wanted path that is ``path`` or one of its ancestors."""
    for index, asked in enumerate(wanted):
        if path == asked or path.startswith(asked + "."):
            return index
    return None


def _under(path: str, covered: set[str]) -> bool:
    return any(path == c or path.startswith(c + ".") for c in covered)


def _covers_some(path: str, covered: set[str]) -> bool:
    return any(c.startswith(path + ".") for c in covered)
