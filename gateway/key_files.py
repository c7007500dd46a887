"""A key pair's files: read and checked together, moved in from ``next``, put back, made whole.

Usage::

    files = KeyFiles.of("tls", settings.tls)
    pair = files.read()                       # ConfigError naming the setting on any problem
    pair = read_staged(files.staged(NEXT))    # for TLS also loaded by OpenSSL
    keep_previous(files, files.staged(PREVIOUS))
    move_in(files, files.staged(NEXT), files.staged(PREVIOUS))   # the key, then the certificate
    complete_interrupted(files)               # at start: (usage, old, new) fingerprints, or None

The running node's side, when a staged pair is due and how it switches, is
gateway/rotation.py; this module only touches the files.

Crash safety: a crash between the two renames leaves the new key beside the old
certificate, with the staged certificate still there; ``NodeKeys.load(settings,
recover=True)`` (``xgw serve``) completes that move (``complete_interrupted``) and says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from gateway._crypto import (
    PrivateKey,
    check_key_pair,
    fingerprint,
    load_certificate,
    load_private_key,
    read_passphrase,
)
from gateway.certs.rotate import next_request
from gateway.certs.staging import NEXT, PREVIOUS, staged
from gateway.errors import ConfigError
from gateway.files import sync_directory
from gateway.settings import KeyPairSettings

__all__ = [
    "KeyFiles",
    "Pair",
    "complete_interrupted",
    "keep_previous",
    "move_in",
    "read_staged",
]

# The rotation's one log (docs/rotation.md): operators follow gateway.rotation.
_logger = logging.getLogger("gateway.rotation")
_UNCHANGED = "the pair in use stays, and the staged pair stays staged"


@dataclass(frozen=True)
class KeyFiles:
    """Where one usage's pair lives: the configured files or a staged (next, previous) copy."""

    usage: str  # "tls" or "signing": the settings section, too
    certificate: Path
    key: Path
    passphrase_file: Path | None = None  # the key is encrypted with the passphrase in it

    @classmethod
    def of(cls, usage: str, pair: KeyPairSettings) -> KeyFiles:
        return cls(usage, pair.certificate, pair.key, pair.passphrase_file)

    def staged(self, stage: str) -> KeyFiles:
        """The ``next`` or ``previous`` pair; a staged key has the same passphrase."""
        return KeyFiles(
            self.usage,
            staged(self.certificate, stage),
            staged(self.key, stage),
            self.passphrase_file,
        )

    def exists(self) -> bool:
        return self.certificate.is_file() and self.key.is_file()

    def password(self) -> bytes | None:
        if self.passphrase_file is None:
            return None
        return read_passphrase(self.passphrase_file, key_name=f"{self.usage}.passphrase_file")

    def read(self) -> Pair:
        """Both files, checked to belong together; ConfigError naming the setting."""
        cert_bytes, key_bytes, password = _read(self.certificate), _read(self.key), self.password()
        cert = load_certificate(self.certificate, key_name=f"{self.usage}.certificate")
        key = load_private_key(self.key, password, key_name=f"{self.usage}.key")
        if not _matches(cert, key):
            raise ConfigError(f"{self.usage}.key", self._mismatch(cert, key))
        return Pair(cert, key, password, cert_bytes, key_bytes)

    def holds(self, pair: Pair) -> bool:
        """Both files still hold the bytes ``pair`` was read from."""
        return _read(self.certificate) == pair.cert_bytes and _read(self.key) == pair.key_bytes

    def _mismatch(self, cert: x509.Certificate, key: PrivateKey) -> str:
        """What an operator needs to know about a key that does not fit its certificate."""
        problem = f"the key {self.key} does not belong to the certificate {self.certificate}"
        completion = _completion(self, cert, key)
        if completion is not None:
            return (
                f"{problem}: a key rotation was interrupted between the key and the "
                f"certificate, and {completion[0]} completes it; 'xgw serve' finishes "
                "it when it starts"
            )
        previous = self.staged(PREVIOUS)
        if previous.exists():
            problem += (
                f"; the pair in use before the last rotation is {previous.certificate}"
                f" / {previous.key}"
            )
        return problem


@dataclass(frozen=True)
class Pair:
    """A certificate and the key that belongs to it, as read from their files."""

    certificate: x509.Certificate
    key: PrivateKey
    password: bytes | None  # the passphrase it was read with
    cert_bytes: bytes  # as read: the files must still hold these when they are moved
    key_bytes: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # the loaders name the missing file


def read_staged(files: KeyFiles) -> Pair:
    """The staged pair, read and checked the way the running node will load it."""
    pair = files.read()
    if files.usage == "tls":  # what OpenSSL reads must be what we checked
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
                files.certificate, files.key, files.password()
            )
        except ssl.SSLError as exc:
            raise ConfigError(f"{files.usage}.key", f"OpenSSL cannot load it: {exc}") from exc
    return pair


