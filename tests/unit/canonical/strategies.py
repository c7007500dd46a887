"""Hypothesis strategies that generate valid canonical documents of every kind.

Usage::

    from hypothesis import given
    from tests.unit.canonical.strategies import documents, persons

    @given(persons(schemes=("nl.bsn",), countries=("NL",)))
    def test_brp_round_trip(person): ...

    @given(documents("TradeNotification"))
    def test_any(doc): ...

Documents are realistic: names from several countries with their diacritics and
spellings (Põder, Müller, Šťastný, van der Berg, D'Hondt, upper-case Estonian
register names), partial dates ('1984', '1984-03', '1984-03-15'), 0..n
identifiers whose notations pass their check digits, ISO alpha-2 countries,
multilingual Belgian names. Every property is optional except where the schema
requires it, so a connector sees sparse and full documents alike. Arguments
narrow a strategy to what one partner format can carry (``schemes``,
``countries``); a connector's property test maps the rest to its notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from connectors.canonical import KINDS

__all__ = [
    "COUNTRIES",
    "SCHEMES",
    "STRATEGIES",
    "activities",
    "addresses",
    "authorities",
    "codes",
    "contact_points",
    "countries",
    "date_times",
    "documents",
    "full_dates",
    "identifiers",
    "lang_texts",
    "legal_entities",
    "legal_entity_queries",
    "notation",
    "partial_dates",
    "periods",
    "person_names",
    "person_queries",
    "persons",
    "places",
    "trade_notifications",
]

Draw = st.DrawFn
Doc = dict[str, Any]

# The partners' countries first; a few others so that foreign births and nationalities occur.
COUNTRIES = (
    "DE",
    "EE",
    "NL",
    "BE",
    "LU",
    "FR",
    "AT",
    "PL",
    "CZ",
    "LV",
    "LT",
    "FI",
    "TR",
    "CL",
    "UA",
)
PERSON_SCHEMES = ("de.steuer-idnr", "nl.bsn", "be.ssin", "ee.isikukood", "lu.matricule")
ENTITY_SCHEMES = (
    "de.handelsregister", "nl.kvk", "nl.rsin", "nl.kvk-vestiging", "be.enterprise",
    "be.establishment", "ee.registrikood", "eu.euid",
)  # fmt: skip
SCHEMES = PERSON_SCHEMES + ENTITY_SCHEMES

# (given names, family names, name prefixes, places) per country: real spellings, kept verbatim.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "DE": (
        ("Jürgen", "Anna-Lena", "Björn", "Käthe", "Hans-Peter", "Müşerref", "Erika", "Günther"),
        ("Müller", "Schröder", "Weiß", "Groß", "Meyer-Lüdenscheid", "Straßburger", "Öztürk"),
        ("von", "von der", "zu"),
        ("Cottbus", "München", "Köln", "Görlitz", "Düsseldorf", "Fürstenwalde/Spree"),
    ),
    "EE": (
        ("Mari", "Jüri", "Tõnu", "Õie", "Ülle", "MARI", "Märt", "Liis"),
        ("Maasikas", "Põder", "Tamm", "Õunapuu", "Mägi", "MAASIKAS", "Sepp", "Kask"),
        (),
        ("Tallinn", "Tartu", "Pärnu", "Võru", "Jõhvi", "Kärdla"),
    ),
    "NL": (
        ("Jan", "Pieter", "Anneke", "Joëlle", "Daniël", "Zoë", "Geertruida"),
        ("Berg", "Vries", "Jansen", "Bakker", "Hek", "Heuvel", "Dijk"),
        ("van der", "van den", "de", "van 't", "ter", "van"),
        ("Amsterdam", "'s-Hertogenbosch", "Den Haag", "IJmuiden", "Utrecht"),
    ),
    "BE": (
        ("François", "Hélène", "Jérôme", "Griet", "Maëlle", "Noël", "Hamid"),
        ("Dubois", "Lefèvre", "Peeters", "Van Damme", "D'Hondt", "Janssens", "Daoud"),
        ("de", "van", "le"),
        ("Liège", "Schaarbeek", "Kortenberg", "Gent", "Bruxelles", "Mons"),
    ),
    "CZ": (
        ("Jiří", "Růžena", "Šárka", "Lukáš"),
        ("Šťastný", "Dvořák", "Novotná", "Černý"),
        (),
        ("Brno", "Plzeň", "České Budějovice"),
    ),
    "PL": (
        ("Łukasz", "Małgorzata", "Zbigniew"),
        ("Wąsowski", "Żółkiewska", "Brzęczyszczykiewicz"),
        (),
        ("Łódź", "Kraków", "Gdańsk"),
    ),
    "TR": (
        ("Gökhan", "Şule", "Çağlar", "İbrahim"),
        ("Çelik", "Şahin", "Yıldız", "Öztürk"),  # noqa: RUF001 (Turkish dotless i)
        (),
        ("İstanbul", "Eskişehir", "Muğla"),
    ),
    "FR": (
        ("Benoît", "Françoise", "Anaïs"),
        ("Lefèbvre", "Garçon", "Chloé-Marçais"),
        ("de", "du", "d'"),
        ("Besançon", "Orléans", "Nîmes"),
    ),
}
_BUSINESS = (
    "Põhjaranniku Puit OÜ", "Test Firma OÜ", "Müller & Söhne GmbH", "Tibor Pick e.K.",
    "Bäckerei Groß OHG", "PROXIMUS", "Boulangerie Lefèvre SRL", "Bakkerij van der Berg B.V.",
    "Šťastný s.r.o.", "Ärzte-Genossenschaft eG", "Friseursalon Schöne Haare",
)  # fmt: skip
_STREETS = (
    "Pärnu mnt", "Karl-Marx-Str.", "Spremberger Str.", "Rue de l'Église", "Dorpsstraat",
    "Koning Albert II-laan", "Õie tn", "Straße des 17. Juni", "Keizersgracht", "Václavské náměstí",
)  # fmt: skip
_ACTIVITIES = (
    ("96021", "urn:xgw:codelist:wz-2008", "Friseurgewerbe (Damen- und Herrenfriseursalons)"),
    ("47750", "urn:xgw:codelist:wz-2008", "Haarbehandlungsmittel, zubereitete, Einzelhandel"),
    ("66301", "urn:xgw:codelist:emtak", "Fondide valitsemine"),
    ("6630", "urn:xgw:codelist:nace-rev2", "Fund management activities"),
    ("56101", "urn:xgw:codelist:nace-bel-2008", "Restauration à service complet"),
    ("4721", "urn:xgw:codelist:sbi", "Winkels in aardappelen, groenten en fruit"),
)  # fmt: skip

_LATIN = "abcdefghijklmnopqrstuvwxyzäöüßõšžéèêëçàâîïôûñåæøłńśźżčřůýáíóúğışėįųā"  # noqa: RUF001


def _words(min_size: int = 2, max_size: int = 12) -> st.SearchStrategy[str]:
    """Made-up names from Latin letters with diacritics (DIN 91379 range), capitalised."""
    word = st.text(alphabet=_LATIN, min_size=min_size, max_size=max_size)
    return word.map(lambda w: w[:1].upper() + w[1:])


def _optional(draw: Draw, doc: Doc, key: str, strategy: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        doc[key] = draw(strategy)


def _some(
    draw: Draw, doc: Doc, optional: dict[str, st.SearchStrategy[Any]], *, min_props: int = 0
) -> Doc:
    """Add a random subset of ``optional`` to ``doc`` (at least ``min_props`` keys in all)."""
    keys = draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=len(optional)))
    while len(doc) + len(keys) < min_props:
        keys.append(draw(st.sampled_from(sorted(set(optional) - set(keys)))))
    for key in sorted(keys, key=list(optional).index):  # the schema's order, as sources have it
        doc[key] = draw(optional[key])
    return doc


def _non_empty_lists(strategy: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[Any]:
    return st.lists(strategy, min_size=1, max_size=max_size)


# --- dates and codes ----------------------------------------------------------------------------


def full_dates(min_year: int = 1900, max_year: int = 2030) -> st.SearchStrategy[str]:
    dates = st.dates(dt.date(min_year, 1, 1), dt.date(max_year, 12, 31))
    return dates.map(dt.date.isoformat)


def partial_dates(min_year: int = 1900, max_year: int = 2030) -> st.SearchStrategy[str]:
    """'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' (full dates most often, as in the registers)."""
    full = full_dates(min_year, max_year)
    return st.one_of(full, full.map(lambda d: d[:7]), full.map(lambda d: d[:4]))


def date_times() -> st.SearchStrategy[str]:
    moments = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 12, 31))
    offsets = st.sampled_from(["Z", "+00:00", "+01:00", "+02:00", ""])
    return st.builds(lambda m, o: m.isoformat(timespec="seconds") + o, moments, offsets)


def countries(choices: Sequence[str] = COUNTRIES) -> st.SearchStrategy[str]:
    return st.sampled_from(tuple(choices))


@st.composite
def codes(draw: Draw, values: Sequence[str] | None = None) -> Doc:
    code = draw(
        st.sampled_from(values) if values else st.from_regex(r"[0-9A-Z]{1,5}", fullmatch=True)
    )
    doc: Doc = {"code": code}
    return _some(draw, doc, {
        "listURI": st.sampled_from([
            "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags",
            "urn:xoev-de:xinneres:codeliste:geschlecht", "urn:be:fgov:kbo:codes:juridischevorm",
        ]),
        "listVersionID": st.sampled_from(["1", "2019-05-31", "7"]),
        "name": st.sampled_from(["Zetel", "Normale toestand", "Einzelunternehmen", "Siège"]),
    })  # fmt: skip


# Names that Belgian and other sources give in several languages.
_TRANSLATIONS: dict[str, dict[str, str]] = {
    "Koning Albert II-laan": {"nl": "Koning Albert II-laan", "fr": "Boulevard du Roi Albert II"},
    "Bruxelles": {"fr": "Bruxelles", "nl": "Brussel", "de": "Brüssel"},
    "Liège": {"fr": "Liège", "nl": "Luik", "de": "Lüttich"},
    "Schaarbeek": {"nl": "Schaarbeek", "fr": "Schaerbeek"},
    "Mons": {"fr": "Mons", "nl": "Bergen"},
    "PROXIMUS": {"fr": "PROXIMUS", "nl": "PROXIMUS"},
    "Boulangerie Lefèvre SRL": {"fr": "Boulangerie Lefèvre SRL", "nl": "Bakkerij Lefèvre BV"},
}


@st.composite
def lang_texts(draw: Draw, texts: st.SearchStrategy[str] | None = None) -> list[Doc]:
    """One or more language versions of one name, each language once (real pairs where known)."""
    base = draw(texts if texts is not None else st.sampled_from(_BUSINESS))
    known = _TRANSLATIONS.get(base)
    if known is not None:
        langs = draw(st.lists(st.sampled_from(sorted(known)), min_size=1, unique=True))
        return [{"lang": lang, "text": known[lang]} for lang in langs]
    lang = draw(st.sampled_from(["de", "et", "nl", "fr", "en"]))
    return [{"lang": lang, "text": base}]


@st.composite
def periods(draw: Draw) -> Doc:
    return _some(draw, {}, {"start": partial_dates(1990, 2024), "end": partial_dates(2024, 2035)},
                 min_props=1)  # fmt: skip


@st.composite
def contact_points(draw: Draw) -> Doc:
    channel = draw(st.sampled_from(["email", "telephone", "mobile", "fax", "web", "other"]))
    value = {
        "email": "mari.maasikas@example.ee",
        "web": "https://www.example.be",
    }.get(channel, draw(st.sampled_from(["0355 - 6122840", "+372 5555 1234", "022024111"])))
    doc: Doc = {"channel": channel, "value": value}
    _optional(draw, doc, "code", codes(["01", "02", "03", "09"]))
    return doc


# --- identifiers ----------------------------------------------------------------------------


def _mod11_weights(digits: str, weights: Sequence[int]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def _elfproef(draw: Draw) -> str:
    while True:
        body = draw(st.from_regex(r"[1-9][0-9]{7}", fullmatch=True))
        check = _mod11_weights(body, range(9, 1, -1)) % 11
        if check < 10:
            return body + str(check)


def _ee_check(digits: str) -> int:
    first = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1]
    check = _mod11_weights(digits, first) % 11
    if check == 10:
        check = _mod11_weights(digits, [3, 4, 5, 6, 7, 8, 9, 1, 2, 3]) % 11
    return 0 if check == 10 else check


def _isikukood(draw: Draw) -> str:
    born = dt.date.fromisoformat(draw(full_dates(1900, 2029)))
    century = (born.year - 1800) // 100 * 2 + 1 + draw(st.integers(0, 1))  # 3/4 1900s, 5/6 2000s
    body = f"{century}{born:%y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + str(_ee_check(body))


def _registrikood(draw: Draw) -> str:
    body = draw(st.from_regex(r"[189][0-9]{6}", fullmatch=True))
    return body + str(_ee_check(body))


def _ssin(draw: Draw) -> str:
    born = dt.date.fromisoformat(draw(full_dates(1920, 2023)))
    bis = draw(st.sampled_from([0, 0, 20, 40]))  # BIS numbers add 20 or 40 to the month
    body = f"{born:%y}{born.month + bis:02d}{born:%d}{draw(st.integers(1, 997)):03d}"
    base = int(("2" if born.year >= 2000 else "") + body)
    return body + f"{97 - base % 97:02d}"


def _cbe(draw: Draw, first: str) -> str:
    body = draw(st.sampled_from(first)) + draw(st.from_regex(r"[0-9]{7}", fullmatch=True))
    return body + f"{97 - int(body) % 97:02d}"


def _steuer_idnr(draw: Draw) -> str:
    """Ten digits in which exactly one digit occurs twice, no leading zero, ISO 7064 check."""
    missing, doubled = draw(st.lists(st.sampled_from("0123456789"), min_size=2, max_size=2,
                                     unique=True))  # fmt: skip
    digits = list(draw(st.permutations([d for d in "0123456789" if d != missing] + [doubled])))
    if digits[0] == "0":
        first = next(i for i, d in enumerate(digits) if d != "0")
        digits[0], digits[first] = digits[first], digits[0]
    product = 10
    for d in digits:
        total = (int(d) + product) % 10 or 10
        product = total * 2 % 11
    check = 11 - product
    return "".join(digits) + str(0 if check == 10 else check)


def _luhn(digits: str) -> int:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


_D = [[(i + j) % 5 + 5 * ((i // 5 + j // 5) % 2) if i < 5 and j < 5 else 0
                for j in range(10)] for i in range(10)]  # fmt: skip
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]  # fmt: skip
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]  # fmt: skip
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def _verhoeff(digits: str) -> int:
    c = 0
    for i, d in enumerate(reversed(digits)):
        c = _D[c][_P[(i + 1) % 8][int(d)]]
    return _INV[c]


def _matricule(draw: Draw) -> str:
    born = dt.date.fromisoformat(draw(full_dates(1920, 2023)))
    body = f"{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + str(_luhn(body)) + str(_verhoeff(body))


@st.composite
def notation(draw: Draw, scheme: str) -> str:
    """A normalised notation of ``scheme`` that passes the scheme's check digits."""
    match scheme:
        case "nl.bsn" | "nl.rsin":
            return _elfproef(draw)
        case "nl.kvk":
            return draw(st.from_regex(r"[0-9]{8}", fullmatch=True))
        case "nl.kvk-vestiging":
            return draw(st.from_regex(r"[0-9]{12}", fullmatch=True))
        case "be.ssin":
            return _ssin(draw)
        case "be.enterprise":
            return _cbe(draw, "01")
        case "be.establishment":
            return _cbe(draw, "2345678")
        case "ee.isikukood":
            return _isikukood(draw)
        case "ee.registrikood":
            return _registrikood(draw)
        case "de.steuer-idnr":
            return _steuer_idnr(draw)
        case "lu.matricule":
            return _matricule(draw)
        case "de.handelsregister":
            kind = draw(st.sampled_from(["HRA", "HRB", "GnR", "PR", "VR"]))
            return f"{kind} {draw(st.integers(1, 999999))}"
        case "eu.euid":
            kvk = draw(st.from_regex(r"[0-9]{8}", fullmatch=True))
            return draw(st.sampled_from([f"NLNHR.{kvk}", f"BEKBOBCE.{_cbe(draw, '01')}",
                                         "DEK1101R.HRB116737"]))  # fmt: skip
    raise ValueError(f"no generator for scheme {scheme!r}")


