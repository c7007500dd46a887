"""What a draft edit changed: small results the CLI prints and the admin API returns.

Usage::

    change = draft.remove_member("EE/GOV/70000310")
    change.summary            # "removed member EE/GOV/70000310 (RIK)"
    change.removed_access     # the access rights that went with it
    change.to_json()          # {"action": "member.remove", "target": ..., ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["AccessRight", "Change", "Endpoint"]

Endpoint = tuple[str, str]  # (method or "*", path pattern)


@dataclass(frozen=True, slots=True)
class AccessRight:
    """One access right of the draft; no endpoints means every endpoint of the service."""

    client: str
    service: str
    endpoints: tuple[Endpoint, ...] = ()

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> AccessRight:
        endpoints = tuple((e["method"], e["path"]) for e in entry.get("endpoints", []))
        return cls(entry["client"], entry["service"], endpoints)

    def describe(self) -> str:
        granted = ", ".join(f"{m} {p}" for m, p in self.endpoints) or "every endpoint"
        return f"{self.client} -> {self.service}: {granted}"

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "service": self.service,
            "endpoints": [{"method": m, "path": p} for m, p in self.endpoints],
        }


@dataclass(frozen=True, slots=True)
class Change:
    """One edit of the draft: ``action`` (e.g. ``access.grant``), what it applied to, and
    a line for people; plus what went with it or what the operator should know."""

    action: str
    target: str
    summary: str
    removed_access: tuple[AccessRight, ...] = ()
    listed_by: tuple[str, ...] = ()  # a revocation: who still lists the certificate
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The human output: the summary, then one indented line per consequence."""
        out = [self.summary]
        out += [f"  also withdrew {right.describe()}" for right in self.removed_access]
        out += [f"  note: {note}" for note in self.notes]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "target": self.target,
            "summary": self.summary,
            "removed_access": [right.to_json() for right in self.removed_access],
            "listed_by": list(self.listed_by),
            "notes": list(self.notes),
        }
