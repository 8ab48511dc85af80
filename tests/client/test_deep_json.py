"""JSON nested deeper than any decoder recurses, from DataRobot or typed into a description:
a clear error or no record, never a RecursionError traceback."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.engine.syncrecord import SyncRecord, decode_record, encode_record
from ctask_sync.errors import ApiError
from ctask_sync.manifest.digests import read_checked, write_checked

DEEP = "[" * 200_000 + "]" * 200_000  # far past the decoders' recursion limits


@pytest.fixture
def deep_server() -> Iterator[str]:
    """Answers every request with DEEP as JSON: with 200 on GET, 422 on POST."""

    @Request.application
    def app(request: Request) -> Response:
        status = 200 if request.method == "GET" else 422
        return Response(DEEP, status=status, content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.port}/api/v2"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_deep_success_answer_is_an_unexpected_response(deep_server: str) -> None:
    with DataRobotClient(deep_server, "token-1234") as client, pytest.raises(ApiError) as caught:
        client.get_custom_task("abc")
    assert str(caught.value).startswith(
        "DataRobot GET customTasks/abc/ failed (HTTP 200): unexpected response from DataRobot: "
        "its JSON is nested too deeply to read\n"
    )


def test_deep_error_answer_keeps_its_status(deep_server: str) -> None:
    with DataRobotClient(deep_server, "token-1234") as client, pytest.raises(ApiError) as caught:
        client.create_custom_task(
            name="n", target_type="Binary", language="python", description="d"
        )
    assert caught.value.status == 422
    assert "customTasks/ failed (HTTP 422): [[[[" in str(caught.value)


def test_deep_json_in_a_version_description_is_no_record() -> None:
    good = encode_record_text()
    start, end = good.partition("\n")[0], good.rpartition("\n")[2]
    # the description limit is 10,000 characters: deep enough for any decoder
    body = "[" * 4_990 + "]" * 4_990
    assert decode_record(f"{start}\n{body}\n{end}") is None


def test_deep_cache_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    write_checked(path, "magic v1", {"a": 1})
    assert read_checked(path, "magic v1") == {"a": 1}
    body = DEEP.encode()
    path.write_bytes(b"magic v1 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert read_checked(path, "magic v1") is None


def encode_record_text() -> str:
    return encode_record(
        SyncRecord(
            tool="0.1.0",
            commit=None,
            ref=None,
            commit_time=None,
            tag=None,
            content="sha256:" + "a" * 64,
            settings="sha256:" + "b" * 64,
            files=None,
        )
    )
