"""Bodies built in memory are byte for byte what MultipartEncoder streams, for any names, files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests_toolbelt import MultipartEncoder

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.upload import (
    LazyFile,
    PreparedBody,
    UploadFile,
    VersionForm,
    posix_basename,
    prepared_body,
    version_fields,
)
from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID
from ctask_sync.errors import CtaskSyncError

ODD_PATHS = [
    "custom.py",
    "naïve/模型 weights.bin",  # unicode, a space, nested
    'quoted "name".txt',  # MultipartEncoder percent-encodes the quote in filename=
    "semi;colon = x.py",
    "a/b/c/d/deep.py",
    "empty.txt",  # empty file
    "back\\slash.py",  # refused by check_file_paths, but the body must still agree
    "new\nline\r.py",  # \r and \n are percent-encoded in filename=
    ".hidden",
]


def _fields() -> list[tuple[str, str]]:
    return version_fields(
        is_major_update=False,
        base_environment_id="env1",
        files_to_delete=["item1", "item2"],
        required_metadata_json='[{"fieldName": "K", "value": "vä"}]',
        maximum_memory=2**30,
        outbound_network_policy="PUBLIC",
    )


def _reference(
    boundary: str, fields: list[tuple[str, str]], files: list[UploadFile]
) -> MultipartEncoder:
    """The encoder as ctask-sync used it before bodies were built in memory, contents as bytes."""
    parts: list[tuple[str, object]] = list(fields)
    for upload in files:
        parts.append(("file", (posix_basename(upload.path), upload.source.read_bytes())))
        parts.append(("filePath", upload.path))
    return MultipartEncoder(fields=parts, boundary=boundary)


def _read_all(body: PreparedBody | MultipartEncoder) -> bytes:
    """Read as urllib3 sends a body with a read method: blocks of 16 KiB until empty."""
    blocks = []
    while block := body.read(16384):
        blocks.append(bytes(block))
    return b"".join(blocks)


def _write_files(root: Path, contents: list[bytes]) -> list[UploadFile]:
    uploads = []
    for index, (path, content) in enumerate(zip(ODD_PATHS, contents, strict=False)):
        source = root / f"f{index}"  # the name on disk plays no part in the body
        source.write_bytes(content)
        uploads.append(UploadFile(path, source))
    return uploads


@pytest.mark.parametrize("in_memory_limit", [2**20, -1], ids=["in-memory", "streamed"])
def test_body_matches_multipart_encoder_over_odd_names(
    tmp_path: Path, in_memory_limit: int
) -> None:
    contents = [b"def fit(): pass\n", bytes(range(256)) * 300, b"q", b"", b"x" * 16384, b""]
    contents += [b"\\", b"\r\n", b"--"]
    files = _write_files(tmp_path, contents)
    fields = _fields()
    form = VersionForm(fields, files, in_memory_limit=in_memory_limit)
    expected_kind = PreparedBody if in_memory_limit >= 0 else MultipartEncoder
    assert isinstance(form.encoder, expected_kind)
    reference = _reference(form.boundary, fields, files)
    assert form.content_type == reference.content_type
    assert form.encoder.len == reference.len  # the Content-Length requests sends
    assert form.file_bytes == 0  # nothing sent yet
    body = _read_all(form.encoder)
    assert body == reference.read()
    assert len(body) == reference.len
    assert form.file_bytes == sum(len(content) for content in contents)
    assert form.encoder.read(16384) == b""
    form.close()


def test_no_files_and_only_empty_files(tmp_path: Path) -> None:
    fields = _fields()
    for files in ([], _write_files(tmp_path, [b""] * 3)):
        form = VersionForm(fields, files)
        assert isinstance(form.encoder, PreparedBody)
        assert _read_all(form.encoder) == _reference(form.boundary, fields, files).read()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    paths=st.lists(
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20),
        max_size=5,
    ),
    contents=st.lists(st.binary(max_size=300), min_size=5, max_size=5),
    description=st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
)
def test_body_matches_multipart_encoder_for_any_text(
    tmp_path: Path, paths: list[str], contents: list[bytes], description: str
) -> None:
    files = []
    for index, path in enumerate(paths):
        source = tmp_path / f"h{index}"
        source.write_bytes(contents[index])
        files.append(UploadFile(path, source))
    fields = [("isMajorUpdate", "True"), ("requiredMetadataValues", description)]
    form = VersionForm(fields, files)
    assert _read_all(form.encoder) == _reference(form.boundary, fields, files).read()


def test_the_limit_is_on_file_bytes(tmp_path: Path) -> None:
    files = _write_files(tmp_path, [b"x" * 100, b"y" * 100])
    assert isinstance(VersionForm([], files, in_memory_limit=200).encoder, PreparedBody)
    assert isinstance(VersionForm([], files, in_memory_limit=199).encoder, MultipartEncoder)


def test_a_file_that_shrank_since_it_was_listed_gives_the_same_error(tmp_path: Path) -> None:
    files = _write_files(tmp_path, [b"x" * 10, b"y" * 10])
    lazies = [LazyFile(upload.source) for upload in files]  # sizes taken here, as VersionForm does
    files[1].source.write_bytes(b"y" * 3)
    with pytest.raises(CtaskSyncError) as caught:
        prepared_body("b" * 32, [], files, lazies)
    assert caught.value.message == f"{files[1].source}: the file shrank while it was being uploaded"
    assert caught.value.hint == (
        "do not modify task files while ctask-sync runs, then run it again"
    )


def test_a_file_that_grew_is_sent_at_its_listed_size_like_the_stream(tmp_path: Path) -> None:
    files = _write_files(tmp_path, [b"x" * 10])
    lazies = [LazyFile(upload.source) for upload in files]
    streamed_lazies = [LazyFile(upload.source) for upload in files]
    files[0].source.write_bytes(b"x" * 10 + b"grown")
    prepared = prepared_body("b" * 32, [], files, lazies)
    stream = MultipartEncoder(
        fields=[("file", ("custom.py", streamed_lazies[0])), ("filePath", "custom.py")],
        boundary="b" * 32,
    )
    assert prepared.len == stream.len
    sent = _read_all(prepared)
    assert sent == _read_all(stream)
    assert b"x" * 10 + b"\r\n" in sent and b"grown" not in sent


def test_odd_names_reach_the_emulator(client: DataRobotClient, tmp_path: Path) -> None:
    """Through the emulator's multipart parser: every path and every byte arrives."""
    task = client.create_custom_task(
        name="odd", target_type="Regression", language="python", description=""
    )
    paths = [path for path in ODD_PATHS if "\\" not in path and "\n" not in path]
    contents = {path: f"# {path}\n".encode() * (index + 1) for index, path in enumerate(paths)}
    contents["empty.txt"] = b""
    files = []
    for index, path in enumerate(paths):
        source = tmp_path / f"f{index}"
        source.write_bytes(contents[path])
        files.append(UploadFile(path, source))
    before = client.stats.bytes_uploaded
    version = client.create_version(
        task.id,
        from_previous=False,
        is_major_update=True,
        base_environment_id=PYTHON_SKLEARN_ENV_ID,
        files=files,
    )
    assert sorted(item.file_path for item in version.items) == sorted(paths)
    assert client.stats.bytes_uploaded - before == sum(len(c) for c in contents.values())
    client.download_version(task.id, version.id, tmp_path / "v.zip")
    with zipfile.ZipFile(tmp_path / "v.zip") as archive:
        stored = {name: archive.read(name) for name in archive.namelist()}
    assert stored == contents