@st.composite
def identifiers(draw: Draw, schemes: Sequence[str] = SCHEMES) -> Doc:
    scheme = draw(st.sampled_from(tuple(schemes)))
    doc: Doc = {"notation": draw(notation(scheme)), "scheme": scheme}
    if draw(st.booleans()) and scheme[:2] != "eu":
        doc["issuer"] = scheme[:2].upper()
    if scheme == "de.handelsregister" and draw(st.booleans()):
        doc["schemeAgency"] = draw(st.sampled_from(["Amtsgericht Cottbus", "Amtsgericht Köln"]))
        _optional(draw, doc, "schemeAgencyCode", codes(["G1103", "K1101"]))
    return doc


# --- addresses, places, names -------------------------------------------------------------------


def _names(country: str) -> tuple[tuple[str, ...], ...]:
    return _NAMES.get(country, _NAMES["DE"])


@st.composite
def addresses(draw: Draw, countries: Sequence[str] = COUNTRIES) -> Doc:
    """A Core Location address: sparse or full, never empty."""
    country = draw(st.sampled_from(tuple(countries)))
    number = str(draw(st.integers(1, 450)))
    letter = draw(st.sampled_from(["", "", "a", "B"]))
    designators = [{"designator": number, "type": "addressNumber"}]
    if letter:
        designators.append({"designator": letter, "type": "addressNumberExtension"})
    street = draw(st.sampled_from(_STREETS))
    city = draw(st.sampled_from(_names(country)[3]))
    postcode = draw(st.sampled_from(["03046", "11313", "1012 AB", "3070", "L-1011", "602 00"]))
    doc: Doc = {}
    return _some(draw, doc, {
        "fullAddress": st.just(f"{street} {number}{letter}\n{postcode} {city}"),
        "thoroughfare": st.just(street),
        "thoroughfareNames": lang_texts(st.just(street)),
        "thoroughfareCode": codes(["0000001801", "2177"]),
        "locatorDesignator": st.just(number + letter),
        "locatorDesignators": st.just(designators),
        "locatorName": st.sampled_from(["1. Hinterhof, 2. Aufgang", "Gebäude C", "bus 2"]),
        "addressArea": st.sampled_from(["Sielow", "Kesklinn", "Jordaan"]),
        "postCode": st.just(postcode),
        "postName": st.just(city),
        "postNames": lang_texts(st.just(city)),
        "municipalityCode": codes(["12052000", "24055", "0363", "0784"]),
        "adminUnitL2": st.sampled_from(["Brandenburg", "Harju maakond", "Vlaams-Brabant"]),
        "adminUnitL1": st.just(country),
        "poBox": st.sampled_from(["Postfach 10 02 34", "BP 1234"]),
        "addressId": st.sampled_from(["0363200000218908", "ME00668532"]),
    }, min_props=1)  # fmt: skip


