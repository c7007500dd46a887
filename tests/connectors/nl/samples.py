"""BRP and KvK messages written by hand to the official OpenAPI schemas (no sample responses
exist in ../shared). Every one is checked against the official documents in the tests.

Names and places are made up but spelled as Dutch, Belgian and Turkish registers spell
them: diacritics (ë, é, ç, ï), the ĳ ligature, name prefixes, an upper-case given name.
"""

from __future__ import annotations

import copy
from typing import Any

Doc = dict[str, Any]

BSN = "999993653"  # Haal Centraal test BSN, passes the 11-check
BSN_FAILING = "999993654"  # fails the 11-check

PERSOON: Doc = {
    "burgerservicenummer": BSN,
    "aNummer": "1234567890",
    "geslacht": {"code": "V", "omschrijving": "vrouw"},
    "naam": {
        "voornamen": "Zoë Ĳsbrand Anaïs JOËLLE",
        "voorvoegsel": "van der",
        "geslachtsnaam": "Çelik-Hoëvenaars",
        "voorletters": "Z.I.A.J.",
        "volledigeNaam": "Zoë Ĳsbrand Anaïs JOËLLE van der Çelik-Hoëvenaars",
        "adellijkeTitelPredicaat": {
            "code": "JV",
            "omschrijving": "jonkvrouw",
            "soort": "predicaat",
        },
        "aanduidingNaamgebruik": {"code": "E", "omschrijving": "eigen geslachtsnaam"},
    },
    "geboorte": {
        "datum": {"type": "JaarMaandDatum", "jaar": 1985, "maand": 3, "langFormaat": "maart 1985"},
        "plaats": {"code": "0518", "omschrijving": "'s-Gravenhage"},
        "land": {"code": "6030", "omschrijving": "Nederland"},
    },
    "leeftijd": 40,
    "nationaliteiten": [
        {
            "type": "Nationaliteit",
            "nationaliteit": {"code": "0001", "omschrijving": "Nederlandse"},
            "redenOpname": {"code": "001", "omschrijving": "Wet op het Nederlanderschap 1892"},
        }
    ],
    "verblijfplaats": {
        "type": "Adres",
        "verblijfadres": {
            "officieleStraatnaam": "Laan van Nieuw Oost-Indië",
            "korteStraatnaam": "Ln v N O-Indië",
            "huisnummer": 12,
            "huisletter": "a",
            "huisnummertoevoeging": "bis",
            "postcode": "2593 BT",
            "woonplaats": "'s-Gravenhage",
        },
        "functieAdres": {"code": "W", "omschrijving": "woonadres"},
        "adresseerbaarObjectIdentificatie": "0518010000573016",
        "nummeraanduidingIdentificatie": "0518200000573015",
        "datumVan": {"type": "Datum", "datum": "2012-08-01", "langFormaat": "1 augustus 2012"},
    },
    "gemeenteVanInschrijving": {"code": "0518", "omschrijving": "'s-Gravenhage"},
    "datumInschrijvingInGemeente": {"type": "JaarDatum", "jaar": 1985, "langFormaat": "1985"},
    "inOnderzoek": {
        "burgerservicenummer": True,
        "datumIngangOnderzoekPersoon": {
            "type": "DatumOnbekend",
            "onbekend": True,
            "langFormaat": "onbekend",
        },
    },
}

# A deceased person born abroad with an unknown birth date, living abroad.
OVERLEDEN: Doc = {
    "burgerservicenummer": "999990019",
    "geslacht": {"code": "M", "omschrijving": "man"},
    "naam": {"voornamen": "Daniël François", "voorvoegsel": "d'", "geslachtsnaam": "Hondt"},
    "geboorte": {
        "datum": {"type": "DatumOnbekend", "onbekend": True, "langFormaat": "onbekend"},
        "plaats": {"omschrijving": "Liège"},
        "land": {"code": "5010", "omschrijving": "België"},
    },
    "overlijden": {
        "datum": {"type": "Datum", "datum": "2021-11-05", "langFormaat": "5 november 2021"},
        "plaats": {"omschrijving": "Brussel"},
        "land": {"code": "5010", "omschrijving": "België"},
    },
    "verblijfplaats": {
        "type": "VerblijfplaatsBuitenland",
        "verblijfadres": {
            "regel1": "Rue de l'Église 12",
            "regel2": "4000 Liège",
            "land": {"code": "5010", "omschrijving": "België"},
        },
    },
}

