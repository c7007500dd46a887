"""Partner members (members without xgw): their shape, the checks beyond the schema, the
certificate indexes, the peer-port refusal, pinned TLS and the CLI."""

from __future__ import annotations

import copy
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from jsonschema import Draft202012Validator

from gateway._crypto import fingerprint
from gateway.directory import NATIVE, XROAD, Directory, Partner, directory_schema
from gateway.directory_cli import build_directory, show
from gateway.errors import CertValidationError, DirectoryError
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.trust import PeerIdentifier, PinnedContexts
from tests.unit.directory.conftest import DE, Federation, pem

RIK = "ee-dev/GOV/70000310"
RR = "ee-dev/GOV/70008440"
MAGDA = "BE/GOV/0316380841"


class Partners:
    """The partners' own CA and server certificates (one X-Road security server, MAGDA)."""

    def __init__(self) -> None:
        self.ca = CertificateAuthority.create("the partners' own CA")
        self.ss = self.ca.issue("ss1.ee-dev.example", usage=Usage.TLS, hosts=["127.0.0.1"])
        self.magda = self.ca.issue("magda.example", usage=Usage.TLS, hosts=["127.0.0.1"])


@pytest.fixture(scope="module")
def partners() -> Partners:
    return Partners()


def xroad_member(member_id: str, subsystem: str, cert: Issued) -> dict[str, Any]:
    return {
        "id": member_id,
        "name": member_id,
        "partner": {"protocol": "x-road", "url": "https://127.0.0.1:4443"},
        "tls_certificates": [pem(cert.cert)],
        "subsystems": [{"code": subsystem, "name": subsystem}],
        "services": [],
    }


def with_partners(fed: Federation, partners: Partners) -> dict[str, Any]:
    doc = fed.doc()
    rik = xroad_member(RIK, "arireg", partners.ss)
    rik["services"] = [
        {
            "subsystem": "arireg",
            "code": "detailandmed_v2",
            "type": "SOAP",
            "version": "v1",
            "format": "ee.ariregister",
        }
    ]
    rr = xroad_member(RR, "rr", partners.ss)  # the same security server
    rr["services"] = [{"subsystem": "rr", "code": "domesticDataExchange", "type": "REST"}]
    magda = {
        "id": MAGDA,
        "name": "MAGDA",
        "partner": {"protocol": "native", "url": "https://127.0.0.1:5443/magda"},
        "tls_certificates": [pem(partners.magda.cert)],
        "subsystems": [{"code": "magda", "name": "MAGDA"}],
        "services": [
            {
                "subsystem": "magda",
                "code": "GeefPersoon",
                "type": "SOAP",
                "format": "be.magda",
                "address": "/GeefPersoon-02.02/soap/WebService",
            }
        ],
    }
    doc["members"] += [rik, rr, magda]
    doc["access"].append({"client": f"{DE}/gewerbeamt", "service": f"{RIK}/arireg/detailandmed_v2"})
    return doc


def test_partner_members_load(fed, partners):
    directory = Directory.from_json(with_partners(fed, partners))
    rik = directory.members[2]
    assert rik.is_partner and rik.partner == Partner(XROAD, "https://127.0.0.1:4443")
    assert rik.gateway_url is None and rik.signing_certificates == ()
    [service] = rik.services
    assert (service.version, service.address) == ("v1", None)
    magda = directory.members[4]
    assert magda.partner is not None and magda.partner.protocol == NATIVE
    assert magda.services[0].address == "/GeefPersoon-02.02/soap/WebService"
    assert not directory.members[0].is_partner


def _change(fed: Federation, partners: Partners, change: Any) -> dict[str, Any]:
    doc = with_partners(fed, partners)
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["members"][2].update(gateway_url="https://127.0.0.1:1"),
            "schema: members[2].gateway_url: not allowed: a partner member (one with 'partner') "
            "is reached at partner.url",
        ),
        (
            lambda d: d["members"][2].update(
                signing_certificates=d["members"][0]["tls_certificates"]
            ),
            "schema: members[2].signing_certificates: not allowed: a partner member",
        ),
        (
            lambda d: d["members"][2].pop("tls_certificates"),
            "schema: members[2]: 'tls_certificates' is a required property",
        ),
        (
            lambda d: d["members"][2]["partner"].update(protocol="as4"),
            "schema: members[2].partner.protocol: 'as4' is not one of",
        ),
        (
            lambda d: d["members"][2]["partner"].update(url="http://ss.example.ee"),
            "schema: members[2].partner.url: 'http://ss.example.ee' does not match",
        ),
        (
            lambda d: d["members"][2]["partner"].pop("url"),
            "schema: members[2].partner: 'url' is a required property",
        ),
        (
            lambda d: d["members"][0].pop("signing_certificates"),
            "schema: members[0]: 'signing_certificates' is a required property",
        ),
        (
            lambda d: d["members"][0].pop("gateway_url"),
            "schema: members[0]: 'gateway_url' is a required property",
        ),
        (
            lambda d: d["members"][4]["services"][0].update(address="relative/path"),
            "schema: members[4].services[0].address: 'relative/path' does not match",
        ),
    ],
)
def test_schema_keeps_gateways_and_partners_apart(fed, partners, change, expected):
    with pytest.raises(DirectoryError) as info:
        Directory.from_json(_change(fed, partners, change))
    assert info.value.message.startswith(expected), info.value.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["members"][2]["services"][0].update(address="/x"),
            "members[2].services[0].address: only a service of a native partner has an address",
        ),
        (
            lambda d: d["members"][0]["services"][0].update(address="/x"),
            "members[0].services[0].address: only a service of a native partner",
        ),
        (
            lambda d: d["members"][3]["services"][0].update(version="v1"),
            "members[3].services[0].version: only a SOAP service has a serviceVersion",
        ),
        (
            lambda d: d["members"][4].update(tls_certificates=d["members"][0]["tls_certificates"]),
            "members[4].tls_certificates: ",
        ),
    ],
)
def test_checks_beyond_the_schema(fed, partners, change, expected):
    with pytest.raises(DirectoryError) as info:
        Directory.from_json(_change(fed, partners, change))
    assert info.value.message.startswith(expected), info.value.message


