"""Writing certificate and key files safely: whole or not at all, never over another file.

Usage::

    with rotation_lock(settings.tls.key):          # one rotate/install-next/adoption at a time
        replace_atomically(next_key, lambda tmp: write_private_key(tmp, key, passphrase))
        replace_atomically(next_pem, lambda tmp: write_certificate(tmp, cert), mode=0o644)
    create_exclusively(Path("certs/ee-tls.pem"), pem)   # FileExistsError if anything is there

``replace_atomically`` writes a temporary file in the target's directory (created 0600,
so a key is never readable by others, not even for a moment), syncs it and renames it
onto the target: a reader or a crash sees the old file or the new one, never a part.
``rotation_lock`` is an ``flock`` on ``<key>.rotate.lock`` beside a configured key: the
CLI, the admin API and the running gateway's adoption of one key pair exclude each other
across processes. The lock file stays (removing it would let two holders lock two files).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from gateway.errors import ConflictError

__all__ = [
    "LOCK_SUFFIX",
    "LOCK_WAIT",
    "create_exclusively",
    "lock_path",
    "replace_atomically",
    "rotation_lock",
    "sync_directory",
]

LOCK_SUFFIX = ".rotate.lock"
LOCK_WAIT = 10.0  # seconds: a rotate (key generation included) takes well under one
_POLL = 0.05


def lock_path(key: Path) -> Path:
    return key.with_name(key.name + LOCK_SUFFIX)


@contextlib.contextmanager
def rotation_lock(key: Path, *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the rotation lock of the key pair whose configured key is ``key``.

    ConflictError if another process or thread holds it for longer than ``wait`` seconds
    (0: try once).
    """
    path = lock_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, key, wait)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(fd: int, key: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ConflictError(
                    f"another rotation of the key pair of {key.name} is under way; try again"
                ) from None
            time.sleep(_POLL)


def replace_atomically(path: Path, write: Callable[[Path], object], *, mode: int = 0o600) -> None:
    """Let ``write`` fill a fresh temporary file, then rename it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, mode)
        _sync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_directory(path.parent)


def create_exclusively(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write a new file; FileExistsError if ``path`` exists (a dangling symlink too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """A rename or a new file survives a power cut once its directory is synced."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
