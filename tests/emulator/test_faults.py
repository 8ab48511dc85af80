"""Fault rules, the request log, latency, live settings and reset: the admin API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import datarobot as dr
import pytest
import requests
from datarobot.errors import ClientError, ServerError

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, RunningEmulator

TASK_BODY = {"name": "t", "targetType": "Binary"}


def _tasks(api: Any) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api("GET", "customTasks/").json()["data"]
    return data


def test_503_before_commit_leaves_no_trace(api: Any, admin: Any) -> None:
    admin.fault(method="POST", path="^/api/v2/customTasks/$", status=503, message="down")
    response = api("POST", "customTasks/", json=TASK_BODY)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"message": "down"}
    assert _tasks(api) == []
    # The rule fired once (times defaults to 1): the retry goes through.
    assert api("POST", "customTasks/", json=TASK_BODY).status_code == 201
    assert len(_tasks(api)) == 1


def test_500_after_commit_keeps_the_write(api: Any, admin: Any) -> None:
    admin.fault(method="POST", path="customTasks/$", status=500, when="after")
    response = api("POST", "customTasks/", json=TASK_BODY)
    assert response.status_code == 500
    assert [t["name"] for t in _tasks(api)] == ["t"]


def test_dropped_connection_after_commit_leaves_the_version_created(api: Any, admin: Any) -> None:
    task = api("POST", "customTasks/", json=TASK_BODY).json()
    admin.fault(method="POST", path=r"/versions/$", drop=True, when="after")
    with pytest.raises(requests.ConnectionError):
        api(
            "POST",
            f"customTasks/{task['id']}/versions/",
            data={
                "isMajorUpdate": "True",
                "baseEnvironmentId": PYTHON_SKLEARN_ENV_ID,
                "filePath": "custom.py",
            },
            files={"file": ("custom.py", b"print(1)\n")},
        )
    versions = api("GET", f"customTasks/{task['id']}/versions/").json()["data"]
    assert [(v["label"], [i["filePath"] for i in v["items"]]) for v in versions] == [
        ("1.0", ["custom.py"])
    ]
    [entry] = [e for e in admin.log() if e["fault"]]
    assert (entry["method"], entry["status"], entry["response_bytes"]) == ("POST", 201, 0)
    assert entry["fault"].endswith("drop after")


def test_dropped_connection_before_commit_changes_nothing(api: Any, admin: Any) -> None:
    admin.fault(method="POST", drop=True)
    with pytest.raises(requests.ConnectionError):
        api("POST", "customTasks/", json=TASK_BODY)
    assert _tasks(api) == []


def test_official_client_sees_429_with_retry_after_and_retries_it(
    dr_client: RunningEmulator, admin: Any
) -> None:
    # The official client retries 429 (status_forcelist) honouring Retry-After.
    admin.fault(method="GET", path="customTasks/$", status=429, retry_after=1, times=2)
    started = time.monotonic()
    assert dr.CustomTask.list() == []
    assert time.monotonic() - started >= 2.0
    statuses = [(e["status"], e["fault"] is not None) for e in admin.log()][-3:]
    assert statuses == [(429, True), (429, True), (200, False)]


def test_retry_after_header_values(api: Any, admin: Any) -> None:
    admin.fault(status=429, retry_after=2)
    admin.fault(status=429, retry_after=0.25)
    assert api("GET", "customTasks/").headers["Retry-After"] == "2"
    assert api("GET", "customTasks/").headers["Retry-After"] == "0.25"


def test_nth_matching_request_and_times(api: Any, admin: Any) -> None:
    admin.fault(method="GET", path="executionEnvironments", nth=2, times=2, status=500)
    statuses = [api("GET", "executionEnvironments/").status_code for _ in range(5)]
    assert statuses == [200, 500, 500, 200, 200]
    # Requests that do not match are not counted.
    admin.fault(method="GET", path="executionEnvironments", nth=2, status=502)
    assert api("GET", "customTasks/").status_code == 200
    assert api("GET", "executionEnvironments/").status_code == 200
    assert api("GET", "executionEnvironments/").status_code == 502


def test_server_error_reaches_the_official_client(dr_client: RunningEmulator, admin: Any) -> None:
    admin.fault(method="POST", status=500, message="boom")
    with pytest.raises(ServerError, match="boom"):
        dr.CustomTask.create(name="t", target_type="Binary")


def test_bad_fault_rules_are_400(admin: Any) -> None:
    for rule, problem in (
        ({"path": "("}, "path is not a valid regex"),
        ({"status": 200}, "status must be an HTTP error status (400-599)"),
        ({"when": "later", "status": 500}, "when must be 'before' or 'after'"),
        ({"nth": 0, "status": 500}, "nth must be at least 1"),
        ({"method": "GET"}, "a fault needs a status or drop: true"),
        ({"status": 500, "colour": "red"}, "unknown fault field(s): colour"),
    ):
        response = admin.post("/faults", rule)
        assert response.status_code == 400, rule
        assert problem in response.json()["message"], rule


def test_clearing_faults(api: Any, admin: Any) -> None:
    admin.fault(status=503)
    assert requests.delete(f"{admin.url}/faults", timeout=10).status_code == 204
    assert api("GET", "customTasks/").status_code == 200


def test_request_log_records_api_requests_only(api: Any, admin: Any) -> None:
    created = api("POST", "customTasks/", json=TASK_BODY)
    api("GET", "customTasks/", params={"searchFor": "t"})
    admin.log()  # admin calls are never logged
    log = admin.log()
    assert [(e["seq"], e["method"], e["path"], e["query"], e["status"]) for e in log] == [
        (1, "POST", "/api/v2/customTasks/", "", 201),
        (2, "GET", "/api/v2/customTasks/", "searchFor=t", 200),
    ]
    assert log[0]["request_bytes"] == len(created.request.body)
    assert log[0]["response_bytes"] == len(created.content)
    assert all(e["ms"] >= 0 and e["fault"] is None for e in log)
    admin.clear_requests()
    assert admin.log() == []


def test_latency_applies_to_api_requests_not_admin(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(latency_ms=500)
    started = time.monotonic()
    requests.get(f"{emu.admin_url}/requests", timeout=10)
    assert time.monotonic() - started < 0.5
    started = time.monotonic()
    requests.get(f"{emu.endpoint}/customTasks/", headers={"Authorization": "Token t"}, timeout=10)
    assert time.monotonic() - started >= 0.5
    assert requests.get(f"{emu.admin_url}/requests", timeout=10).json()["requests"][0]["ms"] >= 500


def test_live_settings(emulator: RunningEmulator, admin: Any, api: Any) -> None:
    url = f"{admin.url}/settings"
    assert requests.get(url, timeout=10).json()["max_upload_bytes"] is None
    changed = requests.patch(url, json={"max_upload_bytes": 10, "latency_ms": 1}, timeout=10)
    assert changed.status_code == 200
    assert (changed.json()["max_upload_bytes"], changed.json()["latency_ms"]) == (10, 1)
    assert emulator.settings.max_upload_bytes == 10
    task = api("POST", "customTasks/", json=TASK_BODY).json()
    too_big = api(
        "POST",
        f"customTasks/{task['id']}/versions/",
        data={"baseEnvironmentId": PYTHON_SKLEARN_ENV_ID},
    )
    assert too_big.status_code == 413
    for body, problem in (
        ({"token": "x"}, "setting 'token' cannot change while the emulator runs"),
        ({"latency_ms": "slow"}, "setting 'latency_ms' has the wrong type: 'slow'"),
        ({"nope": 1}, "unknown setting 'nope'"),
        ({"fail_builds_matching": "("}, "fail_builds_matching is not a valid regex"),
    ):
        response = requests.patch(url, json=body, timeout=10)
        assert response.status_code == 400
        assert problem in response.json()["message"]


def test_reset_returns_to_the_seed(api: Any, admin: Any) -> None:
    env = api("POST", "executionEnvironments/", json={"name": "mine"}).json()
    api("POST", "customTasks/", json=TASK_BODY)
    admin.fault(status=503, nth=5)
    assert admin.post("/reset").status_code == 204
    assert admin.log() == []
    assert _tasks(api) == []
    assert api("GET", f"executionEnvironments/{env['id']}/").status_code == 404
    names = [e["name"] for e in api("GET", "executionEnvironments/").json()["data"]]
    assert "[DataRobot] R 4.5.2 Drop-In" in names and "mine" not in names
    statuses = {api("GET", "customTasks/").status_code for _ in range(6)}
    assert statuses == {200}  # the fault rule went with the reset


def test_unknown_admin_path_is_404(admin: Any) -> None:
    response = requests.get(f"{admin.url}/nothing", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"message": "No admin endpoint GET /_emulator/nothing"}


def test_in_use_on_unknown_task_is_404(admin: Any) -> None:
    response = admin.post("/customTasks/0123456789abcdef01234567/inUse", {"in_use": True})
    assert response.status_code == 404


def test_client_error_for_deleting_a_task_marked_in_use_links_to_it(
    dr_client: RunningEmulator, admin: Any
) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    admin.post(f"/customTasks/{task.id}/inUse", {"in_use": True})
    with pytest.raises(ClientError) as caught:
        task.delete()
    assert caught.value.status_code == 409
    # The admin switch stands for a model or deployment (blueprints are real: test_blueprints).
    [conflict] = caught.value.json["conflicts"]
    assert conflict["type"] == "model"
    assert conflict["url"] == f"{dr_client.endpoint}/customTasks/{task.id}/"


def test_dropped_request_that_never_ran_is_logged_with_status_0(api: Any, admin: Any) -> None:
    admin.fault(method="GET", drop=True)
    with pytest.raises(requests.ConnectionError):
        api("GET", "customTasks/")
    [entry] = admin.log()
    assert (entry["status"], entry["response_bytes"], entry["fault"]) == (
        0,
        0,
        "fault-1: drop before",
    )
