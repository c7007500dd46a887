"""The data files xgw ships (``schemas/`` in the repository, ``xgw_schemas`` when installed).

Usage::

    schema = load_json("directory.v1.json")
    xsd = load_bytes("xoev/xgewerbeanzeige-2.x.xsd")

The running product reads only what it installed, never ``../shared``.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import orjson

__all__ = ["load_bytes", "load_json", "path"]

_PACKAGE = "xgw_schemas"


def path(name: str) -> resources.abc.Traversable:
    """The shipped file ``name`` (a path under ``schemas/``)."""
    return resources.files(_PACKAGE).joinpath(name)


def load_bytes(name: str) -> bytes:
    return path(name).read_bytes()


@functools.cache
def load_json(name: str) -> Any:
    """A shipped JSON document, parsed once."""
    return orjson.loads(load_bytes(name))