@st.composite
def places(draw: Draw, countries: Sequence[str] = COUNTRIES) -> Doc:
    country = draw(st.sampled_from(tuple(countries)))
    city = draw(st.sampled_from(_names(country)[3]))
    return _some(draw, {}, {
        "name": st.just(city),
        "names": lang_texts(st.just(city)),
        "code": codes(["12052000", "24055", "0793"]),
        "country": st.just(country),
        "countryName": st.sampled_from(["Chile", "Afghanistan", "Vereinigtes Königreich"]),
        "address": addresses([country]),
    }, min_props=1)  # fmt: skip


@st.composite
def person_names(draw: Draw, countries: Sequence[str] = COUNTRIES) -> Doc:
    """A structured name in the spelling of one country (or made up from Latin letters)."""
    given, family, prefixes, _ = _names(draw(st.sampled_from(tuple(countries))))
    given_s = st.sampled_from(given) | _words()
    family_s = st.sampled_from(family) | _words()
    prefix_s = st.sampled_from(prefixes) if prefixes else st.nothing()
    optional: dict[str, st.SearchStrategy[Any]] = {
        "givenNames": _non_empty_lists(given_s),
        "familyName": family_s,
        "fullName": st.builds(lambda g, f: f"{g} {f}", given_s, family_s),
        "birthName": family_s,
        "formerNames": _non_empty_lists(st.fixed_dictionaries(
            {"familyName": family_s},
            optional={"givenNames": _non_empty_lists(given_s), "period": periods()},
        ), 2),
        "alternativeNames": _non_empty_lists(st.sampled_from(["Tibor", "Schwester Maria"]), 2),
        "title": st.sampled_from(["Dr.", "Prof. Dr.", "Dr. med."]),
        "nobleTitle": codes(["JH", "B", "GR"]),
    }  # fmt: skip
    if prefixes:
        optional["namePrefix"] = prefix_s
        optional["birthNamePrefix"] = prefix_s
    return _some(draw, {}, optional, min_props=1)


