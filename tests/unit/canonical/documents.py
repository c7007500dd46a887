"""Hand-written canonical documents: one full valid example per kind, from the partner samples.

Usage::

    from tests.unit.canonical.documents import VALID
    validate("Person", VALID["Person"])
"""

from __future__ import annotations

from typing import Any

from connectors.canonical import (
    Address,
    LegalEntity,
    LegalEntityQuery,
    Person,
    PersonQuery,
    TradeNotification,
)

__all__ = ["VALID"]

# MAGDA Hoofdverblijfplaats (GeefPersoon sample), Belgian street in one language.
ADDRESS: Address = {
    "thoroughfare": "Dorpsstraat",
    "thoroughfareNames": [{"lang": "nl", "text": "Dorpsstraat"}],
    "locatorDesignator": "405",
    "locatorDesignators": [{"designator": "405", "type": "addressNumber"}],
    "postCode": "3070",
    "postName": "Kortenberg",
    "municipalityCode": {"code": "24055", "listURI": "urn:xgw:codelist:be-nis-gemeente"},
    "adminUnitL1": "BE",
}

# An Estonian register person with a German tax number, Estonian and Czech diacritics. The
# isikukood is the register mock's test number (fails its checksum: accepted in lenient mode).
PERSON: Person = {
    "identifiers": [
        {"notation": "48503150000", "scheme": "ee.isikukood", "issuer": "EE"},
        {"notation": "65929970489", "scheme": "de.steuer-idnr"},
    ],
    "name": {
        "givenNames": ["MARI", "Õie"],
        "familyName": "MAASIKAS",
        "birthName": "Šťastný",
        "formerNames": [{"familyName": "Põder", "period": {"end": "2010-06"}}],
        "title": "Dr.",
    },
    "gender": "female",
    "birthDate": "1985-03",
    "birthPlace": {"name": "Tartu", "country": "EE"},
    "nationalities": ["EE", "CZ"],
    "residenceAddress": {
        "thoroughfare": "Pärnu mnt",
        "locatorDesignator": "123",
        "postCode": "11313",
        "postName": "Tallinn",
        "adminUnitL1": "EE",
        "fullAddress": "Pärnu mnt 123, 11313 Tallinn",
    },
    "contactPoints": [{"channel": "telephone", "value": "0355 141455"}],
    "relatedPersons": [
        {
            "role": "mother",
            "person": {
                "name": {"givenNames": ["Tiiu"], "familyName": "Põder"},
                "birthDate": "1960",
            },
        }
    ],
    "event": {
        "type": "birth",
        "date": "1985-03",
        "time": "10:00",
        "place": {"address": {"thoroughfare": "Straße der Geburtsangaben", "postName": "Görlitz"}},
        "facility": "Städtisches Klinikum Görlitz",
    },
}

# ariregister detailandmed_v2 sample (99000001 is its test registry code).
LEGAL_ENTITY: LegalEntity = {
    "identifiers": [{"notation": "99000001", "scheme": "ee.registrikood", "issuer": "EE"}],
    "personType": "legal",
    "legalNames": [{"lang": "et", "text": "Põhjaranniku Puit OÜ"}],
    "status": {"code": "R", "listURI": "urn:xgw:codelist:ee-ariregister-staatus"},
    "registrationDate": "2024-09-01",
    "addresses": [
        {
            "role": "registered",
            "address": {
                "fullAddress": "Pärnu mnt 123, 11313 Tallinn",
                "postCode": "11313",
                "postName": "Tallinn",
                "adminUnitL1": "EE",
            },
            "period": {"start": "2024-09-01"},
        },
        {
            "role": "other",
            "address": {"fullAddress": "Vana tn 1, 50000 Tartu", "adminUnitL1": "EE"},
            "period": {"start": "2020-01-01", "end": "2024-08-31"},
        },
    ],
    "activities": [
        {
            "codes": [
                {
                    "code": "66301",
                    "listURI": "urn:xgw:codelist:emtak",
                    "name": "Fondide valitsemine",
                },
                {"code": "6630", "listURI": "urn:xgw:codelist:nace-rev2"},
            ],
            "primary": True,
            "period": {"start": "2024-09-01"},
        }
    ],
    "representatives": [
        {
            "role": {"code": "JUHL", "name": "juhatuse liige"},
            "person": {"name": {"givenNames": ["Jüri"], "familyName": "Tamm"}},
        },
        {
            "role": {"code": "OSAN"},
            "organisation": {"legalNames": [{"lang": "et", "text": "Puit AS"}]},
        },
    ],
    "representationRules": [
        {
            "code": {"code": "AINUESINDUS"},
            "text": "Tehingute tegemiseks on nõutav nõukogu nõusolek",
            "period": {"start": "2024-09-01", "end": "2030-12-31"},
        }
    ],
}

