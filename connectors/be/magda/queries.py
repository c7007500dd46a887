"""GeefPersoon / GeefOnderneming questions <-> PersonQuery / LegalEntityQuery: the mapping.

Usage::

    query = read_person_query(payload, tr)          # PersonQuery by INSZ
    payload = write_person_query(query, tr)         # the GeefPersoon element (no SOAP envelope)
    query = read_enterprise_query(payload, tr)
    payload = write_enterprise_query(query, tr)

The questions have the shape of MAGDA's request templates. GeefPersoon asks for one person by
INSZ (``be.ssin``), GeefOnderneming for one enterprise by number (``be.enterprise``); a query
that is not of that kind is refused, naming the field. The sender's ``Afzender/Identificatie``
is the requester's code, ``Hoedanigheid`` (the capacity the data is asked in) the purpose, and
the question's ``Referte`` the reference. What xgw adds on its own (``Bron`` RR, the data blocks
of the template, ``Taal`` nl for GeefPersoon) is listed in docs/connectors/be-magda.md.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from lxml import etree

from connectors.be.magda.messages import SENDER, new_question, question_content
from connectors.be.magda.values import (
    Translation,
    add,
    identifier,
    magda_date,
    partial_date,
    sub,
    text,
)
from connectors.canonical import Authority, Identifier, LegalEntityQuery, PersonQuery
from gateway.errors import ConnectorError

__all__ = [
    "read_enterprise_query",
    "read_person_query",
    "write_enterprise_query",
    "write_person_query",
]

_PERSON_VERSION = "02.02.0000"
_ENTERPRISE_VERSION = "02.00.0000"

# -- decoding --------------------------------------------------------------------------------


def read_person_query(payload: etree._Element, tr: Translation) -> PersonQuery:
    inhoud, header = question_content(payload, tr)
    query: PersonQuery = {}
    for child in inhoud:
        if child.tag == "Criteria":
            for criterion in child:
                if criterion.tag == "INSZ":
                    query["identifiers"] = [
                        identifier("be.ssin", text(criterion), "Criteria/INSZ", tr)
                    ]
                else:
                    tr.notes.not_carried(
                        f"Criteria/{criterion.tag}", "MAGDA's choice of data blocks"
                    )
        else:
            tr.notes.not_carried(f"Inhoud/{child.tag}", "a MAGDA request option")
    _read_header(query, header)
    add(query, "reference", header.get("Referte"))
    return query


def read_enterprise_query(payload: etree._Element, tr: Translation) -> LegalEntityQuery:
    inhoud, header = question_content(payload, tr)
    query: LegalEntityQuery = {}
    for child in inhoud:
        if child.tag == "Taal":
            query["language"] = text(child).lower()
            continue
        for criterion in child:
            where = f"Criteria/{criterion.tag}"
            if criterion.tag == "Ondernemingsnummer":
                query["identifiers"] = [identifier("be.enterprise", text(criterion), where, tr)]
            elif criterion.tag == "Datums" and criterion[0].tag == "Periode":
                period = {
                    {"Begin": "start", "Einde": "end"}[part.tag]: partial_date(
                        text(part), f"{where}/Periode/{part.tag}", tr.notes
                    )
                    for part in criterion[0]
                }
                add(query, "period", {key: value for key, value in period.items() if value})
            else:
                tr.notes.not_carried(where, "MAGDA's choice of data blocks")
    add(query, "purpose", header.get("Hoedanigheid"))
    for tag in ("Identificatie", "Referte"):
        if tag in header:  # the model's LegalEntityQuery has no requester and no reference
            tr.notes.not_carried(f"Afzender/{tag}" if tag == "Identificatie" else "Vraag/Referte")
    return query


def _read_header(query: Any, header: dict[str, str]) -> None:
    if header.get("Identificatie"):
        query["requester"] = {"code": {"code": header["Identificatie"]}}
    add(query, "purpose", header.get("Hoedanigheid"))


# -- encoding --------------------------------------------------------------------------------

_PERSON_SENT = {"identifiers", "purpose", "reference", "requester"}
_ENTERPRISE_SENT = {"identifiers", "purpose", "period", "language", "fields"}


def write_person_query(query: PersonQuery, tr: Translation) -> etree._Element:
    where = "PersonQuery"
    for key in query:
        if key not in _PERSON_SENT:
            tr.notes.not_sent(f"{where}.{key}", "GeefPersoon asks by INSZ only")
    ssin = _one(query.get("identifiers", []), "be.ssin", f"{where}.identifiers", "GeefPersoon", tr)
    sender, purpose = _header(query, where, tr)
    reference = _reference(query.get("reference"), f"{where}.reference", tr)
    root, inhoud = new_question("GeefPersoon", _PERSON_VERSION, sender, purpose, reference)
    criteria = sub(inhoud, "Criteria")
    sub(criteria, "INSZ", ssin)
    sub(sub(criteria, "OpvragingenKSZ"), "BasisPersoonsgegevens", "1")
    sub(inhoud, "Bron", "RR")
    sub(inhoud, "Taal", "nl")
    return root


def write_enterprise_query(query: LegalEntityQuery, tr: Translation) -> etree._Element:
    where = "LegalEntityQuery"
    for key in query:
        if key not in _ENTERPRISE_SENT:
            tr.notes.not_sent(f"{where}.{key}", "GeefOnderneming asks by enterprise number only")
    number = _one(
        query.get("identifiers", []), "be.enterprise", f"{where}.identifiers", "GeefOnderneming", tr
    )
    sender, purpose = _header(query, where, tr)
    root, inhoud = new_question(
        "GeefOnderneming", _ENTERPRISE_VERSION, sender, purpose, str(uuid.uuid4())
    )
    criteria = sub(inhoud, "Criteria")
    sub(criteria, "Ondernemingsnummer", number)
    fields = query.get("fields")
    if fields is not None:
        tr.notes.not_sent(
            f"{where}.fields", "mapped to MAGDA's data blocks (Activiteiten, Vestigingen)"
        )
    sub(criteria, "Basisgegevens", "1")
    sub(criteria, "Rechtstoestanden", "0")
    establishments = sub(criteria, "Vestigingen")
    sub(establishments, "Aanduiding", _flag(fields, "identifiers"))
    sub(establishments, "Details", "0")
    sub(criteria, "Activiteiten", _flag(fields, "activities"))
    sub(sub(criteria, "Omschrijvingen"), "Aanduiding", _flag(fields, "addresses"))
    if "period" in query:
        periode = sub(sub(criteria, "Datums"), "Periode")
        for key, tag in (("start", "Begin"), ("end", "Einde")):
            if key in query["period"]:
                sub(periode, tag, magda_date(query["period"][key]))  # type: ignore[literal-required]
    language = query.get("language")
    if language and re.fullmatch(r"[a-z]{2}", language):
        sub(inhoud, "Taal", language)
    elif language:
        tr.notes.not_sent(f"{where}.language", "MAGDA languages have two letters")
    return root


def _flag(fields: list[str] | None, field: str) -> str:
    """MAGDA's 1 / 0 for a data block: wanted when no fields are named, or the field is."""
    return "1" if fields is None or any(f.split(".")[0] == field for f in fields) else "0"


