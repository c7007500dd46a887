"""The load generator's requests, shared by every benchmark: closed loop and open loop.

Usage::

    tally = Tally()
    await closed_loop([(session, url)], workload, count=3000, concurrency=16, tally=tally)
    await open_loop(session, url, workload, count=3000, rate=200.0, tally=tally)
    tally.latencies_ms, tally.errors, tally.answered

A request counts as answered only with 200 and the workload's expected answer; anything
else is an error, counted by kind.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from bench.workload import Workload

__all__ = ["Tally", "closed_loop", "exchange", "open_loop"]


@dataclass
class Tally:
    """What one phase got back."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    answered: int = 0  # 200 with the expected document


async def exchange(
    session: aiohttp.ClientSession,
    url: str,
    workload: Workload,
    tally: Tally,
    started: float | None = None,
) -> None:
    """One request; its latency counts from ``started`` (open loop: from when it was due),
    else from now."""
    started = time.perf_counter() if started is None else started
    try:
        async with session.post(url, data=workload.body, headers=workload.headers) as response:
            answer, status = await response.read(), response.status
            xroad_error = response.headers.get("X-Road-Error")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        tally.errors[f"{type(exc).__name__}: {exc}"[:300]] += 1
        return
    tally.latencies_ms.append((time.perf_counter() - started) * 1000.0)
    if status != 200:
        detail = f" {xroad_error}" if xroad_error else ""
        tally.errors[f"HTTP {status}{detail}: {answer[:200]!r}"] += 1
    elif not workload.answer_ok(answer):
        tally.errors[f"200 but not the expected answer ({len(answer)} bytes)"] += 1
    else:
        tally.answered += 1


async def closed_loop(
    targets: Sequence[tuple[aiohttp.ClientSession, str]],
    workload: Workload,
    count: int,
    concurrency: int,
    tally: Tally,
) -> None:
    """``concurrency`` workers, each sends its next request once answered; request i goes
    to target ``i mod len(targets)``."""
    issued = 0

    async def worker() -> None:
        nonlocal issued
        while issued < count:
            session, url = targets[issued % len(targets)]
            issued += 1
            await exchange(session, url, workload, tally)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))


async def open_loop(
    session: aiohttp.ClientSession,
    url: str,
    workload: Workload,
    count: int,
    rate: float,
    tally: Tally,
) -> None:
    """Request i is due ``i / rate`` seconds after the start, answered or not.

    Its latency counts from when it was due, so time a request waited for the load
    generator or for a free connection is charged to what is measured: no coordinated
    omission.
    """
    pending: set[asyncio.Task[None]] = set()
    start = time.perf_counter()
    for index in range(count):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(exchange(session, url, workload, tally, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
