"""Reading DataRobot's dependency-build log archive."""

from __future__ import annotations

import io
import tarfile

from ctask_sync.datarobot.buildlog import build_log_tail


def _archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_tail_returns_the_last_lines_of_the_log() -> None:
    log = "".join(f"line {n}\n" for n in range(1, 101))
    tail = build_log_tail(_archive({"build.log": log}), lines=3)
    assert tail == "line 98\nline 99\nline 100"


def test_short_log_is_returned_whole() -> None:
    assert build_log_tail(_archive({"build.log": "only\n"})) == "only"


def test_plain_text_is_taken_as_the_log() -> None:
    assert build_log_tail(b"a\nb\nERROR: no such package\n", lines=1) == "ERROR: no such package"