def keep_previous(files: KeyFiles, previous: KeyFiles) -> None:
    """The pair in use, hard-linked (or copied) to ``previous``: kept, and the copy a
    failed adoption restores from. ConfigError if it cannot be."""
    try:
        _link_or_copy(files.key, previous.key)
        _link_or_copy(files.certificate, previous.certificate)
    except OSError as exc:
        raise ConfigError(
            f"{files.usage}.key",
            f"cannot keep the pair in use as {previous.certificate} / {previous.key}"
            f" ({exc.strerror or exc}); {_UNCHANGED}",
        ) from exc


def move_in(files: KeyFiles, next_files: KeyFiles, previous: KeyFiles) -> None:
    """Rename the staged key, then the staged certificate, onto the configured paths (a
    crash between the two: ``NodeKeys.load(recover=True)`` finishes).

    ConfigError if a rename fails; by then the key in use is back from ``previous`` and
    the staged pair is still staged.
    """
    try:
        os.replace(next_files.key, files.key)
    except OSError as exc:  # atomic: the configured files are untouched
        problem = f"{_cannot_move(files.key, exc)}; {_UNCHANGED}"
        raise ConfigError(f"{files.usage}.key", problem) from exc
    try:
        os.replace(next_files.certificate, files.certificate)
    except OSError as exc:
        problem = _cannot_move(files.certificate, exc)
        if _put_back(files, next_files, previous):
            problem += f"; {_UNCHANGED}"
        else:
            problem += (
                f", nor put the key in use back: {files.key} is the staged key now, beside"
                " the old certificate; 'xgw serve' completes the rotation when it starts"
            )
        raise ConfigError(f"{files.usage}.certificate", problem) from exc
    for directory in {files.key.parent, files.certificate.parent}:
        sync_directory(directory)


def _put_back(files: KeyFiles, next_files: KeyFiles, previous: KeyFiles) -> bool:
    """After the key moved and the certificate did not: the new key staged again, the key
    in use back from ``previous``. Each step leaves a pair a start can make whole."""
    try:
        _link_or_copy(files.key, next_files.key)
        _link_or_copy(previous.key, files.key)
    except OSError:
        _logger.exception(
            "%s: cannot put the key in use back from %s: %s does not fit %s; 'xgw serve'"
            " completes the rotation when it starts",
            files.usage,
            previous.key,
            files.key,
            files.certificate,
        )
        return False
    finally:
        sync_directory(files.key.parent)  # the staged key is beside it
    return True


def _cannot_move(target: Path, exc: OSError) -> str:
    return f"cannot move the staged pair into place ({target}: {exc.strerror or exc})"


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes a copy of ``source`` at once, while ``source`` stays in place."""
    partial = target.with_name(target.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    try:
        os.link(source, partial)
    except OSError:  # a file system without hard links: a copy keeps the mode (0600)
        shutil.copy2(source, partial)
    os.replace(partial, target)


# -- start-up -----------------------------------------------------------------


def complete_interrupted(files: KeyFiles) -> tuple[str, str, str] | None:
    """Finish a rotation a crash left half done: ``(usage, old, new)`` fingerprints, or None."""
    cert, key = _try_cert(files.certificate), _try_key(files.key, files)
    if cert is None or key is None or _matches(cert, key):
        return None
    completion = _completion(files, cert, key)
    if completion is None:
        return None  # KeyFiles.read() explains the mismatch
    source, target, new = completion
    os.replace(source, target)
    with contextlib.suppress(OSError):
        next_request(files.key).unlink(missing_ok=True)  # its key is in use now
    sync_directory(target.parent)
    old_cert = _try_cert(files.staged(PREVIOUS).certificate)
    old = fingerprint(old_cert) if old_cert is not None else "unknown"
    _logger.warning(
        "%s: completed a key rotation that was interrupted between the key and the "
        "certificate: moved %s to %s (certificate sha256 %s)",
        files.usage,
        source,
        target,
        fingerprint(new),
    )
    return files.usage, old, fingerprint(new)


def _completion(
    files: KeyFiles, cert: x509.Certificate, key: PrivateKey
) -> tuple[Path, Path, x509.Certificate] | None:
    """The staged file that makes a mismatched pair whole: ``(source, target, certificate)``.

    The new key beside the old certificate (the order of ``move_in``), or the new
    certificate beside the old key (the other order); None when neither fits.
    """
    next_files = files.staged(NEXT)
    next_cert, next_key = _try_cert(next_files.certificate), _try_key(next_files.key, files)
    if next_cert is not None and _matches(next_cert, key):
        return next_files.certificate, files.certificate, next_cert
    if next_key is not None and _matches(cert, next_key):
        return next_files.key, files.key, cert
    return None


def _try_cert(path: Path) -> x509.Certificate | None:
    try:
        return load_certificate(path)
    except ConfigError:
        return None


def _try_key(path: Path, files: KeyFiles) -> PrivateKey | None:
    try:
        return load_private_key(path, files.password())
    except ConfigError:
        return None


def _matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    try:
        check_key_pair(cert, key, "key")
    except ConfigError:
        return False
    return True
