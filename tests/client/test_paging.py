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
    assert [query.get("offset", ["0"]) for query in queries] == [["0"], ["3"], ["6"]]
    assert client.stats.reads == 3
    client.close()


def test_default_page_limit_is_sent_explicitly(client: DataRobotClient, admin: Any) -> None:
    client.list_custom_tasks(search_for="anything")
    (entry,) = admin.log("GET", "/customTasks/")
    assert parse_qs(entry["query"]) == {"limit": ["100"], "searchFor": ["anything"]}


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
