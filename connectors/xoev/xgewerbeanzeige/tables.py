"""The code tables and fixed values the XGewerbeanzeige mapping converts with.

Usage::

    JANEIN.map("code", "value", "1")             # "true"
    DESTATIS.map("destatis", "alpha2", "332")    # "CL"
    ISO3166.map("numeric", "alpha2", "276")      # "DE"

Tables live in ``schemas/codes/`` with their sources (``de-xgewerbeanzeige-*``, the Destatis
country keys ``de-destatis-staaten``, ISO 3166-1 ``iso3166-1``).
"""

from __future__ import annotations

from typing import Any

from connectors.codes import CodeTable, code_table
from gateway.shipped import load_json

__all__ = [
    "DESTATIS",
    "EINTRAGUNGSART",
    "ERREICHBARKEIT",
    "FOREIGN_REGISTERS",
    "GESCHLECHT",
    "ISO3166",
    "JANEIN",
    "NATIONALITY_LIST_URI",
    "NATIONALITY_LIST_VERSION",
    "NATION_LIST_VERSION",
    "NAT_VERZEICHNIS",
    "REASON_LISTS",
    "RECHTSFORM",
    "WZ_LIST_URI",
]

JANEIN: CodeTable = code_table("de-xgewerbeanzeige-janein")
GESCHLECHT: CodeTable = code_table("de-xgewerbeanzeige-geschlecht")
EINTRAGUNGSART: CodeTable = code_table("de-xgewerbeanzeige-eintragungsart")
ERREICHBARKEIT: CodeTable = code_table("de-xgewerbeanzeige-erreichbarkeit")
RECHTSFORM: CodeTable = code_table("de-xgewerbeanzeige-rechtsform")
DESTATIS: CodeTable = code_table("de-destatis-staaten")
ISO3166: CodeTable = code_table("iso3166-1")

_DESTATIS_DOC: dict[str, Any] = load_json("codes/de-destatis-staaten.v1.json")
NATIONALITY_LIST_URI: str = _DESTATIS_DOC.get(
    "listURIStaatsangehoerigkeit",
    "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit",
)
# The version the 2.1 and 2.2 samples state on staatsangehoerigkeitSchluessel; current
# states have the same key in every version of the list.
NATIONALITY_LIST_VERSION = "2019-04-01"
# nationSchluessel: ISO 3166-1 numeric; 2.2 states list version 2, 2.0/2.1 name the key
# directory NAT112013 (every address in the samples).
NATION_LIST_VERSION = "2"
NAT_VERZEICHNIS = "NAT112013"

WZ_LIST_URI = "urn:xgw:codelist:wz-2008"

# Reasons by element (listURIs as the 2.1 samples state them).
REASON_LISTS: dict[str, str] = {
    "grundAnmeldungSchluessel": "urn:xoev-de:xgewerbeanzeige:codeliste:grundfueranmeldung",
    "grundUmmeldungSchluessel": "urn:xoev-de:xgewerbeanzeige:codeliste:grundfuerummeldung",
    "grundAbmeldungSchluessel": "urn:xoev-de:xgewerbeanzeige:codeliste:grundfuerabmeldung",
    "ursacheAbmeldungSchluessel": "urn:xoev-de:xgewerbeanzeige:codeliste:ursachefuerabmeldung",
}

# A register entry without German register type and court, whose head office is in one of
# these countries, is that country's business register (xgw's convention; see the docs).
FOREIGN_REGISTERS: dict[str, str] = {
    "EE": "ee.registrikood",
    "NL": "nl.kvk",
    "BE": "be.enterprise",
}
