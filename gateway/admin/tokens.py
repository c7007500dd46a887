"""Admin tokens: JWTs (HS256, pyjwt) with a role, issued by ``xgw admin token``.

Usage::

    key = token_key(settings)                        # DATA_DIR/admin-token.key, made once
    token = issue_token(key, settings.member.id, subject="alice", role=Role.AUDITOR, ttl=3600)
    actor = verify_token(key, token, issuer=settings.member.id, max_ttl=7 * 86400)
    actor.role                                      # "auditor"

A token names its issuer (the member), audience ``xgw-admin``, subject (who acts,
written into every admin audit record), role, issue and expiry time and a unique
``jti``. Verification accepts HS256 only, requires every one of those claims and
refuses a token that lives longer than ``admin.max_token_ttl``: a stolen token is
useful for a bounded time. The key is a file of 32 random bytes, mode 0600, like an
audit body key; nodes of one member share it.
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt

from gateway.audit.admin_events import Actor
from gateway.audit.body_keys import create_body_key, load_body_key
from gateway.errors import AdminError, UnauthorizedError
from gateway.settings import Settings

__all__ = [
    "AUDIENCE",
    "LEEWAY",
    "TOKEN_KEY_FILE",
    "Role",
    "TokenActor",
    "check_subject",
    "issue_token",
    "token_key",
    "token_key_path",
    "verify_token",
]

AUDIENCE = "xgw-admin"
TOKEN_KEY_FILE = "admin-token.key"  # noqa: S105 (a file name, not a secret)
_ALGORITHM = "HS256"
LEEWAY = 5.0  # seconds of clock difference between the CLI's host and a node's
_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti", "role"]


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything
    SECURITY_OFFICER = "security-officer"  # certificates and the directory
    AUDITOR = "auditor"  # reads the audit log, proofs and evidence bundles


@dataclass(frozen=True)
class TokenActor(Actor):
    """An actor with the token's id, so its first use can be recorded as a login."""

    token_id: str = ""
    issued: float = 0.0
    expires: float = 0.0


def token_key_path(settings: Settings) -> Path:
    return settings.admin.token_key or settings.data_dir / TOKEN_KEY_FILE


def token_key(settings: Settings, *, create: bool = False) -> bytes:
    """The secret that signs admin tokens; made (0600) on first use when ``create``."""
    path = token_key_path(settings)
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return create_body_key(path, key_name="admin.token_key").secret
    return load_body_key(path, key_name="admin.token_key").secret


def check_subject(subject: str) -> None:
    """AdminError unless ``subject`` is one a token can name (issued or revoked)."""
    if not subject or len(subject) > 128 or any(c in subject for c in "\r\n:"):
        raise AdminError("the subject names who acts: 1-128 characters, no ':' or line break")


def issue_token(
    key: bytes, issuer: str, *, subject: str, role: Role, ttl: float, now: float | None = None
) -> str:
    check_subject(subject)
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": subject,
        "role": role.value,
        "iat": issued,
        "exp": issued + max(1, round(ttl)),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm=_ALGORITHM)


def verify_token(
    key: bytes, token: str, *, issuer: str, max_ttl: float, now: float | None = None
) -> TokenActor:
    """The token's actor; UnauthorizedError saying why when it is not a valid admin token."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            leeway=LEEWAY,
            options={"require": _CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise UnauthorizedError("the admin token has expired") from None
    except jwt.InvalidSignatureError:
        raise UnauthorizedError("the admin token's signature is not this member's") from None
    except jwt.InvalidTokenError as exc:
        raise UnauthorizedError(f"not a valid admin token: {exc}") from None
    issued, expires = claims["iat"], claims["exp"]
    if not all(type(t) in (int, float) for t in (issued, expires)):
        raise UnauthorizedError("the admin token's iat and exp must be numbers")
    if (now if now is not None else time.time()) + LEEWAY < issued:
        raise UnauthorizedError("the admin token was issued in the future")
    if expires - issued > max_ttl:
        raise UnauthorizedError(
            f"the admin token lives longer than admin.max_token_ttl ({max_ttl:.0f} s)"
        )
    try:
        role = Role(claims["role"])
    except ValueError:
        raise UnauthorizedError(f"unknown role {claims['role']!r} in the admin token") from None
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise UnauthorizedError("the admin token names no subject")
    return TokenActor(
        subject,
        role=role.value,
        via="api",
        token_id=str(claims["jti"]),
        issued=issued,
        expires=expires,
    )
