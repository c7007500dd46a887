"""Regenerate the shipped BRP schema from the official OpenAPI document.

Usage::

    python -m connectors.nl.brp.derive \\
        ../shared/partners/netherlands/haal-centraal-brp-bevragen/openapi-resolved.json

writes ``schemas/nl/brp/personen.v1.json`` (indented, keys in a stable order).
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from connectors.nl.brp.schema import SHIPPED, derive_personen

__all__ = ["main"]

_SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m connectors.nl.brp.derive OPENAPI.json", file=sys.stderr)
        return 2
    derived = derive_personen(orjson.loads(Path(args[0]).read_bytes()))
    target = _SCHEMAS / SHIPPED
    target.write_bytes(orjson.dumps(derived, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