# A briefadres (postal address), a year-only birth date.
BRIEFADRES: Doc = {
    "burgerservicenummer": "999995078",
    "geslacht": {"code": "O", "omschrijving": "onbekend"},
    "naam": {"voornamen": "Geertruida", "geslachtsnaam": "Ĳzerman"},
    "geboorte": {"datum": {"type": "JaarDatum", "jaar": 1931, "langFormaat": "1931"}},
    "verblijfplaats": {
        "type": "Adres",
        "verblijfadres": {
            "officieleStraatnaam": "Postbus",
            "huisnummer": 1,
            "postcode": "1000AA",
            "woonplaats": "Amsterdam",
        },
        "functieAdres": {"code": "B", "omschrijving": "briefadres"},
    },
}

# A houseboat: a Locatie.
LOCATIE: Doc = {
    "burgerservicenummer": "999991723",
    "naam": {"voornamen": "Pieter", "voorvoegsel": "van 't", "geslachtsnaam": "Hek"},
    "geboorte": {
        "datum": {"type": "Datum", "datum": "1970-01-31", "langFormaat": "31 januari 1970"}
    },
    "verblijfplaats": {
        "type": "Locatie",
        "verblijfadres": {"locatiebeschrijving": "Woonboot bij de Amstel"},
        "functieAdres": {"code": "W", "omschrijving": "woonadres"},
    },
}

ONBEKEND: Doc = {
    "burgerservicenummer": "999992934",
    "naam": {"voornamen": "Jan", "geslachtsnaam": "Vries", "voorvoegsel": "de"},
    "verblijfplaats": {
        "type": "VerblijfplaatsOnbekend",
        "datumVan": {"type": "JaarDatum", "jaar": 2019, "langFormaat": "2019"},
    },
}

# What a search (ZoekMet...) returns: PersoonBeperkt.
BEPERKT: Doc = {
    "burgerservicenummer": BSN,
    "geslacht": {"code": "V", "omschrijving": "vrouw"},
    "naam": {
        "voornamen": "Zoë",
        "voorvoegsel": "van der",
        "geslachtsnaam": "Berg",
        "voorletters": "Z.",
    },
    "geboorte": {"datum": {"type": "Datum", "datum": "1983-05-26", "langFormaat": "26 mei 1983"}},
    "leeftijd": 42,
    "adressering": {"adresregel1": "Keizersgracht 1", "adresregel2": "1015 CJ  AMSTERDAM"},
}


def raadpleeg_response(*personen: Doc) -> Doc:
    return {"type": "RaadpleegMetBurgerservicenummer", "personen": copy.deepcopy(list(personen))}


def zoek_response(*personen: Doc) -> Doc:
    return {
        "type": "ZoekMetGeslachtsnaamEnGeboortedatum",
        "personen": copy.deepcopy(list(personen)),
    }


ZOEK_REQUEST: Doc = {
    "type": "ZoekMetGeslachtsnaamEnGeboortedatum",
    "geslachtsnaam": "Çelik*",
    "geboortedatum": "1983-05-26",
    "geslacht": "v",
    "voorvoegsel": "van der",
    "voornamen": "Zoë Anaïs",
    "inclusiefOverledenPersonen": True,
    "gemeenteVanInschrijving": "0363",
    "fields": ["burgerservicenummer", "naam", "geboorte.datum", "geslacht"],
}

