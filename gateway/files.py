"""Files that must be whole or absent, and locks that let one writer at a time at them.

Usage::

    write_atomic(Path("publish/directory.jws"), token.encode("ascii") + b"\n")
    write_atomic(history / "8.jws", data, exclusive=True)   # ConflictError if it exists
    replace_atomically(next_key, lambda tmp: write_private_key(tmp, key))   # 0600 throughout
    create_exclusively(Path("certs/ee-tls.pem"), pem)       # FileExistsError if anything is there
    with exclusive_lock(Path("draft.json.lock"), timeout=10.0, busy="the draft is being edited"):
        ...                                                 # no other holder, thread or process

A temporary file is written in the target's directory (created 0600, so a key is never
readable by others, not even for a moment), synced, and renamed onto the target: a reader
or a crash sees the old file or the new one, never a part; the directory is synced so the
rename survives a power cut. A lock is an ``flock`` on a file that is never deleted
(removing it would let two holders lock two files); each call opens it anew, so it
excludes other threads of this process as well as other processes.
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
    "create_exclusively",
    "exclusive_lock",
    "replace_atomically",
    "sync_directory",
    "write_atomic",
]

_LOCK_MODE = 0o600
_LOCK_POLL = 0.01  # seconds between tries: holders keep a lock for milliseconds


@contextlib.contextmanager
def exclusive_lock(path: Path, *, timeout: float, busy: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created 0600 when missing).

    ConflictError saying ``busy`` after ``timeout`` seconds of waiting (0: try once).
    Polled rather than blocking, so a holder that hangs costs a clear error, not a
    worker thread for good.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _LOCK_MODE)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ConflictError(busy) from None
                time.sleep(_LOCK_POLL)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def replace_atomically(path: Path, write: Callable[[Path], object], *, mode: int = 0o600) -> None:
    """Let ``write`` fill a fresh temporary file, then rename it onto ``path``."""
    _via_temporary(path, write, mode, os.replace)


def write_atomic(path: Path, data: bytes, *, exclusive: bool = False, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically; with ``exclusive``, never replace an
    existing file (ConflictError): a kept publication is evidence."""
    _via_temporary(
        path, lambda tmp: tmp.write_bytes(data), mode, _link_new if exclusive else os.replace
    )


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


def _via_temporary(
    path: Path, write: Callable[[Path], object], mode: int, place: Callable[[Path, Path], None]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, mode)
        _sync_file(temporary)
        place(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # gone already after a rename
    sync_directory(path.parent)


def _link_new(temporary: Path, path: Path) -> None:
    # A hard link fails if ``path`` exists: no window in which a second writer could win.
    try:
        os.link(temporary, path)
    except FileExistsError as exc:
        raise ConflictError(f"{path} exists already; it is never overwritten") from exc


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
