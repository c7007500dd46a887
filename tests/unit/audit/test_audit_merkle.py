"""RFC 9162 Merkle trees: known vectors, and a naive reference for every size 1..N.

The reference below is written straight from the RFC 9162 section 2.1 definitions
(MTH, PATH, SUBPROOF), recursively, with no shared code: it is the oracle for every
tree size up to N, every leaf index and every pair of sizes.
"""

from __future__ import annotations

import hashlib

import pytest

from gateway.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    consistency_ranges,
    fold,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    pieces,
    subtree_seq,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

N = 64

# ---- the reference: RFC 9162 section 2.1, literally -------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """MTH(D[n]) over the entries themselves (not their hashes)."""
    if not d:
        return sha256(b"")
    if len(d) == 1:
        return sha256(b"\x00" + d[0])
    k = largest_power_of_two_below(len(d))
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n])."""
    if len(d) == 1:
        return []
    k = largest_power_of_two_below(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b)."""
    if m == len(d):
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m < n."""
    return subproof(m, d, True)


ENTRIES = [f"entry {i}".encode() * (i % 5 + 1) for i in range(N)]
LEAVES = [leaf_hash(entry) for entry in ENTRIES]
ROOTS = [mth(ENTRIES[:n]) for n in range(N + 1)]

# ---- published vectors ----------------------------------------------------------------
# The RFC 6962 reference test tree of Certificate Transparency's C++ implementation:
# google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc (kInputs,
# kSHA256Roots, kSHA256Paths, kSHA256Proofs). Its leaf and snapshot numbers are 1-based
# there; the indices below are 0-based.

CT_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
CT_PATHS = [  # (leaf index, tree size, path)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CT_PROOFS = [  # (first size, second size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_LEAVES = [leaf_hash(data) for data in CT_INPUTS]


def test_the_published_roots_of_the_ct_reference_tree():
    assert EMPTY_ROOT.hex() == tree_root([]).hex() == CT_EMPTY
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert tree_root(CT_LEAVES[:size]).hex() == expected
        assert mth(CT_INPUTS[:size]).hex() == expected  # the reference agrees too


@pytest.mark.parametrize(("index", "size", "expected"), CT_PATHS)
def test_the_published_inclusion_paths(index, size, expected):
    assert [h.hex() for h in inclusion_proof(CT_LEAVES, index, size)] == expected
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert verify_inclusion(
        CT_LEAVES[index], index, size, [bytes.fromhex(h) for h in expected], root
    )


@pytest.mark.parametrize(("first", "second", "expected"), CT_PROOFS)
def test_the_published_consistency_proofs(first, second, expected):
    assert [h.hex() for h in consistency_proof(CT_LEAVES, first, second)] == expected
    assert verify_consistency(
        first,
        second,
        bytes.fromhex(CT_ROOTS[first - 1]),
        bytes.fromhex(CT_ROOTS[second - 1]),
        [bytes.fromhex(h) for h in expected],
    )


# ---- every size, index and pair against the reference ----------------------------------


def test_hashes_are_domain_separated():
    assert leaf_hash(b"x") == sha256(b"\x00x")
    assert node_hash(b"a" * 32, b"b" * 32) == sha256(b"\x01" + b"a" * 32 + b"b" * 32)
    assert leaf_hash(b"\x01" + b"a" * 32 + b"b" * 32) != node_hash(b"a" * 32, b"b" * 32)


def test_roots_of_every_size_match_the_reference():
    for size in range(N + 1):
        assert tree_root(LEAVES[:size]) == ROOTS[size], size


def test_the_frontier_grows_to_every_root_and_completes_the_right_subtrees():
    frontier = Frontier()
    for i, leaf in enumerate(LEAVES):
        assert frontier.completed_by(leaf) == frontier.copy().append(leaf)
        completed = frontier.append(leaf)
        assert frontier.root() == ROOTS[i + 1]
        # Entry i completes subtree (level, index) exactly when it is the subtree's last leaf.
        expected_levels = [lv for lv in range(1, 7) if (i + 1) % (1 << lv) == 0]
        assert len(completed) == len(expected_levels)
        for level, digest in zip(expected_levels, completed, strict=True):
            index = (i + 1 >> level) - 1
            assert subtree_seq((level, index)) == i
            start = index << level
            assert digest == mth(ENTRIES[start : start + (1 << level)])


def test_a_frontier_rebuilt_from_its_keys_continues_the_same_tree():
    for size in range(N):
        keys = Frontier.keys(size)
        hashes = [mth(ENTRIES[i << lv : (i + 1) << lv]) for lv, i in keys]
        frontier = Frontier(size, hashes)
        assert frontier.root() == ROOTS[size]
        frontier.append(LEAVES[size])
        assert frontier.root() == ROOTS[size + 1]


def test_inclusion_proofs_for_every_index_of_every_size():
    for size in range(1, N + 1):
        for index in range(size):
            expected = path(index, ENTRIES[:size])
            got = inclusion_proof(LEAVES, index, size)
            assert got == expected, (index, size)
            assert verify_inclusion(LEAVES[index], index, size, got, ROOTS[size])


def test_consistency_proofs_for_every_pair_of_sizes():
    for second in range(1, N + 1):
        for first in range(1, second + 1):
            expected = [] if first == second else proof(first, ENTRIES[:second])
            got = consistency_proof(LEAVES, first, second)
            assert got == expected, (first, second)
            assert verify_consistency(first, second, ROOTS[first], ROOTS[second], got)


def test_range_hashes_fold_from_their_pieces():
    # Every range a proof names is a node of the tree: its pieces fold to its MTH.
    for size in range(1, N + 1):
        ranges = {r for i in range(size) for r in inclusion_ranges(i, size)}
        ranges |= {r for m in range(size + 1) for r in consistency_ranges(m, size)}
        for start, end in ranges:
            hashes = [mth(ENTRIES[i << lv : (i + 1) << lv]) for lv, i in pieces(start, end)]
            assert fold(hashes) == mth(ENTRIES[start:end])


# ---- what verification refuses --------------------------------------------------------

BAD = b"\xee" * 32


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 31, 64])
def test_inclusion_verification_refuses_anything_changed(size):
    for index in range(size):
        good = inclusion_proof(LEAVES, index, size)
        root, leaf = ROOTS[size], LEAVES[index]
        assert verify_inclusion(leaf, index, size, good, root)
        others = {index - 1, index + 1, index ^ 2, size} - {index}
        for other in others:
            assert not verify_inclusion(leaf, other, size, good, root), (index, other)
        # A path proves a leaf in a tree (size, root); another size with the same root fails.
        # (Sizes whose trees share the leaf's path shape, e.g. 3 and 4 for leaf 0, compute
        # the same root: harmless, since a signed head binds the root to its size.)
        for other_size in {size * 2, size // 2} - {size}:
            assert not verify_inclusion(leaf, index, other_size, good, root)
        assert not verify_inclusion(BAD, index, size, good, root)
        assert not verify_inclusion(leaf, index, size, good, EMPTY_ROOT)
        for at in range(len(good)):
            assert not verify_inclusion(leaf, index, size, [*good[:at], BAD, *good[at + 1 :]], root)
        assert not verify_inclusion(leaf, index, size, [*good, BAD], root)
        assert not verify_inclusion(leaf, index, size, [BAD, *good], root)
        if good:
            assert not verify_inclusion(leaf, index, size, good[:-1], root)


@pytest.mark.parametrize("second", [2, 3, 5, 8, 13, 31, 64])
def test_consistency_verification_refuses_anything_changed(second):
    for first in range(1, second):
        good = consistency_proof(LEAVES, first, second)
        r1, r2 = ROOTS[first], ROOTS[second]
        assert verify_consistency(first, second, r1, r2, good)
        for other in {first - 1, first + 1, first ^ 2} - {first, 0}:
            assert not verify_consistency(other, second, r1, r2, good), (first, other)
        for other in {second * 2, second // 2} - {second}:
            assert not verify_consistency(first, other, r1, r2, good)
        assert not verify_consistency(first, second, r1, BAD, good)
        assert not verify_consistency(first, second, BAD, r2, good)
        assert not verify_consistency(first, second, r2, r1, good)
        assert not verify_consistency(first, second, r1, r2, [])
        for at in range(len(good)):
            changed = [*good[:at], BAD, *good[at + 1 :]]
            assert not verify_consistency(first, second, r1, r2, changed)
        assert not verify_consistency(first, second, r1, r2, [*good, BAD])
        assert not verify_consistency(first, second, r1, r2, [BAD, *good])
        assert not verify_consistency(first, second, r1, r2, good[:-1])


def test_the_trivial_consistency_cases():
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])  # the empty tree is a prefix
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[5], [ROOTS[5]])
    assert not verify_consistency(0, 5, BAD, ROOTS[5], [])
    assert not verify_consistency(6, 5, ROOTS[6], ROOTS[5], [])  # time travel
    assert consistency_proof(LEAVES, 0, 5) == consistency_proof(LEAVES, 5, 5) == []


def test_impossible_requests_are_value_errors():
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_ranges(5, 5)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_ranges(6, 5)
    with pytest.raises(ValueError, match="not a node"):
        pieces(1, 3)  # two leaves that are no subtree's
    with pytest.raises(ValueError, match="empty"):
        pieces(4, 4)
    with pytest.raises(ValueError, match="leaf hashes"):
        inclusion_proof(LEAVES[:3], 0, 4)
    with pytest.raises(ValueError, match="frontier hashes"):
        Frontier(3, [BAD])
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(LEAVES[0], -1, 1, [], LEAVES[0])
