"""Translation notes: what a message or a document carried that the other side cannot.

Usage::

    notes = Notes()
    notes.add("verstorbener/geschlecht", "code 'u' is not an XInneres Geschlecht code")
    notes.covers("name.givenNames[0]")   # True once "name.givenNames" has a note
    notes.move("relatedPersons[2]", "relatedPersons[0]")  # the item comes back elsewhere
    notes.as_tuple()                      # ("verstorbener/geschlecht: code 'u' is ...",)

A note names the element or canonical field and says what happened, in words an
operator understands; it never repeats a person's data (notes go into the audit record).
"""

from __future__ import annotations

import re

__all__ = ["Notes"]

_TOKEN = re.compile(r"\[\d+\]|[^.\[]+")


class Notes:
    def __init__(self) -> None:
        self._notes: list[str] = []
        self._paths: list[str] = []
        self.moves: dict[str, str] = {}  # canonical path -> where it comes back
        self.aliases: dict[str, str] = {}  # a field that repeats another -> that one

    def add(self, path: str, text: str) -> None:
        note = f"{path}: {text}"
        if note not in self._notes:
            self._notes.append(note)
            self._paths.append(path)

    def move(self, path: str, new_path: str) -> None:
        """The list item at ``path`` comes back at ``new_path`` (not a loss: no cover)."""
        if path != new_path:
            self.moves[path] = new_path
            self._notes.append(f"{path}: comes back as {new_path}")

    def moved(self, path: str) -> str:
        """Where ``path`` comes back: every moved item it lies in changes its index."""
        tokens = _TOKEN.findall(path)
        result = list(tokens)
        for prefix, target in self.moves.items():
            size = len(_TOKEN.findall(prefix))
            if tokens[:size] == _TOKEN.findall(prefix):
                result[size - 1] = _TOKEN.findall(target)[-1]
        return "".join(t if t.startswith("[") or i == 0 else f".{t}" for i, t in enumerate(result))

    def alias(self, path: str, same_as: str) -> None:
        """``path`` repeats ``same_as`` (deathPlace and event.place): one was written."""
        self.aliases[path] = same_as

    def alias_of(self, path: str) -> tuple[str, str, str] | None:
        """(alias, the field it repeats, ``path`` under that field), if ``path`` is in one."""
        for alias, same_as in self.aliases.items():
            if path == alias or path.startswith((f"{alias}.", f"{alias}[")):
                return alias, same_as, same_as + path[len(alias) :]
        return None

    def covers(self, path: str) -> bool:
        """True if a note already speaks for ``path`` or a field above it."""
        return any(
            path == noted or path.startswith((f"{noted}.", f"{noted}[")) for noted in self._paths
        )

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._notes)
