"""The demo federation: DE, EE and NL gateways, MAGDA as a partner without xgw, registers.

Usage::

    from gateway.demo import run_demo, running_demo   # gateway.demo.run: ``xgw demo``
    xgw demo init --state-dir /state --gateway DE=de:8443 ...  # gateway.demo.deployment
    xgw demo register DE --listen 0.0.0.0:9001                 # gateway.demo.register_server

``xgw``'s parser loads ``gateway.demo.cli`` for every command, so this package imports
nothing itself: its names come from ``gateway.demo.run`` when first used, and a command
other than ``xgw demo`` never pays for importing the gateway and its connectors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.demo.run import Demo, Told, run_demo, running_demo, tell

__all__ = ["Demo", "Told", "run_demo", "running_demo", "tell"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("gateway.demo.run"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
