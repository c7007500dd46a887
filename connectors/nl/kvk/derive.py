"""Regenerate the shipped KvK Basisprofiel schema from the official OpenAPI document.

Usage::

    python -m connectors.nl.kvk.derive \\
        ../shared/partners/netherlands/kvk/basisprofiel-openapi-v1.5.0.yaml

writes ``schemas/nl/kvk/basisprofiel.v1.json`` (indented, keys in a stable order).
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from connectors.nl.kvk.schema import SHIPPED, derive_basisprofiel, load_official

__all__ = ["main"]

_SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m connectors.nl.kvk.derive OPENAPI.yaml", file=sys.stderr)
        return 2
    derived = derive_basisprofiel(load_official(Path(args[0])))
    target = _SCHEMAS / SHIPPED
    target.write_bytes(orjson.dumps(derived, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
