"""The native model: the parts of ``detailandmed_v2`` the connector carries, as element shapes.

Usage::

    QUERY.children["ariregistri_kood"]        # Child(shape=None): a text leaf
    RESPONSE.children["keha"].shape           # the answer's body

A :class:`Shape` lists the child elements the connector reads and writes, in the
order of the XSD sequence (the writer emits them in that order). Children not
listed here are not carried: the reader turns each one that has content into a
translation note. A child with ``fill`` is required by the XSD but has no
canonical counterpart: it is never read (a value becomes a note) and written
empty or as ``xsi:nil``.

The native document the reader builds is plain dicts: ``{"nimi": "Test OÜ",
"yldandmed": {"aadressid": {"item": [{...}, ...]}}}``, text leaves as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["NS", "QUERY", "REQUEST", "RESPONSE", "Child", "Shape"]

NS = "http://arireg.x-road.eu/producer/"


@dataclass(frozen=True, slots=True)
class Child:
    shape: Shape | None = None  # None: a text leaf
    many: bool = False
    fill: Literal["nil", "empty"] | None = None


class Shape:
    """Child elements by local name, in XSD order; ``by_tag`` has those read, by Clark name."""

    __slots__ = ("by_tag", "children", "ordered")

    def __init__(self, children: Mapping[str, Child]) -> None:
        self.children = children
        # (local name, {ns}name, child) in XSD order, for the writer
        self.ordered = tuple((name, f"{{{NS}}}{name}", child) for name, child in children.items())
        # {ns}name -> (local name, shape, many) of the children the reader carries (no fill)
        self.by_tag = {
            tag: (name, child.shape, child.many)
            for name, tag, child in self.ordered
            if child.fill is None
        }


def _leaves(*names: str) -> dict[str, Child]:
    return {name: Child() for name in names}


def _items(shape: Shape) -> Child:
    """A wrapper element holding ``item`` elements (the register's lists)."""
    return Child(Shape({"item": Child(shape, many=True)}))


_PERIOD = _leaves("algus_kpv", "lopp_kpv")

QUERY = Shape(
    {
        **_leaves("arinimi", "ariregistri_kood", "ettevotja_id"),
        **_leaves("yandmed", "iandmed", "kandmed", "dandmed", "maarused"),
        "staatused": Child(many=True),
        **_leaves("keel"),
    }
)
REQUEST = Shape({"keha": Child(QUERY)})

_ADDRESS = Shape(
    {
        **_leaves("riik", "ehak", "ehak_nimetus", "tanav_maja_korter"),
        **_leaves("aadress_ads__adr_id", "aadress_ads__ads_normaliseeritud_taisaadress"),
        **_leaves("postiindeks"),
        **_PERIOD,
    }
)
_CONTACT = Shape(_leaves("liik", "liik_tekstina", "sisu"))
_ACTIVITY = Shape(
    {
        **_leaves("emtak_kood", "emtak_tekstina", "emtak_versioon", "nace_kood"),
        **_leaves("on_pohitegevusala"),
        **_PERIOD,
    }
)
_GENERAL = Shape(
    {
        **_leaves("esmaregistreerimise_kpv", "kustutamise_kpv", "staatus", "staatus_tekstina"),
        **_leaves("oiguslik_vorm", "oiguslik_vorm_tekstina"),
        "aadressid": _items(_ADDRESS),
        "sidevahendid": _items(_CONTACT),
        "teatatud_tegevusalad": _items(_ACTIVITY),
        "asutatud_sissemakset_tegemata": Child(fill="nil"),
    }
)
# A person on the register card (board member, partner, liquidator, ...): natural or legal.
_CARD_PERSON = Shape(
    {
        **_leaves("isiku_tyyp", "isiku_roll", "isiku_roll_tekstina", "eesnimi", "nimi_arinimi"),
        **_leaves("isikukood_registrikood", "synniaeg"),
        **_leaves("aadress_riik", "aadress_ehak", "aadress_ehak_tekstina"),
        **_leaves("aadress_tanav_maja_korter", "aadress_postiindeks", "aadress_ads__adr_id"),
        **_leaves("aadress_ads__ads_normaliseeritud_taisaadress"),
        **_PERIOD,
        **_leaves("email"),
    }
)
_RULE = Shape({**_leaves("esinduse_tyyp", "esinduse_tyyp_tekstina", "esinduse_sisu"), **_PERIOD})
_PERSONS = Shape(
    {
        "kaardile_kantud_isikud": _items(_CARD_PERSON),
        "esindusoiguse_eritingimused": _items(_RULE),
        "kaardivalised_isikud": Child(fill="empty"),
        "hooneyhistu_liikmed": Child(fill="empty"),
    }
)
_ENTITY = Shape(
    {
        **_leaves("ariregistri_kood", "ettevotja_id", "nimi", "kmkr_number"),
        "yldandmed": Child(_GENERAL),
        "isikuandmed": Child(_PERSONS),
    }
)
RESPONSE = Shape(
    {
        "paring": Child(QUERY),
        "keha": Child(Shape({"ettevotjad": _items(_ENTITY), **_leaves("leitud_ettevotjate_arv")})),
    }
)
