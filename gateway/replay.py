"""Replay protection for the signed hop: each message's nonce once, within a time window.

Usage::

    cache = ReplayCache(window=300)
    cache.check(nonce, iat)            # StaleMessageError / ReplayError, else remembered
    await cache.admit(nonce, iat)      # the same, then claimed across nodes (shared database)

A nonce is remembered for twice the window: after that its ``iat`` is outside
the window and the message is refused as stale anyway. After a restart the
cache is reloaded from the audit log (:meth:`load`), which records the nonce
of every inbound request.

Nodes of one member that share a database (PostgreSQL) also claim each nonce there
(``claims``, ``gateway.storage.base.NonceClaims``): the memory stays the first check,
and a message another node accepted first is refused even if this node never saw it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from gateway.errors import SERVER_PROXY, AuditError, ReplayError, StaleMessageError
from gateway.storage.base import NonceClaims

__all__ = ["ReplayCache"]


class ReplayCache:
    def __init__(self, window: float, *, claims: NonceClaims | None = None) -> None:
        self.window = window
        self.claims = claims  # None: this node is the only one (SQLite)
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

    async def admit(self, nonce: str, iat: float, now: float | None = None) -> None:
        """``check``, then claim the nonce in the shared database, if there is one.

        A claim that cannot be made refuses the message (``AuditError``): unclaimed, it
        could be accepted by another node as well.
        """
        now = time.time() if now is None else now
        self.check(nonce, iat, now)
        if self.claims is None:
            return
        try:
            claimed = await self.claims.claim(nonce, now + 2 * self.window)
        except AuditError as exc:
            raise AuditError(
                f"the message's nonce could not be claimed: {exc.message}", origin=SERVER_PROXY
            ) from exc
        if not claimed:
            raise ReplayError(
                f"message nonce {nonce} was accepted by another node: replay refused",
                origin=SERVER_PROXY,
            )

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
