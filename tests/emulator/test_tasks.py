"""Custom task endpoints: paging, search, order, errors and copies, through the official client
(plus raw HTTP where the wire shape itself is the point)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import datarobot as dr
import pytest
import requests
from datarobot.client import set_client
from datarobot.errors import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, RunningEmulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN


@pytest.fixture
def small_pages(emulator_factory: Callable[..., RunningEmulator]) -> Any:
    emu = emulator_factory(default_page_limit=3)
    dr.Client(endpoint=emu.endpoint, token=SENTINEL_TOKEN)
    yield emu
    set_client(None)  # type: ignore[arg-type]


def test_list_pages_through_more_than_one_page_with_absolute_next_urls(small_pages: Any) -> None:
    created = [
        dr.CustomTask.create(name=f"task {i}", target_type="Binary", description="fraud model")
        for i in range(8)
    ]
    created.append(dr.CustomTask.create(name="other", target_type="Binary"))

    listed = dr.CustomTask.list(search_for="FRAUD", order_by="created")
    assert [t.id for t in listed] == [t.id for t in created[:8]]

    first = requests.get(
        f"{small_pages.endpoint}/customTasks/",
        params={"searchFor": "FRAUD", "orderBy": "created"},
        headers={"Authorization": f"Bearer {SENTINEL_TOKEN}"},
        timeout=10,
    ).json()
    assert (first["count"], first["totalCount"], first["previous"]) == (3, 8, None)
    next_url = urlsplit(first["next"])
    assert f"{next_url.scheme}://{next_url.netloc}" == small_pages.endpoint.rsplit("/api/v2", 1)[0]
    assert next_url.path == "/api/v2/customTasks/"
    assert parse_qs(next_url.query) == {
        "searchFor": ["FRAUD"],
        "orderBy": ["created"],
        "offset": ["3"],
        "limit": ["3"],
    }


def test_default_order_is_newest_first_and_updated_order_follows_patches(dr_client: Any) -> None:
    a = dr.CustomTask.create(name="a", target_type="Binary")
    b = dr.CustomTask.create(name="b", target_type="Binary")
    assert [t.id for t in dr.CustomTask.list()] == [b.id, a.id]
    a.update(name="a2")
    assert [t.id for t in dr.CustomTask.list(order_by="-updated")] == [a.id, b.id]
    assert [t.id for t in dr.CustomTask.list(order_by="updated")] == [b.id, a.id]


def test_search_matches_language_too(dr_client: Any) -> None:
    r_task = dr.CustomTask.create(name="glm", target_type="Regression", language="r")
    dr.CustomTask.create(name="nn", target_type="Regression", language="python")
    assert [t.id for t in dr.CustomTask.list(search_for="R")] == [r_task.id]


def test_list_embeds_the_full_latest_version_with_items(
    dr_client: Any, make_folder: Callable[..., Path]
) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary")
    dr.CustomTaskVersion.create_clean(
        custom_task_id=task.id,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        folder_path=str(make_folder({"custom.py": "x", "requirements.txt": "numpy\n"})),
    )
    [listed] = dr.CustomTask.list()
    assert sorted(i.file_path for i in listed.latest_version.items) == [
        "custom.py",
        "requirements.txt",
    ]
    assert listed.latest_version.outbound_network_policy.name == "ISOLATED"
    assert [d.package_name for d in listed.latest_version.dependencies] == ["numpy"]


def test_missing_or_wrong_token_is_401_json(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(token="the-only-token")
    url = f"{emu.endpoint}/customTasks/"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401
    assert missing.headers["Content-Type"] == "application/json"
    assert "Authentication required" in missing.json()["message"]
    wrong = requests.get(url, headers={"Authorization": "Token nope"}, timeout=10)
    assert (wrong.status_code, wrong.json()) == (401, {"message": "Invalid API token"})
    for scheme in ("Token", "Bearer"):
        ok = requests.get(url, headers={"Authorization": f"{scheme} the-only-token"}, timeout=10)
        assert ok.status_code == 200

    with pytest.raises(ClientError) as caught:
        dr.Client(endpoint=emu.endpoint, token="not-the-token")
    assert caught.value.status_code == 401
    set_client(None)  # type: ignore[arg-type]


def test_bad_field_is_422_with_errors(dr_client: Any, api: Any) -> None:
    with pytest.raises(ClientError) as caught:
        dr.CustomTask.create(name="t", target_type="Binary", calibrate_predictions="yes")
    assert caught.value.status_code == 422
    assert caught.value.json == {
        "message": "Invalid field calibratePredictions",
        "errors": {"calibratePredictions": "must be a boolean"},
    }
    response = api("POST", "customTasks/", json={"name": "t", "targetType": "Sideways"})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["errors"] == {
        "targetType": "'Sideways' is not one of Binary, Regression, Multiclass, Anomaly, "
        "Transform, TextGeneration"
    }
    missing = api("POST", "customTasks/", json={"targetType": "Binary"})
    assert missing.json()["errors"] == {"name": "this field is required"}


def test_unknown_ids_and_paths_are_404_json(api: Any) -> None:
    for path in (
        "customTasks/0123456789abcdef01234567/",
        "customTasks/0123456789abcdef01234567/versions/",
        "customTasks",  # the slash form is canonical
        "nothingHere/",
    ):
        response = api("GET", path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["message"].startswith(("Custom task", "No such path"))


def test_bad_paging_query_is_400(api: Any) -> None:
    response = api("GET", "customTasks/", params={"limit": "lots"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"limit": "'lots' is not an integer"}


def test_patch_returns_the_documented_201_with_the_full_task(api: Any) -> None:
    task = api("POST", "customTasks/", json={"name": "t", "targetType": "Binary"}).json()
    response = api("PATCH", f"customTasks/{task['id']}/", json={"description": "d"})
    assert response.status_code == 201
    assert response.json()["description"] == "d"
    assert response.json()["latestVersion"] is None


def test_copy_is_complete_with_new_ids_and_same_contents(
    dr_client: Any, make_folder: Callable[..., Path]
) -> None:
    task = dr.CustomTask.create(name="t", target_type="Binary", description="d")
    for content in ("one", "two"):
        dr.CustomTaskVersion.create_clean(
            custom_task_id=task.id,
            base_environment_id=PYTHON_SKLEARN_ENV_ID,
            folder_path=str(make_folder({"custom.py": content}, name=content)),
        )
    copy = dr.CustomTask.copy(task.id)
    originals = dr.CustomTaskVersion.list(task.id)
    copies = dr.CustomTaskVersion.list(copy.id)
    assert [v.label for v in copies] == [v.label for v in originals] == ["2.0", "1.0"]
    assert {v.id for v in copies}.isdisjoint({v.id for v in originals})
    assert {i.id for v in copies for i in v.items}.isdisjoint(
        {i.id for v in originals for i in v.items}
    )
    assert (copy.name, copy.description) == ("t", "d")
    with pytest.raises(ClientError) as caught:
        dr.CustomTask.copy("0123456789abcdef01234567")
    assert caught.value.status_code == 422


def test_version_probe_reports_2_49(api: Any) -> None:
    assert api("GET", "version/").json()["versionString"] == "2.49"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(count=st.integers(min_value=0, max_value=9), limit=st.integers(min_value=1, max_value=4))
def test_following_next_yields_every_task_once_in_order(
    emulator: RunningEmulator, count: int, limit: int
) -> None:
    requests.post(f"{emulator.admin_url}/reset", timeout=10).raise_for_status()
    session = requests.Session()
    session.headers["Authorization"] = f"Token {SENTINEL_TOKEN}"
    ids = [
        session.post(
            f"{emulator.endpoint}/customTasks/",
            json={"name": f"t{i}", "targetType": "Binary"},
            timeout=10,
        ).json()["id"]
        for i in range(count)
    ]
    seen: list[str] = []
    url: str | None = f"{emulator.endpoint}/customTasks/?orderBy=created&limit={limit}"
    pages = 0
    while url is not None:
        page = session.get(url, timeout=10).json()
        assert page["totalCount"] == count and page["count"] == len(page["data"]) <= limit
        seen += [t["id"] for t in page["data"]]
        url = page["next"]
        pages += 1
    assert seen == ids
    assert pages == max(1, -(-count // limit))
