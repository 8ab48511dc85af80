"""User blueprints through the official client, and the 409 they cause on deleting a task."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest
import requests
from datarobot.errors import ClientError
from datarobot.models.user_blueprints.models import UserBlueprint

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, RunningEmulator


def _version(make_folder: Callable[..., Path], target: str = "Binary") -> dr.CustomTaskVersion:
    task = dr.CustomTask.create(name="my estimator", target_type=target)
    return dr.CustomTaskVersion.create_clean(
        custom_task_id=task.id,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        folder_path=str(make_folder({"custom.py": "x"}, name=task.id)),
    )


def _step(version_ref: str, code: str = "CUSTOMR") -> dict[str, Any]:
    return {
        "task_id": "1",
        "task_data": {
            "task_code": code,
            "inputs": ["NUM"],
            "output_method": "P",
            "output_method_parameters": [],
            "task_parameters": [{"param": "version_id", "value": version_ref}],
            "x_transformations": [],
            "y_transformations": [],
        },
    }


def test_create_from_custom_task_version_then_list_get_update_delete(
    dr_client: Any, make_folder: Callable[..., Path]
) -> None:
    version = _version(make_folder)
    made = UserBlueprint.create_from_custom_task_version_id(version.id, description="mine")
    assert made.custom_task_version_metadata == [[version.id, version.custom_task_id]]
    assert made.model_type == "my estimator (v1.0)"
    assert made.supported_target_types == ["binary"]
    [step] = made.blueprint
    assert step.task_data.task_code == "CUSTOMR"
    assert [(p.param, p.value) for p in step.task_data.task_parameters] == [
        ("version_id", version.id)
    ]

    assert [b.user_blueprint_id for b in UserBlueprint.list()] == [made.user_blueprint_id]
    got = UserBlueprint.get(made.user_blueprint_id)
    assert got.blueprint_id == made.blueprint_id

    latest = f"latest_{version.custom_task_id}"
    updated = UserBlueprint.update([_step(latest)], made.user_blueprint_id, model_type="renamed")
    assert updated.model_type == "renamed"
    assert updated.blueprint[0].task_data.task_parameters[0].value == latest
    assert updated.blueprint_id != made.blueprint_id  # the id follows the content

    UserBlueprint.delete(made.user_blueprint_id)
    assert UserBlueprint.list() == []
    with pytest.raises(ClientError) as caught:
        UserBlueprint.get(made.user_blueprint_id)
    assert caught.value.status_code == 404


def test_a_task_used_by_a_blueprint_cannot_be_deleted_until_the_blueprint_goes(
    dr_client: RunningEmulator, make_folder: Callable[..., Path]
) -> None:
    version = _version(make_folder)
    task = dr.CustomTask.get(version.custom_task_id)
    blueprint = UserBlueprint.create([_step(f"latest_{task.id}")], model_type="uses latest")
    with pytest.raises(ClientError) as caught:
        task.delete()
    assert caught.value.status_code == 409
    assert caught.value.json["conflicts"] == [
        {
            "type": "userBlueprint",
            "id": blueprint.user_blueprint_id,
            "url": f"{dr_client.endpoint}/userBlueprints/{blueprint.user_blueprint_id}/",
        }
    ]
    # The admin API shows which tasks each blueprint holds on to.
    [seen] = requests.get(f"{dr_client.admin_url}/userBlueprints", timeout=10).json()[
        "userBlueprints"
    ]
    assert seen["customTaskIds"] == [task.id]
    UserBlueprint.delete(blueprint.user_blueprint_id)
    task.delete()
    assert [t.id for t in dr.CustomTask.list()] == []


def test_a_blueprint_naming_no_existing_version_is_422(
    dr_client: Any, make_folder: Callable[..., Path]
) -> None:
    with pytest.raises(ClientError) as caught:
        UserBlueprint.create([_step("0123456789abcdef01234567")])
    assert caught.value.status_code == 422
    with pytest.raises(ClientError) as caught:
        UserBlueprint.create_from_custom_task_version_id("0123456789abcdef01234567")
    assert caught.value.status_code == 422
