"""Markdown from report/markdown.py rendered by a CommonMark parser with GFM tables (markdown-it,
which follows the spec GitHub's cmark-gfm implements): a code span holding `|` reads the same,
with no stray backslash, in a table cell and in a paragraph, and never splits the cell."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from ctask_sync.report.markdown import code

RENDER = MarkdownIt("commonmark").enable("table")


def _text(rendered: str) -> str:
    """What a reader sees: the rendered HTML without its tags."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("value", ["feat/x|y", "|a||b|", "a`|`b", "plain", "x | y"])
def test_a_code_span_reads_the_same_in_a_table_and_outside(value: str) -> None:
    shown = " ".join(value.split())
    paragraph = RENDER.render(f"Push to {code(value)} now")
    assert _text(paragraph) == f"Push to {shown} now"
    table = RENDER.render(f"| key | action |\n|---|---|\n| {code(value)} | update |\n")
    cells = re.findall(r"<td>(.*?)</td>", table, re.DOTALL)
    assert [_text(c) for c in cells] == [shown, "update"]
