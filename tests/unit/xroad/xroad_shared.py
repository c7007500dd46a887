"""Paths into the shared X-Road reference material (tests only).

Usage::

    from tests.unit.xroad.xroad_shared import read_shared, shared_path

    body = read_shared("rest/pr-rest-examples/ex3-cat3-bad-request.body.json")

The material lives in ``../shared/xroad`` next to the project root (the directory
holding ``pyproject.toml``); it is never copied into the project.
"""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    """The nearest parent of this file that holds ``pyproject.toml``."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise RuntimeError("no pyproject.toml above the tests: cannot find the project root")


def shared_path(relative: str) -> Path:
    """A file under ``../shared/xroad``; fails loudly if the reference data is missing."""
    path = project_root() / "../shared/xroad" / relative
    if not path.is_file():
        raise FileNotFoundError(f"X-Road reference file missing: {path}")
    return path


def read_shared(relative: str) -> str:
    return shared_path(relative).read_text(encoding="utf-8")


def read_headers(relative: str) -> list[tuple[str, str]]:
    """``Name: value`` lines of an ``.http`` vector, in order."""
    headers = []
    for line in read_shared(relative).splitlines():
        name, sep, value = line.strip().partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return headers
