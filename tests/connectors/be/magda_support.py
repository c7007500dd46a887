"""Shared helpers of the be.magda tests: the reference data in ../shared, connectors, comparison.

Usage::

    from tests.connectors.be.magda_support import EXAMPLES, connector, equal_up_to_notes

    envelope = connector(official=True, lenient=True).decode_now(EXAMPLES[0].read_bytes())

The MAGDA reference data lives in ``../shared/partners/belgium/magda`` beside the project root
(the folder holding ``pyproject.toml``); the tests read it there and never copy it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.base import ConnectorOptions
from connectors.be.magda import MagdaConnector
from connectors.be.magda.values import LIST


def project_root() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise RuntimeError("no pyproject.toml above the tests: cannot find the project root")


SHARED = (project_root() / ".." / "shared").resolve()
MAGDA = SHARED / "partners" / "belgium" / "magda"
EXAMPLES = sorted((MAGDA / "examples").glob("*.xml"))
TEMPLATES = {path.name.split("_")[0]: path for path in (MAGDA / "request-templates").glob("*.xml")}
assert EXAMPLES and len(TEMPLATES) == 2, f"MAGDA reference data missing in {MAGDA}"


@functools.cache
def connector(*, official: bool = False, lenient: bool = False) -> MagdaConnector:
    """A connector validating with the official XSDs (schema_dir=../shared) or xgw's own."""
    options = ConnectorOptions(schema_dir=SHARED if official else None, lenient_identifiers=lenient)
    return MagdaConnector(options)


def skipped_paths(kind: str, notes: tuple[str, ...]) -> set[str]:
    """The canonical paths an encoding's notes say it did not carry exactly (lenient-mode
    warnings excepted: they keep the value)."""
    return {
        note.split(":", 1)[0]
        for note in notes
        if note.startswith(kind + ".") and "lenient mode" not in note
    }


def differences(original: Any, decoded: Any, path: str, skip: set[str]) -> list[str]:
    """Where ``decoded`` differs from ``original``, except under ``skip`` and for what the
    connector's documentation says a MAGDA round trip adds (see ``_added``)."""
    if path in skip or any(path.startswith(s + ".") for s in skip):
        return []
    if isinstance(original, dict) and decoded is None:
        decoded = {}  # an object left out because nothing in it could be carried
    if isinstance(original, dict) and isinstance(decoded, dict):
        found = []
        for key in original.keys() | decoded.keys():
            if key not in original and _added(key, original, decoded):
                continue
            found += differences(original.get(key), decoded.get(key), f"{path}.{key}", skip)
        return found
    if isinstance(original, list) and isinstance(decoded, list) and len(original) == len(decoded):
        return [
            m for o, d in zip(original, decoded, strict=True) for m in differences(o, d, path, skip)
        ]
    return [] if original == decoded else [f"{path}: {original!r} != {decoded!r}"]


def _added(key: str, original: dict[str, Any], decoded: dict[str, Any]) -> bool:
    """What decoding adds to a document that lacked it, by documented rule."""
    value = decoded[key]
    if key == "listURI":  # a code without a list is taken as the MAGDA list's
        return value in LIST.values() or str(value).startswith(LIST["nace"])
    if key in ("thoroughfare", "postName"):  # the plain field holds the first language version
        names = original.get("thoroughfareNames" if key == "thoroughfare" else "postNames") or []
        return bool(names) and bool(value == names[0]["text"])
    if key == "locatorDesignators":  # MAGDA splits house and box number ...
        return bool(
            value == [{"designator": original.get("locatorDesignator"), "type": "addressNumber"}]
        )
    if key == "locatorDesignator":  # ... and has the number as one text with its parts
        return "locatorDesignators" in original
    return False


def element_paths(element: etree._Element, path: str = "") -> set[str]:
    """Every element path under ``element`` (namespaces and prefixes left out): its shape."""
    here = f"{path}/{etree.QName(element).localname}"
    return {here}.union(*(element_paths(child, here) for child in element))
