"""The keys that encrypt message bodies in the audit log: files of 32 random bytes, rotated.

Usage::

    key = create_body_key(Path("/etc/xgw/body-2027.key"))        # mode 0600, never overwrites
    ring = BodyKeyring.load([Path("body-2027.key"), Path("body-2026.key")])
    ring.current.id                    # the first key encrypts ...
    ring.get("3f2a...")                # ... every key decrypts what it encrypted

A key file holds exactly 32 bytes (an AES-256 key) and nothing else, and is readable
by its owner only (mode 0600 or 0400): a key that group or others can read is refused
at start, as is one of another length. A key's id is derived from the key itself
(the first 16 hex digits of SHA-256 over a label and the key), so renaming or moving
a file changes nothing, and each stored body names the id of the key that sealed it.
Keys are never logged; ids are.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.errors import ConfigError

__all__ = ["KEY_BYTES", "BodyKey", "BodyKeyring", "create_body_key", "load_body_key"]

KEY_BYTES = 32  # AES-256
_ID_LABEL = b"xgw audit body key id\x00"


@dataclass(frozen=True)
class BodyKey:
    """One AES-256 key and its id; ``repr`` never shows the key."""

    id: str
    secret: bytes = field(repr=False)
    path: Path | None = None
    # Built once: a new AESGCM per body costs as much as sealing 3 KiB with it.
    cipher: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cipher", AESGCM(self.secret))

    @classmethod
    def of(cls, secret: bytes, path: Path | None = None) -> BodyKey:
        if len(secret) != KEY_BYTES:
            raise ValueError(f"an audit body key is {KEY_BYTES} bytes, not {len(secret)}")
        return cls(key_id(secret), secret, path)


def key_id(secret: bytes) -> str:
    """The id stored with each body: 16 hex digits of SHA-256(label || key)."""
    return hashlib.sha256(_ID_LABEL + secret).hexdigest()[:16]


def load_body_key(path: Path, *, key_name: str = "audit.body_keys") -> BodyKey:
    """Read a key file, refusing one that others can read or that is not 32 bytes."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(key_name, f"key file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(key_name, f"cannot read {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(key_name, f"{path} is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigError(
            key_name,
            f"key file {path} is readable or writable by group or others"
            f" (mode {stat.S_IMODE(info.st_mode):04o}); chmod 600 it",
        )
    try:
        secret = path.read_bytes()
    except OSError as exc:
        raise ConfigError(key_name, f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(secret) != KEY_BYTES:
        raise ConfigError(
            key_name,
            f"key file {path} holds {len(secret)} bytes; an audit body key is exactly"
            f" {KEY_BYTES} random bytes (xgw audit body-key new FILE makes one)",
        )
    return BodyKey.of(secret, path)


def create_body_key(path: Path, *, key_name: str = "FILE") -> BodyKey:
    """Write a new random key to ``path`` (mode 0600); an existing file is never replaced."""
    secret = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(
            key_name, f"{path} exists already; a key file is never overwritten"
        ) from None
    except OSError as exc:
        raise ConfigError(key_name, f"cannot create {path}: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, 0o600)  # whatever the umask said
        os.write(fd, secret)
        os.fsync(fd)
    finally:
        os.close(fd)
    return BodyKey.of(secret, path)


class BodyKeyring:
    """The configured keys: the first encrypts new bodies, every one decrypts."""

    def __init__(self, keys: Sequence[BodyKey]) -> None:
        if not keys:
            raise ValueError("a body keyring needs at least one key")
        self.keys = tuple(keys)
        self._by_id: dict[str, BodyKey] = {}
        for key in self.keys:
            self._by_id.setdefault(key.id, key)

    @classmethod
    def load(cls, paths: Sequence[Path], *, key_name: str = "audit.body_keys") -> BodyKeyring:
        keys = [load_body_key(p, key_name=f"{key_name}[{i}]") for i, p in enumerate(paths)]
        seen: dict[str, Path | None] = {}
        for index, key in enumerate(keys):
            if key.id in seen:
                raise ConfigError(
                    f"{key_name}[{index}]",
                    f"{key.path} holds the same key as {seen[key.id]}",
                )
            seen[key.id] = key.path
        return cls(keys)

    @property
    def current(self) -> BodyKey:
        return self.keys[0]

    def get(self, key_id: str) -> BodyKey | None:
        return self._by_id.get(key_id)

    def ids(self) -> list[str]:
        return [key.id for key in self.keys]
