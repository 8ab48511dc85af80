"""Split tasks across the jobs of a CI matrix by a stable hash of their key.

The hash must not depend on Python's per-process hash seed, the order of discovery or the number
of tasks, so every job of a matrix (and every later run) agrees on which shard owns a key."""

from __future__ import annotations

import hashlib
import re

from ctask_sync.errors import ConfigError

_SHARD_RE = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*", re.ASCII)
_SHARD_HINT = "write the shard as I/N with 1 <= I <= N, e.g. 2/4 for the second of four jobs"


def shard_of(key: str, n: int) -> int:
    """The 1-based shard (of n) that owns key: sha256 of the key, first 8 bytes, mod n."""
    if n < 1:
        raise ValueError(f"shard count must be at least 1, got {n}")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def in_shard(key: str, i: int, n: int) -> bool:
    """True when the task key belongs to shard i of n (1-based)."""
    return shard_of(key, n) == i


def parse_shard(text: str) -> tuple[int, int]:
    """Parse "I/N" (1-based, 1 <= I <= N) into (I, N); raise ConfigError otherwise."""
    match = _SHARD_RE.fullmatch(text)
    if match is None:
        raise ConfigError(f"invalid shard {text!r}: expected I/N", hint=_SHARD_HINT)
    i, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ConfigError(f"invalid shard {text!r}: I must be between 1 and N", hint=_SHARD_HINT)
    return i, n
