"""Where a rotation keeps the next and the previous key pair, beside the configured files.

Usage::

    staged(Path("certs/de-tls.pem"), NEXT)       # certs/de-tls.next.pem
    staged(Path("certs/de-tls.key"), PREVIOUS)   # certs/de-tls.previous.key

``xgw certs rotate`` writes the next pair; a running gateway adopts it once the
directory lists the next certificate for its member (gateway/rotation.py), moving
the current pair to ``previous``. The names are the contract between the two.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["NEXT", "PREVIOUS", "staged"]

NEXT = "next"
PREVIOUS = "previous"


def staged(path: Path, stage: str) -> Path:
    return path.with_name(f"{path.stem}.{stage}{path.suffix}")
