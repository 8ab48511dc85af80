"""The typed read of the task list (datarobot/tasklist.py) gives exactly what the general read
gives: the same CustomTask values, or the same error, for any page, odd ones included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from ctask_sync.datarobot.answers import decode_json
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.models import Unexpected, parse_custom_task, parse_page
from ctask_sync.datarobot.tasklist import Parsed, decode_task_page
from ctask_sync.datarobot.upload import UploadFile
from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID

# Values of every JSON kind, the ones the contract promises among them.
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.just(""),
    st.just([]),
    st.just({}),
)


_MISSING = object()


def _shapes(odd: bool) -> st.SearchStrategy[Any]:
    """Pages of the contract's shape; with odd, any field may also be missing or of any kind,
    and any object may be any value."""

    def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(good, good, good, ODD, st.just(_MISSING)) if odd else good

    def obj(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        shaped = st.fixed_dictionaries({k: field(v) for k, v in fields.items()}).map(
            lambda d: {k: v for k, v in d.items() if v is not _MISSING}
        )
        return st.one_of(shaped, shaped, ODD) if odd else shaped

    text = st.text(max_size=8)
    item = obj(id=text, fileName=text, filePath=text, storagePath=text)
    version = obj(
        id=text,
        customTaskId=text,
        versionMajor=st.integers(0, 9),
        versionMinor=st.integers(0, 9),
        label=text,
        isFrozen=st.booleans(),
        description=text,
        created=text,
        baseEnvironmentId=st.one_of(st.none(), text),
        baseEnvironmentVersionId=st.one_of(st.none(), text),
        maximumMemory=st.one_of(st.none(), st.integers(0, 2**40)),
        outboundNetworkPolicy=st.sampled_from(["ISOLATED", "PUBLIC"]),
        requiredMetadataValues=st.lists(obj(fieldName=text, value=text), max_size=2),
        dependencies=st.lists(obj(packageName=text, line=text), max_size=2),
        items=st.lists(item, max_size=3),
        arguments=st.just([{"key": "k", "argument": {"values": [1, 2]}}]),
    )
    task = obj(
        id=text,
        name=text,
        targetType=st.sampled_from(["Binary", "Transform"]),
        language=text,
        description=text,
        created=text,
        updated=text,
        latestVersion=st.one_of(st.none(), version),
        maximumMemory=st.one_of(st.none(), st.integers(0, 2**40)),
        createdBy=st.one_of(st.none(), text),
    )
    return obj(data=st.lists(task, max_size=3), totalCount=st.integers(0, 9), next=text)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: object keys and list indexes, by their paths."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _places(inner, (*path, index))
    return found


@st.composite
def _one_odd_place(draw: st.DrawFn) -> Any:
    """A page of the contract's shape with exactly one place made odd (any kind of value, or
    an object's key removed): the pages that tell whether the two reads agree field by field."""
    page = draw(_shapes(odd=False))
    places = _places(page)
    path = draw(st.sampled_from(places))
    holder = page
    for step in path[:-1]:
        holder = holder[step]
    if isinstance(holder, dict) and draw(st.booleans()):
        del holder[path[-1]]
    else:
        holder[path[-1]] = draw(ODD)
    return page


def _general(raw: Any) -> Any:
    """What the client made of a page before the typed path: its tasks, or the error."""
    try:
        page = parse_page(raw)
        return [parse_custom_task(entry) for entry in page["data"]], page.get("totalCount")
    except (Unexpected, KeyError, TypeError, ValueError) as error:
        return type(error).__name__, str(error)


def _typed(body: bytes) -> Any:
    raw = decode_task_page(body)
    if isinstance(raw, dict) and isinstance(raw.get("data"), Parsed):
        return list(raw["data"]), raw["totalCount"]
    return _general(raw)


@settings(max_examples=200, deadline=None)
@given(_shapes(odd=True))
def test_typed_read_equals_the_general_read(page: Any) -> None:
    body = json.dumps(page).encode()
    assert _typed(body) == _general(decode_json(body))


@settings(max_examples=400, deadline=None)
@given(_one_odd_place())
def test_one_odd_field_reads_the_same(page: Any) -> None:
    body = json.dumps(page).encode()
    assert _typed(body) == _general(decode_json(body))


@settings(max_examples=100, deadline=None)
@given(_shapes(odd=False))
def test_pages_of_the_contracts_shape_take_the_typed_path(page: Any) -> None:
    body = json.dumps(page).encode()
    raw = decode_task_page(body)
    assert isinstance(raw["data"], Parsed)
    assert _typed(body) == _general(decode_json(body))


def test_odd_bodies_fall_back_to_the_general_read() -> None:
    for body in (b'{"data": [{"id": 1, "name": "n", "targetType": "Binary"}]}', b"[]", b"NaN"):
        raw = decode_task_page(body)
        assert not (isinstance(raw, dict) and isinstance(raw.get("data"), Parsed))
        assert raw == json.loads(body) or body == b"NaN"


def test_emulator_pages_take_the_typed_path(client: DataRobotClient, tmp_path: Path) -> None:
    """The optimisation is not silently skipped: the emulator's answers, shaped as DataRobot's
    (datarobot-api.md), are read by the typed path, and read the same as the general read."""
    (tmp_path / "custom.py").write_text("def fit(X, y, output_dir, **kw):\n    pass\n")
    (tmp_path / "requirements.txt").write_text("scikit-learn>=1.1\n")
    for number in range(3):
        task = client.create_custom_task(
            name=f"T{number}", target_type="Transform", language="python", description="d"
        )
        if number:
            client.create_version(
                task.id,
                from_previous=False,
                is_major_update=True,
                base_environment_id=PYTHON_SKLEARN_ENV_ID,
                files=[
                    UploadFile("custom.py", tmp_path / "custom.py"),
                    UploadFile("requirements.txt", tmp_path / "requirements.txt"),
                ],
                required_metadata={"A": "b"},
            )
    url = client.endpoint.rstrip("/") + "/customTasks/?limit=2"
    body = requests.get(url, headers={"Authorization": "Bearer t"}, timeout=10).content
    raw = decode_task_page(body)
    assert isinstance(raw["data"], Parsed) and len(raw["data"]) == 2
    assert _typed(body) == _general(decode_json(body))
    listed = client.map_custom_tasks(lambda task: task)
    by_name = {t.name: t for t in listed}
    assert sorted(by_name) == ["T0", "T1", "T2"]
    assert by_name["T0"].latest_version is None
    latest = by_name["T2"].latest_version
    assert latest is not None and latest.dependencies == ("scikit-learn",)
    assert [i.file_path for i in latest.items] == ["custom.py", "requirements.txt"]
