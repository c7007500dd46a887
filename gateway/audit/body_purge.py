"""Deleting message bodies whose retention is over: hourly in the gateway, or on demand.

Usage::

    deleted = await purge_bodies(store, rules)            # now; or now=<epoch seconds>
    purge = BodyPurgeSchedule(audit_log, rules, interval=3600.0)
    purge.start()                                         # once at start, then every interval
    await purge.stop()

Every service that has stored bodies gets the rule the configuration gives it now
(``gateway.audit.body_policy``): bodies older than its retention are deleted, and
all of them if it is metadata-only. A body's age is its record's ``time``. Only the
bodies go; the records, the chain and the tree stay as they are, so ``xgw audit
verify`` passes after any purge. The store deletes in small transactions, so a large
purge never holds up the exchanges' commits for long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from gateway.audit.body_policy import BodyRules
from gateway.audit.log import AuditLog
from gateway.background import Background
from gateway.errors import AuditError
from gateway.storage.base import AuditStore

__all__ = ["BodyPurgeSchedule", "purge_bodies", "record_time"]

_logger = logging.getLogger(__name__)


def record_time(epoch_seconds: float) -> str:
    """``epoch_seconds`` in the record time format (string order is time order)."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def purge_bodies(store: AuditStore, rules: BodyRules, *, now: float | None = None) -> int:
    """Delete every stored body the rules no longer keep at ``now``; how many were deleted."""
    now = time.time() if now is None else now
    deleted = 0
    for service in await store.body_services():
        rule = rules.for_service(service)
        before = None
        if not rule.metadata_only:
            cutoff = now - rule.retention_seconds
            if not cutoff > 0:  # a retention reaching back before 1970: nothing is that old
                continue
            before = record_time(cutoff)
        count = await store.delete_bodies(service, before)
        if count:
            why = "metadata-only" if before is None else f"logged before {before}"
            _logger.info("purged %d audit bodies of %s (%s)", count, service, why)
        deleted += count
    return deleted


class BodyPurgeSchedule:
    """Purges expired bodies once soon after start and then every ``interval`` seconds."""

    def __init__(self, log: AuditLog, rules: BodyRules, interval: float) -> None:
        if not interval > 0:
            raise ValueError("the body purge interval must be greater than 0")
        self.log = log
        self.rules = rules
        self.interval = interval
        self.runs = 0  # completed purges
        self._task = Background("xgw-body-purge", self._run)

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def purge_now(self, *, now: float | None = None) -> int:
        """Purge now (``AuditError`` if the store fails)."""
        deleted = await purge_bodies(self.log.store, self.rules, now=now)
        self.runs += 1
        return deleted

    async def _run(self) -> None:
        while True:
            try:
                await self.purge_now()
            except AuditError as exc:  # the next interval tries again
                _logger.error("could not purge audit bodies: %s", exc.message)
            await asyncio.sleep(self.interval)
