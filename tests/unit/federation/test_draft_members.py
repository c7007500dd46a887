"""Members, subsystems and services in the draft, and what goes with them when removed."""

from __future__ import annotations

import pytest

from gateway.directory import Directory
from gateway.errors import AdminError, ConflictError, NotFoundError
from gateway.federation.changes import AccessRight
from gateway.identifiers import ClientId, ServiceId
from tests.unit.federation.conftest import (
    BE,
    CLIENT,
    DE,
    EE,
    EE_CLIENT,
    ETTEVOTTED,
    GEWERBEANZEIGE,
    NL,
    OFFEN,
    pem,
)


def add_nl(draft, pki, **overrides):
    arguments = {
        "gateway_url": "https://gw.nl.example:8443",
        "tls_certificates": [pem(pki.nl_tls)],
        "signing_certificates": [pki.nl_sign.cert],  # objects work as well as PEM
        **overrides,
    }
    return draft.add_member(NL, "Gemeente Voorbeeld", **arguments)


def test_add_a_gateway_member(draft, pki):
    change = add_nl(draft, pki)
    assert change.action == "member.add"
    assert change.summary == f"added gateway member {NL} (Gemeente Voorbeeld)"
    member = Directory.from_json(draft.document).member(ClientId.parse(NL))
    assert member is not None
    assert member.gateway_url == "https://gw.nl.example:8443"
    assert member.tls_certificates == (pki.nl_tls.cert,)
    assert member.signing_certificates == (pki.nl_sign.cert,)


def test_add_a_partner_without_xgw(draft, pki):
    # A partner's server certificate comes from its own CA: pinned, not chained.
    partner = {"protocol": "native", "url": "https://magda.example"}
    change = draft.add_member(BE, "MAGDA", tls_certificates=[pem(pki.partner_tls)], partner=partner)
    assert change.summary == f"added partner member {BE} (MAGDA)"
    member = Directory.from_json(draft.document).member(ClientId.parse(BE))
    assert member is not None and member.partner is not None
    assert member.partner.url == "https://magda.example"
    assert draft.member_json(BE)["kind"] == "partner"


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"signing_certificates": []}, AdminError, "a gateway needs a gateway_url and a signing"),
        ({"gateway_url": None}, AdminError, "a gateway needs a gateway_url"),
        ({"tls_certificates": []}, AdminError, "a TLS certificate is needed"),
        (
            {"partner": {"protocol": "x-road", "url": "https://ss.example"}},
            AdminError,
            "a partner without xgw is reached at partner.url",
        ),
        ({"gateway_url": "http://gw.nl.example"}, AdminError, r"schema: members\[2\].gateway_url"),
        ({"tls_certificates": ["not a certificate"]}, AdminError, "unreadable PEM certificate"),
    ],
)
def test_add_member_refuses_an_incomplete_member(draft, pki, overrides, error, message):
    with pytest.raises(error, match=message):
        add_nl(draft, pki, **overrides)
    assert [m["id"] for m in draft.document["members"]] == [DE, EE]


def test_add_member_refuses_three_certificates_of_one_usage(draft, pki):
    with pytest.raises(AdminError, match="at most 2 tls certificates"):
        add_nl(draft, pki, tls_certificates=[pki.nl_tls.cert, pki.de_tls_next.cert, pem(pki.ca)])


def test_add_member_refuses_a_duplicate_and_a_subsystem_id(draft, pki):
    with pytest.raises(ConflictError, match=f"member {DE} is in the draft already"):
        draft.add_member(DE, "again", gateway_url="https://x", tls_certificates=[pki.nl_tls.cert])
    with pytest.raises(AdminError, match="names a subsystem"):
        draft.add_member(f"{NL}/brp", "x", gateway_url="https://x")


def test_add_member_refuses_another_members_certificate(draft, pki):
    with pytest.raises(ConflictError, match=f"is listed for member {DE}"):
        add_nl(draft, pki, tls_certificates=[pki.de_tls.cert])


def test_add_member_refuses_a_certificate_from_an_unlisted_ca(draft, pki):
    with pytest.raises(AdminError, match="is not issued by a CA in 'cas'"):
        add_nl(draft, pki, tls_certificates=[pki.foreign_tls.cert])


def test_add_member_refuses_an_expired_certificate(draft, pki):
    with pytest.raises(AdminError, match="expired at"):
        add_nl(draft, pki, tls_certificates=[pki.expired_tls.cert])


