"""Odd answers the faithful emulator never gives (paging links, shapes, HTML), from a tiny
loopback server."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.errors import ApiError

from .conftest import Pager


def _env(number: int) -> dict[str, object]:
    return {"id": f"env{number}", "name": f"Environment {number}", "requiredMetadataKeys": []}


def test_relative_next_link_is_followed(serve: Callable[[Pager], str]) -> None:
    def pages(request: Request) -> dict[str, object]:
        if request.args.get("offset") == "1":
            return {"data": [_env(2)], "next": None}
        return {"data": [_env(1)], "next": "/api/v2/executionEnvironments/?offset=1&limit=1"}

    with DataRobotClient(serve(pages), "token-1234") as client:
        assert [env.id for env in client.list_execution_environments()] == ["env1", "env2"]
        assert client.stats.reads == 2


def test_next_link_to_another_host_is_refused(serve: Callable[[Pager], str]) -> None:
    def pages(request: Request) -> dict[str, object]:
        return {
            "data": [_env(1)],
            "next": "https://elsewhere.example/api/v2/executionEnvironments/",
        }

    with DataRobotClient(serve(pages), "token-1234") as client:
        with pytest.raises(ApiError) as caught:
            client.list_execution_environments()
        assert client.stats.reads == 1
    assert str(caught.value) == (
        "DataRobot GET executionEnvironments/ failed (HTTP 200): refusing to follow a paging "
        "link to another host: https://elsewhere.example/api/v2/executionEnvironments/"
    )


def test_next_link_on_the_endpoints_host_is_followed_when_the_endpoint_has_credentials(
    serve: Callable[[Pager], str],
) -> None:
    """`user:pw@` in the endpoint is not part of where it points: the server's next-page link
    (no credentials) is on the same host, so it is followed."""

    def pages(request: Request) -> dict[str, object]:
        if request.args.get("offset") == "1":
            return {"data": [_env(2)], "next": None}
        next_page = f"{request.host_url}api/v2/executionEnvironments/?offset=1"
        return {"data": [_env(1)], "next": next_page}

    endpoint = serve(pages).replace("http://", "http://user:pw-1234@", 1)
    with DataRobotClient(endpoint, "token-1234") as client:
        assert [env.id for env in client.list_execution_environments()] == ["env1", "env2"]
        assert client.stats.reads == 2


def test_next_link_that_loops_is_refused(serve: Callable[[Pager], str]) -> None:
    def pages(request: Request) -> dict[str, object]:
        return {
            "data": [_env(1)],
            "next": f"{request.host_url}api/v2/executionEnvironments/?offset=0",
        }

    with DataRobotClient(serve(pages), "token-1234") as client:
        with pytest.raises(ApiError) as caught:
            client.list_execution_environments()
        assert client.stats.reads == 2
    assert "the paging link loops back to http://127.0.0.1:" in str(caught.value)


def test_item_missing_a_required_field_is_reported(serve: Callable[[Pager], str]) -> None:
    def pages(request: Request) -> dict[str, object]:
        return {"data": [{"id": "env1"}], "next": None}

    with DataRobotClient(serve(pages), "token-1234") as client, pytest.raises(ApiError) as caught:
        client.list_execution_environments()
    assert str(caught.value) == (
        "DataRobot GET executionEnvironments/ failed (HTTP 200): unexpected response from "
        "DataRobot: missing field 'name'\n  hint: this DataRobot version answers differently "
        "than ctask-sync expects; please report it with this message"
    )


def test_list_without_data_is_reported(serve: Callable[[Pager], str]) -> None:
    with (
        DataRobotClient(serve(lambda request: {"items": []}), "token-1234") as client,
        pytest.raises(ApiError) as caught,
    ):
        client.list_execution_environments()
    assert caught.value.api_message == (
        "unexpected response from DataRobot: expected a paged list with a `data` list"
    )


def test_html_instead_of_json_points_at_the_endpoint() -> None:
    @Request.application
    def app(request: Request) -> Response:
        return Response("<html>Sign in</html>", content_type="text/html")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.port}"
        with DataRobotClient(endpoint, "token-1234") as client, pytest.raises(ApiError) as caught:
            client.get_custom_task("abc")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert str(caught.value) == (
        "DataRobot GET customTasks/abc/ failed (HTTP 200): expected JSON, got text/html: "
        "'<html>Sign in</html>'\n"
        "  hint: check that the endpoint is DataRobot's API (it normally ends in /api/v2)"
    )
