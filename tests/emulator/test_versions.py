"""Custom task versions through the official client: numbering, create_from_previous, metadata,
dependencies, arguments, downloads and the 4xx cases."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest
import requests
from datarobot.enums import CustomTaskOutboundNetworkPolicy
from datarobot.errors import ClientError
from datarobot.models.custom_model_version import RequiredMetadataValue

from ctask_sync.emulator import (
    PYTHON_METADATA_ENV_ID,
    PYTHON_PYTORCH_ENV_ID,
    PYTHON_SKLEARN_ENV_ID,
    PYTHON_SKLEARN_ENV_VERSION_ID,
    RunningEmulator,
)
from ctask_sync.emulator.testing import SENTINEL_TOKEN


@pytest.fixture
def task(dr_client: RunningEmulator) -> dr.CustomTask:
    return dr.CustomTask.create(name="t", target_type="Binary", language="python")


def _clean(task: dr.CustomTask, folder: Path | None, **kwargs: Any) -> dr.CustomTaskVersion:
    return dr.CustomTaskVersion.create_clean(
        custom_task_id=task.id,
        base_environment_id=kwargs.pop("env", PYTHON_SKLEARN_ENV_ID),
        folder_path=str(folder) if folder else None,
        **kwargs,
    )


def _previous(task: dr.CustomTask, folder: Path | None, **kwargs: Any) -> dr.CustomTaskVersion:
    return dr.CustomTaskVersion.create_from_previous(
        custom_task_id=task.id,
        base_environment_id=kwargs.pop("env", PYTHON_SKLEARN_ENV_ID),
        folder_path=str(folder) if folder else None,
        **kwargs,
    )


def _zip(version: dr.CustomTaskVersion, tmp_path: Path) -> dict[str, bytes]:
    target = tmp_path / f"{version.id}.zip"
    version.download(str(target))
    with zipfile.ZipFile(target) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_numbering_minor_and_major_and_first_version_is_1_0(task: dr.CustomTask) -> None:
    labels = [
        _clean(task, None, is_major_update=False).label,
        _previous(task, None, is_major_update=False).label,
        _previous(task, None, is_major_update=False).label,
        _previous(task, None, is_major_update=True).label,
        _clean(task, None, is_major_update=False).label,
    ]
    assert labels == ["1.0", "1.1", "1.2", "2.0", "2.1"]
    listed = dr.CustomTaskVersion.list(task.id)
    assert [(v.version_major, v.version_minor) for v in listed] == [
        (2, 1),
        (2, 0),
        (1, 2),
        (1, 1),
        (1, 0),
    ]
    assert [v.is_frozen for v in listed] == [False, True, True, True, True]


def test_create_from_previous_keeps_replaces_and_deletes(
    task: dr.CustomTask, make_folder: Callable[..., Path], tmp_path: Path
) -> None:
    first = _clean(
        task,
        make_folder(
            {
                "custom.py": "v1",
                "keep me.py": "kept",
                "sub/helper.py": "old helper",
                "drop.txt": "gone soon",
            },
            name="v1",
        ),
    )
    by_path = {i.file_path: i for i in first.items}
    second = _previous(
        task,
        make_folder({"sub/helper.py": "new helper", "added.py": "new"}, name="v2"),
        files_to_delete=[by_path["drop.txt"].id],
        is_major_update=False,
    )
    assert second.label == "1.1"
    assert sorted(i.file_path for i in second.items) == [
        "added.py",
        "custom.py",
        "keep me.py",
        "sub/helper.py",
    ]
    assert {i.id for i in second.items}.isdisjoint({i.id for i in first.items})
    assert {i.file_name for i in second.items} == {
        "added.py",
        "custom.py",
        "keep me.py",
        "helper.py",
    }
    assert _zip(second, tmp_path) == {
        "added.py": b"new",
        "custom.py": b"v1",
        "keep me.py": b"kept",
        "sub/helper.py": b"new helper",
    }
    # The first version is untouched, and now frozen.
    first.refresh()
    assert first.is_frozen
    assert _zip(first, tmp_path)["sub/helper.py"] == b"old helper"


def test_files_to_delete_with_an_unknown_item_id_is_422(
    task: dr.CustomTask, make_folder: Callable[..., Path]
) -> None:
    first = _clean(task, make_folder({"custom.py": "x"}))
    with pytest.raises(ClientError) as caught:
        _previous(task, None, files_to_delete=["0123456789abcdef01234567"])
    assert caught.value.status_code == 422
    assert caught.value.json["errors"] == {
        "filesToDelete": "unknown item id(s): 0123456789abcdef01234567"
    }
    assert [v.id for v in dr.CustomTaskVersion.list(task.id)] == [first.id]


def test_unknown_environment_is_422(task: dr.CustomTask) -> None:
    with pytest.raises(ClientError) as caught:
        _clean(task, None, env="0123456789abcdef01234567")
    assert caught.value.status_code == 422
    assert caught.value.json["message"] == (
        "Execution environment 0123456789abcdef01234567 was not found"
    )


def test_required_metadata_is_enforced_stored_and_inherited(task: dr.CustomTask) -> None:
    with pytest.raises(ClientError) as caught:
        _clean(task, None, env=PYTHON_METADATA_ENV_ID)
    assert caught.value.status_code == 422
    assert caught.value.json["message"] == (
        f"Execution environment {PYTHON_METADATA_ENV_ID} requires metadata values for: SERVICE_URL"
    )
    value = RequiredMetadataValue(field_name="SERVICE_URL", value="https://svc")
    first = _clean(task, None, env=PYTHON_METADATA_ENV_ID, required_metadata_values=[value])
    assert [(v.field_name, v.value) for v in first.required_metadata_values] == [
        ("SERVICE_URL", "https://svc")
    ]
    second = _previous(task, None, env=PYTHON_METADATA_ENV_ID)
    assert [v.value for v in second.required_metadata_values] == ["https://svc"]
    second.update(
        required_metadata_values=[RequiredMetadataValue(field_name="SERVICE_URL", value="v2")]
    )
    assert dr.CustomTaskVersion.get(task.id, second.id).required_metadata_values[0].value == "v2"


def test_settings_of_a_version_and_their_inheritance(task: dr.CustomTask) -> None:
    first = _clean(
        task,
        None,
        maximum_memory=4 * 1024**3,
        outbound_network_policy=CustomTaskOutboundNetworkPolicy.PUBLIC,
    )
    assert first.maximum_memory == 4 * 1024**3
    assert first.outbound_network_policy == CustomTaskOutboundNetworkPolicy.PUBLIC
    assert first.base_environment_id == PYTHON_SKLEARN_ENV_ID
    assert first.base_environment_version_id == PYTHON_SKLEARN_ENV_VERSION_ID
    inherited = _previous(task, None, env=PYTHON_PYTORCH_ENV_ID)
    assert inherited.maximum_memory == 4 * 1024**3
    assert inherited.outbound_network_policy == CustomTaskOutboundNetworkPolicy.PUBLIC
    assert inherited.base_environment_id == PYTHON_PYTORCH_ENV_ID
    clean = _clean(task, None)
    assert clean.outbound_network_policy == CustomTaskOutboundNetworkPolicy.ISOLATED
    assert clean.maximum_memory is None


def test_requirements_are_parsed_into_dependencies(
    task: dr.CustomTask, make_folder: Callable[..., Path]
) -> None:
    text = "# pinned\nnumpy==1.26.4\n\nscikit-learn>=1.3,<2  # range\npandas\n"
    version = _clean(task, make_folder({"requirements.txt": text}))
    assert [
        (d.package_name, [(c.constraint_type, c.version) for c in d.constraints], d.line_number)
        for d in version.dependencies
    ] == [
        ("numpy", [("==", "1.26.4")], 2),
        ("scikit-learn", [(">=", "1.3"), ("<", "2")], 4),
        ("pandas", [], 5),
    ]
    # A nested requirements.txt is just a file, not the task's requirements.
    nested = _clean(task, make_folder({"sub/requirements.txt": "numpy\n"}, name="nested"))
    assert nested.dependencies == []


def test_invalid_requirements_are_422_with_invalid_dependencies(
    task: dr.CustomTask, make_folder: Callable[..., Path]
) -> None:
    folder = make_folder({"requirements.txt": "numpy\n-r other.txt\ntorch~=2.0\n"})
    with pytest.raises(ClientError) as caught:
        _clean(task, folder)
    assert caught.value.status_code == 422
    assert caught.value.json["invalidDependencies"] == [
        {"line": "-r other.txt", "lineNumber": 2},
        {"line": "torch~=2.0", "lineNumber": 3},
    ]
    assert [d["packageName"] for d in caught.value.json["dependencies"]] == ["numpy"]
    assert dr.CustomTaskVersion.list(task.id) == []


def test_arguments_come_from_model_metadata_hyperparameters(
    task: dr.CustomTask, make_folder: Callable[..., Path]
) -> None:
    metadata = (
        "name: t\ntype: training\ntargetType: binary\nhyperparameters:\n"
        "  - {name: seed, type: int, min: 0, max: 100, default: 7}\n"
        "  - {name: rate, type: float, min: 0.5, max: 1.0}\n"
        "  - {name: kernel, type: select, values: [linear, rbf]}\n"
        "  - {name: label, type: string, default: hello}\n"
        "  - name: mix\n    type: multi\n    default: 1\n    values:\n"
        "      int: {min: 0, max: 1}\n      select: {values: [a, b]}\n"
        "  - {name: grid, type: intgrid, min: 1, max: 3}\n"
    )
    version = _clean(task, make_folder({"model-metadata.yaml": metadata}))
    args = {a.key: a.argument for a in version.arguments}
    # The client's fixtures: key user_param___<name>, ranges [min, max], strings are unicode.
    assert list(args) == [
        f"user_param___{n}" for n in ("seed", "rate", "kernel", "label", "mix", "grid")
    ]
    shapes = {
        k.removeprefix("user_param___"): (a.type, a.values, a.default) for k, a in args.items()
    }
    assert shapes == {
        "seed": ("int", [0, 100], 7),
        "rate": ("float", [0.5, 1.0], 0.5),  # no default: the minimum
        "kernel": ("select", ["linear", "rbf"], "linear"),  # no default: the first value
        "label": ("unicode", [], "hello"),
        "mix": ("multi", {"int": [0, 1], "select": {"values": ["a", "b"]}}, 1),
        "grid": ("intgrid", [1, 3], 1),
    }


def test_version_description_limit_is_10000_characters(task: dr.CustomTask) -> None:
    version = _clean(task, None)
    version.update(description="x" * 10_000)
    assert len(version.description) == 10_000
    with pytest.raises(ClientError) as caught:
        version.update(description="x" * 10_001)
    assert caught.value.status_code == 422
    assert caught.value.json["errors"] == {"description": "10001 characters; at most 10000"}


def test_admin_freeze_sets_is_frozen(task: dr.CustomTask, admin: Any) -> None:
    version = _clean(task, None)
    assert not version.is_frozen
    response = admin.post(f"/customTasks/{task.id}/versions/{version.id}/freeze")
    assert response.status_code == 200
    version.refresh()
    assert version.is_frozen


def test_unknown_version_is_404(task: dr.CustomTask) -> None:
    with pytest.raises(ClientError) as caught:
        dr.CustomTaskVersion.get(task.id, "0123456789abcdef01234567")
    assert caught.value.status_code == 404


def _plain_task(emu: RunningEmulator) -> tuple[dict[str, str], str]:
    """A task made with plain requests: the auth headers, and the task's id."""
    headers = {"Authorization": f"Token {SENTINEL_TOKEN}"}
    task = requests.post(
        f"{emu.endpoint}/customTasks/",
        json={"name": "t", "targetType": "Binary"},
        headers=headers,
        timeout=10,
    ).json()
    return headers, str(task["id"])


