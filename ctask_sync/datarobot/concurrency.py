"""How many requests may be in flight to DataRobot at once: a limit that adapts (issue 17).

DataRobot publishes no rate limit, so the limit starts where a careful script would (8), grows
by one for each response that came back promptly, stops growing as soon as responses slow
down, never passes a cap the user sets, and halves on 429 or 503 (at most once per round trip,
so one burst of refusals is one signal). This is TCP's congestion control in miniature: slow
start, then multiplicative decrease. `Retry-After` is honoured by the transport's retry wait,
which is spent outside the limit, so a refused request holds no slot while it waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

DEFAULT_START = 8
DEFAULT_CAP = 32
# "Promptly": within twice the fastest response seen so far, plus 50 ms for a busy client.
PROMPT_FACTOR = 2.0
PROMPT_SLACK_SECONDS = 0.05


class Concurrency(msgspec.Struct, frozen=True):
    """The user's setting: where the limit starts and the most it may grow to."""

    start: int = DEFAULT_START
    cap: int = DEFAULT_CAP

    def __post_init__(self) -> None:
        if self.start < 1 or self.cap < self.start:
            raise ValueError(f"need 1 <= start <= cap, got start={self.start}, cap={self.cap}")


class AdaptiveLimit:
    """A gate for in-flight requests whose width adapts; thread-safe."""

    def __init__(self, setting: Concurrency | None = None) -> None:
        self.setting = setting or Concurrency()
        self._limit = self.setting.start
        self._in_flight = 0
        self._fastest: float | None = None
        self._last_cut = float("-inf")
        self.peak = self._limit  # the widest the gate got in this run, for reports
        self.most_in_flight = 0  # the most requests that were ever in flight at once
        self.cuts = 0
        self._cond = threading.Condition()

    @property
    def limit(self) -> int:
        with self._cond:
            return self._limit

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the `limit` places for the duration of one request."""
        with self._cond:
            while self._in_flight >= self._limit:
                self._cond.wait()
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify()

    def answered(self, seconds: float) -> None:
        """A response arrived after `seconds`: widen the gate if it was prompt."""
        with self._cond:
            fastest = self._fastest = (
                seconds if self._fastest is None else min(self._fastest, seconds)
            )
            if seconds > fastest * PROMPT_FACTOR + PROMPT_SLACK_SECONDS:
                return  # DataRobot is slowing down: more requests would queue, not help
            if self._limit < self.setting.cap:
                self._limit += 1
                self.peak = max(self.peak, self._limit)
                self._cond.notify()

    def refused(self) -> None:
        """A 429 or 503: halve the gate, once per round trip however many refusals arrive."""
        now = time.monotonic()
        with self._cond:
            window = max(self._fastest or 0.0, 0.1)
            if now - self._last_cut < window:
                return
            self._last_cut = now
            self._limit = max(1, self._limit // 2)
            self.cuts += 1
