"""Replay protection: each nonce once, signing times within the window."""

from __future__ import annotations

import pytest

from gateway.errors import ReplayError, StaleMessageError
from gateway.replay import ReplayCache


def test_a_nonce_is_accepted_once():
    cache = ReplayCache(window=300)
    cache.check("n1", iat=1000, now=1000)
    with pytest.raises(ReplayError) as info:
        cache.check("n1", iat=1001, now=1001)
    assert info.value.type == "Server.ServerProxy.InvalidMessage"


@pytest.mark.parametrize("iat", [1000 - 301, 1000 + 301])
def test_signing_time_outside_the_window_is_stale(iat):
    with pytest.raises(StaleMessageError):
        ReplayCache(window=300).check("n", iat=iat, now=1000)


def test_old_nonces_are_forgotten_only_after_they_would_be_stale():
    cache = ReplayCache(window=10)
    cache.check("old", iat=0, now=0)
    cache.check("new", iat=15, now=15)
    assert len(cache) == 2  # "old" kept: 15 < 0 + 2 * 10
    cache.check("newer", iat=25, now=25)
    assert len(cache) == 2  # "old" purged
    with pytest.raises(StaleMessageError):
        cache.check("old", iat=0, now=25)  # and it could not come back anyway


def test_load_restores_nonces_after_a_restart():
    cache = ReplayCache(window=300)
    cache.load([("seen", 990.0), ("ancient", 0.0)], now=1000)
    with pytest.raises(ReplayError):
        cache.check("seen", iat=995, now=1000)
    assert len(cache) == 1
