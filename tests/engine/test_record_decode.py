"""The typed read of a sync record (syncrecord.decode_record) gives exactly what the general read
(syncrecord._general_record) gives, for records as ctask-sync writes them and for any odd body: a
field of another kind, a field missing, duplicate keys, JSON that is not an object."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ctask_sync.engine import syncrecord
from ctask_sync.engine.syncrecord import SyncRecord, decode_record, encode_record

# Values of every JSON kind.
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(["success", "failed", ""]),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.just([1, None]),
    st.just({"a": 1}),
)
_MISSING = object()
_TEXT = st.text(max_size=8)
_MAYBE_TEXT = st.one_of(st.none(), _TEXT)
_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "tool": _TEXT,
    "content": _TEXT,
    "settings": _TEXT,
    "commit": _MAYBE_TEXT,
    "ref": _MAYBE_TEXT,
    "time": st.one_of(st.none(), st.integers(0, 2**40)),
    "tag": _MAYBE_TEXT,
    "files": st.one_of(st.none(), st.dictionaries(_TEXT, _TEXT, max_size=3)),
    "build": st.booleans(),
    "build_outcome": st.one_of(st.none(), st.sampled_from(["success", "failed"])),
    "dirty": st.booleans(),
    "parents": st.lists(_TEXT, max_size=2),
    "namespace": _MAYBE_TEXT,
    "key": _MAYBE_TEXT,
    "root": _MAYBE_TEXT,
    "folder": _MAYBE_TEXT,
    "shared": st.lists(_TEXT, max_size=2),
}


def _record_data(odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A record's JSON object; with odd, any field may be missing or of any kind."""

    def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(good, good, ODD, st.just(_MISSING)) if odd else good

    return st.fixed_dictionaries({k: field(v) for k, v in _FIELDS.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not _MISSING}
    )


def _description(body: str) -> str:
    """A version description holding body where encode_record puts a record's JSON."""
    return f"{syncrecord._RECORD_START}\n{body}\n{syncrecord._RECORD_END}"


def _general(body: str) -> SyncRecord | None:
    return syncrecord._general_record(body)


@settings(max_examples=300, deadline=None)
@given(_record_data(odd=False))
def test_records_as_written_take_the_typed_read_and_read_the_same(data: dict[str, Any]) -> None:
    body = json.dumps(data, ensure_ascii=False)
    assert syncrecord._WIRE_DECODER.decode(body) is not None  # the typed read takes it
    assert decode_record(_description(body)) == _general(body)


@st.composite
def _one_odd_field(draw: st.DrawFn) -> dict[str, Any]:
    """A record as written with exactly one field missing or of any kind: the bodies that
    tell whether the two reads agree field by field."""
    data = draw(_record_data(odd=False))
    name = draw(st.sampled_from(sorted(_FIELDS)))
    if draw(st.booleans()):
        data.pop(name, None)
    else:
        data[name] = draw(ODD)
    return data


@settings(max_examples=500, deadline=None)
@given(_one_odd_field())
@example({"tool": "t", "content": "c", "settings": "s", "build_outcome": "running"})
@example({"tool": "t", "content": "c", "settings": "s", "files": {"a": 1}})
@example({"tool": "t", "content": "c", "settings": "s", "namespace": 3})
def test_one_odd_field_reads_the_same(data: dict[str, Any]) -> None:
    body = json.dumps(data, ensure_ascii=False)
    assert decode_record(_description(body)) == _general(body)


@settings(max_examples=300, deadline=None)
@given(_record_data(odd=True))
@example({"tool": "t", "content": "c", "settings": "s", "time": 1.0})
@example({"tool": "t", "content": "c", "settings": "s", "time": True})
@example({"tool": "t", "content": "c", "settings": "s", "build": None})
@example({"tool": "t", "content": "c", "settings": "s", "parents": "ab"})
@example({"tool": 7, "content": "c", "settings": "s"})
@example({"tool": "t", "content": "c", "settings": "s", "time": 2**70})
def test_odd_records_read_the_same(data: dict[str, Any]) -> None:
    body = json.dumps(data, ensure_ascii=False)
    assert decode_record(_description(body)) == _general(body)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(_FIELDS)), ODD, ODD)
def test_duplicate_keys_read_the_same(name: str, first: Any, second: Any) -> None:
    """JSON lets a key appear twice; both reads must keep the same one."""
    base = '"tool":"t","content":"c","settings":"s"'
    key = json.dumps(name)
    body = f"{{{base},{key}:{json.dumps(first)},{key}:{json.dumps(second)}}}"
    assert decode_record(_description(body)) == _general(body)


@given(ODD)
def test_a_body_that_is_not_an_object_is_no_record(value: Any) -> None:
    body = json.dumps(value)
    assert decode_record(_description(body)) is None
    assert _general(body) is None


def test_deep_json_is_no_record() -> None:
    body = '{"tool":"t","content":"c","settings":"s","x":' + "[" * 100_000 + "]" * 100_000 + "}"
    assert decode_record(_description(body)) == _general(body)


def test_a_written_record_round_trips_through_the_typed_read() -> None:
    record = SyncRecord(
        tool="0.1.0",
        commit="a" * 40,
        ref="refs/heads/main",
        commit_time=1_700_000_000,
        tag="v1",
        content="sha256:" + "b" * 64,
        settings="sha256:" + "c" * 64,
        files={"custom.py": "d" * 24},
        build=True,
        build_outcome="failed",
        dirty=True,
        parents=("e" * 40,),
        namespace="acme/tasks",
        key="fraud/xgb",
        root=".",
        folder="fraud/xgb",
        shared=("ana",),
    )
    text = encode_record(record)
    body = syncrecord._record_body(text)
    assert body is not None
    syncrecord._WIRE_DECODER.decode(body)  # raises if the typed read would not take it
    assert decode_record(text) == record
