"""The canonical model: JSON Schemas in ``schemas/canonical/``, their Python types, one validator.

Usage::

    from connectors.canonical import KINDS, Person, validate

    person: Person = {
        "name": {"givenNames": ["Jan", "Peter"], "namePrefix": "van der", "familyName": "Berg"},
        "birthDate": "1984-03",
    }
    validate("Person", person)  # ConnectorError names the first violation's JSON path

``KINDS`` are the canonical types (``Envelope.kind``): Address, LegalEntity,
LegalEntityQuery, Person, PersonQuery, TradeNotification. The model, field by
field with its SEMIC term, is in ``docs/canonical-model.md``.
"""

from __future__ import annotations

from connectors.canonical.types import (
    Activity,
    Address,
    Authority,
    CivilStatusEvent,
    Code,
    ContactPoint,
    Country,
    DateTime,
    FormerName,
    Gender,
    Identifier,
    Informant,
    LangText,
    LegalEntity,
    LegalEntityQuery,
    LocatorDesignator,
    PartialDate,
    Participant,
    Period,
    Permit,
    Person,
    PersonList,
    PersonName,
    PersonQuery,
    Place,
    RelatedPerson,
    RepresentationRule,
    Representative,
    RoleAddress,
    TradeNotification,
)
from connectors.canonical.validate import KINDS, SCHEMA_FILES, compile_all, schema, validate

__all__ = [
    "KINDS",
    "SCHEMA_FILES",
    "Activity",
    "Address",
    "Authority",
    "CivilStatusEvent",
    "Code",
    "ContactPoint",
    "Country",
    "DateTime",
    "FormerName",
    "Gender",
    "Identifier",
    "Informant",
    "LangText",
    "LegalEntity",
    "LegalEntityQuery",
    "LocatorDesignator",
    "PartialDate",
    "Participant",
    "Period",
    "Permit",
    "Person",
    "PersonList",
    "PersonName",
    "PersonQuery",
    "Place",
    "RelatedPerson",
    "RepresentationRule",
    "Representative",
    "RoleAddress",
    "TradeNotification",
    "compile_all",
    "schema",
    "validate",
]
