"""The glob language of files.include / files.exclude (gitignore-like, see globs.py)."""

from __future__ import annotations

import pytest

from ctask_sync.manifest.globs import GlobError, check_pattern, compile_glob


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        ("*.py", "custom.py", False, True),
        ("*.py", "a/b/helper.py", False, True),
        ("*.py", "custom.pyc", False, False),
        ("tests/**", "tests/test_a.py", False, True),
        ("tests/**", "tests/deep/x.py", False, True),
        ("tests/**", "sub/tests/x.py", False, False),
        ("tests", "sub/tests/x.py", False, True),
        ("**/fixtures", "a/b/fixtures/f.json", False, True),
        ("a/**/b.py", "a/b.py", False, True),
        ("a/**/b.py", "a/x/y/b.py", False, True),
        ("a/**/b.py", "ab.py", False, False),
        ("src/*.py", "src/a.py", False, True),
        ("src/*.py", "src/sub/a.py", False, False),
        ("./src/*.py", "src/a.py", False, True),
        ("cache/", "cache", False, False),
        ("cache/", "cache", True, True),
        ("cache/", "x/cache/y.bin", False, True),
        ("data?.csv", "data1.csv", False, True),
        ("data?.csv", "data10.csv", False, False),
        ("[!a]*.txt", "b.txt", False, True),
        ("[!a]*.txt", "a.txt", False, False),
        ("[ab].txt", "b.txt", False, True),
        ("my file.txt", "dir/my file.txt", False, True),
        ("modèle.pkl", "données/modèle.pkl", False, True),
        ("a+b(c).py", "a+b(c).py", False, True),
        ("**", "anything/at/all", False, True),
    ],
)
def test_matches(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    assert compile_glob(pattern).matches(path, is_dir=is_dir) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("../x", "contains '..': globs cannot reach outside the task folder"),
        ("a/../../x", "contains '..': globs cannot reach outside the task folder"),
        ("/etc/passwd", "is absolute: globs are relative to the task folder"),
        ("C:\\x", "is absolute: globs are relative to the task folder"),
        ("a\\b", "contains '\\': use '/' to separate folders"),
        ("a//b", "contains an empty path segment ('//')"),
        ("[abc", "has an unclosed '[' character class"),
        ("  ", "is empty"),
    ],
)
def test_rejected_patterns(pattern: str, message: str) -> None:
    with pytest.raises(GlobError) as info:
        check_pattern(pattern)
    assert str(info.value) == message
