"""Every client call against the emulator over real HTTP: tasks, versions, builds, environments."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ctask_sync.datarobot.buildlog import build_log_tail
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.upload import UploadFile
from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID
from ctask_sync.errors import ApiError


def _write(root: Path, files: dict[str, str]) -> list[UploadFile]:
    uploads = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        uploads.append(UploadFile(rel, path))
    return uploads


def _zip_members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name).decode()
            for name in archive.namelist()
            if not name.endswith("/")
        }


def test_task_crud_round_trip(client: DataRobotClient) -> None:
    created = client.create_custom_task(
        name="Fraud XGB",
        target_type="Binary",
        language="python",
        description="gradient boosted trees",
        maximum_memory=2 * 1024**3,
    )
    assert (created.name, created.target_type, created.language) == (
        "Fraud XGB",
        "Binary",
        "python",
    )
    assert created.description == "gradient boosted trees"
    assert created.latest_version is None

    fetched = client.get_custom_task(created.id)
    assert fetched.id == created.id and fetched.name == "Fraud XGB"

    updated = client.update_custom_task(created.id, name="Fraud XGB v2", description="new text")
    assert (updated.name, updated.description, updated.language) == (
        "Fraud XGB v2",
        "new text",
        "python",
    )
    assert [task.id for task in client.list_custom_tasks(search_for="fraud xgb v2")] == [created.id]
    assert client.list_custom_tasks(search_for="no such task") == []

    client.delete_custom_task(created.id)
    with pytest.raises(ApiError) as caught:
        client.get_custom_task(created.id)
    assert str(caught.value) == (
        f"DataRobot GET customTasks/{created.id}/ failed (HTTP 404): "
        f"Custom task {created.id} was not found\n"
        "  hint: it does not exist, or the token's user cannot see it"
    )
    assert client.list_custom_tasks() == []


def test_version_round_trip_clean_then_from_previous(
    client: DataRobotClient, tmp_path: Path
) -> None:
    task = client.create_custom_task(
        name="t", target_type="Regression", language="python", description=""
    )
    uploads = _write(
        tmp_path / "v1",
        {
            "custom.py": "def fit(): pass\n",
            "sub/helper.py": "X = 1\n",
            "requirements.txt": "numpy\n",
        },
    )
    first = client.create_version(
        task.id,
        from_previous=False,
        is_major_update=True,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        files=uploads,
        outbound_network_policy="ISOLATED",
    )
    assert first.label == "1.0" and first.custom_task_id == task.id
    assert sorted(item.file_path for item in first.items) == [
        "custom.py",
        "requirements.txt",
        "sub/helper.py",
    ]
    assert {item.file_path: item.file_name for item in first.items}["sub/helper.py"] == "helper.py"
    assert first.dependencies == ("numpy",)
    assert first.base_environment_id == PYTHON_SKLEARN_ENV_ID
    assert first.outbound_network_policy == "ISOLATED"
    assert first.description == ""
    assert client.stats.bytes_uploaded == sum(u.source.stat().st_size for u in uploads)

    helper_id = {item.file_path: item.id for item in first.items}["sub/helper.py"]
    changed = _write(tmp_path / "v2", {"custom.py": "def fit(): return 2\n"})
    second = client.create_version(
        task.id,
        from_previous=True,
        is_major_update=False,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        files=changed,
        files_to_delete=[helper_id],
    )
    assert second.label == "1.1"
    assert sorted(item.file_path for item in second.items) == ["custom.py", "requirements.txt"]

    described = client.update_version(task.id, second.id, description="ctask-sync record")
    assert described.description == "ctask-sync record"
    assert client.get_version(task.id, second.id).description == "ctask-sync record"
    assert [v.label for v in client.list_versions(task.id)] in (["1.0", "1.1"], ["1.1", "1.0"])
    listed = client.list_custom_tasks()
    assert len(listed) == 1 and listed[0].latest_version is not None
    assert listed[0].latest_version.id == second.id
    assert len(listed[0].latest_version.items) == 2

    client.download_version(task.id, second.id, tmp_path / "second.zip")
    assert _zip_members(tmp_path / "second.zip") == {
        "custom.py": "def fit(): return 2\n",
        "requirements.txt": "numpy\n",
    }
    client.download_custom_task(task.id, tmp_path / "latest.zip")
    assert _zip_members(tmp_path / "latest.zip") == _zip_members(tmp_path / "second.zip")


def test_required_metadata_and_memory_reach_the_version(
    client: DataRobotClient, tmp_path: Path
) -> None:
    from ctask_sync.emulator import PYTHON_METADATA_ENV_ID

    task = client.create_custom_task(
        name="m", target_type="Transform", language="python", description=""
    )
    version = client.create_version(
        task.id,
        from_previous=False,
        is_major_update=True,
        base_environment_id=PYTHON_METADATA_ENV_ID,
        files=_write(tmp_path, {"custom.py": "x = 1\n"}),
        maximum_memory=512 * 1024**2,
        required_metadata={"SERVICE_URL": "https://svc.example"},
    )
    assert version.required_metadata == {"SERVICE_URL": "https://svc.example"}
    assert version.maximum_memory == 512 * 1024**2
    environment = client.get_execution_environment(PYTHON_METADATA_ENV_ID)
    assert environment.required_metadata_keys == ("SERVICE_URL",)


def test_execution_environments(client: DataRobotClient) -> None:
    environments = client.list_execution_environments()
    by_id = {env.id: env for env in environments}
    sklearn = by_id[PYTHON_SKLEARN_ENV_ID]
    assert sklearn.name == "[DataRobot] Python 3.12 Scikit-Learn Drop-In"
    assert sklearn.programming_language == "python"
    assert sklearn.latest_version_id
    found = client.list_execution_environments(search_for="scikit-learn")
    assert [env.id for env in found] == [PYTHON_SKLEARN_ENV_ID]
    assert client.get_execution_environment(PYTHON_SKLEARN_ENV_ID) == sklearn


def _wait_for_build(client: DataRobotClient, task_id: str, version_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        build = client.get_dependency_build(task_id, version_id)
        assert build is not None
        if build.is_terminal:
            return build.build_status
        time.sleep(0.1)
    raise AssertionError("dependency build did not finish in 30 s")


def _version_with(client: DataRobotClient, tmp_path: Path, requirements: str) -> tuple[str, str]:
    task = client.create_custom_task(
        name="b", target_type="Binary", language="python", description=""
    )
    version = client.create_version(
        task.id,
        from_previous=False,
        is_major_update=True,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        files=_write(tmp_path, {"custom.py": "x = 1\n", "requirements.txt": requirements}),
    )
    return task.id, version.id


def test_dependency_build_succeeds(client: DataRobotClient, tmp_path: Path) -> None:
    task_id, version_id = _version_with(client, tmp_path, "pandas>=1.0\n")
    assert client.get_dependency_build(task_id, version_id) is None  # DataRobot says 422
    started = client.start_dependency_build(task_id, version_id)
    assert (started.custom_task_id, started.custom_task_version_id) == (task_id, version_id)
    assert started.build_status in ("submitted", "processing")
    assert _wait_for_build(client, task_id, version_id) == "success"


def test_failed_build_log_tail(emulator_factory: Any, tmp_path: Path) -> None:
    emu = emulator_factory(build_seconds=0.2, fail_builds_matching="^no-such-pkg$")
    with DataRobotClient(emu.endpoint, os.environ["DATAROBOT_API_TOKEN"]) as client:
        task_id, version_id = _version_with(client, tmp_path, "no-such-pkg==1.0\n")
        client.start_dependency_build(task_id, version_id)
        assert _wait_for_build(client, task_id, version_id) == "failed"
        tail = build_log_tail(client.get_dependency_build_log(task_id, version_id), lines=5)
    assert "no-such-pkg" in tail
    assert len(tail.splitlines()) <= 5


def test_delete_in_use_is_refused_with_datarobots_message(
    client: DataRobotClient, admin: Any
) -> None:
    task = client.create_custom_task(
        name="used", target_type="Binary", language="python", description=""
    )
    admin.set_in_use(task.id)
    with pytest.raises(ApiError) as caught:
        client.delete_custom_task(task.id)
    error = caught.value
    assert error.status == 409
    assert error.api_message  # DataRobot's own words, e.g. what uses the task
    assert str(error).startswith(f"DataRobot DELETE customTasks/{task.id}/ failed (HTTP 409): ")
    assert client.get_custom_task(task.id).id == task.id
