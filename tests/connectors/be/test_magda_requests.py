"""Questions: queries become requests in the shape of MAGDA's templates, templates become queries,
and what is not a MAGDA message of this connector is refused with the element named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.base import Envelope
from connectors.be.magda.messages import parse
from connectors.canonical import validate
from connectors.identifiers import InvalidIdentifierError
from gateway.errors import ConnectorError
from tests.connectors.be.magda_support import EXAMPLES, TEMPLATES, connector, element_paths

CANONICAL = "application/vnd.xgw.canonical+json"


def _encode(
    kind: str, document: dict[str, Any], lenient: bool = False
) -> tuple[bytes, tuple[str, ...]]:
    body, _, notes = connector(lenient=lenient).encode_with_notes(
        Envelope(CANONICAL, document=document, kind=kind)
    )
    return body, notes


def test_person_query_has_the_templateelement_paths() -> None:
    query = {
        "identifiers": [{"notation": "90.01.01-001.23", "scheme": "be.ssin"}],
        "purpose": "a1300",
        "reference": "vraagreferte",
        "requester": {"code": {"code": "akb.vlaanderen.be/aiv/burgerloket-wwoom-mock"}},
    }
    body, notes = _encode("PersonQuery", query)
    template = parse(TEMPLATES["GeefPersoon"].read_bytes())
    assert element_paths(parse(body)) == element_paths(template)
    assert parse(body).find("Verzoek/Vragen/Vraag/Inhoud/Criteria/INSZ").text == "90010100123"  # type: ignore[union-attr]
    assert notes == ()


def test_enterprise_query_has_the_templateelement_paths() -> None:
    query = {
        "identifiers": [{"notation": "0403.170.701", "scheme": "be.enterprise"}],
        "period": {"start": "2025-01-01", "end": "2026"},
        "language": "fr",
        "purpose": "Hoedanigheid",
    }
    body, notes = _encode("LegalEntityQuery", query)
    payload = parse(body)
    assert element_paths(payload) == element_paths(parse(TEMPLATES["GeefOnderneming"].read_bytes()))
    criteria = payload.find("Verzoek/Vragen/Vraag/Inhoud/Criteria")
    assert criteria is not None
    assert criteria.findtext("Ondernemingsnummer") == "0403170701"  # normalised
    assert criteria.findtext("Datums/Periode/Einde") == "2026-00-00"  # partial stays partial
    assert notes == ()


@pytest.mark.parametrize("service", sorted(TEMPLATES))
def test_templates_decode_to_queries_and_back(service: str) -> None:
    codec = connector(lenient=True)  # the templates' numbers are placeholders
    envelope = codec.decode_now(TEMPLATES[service].read_bytes())
    assert (
        envelope.kind
        == {"GeefPersoon": "PersonQuery", "GeefOnderneming": "LegalEntityQuery"}[service]
    )
    assert envelope.document is not None
    validate(envelope.kind, envelope.document)
    body, _, _ = codec.encode_with_notes(envelope)
    assert codec.decode_now(body).document == envelope.document


def test_person_query_values() -> None:
    query = connector().decode_now(TEMPLATES["GeefPersoon"].read_bytes()).document
    assert query == {
        "identifiers": [{"notation": "90010100123", "scheme": "be.ssin"}],
        "requester": {"code": {"code": "akb.vlaanderen.be/aiv/burgerloket-wwoom-mock"}},
        "purpose": "a1300",
        "reference": "vraagreferte",
    }


def test_template_enterprise_number_fails_its_check_digits_naming_the_element() -> None:
    with pytest.raises(
        InvalidIdentifierError, match=r"Criteria/Ondernemingsnummer: be\.enterprise .*mod-97"
    ):
        connector().decode_now(TEMPLATES["GeefOnderneming"].read_bytes())


@pytest.mark.parametrize(
    ("kind", "document", "message"),
    [
        (
            "PersonQuery",
            {"familyName": "Peeters"},
            r"PersonQuery\.identifiers: GeefPersoon asks for exactly one be\.ssin",
        ),
        (
            "PersonQuery",
            {
                "identifiers": [
                    {"notation": "90010100123", "scheme": "be.ssin"},
                    {"notation": "85073003328", "scheme": "be.ssin"},
                ]
            },
            "exactly one",
        ),
        (
            "LegalEntityQuery",
            {"identifiers": [{"notation": "2123456791", "scheme": "be.establishment"}]},
            r"LegalEntityQuery\.identifiers: GeefOnderneming asks for exactly one be\.enterprise",
        ),
        (
            "Person",
            {"name": {"familyName": "Peeters"}},
            r"Person\.identifiers: GeefPersoon needs a be\.ssin",
        ),
        ("LegalEntity", {"legalNames": [{"lang": "nl", "text": "X"}]}, r"LegalEntity\.identifiers"),
        ("TradeNotification", {"notificationType": "registration"}, "be.magda encodes"),
    ],
)
def test_queries_and_documents_it_cannot_express_are_refused(
    kind: str, document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConnectorError, match=message):
        _encode(kind, document)


def test_wrong_check_digit_is_a_client_error_naming_identifier_and_rule() -> None:
    with pytest.raises(
        InvalidIdentifierError, match=r"PersonQuery\.identifiers: be\.ssin .*mod-97"
    ):
        _encode("PersonQuery", {"identifiers": [{"notation": "90010100124", "scheme": "be.ssin"}]})
    body, notes = _encode(
        "PersonQuery",
        {"identifiers": [{"notation": "90010100124", "scheme": "be.ssin"}]},
        lenient=True,
    )
    assert any("lenient mode accepted" in n for n in notes)
    assert b"90010100124" in body


def test_fields_it_cannot_send_are_noted() -> None:
    query = {
        "identifiers": [{"notation": "90010100123", "scheme": "be.ssin"}],
        "birthDate": "1990",
        "purpose": "a purpose longer than twenty-four characters",
    }
    _, notes = _encode("PersonQuery", query)
    assert any(n.startswith("PersonQuery.birthDate: not sent") for n in notes)
    assert any(n.startswith("PersonQuery.purpose: not sent") for n in notes)


SCHEMA_ERRORS = [
    ("<INSZ>90010100123</INSZ>", "<INSZ>9001010012</INSZ>", "INSZ"),
    ("<Type>VRAAG</Type>", "<Type>VRAGEN</Type>", "Type"),
    ("<Bron>RR</Bron>", "<Bron>RR</Bron><Onbekend/>", "Onbekend"),
]


@pytest.mark.parametrize(("old", "new", "element"), SCHEMA_ERRORS)
def test_invalid_requests_are_refused_naming_the_element(old: str, new: str, element: str) -> None:
    body = TEMPLATES["GeefPersoon"].read_text(encoding="utf-8").replace(old, new).encode()
    with pytest.raises(
        ConnectorError, match=rf"GeefPersoon fails its schema: .*{element}"
    ) as caught:
        connector().decode_now(body)
    assert "9001010012'" not in str(caught.value)  # the value is not repeated


def test_invalid_answer_refused_naming_the_element_with_either_schema() -> None:
    body = (
        EXAMPLES[-1]
        .read_text(encoding="utf-8")
        .replace("<Datum>2000-00-00</Datum>", "<Datum>2000</Datum>")
    )
    for official in (True, False):
        with pytest.raises(ConnectorError, match=r"Persoon/Geboorte/Datum"):
            connector(official=official, lenient=True).decode_now(body.encode())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<GeefPersoon", "not well-formed XML"),
        (b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', "DOCTYPE"),
        (b"<Persoon/>", "not a MAGDA message be.magda handles"),
        (
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
            "Body is empty",
        ),
        (
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault/></s:Body></s:Envelope>',
            "SOAP Fault",
        ),
    ],
)
def test_what_is_no_magda_message_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(ConnectorError, match=message):
        connector().decode_now(body)


def test_answer_without_content_reports_magda_exceptions() -> None:
    body = b"""<web:GeefPersoonResponse
        xmlns:web="http://magda.vlaanderen.be/persoon/soap/geefpersoon/v02_02"><Repliek>
      <Context><Naam>GeefPersoon</Naam><Versie>02.02.0000</Versie><Bericht><Type>ANTWOORD</Type>
      <Tijdstip><Datum>2024-01-01</Datum><Tijd>12:00</Tijd></Tijdstip>
      <Afzender><Identificatie>vip.vlaanderen.be</Identificatie><Referte>r</Referte></Afzender>
      </Bericht></Context><Antwoorden><Antwoord><Referte>r</Referte><Uitzonderingen>
      <Uitzondering><Identificatie>30101</Identificatie><Type>FOUT</Type>
      <Diagnose>Persoon niet gevonden</Diagnose></Uitzondering></Uitzonderingen></Antwoord>
      </Antwoorden></Repliek></web:GeefPersoonResponse>"""
    with pytest.raises(ConnectorError, match="carries no answer: 30101 FOUT Persoon niet gevonden"):
        connector().decode_now(body)


def test_bare_and_soap_wrapped_answers_decode_alike(tmp_path: Path) -> None:
    bare = EXAMPLES[0].read_bytes()
    wrapped = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
        + bare.split(b"?>", 1)[-1]
        + b"</soapenv:Body></soapenv:Envelope>"
    )
    assert connector().decode_now(bare).document == connector().decode_now(wrapped).document
