"""Logging: named loggers per concern, one line per exchange, optional JSON lines.

Usage::

    configure_logging(verbosity=1, as_json=True)   # or XGW_LOGLEVEL=DEBUG

Never log payloads, keys or tokens: the audit log is the record of exchanges.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TextIO

import orjson

__all__ = ["JsonFormatter", "configure_logging"]

# Fields the exchange logger adds with ``extra=``; copied into JSON lines.
_EXTRA_FIELDS = (
    "exchange_id",
    "direction",
    "client",
    "service",
    "status",
    "code",
    "error_id",
    "duration_ms",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode("utf-8")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each line to ``sys.stderr`` as it is then, not as it was at set-up: a program
    (or a test) that runs ``xgw`` in-process and swaps ``sys.stderr`` afterwards must not
    leave the log writing to a stream it has closed."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass  # always sys.stderr


def configure_logging(verbosity: int = 0, *, as_json: bool = False) -> None:
    level_name = os.environ.get("XGW_LOGLEVEL")
    if level_name:
        level = logging.getLevelName(level_name.upper())
        if not isinstance(level, int):
            level = logging.INFO
    else:
        level = (
            logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        )
    handler = _StderrHandler()
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
