"""The one module that touches ``cryptography.hazmat``: keys, certificates, digests.

Usage::

    key = generate_key()                      # EC P-256
    write_private_key(path, key)              # mode 0600
    cert = load_certificate(path)
    fingerprint(cert)                          # hex SHA-256 of the DER
    kid(cert)                                  # base64url SHA-256 of the DER (JWS "kid")

Everything else (signing recipes, trust policies, the PKI helpers) builds on these.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from gateway.errors import CertValidationError, ConfigError

_SHA256 = hashes.SHA256()
_DER = serialization.Encoding.DER
_SPKI = serialization.PublicFormat.SubjectPublicKeyInfo

__all__ = [
    "PrivateKey",
    "PublicKey",
    "b64url",
    "b64url_decode",
    "certificate_from_der",
    "certificate_public_key",
    "certificate_to_pem",
    "check_key_pair",
    "fingerprint",
    "generate_key",
    "issued_by",
    "jws_algorithm",
    "kid",
    "load_certificate",
    "load_certificates",
    "load_private_key",
    "now_utc",
    "read_passphrase",
    "sha256_b64url",
    "validity",
    "write_certificate",
    "write_private_key",
]

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256_b64url(data: bytes) -> str:
    return b64url(hashlib.sha256(data).digest())


def generate_key(kind: str = "ec-p256") -> PrivateKey:
    """A new private key: ``ec-p256`` (default), ``rsa-3072`` or ``ed25519``."""
    if kind == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key kind {kind!r}")


def jws_algorithm(key: PrivateKey | PublicKey) -> str:
    """The JWS algorithm a key signs with: ES256, RS256 or EdDSA."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RS256"
    return "EdDSA"


def write_private_key(path: Path, key: PrivateKey, passphrase: bytes | None = None) -> None:
    """Write a PKCS#8 PEM key readable by its owner only (created 0600, never widened)."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)


def load_private_key(
    path: Path, passphrase: bytes | None = None, *, key_name: str = "key"
) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), passphrase)
    except FileNotFoundError as exc:
        raise ConfigError(key_name, f"file {path} does not exist") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError(key_name, f"{path} is not a readable PEM private key ({exc})") from exc
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ConfigError(key_name, f"{path}: unsupported key type {type(key).__name__}")
    return key


def read_passphrase(path: Path, *, key_name: str) -> bytes:
    """A key's passphrase: the file's bytes without the line end an editor adds."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(key_name, f"file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(key_name, f"cannot read {path}: {exc.strerror or exc}") from None
    passphrase = data.removesuffix(b"\n").removesuffix(b"\r")
    if not passphrase:
        raise ConfigError(key_name, f"{path} is empty; a passphrase needs at least one character")
    return passphrase


def write_certificate(path: Path, cert: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(certificate_to_pem(cert).encode("ascii"))


def certificate_to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_from_der(der: bytes) -> x509.Certificate:
    try:
        return _well_formed(x509.load_der_x509_certificate(der))
    except (ValueError, CryptographyDeprecationWarning) as exc:
        raise CertValidationError(f"unreadable certificate: {exc}") from exc


def load_certificates(pem: bytes | str) -> list[x509.Certificate]:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        return [_well_formed(cert) for cert in x509.load_pem_x509_certificates(data)]
    except (ValueError, CryptographyDeprecationWarning) as exc:
        raise CertValidationError(f"unreadable PEM certificate: {exc}") from exc


def _well_formed(cert: x509.Certificate) -> x509.Certificate:
    """Refuse what cryptography still parses with only a warning: a serial number that is
    zero or negative, which RFC 5280 forbids. A certificate from a peer, a directory or a
    bundle is well-formed or unreadable. (Where warnings are errors, as in the tests, the
    warning itself is the refusal; the callers catch it too.)"""
    if cert.serial_number <= 0:
        raise ValueError(f"serial number {cert.serial_number} is not positive (RFC 5280)")
    return cert


def load_certificate(path: Path, *, key_name: str = "certificate") -> x509.Certificate:
    try:
        certs = load_certificates(path.read_bytes())
    except FileNotFoundError as exc:
        raise ConfigError(key_name, f"file {path} does not exist") from exc
    except CertValidationError as exc:
        raise ConfigError(key_name, f"{path}: {exc}") from exc
    return certs[0]


def check_key_pair(cert: x509.Certificate, key: PrivateKey, key_name: str) -> None:
    """ConfigError unless ``key`` is the private half of ``cert``'s public key."""
    ours = key.public_key().public_bytes(_DER, _SPKI)
    theirs = cert.public_key().public_bytes(_DER, _SPKI)
    if ours != theirs:
        raise ConfigError(key_name, "does not belong to the configured certificate")


def issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """Whether ``ca``'s key signed ``cert`` (and its issuer name is ``ca``'s subject)."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_public_key(cert: x509.Certificate) -> PublicKey:
    """The certificate's key, if it is of a kind xgw verifies with (EC, RSA, Ed25519)."""
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise CertValidationError(
            f"certificate {cert.subject.rfc4514_string()}: unsupported "
            f"key type {type(key).__name__}"
        )
    return key


def fingerprint(cert: x509.Certificate) -> str:
    """Hex SHA-256 of the certificate's DER: how the directory names certificates."""
    return cert.fingerprint(_SHA256).hex()


def kid(cert: x509.Certificate) -> str:
    """base64url SHA-256 of the DER: the JWS ``kid`` of a signing certificate."""
    return b64url(cert.fingerprint(_SHA256))


def validity(cert: x509.Certificate) -> tuple[datetime, datetime]:
    return cert.not_valid_before_utc, cert.not_valid_after_utc


def now_utc() -> datetime:
    return datetime.now(UTC)
