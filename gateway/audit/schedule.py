"""Signing tree heads on a schedule: every interval while the log grows, on demand, at close.

Usage::

    heads = TreeHeadSchedule(audit_log, TreeHeadSigner(key, cert, member), interval=60.0)
    heads.start()
    signed = await heads.sign_now()   # the admin API's "sign now"
    await heads.stop()                # signs a last head if the log grew since the previous one

A head is signed only when the log has grown since the last stored one: an
unchanged log needs no new signature, and a quiet gateway does not fill its
database with heads. A failure to sign or store one is logged and retried at the
next interval; exchanges are never held up by it.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.audit.log import AuditLog
from gateway.audit.tree_head import SignedTreeHead, TreeHeadSigner
from gateway.background import Background
from gateway.errors import AuditError

__all__ = ["TreeHeadSchedule"]

_logger = logging.getLogger(__name__)


class TreeHeadSchedule:
    """Signs the audit log's tree head every ``interval`` seconds when it has grown."""

    def __init__(self, log: AuditLog, signer: TreeHeadSigner, interval: float) -> None:
        if not interval > 0:
            raise ValueError("the tree head interval must be greater than 0")
        self.log = log
        self.signer = signer
        self.interval = interval
        self.signed_size: int | None = None  # of the last head stored; None: not looked yet
        self._task = Background("xgw-tree-heads", self._run)

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        """Stop the timer; sign a last head if the log grew since the previous one."""
        await self._task.stop()
        await self._sign_if_grown()

    async def sign_now(self) -> SignedTreeHead:
        """Sign the committed tree's head now, grown or not (``AuditError`` if not stored)."""
        signed = await self.log.sign_tree_head(self.signer)
        self.signed_size = signed.head.tree_size
        _logger.info(
            "signed audit tree head: %d records, root %s",
            signed.head.tree_size,
            signed.head.root_hash.hex(),
        )
        return signed

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._sign_if_grown()

    async def _sign_if_grown(self) -> None:
        try:
            if self.signed_size is None:
                latest = await self.log.latest_tree_head()
                self.signed_size = -1 if latest is None else latest.tree_size
            if self.log.size > self.signed_size:
                await self.sign_now()
        except AuditError as exc:  # the next interval tries again
            _logger.error("could not sign the audit tree head: %s", exc.message)
