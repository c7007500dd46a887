"""RFC 9162 Merkle trees: leaf and node hashes, roots, inclusion and consistency proofs.

Usage::

    leaves = [leaf_hash(record) for record in records]
    root = tree_root(leaves[:7])                           # MTH(D[7])
    path = inclusion_proof(leaves, 3, 7)                   # PATH(3, D[7])
    assert verify_inclusion(leaves[3], 3, 7, path, root)
    proof = consistency_proof(leaves, 4, 7)                # PROOF(4, D[7])
    assert verify_consistency(4, 7, tree_root(leaves[:4]), root, proof)

    frontier = Frontier()                                  # appending, O(log n)
    completed = frontier.append(leaf_hash(record))         # subtrees this leaf completes
    frontier.root()

Pure functions, no I/O. Leaf hash SHA-256(0x00 || data), node hash SHA-256(0x01 ||
left || right), trees of any size (RFC 9162 section 2.1).

A **perfect subtree** ``(level, index)`` covers the ``2**level`` leaves from
``index * 2**level`` on. Every node of an RFC 9162 tree is either such a subtree or a
range ``[start, size)`` along the tree's right edge, and that range is made of the
perfect subtrees given by the binary digits of ``size - start`` (``pieces``), combined
right to left (``fold``). So whoever keeps the hash of every perfect subtree can
produce any root or proof with O(log n) lookups: ``inclusion_ranges`` and
``consistency_ranges`` name the ranges a proof consists of, ``pieces`` the stored
subtrees each one needs (``gateway.audit.tree`` does this over the store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "Key",
    "Range",
    "consistency_proof",
    "consistency_ranges",
    "fold",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "pieces",
    "subtree_seq",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = HASH()

Key = tuple[int, int]  # a perfect subtree: (level, index)
Range = tuple[int, int]  # leaves [start, end)

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): where the RFC splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_seq(key: Key) -> int:
    """The index of the last leaf of subtree ``key``: the entry whose append completes it."""
    level, index = key
    return ((index + 1) << level) - 1


def pieces(start: int, end: int) -> list[Key]:
    """The perfect subtrees that make up the tree node over ``[start, end)``, largest first.

    ``ValueError`` if the range is empty or is no node of any RFC 9162 tree.
    """
    if not 0 <= start < end:
        raise ValueError(f"leaf range [{start}, {end}) is empty or negative")
    keys: list[Key] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start & ((1 << level) - 1):
            raise ValueError(f"leaf range [{start}, {end}) is not a node of a Merkle tree")
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from the hashes of its ``pieces`` (largest first)."""
    if not hashes:
        raise ValueError("nothing to fold")
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes are PATH(index, D[size]), from the leaf's sibling upwards."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()  # collected from the root down; the path lists them leaf upwards
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes are PROOF(first, D[second]) (RFC 9162 section 2.1.4.1).

    Empty when ``first`` is 0 or equals ``second``: there is nothing to prove.
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    if first in (0, second):
        return []
    ranges: list[Range] = []
    start, end, m, whole = 0, second, first, True  # SUBPROOF(m, D[start:end], whole)
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (any length; the empty tree's root is HASH())."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """PATH(index, D[size]) over the first ``size`` leaf hashes (default: all of them)."""
    size = len(leaves) if size is None else size
    _check_size(leaves, size)
    return [tree_root(leaves[a:b]) for a, b in inclusion_ranges(index, size)]


def consistency_proof(
    leaves: Sequence[bytes], first: int, second: int | None = None
) -> list[bytes]:
    """PROOF(first, D[second]) over the first ``second`` leaf hashes (default: all)."""
    second = len(leaves) if second is None else second
    _check_size(leaves, second)
    return [tree_root(leaves[a:b]) for a, b in consistency_ranges(first, second)]


def _check_size(leaves: Sequence[bytes], size: int) -> None:
    if not 0 <= size <= len(leaves):
        raise ValueError(f"a tree of {size} leaves from {len(leaves)} leaf hashes")


def _lsb(n: int) -> int:
    return n & 1


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: is ``leaf`` at ``index`` in the tree ``(size, root)``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not _lsb(fn):
                while not (_lsb(fn) or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: does the tree ``(second, second_root)`` extend
    ``(first, first_root)``?

    The trivial cases the RFC leaves to the caller: equal sizes need equal roots and an
    empty proof; the empty tree (whose root is HASH()) is extended by every tree.
    """
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:  # step 1
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # step 2: first is a power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1  # step 3
    while _lsb(fn):  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not _lsb(fn):
                while not (_lsb(fn) or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0  # step 7


class Frontier:
    """The right edge of a growing tree: the hashes of ``pieces(0, size)``, largest first.

    That is all appending needs: a new leaf merges with the equal-sized subtrees at the
    end (one per trailing 1 bit of the old size), and the root folds the rest.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")
        self.size = size
        self.hashes = list(hashes)

    @staticmethod
    def keys(size: int) -> list[Key]:
        """The perfect subtrees whose hashes make the frontier of a tree of ``size`` leaves."""
        return pieces(0, size) if size else []

    def completed_by(self, leaf: bytes) -> list[bytes]:
        """The hashes of the subtrees ``leaf`` would complete, level 1 first (no change)."""
        completed: list[bytes] = []
        node, size, at = leaf, self.size, len(self.hashes)
        while size & 1:
            at -= 1
            node = node_hash(self.hashes[at], node)
            completed.append(node)
            size >>= 1
        return completed

    def append(self, leaf: bytes) -> list[bytes]:
        """Add a leaf; the hashes of the subtrees it completes, level 1 first."""
        completed: list[bytes] = []
        node, size, hashes = leaf, self.size, self.hashes
        while size & 1:
            node = node_hash(hashes.pop(), node)
            completed.append(node)
            size >>= 1
        hashes.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)