def test_remove_member_takes_its_access_rights_along(draft):
    change = draft.remove_member(EE)
    assert change.summary == f"removed member {EE} (EE)"
    # DE's right to call EE's service, and EE's subsystem's right to call DE's service.
    assert change.removed_access == (
        AccessRight(CLIENT, ETTEVOTTED, (("GET", "/ettevotted/**"),)),
        AccessRight(EE_CLIENT, GEWERBEANZEIGE, ()),
    )
    assert draft.document["access"] == []
    assert "also withdrew" in "\n".join(change.lines())
    with pytest.raises(NotFoundError, match=f"no member {EE}"):
        draft.remove_member(EE)


def test_subsystems(draft):
    draft.add_subsystem(DE, "buergeramt", "Bürgeramt")
    with pytest.raises(ConflictError, match="has a subsystem 'buergeramt' already"):
        draft.add_subsystem(DE, "buergeramt", "again")
    with pytest.raises(NotFoundError, match=f"no member {NL}"):
        draft.add_subsystem(NL, "brp", "BRP")
    with pytest.raises(ConflictError, match="provides the services ettevotted, offen"):
        draft.remove_subsystem(EE, "ariregister")
    change = draft.remove_subsystem(EE, "klient")  # a client: its access right goes with it
    assert change.removed_access == (AccessRight(EE_CLIENT, GEWERBEANZEIGE, ()),)
    with pytest.raises(NotFoundError, match="has no subsystem 'klient'"):
        draft.remove_subsystem(EE, "klient")


def test_add_service(draft):
    change = draft.add_service(
        EE, "klient", "paring", "rest", format="opaque", endpoints=["GET /paring/*", "/x"]
    )
    assert change.target == f"{EE}/klient/paring"
    service = Directory.from_json(draft.document).service(ServiceId.parse(change.target))
    assert service is not None
    assert service.type == "REST"
    assert [(e.method, e.path) for e in service.endpoints] == [("GET", "/paring/*"), ("*", "/x")]


def test_add_soap_service_with_version(draft):
    draft.add_service(DE, "gewerbeamt", "auskunft", "SOAP", version="v1")
    service = Directory.from_json(draft.document).service(
        ServiceId.parse(f"{DE}/gewerbeamt/auskunft")
    )
    assert service is not None and service.version == "v1"


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((EE, "ariregister", "offen", "REST"), ConflictError, "is in the draft already"),
        ((EE, "nope", "x", "REST"), NotFoundError, "has no subsystem 'nope'; add it first"),
        ((NL, "brp", "x", "REST"), NotFoundError, f"no member {NL}"),
        ((EE, "klient", "x", "GRPC"), AdminError, "neither REST nor SOAP"),
    ],
)
def test_add_service_refusals(draft, arguments, error, message):
    with pytest.raises(error, match=message):
        draft.add_service(*arguments)


def test_add_service_refusals_of_the_model(draft):
    with pytest.raises(AdminError, match="only a SOAP service has a serviceVersion"):
        draft.add_service(EE, "klient", "x", "REST", version="v1")
    with pytest.raises(AdminError, match="unknown method 'FETCH'"):
        draft.add_service(EE, "klient", "x", "REST", endpoints=["FETCH /x"])
    with pytest.raises(AdminError, match="must start with '/'"):
        draft.add_service(EE, "klient", "x", "REST", endpoints=["GET x"])
    with pytest.raises(AdminError, match="'\\*\\*' must be a whole segment"):
        draft.add_service(EE, "klient", "x", "REST", endpoints=["GET /a**"])


def test_remove_service_takes_its_access_rights_along(draft):
    draft.grant(CLIENT, OFFEN)
    change = draft.remove_service(OFFEN)
    assert change.removed_access == (AccessRight(CLIENT, OFFEN, ()),)
    assert Directory.from_json(draft.document).service(ServiceId.parse(OFFEN)) is None
    with pytest.raises(NotFoundError, match=f"no service {OFFEN}"):
        draft.remove_service(OFFEN)
    with pytest.raises(AdminError, match="service: "):
        draft.remove_service("not/a/service")


def test_member_json_shows_certificates_services_and_access(draft, pki):
    member = draft.member_json(EE)
    assert member["kind"] == "gateway"
    assert member["tls_certificates"][0]["serial"] == format(pki.ee_tls.cert.serial_number, "x")
    assert member["tls_certificates"][0]["revoked"] is False
    assert [s["id"] for s in member["services"]] == [ETTEVOTTED, OFFEN]
    assert member["access_as_client"] == [AccessRight(EE_CLIENT, GEWERBEANZEIGE).to_json()]
    assert [r["client"] for r in member["access_to_services"]] == [CLIENT]
    with pytest.raises(NotFoundError):
        draft.member_json(NL)
