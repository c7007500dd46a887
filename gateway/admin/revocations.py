"""Revoked admin tokens: one token by its id, or every token of a subject issued so far.

Usage::

    path = revocations_path(settings)           # beside the token key, or admin.revoked_tokens
    entry = revoke(path, token_id=jti, max_ttl=settings.admin.max_token_ttl)
    entry = revoke(path, subject="alice", max_ttl=...)   # alice's tokens issued up to now
    check_not_revoked(path, actor)              # UnauthorizedError for a revoked token

Tokens are short-lived (``admin.max_token_ttl``), but a token that leaks, or a person who
leaves, must not keep their access until it expires, nor cost every other admin their
tokens by a new key. The list is a small JSON file, by default beside the token key: nodes
that read the same file share the list. It is read on every admin call (admin calls are
rare). An entry is kept until every token it can refuse has expired, by the longest
``admin.max_token_ttl`` any writer had. A missing file is an empty list; a file that cannot
be read refuses every token, since the node cannot tell a revoked one from another.

A subject's tokens are refused up to ``LEEWAY`` seconds after the revocation: the issuing
host's clock may be that far ahead of the revoking one's (``verify_token`` allows it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gateway.admin.tokens import LEEWAY, TokenActor, check_subject, token_key_path
from gateway.errors import AdminError, ConfigError, UnauthorizedError
from gateway.files import exclusive_lock, replace_atomically
from gateway.settings import Settings

__all__ = [
    "REVOCATIONS_FILE",
    "Revocation",
    "check_not_revoked",
    "revocations_path",
    "revoke",
    "utc_text",
]

REVOCATIONS_FILE = "admin-revoked-tokens.json"
_VERSION = 1
_KINDS = ("tokens", "subjects")
_LOCK_TIMEOUT = 5.0  # seconds: a writer holds the lock for one small file write

_logger = logging.getLogger("gateway.admin")

# {"tokens": {jti: entry}, "subjects": {subject: entry}}, entry: revoked_at and kept_until
_Listed = dict[str, dict[str, dict[str, int]]]


@dataclass(frozen=True)
class Revocation:
    """What one revocation refuses: ``token_id``, or ``subject``'s tokens issued up to
    ``refused_until``; kept in the list until ``kept_until`` (all seconds since the epoch)."""

    revoked_at: int
    refused_until: int
    kept_until: int
    token_id: str | None = None
    subject: str | None = None

    def as_json(self) -> dict[str, Any]:
        which: dict[str, Any] = (
            {"token_id": self.token_id}
            if self.token_id
            else {"subject": self.subject, "refused_until": self.refused_until}
        )
        return which | {"revoked_at": self.revoked_at, "kept_until": self.kept_until}


def revocations_path(settings: Settings) -> Path:
    configured = settings.admin.revoked_tokens
    return configured or token_key_path(settings).with_name(REVOCATIONS_FILE)


def check_not_revoked(path: Path, actor: TokenActor) -> None:
    """UnauthorizedError when ``actor``'s token is on the list; ConfigError (a server
    fault, 500) when the list cannot be read."""
    try:
        listed = _read(path)
    except ConfigError as exc:
        _logger.error("every admin token is refused: %s: %s", path, exc.problem)
        raise ConfigError(
            "admin.revoked_tokens",
            "the list of revoked admin tokens cannot be read; no token is accepted until an "
            "admin repairs or removes it (the node's log names the file)",
        ) from None
    if actor.token_id in listed["tokens"]:
        raise UnauthorizedError(f"the admin token {actor.token_id} has been revoked")
    entry = listed["subjects"].get(actor.subject)
    if entry is not None and actor.issued <= _refused_until(entry["revoked_at"]):
        raise UnauthorizedError(
            f"the admin tokens of {actor.subject} issued up to "
            f"{utc_text(_refused_until(entry['revoked_at']))} have been revoked; ask for a new one"
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
        raise AdminError("revoke one token (its id) or one subject's tokens: exactly one")
    if token_id is not None:
        try:
            uuid.UUID(token_id)
        except ValueError:
            raise AdminError(
                f"{token_id!r} is no admin token id (a UUID: the jti its admin.login record names)"
            ) from None
    else:
        assert subject is not None
        check_subject(subject)
    at = int(now if now is not None else time.time())
    kept = at + int(max_ttl + 2 * LEEWAY) + 1  # every token it can refuse has expired by then
    lock = path.with_name(path.name + ".lock")
    busy = f"{path.name} is being changed by another revocation; try again"
    with _file_errors(path), exclusive_lock(lock, timeout=_LOCK_TIMEOUT, busy=busy):
        _leave_to_owner(lock)
        listed = _read(path)
        listed = {
            kind: {k: e for k, e in entries.items() if e["kept_until"] > at}
            for kind, entries in listed.items()
        }
        kind, name = ("tokens", token_id) if token_id is not None else ("subjects", subject)
        assert name is not None
        earlier = listed[kind].get(name, {"kept_until": 0})
        listed[kind][name] = {"revoked_at": at, "kept_until": max(kept, earlier["kept_until"])}
        _write(path, listed)
    entry = listed[kind][name]
    return Revocation(at, _refused_until(at), entry["kept_until"], token_id, subject)


def _refused_until(revoked_at: int) -> int:
    return revoked_at + int(LEEWAY)


def _write(path: Path, listed: _Listed) -> None:
    data = orjson.dumps(
        {"version": _VERSION, **listed}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
    )

    def fill(temporary: Path) -> None:
        temporary.write_bytes(data + b"\n")
        _leave_to_owner(temporary)

    replace_atomically(path, fill)


def _leave_to_owner(path: Path) -> None:
    """Run as root (``sudo xgw admin revoke``), leave the file to the owner of its
    directory, the node's user, who must go on reading and writing it."""
    if os.geteuid() == 0:
        owner = path.parent.stat()
        if owner.st_uid != 0:
            os.chown(path, owner.st_uid, owner.st_gid)


@contextlib.contextmanager
def _file_errors(path: Path) -> Iterator[None]:
    """OSError of the list or its lock (a permission, a full disk) as the server fault it
    is, naming the file by its name only (the API's callers get this message too)."""
    try:
        yield
    except OSError as exc:
        _logger.error("revoking an admin token: %s: %s", path, exc)
        raise ConfigError(
            "admin.revoked_tokens", f"{path.name} cannot be written: {exc.strerror or exc}"
        ) from exc


def _read(path: Path) -> _Listed:
    """The list; empty when the file does not exist; ConfigError when it cannot be read or
    is not such a list. Keys it does not know (of a later version) are left alone."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {kind: {} for kind in _KINDS}
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _unreadable(path, f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise _unreadable(path, 'expected {"tokens": {...}, "subjects": {...}}')
    listed: _Listed = {}
    for kind in _KINDS:
        entries = value.get(kind, {})
        if not isinstance(entries, dict) or not all(
            isinstance(name, str) and _is_entry(entry) for name, entry in entries.items()
        ):
            raise _unreadable(
                path, f'"{kind}" must map names to {{"revoked_at": s, "kept_until": s}}'
            )
        listed[kind] = entries
    return listed


def _unreadable(path: Path, why: str) -> ConfigError:
    return ConfigError("admin.revoked_tokens", f"{path.name}: {why}")


def _is_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and type(entry.get("revoked_at")) is int
        and type(entry.get("kept_until")) is int
    )


def utc_text(seconds: int) -> str:
    """``2026-11-28T12:00:00Z`` for seconds since the epoch."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
