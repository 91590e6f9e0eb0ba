"""Token buckets: capacity, refill, waits and bounded memory."""

from __future__ import annotations

import pytest

from autopkg import ratelimit
from autopkg.ratelimit import TokenBuckets, retry_after_seconds
from tests.fixtures.clock import ManualClock


def test_a_bucket_allows_its_rate_then_refills() -> None:
    clock = ManualClock()
    buckets = TokenBuckets(120, clock=clock)  # two tokens a second
    assert [buckets.take("a") for _ in range(120)] == [0.0] * 120
    assert buckets.take("a") == 0.5
    assert buckets.wait_for("a") == 0.5
    assert buckets.take("b") == 0.0
    clock.now += 0.25
    assert buckets.take("a") == 0.25
    clock.now += 0.25
    assert buckets.wait_for("a") == 0.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == 0.5
    # Never more than the capacity, however long it waits.
    clock.now += 3600
    assert [buckets.take("a") for _ in range(121)][-2:] == [0.0, 0.5]


def test_full_buckets_are_forgotten_when_many_are_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "_PRUNE_ABOVE", 10)
    clock = ManualClock()
    buckets = TokenBuckets(60, clock=clock)
    for index in range(10):
        buckets.take(f"old-{index}")
    clock.now += 60
    buckets.take("new")
    assert len(buckets._levels) == 1


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert retry_after_seconds(0.01) == 1
    assert retry_after_seconds(2.2) == 3
    assert retry_after_seconds(5.0) == 5
