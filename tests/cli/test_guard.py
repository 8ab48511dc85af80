"""cli/guard.py and report/escape.py: the last guard on the CLI's stdout and stderr, and the
escapes the text renderers use for names from git, manifests and DataRobot."""

from __future__ import annotations

import io

import pytest

from ctask_sync.cli.guard import GuardedStream, guarded_output
from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.report.colour import paint
from ctask_sync.report.escape import ZWJ, bidi_visible, many_lines, no_command, one_line
from ctask_sync.report.progress import StatusLine


def guarded(*writes: str, flush: bool = False) -> str:
    target = io.StringIO()
    stream = GuardedStream(target)
    for text in writes:
        stream.write(text)
        if flush:
            stream.flush()
    stream.close_guard()
    return target.getvalue()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("::warning::x\n", f":{ZWJ}:warning::x\n"),
        ("        ::set-output name=x::1\n", f"        :{ZWJ}:set-output name=x::1\n"),
        ("ok\n\t::error::x\n", f"ok\n\t:{ZWJ}:error::x\n"),
        ("ok\r::error::x\n", f"ok\r:{ZWJ}:error::x\n"),
        ("ok\r\n \u3000::notice::x", f"ok\r\n \u3000:{ZWJ}:notice::x"),
        ("not ::at the start\n", "not ::at the start\n"),
        (":one colon\n", ":one colon\n"),
    ],
)
def test_a_line_starting_with_two_colons_is_disarmed(text: str, shown: str) -> None:
    assert guarded(text) == shown


def test_a_command_split_over_writes_and_flushes_is_still_disarmed() -> None:
    assert guarded("   ", ":", ":warning::x\n", flush=True) == f"   :{ZWJ}:warning::x\n"
    assert guarded("abc", "::x\n", flush=True) == "abc::x\n"  # mid-line: no command


def test_secrets_are_hidden_and_bidi_shown() -> None:
    assert guarded(f"name {SENTINEL_TOKEN[:5]}", f"{SENTINEL_TOKEN[5:]}\u202e\n") == (
        "name <hidden>\\u202e\n"
    )


def test_our_colours_and_the_status_line_pass_unchanged() -> None:
    coloured = paint("+", "+", True) + " key\n"
    assert guarded(coloured) == coloured
    target = io.StringIO()
    target.isatty = lambda: True  # type: ignore[method-assign]
    stream = GuardedStream(target)
    status = StatusLine(stream)  # type: ignore[arg-type]
    status.update("building: 1 of 2")
    assert target.getvalue() == "\rbuilding: 1 of 2"  # shown at once, in place
    status.update("built")
    status.done()
    assert target.getvalue() == "\rbuilding: 1 of 2\rbuilt           \n"


def test_guarded_output_wraps_and_restores_the_standard_streams(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with guarded_output():
        print(f"::error::{SENTINEL_TOKEN}")
    with guarded_output(enabled=False):
        print("::notice::ours")  # the action's own workflow commands
    assert capsys.readouterr().out == f":{ZWJ}:error::<hidden>\n::notice::ours\n"


def test_one_line_shows_controls_as_repr_does() -> None:
    assert one_line("a\n::w\r\x1b[1m\t\u202eb\u2028") == "a\\n::w\\r\\x1b[1m\\t\\u202eb\\u2028"
    assert one_line("plain ü ✓ → name") == "plain ü ✓ → name"
    assert many_lines("x\r\ny\u2066\x1b\tz\n") == "x\ny\\u2066\\x1b\tz\n"
    assert bidi_visible("\x1b[32m+\u200f") == "\x1b[32m+\\u200f"
    assert no_command(" ::x") == f" :{ZWJ}:x"
