"""``xgw db ...``: the storage engine's schema (docs/storage.md)."""

from __future__ import annotations

import argparse

__all__ = ["add_commands"]


def add_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``db`` command group to ``xgw`` (the PostgreSQL engine's ``xgw db upgrade``)."""
