"""The signed hop's JWS: detached, unencoded payload; any change breaks it."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidSignatureError
from gateway.pki import CertificateAuthority, Usage
from gateway.signing import (
    HopSigner,
    body_digest,
    request_signing_input,
    response_signing_input,
    unverified_header,
    verify,
)

HEADERS = [("X-Road-Client", "DE/GOV/1/a"), ("x-road-id", "id-1"), ("Accept", "*/*")]


@pytest.fixture(scope="module")
def signer() -> HopSigner:
    ca = CertificateAuthority.create("signing test CA")
    issued = ca.issue("DE/GOV/1", usage=Usage.SIGNING)
    return HopSigner(issued.key, issued.cert)


def payload(method="POST", path="/r1/EE/GOV/2/s/svc/x?a=1", headers=HEADERS, body=b"{}"):
    return request_signing_input(method, path, headers, body_digest(body))


def test_signature_verifies_and_header_carries_kid_nonce_iat(signer):
    token = signer.sign(payload())
    header = unverified_header(token)
    assert header["kid"] == signer.kid and header["alg"] == "ES256"
    assert header["b64"] is False and header["crit"] == ["b64"]
    assert len(header["nonce"]) == 22  # 128 bits, base64url
    assert token.split(".")[1] == ""  # detached payload
    verify(token, payload(), signer.cert)


def test_nonces_are_fresh(signer):
    nonces = {unverified_header(signer.sign(payload()))["nonce"] for _ in range(50)}
    assert len(nonces) == 50


@pytest.mark.parametrize(
    "changed",
    [
        payload(method="PUT"),
        payload(path="/r1/EE/GOV/2/s/svc/x?a=2"),
        payload(headers=[("X-Road-Client", "DE/GOV/1/b"), ("x-road-id", "id-1")]),
        payload(headers=[*HEADERS, ("X-Road-UserId", "EE123")]),
        payload(body=b"{ }"),
    ],
)
def test_any_change_breaks_the_signature(signer, changed):
    token = signer.sign(payload())
    with pytest.raises(InvalidSignatureError):
        verify(token, changed, signer.cert)


def test_non_xroad_headers_and_header_order_are_not_signed(signer):
    token = signer.sign(payload())
    reordered = [HEADERS[1], ("Accept", "text/plain"), HEADERS[0]]
    verify(token, payload(headers=reordered), signer.cert)


def test_response_signing_input_covers_status_and_request_hash():
    base = response_signing_input(200, [("X-Road-Request-Hash", "h1")], body_digest(b"x"))
    assert base != response_signing_input(500, [("X-Road-Request-Hash", "h1")], body_digest(b"x"))
    assert base != response_signing_input(200, [("X-Road-Request-Hash", "h2")], body_digest(b"x"))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0..sig"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidSignatureError):
        unverified_header(token)


def test_wrong_key_is_refused(signer):
    other = CertificateAuthority.create("x").issue("DE/GOV/1", usage=Usage.SIGNING)
    with pytest.raises(InvalidSignatureError):
        verify(signer.sign(payload()), payload(), other.cert)
