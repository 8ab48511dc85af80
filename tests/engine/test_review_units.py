"""Pure pieces of the reviewable plan: renames from digests, one-line excerpts, plurals, and when
colour is on (plain values, no I/O)."""

from __future__ import annotations

import io

import pytest

from ctask_sync.engine.detect import renames
from ctask_sync.report.colour import paint, wanted
from ctask_sync.words import excerpt, plural


def test_renames_pair_removed_and_added_paths_of_equal_content() -> None:
    local = {"lib/a.py": "d1", "lib/b.py": "d1", "new.py": "d9"}
    remote = {"a.py": "d1", "gone.py": "d2"}
    added = ("lib/a.py", "lib/b.py", "new.py")
    # one old path pairs with one new path (the first in path order); the rest stay added
    assert renames(added, ("a.py", "gone.py"), local, remote) == (("a.py", "lib/a.py"),)
    assert renames(added, (), local, remote) == ()


def test_excerpt_is_one_short_line_cut_at_a_word() -> None:
    assert excerpt("short") == '"short"'
    assert excerpt("two\n  lines") == '"two lines"'
    assert excerpt("alpha beta gamma delta", limit=15) == '"alpha beta…"'


@pytest.mark.parametrize(
    ("count", "word", "shown"),
    [(0, "error", "0 errors"), (1, "version", "1 version"), (1, "failed build", "1 failed build")],
)
def test_plural(count: int, word: str, shown: str) -> None:
    assert plural(count, word) == shown


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "env", "flag", "on"),
    [
        (_Tty(), {}, False, True),
        (_Tty(), {"TERM": "dumb"}, False, False),
        (_Tty(), {"NO_COLOR": "1"}, False, False),
        (_Tty(), {}, True, False),
        (io.StringIO(), {}, False, False),
        (io.StringIO(), {"FORCE_COLOR": "1"}, False, True),
        (io.StringIO(), {"FORCE_COLOR": "0"}, False, False),
        (io.StringIO(), {"FORCE_COLOR": "1", "NO_COLOR": "x"}, False, False),
    ],
)
def test_colour_is_wanted(stream: io.StringIO, env: dict[str, str], flag: bool, on: bool) -> None:
    assert wanted(stream, no_color=flag, env=env) is on


def test_paint_colours_the_plan_symbols() -> None:
    assert [paint(s, s, True) for s in "+~-!"] == [
        "\033[32m+\033[0m",
        "\033[33m~\033[0m",
        "\033[31m-\033[0m",
        "\033[1;31m!\033[0m",
    ]
    assert paint("+", "+", False) == "+" and paint("=", "=", True) == "="