_GENDERS = st.sampled_from(["male", "female", "diverse", "unspecified", "unknown"])


@st.composite
def persons(
    draw: Draw,
    schemes: Sequence[str] = PERSON_SCHEMES,
    countries: Sequence[str] = COUNTRIES,
    depth: int = 1,
) -> Doc:
    """A Person; with ``depth`` > 0 it may have related persons (and an event with an informant)."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        "identifiers": st.lists(identifiers(schemes), max_size=3) if schemes else st.nothing(),
        "name": person_names(countries),
        "gender": _GENDERS,
        "birthDate": partial_dates(1900, 2024),
        "birthPlace": places(countries),
        "deceased": st.booleans(),
        "deathDate": partial_dates(2000, 2025),
        "deathPlace": places(countries),
        "nationalities": st.lists(st.sampled_from(tuple(countries)), min_size=1, max_size=3,
                                  unique=True),
        "maritalStatus": codes(["10", "20", "VH", "LD"]),
        "residenceAddress": addresses(countries),
        "postalAddress": addresses(countries),
        "contactPoints": _non_empty_lists(contact_points()),
    }  # fmt: skip
    if not schemes:
        del optional["identifiers"]
    if depth > 0:
        nested = persons(schemes, countries, depth - 1)
        optional["relatedPersons"] = _non_empty_lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(
                        [
                            "mother",
                            "father",
                            "parent",
                            "child",
                            "spouse",
                            "partner",
                            "guardian",
                            "legalRepresentative",
                            "other",
                        ]
                    ),
                    "person": nested,
                },
                optional={"roleCode": codes(["10", "20"]), "period": periods()},
            ),
            2,
        )
        optional["event"] = _events(nested, countries)
    doc = _some(draw, {}, optional)
    if "identifiers" in doc and not doc["identifiers"]:
        del doc["identifiers"]  # 0 identifiers: the property is absent
    return doc


def _events(informant: st.SearchStrategy[Doc], countries: Sequence[str]) -> st.SearchStrategy[Doc]:
    informants = st.fixed_dictionaries({}, optional={
        "person": informant, "organisationName": st.sampled_from(["Klinikum Cottbus", "Bestatter"]),
        "contactPoints": _non_empty_lists(contact_points()),
    }).filter(bool)  # fmt: skip
    return st.fixed_dictionaries({"type": st.sampled_from(["birth", "death"])}, optional={
        "date": partial_dates(1950, 2025),
        "time": st.times().map(lambda t: t.strftime("%H:%M")) | st.times().map(
            lambda t: t.strftime("%H:%M:%S")
        ),
        "timeExact": st.booleans(),
        "place": places(countries),
        "facility": st.sampled_from(["Carl-Thiem-Klinikum", "Tartu Ülikooli Kliinikum"]),
        "informant": informants,
    })  # fmt: skip


# --- legal entities, trade notifications ------------------------------------------------------


@st.composite
def activities(draw: Draw) -> Doc:
    code, list_uri, name = draw(st.sampled_from(_ACTIVITIES))
    return _some(draw, {}, {
        "codes": st.just([{"code": code, "listURI": list_uri, "name": name}]),
        "description": st.sampled_from(["Friseur", "Verkauf von Haarpflegeprodukten", name]),
        "primary": st.booleans(),
        "newlyPerformed": st.booleans(),
        "period": periods(),
    }, min_props=1)  # fmt: skip


@st.composite
def legal_entities(
    draw: Draw,
    schemes: Sequence[str] = ENTITY_SCHEMES,
    countries: Sequence[str] = COUNTRIES,
    depth: int = 1,
) -> Doc:
    """A LegalEntity; with ``depth`` > 0 its representatives may be entities themselves."""
    role_address = st.fixed_dictionaries(
        {"role": st.sampled_from(["registered", "establishment", "headOffice", "postal", "other"]),
         "address": addresses(countries)},
        optional={"roleCode": codes(["001", "002"]), "period": periods()})  # fmt: skip
    who: dict[str, st.SearchStrategy[Any]] = {"person": persons(countries=countries, depth=0)}
    if depth > 0:
        who["organisation"] = legal_entities(schemes, countries, depth - 1)
    representative = st.one_of(*(
        st.fixed_dictionaries({"role": codes(["JUHL", "1", "OSAN"]), key: value},
                              optional={"period": periods()})
        for key, value in who.items()
    ))  # fmt: skip
    optional: dict[str, st.SearchStrategy[Any]] = {
        "identifiers": _non_empty_lists(identifiers(schemes)),
        "personType": st.sampled_from(["legal", "natural"]),
        "legalNames": lang_texts(),
        "alternativeNames": lang_texts(st.sampled_from(["Schöne Haare", "NV PR", "Puit", "Mons"])),
        "legalForm": codes(["114", "170", "OÜ", "BV"]),
        "status": codes(["R", "AC", "L"]),
        "statusDate": partial_dates(1990, 2025),
        "registrationDate": partial_dates(1900, 2025),
        "foundingDate": partial_dates(1900, 2025),
        "dissolutionDate": partial_dates(2000, 2030),
        "addresses": _non_empty_lists(role_address),
        "activities": _non_empty_lists(activities()),
        "representatives": _non_empty_lists(representative, 2),
        "representationRules": _non_empty_lists(st.fixed_dictionaries({}, optional={
            "code": codes(["AINUESINDUS"]),
            "text": st.just("Tehingute tegemiseks on nõutav nõukogu nõusolek"),
            "period": periods()}).filter(bool), 2),
        "contactPoints": _non_empty_lists(contact_points()),
    }  # fmt: skip
    if not schemes:
        del optional["identifiers"]
    return _some(draw, {}, optional)


@st.composite
def authorities(draw: Draw) -> Doc:
    return _some(draw, {}, {
        "prefix": codes(["MELDID", "azr", "psw"]),
        "code": codes(["12052000", "000100"]),
        "name": st.sampled_from(["Gewerbeamt Cottbus", "Standesamt Görlitz", "Äriregister"]),
        "address": addresses(("DE",)),
        "contactPoints": _non_empty_lists(contact_points()),
    }, min_props=1)  # fmt: skip


@st.composite
def trade_notifications(draw: Draw, countries: Sequence[str] = COUNTRIES) -> Doc:
    permit = st.fixed_dictionaries({}, optional={
        "status": codes(["1", "2"]), "issued": partial_dates(1990, 2024),
        "issuerName": st.just("Stadt Cottbus"), "issuerCode": codes(["00007"]),
        "issuerPostCode": st.just("03044"), "issuerPostName": st.just("Cottbus"),
    }).filter(bool)  # fmt: skip
    participant = st.fixed_dictionaries(
        {"person": persons(("de.steuer-idnr",), countries, depth=0)},
        optional={"role": codes(["1", "2", "3"]), "residencePermit": permit})  # fmt: skip
    doc: Doc = {"notificationType": draw(st.sampled_from(["registration", "change",
                                                          "deregistration"]))}  # fmt: skip
    return _some(draw, doc, {
        "id": st.uuids().map(str),
        "isCorrection": st.booleans(),
        "created": date_times(),
        "eventTime": date_times(),
        "notificationDate": full_dates(2000, 2030),
        "effectiveDate": full_dates(2000, 2030),
        "author": authorities(),
        "recipient": authorities(),
        "municipalityCode": codes(["12052000"]),
        "municipalityReference": st.just("2015 1023"),
        "tradeId": st.uuids().map(str),
        "business": legal_entities(("de.handelsregister", "ee.registrikood", "eu.euid"), countries,
                                   depth=0),
        "persons": _non_empty_lists(participant),
        "establishmentAddress": addresses(("DE",)),
        "establishmentType": codes(["1", "2", "3"]),
        "headOfficeAddress": addresses(countries),
        "contactPoints": _non_empty_lists(contact_points()),
        "sectors": st.lists(st.sampled_from(["industry", "craft", "trade", "other"]), min_size=1,
                            max_size=4, unique=True),
        "fullTimeEmployees": st.integers(0, 500),
        "partTimeEmployees": st.integers(0, 500),
        "itinerant": st.booleans(),
        "sideline": st.booleans(),
        "publicSectorShare": codes(["0", "1"]),
        "craftCard": permit,
        "activities": _non_empty_lists(activities()),
        "activitiesSummary": st.just("Verkauf von Haarpflegeprodukten|Make-up-Beratung"),
        "reasons": _non_empty_lists(codes(["01", "02", "03"])),
        "successor": legal_entities(("de.handelsregister",), countries, depth=0),
    })  # fmt: skip


# --- queries --------------------------------------------------------------------------------

_PERSON_FIELDS = (
    "name",
    "name.familyName",
    "name.givenNames",
    "birthDate",
    "birthPlace",
    "gender",
    "nationalities",
    "residenceAddress",
    "identifiers",
    "deathDate",
)
_ENTITY_FIELDS = ("legalNames", "identifiers", "addresses", "activities", "representatives",
                  "legalForm", "status")  # fmt: skip


@st.composite
def person_queries(draw: Draw, schemes: Sequence[str] = PERSON_SCHEMES) -> Doc:
    """By identifiers (1..20 of one scheme) or by family name with optional birth data."""
    doc: Doc = {}
    if draw(st.booleans()):
        scheme = draw(st.sampled_from(tuple(schemes)))
        doc["identifiers"] = draw(st.lists(identifiers((scheme,)), min_size=1, max_size=20))
    else:
        name = draw(person_names())
        doc["familyName"] = name.get("familyName") or draw(st.sampled_from(_NAMES["DE"][1]))
        _optional(draw, doc, "namePrefix", st.sampled_from(_NAMES["NL"][2]))
        _optional(draw, doc, "givenNames", _non_empty_lists(st.sampled_from(_NAMES["EE"][0])))
        _optional(draw, doc, "birthDate", partial_dates(1920, 2024))
        _optional(draw, doc, "gender", _GENDERS)
        _optional(draw, doc, "address", addresses())
    return _some(draw, doc, {
        "municipalityCode": codes(["0363", "12052000"]),
        "searchArea": _non_empty_lists(codes(["09", "12"])),
        "includeDeceased": st.booleans(),
        "fields": st.lists(st.sampled_from(_PERSON_FIELDS), min_size=1, unique=True),
        "purpose": st.sampled_from(["Personenüberprüfung", "Gewerbeanmeldung"]),
        "reference": st.just("34952939"),
        "requester": authorities(),
    })  # fmt: skip


@st.composite
def legal_entity_queries(draw: Draw, schemes: Sequence[str] = ENTITY_SCHEMES) -> Doc:
    doc: Doc = {}
    if draw(st.booleans()):
        doc["identifiers"] = draw(_non_empty_lists(identifiers(schemes)))
    else:
        doc["name"] = draw(st.sampled_from(_BUSINESS))
    return _some(draw, doc, {
        "country": countries(),
        "postCode": st.sampled_from(["11313", "1030"]),
        "postName": st.sampled_from(["Tallinn", "Schaarbeek"]),
        "includeInactive": st.booleans(),
        "period": periods(),
        "language": st.sampled_from(["nl", "fr", "et", "de"]),
        "fields": st.lists(st.sampled_from(_ENTITY_FIELDS), min_size=1, unique=True),
        "purpose": st.just("Gewerbeanmeldung"),
    })  # fmt: skip


STRATEGIES: dict[str, st.SearchStrategy[Doc]] = {
    "Address": addresses(),
    "LegalEntity": legal_entities(),
    "LegalEntityQuery": legal_entity_queries(),
    "Person": persons(),
    "PersonList": st.builds(lambda people: {"persons": people}, st.lists(persons(), max_size=3)),
    "PersonQuery": person_queries(),
    "TradeNotification": trade_notifications(),
}
assert set(STRATEGIES) == set(KINDS)


def documents(kind: str) -> st.SearchStrategy[Doc]:
    """Valid canonical documents of ``kind`` (one of ``connectors.canonical.KINDS``)."""
    return STRATEGIES[kind]
