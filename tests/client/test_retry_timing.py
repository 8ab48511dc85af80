"""Retry timing without a server: Retry-After parsing and full-jitter backoff bounds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctask_sync.datarobot.retry import RetryPolicy, backoff_delay, parse_retry_after

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1", 1.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("Thu, 26 Nov 2026 12:00:07 GMT", 7.0),
        ("Thu, 26 Nov 2026 11:59:00 GMT", 0.0),  # a date in the past: retry now
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_backoff_is_full_jitter_doubling_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=3.0)
    rng = random.Random(7)
    for retry_number, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (10, 3.0)]:
        delays = [backoff_delay(policy, retry_number, rng) for _ in range(200)]
        assert all(0.0 <= d <= cap for d in delays)
        # full jitter spreads over the whole range, not just near the cap
        assert min(delays) < cap * 0.2
        assert max(delays) > cap * 0.8


@given(st.integers(min_value=0, max_value=7 * 24 * 3600))
def test_http_date_gives_the_seconds_until_it(seconds: int) -> None:
    header = format_datetime(NOW + timedelta(seconds=seconds), usegmt=True)
    assert parse_retry_after(header, now=NOW) == float(seconds)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_delta_seconds_round_trip(seconds: float) -> None:
    assert parse_retry_after(repr(seconds), now=NOW) == seconds
