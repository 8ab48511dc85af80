"""The ownership marker and the sync record: round trips and tolerance of user-edited text."""

from __future__ import annotations

import re
from unittest.mock import patch

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ctask_sync.engine import remote, syncrecord
from ctask_sync.engine.remote import _MARKER_RE, marker, read_marker, user_description, with_marker
from ctask_sync.engine.syncrecord import (
    VERSION_DESCRIPTION_LIMIT,
    Owner,
    SyncRecord,
    decode_record,
    encode_record,
)


def _record(files: dict[str, str] | None) -> SyncRecord:
    return SyncRecord(
        tool="0.1.0",
        commit="a" * 40,
        ref="refs/heads/main",
        commit_time=1_700_000_000,
        tag=None,
        content="sha256:" + "b" * 64,
        settings="sha256:" + "c" * 64,
        files=files,
        build=True,
    )


def test_marker_round_trip_with_spaces_and_unicode() -> None:
    owner = Owner(namespace="acme/tasks repo", key="fraud/xgb bínary")
    text = with_marker("Gradient boosted trees.", owner)
    assert text.splitlines()[-1] == marker(owner)
    assert read_marker(text) == owner
    assert user_description(text) == "Gradient boosted trees."


def test_marker_tolerates_text_a_user_added_after_it() -> None:
    owner = Owner(namespace="acme/tasks", key="k")
    text = with_marker("desc", owner) + "\n\nEdited in the UI by Jo."
    assert read_marker(text) == owner
    assert user_description(text) == "desc\n\nEdited in the UI by Jo."


def test_no_marker_means_not_owned() -> None:
    assert read_marker("A task someone made by hand") is None
    assert read_marker("") is None
    # a marker damaged by hand is not a marker
    assert read_marker("[ctask-sync:v1 namespace=acme key]") is None


def test_with_marker_replaces_an_old_marker_instead_of_stacking() -> None:
    owner = Owner(namespace="n", key="k")
    twice = with_marker(with_marker("d", owner), owner)
    assert twice.count("[ctask-sync:v1") == 1


def test_record_round_trip() -> None:
    record = _record({"custom.py": "0" * 24, "sub dir/ü.py": "1" * 24})
    assert decode_record(encode_record(record)) == record


def test_record_survives_user_text_around_it() -> None:
    record = _record({"custom.py": "0" * 24})
    text = "Release notes: faster fit.\n\n" + encode_record(record) + "\n\nthanks!"
    assert decode_record(text) == record


def test_record_drops_per_file_digests_when_they_would_not_fit() -> None:
    files = {f"folder/file_{i:05d}.py": "d" * 24 for i in range(400)}
    text = encode_record(_record(files))
    assert len(text) <= VERSION_DESCRIPTION_LIMIT
    decoded = decode_record(text)
    assert decoded is not None
    assert decoded.files is None
    assert decoded.content == "sha256:" + "b" * 64


def test_damaged_record_is_no_record() -> None:
    text = encode_record(_record(None)).replace('"content"', '"contnet"')
    assert decode_record(text) is None
    assert decode_record(None) is None


@pytest.mark.parametrize("body", ['["a", "list"]', '"text"', "12", "null", '{"tool": NaN}'])
def test_json_that_is_not_a_record_is_no_record(body: str) -> None:
    # typed into a version description in DataRobot's UI, between the record's own lines
    good = encode_record(_record(None))
    start, _, end = good.partition("\n")[0], None, good.rpartition("\n")[2]
    assert decode_record(f"{start}\n{body}\n{end}") is None
    assert decode_record("just words") is None


# The record and the marker are found with string searches in the common case; whatever the
# text, they must find exactly what the patterns find.
_PIECES = st.sampled_from(
    [
        syncrecord._RECORD_START,
        syncrecord._RECORD_END,
        '{"a":1}',
        "\n",
        " ",
        "\t",
        "\u2028",
        "x",
        "[ctask-sync:v1 namespace=ns key=k]",
        "[ctask-sync:v1 namespace=",
        "a%2Fb key=c]",
        "]",
    ]
)


_S, _E, _B = syncrecord._RECORD_START, syncrecord._RECORD_END, '{"a":1}'


@given(st.lists(_PIECES, max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
@example(f"notes\n\n{_S}\n{_B}\n{_E}")  # as encode_record writes it
@example(f"{_S}\n\n{_B}\n{_E}")
@example(f"{_S}\n {_B}\n{_E}")
@example(f"{_S}\n{_B}\n \n{_E}")
@example(f"{_S}\n{_B}\n{_B}\n{_E}")
@example(f"{_S}\n{_E}")
@example(f"{_S}\n\n{_E}")
@example(f"{_S}\n{_B}{_E}\n{_S}\n{_B}\n{_E}")
@example(f"{_S}{_S}\n{_B}\n{_E}")
def test_the_record_is_found_as_the_pattern_finds_it(text: str) -> None:
    match = syncrecord._RECORD_RE.search(text)
    assert syncrecord._record_body(text) == (match.group(1) if match else None)


@given(st.lists(_PIECES, max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
@example("Trees.\n\n[ctask-sync:v1 namespace=ns key=k]")
@example("[ctask-sync:v1 namespace=ns key=k]\n\n[ctask-sync:v1 namespace=ns key=k] x")
@example("[ctask-sync:v1 namespace=ns key=k]]] \n\t\n")
@example("x[ctask-sync:v1 namespace=ns key=k]")
def test_the_last_marker_is_found_as_the_pattern_finds_it(text: str) -> None:
    matches = list(remote._MARKER_RE.finditer(text))
    found = remote._last_marker(text)
    expected = matches[-1] if matches else None
    assert (found and found.span(), found and found.groups()) == (
        expected and expected.span(),
        expected and expected.groups(),
    )


def test_records_and_markers_as_ctask_sync_writes_them_take_the_quick_path() -> None:
    record = _record({"custom.py": "0" * 24})
    owner = Owner(namespace="acme", key="fraud/xgb")
    with patch.object(syncrecord, "_RECORD_RE", None):
        assert syncrecord._record_body(encode_record(record, prefix="notes")) is not None
    assert decode_record(encode_record(record, prefix="notes")) == record
    assert read_marker(with_marker("Trees.", owner)) == owner


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["\n", "\n\n\n", " ", "text", "[ctask-sync:v1 namespace=", "ns", " key=", "k/v", "]"]
        ),
        max_size=12,
    ).map("".join)
)
def test_user_description_equals_both_substitutions_in_turn(description: str) -> None:
    # the substitutions are skipped where they cannot match: the same text either way
    whole = re.sub(r"\n{3,}", "\n\n", _MARKER_RE.sub("", description)).strip()
    assert user_description(description) == whole
