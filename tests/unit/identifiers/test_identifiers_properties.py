"""Generated valid identifiers pass and single-digit changes fail: seeded, always run.

The same property runs under hypothesis in test_identifiers_hypothesis.py.
"""

from __future__ import annotations

import random

import pytest

from tests.unit.identifiers.builders import BUILDERS, assert_changes_are_caught


@pytest.mark.parametrize("scheme", sorted(BUILDERS))
def test_generated_identifiers_pass_and_changes_fail(scheme):
    rng = random.Random(f"xgw identifiers {scheme}")
    for _ in range(200):
        assert_changes_are_caught(scheme, BUILDERS[scheme](rng))