def _one(
    identifiers: list[Identifier], scheme: str, where: str, service: str, tr: Translation
) -> str:
    matching = [i for i in identifiers if i["scheme"] == scheme]
    if len(matching) != 1 or len(identifiers) != 1:
        raise ConnectorError(f"{where}: {service} asks for exactly one {scheme} identifier")
    if set(matching[0]) - {"notation", "scheme"}:
        tr.notes.not_sent(where, "MAGDA numbers carry no issuer or agency")
    return identifier(scheme, matching[0]["notation"], where, tr)["notation"]


def _header(query: Any, where: str, tr: Translation) -> tuple[str, str | None]:
    """The Afzender's Identificatie (the requester's code) and Hoedanigheid (the purpose)."""
    sender = SENDER
    requester: Authority | None = query.get("requester")
    if requester is None and where == "PersonQuery":
        tr.notes.add(f"{where}.requester", f"none given: '{SENDER}' sent as Afzender")
    if requester is not None:
        code = requester.get("code")
        if (
            code is not None
            and set(code) == {"code"}
            and len(code["code"]) <= 120
            and set(requester) == {"code"}
        ):
            sender = code["code"]
        else:
            tr.notes.not_sent(
                f"{where}.requester", "MAGDA names the requester by one application code"
            )
    purpose = query.get("purpose")
    if purpose is not None and len(purpose) > 24:
        tr.notes.not_sent(f"{where}.purpose", "a MAGDA Hoedanigheid has at most 24 characters")
        purpose = None
    return sender, purpose


def _reference(reference: str | None, where: str, tr: Translation) -> str:
    if reference is not None and len(reference) <= 36:
        return reference
    if reference is not None:
        tr.notes.not_sent(where, "a MAGDA Referte has at most 36 characters")
    tr.notes.add(where, "a new Referte sent")
    return str(uuid.uuid4())
