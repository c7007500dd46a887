"""Questions one canonical document raises about another: the pivot between services.

Usage::

    query = legal_entity_query_for(notification, country="EE")
    # {"identifiers": [{"notation": "12345678", "scheme": "ee.registrikood", ...}]}

A German trade office that receives an Anmeldung for a foreign company asks that
company's register about it; the question is built from the canonical
notification, so the register's own format never meets XÖV.
"""

from __future__ import annotations

from connectors.canonical.types import LegalEntityQuery, TradeNotification
from gateway.errors import ConnectorError

__all__ = ["legal_entity_query_for"]


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