def test_upload_over_the_limit_is_413_and_creates_nothing(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    # Plain requests: the official client retries a 413 for about 100 s.
    emu = emulator_factory(max_upload_bytes=1000)
    headers, task_id = _plain_task(emu)
    url = f"{emu.endpoint}/customTasks/{task_id}/versions/"
    fields = {"isMajorUpdate": "True", "baseEnvironmentId": PYTHON_SKLEARN_ENV_ID}
    big = requests.post(
        url,
        data={**fields, "filePath": "big.bin"},
        files={"file": ("big.bin", io.BytesIO(b"x" * 2000))},
        headers=headers,
        timeout=10,
    )
    assert big.status_code == 413
    assert big.json()["message"].endswith("the limit is 1000 bytes")
    assert requests.get(url, headers=headers, timeout=10).json()["totalCount"] == 0
    small = requests.post(
        url,
        data={**fields, "filePath": "small.bin"},
        files={"file": ("small.bin", io.BytesIO(b"x" * 10))},
        headers=headers,
        timeout=10,
    )
    assert small.status_code == 201


def _upload(api: Any, task_id: str, path: str, filename: str = "x.py") -> requests.Response:
    """A raw single-file version upload, as the client would send it."""
    return api(  # type: ignore[no-any-return]
        "POST",
        f"customTasks/{task_id}/versions/",
        data={
            "isMajorUpdate": "True",
            "baseEnvironmentId": PYTHON_SKLEARN_ENV_ID,
            "filePath": path,
        },
        files={"file": (filename, io.BytesIO(b"x"))},
    )


def test_unsafe_file_paths_are_422(api: Any) -> None:
    task = api("POST", "customTasks/", json={"name": "t", "targetType": "Binary"}).json()
    for bad in ("../escape.py", "/abs.py", "a/../../b.py"):
        response = _upload(api, task["id"], bad)
        assert response.status_code == 422, bad
        assert response.json()["errors"] == {
            "filePath": f"{bad!r} is not a relative path inside the task"
        }


def test_zip_download_headers(api: Any, task: dr.CustomTask) -> None:
    version = _clean(task, None)
    for path in (
        f"customTasks/{task.id}/download/",
        f"customTasks/{task.id}/versions/{version.id}/download/",
    ):
        response = api("GET", path)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == (
            f"attachment;filename=model-{task.id}-version-{version.id}.zip"
        )


def _multipart(fields: list[tuple[str, str]], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "emulatortestboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields
    ]
    for name, content in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"'
        parts.append(f"{head}\r\n\r\n".encode() + content + b"\r\n")
        path_head = f'--{boundary}\r\nContent-Disposition: form-data; name="filePath"'
        parts.append(f"{path_head}\r\n\r\n{name}\r\n".encode())
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_chunked_uploads_are_limited_and_measured_too(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(max_upload_bytes=2000)
    headers, task_id = _plain_task(emu)
    url = f"{emu.endpoint}/customTasks/{task_id}/versions/"
    fields = [("isMajorUpdate", "True"), ("baseEnvironmentId", PYTHON_SKLEARN_ENV_ID)]

    def send(content: bytes) -> requests.Response:
        body, content_type = _multipart(fields, [("a.bin", content)])
        # A generator body makes requests use Transfer-Encoding: chunked (no Content-Length).
        return requests.post(
            url,
            data=(body[i : i + 500] for i in range(0, len(body), 500)),
            headers={**headers, "Content-Type": content_type},
            timeout=10,
        )

    too_big = send(b"x" * 5000)
    assert too_big.status_code == 413
    assert too_big.json()["message"] == "Request is too large in size; the limit is 2000 bytes"
    ok = send(b"y" * 100)
    assert ok.status_code == 201, ok.text
    body, _ = _multipart(fields, [("a.bin", b"y" * 100)])
    log = requests.get(f"{emu.admin_url}/requests", timeout=10).json()["requests"]
    assert log[-1]["request_bytes"] == len(body)
    download = requests.get(
        f"{emu.endpoint}/customTasks/{task_id}/download/", headers=headers, timeout=10
    )
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.read("a.bin") == b"y" * 100


def test_a_form_field_over_the_field_limit_is_413_naming_the_field_limit(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    """No upload limit set: werkzeug's own limit on one form field (500,000 bytes) is the one
    left, and the message names it instead of 'the limit is None bytes'."""
    emu = emulator_factory()
    headers, task_id = _plain_task(emu)
    url = f"{emu.endpoint}/customTasks/{task_id}/versions/"
    metadata = json.dumps({f"K{i}": "v" * 30 for i in range(20_000)})
    fields = [
        ("isMajorUpdate", "True"),
        ("baseEnvironmentId", PYTHON_SKLEARN_ENV_ID),
        ("requiredMetadata", metadata),
    ]
    body, content_type = _multipart(fields, [("a.bin", b"x")])
    answer = requests.post(
        url, data=body, headers={**headers, "Content-Type": content_type}, timeout=10
    )
    assert answer.status_code == 413
    assert answer.json()["message"] == (
        "Request is too large in size; a form field is over the 500000 bytes a field may hold"
    )


def test_version_and_item_fields_of_the_clients_fixtures(api: Any) -> None:
    task = api("POST", "customTasks/", json={"name": "t", "targetType": "Binary"}).json()
    assert task["deploymentsCount"] == 0
    # fileName follows the part's filename, not the path, as the client sends it.
    response = _upload(api, task["id"], "sub/a.py", filename="uploaded-name.py")
    assert response.status_code == 201, response.text
    version = response.json()
    assert version["trainingHistory"] == []
    [item] = version["items"]
    assert (item["fileName"], item["filePath"], item["fileSource"]) == (
        "uploaded-name.py",
        "sub/a.py",
        "local",
    )
    assert item["workspaceId"] == task["id"]
    assert item["storagePath"] == f"workspace/{task['id'][:10]}/sub/a.py"
    repository = ("repositoryLocation", "repositoryName", "repositoryFilePath", "ref", "commitSha")
    assert {k: item[k] for k in repository} == dict.fromkeys(repository)


def test_missing_is_major_update_is_422(api: Any) -> None:
    task = api("POST", "customTasks/", json={"name": "t", "targetType": "Binary"}).json()
    response = api(
        "POST",
        f"customTasks/{task['id']}/versions/",
        data={"baseEnvironmentId": PYTHON_SKLEARN_ENV_ID},
        files={"file": ("custom.py", io.BytesIO(b"x"))},
    )
    assert response.status_code == 422
    assert "isMajorUpdate" in response.json()["errors"]
    assert api("GET", f"customTasks/{task['id']}/versions/").json()["data"] == []


def test_from_repository_is_an_unimplemented_endpoint_not_a_missing_version(api: Any) -> None:
    task = api("POST", "customTasks/", json={"name": "t", "targetType": "Binary"}).json()
    path = f"customTasks/{task['id']}/versions/fromRepository/"
    for method in ("POST", "PATCH"):
        response = api(method, path, json={"repositoryId": "0" * 24, "ref": "main"})
        assert response.status_code == 501, method
        assert "not implemented" in response.json()["message"]
    response = api("GET", path)
    assert (response.status_code, response.headers["Allow"]) == (405, "POST, PATCH")
    assert api("POST", f"customTasks/{'0' * 24}/versions/fromRepository/").status_code == 404
