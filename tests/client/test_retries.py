"""Retries against injected faults: what is repeated, what is never re-sent, how long it waits."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.datarobot.upload import UploadFile
from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID
from ctask_sync.errors import ApiError, OutcomeUnknownError

TASKS = "/api/v2/customTasks/"


def _task(client: DataRobotClient) -> str:
    return client.create_custom_task(
        name="t", target_type="Binary", language="python", description=""
    ).id


def _upload(tmp_path: Path) -> list[UploadFile]:
    source = tmp_path / "custom.py"
    source.write_text("def fit(): pass\n")
    return [UploadFile("custom.py", source)]


def test_429_retry_after_is_honoured(client: DataRobotClient, admin: Any) -> None:
    # A real wait, measured: Retry-After says 1 s, so the retry comes no sooner.
    admin.add_fault(method="GET", path="customTasks/$", status=429, retry_after=1, when="before")
    started = time.monotonic()
    assert client.list_custom_tasks() == []
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 5.0
    assert [entry["status"] for entry in admin.log("GET", TASKS)] == [429, 200]
    assert client.stats.retries == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_get_is_retried_until_it_succeeds(
    client: DataRobotClient, admin: Any, mocker: MockerFixture, status: int
) -> None:
    sleeps = mocker.patch("ctask_sync.datarobot.retry.sleep")
    task_id = _task(client)
    admin.add_fault(method="GET", path=f"customTasks/{task_id}/$", status=status, times=2)
    assert client.get_custom_task(task_id).id == task_id
    assert [entry["status"] for entry in admin.log("GET", f"{task_id}/")] == [status, status, 200]
    assert sleeps.call_count == 2
    # full-jitter backoff for this policy: within [0, 0.05] then [0, 0.1]
    first, second = (call.args[0] for call in sleeps.call_args_list)
    assert 0 <= first <= 0.05 and 0 <= second <= 0.1


def test_persistent_503_on_get_gives_up_naming_the_request(
    client: DataRobotClient, admin: Any, mocker: MockerFixture
) -> None:
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    admin.add_fault(
        method="GET",
        path="customTasks/$",
        status=503,
        times=100,
        message="Service is in maintenance",
    )
    with pytest.raises(ApiError) as caught:
        client.list_custom_tasks()
    assert str(caught.value) == (
        "DataRobot GET customTasks/ failed (HTTP 503): Service is in maintenance "
        "(gave up after 4 attempts)\n  hint: DataRobot had a server error; try again later"
    )
    assert type(caught.value) is ApiError
    assert len(admin.log("GET", TASKS)) == 4


def test_persistent_503_stops_within_the_time_budget(emulator: Any, admin: Any) -> None:
    # Real sleeps: many attempts allowed, but max_total caps the time spent on one request.
    client = DataRobotClient(
        emulator.endpoint,
        os.environ["DATAROBOT_API_TOKEN"],
        retry=RetryPolicy(attempts=50, backoff=0.2, max_backoff=0.2, max_total=1.0),
    )
    admin.add_fault(method="GET", path="customTasks/$", status=503, times=100)
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        client.list_custom_tasks()
    assert time.monotonic() - started < 1.5
    assert caught.value.status == 503
    attempts = len(admin.log("GET", TASKS))
    assert 2 <= attempts < 50
    assert f"(gave up after {attempts} attempts)" in str(caught.value)
    client.close()


def test_retry_after_beyond_the_budget_gives_up_at_once(emulator: Any, admin: Any) -> None:
    client = DataRobotClient(
        emulator.endpoint,
        os.environ["DATAROBOT_API_TOKEN"],
        retry=RetryPolicy(attempts=5, max_total=2.0),
    )
    admin.add_fault(method="GET", path="customTasks/$", status=503, retry_after=30, times=10)
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        client.list_custom_tasks()
    assert time.monotonic() - started < 1.5
    assert caught.value.status == 503
    assert len(admin.log("GET", TASKS)) == 1
    client.close()


def test_503_on_post_is_outcome_unknown_and_sent_once(
    client: DataRobotClient, admin: Any, mocker: MockerFixture
) -> None:
    sleeps = mocker.patch("ctask_sync.datarobot.retry.sleep")
    admin.add_fault(method="POST", path="customTasks/$", status=503, when="after")
    with pytest.raises(OutcomeUnknownError) as caught:
        _task(client)
    assert caught.value.status == 503
    assert "outcome is unknown, so it was not re-sent" in str(caught.value)
    assert len(admin.log("POST", TASKS)) == 1
    assert sleeps.call_count == 0
    # It did land: the engine finds it by re-reading, which is why it must not be re-sent.
    assert len(client.list_custom_tasks()) == 1


def test_dropped_connection_after_version_post_is_never_resent(
    client: DataRobotClient, admin: Any, tmp_path: Path
) -> None:
    task_id = _task(client)
    admin.add_fault(method="POST", path="/versions/$", drop=True, when="after")
    with pytest.raises(OutcomeUnknownError) as caught:
        client.create_version(
            task_id,
            from_previous=False,
            is_major_update=True,
            base_environment_id=PYTHON_SKLEARN_ENV_ID,
            files=_upload(tmp_path),
        )
    error = caught.value
    assert error.status is None
    assert str(error).startswith(
        f"DataRobot POST customTasks/{task_id}/versions/ failed (no response): "
        "connection lost after the request was sent"
    )
    assert len(admin.log("POST", "/versions/")) == 1
    assert [v.label for v in client.list_versions(task_id)] == ["1.0"]


def test_429_on_version_post_is_resent_with_a_fresh_body(
    client: DataRobotClient, admin: Any, tmp_path: Path, mocker: MockerFixture
) -> None:
    # 429 means DataRobot refused without acting, so even a POST may be repeated.
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    task_id = _task(client)
    uploads = _upload(tmp_path)
    admin.add_fault(method="POST", path="/versions/$", status=429, retry_after=0, when="before")
    version = client.create_version(
        task_id,
        from_previous=False,
        is_major_update=True,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        files=uploads,
    )
    assert [item.file_path for item in version.items] == ["custom.py"]
    assert [entry["status"] for entry in admin.log("POST", "/versions/")] == [429, 201]
    assert [v.label for v in client.list_versions(task_id)] == ["1.0"]


def test_dropped_delete_is_retried_and_a_404_then_means_done(
    client: DataRobotClient, admin: Any, mocker: MockerFixture
) -> None:
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    task_id = _task(client)
    admin.add_fault(method="DELETE", path="customTasks/", drop=True, when="after")
    client.delete_custom_task(task_id)
    assert [entry["status"] for entry in admin.log("DELETE")][-1] == 404
    assert client.list_custom_tasks() == []


def test_read_timeout_on_post_is_outcome_unknown(emulator_factory: Any) -> None:
    emu = emulator_factory(latency_ms=1500)
    token = os.environ["DATAROBOT_API_TOKEN"]
    with (
        DataRobotClient(emu.endpoint, token, timeout=0.3) as client,
        pytest.raises(OutcomeUnknownError) as caught,
    ):
        _task(client)
    assert str(caught.value).startswith(
        "DataRobot POST customTasks/ failed (no response): no response within 0.3 s"
    )
    assert client.stats.writes == 1


def test_delete_answered_504_after_acting_is_done_when_the_retry_finds_it_gone(
    client: DataRobotClient, admin: Any, mocker: MockerFixture
) -> None:
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    task_id = _task(client)
    admin.add_fault(method="DELETE", path="customTasks/", status=504, when="after")
    client.delete_custom_task(task_id)
    assert [entry["status"] for entry in admin.log("DELETE")] == [504, 404]
    assert client.list_custom_tasks() == []


def test_delete_of_a_missing_task_is_still_an_error(
    client: DataRobotClient, mocker: MockerFixture
) -> None:
    # Only a retry after an attempt that may have landed turns 404 into success.
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    with pytest.raises(ApiError) as caught:
        client.delete_custom_task("0" * 24)
    assert caught.value.status == 404


def test_read_timeout_on_get_is_retried_then_reported(
    emulator_factory: Any, mocker: MockerFixture
) -> None:
    mocker.patch("ctask_sync.datarobot.retry.sleep")
    emu = emulator_factory(latency_ms=800)
    token = os.environ["DATAROBOT_API_TOKEN"]
    with (
        DataRobotClient(emu.endpoint, token, timeout=0.2, retry=RetryPolicy(attempts=2)) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.list_custom_tasks()
    assert str(caught.value) == (
        "DataRobot GET customTasks/ failed (no response): no response within 0.2 s "
        "(gave up after 2 attempts)\n  hint: DataRobot did not answer in time; try again later"
    )
    assert client.stats.reads == 2
