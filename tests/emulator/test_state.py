"""State: persisted with state_dir across restarts, and consistent under concurrent requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, RunningEmulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN

HEADERS = {"Authorization": f"Token {SENTINEL_TOKEN}"}


def _post_version(emu: RunningEmulator, task_id: str, content: bytes) -> requests.Response:
    return requests.post(
        f"{emu.endpoint}/customTasks/{task_id}/versions/",
        data={
            "isMajorUpdate": "false",
            "baseEnvironmentId": PYTHON_SKLEARN_ENV_ID,
            "filePath": "requirements.txt",
        },
        files={"file": ("requirements.txt", content)},
        headers=HEADERS,
        timeout=30,
    )


def test_state_dir_survives_restart_including_builds_and_blobs(
    emulator_factory: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = emulator_factory(state_dir=state, build_seconds=0.0)
    task = requests.post(
        f"{first.endpoint}/customTasks/",
        json={"name": "kept", "targetType": "Regression"},
        headers=HEADERS,
        timeout=10,
    ).json()
    version = _post_version(first, task["id"], b"numpy\n").json()
    build_url = f"customTasks/{task['id']}/versions/{version['id']}/dependencyBuild/"
    started = requests.post(f"{first.endpoint}/{build_url}", headers=HEADERS, timeout=10)
    assert started.status_code == 202
    first.stop()
    saved = json.loads((state / "tasks" / f"{task['id']}.json").read_text())
    assert (saved["name"], saved["versions"][0]["id"]) == ("kept", version["id"])

    second = emulator_factory(state_dir=state)
    got = requests.get(f"{second.endpoint}/customTasks/{task['id']}/", headers=HEADERS, timeout=10)
    assert got.json()["latestVersion"]["dependencies"][0]["packageName"] == "numpy"
    build = requests.get(f"{second.endpoint}/{build_url}", headers=HEADERS, timeout=10).json()
    assert build["buildStatus"] == "success"

    deleted = requests.delete(
        f"{second.endpoint}/customTasks/{task['id']}/", headers=HEADERS, timeout=10
    )
    assert deleted.status_code == 204
    assert not (state / "tasks" / f"{task['id']}.json").exists()
    requests.post(f"{second.admin_url}/reset", timeout=10).raise_for_status()
    assert list((state / "tasks").iterdir()) == []
    assert not [p for p in (state / "blobs").rglob("*") if p.is_file()]


def test_concurrent_versions_get_distinct_consecutive_labels(
    emulator: RunningEmulator,
) -> None:
    task = requests.post(
        f"{emulator.endpoint}/customTasks/",
        json={"name": "busy", "targetType": "Binary"},
        headers=HEADERS,
        timeout=10,
    ).json()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda i: _post_version(emulator, task["id"], f"pkg{i}\n".encode()), range(24))
        )
    assert {r.status_code for r in responses} == {201}
    labels = sorted(r.json()["versionMinor"] for r in responses)
    assert labels == list(range(24))  # 1.0 .. 1.23, no duplicate numbers
    listed = requests.get(
        f"{emulator.endpoint}/customTasks/{task['id']}/versions/",
        params={"limit": 100},
        headers=HEADERS,
        timeout=10,
    ).json()
    assert listed["totalCount"] == 24
    assert [v["isFrozen"] for v in listed["data"]] == [False] + [True] * 23


def test_users_shares_and_blueprints_survive_restart(
    emulator_factory: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = emulator_factory(state_dir=state)
    api = f"{first.endpoint}/customTasks/"
    task = requests.post(
        api, json={"name": "t", "targetType": "Binary"}, headers=HEADERS, timeout=10
    )
    task_id = task.json()["id"]
    version = _post_version(first, task_id, b"numpy\n").json()
    added = requests.post(f"{first.admin_url}/users", json={"username": "cy@x.example"}, timeout=10)
    assert added.status_code == 201
    shared = requests.patch(
        f"{api}{task_id}/accessControl/",
        json={"data": [{"username": "cy@x.example", "role": "CONSUMER"}]},
        headers=HEADERS,
        timeout=10,
    )
    assert shared.status_code == 204
    made = requests.post(
        f"{first.endpoint}/userBlueprints/fromCustomTaskVersionId/",
        json={"customTaskVersionId": version["id"]},
        headers=HEADERS,
        timeout=10,
    )
    assert made.status_code == 200
    first.stop()

    second = emulator_factory(state_dir=state)
    api = f"{second.endpoint}/customTasks/"
    access = requests.get(f"{api}{task_id}/accessControl/", headers=HEADERS, timeout=10).json()
    assert {(a["username"], a["role"]) for a in access["data"]} == {
        ("emulator-user@example.com", "OWNER"),
        ("cy@x.example", "CONSUMER"),
    }
    blueprint_id = made.json()["userBlueprintId"]
    assert requests.delete(f"{api}{task_id}/", headers=HEADERS, timeout=10).status_code == 409
    url = f"{second.endpoint}/userBlueprints/{blueprint_id}/"
    assert requests.delete(url, headers=HEADERS, timeout=10).status_code == 204
    assert requests.delete(f"{api}{task_id}/", headers=HEADERS, timeout=10).status_code == 204