def test_partners_behind_one_security_server_share_its_certificate(fed, partners):
    directory = Directory.from_json(with_partners(fed, partners))
    fp = fingerprint(partners.ss.cert)
    # Never a gateway, whoever asks: only the partner index knows it.
    assert directory.member_by_tls_fingerprint(fp) is None
    assert [str(m.id) for m in directory.partners_by_tls_fingerprint(fp)] == [RIK, RR]
    gateway_fp = fingerprint(fed.de_tls.cert)
    assert directory.partners_by_tls_fingerprint(gateway_fp) == ()
    assert directory.member_by_tls_fingerprint(gateway_fp) is directory.members[0]


def test_a_partner_certificate_is_refused_on_the_peer_port(fed, partners):
    directory = Directory.from_json(with_partners(fed, partners))
    der = partners.ss.cert.public_bytes(Encoding.DER)
    with pytest.raises(CertValidationError, match=f"belongs to {RIK}, {RR}, a partner without xgw"):
        PeerIdentifier().identify(directory, der)
    gateway = PeerIdentifier().identify(directory, fed.de_tls.cert.public_bytes(Encoding.DER))
    assert str(gateway.id) == DE


def test_pinned_contexts_for_partners_and_gateways(fed, partners, tmp_path: Path):
    directory = Directory.from_json(with_partners(fed, partners))
    cert, key = fed.de_tls.write(tmp_path / "de-tls")
    pinned = PinnedContexts(cert, key)
    partner = pinned.context(directory, directory.members[2])
    gateway = pinned.context(directory, directory.members[1])
    assert partner.minimum_version == ssl.TLSVersion.TLSv1_2  # security servers, MAGDA
    assert gateway.minimum_version == ssl.TLSVersion.TLSv1_3  # the signed hop
    assert partner.verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN
    assert partner.cert_store_stats()["x509"] == 1  # the listed certificate, nothing else
    # Two partners behind one security server share one context (and its connections).
    assert pinned.context(directory, directory.members[3]) is partner


def test_a_partner_without_a_valid_certificate_is_not_called(fed, partners, tmp_path: Path):
    doc = with_partners(fed, partners)
    doc["revoked"] = [{"serial": format(partners.ss.cert.serial_number, "x")}]
    directory = Directory.from_json(doc)
    cert, key = fed.de_tls.write(tmp_path / "de-tls")
    with pytest.raises(CertValidationError, match=f"{RIK} has no valid TLS certificate"):
        PinnedContexts(cert, key).context(directory, directory.members[2])


# ---------------------------------------------------------------------------- the CLI


def test_the_cli_builds_partner_members_from_a_spec(tmp_path: Path, capsys, partners):
    ca = CertificateAuthority.create("CLI CA")
    ca.write(tmp_path / "ca")
    ca.issue(DE, usage=Usage.TLS, hosts=["127.0.0.1"]).write(tmp_path / "de-tls")
    ca.issue(DE, usage=Usage.SIGNING).write(tmp_path / "de-sign")
    partners.ss.write(tmp_path / "ss")  # from the partners' own CA: pinned, not chained
    spec = {
        "instance": "XGW-TEST",
        "cas": ["ca.pem"],
        "members": [
            {
                "id": DE,
                "name": "Stadt Musterstadt",
                "gateway_url": "https://127.0.0.1:8443",
                "tls_certificates": ["de-tls.pem"],
                "signing_certificates": ["de-sign.pem"],
            },
            {
                "id": RIK,
                "name": "RIK",
                "partner": {"protocol": "x-road", "url": "https://ss1.ee-dev.example"},
                "tls_certificates": ["ss.pem"],
                "subsystems": [{"code": "arireg", "name": "Äriregister"}],
                "services": [
                    {
                        "subsystem": "arireg",
                        "code": "detailandmed_v2",
                        "type": "SOAP",
                        "version": "v1",
                        "format": "ee.ariregister",
                    }
                ],
            },
        ],
    }
    doc = build_directory(copy.deepcopy(spec), tmp_path, valid_hours=1, sequence=1)
    assert "signing_certificates" not in doc["members"][1]
    (tmp_path / "directory.json").write_bytes(__import__("orjson").dumps(doc))
    assert show(tmp_path / "directory.json", None, as_json=False) == 0
    out = capsys.readouterr().out
    assert f"{RIK}  RIK  partner without xgw, x-road at https://ss1.ee-dev.example" in out
    assert "format ee.ariregister  version v1" in out


@pytest.mark.parametrize("address", ["/../admin", "//other", "/a/./b", "/a/..", "/%2e%2e/admin"])
def test_a_partner_service_address_stays_below_the_partners_url(address: str) -> None:
    rule = directory_schema()["$defs"]["service"]["properties"]["address"]
    assert not Draft202012Validator(rule).is_valid(address)
    assert Draft202012Validator(rule).is_valid("/GeefOnderneming-02.00/soap/WebService")
