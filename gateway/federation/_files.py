"""Files the operator's tools write: replaced atomically, so a reader never sees half of one.

Usage::

    write_atomic(Path("publish/directory.jws"), token.encode("ascii") + b"\n")
    write_atomic(path, data, exclusive=True)    # ConflictError if the file exists already
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from gateway.errors import ConflictError

__all__ = ["write_atomic"]

# Drafts and publications hold certificates and signatures only: public material that
# gateways (or the web server in front of the publication) must be able to read.
_MODE = 0o644


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