# XGewerbeanzeige 2.2 valid sample (Tibor Pick e.K.), shortened.
TRADE_NOTIFICATION: TradeNotification = {
    "notificationType": "registration",
    "id": "5687CF4A-5C7B-43F1-933E-E5A7F69F7967",
    "isCorrection": False,
    "created": "2016-07-04T17:54:42+00:00",
    "notificationDate": "2016-07-02",
    "effectiveDate": "2016-08-01",
    "author": {
        "prefix": {"code": "MELDID", "listVersionID": "7"},
        "code": {
            "code": "12052000",
            "listURI": "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags",
            "listVersionID": "2018-01-31",
        },
        "name": "Gewerbeamt Cottbus",
    },
    "municipalityCode": {"code": "12052000", "listVersionID": "2019-05-31"},
    "municipalityReference": "2015 1023",
    "business": {
        "identifiers": [
            {
                "notation": "HRA 11111",
                "scheme": "de.handelsregister",
                "schemeAgency": "Cottbus",
                "schemeAgencyCode": {"code": "G1103", "listVersionID": "5"},
            },
        ],
        "legalNames": [{"lang": "de", "text": "Tibor Pick e.K."}],
        "legalForm": {"code": "170"},
    },
    "persons": [
        {
            "role": {"code": "1"},
            "person": {
                "name": {"givenNames": ["Tibor"], "familyName": "Pick", "birthName": "Rodríguez"},
                "gender": "male",
                "birthDate": "1965-10-12",
                "birthPlace": {"name": "Santiago", "countryName": "Chile", "country": "CL"},
                "nationalities": ["CL"],
            },
            "residencePermit": {
                "status": {"code": "1"},
                "issued": "2002-01-02",
                "issuerName": "Stadt Cottbus",
            },
        }
    ],
    "establishmentAddress": {
        "thoroughfare": "Spremberger Str.",
        "thoroughfareCode": {"code": "0000001801"},
        "locatorDesignator": "90",
        "postCode": "03046",
        "postName": "Cottbus",
        "adminUnitL1": "DE",
    },
    "establishmentType": {"code": "1"},
    "sectors": ["craft"],
    "fullTimeEmployees": 0,
    "partTimeEmployees": 2,
    "itinerant": False,
    "sideline": False,
    "craftCard": {"status": {"code": "1"}, "issued": "2012-03-01", "issuerPostName": "Cottbus"},
    "activities": [
        {
            "description": "Friseur",
            "codes": [
                {
                    "code": "96021",
                    "listURI": "urn:xgw:codelist:wz-2008",
                    "name": "Friseurgewerbe (Damen- und Herrenfriseursalons)",
                }
            ],
            "primary": True,
        }
    ],
    "activitiesSummary": "Verkauf von Haarpflegeprodukten|Make-up-Beratung",
    "reasons": [{"code": "01"}],
}

# BRP ZoekMetGeslachtsnaamEnGeboortedatum.
PERSON_QUERY: PersonQuery = {
    "familyName": "Berg",
    "namePrefix": "van der",
    "givenNames": ["Jan"],
    "birthDate": "1984-03-15",
    "includeDeceased": False,
    "fields": ["name", "birthDate", "residenceAddress"],
}

LEGAL_ENTITY_QUERY: LegalEntityQuery = {
    "identifiers": [{"notation": "0202239951", "scheme": "be.enterprise"}],
    "language": "nl",
    "period": {"start": "2025-01-01", "end": "2026-01-01"},
    "fields": ["legalNames", "addresses", "activities"],
}

VALID: dict[str, Any] = {
    "Address": ADDRESS,
    "LegalEntity": LEGAL_ENTITY,
    "LegalEntityQuery": LEGAL_ENTITY_QUERY,
    "Person": PERSON,
    "PersonList": {"persons": [PERSON]},
    "PersonQuery": PERSON_QUERY,
    "TradeNotification": TRADE_NOTIFICATION,
}
