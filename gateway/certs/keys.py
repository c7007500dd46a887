"""Key types for ``xgw certs``: what a key is, whether xgw accepts it.

Usage::

    key_type(cert.public_key())              # "ec-p256", "rsa-3072", "ed25519", ...
    check_key_type(csr.public_key(), "the CSR")   # AdminError for RSA 1024, DSA, ...
    public_key_sha256(cert.public_key())     # hex SHA-256 of the SubjectPublicKeyInfo
    key = new_key("rsa-3072")

New keys are EC P-256 by default; RSA 3072 and Ed25519 where a partner needs them
(``NEW_KEY_TYPES``, made by gateway._crypto.generate_key). Certificates from elsewhere
may also hold EC P-384 or RSA keys of 2048 bits and more.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

from gateway._crypto import PrivateKey, PublicKey, generate_key
from gateway.errors import AdminError

__all__ = [
    "DEFAULT_KEY_TYPE",
    "NEW_KEY_TYPES",
    "check_key_type",
    "check_new_key_type",
    "csr_from_pem",
    "csr_to_pem",
    "key_type",
    "new_key",
    "public_key_sha256",
]

DEFAULT_KEY_TYPE = "ec-p256"
NEW_KEY_TYPES = ("ec-p256", "rsa-3072", "ed25519")
MIN_RSA_BITS = 2048
_CURVES = {"secp256r1": "ec-p256", "secp384r1": "ec-p384", "secp521r1": "ec-p521"}
_ACCEPTED_CURVES = ("ec-p256", "ec-p384")

AnyPublicKey = (
    ec.EllipticCurvePublicKey
    | rsa.RSAPublicKey
    | ed25519.Ed25519PublicKey
    | ed448.Ed448PublicKey
    | dsa.DSAPublicKey
    | x25519.X25519PublicKey
    | x448.X448PublicKey
)


def key_type(public_key: object) -> str:
    """A short name for the key: ``ec-p256``, ``rsa-2048``, ``ed25519``, ``dsa-2048`` ..."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _CURVES.get(public_key.curve.name, f"ec-{public_key.curve.name}")
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"rsa-{public_key.key_size}"
    if isinstance(public_key, dsa.DSAPublicKey):
        return f"dsa-{public_key.key_size}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "ed448"
    return type(public_key).__name__


def check_key_type(public_key: object, what: str) -> PublicKey:
    """The key, if it is EC P-256/P-384, RSA of 2048 bits or more, or Ed25519; else AdminError."""
    name = key_type(public_key)
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size >= MIN_RSA_BITS:
            return public_key
        problem = f"RSA keys need at least {MIN_RSA_BITS} bits"
    elif isinstance(public_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) and (
        name in _ACCEPTED_CURVES or name == "ed25519"
    ):
        return public_key
    else:
        problem = "xgw accepts EC P-256 or P-384, RSA of 2048 bits or more, and Ed25519"
    raise AdminError(f"{what}: the key type check failed: {name} ({problem})")


def new_key(kind: str = DEFAULT_KEY_TYPE) -> PrivateKey:
    """A new private key of one of ``NEW_KEY_TYPES``; AdminError for any other name."""
    check_new_key_type(kind)
    return generate_key(kind)


def check_new_key_type(kind: str) -> None:
    if kind not in NEW_KEY_TYPES:
        raise AdminError(f"unknown key type {kind!r}; new keys are {', '.join(NEW_KEY_TYPES)}")


def public_key_sha256(public_key: object) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo: one value for a key, CSR and certificate."""
    if not isinstance(public_key, AnyPublicKey):
        raise AdminError(f"unsupported public key {type(public_key).__name__}")
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def csr_to_pem(csr: x509.CertificateSigningRequest) -> str:
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def csr_from_pem(pem: bytes, what: str) -> x509.CertificateSigningRequest:
    """A PEM certificate signing request; AdminError naming ``what`` if it is none."""
    try:
        return x509.load_pem_x509_csr(pem)
    except ValueError:
        raise AdminError(f"{what} is not a PEM certificate signing request") from None
