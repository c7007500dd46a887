"""Signing and verifying the directory, and the lookups gateways make on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import orjson
import pytest

import gateway.directory as directory_module
from gateway._crypto import b64url, b64url_decode, fingerprint, generate_key, kid
from gateway.directory import (
    CLOCK_SKEW,
    JWS_TYPE,
    Directory,
    Endpoint,
    format_timestamp,
    inspect_token,
    sign_directory,
    verify_directory,
)
from gateway.errors import CertValidationError, ConfigError, DirectoryError
from gateway.identifiers import ClientId, ServiceId
from gateway.pki import CertificateAuthority, Usage

DE = "DE/GOV/05974028"
EE = "EE/GOV/70000310"
GEWERBEANZEIGE = f"{DE}/gewerbeamt/gewerbeanzeige"
AUSKUNFT = f"{DE}/buergeramt/auskunft"
DETAILANDMED = f"{EE}/ariregister/detailandmed_v2"
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _now_is_when_the_test_runs() -> None:
    """NOW as each test starts: the shared certificates are only backdated by minutes, and a
    long suite may run this module many minutes after it was imported."""
    global NOW
    NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def directory(fed: Any) -> Directory:
    return verify_directory(fed.token(fed.doc(sequence=7)), [fed.operator.cert])


def test_module_exports_exist():
    assert len(set(directory_module.__all__)) == len(directory_module.__all__)
    for name in directory_module.__all__:
        assert hasattr(directory_module, name)


# -- sign / verify ----------------------------------------------------------


def test_round_trip(fed):
    doc = fed.doc(sequence=7)
    token = fed.token(doc)
    directory = verify_directory(token, [fed.ca.cert, fed.operator.cert])
    assert directory.sequence == 7
    assert directory.instance == "XGW-TEST"
    assert directory.raw == doc
    assert directory.token == token
    assert directory.issued < datetime.now(UTC) + timedelta(minutes=1) < directory.expires


def test_header_and_payload(fed):
    doc = fed.doc()
    header_b64, payload_b64, _ = fed.token(doc).split(".")
    header = orjson.loads(b64url_decode(header_b64))
    assert header == {"alg": "ES256", "kid": kid(fed.operator.cert), "typ": JWS_TYPE}
    assert b64url_decode(payload_b64) == orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


@pytest.mark.parametrize(("kind", "alg"), [("rsa-3072", "RS256"), ("ed25519", "EdDSA")])
def test_other_key_types(fed, kind, alg):
    signer = fed.ca.issue("XGW-TEST/operator", usage=Usage.SIGNING, key_kind=kind)
    token = fed.token(signer=signer)
    assert inspect_token(token)[0]["alg"] == alg
    assert verify_directory(token, [signer.cert]).sequence == 1


def test_sign_refuses_a_key_of_another_certificate(fed):
    with pytest.raises(ConfigError, match="does not belong to the certificate"):
        sign_directory(fed.doc(), fed.de_sign.key, fed.operator.cert)


def test_sign_refuses_an_invalid_document(fed):
    doc = fed.doc()
    doc["sequence"] = "one"
    with pytest.raises(DirectoryError, match=r"^schema: sequence: "):
        sign_directory(doc, fed.operator.key, fed.operator.cert)


def test_wrong_key_is_an_unknown_kid(fed):
    token = fed.token(signer=fed.de_sign)
    with pytest.raises(DirectoryError) as info:
        verify_directory(token, [fed.operator.cert])
    assert "signed by an unknown key (kid " + kid(fed.de_sign.cert) in info.value.message
    assert kid(fed.operator.cert) in info.value.message


def test_forged_kid_is_a_bad_signature(fed):
    forged = jwt.api_jws.encode(
        orjson.dumps(fed.doc(), option=orjson.OPT_SORT_KEYS),
        fed.de_sign.key,
        algorithm="ES256",
        headers={"kid": kid(fed.operator.cert), "typ": JWS_TYPE},
    )
    with pytest.raises(DirectoryError, match=r"^bad signature \(kid "):
        verify_directory(forged, [fed.operator.cert])


def test_tampered_payload_is_a_bad_signature(fed):
    doc = fed.doc()
    header, _, signature = fed.token(doc).split(".")
    doc["access"].append({"client": f"{EE}/ariregister", "service": AUSKUNFT})
    payload = b64url(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS))
    with pytest.raises(DirectoryError, match=r"^bad signature"):
        verify_directory(f"{header}.{payload}.{signature}", [fed.operator.cert])


def test_expired(fed):
    doc = fed.doc(issued=NOW - timedelta(days=2), valid=timedelta(days=1))
    with pytest.raises(DirectoryError) as info:
        verify_directory(fed.token(doc), [fed.operator.cert])
    assert info.value.message == f"directory sequence 1 expired at {doc['expires']}"


def test_expired_relative_to_the_given_time(fed):
    token = fed.token()
    with pytest.raises(DirectoryError, match="expired at"):
        verify_directory(token, [fed.operator.cert], now=NOW + timedelta(days=2))


def test_not_yet_valid(fed):
    doc = fed.doc(issued=NOW + timedelta(hours=1))
    with pytest.raises(DirectoryError) as info:
        verify_directory(fed.token(doc), [fed.operator.cert])
    assert info.value.message == (
        f"directory sequence 1 is not valid before {doc['issued']} (check the clock)"
    )


def test_small_clock_skew_is_tolerated(fed):
    doc = fed.doc(issued=NOW + CLOCK_SKEW - timedelta(minutes=1))
    assert verify_directory(fed.token(doc), [fed.operator.cert], now=NOW).sequence == 1


def test_schema_failure_behind_a_valid_signature(fed):
    doc = fed.doc()
    doc["members"][0]["gateway_url"] = "ftp://x"
    token = jwt.api_jws.encode(
        orjson.dumps(doc),
        fed.operator.key,
        algorithm="ES256",
        headers={"kid": kid(fed.operator.cert), "typ": JWS_TYPE},
    )
    with pytest.raises(DirectoryError, match=r"^schema: members\[0\]\.gateway_url: 'ftp://x'"):
        verify_directory(token, [fed.operator.cert])


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("", "malformed directory JWS"),
        ("abc", "malformed directory JWS"),
        ("a.b.c", "malformed directory JWS"),
    ],
)
def test_malformed_tokens(fed, token, expected):
    with pytest.raises(DirectoryError, match=expected):
        verify_directory(token, [fed.operator.cert])


def test_wrong_typ_is_refused(fed):
    token = jwt.api_jws.encode(
        orjson.dumps(fed.doc()),
        fed.operator.key,
        algorithm="ES256",
        headers={"kid": kid(fed.operator.cert)},
    )
    with pytest.raises(DirectoryError, match="not a directory JWS: typ 'JWT'"):
        verify_directory(token, [fed.operator.cert])


def test_alg_must_fit_the_anchor_key(fed):
    token = jwt.api_jws.encode(
        orjson.dumps(fed.doc()),
        "secret-long-enough-for-hmac-sha256!",
        algorithm="HS256",
        headers={"kid": kid(fed.operator.cert), "typ": JWS_TYPE},
    )
    with pytest.raises(DirectoryError, match="alg 'HS256' does not fit the trust anchor"):
        verify_directory(token, [fed.operator.cert])


def test_payload_must_be_a_json_object(fed):
    token = jwt.api_jws.encode(
        b"[1, 2]",
        fed.operator.key,
        algorithm="ES256",
        headers={"kid": kid(fed.operator.cert), "typ": JWS_TYPE},
    )
    with pytest.raises(DirectoryError, match="not a JSON object"):
        verify_directory(token, [fed.operator.cert])


def test_expired_trust_anchor_is_refused(fed):
    old = fed.ca.issue(
        "XGW-TEST/operator", usage=Usage.SIGNING, days=1, not_before=NOW - timedelta(days=3)
    )
    # Signed by hand: a directory signed with a since-expired operator key.
    token = jwt.api_jws.encode(
        orjson.dumps(fed.doc()),
        old.key,
        algorithm="ES256",
        headers={"kid": kid(old.cert), "typ": JWS_TYPE},
    )
    with pytest.raises(DirectoryError, match=r"^trust anchor .* is valid only from"):
        verify_directory(token, [old.cert])


# -- lookups ----------------------------------------------------------------


def test_member_by_member_or_subsystem(directory):
    member = directory.member(ClientId.parse(DE))
    assert member is not None and member.name == "Stadt Musterstadt"
    assert directory.member(ClientId.parse(f"{DE}/gewerbeamt")) is member
    assert member.gateway_url == "https://127.0.0.1:8443"
    assert member.subsystems == (("gewerbeamt", "Gewerbeamt"), ("buergeramt", "Bürgeramt"))
    assert directory.member(ClientId.parse("DE/GOV/1")) is None


def test_service(directory):
    service = directory.service(ServiceId.parse(GEWERBEANZEIGE))
    assert service is not None
    assert (service.type, service.format) == ("REST", "xoev.xgewerbeanzeige")
    assert service.endpoints == (Endpoint("POST", "/meldungen"), Endpoint("GET", "/meldungen/*"))
    assert service.openapi == "https://example.org/gewerbeanzeige.yaml"
    soap = directory.service(ServiceId.parse(AUSKUNFT))
    assert soap is not None and (soap.type, soap.format, soap.openapi) == ("SOAP", "opaque", None)
    assert directory.service(ServiceId.parse(f"{DE}/gewerbeamt/nope")) is None


def test_services_of(directory):
    codes = [s.id.code for s in directory.services_of(ClientId.parse(f"{DE}/gewerbeamt"))]
    assert codes == ["gewerbeanzeige", "offen"]
    assert directory.services_of(ClientId.parse(DE)) == ()
    assert [str(s.id) for s in directory.services_of(ClientId.parse(f"{EE}/ariregister"))] == [
        DETAILANDMED
    ]


def test_clients(directory):
    assert [(str(c), n) for c, n in directory.clients()] == [
        (DE, "Stadt Musterstadt"),
        (f"{DE}/gewerbeamt", "Gewerbeamt"),
        (f"{DE}/buergeramt", "Bürgeramt"),
        (EE, "Registrite ja Infosüsteemide Keskus"),
        (f"{EE}/ariregister", "Äriregister"),
        (f"{EE}/rahvastikuregister", "Rahvastikuregister"),
    ]


def test_tls_fingerprints_cover_a_rotation(fed, directory):
    member = directory.member(ClientId.parse(DE))
    assert member is not None
    assert member.tls_fingerprints == {
        fingerprint(fed.de_tls.cert),
        fingerprint(fed.de_tls_next.cert),
    }
    assert member.tls_certificates == (fed.de_tls.cert, fed.de_tls_next.cert)
    assert directory.member_by_tls_fingerprint(fingerprint(fed.de_tls_next.cert)) is member
    colons = ":".join(f"{b:02X}" for b in bytes.fromhex(fingerprint(fed.de_tls.cert)))
    assert directory.member_by_tls_fingerprint(colons) is member
    assert directory.member_by_tls_fingerprint(fingerprint(fed.de_sign.cert)) is None


def test_signing_key_by_kid(fed, directory):
    found = directory.signing_key(kid(fed.ee_sign.cert))
    assert found is not None
    member, cert = found
    assert str(member.id) == EE and cert == fed.ee_sign.cert
    assert directory.signing_key(kid(fed.ee_tls.cert)) is None


def test_ca_certificates(fed, directory):
    assert directory.ca_certificates == (fed.ca.cert,)


# -- certificates -------------------------------------------------------------


@pytest.fixture(scope="module")
def revoked_directory(fed: Any) -> Directory:
    doc = fed.doc()
    doc["revoked"] = [
        {"serial": format(fed.ee_tls.cert.serial_number, "X"), "reason": "keyCompromise"}
    ]
    return Directory.from_json(doc)


def test_is_revoked(fed, revoked_directory):
    assert revoked_directory.is_revoked(fed.ee_tls.cert)
    assert not revoked_directory.is_revoked(fed.de_tls.cert)


def test_check_certificate_valid(fed, revoked_directory):
    revoked_directory.check_certificate(fed.de_tls.cert, NOW)


def test_check_certificate_revoked(fed, revoked_directory):
    with pytest.raises(CertValidationError) as info:
        revoked_directory.check_certificate(fed.ee_tls.cert, NOW)
    assert info.value.code == "CertValidation"
    assert info.value.message.endswith("is revoked (keyCompromise)")
    assert format(fed.ee_tls.cert.serial_number, "x") in info.value.message


def test_check_certificate_expired(fed, directory):
    old = fed.ca.issue(DE, usage=Usage.TLS, days=1, not_before=NOW - timedelta(days=2))
    with pytest.raises(CertValidationError) as info:
        directory.check_certificate(old.cert, NOW)
    assert info.value.message.endswith(
        f"expired at {format_timestamp(old.cert.not_valid_after_utc)}"
    )


def test_check_certificate_not_yet_valid(fed, directory):
    future = fed.ca.issue(DE, usage=Usage.TLS, not_before=NOW + timedelta(days=1))
    with pytest.raises(CertValidationError, match="is not valid before"):
        directory.check_certificate(future.cert, NOW)


def test_revocation_serial_is_case_insensitive_hex(fed):
    other_ca = CertificateAuthority.create("Other", key_kind="ec-p256")
    cert = other_ca.issue(DE, usage=Usage.TLS).cert
    doc = fed.doc()
    doc["revoked"] = [{"serial": format(cert.serial_number, "x")}]
    directory = Directory.from_json(doc)
    with pytest.raises(CertValidationError, match=r"revoked \(unspecified\)"):
        directory.check_certificate(cert, NOW)


def test_repr_names_sequence_and_expiry(directory):
    assert repr(directory).startswith("<Directory XGW-TEST sequence 7 expires ")


def test_generated_key_cannot_sign_for_operator(fed):
    with pytest.raises(ConfigError):
        sign_directory(fed.doc(), generate_key(), fed.operator.cert)
