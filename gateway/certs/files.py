"""The rotation lock of a key pair: one rotate, install-next or adoption at a time.

Usage::

    with rotation_lock(settings.tls.key):          # CLI, admin API and the running gateway
        replace_atomically(next_key, lambda tmp: write_private_key(tmp, key, passphrase))

An ``flock`` on ``<key>.rotate.lock`` beside a configured key (gateway/files.py); the
lock file stays.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from gateway.files import exclusive_lock

__all__ = ["LOCK_SUFFIX", "LOCK_WAIT", "lock_path", "rotation_lock"]

LOCK_SUFFIX = ".rotate.lock"
LOCK_WAIT = 10.0  # seconds: a rotate (key generation included) takes well under one


def lock_path(key: Path) -> Path:
    return key.with_name(key.name + LOCK_SUFFIX)


@contextlib.contextmanager
def rotation_lock(key: Path, *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """ConflictError if another process or thread holds it for longer than ``wait`` s."""
    busy = f"another rotation of the key pair of {key.name} is under way; try again"
    with exclusive_lock(lock_path(key), timeout=wait, busy=busy):
        yield
