"""Replay protection for the signed hop: each message's nonce once, within a time window.

Usage::

    cache = ReplayCache(window=300)
    cache.check(nonce, iat)            # StaleMessageError / ReplayError, else remembered

A nonce is remembered for twice the window: after that its ``iat`` is outside
the window and the message is refused as stale anyway. After a restart the
cache is reloaded from the audit log (:meth:`load`), which records the nonce
of every inbound request.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from gateway.errors import SERVER_PROXY, ReplayError, StaleMessageError

__all__ = ["ReplayCache"]


class ReplayCache:
    def __init__(self, window: float) -> None:
        self.window = window
        self._seen: set[str] = set()
        self._expiry: deque[tuple[float, str]] = deque()

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, nonce: str, iat: float, now: float | None = None) -> None:
        """Refuse a stale or repeated message; otherwise remember its nonce."""
        now = time.time() if now is None else now
        if abs(now - iat) > self.window:
            raise StaleMessageError(
                f"signing time {iat:.0f} is {now - iat:+.0f}s from now, outside the "
                f"{self.window:.0f}s window",
                origin=SERVER_PROXY,
            )
        self._purge(now)
        if nonce in self._seen:
            raise ReplayError(
                f"message nonce {nonce} was seen before: replay refused", origin=SERVER_PROXY
            )
        self._remember(nonce, now)

    def load(self, seen: Iterable[tuple[str, float]], now: float | None = None) -> None:
        """Remember nonces received before a restart: (nonce, epoch seconds received)."""
        now = time.time() if now is None else now
        for nonce, received in sorted(seen, key=lambda item: item[1]):
            if now - received <= 2 * self.window and nonce not in self._seen:
                self._remember(nonce, received)

    def _remember(self, nonce: str, at: float) -> None:
        self._seen.add(nonce)
        self._expiry.append((at + 2 * self.window, nonce))

    def _purge(self, now: float) -> None:
        expiry = self._expiry
        while expiry and expiry[0][0] < now:
            self._seen.discard(expiry.popleft()[1])
