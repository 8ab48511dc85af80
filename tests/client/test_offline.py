"""Client behaviour that needs no DataRobot: URLs, headers, redaction, refused connections."""

from __future__ import annotations

import socket

import pytest
import requests
from pytest_mock import MockerFixture

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.endpoint import join_url, normalise_endpoint
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.datarobot.transport import USER_AGENT
from ctask_sync.errors import ApiError, ConfigError

TOKEN = "offline-secret-token-42"


@pytest.mark.parametrize(
    ("endpoint", "path", "url"),
    [
        ("https://x/api/v2", "customTasks/", "https://x/api/v2/customTasks/"),
        ("https://x/api/v2/", "customTasks/", "https://x/api/v2/customTasks/"),
        ("https://x/api/v2//", "customTasks/a/", "https://x/api/v2/customTasks/a/"),
        (
            "https://x/api/v2",
            "https://x/api/v2/customTasks/?offset=2",
            "https://x/api/v2/customTasks/?offset=2",
        ),
    ],
)
def test_join_url(endpoint: str, path: str, url: str) -> None:
    assert join_url(endpoint, path) == url


def test_join_url_refuses_absolute_paths() -> None:
    with pytest.raises(ValueError, match="relative to the endpoint"):
        join_url("https://x/api/v2", "/customTasks/")


def test_endpoint_is_normalised() -> None:
    assert normalise_endpoint(" https://x/api/v2/ ") == "https://x/api/v2"
    client = DataRobotClient("https://x/api/v2/", TOKEN)
    assert client.endpoint == "https://x/api/v2"
    client.close()


def test_session_carries_auth_user_agent_and_tls_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = DataRobotClient("https://x/api/v2", TOKEN, ca_bundle="/etc/ssl/corp.pem")
    transport = client._transport
    assert transport.session.verify == "/etc/ssl/corp.pem"
    assert transport.session.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("ctask-sync/")
    prepared = transport.session.prepare_request(
        requests.Request("GET", transport.url("customTasks/"))
    )
    assert prepared.headers["Authorization"] == f"Token {TOKEN}"
    client.close()
    default = DataRobotClient("https://x/api/v2", TOKEN)
    assert default._transport.session.verify is True
    default.close()
    # read once from the environment, as requests reads it for every request; --ca-bundle wins
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/from-env.pem")
    with DataRobotClient("https://x/api/v2", TOKEN) as from_env:
        assert from_env._transport.session.verify == "/etc/ssl/from-env.pem"
        assert from_env._transport.session.trust_env is False
    with DataRobotClient("https://x/api/v2", TOKEN, ca_bundle="/etc/ssl/corp.pem") as given:
        assert given._transport.session.verify == "/etc/ssl/corp.pem"


def test_token_hidden_in_repr() -> None:
    client = DataRobotClient("https://x/api/v2", TOKEN)
    assert repr(client) == "DataRobotClient(endpoint='https://x/api/v2', token=<hidden>)"
    assert TOKEN not in repr(client._transport.session.auth)
    assert TOKEN not in repr(vars(client))
    client.close()


def _closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_names_the_endpoint_and_is_retried(mocker: MockerFixture) -> None:
    sleeps = mocker.patch("ctask_sync.datarobot.retry.sleep")
    endpoint = f"http://127.0.0.1:{_closed_port()}/api/v2"
    client = DataRobotClient(endpoint, TOKEN, retry=RetryPolicy(attempts=3, backoff=0.01))
    with pytest.raises(ApiError) as caught:
        client.list_custom_tasks()
    error = caught.value
    assert error.status is None
    assert str(error) == (
        f"DataRobot GET customTasks/ failed (no response): could not connect to {endpoint}: "
        "Connection refused (gave up after 3 attempts)\n"
        "  hint: check --endpoint / DATAROBOT_ENDPOINT and that DataRobot is reachable from here"
    )
    assert sleeps.call_count == 2
    assert client.stats.reads == 3
    assert client.stats.retries == 2
    assert TOKEN not in str(error) + repr(error)
    client.close()


def test_post_is_retried_when_the_connection_was_refused(mocker: MockerFixture) -> None:
    # Nothing was sent, so repeating a POST cannot duplicate anything.
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    endpoint = f"http://127.0.0.1:{_closed_port()}/api/v2"
    client = DataRobotClient(endpoint, TOKEN, retry=RetryPolicy(attempts=2, backoff=0.01))
    with pytest.raises(ApiError) as caught:
        client.create_custom_task(name="n", target_type="Binary", language="python", description="")
    assert type(caught.value) is ApiError  # not OutcomeUnknownError: it never reached DataRobot
    assert client.stats.writes == 2
    client.close()


@pytest.mark.parametrize(
    "endpoint", ["app.datarobot.com/api/v2", "ftp://x/api/v2", "https:///api/v2", ""]
)
def test_endpoint_must_be_an_http_url(endpoint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DataRobotClient(endpoint, TOKEN)
    assert str(caught.value) == (
        f"the DataRobot endpoint {endpoint.rstrip('/')!r} is not a valid http(s) URL\n"
        "  hint: set --endpoint / DATAROBOT_ENDPOINT to e.g. https://app.datarobot.com/api/v2"
    )


def test_token_is_stripped_of_a_pasted_newline() -> None:
    client = DataRobotClient("https://x/api/v2", f"  {TOKEN}\n")
    prepared = client._transport.session.prepare_request(
        requests.Request("GET", client._transport.url("customTasks/"))
    )
    assert prepared.headers["Authorization"] == f"Token {TOKEN}"
    client.close()


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "the DataRobot API token is empty\n  hint: set DATAROBOT_API_TOKEN"),
        (
            "abc def-secret",
            "the DataRobot API token contains spaces or control characters\n  hint: copy the "
            "API key again from DataRobot's Developer Tools page into DATAROBOT_API_TOKEN",
        ),
        (
            "abc\x00def-secret",
            "the DataRobot API token contains spaces or control characters\n  hint: copy the "
            "API key again from DataRobot's Developer Tools page into DATAROBOT_API_TOKEN",
        ),
    ],
)
def test_unusable_tokens_are_refused_without_showing_them(token: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DataRobotClient("https://x/api/v2", token)
    assert str(caught.value) == message
