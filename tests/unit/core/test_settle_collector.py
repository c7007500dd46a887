"""A serving node's garbage collector: start-up frozen, the youngest generation collected rarely."""

from __future__ import annotations

import gc

from gateway.app import YOUNG_GENERATION_THRESHOLD, settle_collector


def test_settle_collector_freezes_start_up_and_raises_the_young_threshold():
    before = gc.get_threshold()
    try:
        gc.unfreeze()
        kept = [object() for _ in range(10)] + [[] for _ in range(10)]
        settle_collector()
        assert gc.get_freeze_count() > len(kept) // 2  # the lists, at least
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *before[1:])
        assert YOUNG_GENERATION_THRESHOLD > 700  # above CPython's default
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
