"""Dependency builds as a state machine in time, through the official client."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest
from datarobot.client import get_client, set_client
from datarobot.errors import AsyncTimeoutError, ClientError

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, RunningEmulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN


class FastPolls:
    """Stands in for the `time` module inside datarobot's waiter: its fixed 5 s poll interval
    becomes 0.05 s, everything else is real time."""

    time = staticmethod(time.time)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, 0.05))


@pytest.fixture
def fast_polls(mocker: Any) -> None:
    mocker.patch("datarobot.utils.waiters.time", FastPolls)


def _version(requirements: str, make_folder: Callable[..., Path]) -> dr.CustomTaskVersion:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    return dr.CustomTaskVersion.create_clean(
        custom_task_id=task.id,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        folder_path=str(make_folder({"custom.py": "x", "requirements.txt": requirements})),
    )


def _log_text(version: dr.CustomTaskVersion, tmp_path: Path) -> str:
    target = tmp_path / "logs"
    target.mkdir(exist_ok=True)
    version.download_dependency_build_log(str(target))
    [log_path] = target.iterdir()
    # The client names the file after Content-Disposition minus "attachment; filename=".
    assert log_path.name == f"dependency-build-log-{version.id}.log"
    return log_path.read_text(encoding="utf-8")


def test_build_passes_through_submitted_and_processing_to_success(
    emulator_factory: Callable[..., RunningEmulator],
    make_folder: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # Long enough that polling every 20 ms cannot miss the processing phase on a busy machine.
    emu = emulator_factory(build_seconds=0.9)
    dr.Client(endpoint=emu.endpoint, token=SENTINEL_TOKEN)
    version = _version("numpy==1.26.4\n", make_folder)
    with pytest.raises(ClientError) as caught:
        version.get_dependency_build()
    assert caught.value.status_code == 422  # no build yet: 422, not 404
    started = version.start_dependency_build()
    assert started.build_status == "submitted"
    assert started.completed_at is None and started.build_log_location is None
    seen = {started.build_status}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = version.get_dependency_build().build_status
        seen.add(status)
        if status == "success":
            break
        time.sleep(0.02)
    assert seen == {"submitted", "processing", "success"}
    finished = version.get_dependency_build()
    assert finished.completed_at is not None
    assert finished.build_log_location.endswith(
        f"/api/v2/customTasks/{version.custom_task_id}/versions/{version.id}/dependencyBuildLog/"
    )
    assert "Successfully installed numpy" in _log_text(version, tmp_path)
    with pytest.raises(ClientError) as caught:
        version.start_dependency_build()
    assert caught.value.status_code == 422  # already built
    set_client(None)  # type: ignore[arg-type]


def test_failing_build_and_its_log(
    dr_client: RunningEmulator, make_folder: Callable[..., Path], tmp_path: Path, fast_polls: None
) -> None:
    version = _version("numpy\ndoes-not-exist-pkg==9.9\n", make_folder)
    result = version.start_dependency_build_and_wait(max_wait=10)
    assert result is not None and result.build_status == "failed"
    log = _log_text(version, tmp_path)
    assert "No matching distribution found for does-not-exist-pkg" in log
    assert "requirements.txt line 2: does-not-exist-pkg==9.9" in log
    # The body itself is the text (no archive), as every public mock of this endpoint serves.
    response = get_client().get(
        f"customTasks/{version.custom_task_id}/versions/{version.id}/dependencyBuildLog/"
    )
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == log
    # A failed build can be started again (here it fails again: same requirements).
    assert version.start_dependency_build().build_status == "submitted"


def test_cancel_while_running_then_409_once_terminal(
    emulator_factory: Callable[..., RunningEmulator], make_folder: Callable[..., Path]
) -> None:
    emu = emulator_factory(build_seconds=30)
    dr.Client(endpoint=emu.endpoint, token=SENTINEL_TOKEN)
    try:
        version = _version("numpy\n", make_folder)
        with pytest.raises(ClientError) as caught:
            version.cancel_dependency_build()
        assert caught.value.status_code == 422  # nothing to cancel yet
        version.start_dependency_build()
        with pytest.raises(ClientError) as caught:
            version.download_dependency_build_log()
        assert caught.value.status_code == 404  # log not ready while the build runs
        version.cancel_dependency_build()
        assert version.get_dependency_build().build_status == "failed"
        with pytest.raises(ClientError) as caught:
            version.cancel_dependency_build()
        assert caught.value.status_code == 409
    finally:
        set_client(None)  # type: ignore[arg-type]


def test_waiting_past_max_wait_times_out(
    emulator_factory: Callable[..., RunningEmulator],
    make_folder: Callable[..., Path],
    fast_polls: None,
) -> None:
    emu = emulator_factory(build_seconds=30)
    dr.Client(endpoint=emu.endpoint, token=SENTINEL_TOKEN)
    try:
        version = _version("numpy\n", make_folder)
        with pytest.raises(AsyncTimeoutError, match="Last status was 200"):
            version.start_dependency_build_and_wait(max_wait=1)
    finally:
        set_client(None)  # type: ignore[arg-type]


def test_version_without_requirements_has_nothing_to_build(
    dr_client: RunningEmulator, make_folder: Callable[..., Path]
) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    version = dr.CustomTaskVersion.create_clean(
        custom_task_id=task.id, base_environment_id=PYTHON_SKLEARN_ENV_ID
    )
    with pytest.raises(ClientError) as caught:
        version.start_dependency_build()
    assert caught.value.status_code == 422
    assert "has no dependencies to build" in caught.value.json["message"]


def test_reuse_builds_finishes_a_repeated_pair_at_once(
    emulator_factory: Callable[..., RunningEmulator], make_folder: Callable[..., Path]
) -> None:
    emu = emulator_factory(build_seconds=0.3, reuse_builds=True)
    dr.Client(endpoint=emu.endpoint, token=SENTINEL_TOKEN)
    try:
        first = _version("numpy==1\n", make_folder)
        assert first.start_dependency_build().build_status == "submitted"
        time.sleep(0.35)
        assert first.get_dependency_build().build_status == "success"
        task = dr.CustomTask.get(first.custom_task_id)
        second = dr.CustomTaskVersion.create_from_previous(
            custom_task_id=task.id, base_environment_id=PYTHON_SKLEARN_ENV_ID
        )
        assert second.start_dependency_build().build_status == "success"
    finally:
        set_client(None)  # type: ignore[arg-type]
