"""report/markdown.py: remote text rendered inert, fences it cannot close, and the job summary
kept under GitHub's 1 MiB limit with its head and tail."""

from __future__ import annotations

from typing import Any

import pytest

from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.github.action import job_summary
from ctask_sync.github.summary import apply_markdown
from ctask_sync.report.markdown import (
    SUMMARY_LIMIT_BYTES,
    ZWJ,
    cap_middle,
    code,
    fence,
    inert,
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("ping @org/team", f"ping @{ZWJ}org/team"),
        ("fixes #12", f"fixes #{ZWJ}12"),
        ("<!-- hide", "&lt;!-- hide"),
        ("![x](https://e.invalid/p.png)", "!\\[x\\](https://e.invalid/p.png)"),
        ("[click](javascript:x)", "\\[click\\](javascript:x)"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        (
            "**bold** _it_ `code` a|b ~~s~~",
            "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` a\\|b \\~\\~s\\~\\~",
        ),
        ("two\nlines", "two lines"),
        ("&amp;", "&amp;amp;"),
    ],
)
def test_inert_text(text: str, shown: str) -> None:
    assert inert(text) == shown


def test_secrets_are_redacted_before_escaping() -> None:
    # Escaping first would turn `_` into `\_` and hide the token from redaction.
    planted = f"name {SENTINEL_TOKEN}_x"
    for rendered in (inert(planted), code(planted), fence(planted)):
        assert SENTINEL_TOKEN not in rendered.replace("\\", "")
        assert "&lt;hidden&gt;" in rendered or "<hidden>" in rendered


@pytest.mark.parametrize("bidi", list("\u202a\u202e\u2066\u2069\u200e\u200f\u061c"))
def test_bidi_controls_are_shown_as_escapes(bidi: str) -> None:
    # U+202E would show `txt.py` as `yp.txt`: every helper shows the code point instead
    name = f"b{bidi}yp.txt"
    shown = repr(bidi)[1:-1]  # e.g. \u202e
    assert inert(name) == f"b\\{shown}yp.txt"  # Markdown's `\\` renders one backslash
    assert code(name) == f"`b{shown}yp.txt`"
    assert fence(f"log\n{name}\x1b[31m\ttab") == f"```text\nlog\nb{shown}yp.txt\\x1b[31m\ttab\n```"


def test_code_spans_outlast_the_backticks_inside() -> None:
    assert code("a``b") == "```a``b```"
    assert code("`edge`") == "`` `edge` ``"
    # a pipe stands between spans, escaped: one cell in a table, no stray backslash outside
    assert code("x|y") == "`x`\\|`y`"
    assert code("|x||") == "\\|`x`\\|\\|"
    assert code("") == ""


def test_fences_outlast_the_backticks_inside() -> None:
    assert fence("log\n````\n::error::x") == "`````text\nlog\n````\n::error::x\n`````"
    assert fence("short") == "```text\nshort\n```"


def test_cap_keeps_small_text_as_is() -> None:
    assert cap_middle("a\nb\n", 100) == "a\nb\n"


def test_cap_closes_a_fence_it_cuts_and_reopens_it_for_the_tail() -> None:
    text = "head\n```text\n" + "".join(f"log line {n}\n" for n in range(2000)) + "```\ntail\n"
    capped = cap_middle(text, 4000)
    assert len(capped.encode()) <= 4000
    head, rest = capped.split("\n\n… ", 1)
    assert head.startswith("head\n```text\nlog line 0\n") and head.endswith("\n```")
    note, tail = rest.split("\n\n", 1)
    assert note.endswith("lines left out: GitHub's limit is 3 KiB.")
    assert tail.startswith("```text\nlog line ") and tail.endswith("log line 1999\n```\ntail\n")


def failed_build(n: int) -> dict[str, Any]:
    tail = "\n".join(
        f"#{n} ERROR: Could not find a version of numpy{'=' * 150} {i}" for i in range(40)
    )
    return {
        "key": f"tasks/t{n:03}",
        "action": "create",
        "name": f"Task {n}",
        "task_id": f"t{n}",
        "version_id": f"v{n}",
        "version_label": "1.0",
        "files_uploaded": 2,
        "files_deleted": 0,
        "build_status": "failed",
        "build_log_tail": tail,
        "error": None,
        "url": None,
    }


def test_the_summary_stays_under_1_mib_with_200_failed_builds() -> None:
    tasks = [failed_build(n) for n in range(200)]
    summary = {"created": 200, "versions_created": 200, "builds_failed": 200, "errors": 0}
    report = {"ok": False, "tasks": tasks, "summary": summary}
    whole = apply_markdown(report)
    assert len(whole.encode()) > SUMMARY_LIMIT_BYTES  # what GitHub would have dropped
    capped = job_summary(["## ctask-sync apply: `octo/tasks`", whole])
    assert len(capped.encode()) < SUMMARY_LIMIT_BYTES
    assert capped.startswith("## ctask-sync apply: `octo/tasks`\n\n200 created, 0 updated")
    assert "| `tasks/t000` Task 0 | create | 2 uploaded | 1.0 | failed |" in capped
    assert capped.endswith(
        "#199 ERROR: Could not find a version of numpy" + "=" * 150 + " 39\n```\n\n</details>"
    )
    assert "lines left out: GitHub's limit is " in capped
