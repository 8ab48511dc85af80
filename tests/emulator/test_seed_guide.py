"""Every workflow of DataRobot's custom task guide (shared/seed-custom-tasks.rst), run unchanged
with the official client against the emulator."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest
from datarobot.enums import CUSTOM_TASK_TARGET_TYPE
from datarobot.errors import ClientError

from ctask_sync.emulator import RunningEmulator

PYTORCH_TASK = {
    "custom.py": "def fit(X, y, output_dir, **kwargs):\n    pass\n",
    "model-metadata.yaml": "name: pytorch\ntype: training\ntargetType: binary\n",
    "requirements.txt": "torch==2.2.0\n",
}


def test_manage_custom_tasks(
    dr_client: RunningEmulator, admin: Any, make_folder: Callable[..., Path], tmp_path: Path
) -> None:
    transform = dr.CustomTask.create(
        name="a convenient display name",  # required
        target_type=CUSTOM_TASK_TARGET_TYPE.TRANSFORM,  # required
        language="python",
        description="a longer description of the task",
    )
    binary = dr.CustomTask.create(
        name="this or that",
        target_type=CUSTOM_TASK_TARGET_TYPE.BINARY,
    )
    assert binary.latest_version is None
    assert binary.description == "" and binary.language == ""

    execution_environment = dr.ExecutionEnvironment.create(
        name="Python3 PyTorch Environment",
        description="This environment contains Python3 pytorch library.",
    )
    custom_task_folder = str(make_folder(PYTORCH_TASK, name="python3_pytorch"))
    task_version = dr.CustomTaskVersion.create_clean(
        custom_task_id=binary.id,
        base_environment_id=execution_environment.id,
        folder_path=custom_task_folder,
    )
    assert binary.latest_version is None  # not refreshed yet
    binary.refresh()
    assert binary.latest_version.id == task_version.id
    assert binary.latest_version.label == "1.0"

    updated_folder = str(
        make_folder({"custom.py": "# updated\n", "helpers/util.py": "X = 1\n"}, name="updated")
    )
    task_version_2 = dr.CustomTaskVersion.create_clean(
        custom_task_id=binary.id,
        base_environment_id=execution_environment.id,
        folder_path=updated_folder,
    )
    binary.refresh()
    assert binary.latest_version.label == "2.0"
    assert binary.latest_version.id == task_version_2.id

    zip_path = tmp_path / "my-task-files.zip"
    binary.download_latest_version(str(zip_path))
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == ["custom.py", "helpers/util.py"]
        assert archive.read("custom.py") == b"# updated\n"

    all_tasks = dr.CustomTask.list()
    assert {el.id for el in all_tasks} == {binary.id, transform.id}

    new_binary = dr.CustomTask.copy(binary.id)
    assert new_binary.id != binary.id
    assert new_binary.latest_version.id != binary.latest_version.id
    original_binary = dr.CustomTask.get(binary.id)
    assert len(dr.CustomTask.list()) == 3

    assert binary.description == new_binary.description
    binary.update(description="totally new description")
    assert binary.description != new_binary.description
    assert original_binary.description != binary.description  # not refreshed yet
    original_binary.refresh()
    assert original_binary.description == binary.description

    # Delete only when nothing uses the task.
    assert admin.post(f"/customTasks/{binary.id}/inUse", {"in_use": True}).status_code == 200
    with pytest.raises(ClientError) as caught:
        binary.delete()
    assert caught.value.status_code == 409
    assert f"Custom task {binary.id} cannot be deleted" in caught.value.json["message"]
    assert admin.post(f"/customTasks/{binary.id}/inUse", {"in_use": False}).status_code == 200
    binary.delete()
    with pytest.raises(ClientError) as caught:
        dr.CustomTask.get(binary.id)
    assert caught.value.status_code == 404
    assert {t.id for t in dr.CustomTask.list()} == {transform.id, new_binary.id}


def test_manage_custom_task_versions(
    dr_client: RunningEmulator, make_folder: Callable[..., Path], tmp_path: Path
) -> None:
    binary = dr.CustomTask.create(name="this or that", target_type=CUSTOM_TASK_TARGET_TYPE.BINARY)
    execution_environment = dr.ExecutionEnvironment.create(
        name="Python3 PyTorch Environment",
        description="This environment contains Python3 pytorch library.",
    )
    custom_task_id = binary.id
    custom_task_folder = str(make_folder(PYTORCH_TASK, name="python3_pytorch"))
    task_version = dr.CustomTaskVersion.create_clean(
        custom_task_id=custom_task_id,
        base_environment_id=execution_environment.id,
        folder_path=custom_task_folder,
    )
    assert sorted(i.file_path for i in task_version.items) == sorted(PYTORCH_TASK)
    assert [d.package_name for d in task_version.dependencies] == ["torch"]

    new_files_folder = str(make_folder({"extra.py": "Y = 2\n"}, name="my_files_to_add"))
    file_to_delete = task_version.items[0].id
    assert file_to_delete  # the guide computes it, then creates without using it
    task_version_2 = dr.CustomTaskVersion.create_from_previous(
        custom_task_id=custom_task_id,
        base_environment_id=execution_environment.id,
        folder_path=new_files_folder,
    )
    assert sorted(i.file_path for i in task_version_2.items) == sorted([*PYTORCH_TASK, "extra.py"])
    assert {i.id for i in task_version_2.items}.isdisjoint({i.id for i in task_version.items})

    listed = dr.CustomTaskVersion.list(custom_task_id)
    assert [v.label for v in listed] == ["2.0", "1.0"]
    assert [v.is_frozen for v in listed] == [False, True]

    got = dr.CustomTaskVersion.get(custom_task_id, custom_task_version_id=task_version_2.id)
    assert got.label == "2.0" and got.id == task_version_2.id

    got.update(description="new description")
    assert got.description == "new description"
    assert dr.CustomTaskVersion.get(custom_task_id, task_version_2.id).description == (
        "new description"
    )

    path_to_download = tmp_path / "myTask.zip"
    got.download(str(path_to_download))
    with zipfile.ZipFile(path_to_download) as archive:
        assert sorted(archive.namelist()) == sorted([*PYTORCH_TASK, "extra.py"])
        assert archive.read("requirements.txt") == b"torch==2.2.0\n"


def test_preparing_a_version_for_use_builds_its_dependencies(
    dr_client: RunningEmulator, make_folder: Callable[..., Path]
) -> None:
    # The official client polls every 5 s: this one real wait costs one poll interval.
    task = dr.CustomTask.create(name="deps", target_type=CUSTOM_TASK_TARGET_TYPE.REGRESSION)
    env = dr.ExecutionEnvironment.list(search_for="Scikit-Learn")[0]
    version = dr.CustomTaskVersion.create_clean(
        custom_task_id=task.id,
        base_environment_id=env.id,
        folder_path=str(make_folder(PYTORCH_TASK)),
    )
    started = version.start_dependency_build_and_wait(max_wait=30)
    assert started is not None
    assert started.build_status == "success"
    assert started.custom_task_id == task.id
    assert started.custom_task_version_id == version.id
    assert started.completed_at is not None
