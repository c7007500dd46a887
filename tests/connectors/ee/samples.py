"""The Estonian reference data in ../shared, read in place (never copied), and helpers over it.

``detailandmed_v2_response.xml`` (TulevaEE's synthetic test data) is not valid against the
official XSD beside it: ``ettevotja_id`` and four other required elements are missing and two
elements are out of order. :func:`schema_valid_detailandmed` builds a schema-valid copy in
memory, changing nothing else: it adds the required elements (``ettevotja_id`` 1, the others
empty or nil) and puts children in the XSD's order.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
ESTONIA = SHARED / "partners" / "estonia"
ARIREGISTER = ESTONIA / "ariregister"
OFFICIAL_XSD = ARIREGISTER / "xsd" / "detailandmed_v2.xsd"
RR_EXAMPLES = ESTONIA / "rahvastikuregister" / "examples"

NS = "http://arireg.x-road.eu/producer/"
_XS = "{http://www.w3.org/2001/XMLSchema}"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def shared_bytes(path: Path) -> bytes:
    return path.read_bytes()


@functools.cache
def official_sequences() -> dict[str, list[tuple[str, str | None]]]:
    """complexType name -> its children (name, type name) in the official XSD's order."""
    root = etree.parse(str(OFFICIAL_XSD)).getroot()
    sequences: dict[str, list[tuple[str, str | None]]] = {}
    for complex_type in root.iter(f"{_XS}complexType"):
        children: list[tuple[str, str | None]] = []
        for element in complex_type.iter(f"{_XS}element"):
            type_name = element.get("type") or ""
            child_type = type_name[3:] if type_name.startswith("ar:") else None
            children.append((str(element.get("name")), child_type))
        sequences[str(complex_type.get("name"))] = children
    return sequences


def _sort(element: etree._Element, type_name: str) -> None:
    children = official_sequences()[type_name]
    order = {name: index for index, (name, _) in enumerate(children)}
    types = dict(children)
    kids = list(element)
    kids.sort(key=lambda kid: order[etree.QName(kid).localname])
    element[:] = kids
    for kid in kids:
        child_type = types[etree.QName(kid).localname]
        if child_type is not None:
            _sort(kid, child_type)


def _add(parent: etree._Element, name: str, *, text: str | None = None, nil: bool = False) -> None:
    if parent.find(f"{{{NS}}}{name}") is not None:
        return
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    child.text = text
    if nil:
        child.set(_XSI_NIL, "true")


def schema_valid_detailandmed(body: bytes) -> bytes:
    root = etree.fromstring(body)
    for item in root.iterfind(f"{{{NS}}}keha/{{{NS}}}ettevotjad/{{{NS}}}item"):
        _add(item, "ettevotja_id", text="1")
        for general in item.iterfind(f"{{{NS}}}yldandmed"):
            _add(general, "asutatud_sissemakset_tegemata", nil=True)
        for persons in item.iterfind(f"{{{NS}}}isikuandmed"):
            for name in ("kaardile_kantud_isikud", "kaardivalised_isikud", "hooneyhistu_liikmed"):
                _add(persons, name)
    _sort(root, "detailandmed_v2Response")
    return etree.tostring(root, encoding="UTF-8")
