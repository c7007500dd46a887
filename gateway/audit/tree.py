"""The Merkle tree of a stored audit log: roots and proofs by O(log n) lookups.

Usage::

    tree = StoredTree(store)
    size = await tree.size()                          # records in the log
    root = await tree.root(size)
    path = await tree.inclusion_proof(17, size)       # PATH(17, D[size])
    proof = await tree.consistency_proof(10, size)    # PROOF(10, D[size])
    frontier = await tree.frontier(size)              # what appending continues from

    await build_missing_tree(store)                   # once, after an upgrade from schema 1

Every perfect subtree's hash is stored with the entry that completes it
(``gateway.storage.base``), so a root or a proof needs at most about 2 log2(n) stored
hashes, fetched in one query; nothing re-reads the log.
"""

from __future__ import annotations

import contextlib
import logging

from gateway.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    Key,
    Range,
    consistency_ranges,
    fold,
    inclusion_ranges,
    leaf_hash,
    pieces,
)
from gateway.errors import AuditError
from gateway.storage.base import AuditStore

__all__ = ["StoredTree", "build_missing_tree"]

_logger = logging.getLogger(__name__)

_BUILD_CHUNK = 4096  # entries per transaction when building the tree of an upgraded log


class StoredTree:
    """Roots and proofs of the tree over the entries ``store`` has committed."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    async def size(self) -> int:
        head = await self.store.head()
        return 0 if head is None else head[0] + 1

    async def root(self, size: int) -> bytes:
        """MTH(D[size]): the root when the log had ``size`` records."""
        await self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        (root,) = await self._range_hashes([(0, size)])
        return root

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]), the sibling of the leaf first."""
        await self._check_size(size)
        if not 0 <= index < size:
            raise AuditError(f"record {index} is not in a tree of {size} records")
        return await self._range_hashes(inclusion_ranges(index, size))

    async def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[second]): the tree of ``second`` records extends that of ``first``."""
        await self._check_size(second)
        if not 0 <= first <= second:
            raise AuditError(f"no consistency proof from {first} to {second} records")
        return await self._range_hashes(consistency_ranges(first, second))

    async def frontier(self, size: int) -> Frontier:
        """The stored right edge of the tree of ``size`` records."""
        keys = Frontier.keys(size)
        found = await self._lookup(keys)
        return Frontier(size, [found[key] for key in keys])

    async def _check_size(self, size: int) -> None:
        available = await self.size()
        if not 0 <= size <= available:
            raise AuditError(f"the audit log has {available} records, not {size}")

    async def _range_hashes(self, ranges: list[Range]) -> list[bytes]:
        parts = [pieces(start, end) for start, end in ranges]
        found = await self._lookup({key for keys in parts for key in keys})
        return [fold([found[key] for key in keys]) for keys in parts]

    async def _lookup(self, keys: list[Key] | set[Key]) -> dict[Key, bytes]:
        found = await self.store.tree_hashes(keys)
        missing = sorted(set(keys) - found.keys())
        if missing:
            level, index = missing[0]
            raise AuditError(
                f"the audit tree lacks the hash of subtree ({level}, {index}): the log is"
                " damaged or its tree was never built; run xgw audit verify"
            )
        return found


async def build_missing_tree(store: AuditStore, *, chunk: int = _BUILD_CHUNK) -> int:
    """Give the entries written before the tree existed their tree hashes; how many.

    Runs once after an upgrade from schema 1 (and resumes where it stopped if it was
    interrupted: entries are built in order, a chunk per transaction). Leaf hashes come
    from the records themselves; nothing already stored is overwritten.
    """
    start = await store.first_without_tree()
    if start is None:
        return 0
    _logger.warning("building the Merkle tree of the audit log from entry %d on", start)
    frontier = await StoredTree(store).frontier(start)
    rows: list[tuple[int, bytes, bytes]] = []
    built = 0
    async with contextlib.aclosing(store.iter_entries(start)) as entries:
        async for entry in entries:
            if entry.seq != frontier.size:
                await store.set_tree_hashes(rows)  # what comes before the break is sound
                raise AuditError(
                    f"audit entry {frontier.size} is missing (found {entry.seq}): the tree"
                    " cannot be built over a broken log; run xgw audit verify"
                )
            leaf = leaf_hash(entry.record_json)
            rows.append((entry.seq, leaf, b"".join(frontier.append(leaf))))
            if len(rows) >= chunk:
                await store.set_tree_hashes(rows)
                built += len(rows)
                rows = []
    if rows:
        await store.set_tree_hashes(rows)
        built += len(rows)
    _logger.warning("built the Merkle tree of %d audit entries", built)
    return built
