"""Property tests for nl.kvk, with no sample response to lean on.

1. canonical LegalEntity (tests.unit.canonical.strategies) -> Basisprofiel -> the official
   OpenAPI -> LegalEntity: equal to what nl.kvk documents it carries (``_expected``).
2. Basisprofiel documents generated to the official schema's shape (KvK's date format,
   0-based volgorde, Ja/Nee flags) -> official OpenAPI -> LegalEntity -> Basisprofiel:
   every field not named by a note comes back unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import Envelope
from connectors.canonical import validate
from connectors.nl.kvk import KvkConnector
from tests.connectors.nl.reference import notes_paths, official_kvk, prune
from tests.unit.canonical.strategies import full_dates, legal_entities

Doc = dict[str, Any]
SBI = "urn:xgw:codelist:sbi"
RECHTSVORM = "urn:xgw:codelist:nl-kvk-rechtsvorm"
ADRESTYPE = "urn:xgw:codelist:nl-kvk-adrestype"
SCHEMES = ("nl.kvk", "nl.rsin", "nl.kvk-vestiging", "be.enterprise")
CONNECTOR = KvkConnector()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ROLES = {"headOffice", "postal"}


def _expected_address(role_address: Doc) -> Doc | None:
    role, code = role_address["role"], role_address.get("roleCode")
    if role not in _ROLES and not (
        role == "other" and (code is None or code.get("listURI") == ADRESTYPE)
    ):
        return None
    source, address = role_address["address"], {}
    for key in ("fullAddress", "thoroughfare", "locatorName", "postCode", "postName", "adminUnitL2",
                "addressId"):  # fmt: skip
        if key in source:
            address[key] = source[key]
    kinds = ("addressNumber", "addressNumberExtension", "addressNumber2ndExtension")
    parts: dict[str, str] = {}
    for part in source.get("locatorDesignators", []):
        kind, value = part["type"], part["designator"]
        if kind in kinds and kind not in parts and (kind != "addressNumber" or value.isdigit()):
            parts[kind] = str(int(value)) if kind == "addressNumber" else value
    if parts:
        address["locatorDesignators"] = [{"designator": parts[k], "type": k} for k in kinds
                                         if k in parts]  # fmt: skip
        text = parts.get("addressNumber", "") + parts.get("addressNumberExtension", "")
        addition = parts.get("addressNumber2ndExtension")
        address["locatorDesignator"] = (
            f"{text}-{addition}" if text and addition else text or addition
        )
    if source.get("poBox", "").isdigit():
        address["poBox"] = str(int(source["poBox"]))
    if source.get("adminUnitL1") == "NL":
        address["adminUnitL1"] = "NL"
    if not address:
        return None
    out: Doc = {"role": role, "address": address}
    if role == "other" and code is not None:
        out["roleCode"] = {"code": code["code"], "listURI": ADRESTYPE}
    return out


def _expected_activity(activity: Doc) -> Doc:
    out: Doc = {}
    sbi = [c for c in activity.get("codes", []) if c.get("listURI") == SBI]
    if sbi:
        out["codes"] = [{k: v for k, v in sbi[0].items() if k in ("code", "listURI", "name")}]
    elif "description" in activity:
        out["description"] = activity["description"]
    if "primary" in activity:
        out["primary"] = activity["primary"]
    return out


def _expected(entity: Doc) -> Doc:
    out: Doc = {}
    ids = []
    for scheme in ("nl.kvk", "nl.rsin", "nl.kvk-vestiging"):
        found = [i for i in entity.get("identifiers", []) if i["scheme"] == scheme]
        if found:
            ids.append({"notation": found[0]["notation"], "scheme": scheme})
    if "legalNames" in entity:
        names = entity["legalNames"]
        chosen = next((n for n in names if n["lang"] == "nl"), names[0])
        out["legalNames"] = [{"lang": "nl", "text": chosen["text"]}]
    if "alternativeNames" in entity:
        out["alternativeNames"] = [
            {"lang": "nl", "text": n["text"]} for n in entity["alternativeNames"]
        ]
    for key in ("registrationDate", "foundingDate", "dissolutionDate"):
        if key in entity:
            out[key] = entity[key]
    activities = [a for a in map(_expected_activity, entity.get("activities", [])) if a]
    if activities:
        out["activities"] = activities
    form = entity.get("legalForm")
    if form is not None and form.get("listURI", RECHTSVORM) == RECHTSVORM:
        out["legalForm"] = {"code": form["code"], "listURI": RECHTSVORM}
    addresses = [a for a in map(_expected_address, entity.get("addresses", [])) if a]
    if addresses:
        out["addresses"] = addresses
    webs = [c for c in entity.get("contactPoints", []) if c["channel"] == "web" and "code" not in c]
    if webs:
        out["contactPoints"] = [{"channel": "web", "value": c["value"]} for c in webs]
    if ids:
        out["identifiers"] = ids
    return out


def _lost(source: Any, back: Any) -> bool:
    if isinstance(source, dict):
        return not isinstance(back, dict) or any(
            key not in back or _lost(value, back[key]) for key, value in source.items()
        )
    if isinstance(source, list) and isinstance(back, list):
        # The Basisprofiel orders identifiers its own way: an item is lost only if absent.
        return any(all(_lost(item, other) for other in back) for item in source)
    return bool(source != back)


@SETTINGS
@given(legal_entities(schemes=SCHEMES, countries=("NL", "BE", "DE", "EE")))
def test_canonical_legal_entities_survive_the_basisprofiel(entity: Doc):
    validate("LegalEntity", entity)
    envelope = Envelope("x", document=entity, kind="LegalEntity")
    body, _, notes = CONNECTOR.encode_with_notes(envelope)
    native = orjson.loads(body)
    assert official_kvk("Basisprofiel", native) == []
    back = CONNECTOR.decode_message(body)
    assert back.kind == "LegalEntity" and back.document is not None
    validate("LegalEntity", back.document)
    assert back.document == _expected(entity)
    if _lost(entity, back.document):
        assert notes, "something was lost without a note"


# --- Basisprofiel documents generated to the official schema --------------------------------

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
)
_NAMES = st.sampled_from(["Bakkerij Hoëvenaars", "De Ĳsbakker", "Café Zoë", "Çelik Bouw",
                          "Garçon & Fils", "ÉÉN B.V."]) | _TEXT  # fmt: skip
_JA_NEE = st.sampled_from(["Ja", "Nee"])


def _kvk_dates() -> st.SearchStrategy[str]:
    full = full_dates(1900, 2030).map(lambda d: d.replace("-", ""))
    return st.one_of(full, full.map(lambda d: d[:6] + "00"), full.map(lambda d: d[:4] + "0000"))


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.from_regex(rf"[0-9]{{{n}}}", fullmatch=True)


@st.composite
def _adressen(draw: st.DrawFn) -> Doc:
    return draw(st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["bezoekadres", "correspondentieadres"]),
        "indAfgeschermd": _JA_NEE,
        "volledigAdres": _TEXT,
        "straatnaam": st.sampled_from(["Laan van Nieuw Oost-Indië", "Coöperatieweg"]),
        "huisnummer": st.integers(1, 99999),
        "huisletter": st.sampled_from(["a", "B"]),
        "huisnummerToevoeging": st.sampled_from(["bis", "2", "III"]),
        "toevoegingAdres": st.just("achterzijde"),
        "postcode": st.sampled_from(["2593BT", "1012 AB"]),
        "postbusnummer": st.integers(1, 99999),
        "plaats": st.sampled_from(["'s-Gravenhage", "Den Haag", "Ĳsselstein"]),
        "regio": st.sampled_from(["Zuid-Holland", "Utrecht"]),
        "land": st.sampled_from(["Nederland", "België"]),
        "geoData": st.fixed_dictionaries({}, optional={
            "nummerAanduidingId": _digits(16), "addresseerbaarObjectId": _digits(16),
            "gpsLatitude": st.floats(50, 54), "rijksdriehoekX": st.floats(0, 300000)}),
    }))  # fmt: skip


@st.composite
def basisprofielen(draw: st.DrawFn) -> Doc:
    names = draw(st.lists(_NAMES, max_size=4))
    order = draw(st.permutations(range(len(names))))
    sbi = st.fixed_dictionaries({}, optional={
        "sbiCode": _digits(4) | _digits(5), "sbiOmschrijving": _TEXT,
        "indHoofdactiviteit": _JA_NEE})  # fmt: skip
    main = st.fixed_dictionaries({}, optional={
        "vestigingsnummer": _digits(12), "eersteHandelsnaam": _NAMES,
        "indHoofdvestiging": st.just("Ja"), "adressen": st.lists(_adressen(), max_size=3),
        "websites": st.lists(st.sampled_from(["www.ijsbakker.nl", "https://café-zoë.nl"]),
                             max_size=2),
    })  # fmt: skip
    owner = st.fixed_dictionaries({}, optional={
        "rsin": st.sampled_from(["857587973", "001234560"]),
        "rechtsvorm": st.sampled_from(["BeslotenVennootschap", "Eenmanszaak"]),
        "uitgebreideRechtsvorm": _TEXT})  # fmt: skip
    document = draw(st.fixed_dictionaries({}, optional={
        "kvkNummer": _digits(8), "indNonMailing": _JA_NEE, "naam": _NAMES,
        "formeleRegistratiedatum": _kvk_dates(),
        "materieleRegistratie": st.fixed_dictionaries({}, optional={
            "datumAanvang": _kvk_dates(), "datumEinde": _kvk_dates()}),
        "totaalWerkzamePersonen": st.integers(0, 10000),
        "sbiActiviteiten": st.lists(sbi, max_size=3),
        "_embedded": st.fixed_dictionaries({}, optional={"hoofdvestiging": main,
                                                         "eigenaar": owner}),
    }))  # fmt: skip
    if names:
        document["handelsnamen"] = [{"naam": names[i], "volgorde": i} for i in order]
    return document


def _sorted_names(document: Doc) -> Doc:
    document = copy.deepcopy(document)
    if "handelsnamen" in document:
        document["handelsnamen"].sort(key=lambda n: n["volgorde"])
    return document


def _kvk_number_twice(document: Doc) -> Doc:
    """The main establishment repeats the kvkNummer; nl.kvk writes it again."""
    document = copy.deepcopy(document)
    main = document.get("_embedded", {}).get("hoofdvestiging")
    if main and "kvkNummer" in document:
        main["kvkNummer"] = document["kvkNummer"]
    return document


@SETTINGS
@given(basisprofielen())
def test_generated_basisprofielen_round_trip_keeping_every_carried_field(native: Doc):
    assert official_kvk("Basisprofiel", native) == []
    envelope = CONNECTOR.decode_message(orjson.dumps(native))
    assert envelope.document is not None
    validate("LegalEntity", envelope.document)
    body, _, _ = CONNECTOR.encode_with_notes(envelope)
    again = orjson.loads(body)
    assert official_kvk("Basisprofiel", again) == []
    assert CONNECTOR.decode_message(body).document == envelope.document
    kept = _kvk_number_twice(prune(_sorted_names(native), set(notes_paths(envelope.notes))))
    assert again == kept
