"""Signatures on the signed hop between two gateways (docs/protocol.md).

Usage::

    signer = HopSigner(key, cert)
    payload = request_signing_input("POST", "/r1/EE/GOV/1/sub/svc/x", xroad_headers, body)
    token = signer.sign(payload)                       # -> X-Xgw-Signature header
    header = unverified_header(token)                  # kid, iat, nonce: look up the key
    verify(token, payload, cert.public_key())          # raises InvalidSignatureError

A detached compact JWS (RFC 7515) with an unencoded payload (RFC 7797:
``b64: false``, ``crit: ["b64"]``): the payload is never sent, the receiver
rebuilds it from what arrived, so any change to the method, the path, an
``X-Road-*`` header or a body byte breaks the signature, whoever terminated
TLS on the way. The protected header carries ``kid`` (base64url SHA-256 of the
signing certificate), ``iat`` and a fresh 128-bit ``nonce``.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from collections.abc import Iterable
from typing import Any

import jwt
import orjson
from cryptography import x509
from jwt import api_jws

from gateway._crypto import (
    PrivateKey,
    PublicKey,
    b64url,
    b64url_decode,
    certificate_public_key,
    jws_algorithm,
    kid,
)
from gateway.errors import InvalidSignatureError

__all__ = [
    "ALGORITHMS",
    "SIGNATURE_HEADER",
    "HopSigner",
    "body_digest",
    "new_nonce",
    "request_signing_input",
    "response_signing_input",
    "unverified_header",
    "verify",
]

SIGNATURE_HEADER = "X-Xgw-Signature"
ALGORITHMS = ("ES256", "RS256", "EdDSA")
_TYP = "xgw-hop+jws"
_PROTOCOL_LINE = "xgw-hop/1"


def body_digest(body: bytes) -> str:
    """``sha-256:`` + base64url SHA-256 of a body: what the audit log and signatures hold."""
    return "sha-256:" + b64url(hashlib.sha256(body).digest())


EMPTY_DIGEST = body_digest(b"")


def _signed_lines(headers: Iterable[tuple[str, str]], digest: str) -> list[str]:
    """Every X-Road header, sorted, then the body's content type and digest.

    The content type says how the body is to be read (a translated exchange is told
    by it), so it is signed; an empty body has none that matters.
    """
    lines, content_type = [], ""
    for name, value in headers:
        lower = name.lower()
        if lower.startswith("x-road-"):
            lines.append(f"{lower}:{value.strip()}")
        elif lower == "content-type":
            content_type = value.strip()
    lines.sort()
    lines.append(f"content-type:{content_type if digest != EMPTY_DIGEST else ''}")
    lines.append(digest)
    return lines


def request_signing_input(
    method: str, raw_path: str, headers: Iterable[tuple[str, str]], digest: str
) -> bytes:
    """What a request signature covers: method, raw path + query, X-Road headers, content
    type and body digest."""
    lines = [f"{_PROTOCOL_LINE} request", method.upper(), raw_path, *_signed_lines(headers, digest)]
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def response_signing_input(status: int, headers: Iterable[tuple[str, str]], digest: str) -> bytes:
    """A response signs its status, X-Road headers (with the request hash), content type and
    body digest."""
    lines = [f"{_PROTOCOL_LINE} response", str(status), *_signed_lines(headers, digest)]
    return "\n".join(lines).encode("utf-8", "surrogateescape")


class HopSigner:
    """Signs hop messages with one key; ``kid`` names its certificate."""

    def __init__(self, key: PrivateKey, cert: x509.Certificate) -> None:
        self._key = key
        self.cert = cert
        self.kid = kid(cert)
        self.algorithm = jws_algorithm(key)

    def sign(self, payload: bytes, *, nonce: str | None = None, iat: int | None = None) -> str:
        headers = {
            "kid": self.kid,
            "typ": _TYP,
            "b64": False,
            "crit": ["b64"],
            "iat": int(time.time()) if iat is None else iat,
            "nonce": nonce or new_nonce(),
        }
        return api_jws.encode(
            payload, self._key, algorithm=self.algorithm, headers=headers, is_payload_detached=True
        )


def unverified_header(token: str) -> dict[str, Any]:
    """The protected header, before verification: only to pick the key and check freshness.

    Read here (base64url and JSON) rather than by PyJWT, which would check the whole token
    strictly twice: :func:`verify` has PyJWT parse and check all of it once.
    """
    segment, dot, _ = token.partition(".")
    try:
        header = orjson.loads(b64url_decode(segment)) if dot else None
    except ValueError as exc:  # binascii.Error, orjson.JSONDecodeError, non-ASCII text
        raise InvalidSignatureError(f"malformed signature: {exc}") from exc
    if not isinstance(header, dict):
        raise InvalidSignatureError("malformed signature: no JWS protected header")
    if header.get("typ") != _TYP or header.get("b64") is not False:
        raise InvalidSignatureError("signature is not an xgw hop signature (typ/b64)")
    if header.get("alg") not in ALGORITHMS:
        raise InvalidSignatureError(f"signature algorithm {header.get('alg')!r} not accepted")
    if (
        not isinstance(header.get("kid"), str)
        or not isinstance(header.get("nonce"), str)
        or not isinstance(header.get("iat"), int)
    ):
        raise InvalidSignatureError("signature header lacks kid, nonce or iat")
    return header


@functools.lru_cache(maxsize=256)
def _public_key(cert: x509.Certificate) -> tuple[PublicKey, str]:
    """A signing certificate's key and its JWS algorithm: certificates are few and
    long-lived, so each one's key is taken out once."""
    key = certificate_public_key(cert)
    return key, jws_algorithm(key)


def new_nonce() -> str:
    """128 random bits, base64url: the ``nonce`` of one hop message."""
    return b64url(secrets.token_bytes(16))


def verify(token: str, payload: bytes, cert: x509.Certificate) -> None:
    """Check a detached signature over ``payload`` by ``cert``'s key (InvalidSignatureError)."""
    public_key, algorithm = _public_key(cert)
    try:
        api_jws.decode_complete(token, public_key, algorithms=[algorithm], detached_payload=payload)
    except jwt.PyJWTError as exc:
        raise InvalidSignatureError(
            "signature does not verify: the method, path, X-Road headers or body differ "
            f"from what was signed ({exc})"
        ) from exc
