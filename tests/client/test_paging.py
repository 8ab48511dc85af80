"""Paged lists cost exactly one request per page and follow DataRobot's `next` links."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID


def test_task_list_costs_one_request_per_page(emulator: Any, admin: Any) -> None:
    client = DataRobotClient(emulator.endpoint, os.environ["DATAROBOT_API_TOKEN"], page_limit=3)
    made = {
        client.create_custom_task(
            name=f"task {n}", target_type="Binary", language="python", description=""
        ).id
        for n in range(7)
    }
    admin.clear_log()
    listed = client.list_custom_tasks()
    assert {task.id for task in listed} == made
    assert len(listed) == 7
    log = admin.log()
    assert [(entry["method"], entry["path"]) for entry in log] == [
        ("GET", "/api/v2/customTasks/")
    ] * 3  # ceil(7 / 3): no per-task calls
    queries = [parse_qs(entry["query"]) for entry in log]
    assert queries[0]["limit"] == ["3"]
    # the first page says where the others start; those two are then read side by side
    offsets = [query.get("offset", ["0"]) for query in queries]
    assert offsets[0] == ["0"] and sorted(offsets[1:]) == [["3"], ["6"]]
    assert client.stats.reads == 3
    client.close()


def test_default_page_limit_is_sent_explicitly(client: DataRobotClient, admin: Any) -> None:
    client.list_custom_tasks(search_for="anything")
    client.list_execution_environments()
    (entry,) = admin.log("GET", "/customTasks/")
    # the task list grows with the repository: 1,000 a page (DataRobot's docs example)
    assert parse_qs(entry["query"]) == {"limit": ["1000"], "searchFor": ["anything"]}
    (environments,) = admin.log("GET", "/executionEnvironments/")
    assert parse_qs(environments["query"]) == {"limit": ["100"]}  # that list's maximum


def test_a_server_refusing_1000_a_page_is_asked_again_with_100(
    client: DataRobotClient, admin: Any
) -> None:
    made = client.create_custom_task(
        name="t", target_type="Binary", language="python", description=""
    ).id
    admin.clear_log()
    admin.add_fault(method="GET", path="^/api/v2/customTasks/$", status=400, message="bad limit")

    assert [task.id for task in client.list_custom_tasks()] == [made]
    assert [parse_qs(e["query"])["limit"] for e in admin.log("GET", "/customTasks/")] == [
        ["1000"],
        ["100"],
    ]
    client.list_custom_tasks()  # the client remembers: no second refusal
    assert parse_qs(admin.log("GET", "/customTasks/")[-1]["query"])["limit"] == ["100"]


def test_version_list_follows_next_links(emulator: Any, admin: Any) -> None:
    client = DataRobotClient(emulator.endpoint, os.environ["DATAROBOT_API_TOKEN"], page_limit=2)
    task = client.create_custom_task(
        name="v", target_type="Binary", language="python", description=""
    )
    for n in range(5):
        client.create_version(
            task.id,
            from_previous=n > 0,
            is_major_update=n == 0,
            base_environment_id=PYTHON_SKLEARN_ENV_ID,
        )
    admin.clear_log()
    labels = sorted(version.label for version in client.list_versions(task.id))
    assert labels == ["1.0", "1.1", "1.2", "1.3", "1.4"]
    assert len(admin.log("GET", "/versions/")) == 3
    client.close()
