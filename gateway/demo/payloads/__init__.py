"""Payloads written for the demo, in the partners' real formats (tests/unit/demo checks them).

Usage::

    body = payload("anmeldung-ee-ou.xml")

They ship with the package, so the demo runs without the reference data.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["PAYLOADS", "payload"]

PAYLOADS = (
    "anmeldung-be-bv.xml",  # the trade office's XGewerbeanzeige Anmeldung, Belgian BV
    "anmeldung-ee-ou.xml",  # the same for an Estonian OÜ
    "ariregister-detailandmed_v2-12345678.xml",  # the Business Register's answer
    "haalcentraal-zoek-mueller.json",  # a Dutch municipality's Haal Centraal BRP search
    "magda-geefonderneming-0403170701.xml",  # MAGDA's GeefOnderneming answer (KBO)
    "xmeld-antwort-keine-person.xml",  # the resident register's answer: nobody found
    "xmeld-antwort-mueller.xml",  # the resident register's XMeld answer: one resident
)


def payload(name: str) -> bytes:
    if name not in PAYLOADS:
        raise KeyError(f"no demo payload {name!r}")
    return resources.files(__package__).joinpath(name).read_bytes()
