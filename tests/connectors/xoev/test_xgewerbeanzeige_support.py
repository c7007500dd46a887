"""Helpers of the xoev.xgewerbeanzeige tests (samples, element-wise comparison) and their tests."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / ".." / "shared" / "xoev" / "xgewerbeanzeige" / "samples"
VALID = sorted(SAMPLES.glob("xgwa2.*-valid.xml"))
ROOT_TAG = re.compile(r"\{http://www\.xgewerbeanzeige\.de/spezifikation/(2\.\d)\}(.+)")

# Codes the connector converts to a canonical enum or boolean: their listURI/listVersionID
# are implied by the element, and the encoder states them even where a sample leaves them out.
CONVERTED = {
    "istKorrektur", "industrie", "handwerk", "handel", "sonstiges", "istReisegewerbe",
    "istNebenerwerb", "neuAusgeuebt", "geschlecht", "eintragungArt",
    "staatsangehoerigkeitSchluessel", "nationSchluessel",
}  # fmt: skip


def version_and_root(body: bytes) -> tuple[str, str]:
    match = ROOT_TAG.fullmatch(etree.fromstring(body).tag)
    assert match is not None
    return match[1], match[2]


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def _value(element: etree._Element) -> str:
    text = element.text or ""
    if len(element) or not text.strip():
        text = text.strip()  # indentation of a complex element is not data
    return " ".join(text.split()) if element.tag in ("code",) else text


def flatten(body: bytes) -> list[tuple[str, str, str, dict[str, str]]]:
    """Every element as (path with indexes, path without, text, attributes), document order."""
    parser = etree.XMLParser(remove_comments=True, remove_blank_text=True)
    root = etree.fromstring(body, parser)
    rows: list[tuple[str, str, str, dict[str, str]]] = []

    def walk(element: etree._Element, path: str, bare: str) -> None:
        rows.append(
            (path, bare, _value(element), {str(k): str(v) for k, v in element.attrib.items()})
        )
        counts: dict[str, int] = {}
        for child in element:
            name = _local(child.tag)
            counts[name] = counts.get(name, 0) + 1
            walk(child, f"{path}/{name}[{counts[name]}]", f"{bare}/{name}" if bare else name)

    for child in root:
        name = _local(child.tag)
        walk(child, name, name)
    return rows


def excluded(notes: tuple[str, ...]) -> tuple[set[str], set[tuple[str, str]]]:
    """Native paths (and path/attribute pairs) the notes say are not carried."""
    paths: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    for note in notes:
        where = note.split(":", 1)[0]
        for part in where.split(", "):
            if "/@" in part:
                path, attribute = part.split("/@")
                attributes.add((path, attribute))
            elif not part.startswith("@"):
                paths.add(part)
    return paths, attributes


def differences(original: bytes, encoded: bytes, notes: tuple[str, ...]) -> list[str]:
    """Where the re-encoded message differs from the original, outside what the notes name."""
    skip_paths, skip_attributes = excluded(notes)

    def kept(row: tuple[str, str, str, dict[str, str]]) -> bool:
        bare = row[1]
        return not any(bare == p or bare.startswith(p + "/") for p in skip_paths)

    left = [r for r in flatten(original) if kept(r)]
    right = [r for r in flatten(encoded) if kept(r)]
    problems = []
    if [r[0] for r in left] != [r[0] for r in right]:
        missing = sorted({r[0] for r in left} - {r[0] for r in right})
        extra = sorted({r[0] for r in right} - {r[0] for r in left})
        problems.append(f"elements differ: missing {missing}, extra {extra}")
        return problems
    for (path, bare, text, attrs), (_, _, text2, attrs2) in zip(left, right, strict=True):
        if text != text2:
            problems.append(f"{path}: text {text!r} != {text2!r}")
        for name in sorted(set(attrs) | set(attrs2)):
            if (bare, name) in skip_attributes:
                continue
            if name not in attrs and _local(bare.split("/")[-1]) in CONVERTED:
                continue  # implied by the element; the encoder states it
            if attrs.get(name) != attrs2.get(name):
                problems.append(f"{path}/@{name}: {attrs.get(name)!r} != {attrs2.get(name)!r}")
    return problems


def test_differences_sees_a_changed_name_and_a_dropped_element():
    original = (SAMPLES / "xgwa2.0-valid.xml").read_bytes()
    assert differences(original, original, ()) == []
    changed = original.replace("Rodríguez".encode(), b"Rodriguez")
    assert differences(original, changed, ()) == [
        "satz/anmeldung[1]/gewerbe[1]/beteiligtePerson[1]/geburtsname[1]: "
        "text 'Rodríguez' != 'Rodriguez'"
    ]
    dropped = original.replace(b"<xga:geburtsort>Santiago</xga:geburtsort>", b"")
    assert differences(original, dropped, ())[0].startswith("elements differ")
    # What a note names is not compared.
    note = "satz/anmeldung/gewerbe/beteiligtePerson/geburtsname: not carried"
    assert differences(original, changed, (note,)) == []
