"""The BRP answer to one BRP request: its ``type``, its kind of person, the ``fields`` asked for.

Usage::

    native, notes = answer_to(request, persons, paths)   # request: the client's BRP body
    # {"type": "ZoekMetGeslachtsnaamEnGeboortedatum", "personen": [{"naam": {...}}]}

A search (``ZoekMet...``) answers with ``PersoonBeperkt``, a Raadpleeg with
``Persoon``; the answer's ``type`` is the request's. The request's ``fields`` are
applied exactly, as the API applies them (:meth:`PersonPaths.select`): the
register may have been asked for a little more (``connectors.nl.brp.fields``), the
client gets what it named. ``adressering`` is written from the person's address
when asked for; the aliases ``adresseringBinnenland`` and
``verblijfplaatsBinnenland`` give a domestic address only. A search without
``inclusiefOverledenPersonen: true`` does not answer with deceased persons (the
API's default), whatever the register found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.canonical import Address, Person
from connectors.nl._common import Notes
from connectors.nl.brp.address import adressering, is_domestic
from connectors.nl.brp.paths import ALIASES, PERSOON, PERSOON_BEPERKT, PersonPaths
from connectors.nl.brp.person import person_to_brp
from connectors.nl.brp.query import RAADPLEEG

__all__ = ["answer_to"]


def answer_to(
    request: Mapping[str, Any], persons: Sequence[Person], paths: PersonPaths, notes: Notes
) -> dict[str, Any]:
    """The answer to ``request`` (a valid BRP request) holding ``persons``."""
    kind = request["type"]
    person_kind = PERSOON if kind == RAADPLEEG else PERSOON_BEPERKT
    fields = _answerable(request["fields"], person_kind, paths, notes)
    living_only = kind != RAADPLEEG and request.get("inclusiefOverledenPersonen") is not True
    personen = []
    for i, person in enumerate(persons):
        where = f"$.persons[{i}]"
        if living_only and (person.get("deceased") or "deathDate" in person):
            notes.add(where, "not sent (deceased; the search did not ask for deceased persons)")
            continue
        persoon = person_to_brp(person, where, notes)
        address = person.get("postalAddress") or person.get("residenceAddress")
        wanted = _for_address(fields, address)
        if address is not None and any(f.split(".")[0] == "adressering" for f in wanted):
            lines = adressering(address, f"{where}.address", notes)
            if lines:
                persoon["adressering"] = lines
        personen.append(paths.select(persoon, wanted, person_kind))
    return {"type": kind, "personen": personen}


def _answerable(fields: Sequence[str], kind: str, paths: PersonPaths, notes: Notes) -> list[str]:
    """The fields a ``kind`` has (a request that reached us some other way may ask for more)."""
    wrong = set(paths.unknown(kind, fields))
    for i in sorted(wrong):
        notes.add(f"$.fields[{i}]", f"not answered (no field of a {kind})")
    return [field for i, field in enumerate(fields) if i not in wrong]


def _for_address(fields: Sequence[str], address: Address | None) -> list[str]:
    """The fields with each alias resolved: to its field for a domestic address, else to none."""
    domestic = address is not None and is_domestic(address)
    wanted = []
    for field in fields:
        head, dot, rest = field.partition(".")
        target = ALIASES.get(head)
        if target is None:
            wanted.append(field)
        elif domestic:
            wanted.append(target + dot + rest)
    return wanted
