"""Upload bodies without a server: lazy files, field order, path checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctask_sync.datarobot.upload import (
    LazyFile,
    UploadFile,
    VersionForm,
    check_file_paths,
    version_fields,
)
from ctask_sync.errors import CtaskSyncError


def test_lazy_file_opens_on_first_read_and_closes_at_the_end(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 10)
    lazy = LazyFile(source)
    assert lazy.len == 10
    assert lazy._handle is None
    assert lazy.read(4) == b"xxxx"
    assert lazy._handle is not None
    assert lazy.len == 6
    assert lazy.read(-1) == b"x" * 6
    assert lazy._handle is None
    assert lazy.read(4) == b""


def test_lazy_file_reports_a_file_that_shrank(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 10)
    lazy = LazyFile(source)
    source.write_bytes(b"x" * 3)
    assert lazy.read(3) == b"xxx"
    with pytest.raises(CtaskSyncError, match="the file shrank while it was being uploaded"):
        lazy.read(3)


def test_version_form_streams_fields_in_contract_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "helper.py").write_text("x = 1\n")
    fields = version_fields(
        is_major_update=True,
        base_environment_id="env1",
        files_to_delete=["item1", "item2"],
        required_metadata_json='[{"fieldName": "K", "value": "v"}]',
        maximum_memory=0,  # falsy: not sent, as DataRobot's client does
        outbound_network_policy="ISOLATED",
    )
    form = VersionForm(fields, [UploadFile("sub/helper.py", tmp_path / "sub" / "helper.py")])
    body = form.encoder.read().decode()
    names = [
        line.split('name="')[1].split('"')[0] for line in body.splitlines() if 'name="' in line
    ]
    assert names == [
        "isMajorUpdate",
        "baseEnvironmentId",
        "filesToDelete",
        "filesToDelete",
        "requiredMetadataValues",
        "outboundNetworkPolicy",
        "file",
        "filePath",
    ]
    assert 'name="file"; filename="helper.py"' in body
    assert "Content-Type" not in body  # file parts carry no per-part type
    assert form.file_bytes == 6


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/abs.py", "bad filePath '/abs.py'"),
        ("a/../b.py", "bad filePath 'a/../b.py'"),
        ("a\\b.py", "bad filePath 'a\\\\b.py'"),
        ("", "bad filePath ''"),
    ],
)
def test_bad_file_paths_are_refused(tmp_path: Path, path: str, message: str) -> None:
    source = tmp_path / "f"
    source.write_text("")
    with pytest.raises(CtaskSyncError) as caught:
        check_file_paths([UploadFile(path, source)])
    assert message in str(caught.value)


def test_duplicate_file_paths_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "f"
    source.write_text("")
    with pytest.raises(CtaskSyncError) as caught:
        check_file_paths([UploadFile("a.py", source), UploadFile("a.py", source)])
    assert str(caught.value) == "cannot upload two files to the same filePath 'a.py'"
