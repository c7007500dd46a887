"""Hypothesis: valid identifiers of every scheme pass; single-digit changes fail.

Skipped when hypothesis is not installed (it is in the ``dev`` extra); the
seeded variant in test_identifiers_properties.py always runs.
"""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
strategies = pytest.importorskip("hypothesis.strategies")

from tests.unit.identifiers.builders import (  # noqa: E402
    BUILDERS,
    accepted,
    assert_changes_are_caught,
)

# No example database: the project root stays clean; no deadline: CI machines vary.
SETTINGS = hypothesis.settings(database=None, deadline=None, max_examples=300)


@SETTINGS
@hypothesis.given(
    scheme=strategies.sampled_from(sorted(BUILDERS)),
    rng=strategies.randoms(use_true_random=False),
)
def test_valid_identifiers_pass_and_every_single_digit_change_fails(scheme, rng):
    assert_changes_are_caught(scheme, BUILDERS[scheme](rng))


@SETTINGS
@hypothesis.given(
    scheme=strategies.sampled_from(sorted(BUILDERS)),
    rng=strategies.randoms(use_true_random=False),
    separator=strategies.sampled_from([" ", ".", "-", "/", "\u00a0"]),
    cuts=strategies.lists(strategies.integers(min_value=1, max_value=12), max_size=4),
)
def test_separators_never_change_the_notation(scheme, rng, separator, cuts):
    value = BUILDERS[scheme](rng)
    spaced = value
    for cut in sorted(set(cuts), reverse=True):
        spaced = spaced[:cut] + separator + spaced[cut:]
    assert accepted(scheme, f" {spaced} ")