RAADPLEEG_REQUEST: Doc = {
    "type": "RaadpleegMetBurgerservicenummer",
    "burgerservicenummer": [BSN, "999990019"],
    "gemeenteVanInschrijving": "0518",
    "fields": [
        "burgerservicenummer",
        "naam.voornamen",
        "naam.geslachtsnaam",
        "geboorte",
        "overlijden",
        "verblijfplaats",
        "nationaliteiten",
        "geslacht",
    ],
}

# --- KvK -------------------------------------------------------------------------------------

BASISPROFIEL: Doc = {
    "kvkNummer": "68750110",
    "indNonMailing": "Ja",
    "naam": "Bakkerij Hoëvenaars & Çelik B.V.",
    "formeleRegistratiedatum": "20170512",
    "materieleRegistratie": {"datumAanvang": "19850300", "datumEinde": "20300000"},
    "totaalWerkzamePersonen": 12,
    "statutaireNaam": "Bakkerij Hoëvenaars & Çelik B.V.",
    "handelsnamen": [
        {"naam": "Bakkerij Hoëvenaars", "volgorde": 0},
        {"naam": "De Ĳsbakker", "volgorde": 1},
        {"naam": "Café Zoë", "volgorde": 2},
    ],
    "sbiActiviteiten": [
        {
            "sbiCode": "1071",
            "sbiOmschrijving": "Vervaardiging van brood en vers banketbakkerswerk",
            "indHoofdactiviteit": "Ja",
        },
        {"sbiCode": "56101", "sbiOmschrijving": "Restaurants", "indHoofdactiviteit": "Nee"},
    ],
    "links": [{"rel": "self", "href": "https://api.kvk.nl/test/api/v1/basisprofielen/68750110"}],
    "_embedded": {
        "hoofdvestiging": {
            "vestigingsnummer": "000037178598",
            "kvkNummer": "68750110",
            "formeleRegistratiedatum": "20170512",
            "eersteHandelsnaam": "Bakkerij Hoëvenaars",
            "indHoofdvestiging": "Ja",
            "indCommercieleVestiging": "Ja",
            "voltijdWerkzamePersonen": 8,
            "deeltijdWerkzamePersonen": 4,
            "totaalWerkzamePersonen": 12,
            "adressen": [
                {
                    "type": "bezoekadres",
                    "indAfgeschermd": "Nee",
                    "volledigAdres": "Laan van Nieuw Oost-Indië 12 a-bis 2593BT 's-Gravenhage",
                    "straatnaam": "Laan van Nieuw Oost-Indië",
                    "huisnummer": 12,
                    "huisletter": "a",
                    "huisnummerToevoeging": "bis",
                    "postcode": "2593BT",
                    "plaats": "'s-Gravenhage",
                    "straatHuisnummer": "Laan van Nieuw Oost-Indië 12 a-bis",
                    "postcodeWoonplaats": "2593BT 's-Gravenhage",
                    "regio": "Zuid-Holland",
                    "land": "Nederland",
                    "geoData": {
                        "addresseerbaarObjectId": "0518010000573016",
                        "nummerAanduidingId": "0518200000573015",
                        "gpsLatitude": 52.0907,
                        "gpsLongitude": 4.3257,
                    },
                },
                {
                    "type": "correspondentieadres",
                    "postbusnummer": 1234,
                    "postcode": "2500AA",
                    "plaats": "'s-Gravenhage",
                    "land": "Nederland",
                },
            ],
            "websites": ["www.ijsbakker.nl", "https://café-zoë.nl"],
        },
        "eigenaar": {
            "rsin": "857587973",
            "rechtsvorm": "BeslotenVennootschap",
            "uitgebreideRechtsvorm": "Besloten Vennootschap met gewone structuur",
            "adressen": [{"type": "bezoekadres", "straatnaam": "Laan van Nieuw Oost-Indië"}],
        },
    },
}
