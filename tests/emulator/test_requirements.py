"""requirements.txt -> DataRobot Dependency objects."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctask_sync.emulator.requirements import parse_requirements


def test_names_pins_ranges_extras_and_comments() -> None:
    text = (
        "# a comment line\n"
        "numpy\n"
        "pandas==2.1.0   # trailing comment\n"
        "\n"
        "scikit-learn >= 1.3 , < 2\n"
        "uvicorn[standard]>=0.20\n"
        "Foo.Bar_baz>1.0rc1\n"
    )
    parsed = parse_requirements(text)
    assert parsed.invalid == []
    assert parsed.dependencies == [
        {"packageName": "numpy", "constraints": [], "line": "numpy", "lineNumber": 2},
        {
            "packageName": "pandas",
            "constraints": [{"constraintType": "==", "version": "2.1.0"}],
            "line": "pandas==2.1.0",
            "lineNumber": 3,
        },
        {
            "packageName": "scikit-learn",
            "constraints": [
                {"constraintType": ">=", "version": "1.3"},
                {"constraintType": "<", "version": "2"},
            ],
            "line": "scikit-learn >= 1.3 , < 2",
            "lineNumber": 5,
        },
        {
            "packageName": "uvicorn",
            "constraints": [{"constraintType": ">=", "version": "0.20"}],
            "line": "uvicorn[standard]>=0.20",
            "lineNumber": 6,
        },
        {
            "packageName": "Foo.Bar_baz",
            "constraints": [{"constraintType": ">", "version": "1.0rc1"}],
            "line": "Foo.Bar_baz>1.0rc1",
            "lineNumber": 7,
        },
    ]


@pytest.mark.parametrize(
    "line",
    [
        "-r base.txt",
        "--index-url https://example.invalid/simple",
        "torch~=2.0",
        "torch!=2.0",
        "requests; python_version < '3.8'",
        "git+https://github.com/org/repo.git",
        "numpy==",
        "==1.0",
    ],
)
def test_unsupported_lines_are_invalid_with_their_line_number(line: str) -> None:
    parsed = parse_requirements(f"numpy\n{line}\n")
    assert [d["packageName"] for d in parsed.dependencies] == ["numpy"]
    assert parsed.invalid == [{"line": line, "lineNumber": 2}]


def test_empty_and_comment_only_files_have_no_dependencies() -> None:
    assert parse_requirements("").dependencies == []
    assert parse_requirements("# nothing\n\n   \n").dependencies == []


_names = st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,20}[A-Za-z0-9]", fullmatch=True)
_versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)
_constraints = st.lists(
    st.tuples(st.sampled_from(["<", "<=", "==", ">=", ">"]), _versions), max_size=3
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_names, _constraints), min_size=1, max_size=8))
def test_any_supported_line_round_trips(entries: list[tuple[str, list[tuple[str, str]]]]) -> None:
    lines = [name + ",".join(op + version for op, version in spec) for name, spec in entries]
    parsed = parse_requirements("\n".join(lines))
    assert parsed.invalid == []
    assert [
        (d["packageName"], [(c["constraintType"], c["version"]) for c in d["constraints"]])
        for d in parsed.dependencies
    ] == [(name, spec) for name, spec in entries]
    assert [d["lineNumber"] for d in parsed.dependencies] == list(range(1, len(entries) + 1))
