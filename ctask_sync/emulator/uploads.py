"""Parse and validate the multipart body of version creation (POST/PATCH …/versions/).

Fields, as the official client sends them: isMajorUpdate, baseEnvironmentId, repeated
filesToDelete, requiredMetadataValues (a JSON string), maximumMemory, outboundNetworkPolicy, then
repeated file/filePath pairs where the nth file goes with the nth filePath."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import IO

from werkzeug.wrappers import Request

from ctask_sync.emulator.web import ApiFailure

NETWORK_POLICIES = ("ISOLATED", "PUBLIC")


@dataclass
class UploadedFile:
    """One file part, the filename its part header gave, and the filePath it goes with."""

    path: str
    stream: IO[bytes]
    filename: str | None = None


@dataclass
class VersionForm:
    """A validated version-creation request."""

    is_major_update: bool
    base_environment_id: str
    files: list[UploadedFile] = field(default_factory=list)
    files_to_delete: list[str] = field(default_factory=list)
    required_metadata_values: list[dict[str, str]] | None = None
    maximum_memory: int | None = None
    outbound_network_policy: str | None = None


def _fail(field_name: str, problem: str) -> ApiFailure:
    return ApiFailure(422, f"Invalid field {field_name}: {problem}", errors={field_name: problem})


def _bool(text: str, field_name: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise _fail(field_name, f"{text!r} is not a boolean (true or false)")


def clean_file_path(raw: str) -> str:
    """A safe relative POSIX path; 422 for absolute paths, '..' and empty segments."""
    path = raw.replace("\\", "/")
    normal = posixpath.normpath(path)
    if (
        not raw.strip()
        or path.startswith("/")
        or normal in (".", "")
        or normal == ".."
        or normal.startswith("../")
    ):
        raise _fail("filePath", f"{raw!r} is not a relative path inside the task")
    return normal


def _metadata_values(text: str) -> list[dict[str, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail("requiredMetadataValues", f"not valid JSON: {exc}") from exc
    return metadata_value_list(data, "requiredMetadataValues")


def metadata_value_list(data: object, field_name: str) -> list[dict[str, str]]:
    """Validate a [{fieldName, value}] list (both strings)."""
    if not isinstance(data, list):
        raise _fail(field_name, "must be a list of {fieldName, value} objects")
    values: list[dict[str, str]] = []
    for entry in data:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("fieldName"), str)
            or not isinstance(entry.get("value"), str)
            or set(entry) - {"fieldName", "value"}
        ):
            raise _fail(field_name, f"{entry!r} is not a {{fieldName, value}} pair of strings")
        values.append({"fieldName": entry["fieldName"], "value": entry["value"]})
    return values


def parse_version_form(request: Request, *, from_previous: bool) -> VersionForm:
    """Read the multipart form; 422 with `errors` for any invalid field."""
    if request.mimetype != "multipart/form-data":
        raise ApiFailure(
            422,
            "Version creation expects multipart/form-data",
            errors={"Content-Type": f"got {request.mimetype or 'none'}"},
        )
    form = request.form
    base_env = form.get("baseEnvironmentId", "").strip()
    if not base_env:
        raise _fail("baseEnvironmentId", "this field is required")
    # Required by the spec (rsdk), and the official client always sends it: a missing one is a
    # 422 rather than a guessed default (docs/datarobot-api.md §4).
    if "isMajorUpdate" not in form:
        raise _fail("isMajorUpdate", "this field is required (true, True, false or False)")
    version = VersionForm(
        is_major_update=_bool(form["isMajorUpdate"], "isMajorUpdate"),
        base_environment_id=base_env,
    )
    if from_previous:
        version.files_to_delete = [i.strip() for i in form.getlist("filesToDelete")]
    elif form.getlist("filesToDelete"):
        raise _fail("filesToDelete", "only allowed when creating from the previous version")
    if "requiredMetadataValues" in form:
        version.required_metadata_values = _metadata_values(form["requiredMetadataValues"])
    if form.get("maximumMemory"):
        text = form["maximumMemory"]
        try:
            version.maximum_memory = int(text)
        except ValueError:
            raise _fail("maximumMemory", f"{text!r} is not an integer") from None
        if version.maximum_memory < 1:
            raise _fail("maximumMemory", "must be a positive number of bytes")
    if "outboundNetworkPolicy" in form:
        policy = form["outboundNetworkPolicy"]
        if policy not in NETWORK_POLICIES:
            raise _fail("outboundNetworkPolicy", f"{policy!r} is not one of ISOLATED, PUBLIC")
        version.outbound_network_policy = policy
    files = request.files.getlist("file")
    paths = form.getlist("filePath")
    if len(files) != len(paths):
        raise _fail("filePath", f"{len(files)} file part(s) but {len(paths)} filePath part(s)")
    seen: set[str] = set()
    for upload, raw_path in zip(files, paths, strict=True):
        path = clean_file_path(raw_path)
        if path in seen:
            raise _fail("filePath", f"{path!r} is given more than once")
        seen.add(path)
        version.files.append(
            UploadedFile(path=path, stream=upload.stream, filename=upload.filename or None)
        )
    return version
