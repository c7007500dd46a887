"""One named background task of a node: started once, cancelled and awaited when stopped.

Usage::

    self._task = Background("xgw-body-purge", self._run)
    self._task.start()             # a second start does nothing
    await self._task.stop()        # cancels it and waits until it has ended
    self._task.running             # started and not ended

The periodic jobs (tree heads, body purge, expiry watch) keep their own loops; this is
what they share: a task that is never started twice and never left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["Background"]


class Background:
    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
