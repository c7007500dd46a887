"""Revoked admin tokens: one token by its id, or every token of a subject issued so far.

Usage::

    path = revocations_path(settings)           # beside the token key, or admin.revoked_tokens
    entry = revoke(path, token_id=jti, max_ttl=settings.admin.max_token_ttl)
    entry = revoke(path, subject="alice", max_ttl=...)   # alice's tokens issued up to now
    check_not_revoked(path, actor)              # UnauthorizedError for a revoked token

Tokens are short-lived (``admin.max_token_ttl``), but a token that leaks, or a person who
leaves, must not keep their access until it expires, nor cost every other admin their
tokens by a new key. The list is a small JSON file beside the token key, so nodes that
share the key share the list; it is read on every admin call (admin calls are rare), and
an entry is dropped once every token it can refuse has expired. A list that cannot be
read refuses every token: the node cannot tell a revoked one from another.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gateway.admin.tokens import LEEWAY, TokenActor, token_key_path
from gateway.errors import AdminError, UnauthorizedError
from gateway.files import exclusive_lock, replace_atomically
from gateway.settings import Settings

__all__ = ["REVOCATIONS_FILE", "Revocation", "check_not_revoked", "revocations_path", "revoke"]

REVOCATIONS_FILE = "admin-revoked-tokens.json"
_LOCK_TIMEOUT = 5.0  # seconds: a writer holds the lock for one small file write

_logger = logging.getLogger("gateway.admin")


@dataclass(frozen=True)
class Revocation:
    """What one revocation refuses: ``token_id`` or ``subject`` (tokens issued up to
    ``at``), and until when it is kept (every token it refuses has expired by then)."""

    at: int
    kept_until: int
    token_id: str | None = None
    subject: str | None = None

    def as_json(self) -> dict[str, Any]:
        which = {"token_id": self.token_id} if self.token_id else {"subject": self.subject}
        return which | {"revoked_at": self.at, "kept_until": self.kept_until}


def revocations_path(settings: Settings) -> Path:
    configured = settings.admin.revoked_tokens
    return configured or token_key_path(settings).with_name(REVOCATIONS_FILE)


def check_not_revoked(path: Path, actor: TokenActor) -> None:
    """UnauthorizedError when ``actor``'s token is on the list (or the list is unreadable)."""
    try:
        listed = _read(path)
    except AdminError as exc:
        _logger.error("admin tokens refused: %s", exc.message)
        raise UnauthorizedError(
            "the node cannot read its list of revoked admin tokens; no token is accepted "
            "until an admin repairs it (the node's log names the file)"
        ) from None
    if actor.token_id in listed["tokens"]:
        raise UnauthorizedError(f"the admin token {actor.token_id} has been revoked")
    revoked_at = listed["subjects"].get(actor.subject)
    if revoked_at is not None and actor.issued <= revoked_at:
        raise UnauthorizedError(
            f"the admin tokens of {actor.subject} issued up to {_utc(revoked_at)} have been "
            "revoked; ask for a new one"
        )


def revoke(
    path: Path,
    *,
    max_ttl: float,
    token_id: str | None = None,
    subject: str | None = None,
    now: float | None = None,
) -> Revocation:
    """Add one revocation to the list at ``path`` (made 0600 when missing), dropping the
    entries no token can match any more. Exactly one of ``token_id`` and ``subject``."""
    if (token_id is None) == (subject is None):
        raise AdminError("revoke either one token (its id) or a subject's tokens, not both")
    which = token_id if token_id is not None else subject
    if not which or len(which) > 128 or any(c in which for c in "\r\n"):
        raise AdminError("a token id or subject is 1-128 characters without a line break")
    at = int(now if now is not None else time.time())
    entry = Revocation(at, _kept_until(at, max_ttl), token_id, subject)
    with exclusive_lock(
        path.with_name(path.name + ".lock"),
        timeout=_LOCK_TIMEOUT,
        busy=f"{path} is being changed by another revocation; try again",
    ):
        listed = _read(path)
        listed = {
            kind: {k: v for k, v in entries.items() if _kept_until(v, max_ttl) > at}
            for kind, entries in listed.items()
        }
        if token_id is not None:
            listed["tokens"][token_id] = at
        else:
            assert subject is not None
            listed["subjects"][subject] = at
        data = orjson.dumps(listed, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
        replace_atomically(path, lambda temporary: temporary.write_bytes(data + b"\n"))
    return entry


def _kept_until(revoked_at: int, max_ttl: float) -> int:
    # A token lives at most max_ttl and is accepted LEEWAY either side: one issued up to
    # ``revoked_at`` has expired by then.
    return revoked_at + int(max_ttl + 2 * LEEWAY) + 1


def _read(path: Path) -> dict[str, dict[str, int]]:
    """``{"tokens": {id: revoked_at}, "subjects": {subject: revoked_at}}``; empty when the
    file does not exist; AdminError when it cannot be read or is not such a list."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {"tokens": {}, "subjects": {}}
    except OSError as exc:
        raise AdminError(f"{path}: {exc.strerror}") from None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AdminError(f"{path} is not JSON: {exc}") from None
    if not isinstance(value, dict) or set(value) != {"tokens", "subjects"}:
        raise AdminError(f'{path}: expected {{"tokens": {{...}}, "subjects": {{...}}}}')
    for kind, entries in value.items():
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and type(v) is int for k, v in entries.items()
        ):
            raise AdminError(f"{path}: {kind!r} must map names to revocation times (seconds)")
    return value


def _utc(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
