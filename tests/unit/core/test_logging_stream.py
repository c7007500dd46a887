"""The log follows ``sys.stderr``: xgw run in-process (by tests, or a program that embeds
it) keeps logging after whoever set up logging has swapped or closed that stream."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from gateway.logs import configure_logging


@pytest.fixture
def root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = saved, level


@pytest.mark.usefixtures("root_handlers")
def test_lines_go_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging(1)
    logging.getLogger("gateway.test").info("one")
    first.close()  # the stream logging was set up with is gone
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("gateway.test").info("two")
    assert second.getvalue().endswith("INFO gateway.test: two\n")
