"""Files the operator's tools write: replaced atomically, so a reader never sees half of one;
and the lock that lets one editor at a time read, change and write one.

Usage::

    write_atomic(Path("publish/directory.jws"), token.encode("ascii") + b"\n")
    write_atomic(path, data, exclusive=True)    # ConflictError if the file exists already
    with exclusive_lock(Path("draft.json.lock"), timeout=10.0):
        ...                                     # no other holder, in any thread or process
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gateway.errors import ConflictError

__all__ = ["exclusive_lock", "write_atomic"]

# Drafts and publications hold certificates and signatures only: public material that
# gateways (or the web server in front of the publication) must be able to read.
_MODE = 0o644
_LOCK_MODE = 0o600  # only the operator's own tools take the lock
_LOCK_POLL = 0.01  # seconds between tries: edits hold the lock for milliseconds


@contextlib.contextmanager
def exclusive_lock(path: Path, *, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created with mode 0600 when missing).

    Each call opens the file anew, so it excludes other threads of this process as well
    as other processes. The file is never deleted: a process waiting on it would lock a
    file that no longer has the name while a newcomer locks a fresh one. ConflictError
    after ``timeout`` seconds of waiting; OSError when the file cannot be opened.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _LOCK_MODE)
    try:
        _acquire(fd, path, timeout)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, timeout: float) -> None:
    # Polled rather than blocking, so a holder that hangs costs a clear error, not a
    # worker thread of the admin API for good.
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ConflictError(
                    f"{path.name} is held by another edit for more than {timeout:g} s; "
                    "try again once it is done"
                ) from None
            time.sleep(_LOCK_POLL)


def write_atomic(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path``, sync it, then rename it over ``path``.

    ``exclusive``: never replace an existing file (a kept publication is evidence).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _MODE)
        if exclusive:
            _link_new(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _link_new(tmp: Path, path: Path) -> None:
    # A hard link fails if ``path`` exists: no window in which a second writer could win.
    try:
        os.link(tmp, path)
    except FileExistsError as exc:
        raise ConflictError(f"{path} exists already; it is never overwritten") from exc
