"""Retry timing: the policy, full-jitter exponential backoff, and `Retry-After` parsing.

Which requests may be retried is the transport's business; this module only says how long to
wait. Every wait goes through `sleep` so tests can patch one function."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import msgspec


class RetryPolicy(msgspec.Struct):
    attempts: int = 5  # total tries for a retryable request
    backoff: float = 0.5  # first wait in seconds, doubled each time, with full jitter
    max_backoff: float = 30.0
    max_total: float = 120.0  # total seconds spent waiting on retries for one request
    # told of each retry before its wait, e.g. "HTTP 503, retrying in 2.0 s (2/5)" (the CLI
    # prints it on stderr; datarobot/ knows nothing of who listens)
    on_retry: Callable[[str], None] | None = None


def sleep(seconds: float) -> None:
    """Wait between attempts (the one place the client sleeps, so tests can patch it)."""
    time.sleep(seconds)


def backoff_delay(policy: RetryPolicy, retry_number: int, rng: random.Random) -> float:
    """Full-jitter backoff before retry number `retry_number` (1 for the first retry).

    Full jitter (uniform in [0, cap]) spreads many clients' retries apart after a shared outage."""
    cap = min(policy.max_backoff, policy.backoff * (2 ** (retry_number - 1)))
    return rng.uniform(0.0, cap)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), else None.

    A date in the past means "now" (0.0); anything unparseable is ignored (None)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # float() also accepts "nan" and "inf", which are no usable wait
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())
