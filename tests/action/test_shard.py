from __future__ import annotations

import hashlib

import pytest

from ctask_sync.engine.shard import in_shard, parse_shard, shard_of
from ctask_sync.errors import ConfigError


def test_shard_is_sha256_prefix_mod_n() -> None:
    key = "models/xgb"
    expected = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 5 + 1
    assert shard_of(key, 5) == expected
    assert in_shard(key, expected, 5)


def test_every_key_is_in_exactly_one_shard_and_shards_are_balanced() -> None:
    keys = [f"tasks/t{k}" for k in range(400)]
    counts = {i: 0 for i in range(1, 5)}
    for key in keys:
        owners = [i for i in range(1, 5) if in_shard(key, i, 4)]
        assert len(owners) == 1
        counts[owners[0]] += 1
    assert all(60 < c < 140 for c in counts.values()), counts


def test_single_shard_owns_everything() -> None:
    assert all(in_shard(f"k{k}", 1, 1) for k in range(50))


@pytest.mark.parametrize(
    ("text", "parsed"), [("1/1", (1, 1)), ("2/4", (2, 4)), (" 3 / 3 ", (3, 3))]
)
def test_parse_shard_accepts(text: str, parsed: tuple[int, int]) -> None:
    assert parse_shard(text) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2", "invalid shard '2': expected I/N"),
        ("a/b", "invalid shard 'a/b': expected I/N"),
        ("-1/3", "invalid shard '-1/3': expected I/N"),
        ("²/4", "invalid shard '²/4': expected I/N"),
        ("0/3", "invalid shard '0/3': I must be between 1 and N"),
        ("4/3", "invalid shard '4/3': I must be between 1 and N"),
        ("1/0", "invalid shard '1/0': I must be between 1 and N"),
    ],
)
def test_parse_shard_rejects_with_clear_message(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_shard(text)
    assert info.value.message == message
    assert "e.g. 2/4" in str(info.value)
