"""Bodiless requests translated: KvK's Basisprofiel GET (``message/http``) at both edges and
toward a native partner, through running gateways, with a KvK-like API on 127.0.0.1 whose
answers validate against the official KvK OpenAPI; and what a gateway refuses to send."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson
import pytest

from connectors.base import Envelope
from connectors.nl.kvk import KvkConnector
from gateway._crypto import certificate_to_pem
from gateway.errors import ConnectorError
from gateway.signing import body_digest
from gateway.stages.translate import backend_request
from tests.connectors.nl import samples
from tests.connectors.nl.reference import official_kvk
from tests.integration.federation import EE, Answer, Harness, assert_xroad_error, call, serve_app
from tests.integration.kvk_support import KVK_NUMBER, KVK_SERVICE, KvkApi, Seen, kvk_service
from tests.integration.partner_support import CANONICAL, Partners, audit_records, canonical

SERVICE = KVK_SERVICE
KVK_PARTNER = "NL/COM/68750110"  # KvK itself, as a partner without xgw
PARTNER_SERVICE = f"{KVK_PARTNER}/kvk/basisprofiel"
QUERY = {"identifiers": [{"notation": KVK_NUMBER, "scheme": "nl.kvk"}]}
KVK = KvkConnector()


@pytest.fixture
async def kvk_api() -> AsyncIterator[tuple[KvkApi, str]]:
    api = KvkApi()
    async with serve_app(api.app()) as url:
        yield api, url


def _headers(fed: Harness, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("X-Road-Client", fed.client_id("DE")), *more]


def _round_trip() -> dict[str, Any]:
    """The Basisprofiel as nl.kvk carries it across: decoded to canonical, encoded again."""
    entity = KVK.decode_message(orjson.dumps(samples.BASISPROFIEL), "application/hal+json")
    body, _, _ = KVK.encode_with_notes(entity)
    document: dict[str, Any] = orjson.loads(body)
    return document


def _basisprofiel(answer: Answer) -> dict[str, Any]:
    assert answer.status == 200, (answer.status, answer.body[:600])
    assert answer.headers["Content-Type"].startswith("application/json")
    document: dict[str, Any] = orjson.loads(answer.body)
    assert official_kvk("Basisprofiel", document) == []
    return document


def _only_get(seen: Sequence[Seen], path: str) -> Seen:
    [request] = seen
    assert (request.method, request.path, request.body) == ("GET", path, b"")
    assert request.headers.get("Accept") == "application/json"  # the message's own
    assert "Content-Type" not in request.headers  # nothing to type: no body
    return request


# ---------------------------------------------------------------------------- the provider's edge


async def test_a_canonical_query_reaches_the_kvk_api_as_its_get(fed: Harness, kvk_api):
    api, url = kvk_api
    kvk_service(fed, url)
    query = {**QUERY, "postCode": "5211 AB"}  # the GET has no place for it: a note
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}",
            headers=_headers(fed, ("Content-Type", CANONICAL), ("Accept", "application/xml")),
            data=canonical("LegalEntityQuery", query),
        )
    assert answer.status == 200, answer.body
    message = orjson.loads(answer.body)
    assert message["kind"] == "LegalEntity"
    assert {"notation": KVK_NUMBER, "scheme": "nl.kvk"} in message["document"]["identifiers"]
    # What the provider's encoding lost comes back with the answer, not only into EE's log.
    assert (
        "nl.kvk: $.postCode: not sent (no Basisprofiel request parameter for it)"
        in (message["notes"])
    )
    request = _only_get(api.seen, f"/api/v1/basisprofielen/{KVK_NUMBER}")
    assert request.headers["X-Road-Client"] == fed.client_id("DE")
    # EE's audit keeps the request as it was signed: a POST to the service.
    ee_request = audit_records(fed, "EE")[0]
    assert (ee_request["method"], ee_request["path"]) == ("POST", "")


# ---------------------------------------------------------------------------- both edges


async def test_a_bodiless_get_is_translated_at_both_edges(fed: Harness, kvk_api):
    api, url = kvk_api
    kvk_service(fed, url, client_format="nl.kvk")
    path = f"/r1/{SERVICE}/basisprofielen/{KVK_NUMBER}?geoData=false"
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(http, "GET", de.client_url + path, headers=_headers(fed))
    # The client gets a Basisprofiel, valid to the official OpenAPI, with what nl.kvk carries.
    assert _basisprofiel(answer) == _round_trip()
    _only_get(api.seen, f"/api/v1/basisprofielen/{KVK_NUMBER}")
    # Between the gateways a canonical query travelled, signed, in the request's GET.
    de_request, ee_request = audit_records(fed, "DE")[0], audit_records(fed, "EE")[0]
    assert de_request["digest"] == ee_request["digest"] != body_digest(b"")
    assert (de_request["method"], de_request["path"]) == (
        "GET", f"/basisprofielen/{KVK_NUMBER}?geoData=false")  # fmt: skip


async def test_an_unknown_company_is_the_apis_own_404(fed: Harness, kvk_api):
    api, url = kvk_api
    kvk_service(fed, url, client_format="nl.kvk")
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/basisprofielen/90004760",
            headers=_headers(fed),
        )
    assert answer.status == 404  # the register's verdict passes as it is
    assert official_kvk("Error", orjson.loads(answer.body)) == []
    _only_get(api.seen, "/api/v1/basisprofielen/90004760")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/basisprofielen/6875011", "does not match pattern"),
        ("GET", f"/basisprofielen/{KVK_NUMBER}/vestigingen", "basisprofielen/{kvkNummer}"),
        ("DELETE", f"/basisprofielen/{KVK_NUMBER}", "is not GET"),
    ],
    ids=["short-number", "other-resource", "delete"],
)
async def test_a_bodiless_request_that_is_no_basisprofiel_get_is_refused_at_the_callers_edge(
    fed: Harness, kvk_api, method: str, path: str, expected: str
):
    api, url = kvk_api
    kvk_service(fed, url, client_format="nl.kvk")
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(http, method, f"{de.client_url}/r1/{SERVICE}{path}",
                            headers=_headers(fed))  # fmt: skip
    error = assert_xroad_error(answer, "Client.InvalidMessage")
    assert expected in error["message"]
    assert api.seen == []
    assert audit_records(fed, "EE") == []  # refused before the hop


async def test_a_metaservice_of_a_kvk_client_is_not_translated(fed: Harness, kvk_api):
    _api, url = kvk_api
    kvk_service(fed, url, client_format="nl.kvk")
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http, "GET", f"{de.client_url}/r1/{EE}/kvk/listMethods", headers=_headers(fed)
        )
    assert answer.status == 200, answer.body
    assert [s["service_code"] for s in answer.json()["service"]] == ["basisprofiel"]


# ---------------------------------------------------------------------------- a native partner


def _kvk_partner(partners: Partners) -> Any:
    def edit(document: dict[str, Any]) -> dict[str, Any]:
        document["members"].append(
            {
                "id": KVK_PARTNER,
                "name": "Kamer van Koophandel",
                "partner": {"protocol": "native", "url": partners.magda_url + "/api"},
                "tls_certificates": [certificate_to_pem(partners.magda_tls.cert)],
                "subsystems": [{"code": "kvk", "name": "KvK API"}],
                "services": [
                    {
                        "subsystem": "kvk",
                        "code": "basisprofiel",
                        "type": "REST",
                        "format": "nl.kvk",
                        "address": "/v1",  # the API's base URL is url + address
                    }
                ],
            }
        )
        document["access"].append({"client": partners.fed.client_id("DE"),
                                   "service": PARTNER_SERVICE})  # fmt: skip
        return document

    return edit


async def test_a_bodiless_get_reaches_a_native_kvk_partner_as_its_get(fed: Harness):
    fed.members["DE"].client_format = "nl.kvk"
    partners, api = Partners(fed), KvkApi()
    async with partners.serve_magda(api.app()):  # a native partner's TLS server
        async with fed.start(edit=_kvk_partner(partners)) as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "GET",
                f"{de.client_url}/r1/{PARTNER_SERVICE}/basisprofielen/{KVK_NUMBER}",
                headers=_headers(fed, ("X-Road-UserId", "DE-17")),
            )
    assert _basisprofiel(answer) == _round_trip()
    request = _only_get(api.seen, f"/api/v1/basisprofielen/{KVK_NUMBER}")
    assert not [name for name in request.headers if name.lower().startswith("x-road-")]


# ---------------------------------------------------------------------------- what is never sent


BAD_MESSAGES = {
    "absolute-url": b"GET https://evil.example/basisprofielen/68750110 HTTP/1.1\r\n\r\n",
    "other-host": b"GET //evil.example/basisprofielen/68750110 HTTP/1.1\r\n\r\n",
    "host-header": b"GET /basisprofielen/68750110 HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    "dot-dot": b"GET /../admin HTTP/1.1\r\n\r\n",
    "encoded-dot-dot": b"GET /basisprofielen/%2e%2E/%2e%2e/admin HTTP/1.1\r\n\r\n",
    "double-encoded": b"GET /basisprofielen/%252e%252e/admin HTTP/1.1\r\n\r\n",
    "backslash": b"GET /basisprofielen\\..\\admin HTTP/1.1\r\n\r\n",
    "nul": b"GET /basisprofielen/%00 HTTP/1.1\r\n\r\n",
    "not-relative": b"GET basisprofielen/68750110 HTTP/1.1\r\n\r\n",
    "unsafe-method": b"DELETE /basisprofielen/68750110 HTTP/1.1\r\n\r\n",
    "body": b"GET /basisprofielen/68750110 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
    "chunked": b"GET /basisprofielen/68750110 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    "no-version": b"GET /basisprofielen/68750110\r\n\r\n",
    "bad-header": b"GET /basisprofielen/68750110 HTTP/1.1\r\nNo colon here\r\n\r\n",
    "folded-header": b"GET /x HTTP/1.1\r\nAccept: a,\r\n b\r\n\r\n",
    "not-ascii": "GET /basisprofielen/caf\u00e9 HTTP/1.1\r\n\r\n".encode(),
    "empty": b"",
}


@pytest.mark.parametrize("message", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
def test_a_message_that_is_malformed_or_leaves_the_backend_is_refused(message: bytes):
    with pytest.raises(ConnectorError) as caught:
        backend_request(message, "nl.kvk")
    assert caught.value.code == "InvalidMessage"  # the stage names the origin
    assert caught.value.message.startswith("nl.kvk: ")


def test_a_good_message_keeps_the_fields_a_backend_may_get_and_notes_the_others():
    request = backend_request(
        b"GET /basisprofielen/68750110?geoData=true HTTP/1.1\r\nAccept: application/json\r\n"
        b"Accept-Language: nl\r\nX-Api-Key: secret\r\n\r\n",
        "nl.kvk",
    )
    assert (request.method, request.target) == ("GET", "/basisprofielen/68750110?geoData=true")
    assert request.headers == (("Accept", "application/json"), ("Accept-Language", "nl"))
    assert request.notes == (
        "nl.kvk: message/http: header field X-Api-Key: not passed to the backend",
    )


def _kvk_encoding(message: bytes) -> Any:
    def encode_with_notes(
        self: KvkConnector, envelope: Envelope
    ) -> tuple[bytes, str, tuple[str, ...]]:
        return message, "message/http; msgtype=request", ()

    return encode_with_notes


@pytest.mark.parametrize("case", ["absolute-url", "encoded-dot-dot", "host-header", "body"])
async def test_a_provider_never_sends_such_a_message_to_its_backend(
    fed: Harness, kvk_api, monkeypatch: pytest.MonkeyPatch, case: str
):
    api, url = kvk_api
    kvk_service(fed, url)
    # A connector gone wrong (or a hostile one): its encoding is checked, not trusted.
    monkeypatch.setattr(KvkConnector, "encode_with_notes", _kvk_encoding(BAD_MESSAGES[case]))
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}",
            headers=_headers(fed, ("Content-Type", CANONICAL)),
            data=canonical("LegalEntityQuery", QUERY),
        )
    assert_xroad_error(answer, "Client.InvalidMessage")
    assert api.seen == []
    assert [r["error_type"] for r in audit_records(fed, "EE") if r["kind"] == "response"] == [
        "Client.InvalidMessage"
    ]


async def test_a_partner_route_never_sends_such_a_message_either(
    fed: Harness, monkeypatch: pytest.MonkeyPatch
):
    partners, api = Partners(fed), KvkApi()
    monkeypatch.setattr(KvkConnector, "encode_with_notes", _kvk_encoding(BAD_MESSAGES["dot-dot"]))
    async with partners.serve_magda(api.app()):
        async with fed.start(edit=_kvk_partner(partners)) as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "POST",
                f"{de.client_url}/r1/{PARTNER_SERVICE}",
                headers=_headers(fed, ("Content-Type", CANONICAL)),
                data=canonical("LegalEntityQuery", QUERY),
            )
    error = assert_xroad_error(answer, "Client.InvalidMessage")
    assert "leaves the backend's base path" in error["message"]
    assert api.seen == []
