"""DataRobot-shaped identifiers (24 hex digits, like MongoDB ObjectIds) and timestamps."""

from __future__ import annotations

import itertools
import os
import threading
import time
from datetime import datetime, timezone

_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_counter_lock = threading.Lock()
_process_random = os.urandom(5)


def new_id() -> str:
    """A new ObjectId-like id: 4 bytes of time, 5 per-process bytes, a 3-byte counter."""
    with _counter_lock:
        count = next(_counter) & 0xFFFFFF
    stamp = int(time.time()) & 0xFFFFFFFF
    return stamp.to_bytes(4, "big").hex() + _process_random.hex() + count.to_bytes(3, "big").hex()


def iso(epoch: float) -> str:
    """ISO-8601 in UTC with microseconds, as DataRobot writes it: 2020-05-05T19:38:46.406154Z."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
