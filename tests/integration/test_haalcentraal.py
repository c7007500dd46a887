"""The Haal Centraal BRP front door (issue 4, item 2): a Dutch BRP client asks a German register.

NL's gateway serves ``POST /haalcentraal/api/brp/personen``; DE's gateway turns the canonical
query into an XMeld Datenabruf for its register (a real aiohttp app speaking XMeld). Every
answer, valid request or not, is checked against the official OpenAPI in ../shared.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.errors import ConfigError
from gateway.frontends.haalcentraal import PATH
from gateway.pki import CertificateAuthority
from gateway.settings import Settings
from tests.connectors.nl.reference import brp_openapi
from tests.integration.federation import call, closed_port_url
from tests.integration.haalcentraal_support import (
    NL_CLIENT,
    NL_OTHER,
    PURPOSE,
    SEARCH_AREA,
    SERVICE,
    BrpFederation,
    Register,
    ask,
    bearer,
    request_errors,
    response_errors,
    running_register,
)

ZOEK = "ZoekMetGeslachtsnaamEnGeboortedatum"
RAADPLEEG = "RaadpleegMetBurgerservicenummer"
SEARCH = {
    "type": ZOEK,
    "geslachtsnaam": "Müller",
    "geboortedatum": "1984-03-12",
    "fields": ["naam", "geboorte", "geslacht", "adressering"],
}
BY_BSN = {"type": RAADPLEEG, "burgerservicenummer": ["999993653"], "fields": ["naam"]}


@pytest.fixture
async def register() -> AsyncIterator[Register]:
    async with running_register() as running:
        yield running


@pytest.fixture
def brp(tmp_path: Path, ca: CertificateAuthority, register: Register) -> BrpFederation:
    return BrpFederation(tmp_path, ca, register.url)


def _conforms(answer: Any) -> dict[str, Any]:
    errors = response_errors(answer)
    assert errors == [], (answer.status, answer.body[:600], errors)
    document: dict[str, Any] = answer.json()
    return document


def _problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    document = _conforms(answer)
    assert answer.status == status, answer.body
    assert document["code"] == code, document
    return document


# ------------------------------------------------------------------ valid requests


async def test_a_search_finds_the_resident_and_answers_in_haal_centraal_shape(brp, register):
    assert request_errors(SEARCH) == []
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH)
    document = _conforms(answer)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/json")
    # The search answers with the search's type and PersoonBeperkt; the deceased namesake
    # the register also found is left out (the API's default: living persons only).
    assert document == {
        "type": ZOEK,
        "personen": [
            {
                "geslacht": {"code": "V", "omschrijving": "vrouw"},
                "naam": {"voornamen": "Anna Maria", "geslachtsnaam": "Müller"},
                "geboorte": {
                    "datum": {
                        "type": "Datum",
                        "datum": "1984-03-12",
                        "langFormaat": "12 maart 1984",
                    }
                },
                "adressering": {"adresregel1": "Hauptstraße 12a", "adresregel2": "59494 Soest"},
            }
        ],
    }
    # The register got one XMeld Datenabruf carrying what a BRP client never says.
    (query,) = register.queries
    assert register.media_types[0].startswith("application/xml")
    assert query["familyName"] == "Müller" and query["birthDate"] == "1984-03-12"
    assert query["requester"]["name"] == "Gemeente Amsterdam"  # NL's name in the directory
    assert query["purpose"] == PURPOSE
    assert [area["code"] for area in query["searchArea"]] == [SEARCH_AREA]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (["naam.voornamen"], {"naam": {"voornamen": "Anna Maria"}}),
        # Any part of a table value or of a date gives the whole value (the API's rule).
        (["geslacht.code"], {"geslacht": {"code": "V", "omschrijving": "vrouw"}}),
        (
            ["geboorte.datum.jaar", "naam.geslachtsnaam"],
            {
                "naam": {"geslachtsnaam": "Müller"},
                "geboorte": {
                    "datum": {
                        "type": "Datum",
                        "datum": "1984-03-12",
                        "langFormaat": "12 maart 1984",
                    }
                },
            },
        ),
        (["adressering.adresregel2"], {"adressering": {"adresregel2": "59494 Soest"}}),
        # The alias for domestic addresses only: a German address is not delivered.
        (["burgerservicenummer", "adresseringBinnenland"], {}),
    ],
    ids=["one-name-part", "table-value", "date-part", "one-address-line", "alias"],
)
async def test_the_fields_selection_is_honoured(brp, register, fields, expected):
    request = {**SEARCH, "fields": fields}
    assert request_errors(request) == []
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, request)
    assert _conforms(answer)["personen"] == [expected]


async def test_deceased_persons_only_when_asked_for(brp, register):
    request = {**SEARCH, "inclusiefOverledenPersonen": True, "fields": ["naam.voornamen"]}
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, request)
    names = [p["naam"]["voornamen"] for p in _conforms(answer)["personen"]]
    assert names == ["Anna Maria", "Jan"]


async def test_nobody_found_is_an_empty_answer(brp, register):
    request = {**SEARCH, "geslachtsnaam": "Jansen"}
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, request)
    assert answer.status == 200 and _conforms(answer) == {"type": ZOEK, "personen": []}
    assert len(register.queries) == 1


async def test_a_wildcard_search_reaches_the_register(brp, register):
    request = {**SEARCH, "geslachtsnaam": "Mül*", "fields": ["naam.geslachtsnaam"]}
    assert request_errors(request) == []
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, request)
    assert _conforms(answer)["personen"] == [{"naam": {"geslachtsnaam": "Müller"}}]


@pytest.mark.parametrize(
    ("request_body", "named"),
    [
        (BY_BSN, ["familyName", "IdNr"]),  # XMeld searches by IdNr or name, never by BSN
        ({**SEARCH, "gemeenteVanInschrijving": "0363"}, ["municipalityCode"]),  # not an AGS
    ],
    ids=["raadpleeg-by-bsn", "dutch-municipality"],
)
async def test_what_the_german_side_cannot_ask_its_register_is_explained(
    brp, register, request_body, named
):
    """Valid BRP requests the XMeld side cannot express: a 400 that says why, nothing asked."""
    assert request_errors(request_body) == []
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, request_body)
    document = _problem(answer, 400, "paramsValidation")
    assert all(word in document["detail"] for word in named), document["detail"]
    assert register.queries == []


# ------------------------------------------------------------------ invalid requests

INVALID = [
    # id, body (or raw bytes), status, code, the invalidParams names
    ("not-json", b"{type: Raadpleeg", 400, "paramsValidation", []),
    ("not-an-object", b'["RaadpleegMetBurgerservicenummer"]', 400, "paramsValidation", []),
    ("no-type", {"burgerservicenummer": ["999993653"], "fields": ["naam"]}, 400,
     "paramsValidation", ["type"]),
    ("unknown-type", {**BY_BSN, "type": "zoekmetgeslachtsnaamengeboortedatum"}, 400,
     "paramsValidation", ["type"]),
    ("unsupported-type", {"type": "ZoekMetPostcodeEnHuisnummer", "postcode": "2628HJ",
                          "huisnummer": 2, "fields": ["naam"]}, 400, "paramsValidation", ["type"]),
    ("bsn-pattern", {**BY_BSN, "burgerservicenummer": ["12345678", "999993653", "1234567890"]},
     400, "paramsValidation", ["burgerservicenummer.0", "burgerservicenummer.2"]),
    ("bsn-11-check", {**BY_BSN, "burgerservicenummer": ["999993654"]}, 400, "paramsValidation",
     ["burgerservicenummer.0"]),
    ("bsn-not-a-list", {**BY_BSN, "burgerservicenummer": "999993653"}, 400, "paramsValidation",
     ["burgerservicenummer"]),
    ("no-fields", {"type": ZOEK, "geslachtsnaam": "Müller", "geboortedatum": "1984-03-12"}, 400,
     "paramsCombination", ["fields"]),
    ("no-bsn", {"type": RAADPLEEG, "fields": ["naam"]}, 400, "paramsCombination",
     ["burgerservicenummer"]),
    ("field-of-no-search", {**SEARCH, "fields": ["naam", "aNummer", "verblijfplaats"]}, 400,
     "paramsValidation", ["fields.1", "fields.2"]),
    ("field-misspelt", {**BY_BSN, "fields": ["anummer"]}, 400, "paramsValidation", ["fields.0"]),
    ("field-automatic", {**BY_BSN, "fields": ["inOnderzoek"]}, 400, "paramsValidation",
     ["fields.0"]),
    ("field-pattern", {**BY_BSN, "fields": ["naam/voornamen"]}, 400, "paramsValidation",
     ["fields.0"]),
    ("fields-empty", {**BY_BSN, "fields": []}, 400, "paramsValidation", ["fields"]),
    ("unknown-param", {**BY_BSN, "voornamen": "Pietje"}, 400, "paramsValidation", ["voornamen"]),
    ("bad-date", {**SEARCH, "geboortedatum": "1984-02-30"}, 400, "paramsValidation",
     ["geboortedatum"]),
    ("not-boolean", {**SEARCH, "inclusiefOverledenPersonen": "ja"}, 400, "paramsValidation",
     ["inclusiefOverledenPersonen"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "code", "names"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
async def test_an_invalid_request_gets_the_apis_problem_and_reaches_no_one(
    brp, register, body, status, code, names
):
    raw = body if isinstance(body, bytes) else None
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, body, raw=raw)
    document = _problem(answer, status, code)
    assert [p["name"] for p in document.get("invalidParams", [])] == names
    assert register.queries == []
    assert document["instance"].endswith("/haalcentraal/api/brp/personen")


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Content-Type": "application/xml"}, 415, "unsupported"),
        ({"Content-Type": "application/json; charset=cp1252"}, 415, "unsupported"),
        ({"Content-Type": ""}, 415, "unsupported"),
        ({"Accept": "application/xml"}, 406, "notAcceptable"),
        ({"Accept": ""}, 406, "notAcceptable"),
    ],
    ids=["xml-body", "cp1252", "no-content-type", "accept-xml", "accept-empty"],
)
async def test_content_type_and_accept_are_checked(brp, register, headers, status, code):
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH, headers=headers)
    _problem(answer, status, code)
    assert register.queries == []


@pytest.mark.parametrize(
    "accept", ["*/*", "application/json;charset=utf-8", "text/html, */*;q=0.5"]
)
async def test_an_accept_that_takes_json_is_served(brp, register, accept):
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH, headers={"Accept": accept})
    assert answer.status == 200 and _conforms(answer)["type"] == ZOEK


async def test_another_method_is_not_allowed(brp, register):
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, None, method="GET", raw=b"")
    assert answer.headers["Allow"] == "POST"
    _problem(answer, 405, "methodNotAllowed")


@pytest.mark.parametrize("tail", ["/", "/extra", "/x/y"])
async def test_a_path_below_the_resource_is_the_apis_404_not_a_soap_fault(brp, register, tail):
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await call(
            http,
            "POST",
            nl.client_url + PATH + tail,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            data=json.dumps(SEARCH).encode(),
        )
    assert answer.status == 404, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "notFound"
    assert register.queries == []


# ------------------------------------------------------------------ who may ask


async def test_a_token_must_match_the_certificate(brp, register, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = brp.tokens
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        good = await ask(http, nl.client_url, SEARCH, headers=bearer(tokens[NL_CLIENT]))
        unknown = await ask(http, nl.client_url, SEARCH, headers=bearer("not-a-token-of-ours"))
        foreign = await ask(http, nl.client_url, SEARCH, headers=bearer(tokens[NL_OTHER]))
        basic = await ask(http, nl.client_url, SEARCH, headers={"Authorization": "Basic eDp5"})
    assert good.status == 200 and _conforms(good)["personen"]
    for refused in (unknown, foreign, basic):
        _problem(refused, 401, "authentication")
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(register.queries) == 1
    configured = str(brp.settings("NL").clients)
    for token in (*tokens.values(), "not-a-token-of-ours"):
        assert token not in caplog.text  # never logged
        assert token not in configured  # only its hash is configured


async def test_a_required_token_is_required(brp, register):
    brp.members["NL"].settings_overrides["haalcentraal"]["require_token"] = True
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        without = await ask(http, nl.client_url, SEARCH)
        with_token = await ask(http, nl.client_url, SEARCH, headers=bearer(brp.tokens[NL_CLIENT]))
    _problem(without, 401, "authentication")
    assert with_token.status == 200


async def test_on_a_plain_loopback_port_the_token_is_the_credential(brp, register):
    nl_settings = brp.members["NL"].settings_overrides
    nl_settings["listen"] = {"client_tls": False}
    nl_settings["security"] = {"allow_plain_loopback": True}
    async with brp.start() as (nl, _de), aiohttp.ClientSession() as http:
        assert nl.client_url.startswith("http://")
        anonymous = await ask(http, nl.client_url, SEARCH)
        other = await ask(http, nl.client_url, SEARCH, headers=bearer(brp.tokens[NL_OTHER]))
        known = await ask(http, nl.client_url, SEARCH, headers=bearer(brp.tokens[NL_CLIENT]))
    _problem(anonymous, 401, "authentication")
    _problem(other, 403, "autorisation")  # authenticated as NL_OTHER, granted nothing
    assert known.status == 200 and _conforms(known)["personen"]


async def test_over_tls_a_token_without_a_certificate_is_the_credential(brp, register):
    """A BRP client as the API knows it: server-authenticated TLS and a bearer token only."""
    async with brp.start() as (nl, _de), brp.session_without_certificate() as http:
        assert nl.client_url.startswith("https://")
        known = await ask(http, nl.client_url, SEARCH, headers=bearer(brp.tokens[NL_CLIENT]))
        other = await ask(http, nl.client_url, SEARCH, headers=bearer(brp.tokens[NL_OTHER]))
    assert known.status == 200 and _conforms(known)["personen"]
    _problem(other, 403, "autorisation")  # authenticated as NL_OTHER by its token, granted nothing
    assert len(register.queries) == 1
    # Both gateways audit the exchange under the subsystem the token is bound to.
    exchange_id = known.headers["X-Road-Id"]
    for key in ("NL", "DE"):
        records = [r for r in brp.audit(key) if r["exchange_id"] == exchange_id]
        assert [(r["kind"], r["client"]) for r in records] == [
            ("request", NL_CLIENT),
            ("response", NL_CLIENT),
        ]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token-of-ours", "Bearer ", "Basic eDp5"],
    ids=["no-token", "unknown-token", "empty-token", "basic"],
)
async def test_over_tls_without_a_certificate_a_missing_or_wrong_token_is_a_401(
    brp, register, authorization
):
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with brp.start() as (nl, _de), brp.session_without_certificate() as http:
        answer = await ask(http, nl.client_url, SEARCH, headers=headers)
    document = _problem(answer, 401, "authentication")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert register.queries == []
    # Refused before the pipeline's first stage, and audited as such on NL only.
    (response,) = [r for r in brp.audit("NL") if r["kind"] == "response"]
    assert response["status"] == 401 and response["exchange_id"] == answer.headers["X-Road-Id"]
    assert response["error_type"] == "Server.ClientProxy.AccessDenied"
    assert brp.audit("DE") == []
    assert document["instance"].startswith("https://")


async def test_a_token_does_not_stand_in_for_an_unbound_certificate(brp, register):
    """A certificate that is presented must be bound; a valid token does not make up for it."""
    async with brp.start() as (nl, _de), brp.unbound_session() as http:
        answer = await ask(http, nl.client_url, SEARCH, headers=bearer(brp.tokens[NL_CLIENT]))
    _problem(answer, 401, "authentication")
    assert register.queries == []


async def test_a_client_the_directory_does_not_allow_is_forbidden(brp, register):
    async with brp.start() as (nl, _de), brp.other_session() as http:
        answer = await ask(http, nl.client_url, SEARCH)
    document = _problem(answer, 403, "autorisation")
    assert "wmo" in document["detail"] and "personen" in document["detail"]
    assert register.queries == []


# ------------------------------------------------------------------ when things fail behind


async def test_the_register_down_is_a_503(brp, register):
    brp.backend_url = closed_port_url()
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH)
    _problem(answer, 503, "notAvailable")


async def test_a_slow_register_is_a_504(brp, register):
    register.delay = 3.0  # DE's backend timeout is 2 s in the harness
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH)
    _problem(answer, 504, "timeout")


@pytest.mark.parametrize(
    ("failure", "status", "code"), [(500, 500, "serverError"), (503, 503, "notAvailable")]
)
async def test_the_registers_own_failure_is_the_apis(brp, register, failure, status, code):
    register.fail_with = failure
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH)
    _problem(answer, status, code)


async def test_the_provider_gateway_unreachable_is_a_503(brp, register):
    def unreachable(document: dict[str, Any]) -> dict[str, Any]:
        for member in document["members"]:
            if member["name"] == "Stadt Musterstadt":
                member["gateway_url"] = closed_port_url().replace("http:", "https:")
        return document

    async with brp.start(edit=unreachable) as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH)
    _problem(answer, 503, "notAvailable")
    assert register.queries == []


# ------------------------------------------------------------------ the audit trail


async def test_both_gateways_audit_the_exchange(brp, register):
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, SEARCH)
        refused = await ask(http, nl.client_url, {**SEARCH, "fields": ["aNummer"]})
    assert answer.status == 200 and refused.status == 400
    nl_records, de_records = brp.audit("NL"), brp.audit("DE")
    exchange_id = answer.headers["X-Road-Id"]
    mine = [r for r in nl_records if r["exchange_id"] == exchange_id]
    theirs = [r for r in de_records if r["exchange_id"] == exchange_id]
    assert [r["kind"] for r in mine] == ["request", "response"] == [r["kind"] for r in theirs]
    for record in mine + theirs:
        assert record["client"] == NL_CLIENT and record["service"] == SERVICE
    assert mine[0]["digest"] == theirs[0]["digest"]  # the same signed canonical query
    notes = "\n".join(r["notes"] or "" for r in mine + theirs)
    assert "$.purpose: added by the frontend" in notes  # what the front door added, said so
    assert "$.requester: added by the frontend" in notes
    # The refused request is audited where it was refused, and went no further.
    refused_id = refused.headers["X-Road-Id"]
    assert [r["status"] for r in nl_records if r["exchange_id"] == refused_id][-1] == 400
    assert not [r for r in de_records if r["exchange_id"] == refused_id]


# ------------------------------------------------------------------ configuration


def _settings(tmp_path: Path, env: dict[str, str] | None = None, **haalcentraal: Any) -> Settings:
    raw = {
        "member": {"id": "NL/GOV/00000001"},
        "listen": {"peer": "127.0.0.1:0", "client": "127.0.0.1:0", "client_tls": False},
        "tls": {"certificate": "t.pem", "key": "t.key"},
        "signing": {"certificate": "s.pem", "key": "s.key"},
        "directory": {"source": "d.jws", "trust_anchor": "a.pem"},
        "data": {"dir": "data"},
        "security": {"allow_plain_loopback": True},
        "haalcentraal": haalcentraal,
    }
    return Settings.from_mapping(raw, base_dir=tmp_path, env=env or {})


def test_the_front_door_is_off_by_default(tmp_path):
    settings = _settings(tmp_path)
    assert settings.haalcentraal.enabled is False


def test_a_valid_configuration_and_its_environment_override(tmp_path):
    settings = _settings(tmp_path, enabled=True, service=SERVICE, purpose="Wohnsitz",
                         search_area=["05", "05974028"])  # fmt: skip
    assert settings.haalcentraal.search_area == ("05", "05974028")
    assert settings.haalcentraal.path == "/personen"
    overridden = _settings(tmp_path, {"XGW_HAALCENTRAAL_SEARCH_AREA": "03, 05974028"},
                           enabled=True, service=SERVICE, purpose="Wohnsitz")  # fmt: skip
    assert overridden.haalcentraal.search_area == ("03", "05974028")


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"enabled": True, "purpose": "x"}, "haalcentraal.service"),
        ({"enabled": True, "service": "DE/GOV/05974028/meldewesen", "purpose": "x"},
         "haalcentraal.service"),
        ({"enabled": True, "service": SERVICE}, "haalcentraal.purpose"),
        ({"enabled": True, "service": SERVICE, "purpose": "x", "search_area": ["0597"]},
         "haalcentraal.search_area[0]"),
        ({"enabled": True, "service": SERVICE, "purpose": "x", "path": "personen"},
         "haalcentraal.path"),
        ({"enabled": "maybe"}, "haalcentraal.enabled"),
        ({"tokens": ["x"]}, "haalcentraal.tokens"),
    ],
    ids=["no-service", "not-a-service", "no-purpose", "bad-area", "relative-path", "not-bool",
         "unknown-key"],
)  # fmt: skip
def test_a_bad_setting_names_its_key(tmp_path, values, key):
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, **values)
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("tokens", "key"),
    [
        (["s3cret-token"], "clients[0].token_sha256"),
        (["a" * 64, "A" * 64], "clients[1].token_sha256"),
    ],
    ids=["a-token-not-a-hash", "the-same-hash-twice"],
)
def test_token_hashes_are_checked(tmp_path, tokens, key):
    raw = {
        "member": {"id": "NL/GOV/00000001"},
        "listen": {"peer": "127.0.0.1:0", "client": "127.0.0.1:0", "client_tls": False},
        "tls": {"certificate": "t.pem", "key": "t.key"},
        "signing": {"certificate": "s.pem", "key": "s.key"},
        "directory": {"source": "d.jws", "trust_anchor": "a.pem"},
        "data": {"dir": "data"},
        "security": {"allow_plain_loopback": True},
        "clients": [
            {"subsystem": f"NL/GOV/00000001/c{i}", "token_sha256": token}
            for i, token in enumerate(tokens)
        ],
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_mapping(raw, base_dir=tmp_path, env={})
    assert caught.value.key == key


# ------------------------------------------------------------------ every type of the API

EVERY_TYPE: dict[str, dict[str, Any]] = {
    # One valid request of each type the official OpenAPI's discriminator lists.
    ZOEK: SEARCH,
    RAADPLEEG: BY_BSN,
    "ZoekMetNaamEnGemeenteVanInschrijving": {
        "geslachtsnaam": "Müller", "voornamen": "Anna", "gemeenteVanInschrijving": "0518",
    },
    "ZoekMetPostcodeEnHuisnummer": {"postcode": "2628HJ", "huisnummer": 2},
    "ZoekMetStraatHuisnummerEnGemeenteVanInschrijving": {
        "straat": "Spui", "huisnummer": 70, "gemeenteVanInschrijving": "0518",
    },
    "ZoekMetNummeraanduidingIdentificatie": {"nummeraanduidingIdentificatie": "0518200000366054"},
    "ZoekMetAdresseerbaarObjectIdentificatie": {
        "adresseerbaarObjectIdentificatie": "0518010000366055",
    },
}  # fmt: skip


def test_every_type_of_the_api_is_covered() -> None:
    mapping = brp_openapi()["components"]["schemas"]["PersonenQuery"]["discriminator"]["mapping"]
    assert set(EVERY_TYPE) == set(mapping)


@pytest.mark.parametrize("kind", sorted(EVERY_TYPE))
async def test_every_type_gets_an_answer_the_api_defines(brp, register, kind):
    """A search the German register can answer is answered; any other gets the API's 400 that
    says why, and the register is not asked. Either way the response is the API's."""
    body = {"fields": ["naam"], **EVERY_TYPE[kind], "type": kind}
    assert request_errors(body) == []  # a valid request by the official OpenAPI
    async with brp.start() as (nl, _de), brp.client("NL") as http:
        answer = await ask(http, nl.client_url, body)
    document = _conforms(answer)
    if kind == ZOEK:
        assert answer.status == 200 and document["type"] == ZOEK
        assert register.queries != []
    else:
        assert answer.status == 400 and document["code"] in (
            "paramsValidation",
            "paramsCombination",
        )
        assert document.get("invalidParams") or document.get("detail")
        assert register.queries == []
