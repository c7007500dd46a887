"""nl.brp refuses what is not a valid message, naming the JSON path and the rule."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from connectors.base import ConnectorOptions, Envelope
from connectors.identifiers import InvalidIdentifierError
from connectors.nl.brp import BrpConnector
from gateway.errors import ClientError, ConfigError, ConnectorError
from tests.connectors.nl import samples
from tests.connectors.nl.reference import official_brp

EXAMPLE: dict[str, Any] = {
    "type": "RaadpleegMetBurgerservicenummer",
    "burgerservicenummer": [samples.BSN],
    "fields": ["naam"],
}


def _with(**changes: Any) -> bytes:
    body = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    return orjson.dumps(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_with(type="RaadpleegMetNaam"), r"nl\.brp: \$\.type: is not one of \['Raadpleeg"),
        (_with(type="ZoekMetPostcodeEnHuisnummer"), r"\$\.type: is not one of"),
        (_with(type=None), r"\$: missing required property 'type'"),
        (_with(fields=None), r"\$: missing required property 'fields'"),
        (_with(fields=[]), r"\$\.fields: has fewer than 1 items"),
        (_with(fields=["naam/voornamen"]), r"\$\.fields\[0\]: does not match pattern"),
        (_with(burgerservicenummer=None), r"\$: missing required property 'burgerservicenummer'"),
        (_with(burgerservicenummer=["12345"]), r"\$\.burgerservicenummer\[0\]: does not match"),
        (
            _with(burgerservicenummer=[samples.BSN] * 21),
            r"\$\.burgerservicenummer: has more than 20",
        ),
        (
            _with(burgerservicenummer=samples.BSN),
            r"\$\.burgerservicenummer: is not of type 'array'",
        ),
        (_with(gemeenteVanInschrijving="363"), r"\$\.gemeenteVanInschrijving: does not match"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_invalid_requests_are_refused_naming_path_and_rule(
    brp: BrpConnector, body: bytes, message: str
):
    assert official_brp("PersonenQuery", orjson.loads(body)) != []  # the partner refuses it too
    with pytest.raises(ConnectorError, match=message):
        brp.decode_message(body)


def test_a_search_needs_a_real_date(brp: BrpConnector):
    body = {**samples.ZOEK_REQUEST, "geboortedatum": "1983-02-30"}
    with pytest.raises(ConnectorError, match=r"\$\.geboortedatum: is not a valid date"):
        brp.decode_message(orjson.dumps(body))
    body = copy.deepcopy(samples.ZOEK_REQUEST)
    del body["geboortedatum"]
    with pytest.raises(ConnectorError, match=r"\$: missing required property 'geboortedatum'"):
        brp.decode_message(orjson.dumps(body))


def test_a_bsn_failing_the_11_check_is_a_client_error_naming_identifier_and_rule(
    brp: BrpConnector,
):
    with pytest.raises(InvalidIdentifierError) as caught:
        brp.decode_message(_with(burgerservicenummer=[samples.BSN, samples.BSN_FAILING]))
    error = caught.value
    assert isinstance(error, ClientError) and error.type == "Client.BadRequest"
    assert error.message.startswith("nl.brp: $.burgerservicenummer[1]: nl.bsn 99")
    assert "11-check fails" in error.message
    assert samples.BSN_FAILING not in error.message  # masked


def test_lenient_mode_accepts_the_test_bsn_with_a_note(brp_lenient: BrpConnector):
    envelope = brp_lenient.decode_message(_with(burgerservicenummer=[samples.BSN_FAILING]))
    assert envelope.document is not None
    assert envelope.document["identifiers"] == [{"notation": "999993654", "scheme": "nl.bsn"}]
    assert envelope.notes == (
        "nl.brp: $.burgerservicenummer[0]: nl.bsn lenient mode accepted: "
        "11-check fails (sum 351 is not divisible by 11)",
    )


@pytest.mark.parametrize(
    ("body", "media_type", "message"),
    [
        (b"{not json", "application/json", r"nl\.brp: \$: not JSON"),
        (b"[]", "application/json", r"\$: is not of type 'object'"),
        (b"<a/>", "text/xml", r"expects application/json"),
    ],
)
def test_what_is_not_a_brp_json_object_is_refused(
    brp: BrpConnector, body: bytes, media_type: str, message: str
):
    with pytest.raises(ConnectorError, match=message):
        brp.decode_message(body, media_type)


def test_an_invalid_response_is_refused(brp: BrpConnector):
    native = samples.raadpleeg_response(
        {"geboorte": {"datum": {"type": "Datum", "langFormaat": "1 mei 2000"}}}
    )
    with pytest.raises(ConnectorError, match=r"\$\.personen\[0\]\.geboorte\.datum: missing"):
        brp.decode_message(orjson.dumps(native))
    native = samples.raadpleeg_response({"geboorte": {"datum": {"type": "Datum"}}})
    with pytest.raises(ConnectorError, match=r"missing required property 'langFormaat'"):
        brp.decode_message(orjson.dumps(native))


# --- encode --------------------------------------------------------------------------------


def _encode(brp: BrpConnector, kind: str, document: dict[str, Any]) -> dict[str, Any]:
    body, _, _ = brp.encode_with_notes(Envelope("x", document=document, kind=kind))
    return orjson.loads(body)  # type: ignore[no-any-return]


def test_a_query_brp_cannot_ask_is_refused(brp: BrpConnector):
    with pytest.raises(ConnectorError, match=r"needs nl\.bsn identifiers or a familyName"):
        _encode(brp, "PersonQuery", {"identifiers": [{"notation": "38001010000",
                                                      "scheme": "ee.isikukood"}]})  # fmt: skip
    with pytest.raises(ConnectorError, match=r"PersonQuery \$\.birthDate: .* full date"):
        _encode(brp, "PersonQuery", {"familyName": "Berg", "birthDate": "1983-05"})
    with pytest.raises(ConnectorError, match=r"\$\.fields: BRP can deliver none"):
        _encode(brp, "PersonQuery", {"familyName": "Berg", "birthDate": "1983-05-26",
                                     "fields": ["nationalities"]})  # fmt: skip


def test_a_bad_bsn_in_a_canonical_query_is_a_client_error(brp: BrpConnector):
    query = {"identifiers": [{"notation": samples.BSN_FAILING, "scheme": "nl.bsn"}]}
    with pytest.raises(InvalidIdentifierError, match=r"\$\.identifiers\[0\]\.notation: nl\.bsn"):
        _encode(brp, "PersonQuery", query)


@pytest.mark.parametrize("name", ["Ștefănescu", "Παπαδόπουλος", "Иванов", "O\u2019Brien"])
def test_a_character_brp_cannot_carry_is_an_error_never_a_question_mark(
    brp: BrpConnector, name: str
):
    with pytest.raises(ConnectorError, match=r"\$\.personen\[0\]\.naam\.geslachtsnaam: does not"):
        _encode(brp, "Person", {"name": {"familyName": name}})


def test_diacritics_the_brp_character_set_has_survive(brp: BrpConnector):
    names = {"givenNames": ["Zoë", "Ĳsbrand", "Łukasz", "ŞULE"], "familyName": "Çelik-Dvořák"}
    native = _encode(brp, "Person", {"name": names})
    assert native["personen"][0]["naam"] == {"voornamen": "Zoë Ĳsbrand Łukasz ŞULE",
                                             "geslachtsnaam": "Çelik-Dvořák"}  # fmt: skip
    back = brp.decode_message(orjson.dumps(native)).document
    assert back == {"name": names}


def test_an_unknown_kind_is_refused(brp: BrpConnector):
    with pytest.raises(ConnectorError, match="cannot encode a 'LegalEntity'"):
        _encode(brp, "LegalEntity", {})


def test_a_missing_official_schema_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"openapi-resolved\.json"):
        BrpConnector(ConnectorOptions(schema_dir=tmp_path))
