"""Questions one canonical document raises about another: the pivot between services.

Usage::

    query = legal_entity_query_for(notification, country="EE")
    # {"identifiers": [{"notation": "12345678", "scheme": "ee.registrikood", ...}]}
    verified, notes = with_registered_business(notification, entity)  # the register's answer

A German trade office that receives an Anmeldung for a foreign company asks that
company's register about it; the question is built from the canonical
notification, so the register's own format never meets XÖV.
"""

from __future__ import annotations

from typing import Any

from connectors.canonical.types import LegalEntity, LegalEntityQuery, TradeNotification
from gateway.errors import ConnectorError

__all__ = ["legal_entity_query_for", "with_registered_business"]


def legal_entity_query_for(
    notification: TradeNotification, *, country: str | None = None
) -> LegalEntityQuery:
    """The business of ``notification``, by its registry identifiers (of ``country`` only,
    when given), else by its legal name; ConnectorError when it has neither."""
    business = notification.get("business") or {}
    wanted = [
        identifier
        for identifier in business.get("identifiers", [])
        if country is None or identifier["scheme"].startswith(f"{country.lower()}.")
    ]
    if wanted:
        return {"identifiers": wanted}
    names = business.get("legalNames", [])
    if names:
        query: LegalEntityQuery = {"name": names[0]["text"]}
        if country is not None:
            query["country"] = country
        return query
    raise ConnectorError("the notification names its business by no identifier and no name")


def with_registered_business(
    notification: TradeNotification, entity: LegalEntity
) -> tuple[TradeNotification, list[str]]:
    """The notification with its business as the register knows it, and what changed.

    The register is the authority on what it records (names, identifiers, legal form,
    status, addresses, representatives); what it does not record (the business's
    e-mail, say) stays as notified. Each field the register corrected is named in a
    note, with neither value: notes reach the audit log, which holds no payloads.
    """
    notified: dict[str, Any] = dict(notification.get("business") or {})
    business = dict(notified)
    notes = []
    for field, value in entity.items():
        if field in notified and notified[field] != value:
            notes.append(f"business.{field}: the register's value replaces the notified one")
        business[field] = value
    verified: TradeNotification = {**notification, "business": business}  # type: ignore[typeddict-item]
    return verified, notes
