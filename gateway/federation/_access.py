"""Access rights in the raw draft: one entry per (client, service) once the draft edits it.

Usage::

    right = access_right(doc, client, service)     # merged from all its entries, or None
    replace_access(doc, client, service, AccessRight(str(client), str(service), endpoints))
    removed = drop_access(doc, lambda right: right.service == str(service))

An AccessRight without endpoints grants every endpoint of the service: so an entry is
removed, never left with an empty endpoint list, when its last endpoint is withdrawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gateway.errors import AdminError
from gateway.federation._document import access_rights, endpoint_entries, find_service
from gateway.federation.changes import AccessRight, Endpoint
from gateway.identifiers import ClientId, ServiceId

__all__ = ["access_right", "drop_access", "listing", "replace_access", "service_endpoints"]


def access_right(doc: dict[str, Any], client: ClientId, service: ServiceId) -> AccessRight | None:
    """The pair's access right (no endpoints: every endpoint), or None without one.

    A document may hold several entries for one pair: they add up, as on a gateway.
    """
    found: AccessRight | None = None
    for right in access_rights(doc):
        if right.client != str(client) or right.service != str(service):
            continue
        if found is not None and (not found.endpoints or not right.endpoints):
            return AccessRight(right.client, right.service, ())
        before = found.endpoints if found is not None else ()
        merged = (*before, *(e for e in right.endpoints if e not in before))
        found = AccessRight(right.client, right.service, merged)
    return found


def service_endpoints(doc: dict[str, Any], right: AccessRight) -> tuple[Endpoint, ...]:
    """What a grant of every endpoint covers: the service's endpoints, spelled out."""
    member, index = find_service(doc, ServiceId.parse(right.service))
    listed = tuple((e["method"], e["path"]) for e in member["services"][index].get("endpoints", []))
    if not listed:
        raise AdminError(
            f"{right.client} may call any method and path of {right.service} (the service "
            "lists no endpoints); withdraw the access right whole and grant what should remain"
        )
    return listed


def replace_access(
    doc: dict[str, Any], client: ClientId, service: ServiceId, right: AccessRight | None
) -> None:
    """Replace the pair's entries with ``right`` (at the first one's place), or none."""
    entries = doc.setdefault("access", [])
    places = [
        i
        for i, entry in enumerate(entries)
        if entry["client"] == str(client) and entry["service"] == str(service)
    ]
    for i in reversed(places):
        del entries[i]
    if right is not None:
        entry: dict[str, Any] = {"client": right.client, "service": right.service}
        if right.endpoints:
            entry["endpoints"] = endpoint_entries(right.endpoints)
        entries.insert(places[0] if places else len(entries), entry)


def drop_access(
    doc: dict[str, Any], removed: Callable[[AccessRight], bool]
) -> tuple[AccessRight, ...]:
    kept: list[dict[str, Any]] = []
    gone: list[dict[str, Any]] = []
    for entry in doc.get("access", []):
        (gone if removed(AccessRight.from_entry(entry)) else kept).append(entry)
    doc["access"] = kept
    return tuple(AccessRight.from_entry(entry) for entry in gone)


def listing(endpoints: Sequence[Endpoint]) -> str:
    return ", ".join(f"{method} {path}" for method, path in endpoints)
