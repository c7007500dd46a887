"""Translation notes: what a translation could not carry across, said once per place.

Usage::

    notes = Notes()
    notes.not_carried("Persoon/Begraving")
    notes.add("Person.name.birthName", "not sent: GeefPersoon has no birth name")
    notes.as_tuple()
    # ("Persoon/Begraving: not carried (no canonical field)",
    #  "Person.name.birthName: not sent: GeefPersoon has no birth name")

A note names a place, never a value: notes go to the audit record, and values are
personal data. Places are MAGDA element paths (``Persoon/Naam/@DatumBegin``) when
decoding and canonical field paths (``Person.name.birthName``, without array indexes)
when encoding, so a test can tell which canonical fields an encoding left out.
"""

from __future__ import annotations

__all__ = ["Notes"]


class Notes:
    def __init__(self) -> None:
        self._notes: dict[str, None] = {}  # insertion-ordered set

    def add(self, where: str, reason: str) -> None:
        self._notes.setdefault(f"{where}: {reason}")

    def not_carried(self, where: str, reason: str = "no canonical field") -> None:
        self.add(where, f"not carried ({reason})")

    def not_sent(self, where: str, reason: str) -> None:
        self.add(where, f"not sent ({reason})")

    def extend(self, notes: tuple[str, ...]) -> None:
        for note in notes:
            self._notes.setdefault(note)

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._notes)
