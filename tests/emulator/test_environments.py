"""Execution environments through the official client: the seed, filters, versions, logs."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest
import requests
from datarobot.client import set_client
from datarobot.errors import ClientError

from ctask_sync.emulator import (
    PYTHON_ENV_ID,
    PYTHON_KERAS_ENV_ID,
    PYTHON_METADATA_ENV_ID,
    PYTHON_PYTORCH_ENV_ID,
    PYTHON_SKLEARN_ENV_ID,
    PYTHON_SKLEARN_ENV_VERSION_ID,
    PYTHON_XGBOOST_ENV_ID,
    R_ENV_ID,
    RunningEmulator,
)
from ctask_sync.emulator.testing import SENTINEL_TOKEN


def test_seeded_environments_have_fixed_ids_and_built_versions(dr_client: RunningEmulator) -> None:
    envs = {e.id: e for e in dr.ExecutionEnvironment.list()}
    # DRUM's env_info.json ids and names (docs/datarobot-api.md §8).
    assert {i: e.name for i, e in envs.items()} == {
        "5e8c889607389fe0f466c72d": "[DataRobot] Python 3.12 Scikit-Learn Drop-In",
        "5e8c888007389fe0f466c72b": "[DataRobot] Python 3.12 PyTorch Drop-In",
        "5e8c886607389fe0f466c729": "[DataRobot] Python 3.12 Keras Drop-In",
        "5e8c88a407389fe0f466c72f": "[DataRobot] Python 3.12 XGBoost Drop-In",
        "67a554baeade3a4ce2ab6700": "[DataRobot] Python 3.12 Drop-In",
        "5ea850ca1d41c8173c2feef6": "[DataRobot] R 4.5.2 Drop-In",
        PYTHON_METADATA_ENV_ID: "[Emulator] Python 3 Drop-In With Required Metadata",
    }
    assert {
        PYTHON_SKLEARN_ENV_ID,
        PYTHON_KERAS_ENV_ID,
        PYTHON_XGBOOST_ENV_ID,
        PYTHON_ENV_ID,
    } <= set(envs)
    assert envs[R_ENV_ID].programming_language == "r"
    for env in envs.values():
        assert env.latest_successful_version.build_status == "success"
    assert [
        (k.field_name, k.display_name) for k in envs[PYTHON_METADATA_ENV_ID].required_metadata_keys
    ] == [("SERVICE_URL", "Service URL")]


def test_filters_and_own_environments(dr_client: RunningEmulator) -> None:
    mine = dr.ExecutionEnvironment.create(name="my env", description="custom stuff")
    assert mine.latest_version is None  # no version built yet
    assert [e.id for e in dr.ExecutionEnvironment.list(is_own=True)] == [mine.id]
    assert mine.id not in {e.id for e in dr.ExecutionEnvironment.list(is_public=True)}
    assert [e.id for e in dr.ExecutionEnvironment.list(search_for="pytorch")] == [
        PYTHON_PYTORCH_ENV_ID
    ]
    assert [e.id for e in dr.ExecutionEnvironment.list(search_for="CUSTOM STUFF")] == [mine.id]
    page = dr.ExecutionEnvironment.list(limit=2, offset=1)
    assert [e.id for e in page] == [PYTHON_PYTORCH_ENV_ID, PYTHON_KERAS_ENV_ID]


def test_environment_versions_get_download_and_build_log(
    dr_client: RunningEmulator, tmp_path: Path
) -> None:
    [version] = dr.ExecutionEnvironmentVersion.list(PYTHON_SKLEARN_ENV_ID)
    assert version.id == PYTHON_SKLEARN_ENV_VERSION_ID
    assert dr.ExecutionEnvironmentVersion.list(PYTHON_SKLEARN_ENV_ID, build_status="failed") == []
    got = dr.ExecutionEnvironmentVersion.get(PYTHON_SKLEARN_ENV_ID, version.id)
    assert (got.build_status, got.environment_id) == ("success", PYTHON_SKLEARN_ENV_ID)
    log, error = got.get_build_log()
    assert "Done." in log and error is None
    target = tmp_path / "context.tar.gz"
    got.download(str(target))
    with tarfile.open(target) as archive:
        assert archive.getnames() == ["Dockerfile"]
    with pytest.raises(ClientError) as caught:
        dr.ExecutionEnvironmentVersion.get(PYTHON_SKLEARN_ENV_ID, "0123456789abcdef01234567")
    assert caught.value.status_code == 404


def test_environment_name_is_required(api: Any) -> None:
    response = api("POST", "executionEnvironments/", json={"description": "no name"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": "required, 1 to 255 characters"}


def test_version_lists_page_with_the_official_client(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(default_page_limit=2)
    dr.Client(endpoint=emu.endpoint, token=SENTINEL_TOKEN)
    try:
        task = dr.CustomTask.create(name="t", target_type="Binary")
        for _ in range(5):
            dr.CustomTaskVersion.create_from_previous(
                custom_task_id=task.id, base_environment_id=PYTHON_SKLEARN_ENV_ID
            )
        labels = [v.label for v in dr.CustomTaskVersion.list(task.id)]
        assert labels == ["5.0", "4.0", "3.0", "2.0", "1.0"]
        log = requests.get(f"{emu.admin_url}/requests", timeout=10).json()["requests"]
        pages = [e for e in log if e["method"] == "GET" and e["path"].endswith("/versions/")]
        assert [e["query"] for e in pages] == ["", "offset=2&limit=2", "offset=4&limit=2"]
    finally:
        set_client(None)  # type: ignore[arg-type]
