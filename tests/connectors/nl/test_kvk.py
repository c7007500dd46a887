"""nl.kvk: a Basisprofiel built to the official OpenAPI, the GET request, and refusals."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical import validate
from connectors.identifiers import InvalidIdentifierError
from connectors.nl.kvk import REQUEST_MEDIA_TYPE, KvkConnector
from gateway.errors import ConnectorError
from tests.connectors.nl import samples
from tests.connectors.nl.reference import notes_paths, official_kvk, prune


def _decode(kvk: KvkConnector, native: dict[str, Any]) -> Envelope:
    return kvk.decode_message(orjson.dumps(native), "application/hal+json")


def test_the_hand_written_basisprofiel_is_valid_against_the_official_openapi():
    assert official_kvk("Basisprofiel", samples.BASISPROFIEL) == []


def test_a_basisprofiel_round_trips_keeping_every_carried_field(kvk: KvkConnector):
    envelope = _decode(kvk, samples.BASISPROFIEL)
    assert envelope.kind == "LegalEntity" and envelope.document is not None
    validate("LegalEntity", envelope.document)
    body, media_type, _ = kvk.encode_with_notes(envelope)
    assert media_type == "application/json"
    again = orjson.loads(body)
    assert official_kvk("Basisprofiel", again) == []
    assert kvk.decode_message(body).document == envelope.document
    kept = prune(samples.BASISPROFIEL, set(notes_paths(envelope.notes)))
    assert again == kept


def test_the_basisprofiel_is_carried_faithfully(kvk: KvkConnector):
    envelope = _decode(kvk, samples.BASISPROFIEL)
    document = envelope.document
    assert document is not None
    assert document["identifiers"] == [
        {"notation": "68750110", "scheme": "nl.kvk"},
        {"notation": "857587973", "scheme": "nl.rsin"},
        {"notation": "000037178598", "scheme": "nl.kvk-vestiging"},
    ]
    assert document["legalNames"] == [{"lang": "nl", "text": "Bakkerij Hoëvenaars & Çelik B.V."}]
    assert [n["text"] for n in document["alternativeNames"]] == [
        "Bakkerij Hoëvenaars", "De Ĳsbakker", "Café Zoë"]  # fmt: skip
    assert document["registrationDate"] == "2017-05-12"
    assert document["foundingDate"] == "1985-03"  # 00: the day is unknown, not invented
    assert document["dissolutionDate"] == "2030"
    assert document["activities"][0] == {
        "codes": [{"code": "1071", "listURI": "urn:xgw:codelist:sbi",
                   "name": "Vervaardiging van brood en vers banketbakkerswerk"}],
        "primary": True,
    }  # fmt: skip
    assert document["legalForm"] == {"code": "BeslotenVennootschap",
                                     "listURI": "urn:xgw:codelist:nl-kvk-rechtsvorm"}  # fmt: skip
    visit, post = document["addresses"]
    assert visit["role"] == "headOffice" and post["role"] == "postal"
    assert visit["address"]["locatorDesignator"] == "12a-bis"
    assert visit["address"]["adminUnitL1"] == "NL"
    assert visit["address"]["addressId"] == "0518200000573015"
    assert post["address"]["poBox"] == "1234"
    assert document["contactPoints"] == [
        {"channel": "web", "value": "www.ijsbakker.nl"},
        {"channel": "web", "value": "https://café-zoë.nl"},
    ]
    assert set(notes_paths(envelope.notes)) >= {
        "$.indNonMailing", "$.totaalWerkzamePersonen", "$.statutaireNaam", "$.links",
        "$._embedded.eigenaar.uitgebreideRechtsvorm", "$._embedded.eigenaar.adressen",
        "$._embedded.hoofdvestiging.eersteHandelsnaam",
        "$._embedded.hoofdvestiging.adressen[0].geoData.gpsLatitude",
    }  # fmt: skip


def test_handelsnamen_keep_their_order_whatever_the_array_order(kvk: KvkConnector):
    native = copy.deepcopy(samples.BASISPROFIEL)
    native["handelsnamen"].reverse()
    document = _decode(kvk, native).document
    assert document is not None
    assert [n["text"] for n in document["alternativeNames"]] == [
        "Bakkerij Hoëvenaars", "De Ĳsbakker", "Café Zoë"]  # fmt: skip


def test_a_date_that_is_not_yyyymmdd_is_noted_not_guessed(kvk: KvkConnector):
    envelope = _decode(kvk, {"kvkNummer": "68750110", "formeleRegistratiedatum": "12-05-2017"})
    assert envelope.document == {"identifiers": [{"notation": "68750110", "scheme": "nl.kvk"}]}
    assert envelope.notes == (
        "nl.kvk: $.formeleRegistratiedatum: not carried (not a yyyyMMdd date)",
    )


def test_empty_strings_are_absent_with_a_note(kvk: KvkConnector):
    envelope = _decode(kvk, {"naam": "", "handelsnamen": [{"naam": "X", "volgorde": 0}]})
    assert envelope.document == {"alternativeNames": [{"lang": "nl", "text": "X"}]}
    assert envelope.notes == ("nl.kvk: $.naam: empty: carried as absent",)


def test_an_invalid_basisprofiel_is_refused_naming_path_and_rule(kvk: KvkConnector):
    with pytest.raises(ConnectorError, match=r"nl\.kvk: \$\.handelsnamen\[0\]\.volgorde: is not"):
        _decode(kvk, {"handelsnamen": [{"naam": "X", "volgorde": "1"}]})
    with pytest.raises(ConnectorError, match=r"\$\._embedded\.hoofdvestiging\.adressen: is not"):
        _decode(kvk, {"_embedded": {"hoofdvestiging": {"adressen": {}}}})


def test_a_kvk_number_of_the_wrong_length_in_a_response_is_an_invalid_message(kvk: KvkConnector):
    with pytest.raises(ConnectorError, match=r"\$\.kvkNummer: nl\.kvk"):
        _decode(kvk, {"kvkNummer": "6875011"})


# --- the GET request ------------------------------------------------------------------------


def test_a_query_becomes_the_get_request_and_back(kvk: KvkConnector):
    query = {"identifiers": [{"notation": "68750110", "scheme": "nl.kvk"}]}
    body, media_type, notes = kvk.encode_with_notes(
        Envelope("x", document=query, kind="LegalEntityQuery")
    )
    assert body == b"GET /basisprofielen/68750110 HTTP/1.1\r\nAccept: application/json\r\n\r\n"
    assert media_type == REQUEST_MEDIA_TYPE == "message/http; msgtype=request"
    assert notes == ()
    back = kvk.decode_message(body, media_type)
    assert back.kind == "LegalEntityQuery" and back.document == query
    validate("LegalEntityQuery", back.document)


@pytest.mark.parametrize(
    "line",
    [
        b"GET /api/v1/basisprofielen/68750110 HTTP/1.1",
        b"GET /test/api/v1/basisprofielen/68750110?geoData=false HTTP/1.1",
        b"GET https://api.kvk.nl/api/v1/basisprofielen/68750110 HTTP/1.1",
    ],
)
def test_the_request_path_may_carry_the_api_prefix(kvk: KvkConnector, line: bytes):
    envelope = kvk.decode_message(line + b"\r\n\r\n", "message/http")
    assert envelope.document == {"identifiers": [{"notation": "68750110", "scheme": "nl.kvk"}]}
    assert envelope.notes == ()


def test_geo_data_is_noted(kvk: KvkConnector):
    envelope = kvk.decode_message(b"GET /basisprofielen/68750110?geoData=true HTTP/1.1\r\n\r\n",
                                  "message/http")  # fmt: skip
    assert envelope.notes == (
        "nl.kvk: $.query.geoData: not carried (LegalEntityQuery has no such option)",
    )


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"POST /basisprofielen/68750110 HTTP/1.1\r\n\r\n", ConnectorError, "is not GET"),
        (b"GET /basisprofielen/68750110/eigenaar HTTP/1.1\r\n\r\n", ConnectorError,
         r"not \.\.\./basisprofielen/\{kvkNummer\}"),
        (b"GET /basisprofielen/6875011 HTTP/1.1\r\n\r\n", ConnectorError,
         r"nl\.kvk: \{kvkNummer\}: does not match pattern \^\[0-9\]\{8\}\$"),
        (b"GET\r\n\r\n", ConnectorError, "not 'METHOD TARGET HTTP/1.1'"),
        (b"GET /basisprofielen/6875011a HTTP/1.1\r\n\r\n", ConnectorError, "does not match"),
    ],
)  # fmt: skip
def test_a_request_that_is_not_a_basisprofiel_get_is_refused(
    kvk: KvkConnector, body: bytes, error: type[Exception], message: str
):
    with pytest.raises(error, match=message):
        kvk.decode_message(body, "message/http; msgtype=request")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"name": "Bakkerij"}, "needs exactly one nl.kvk identifier, not 0"),
        ({"identifiers": [{"notation": "68750110", "scheme": "nl.kvk"},
                          {"notation": "68750111", "scheme": "nl.kvk"}]}, "not 2"),
        ({"identifiers": [{"notation": "857587973", "scheme": "nl.rsin"}]}, "not 0"),
    ],
)  # fmt: skip
def test_a_query_the_basisprofiel_cannot_answer_is_refused(
    kvk: KvkConnector, query: dict[str, Any], message: str
):
    with pytest.raises(ConnectorError, match=message):
        kvk.encode_with_notes(Envelope("x", document=query, kind="LegalEntityQuery"))


def test_a_malformed_kvk_number_in_a_query_is_a_client_error(kvk: KvkConnector):
    query = {"identifiers": [{"notation": "6875011", "scheme": "nl.kvk"}]}
    with pytest.raises(InvalidIdentifierError, match=r"\$\.identifiers\[0\]\.notation: nl\.kvk"):
        kvk.encode_with_notes(Envelope("x", document=query, kind="LegalEntityQuery"))


def test_what_a_get_cannot_carry_is_noted(kvk: KvkConnector):
    query = {
        "identifiers": [{"notation": "68750110", "scheme": "nl.kvk", "issuer": "NL"},
                        {"notation": "857587973", "scheme": "nl.rsin"}],
        "country": "NL", "fields": ["legalNames"], "purpose": "Gewerbeanmeldung",
    }  # fmt: skip
    _, _, notes = kvk.encode_with_notes(Envelope("x", document=query, kind="LegalEntityQuery"))
    assert notes_paths(notes) == ["$.identifiers[1]", "$.identifiers[0].issuer", "$.country",
                                  "$.fields", "$.purpose"]  # fmt: skip


def test_other_media_types_and_kinds_are_refused(kvk: KvkConnector):
    with pytest.raises(ConnectorError, match="expects application/json or message/http"):
        kvk.decode_message(b"<a/>", "text/xml")
    with pytest.raises(ConnectorError, match="cannot encode a 'Person'"):
        kvk.encode_with_notes(Envelope("x", document={}, kind="Person"))
    with pytest.raises(ConnectorError, match="nothing to encode"):
        kvk.encode_with_notes(Envelope("x", kind="LegalEntity"))


def test_schemas_come_from_the_schema_dir_when_one_is_set(tmp_path):
    from gateway.errors import ConfigError

    with pytest.raises(ConfigError, match=r"basisprofiel-openapi-v1\.5\.0\.yaml"):
        KvkConnector(ConnectorOptions(schema_dir=tmp_path))
