"""DataRobot's refusals become clear ApiErrors, and the token never shows."""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest
import requests

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.emulator.testing import SENTINEL_TOKEN
from ctask_sync.errors import ApiError


def test_401_names_the_token_variable(emulator_factory: Any) -> None:
    emu = emulator_factory(token="the-right-token")
    with DataRobotClient(emu.endpoint, SENTINEL_TOKEN) as client, pytest.raises(ApiError) as caught:
        client.list_custom_tasks()
    error = caught.value
    assert error.status == 401
    assert str(error).startswith("DataRobot GET customTasks/ failed (HTTP 401): ")
    assert error.hint == (
        "check DATAROBOT_API_TOKEN (the action's api-token input): it is missing, expired, "
        f"or belongs to another DataRobot installation than {emu.endpoint}"
    )
    assert SENTINEL_TOKEN not in str(error) + repr(error)


def test_422_carries_datarobots_own_message(client: DataRobotClient, emulator: Any) -> None:
    body = {"name": "x", "targetType": "NotAType", "language": "python", "description": ""}
    raw = requests.post(
        f"{emulator.endpoint}/customTasks/",
        json=body,
        headers={"Authorization": f"Token {SENTINEL_TOKEN}"},
        timeout=10,
    )
    assert raw.status_code == 422
    with pytest.raises(ApiError) as caught:
        client.create_custom_task(
            name="y", target_type="NotAType", language="python", description=""
        )
    assert caught.value.status == 422
    assert caught.value.api_message.startswith(raw.json()["message"])
    assert str(caught.value).startswith(
        "DataRobot POST customTasks/ failed (HTTP 422): " + raw.json()["message"]
    )


def test_token_appears_in_no_error_repr_or_log(
    emulator_factory: Any, caplog: pytest.LogCaptureFixture, mocker: Any
) -> None:
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    caplog.set_level(logging.DEBUG)
    emu = emulator_factory(token="another-token")
    texts: list[str] = []
    client = DataRobotClient(emu.endpoint, SENTINEL_TOKEN, retry=RetryPolicy(attempts=2))
    texts.append(repr(client))
    for call in (
        client.list_custom_tasks,
        lambda: client.get_custom_task("0" * 24),
        lambda: client.create_custom_task(
            name="n", target_type="Binary", language="python", description=""
        ),
    ):
        with pytest.raises(ApiError) as caught:
            call()
        texts += [str(caught.value), repr(caught.value), repr(caught.value.args)]
    client.close()
    texts += [record.getMessage() for record in caplog.records]
    assert os.environ["DATAROBOT_API_TOKEN"] == SENTINEL_TOKEN
    assert all(SENTINEL_TOKEN not in text for text in texts)
    assert all("Token " not in text for text in texts)
