"""The emulator reads model-metadata.yaml with libyaml where both loaders agree, and gets
PyYAML's own verdict everywhere else: the arguments of a version never depend on which ran."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ctask_sync.emulator.metadata import _load, task_arguments
from ctask_sync.emulator.model import ItemRecord

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _python(blob: bytes) -> Any:
    return yaml.safe_load(blob)


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from(["block", "flow"]))
def test_both_loaders_read_any_document_alike(value: Any, style: str) -> None:
    text = yaml.safe_dump(value, default_flow_style=style == "flow", allow_unicode=True)
    blob = text.encode("utf-8")
    assert _load(blob) == _python(blob)


@pytest.mark.parametrize(
    "blob",
    [
        b"hyperparameters:\n  - name: a\n    type: int\n    min: 1\n    max: 2\n",
        b"a: &x [1, 2]\nb: *x\n",  # aliases
        b"k: \x07bell\n",  # non-printable: PyYAML refuses it
        b"k: \xff\xfe",  # not UTF-8
        "\ufeffk: 1\n".encode("utf-16"),  # UTF-16 with a BOM: PyYAML reads it
        b"k: [unclosed\n",
        b"",
    ],
)
def test_odd_files_get_pyyamls_verdict(blob: bytes) -> None:
    try:
        expected: Any = ("value", _python(blob))
    except yaml.YAMLError as error:
        expected = ("error", type(error).__name__)
    try:
        got: Any = ("value", _load(blob))
    except yaml.YAMLError as error:
        got = ("error", type(error).__name__)
    assert got == expected


def test_deep_metadata_gives_no_arguments_not_a_crash() -> None:
    blob = b"hyperparameters: " + b"[" * 100_000 + b"]" * 100_000
    item = ItemRecord(
        id="i1",
        file_name="model-metadata.yaml",
        file_path="model-metadata.yaml",
        blob="b1",
        size=len(blob),
        created=0.0,
    )
    assert task_arguments([item], lambda _blob: blob) == []
