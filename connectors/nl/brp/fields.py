"""BRP ``fields`` <-> canonical field paths (PersonQuery.fields).

Usage::

    fields_from_brp(["burgerservicenummer", "geboorte"], notes)
    # -> ["identifiers", "birthDate", "birthPlace"]
    fields_to_brp(["identifiers", "birthDate", "birthPlace"], notes, beperkt=False)
    # -> ["burgerservicenummer", "geboorte"]

One table, :data:`FIELDS`, says which canonical paths each BRP field gives. A
selection is never widened (``fields`` is data minimisation): a BRP field that
is not in the table, or a canonical path no BRP field covers exactly, is left
out with a note. Encoding picks the broadest BRP fields whose canonical paths
were all asked for, in the order they were asked for; ``verblijfplaats`` gives a
residence or a postal address (never both), so asking for either selects it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from connectors.nl._common import Notes

__all__ = ["BEPERKT", "DEFAULT_FIELDS", "FIELDS", "fields_from_brp", "fields_to_brp"]

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
_TABLE = dict(FIELDS)
# One BRP field that gives one of its canonical paths, never both: asking for either is enough.
_EITHER = frozenset({"verblijfplaats"})


def fields_from_brp(fields: Iterable[str], notes: Notes) -> list[str]:
    wanted: list[str] = []
    for index, field in enumerate(fields):
        paths = _TABLE.get(field)
        if paths is None:
            notes.add(f"$.fields[{index}]", "field selection not carried (no canonical path)")
            continue
        wanted.extend(p for p in paths if p not in wanted)
    return wanted


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
