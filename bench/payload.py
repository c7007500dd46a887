"""The exchanged documents: a request and a response JSON body of an exact size.

Usage::

    body = request_body(3072)      # what the load generator sends (exactly 3072 bytes)
    answer = response_body(3072)   # what the backend answers (exactly 3072 bytes)

Both are deterministic, so the backend can check the request byte for byte and
the load generator can check that the answer it got is the backend's.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MIN_BODY_BYTES", "request_body", "response_body"]

MIN_BODY_BYTES = 256


def _exact(document: dict[str, Any], rows: list[dict[str, Any]], row: Any, size: int) -> bytes:
    """Add rows while they fit, then pad the ``taide`` field to exactly ``size`` bytes."""

    def encode() -> bytes:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    index = 0
    while True:
        rows.append(row(index))
        if len(encode()) > size:
            rows.pop()
            break
        index += 1
    document["taide"] = "x" * (size - len(encode()))
    encoded = encode()
    assert len(encoded) == size, (len(encoded), size)
    return encoded


def request_body(size: int) -> bytes:
    """A name search with a list of registry codes to narrow it down."""
    if size < MIN_BODY_BYTES:
        raise ValueError(f"a body must have at least {MIN_BODY_BYTES} bytes")
    codes: list[dict[str, Any]] = []
    document: dict[str, Any] = {"nimi": "puit", "maakond": "Harju maakond", "koodid": codes}
    document["taide"] = ""
    return _exact(
        document,
        codes,
        lambda i: {"registrikood": str(10000000 + i), "staatus": "Registrisse kantud"},
        size,
    )


def response_body(size: int) -> bytes:
    """The search result: a list of companies."""
    if size < MIN_BODY_BYTES:
        raise ValueError(f"a body must have at least {MIN_BODY_BYTES} bytes")
    hits: list[dict[str, Any]] = []
    document: dict[str, Any] = {"tulemused": hits, "taide": ""}
    return _exact(
        document,
        hits,
        lambda i: {
            "registrikood": str(12345678 + i),
            "nimi": f"Põhjaranniku Puit {i} OÜ",
            "staatus": "Registrisse kantud",
            "aadress": {"linn": "Tallinn", "tanav": "Narva mnt 5", "postiindeks": "10117"},
        },
        size,
    )
