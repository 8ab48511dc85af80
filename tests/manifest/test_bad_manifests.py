"""Bad manifests: each case asserts the exact text the user sees and exit code 1 (never 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.testing.clirun import Run

from .conftest import SKLEARN_ENV, VALID, write_task

ENV = f"environment:\n  id: {SKLEARN_ENV}\n"
HEAD = "name: T\ntarget_type: binary\nlanguage: python\n"


@dataclass
class Case:
    id: str
    manifest: str | bytes
    expected: list[str]
    files: dict[str, str | bytes] | None = field(default=None)


CASES = [
    Case(
        "yaml-syntax-error",
        "name: [unclosed\ntarget_type: binary\n",
        [
            "t/ctask.yaml:2:12: error: YAML syntax error: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence at line 1)"
        ],
    ),
    Case(
        "yaml-bad-indent",
        "name: x\n  bad: indent\n",
        ["t/ctask.yaml:2:6: error: YAML syntax error: mapping values are not allowed here"],
    ),
    Case(
        "yaml-unterminated-string",
        'name: "abc\n',
        [
            "t/ctask.yaml:2:1: error: YAML syntax error: found unexpected end of stream "
            "(while scanning a quoted scalar at line 1)"
        ],
    ),
    Case(
        "tab-indent",
        HEAD + "environment:\n\tid: x\n",
        ["t/ctask.yaml:5:1: error: tab character: YAML indents with spaces, not tabs"],
    ),
    Case(
        "empty-file",
        "",
        [
            "t/ctask.yaml: error: the manifest is empty: it needs at least name, target_type, "
            "language and environment (see docs/manifest.md)"
        ],
    ),
    Case(
        "only-comments",
        "# yaml-language-server: $schema=../schemas/ctask.schema.json\n# nothing else\n",
        [
            "t/ctask.yaml: error: the manifest is empty: it needs at least name, target_type, "
            "language and environment (see docs/manifest.md)"
        ],
    ),
    Case(
        "top-level-list",
        "- name: T\n- target_type: binary\n",
        ["t/ctask.yaml:1:1: error: the manifest must be a mapping of keys (name: ...), not a list"],
    ),
    Case(
        "top-level-string",
        "just some text\n",
        [
            "t/ctask.yaml:1:1: error: the manifest must be a mapping of keys (name: ...), "
            "not a string"
        ],
    ),
    Case(
        "duplicate-key",
        HEAD + ENV + "name: Other\n",
        ["t/ctask.yaml:6:1: error: duplicate key 'name' (first at line 1)"],
    ),
    Case(
        "duplicate-key-nested",
        HEAD + ENV + f"  id: {SKLEARN_ENV}\n",
        ["t/ctask.yaml:6:3: error: duplicate key 'id' (first at line 5)"],
    ),
    Case(
        "unknown-key-suggestion",
        HEAD + ENV + "descripton: typo\n",
        ["t/ctask.yaml:6:1: error: unknown key 'descripton' (did you mean 'description'?)"],
    ),
    Case(
        "unknown-key-no-suggestion",
        HEAD + ENV + "colour: blue\n",
        [
            "t/ctask.yaml:6:1: error: unknown key 'colour' (known keys: adopt, blueprints, "
            "dependency_build, description, environment, files, key, language, maximum_memory, "
            "name, outbound_network_policy, required_metadata, share, target_type)"
        ],
    ),
    Case(
        "unknown-nested-key",
        HEAD + ENV + "  versionid: abc\n",
        [
            "t/ctask.yaml:6:3: error: environment: unknown key 'versionid' "
            "(did you mean 'version_id'?)"
        ],
    ),
    Case(
        "wrong-type-int-name",
        "name: 42\ntarget_type: binary\nlanguage: python\n" + ENV,
        [
            "t/ctask.yaml:1:7: error: name: expected a string, got an integer (42); "
            "quote it to make it a string"
        ],
    ),
    Case(
        "wrong-type-bool-name",
        "name: yes\ntarget_type: binary\nlanguage: python\n" + ENV,
        [
            "t/ctask.yaml:1:7: error: name: expected a string, got a boolean; "
            "quote it to make it a string"
        ],
    ),
    Case(
        "wrong-type-date-description",
        HEAD + ENV + "description: 2024-05-01\n",
        [
            "t/ctask.yaml:6:14: error: description: expected a string, got a date "
            "(quote it to make it a string)"
        ],
    ),
    Case(
        "wrong-type-files-list",
        HEAD + ENV + "files: [custom.py]\n",
        [
            "t/ctask.yaml:6:8: error: files: expected a mapping (key: value lines), got a list",
        ],
    ),
    Case(
        "empty-value",
        "name:\ntarget_type: binary\nlanguage: python\n" + ENV,
        ["t/ctask.yaml:1:6: error: name: expected a string, got an empty value"],
    ),
    Case(
        "invalid-enum",
        "name: T\ntarget_type: classifier\nlanguage: python\n" + ENV,
        [
            "t/ctask.yaml:2:14: error: target_type: 'classifier' is not one of: binary, "
            "regression, multiclass, anomaly, transform"
        ],
    ),
    Case(
        "enum-wrong-case",
        "name: T\ntarget_type: binary\nlanguage: Python\n" + ENV,
        [
            "t/ctask.yaml:3:11: error: language: 'Python' is not one of: python, r, other "
            "(did you mean 'python'?)"
        ],
    ),
    Case(
        "enum-network-policy",
        HEAD + ENV + "outbound_network_policy: isolated\n",
        [
            "t/ctask.yaml:6:26: error: outbound_network_policy: 'isolated' is not one of: "
            "ISOLATED, PUBLIC (did you mean 'ISOLATED'?)"
        ],
    ),
    Case(
        "blueprints-policy",
        HEAD + ENV + "blueprints: always\n",
        ["t/ctask.yaml:6:13: error: blueprints: 'always' is not one of: leave, follow, releases"],
    ),
    Case(
        "share-role-and-missing-role",
        HEAD + ENV + "share:\n  - {username: ana@example.com, role: reader}\n"
        "  - {username: ben@example.com}\n",
        [
            "t/ctask.yaml:7:39: error: share[0].role: 'reader' is not one of: OWNER, "
            "READ_WRITE, USER, EDITOR, READ_ONLY, CONSUMER",
            "t/ctask.yaml:8:5: error: 'share[1]' is missing the required key 'role'",
        ],
    ),
    Case(
        "share-user-twice",
        HEAD + ENV + "share:\n  - {username: ana@example.com, role: USER}\n"
        "  - username: Ana@example.com\n    role: EDITOR\n",
        ["t/ctask.yaml:8:15: error: share: Ana@example.com is listed twice"],
    ),
    Case(
        "missing-required",
        "target_type: binary\nlanguage: python\n" + ENV,
        ["t/ctask.yaml:1:1: error: the manifest is missing the required key 'name'"],
    ),
    Case(
        "missing-several-required",
        "name: T\ntarget_type: binary\n",
        [
            "t/ctask.yaml:1:1: error: the manifest is missing the required key 'environment'",
            "t/ctask.yaml:1:1: error: the manifest is missing the required key 'language'",
        ],
    ),
    Case(
        "environment-both",
        HEAD + f"environment:\n  id: {SKLEARN_ENV}\n  name: '[DataRobot] R Drop-In'\n",
        ["t/ctask.yaml:4:1: error: environment: give either 'id' or 'name', not both"],
    ),
    Case(
        "environment-neither",
        HEAD + f"environment:\n  version_id: {SKLEARN_ENV}\n",
        ["t/ctask.yaml:4:1: error: environment: give 'id' or 'name' of the execution environment"],
    ),
    Case(
        "environment-bad-id",
        HEAD + "environment:\n  id: sklearn\n",
        [
            "t/ctask.yaml:5:7: error: environment.id: 'sklearn' is not a DataRobot id "
            "(24 hexadecimal characters, e.g. 5e8c889607389fe0f466c72d)"
        ],
    ),
    Case(
        "bad-size-string",
        HEAD + ENV + "maximum_memory: 4GB\n",
        [
            "t/ctask.yaml:6:17: error: maximum_memory: '4GB' is not a size: write bytes "
            "(e.g. 4294967296) or a number with a unit Ki, Mi, Gi, Ti (powers of 1024) or "
            "K, M, G, T (e.g. 4Gi, 512Mi, 1.5Gi)"
        ],
    ),
    Case(
        "size-not-whole-bytes",
        HEAD + ENV + "maximum_memory: 0.5\n",
        [
            "t/ctask.yaml:6:17: error: maximum_memory: expected an integer or a string, "
            "got a number (0.5)"
        ],
    ),
    Case(
        "size-fraction-of-a-byte",
        HEAD + ENV + "maximum_memory: '1.0001K'\n",
        ["t/ctask.yaml:6:17: error: maximum_memory: '1.0001K' is not a whole number of bytes"],
    ),
    Case(
        "size-zero",
        HEAD + ENV + "maximum_memory: 0\n",
        ["t/ctask.yaml:6:17: error: maximum_memory: must be at least 1, got 0"],
    ),
    Case(
        "metadata-not-string",
        HEAD + ENV + "required_metadata:\n  TEAM: 7\n  OWNER: {name: x}\n",
        [
            "t/ctask.yaml:7:9: error: required_metadata.TEAM: expected a string, got an "
            "integer (7); quote it to make it a string",
            "t/ctask.yaml:8:10: error: required_metadata.OWNER: expected a string, got a mapping",
        ],
    ),
    Case(
        "key-with-slashes-at-ends",
        "key: /fraud/\n" + HEAD + ENV,
        [
            "t/ctask.yaml:1:6: error: key: '/fraud/' is not a valid key: it cannot start or "
            "end with '/' or a space, or hold control characters"
        ],
    ),
    Case(
        "bad-dependency-build",
        HEAD + ENV + "dependency_build: sometimes\n",
        [
            "t/ctask.yaml:6:19: error: dependency_build: 'sometimes' is not one of: auto, "
            "always, never"
        ],
    ),
    Case(
        "alias",
        "name: &n T\ntarget_type: binary\nlanguage: python\n" + ENV + "description: *n\n",
        [
            "t/ctask.yaml:6:14: error: YAML aliases (*name) are not supported in ctask.yaml: "
            "write the value out"
        ],
    ),
    Case(
        "python-tag",
        "name: !!python/object/apply:os.system [echo hi]\ntarget_type: binary\n"
        "language: python\n" + ENV,
        [
            "t/ctask.yaml:1:7: error: unsupported YAML tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'"
        ],
    ),
    Case(
        "custom-tag",
        "name: !vault secret/name\ntarget_type: binary\nlanguage: python\n" + ENV,
        [
            "t/ctask.yaml:1:7: error: cannot read this value: could not determine a "
            "constructor for the tag '!vault'"
        ],
    ),
    Case(
        "non-utf8",
        b"name: caf\xe9\ntarget_type: binary\n",
        ["t/ctask.yaml:1:10: error: not valid UTF-8 (byte 0xe9): save the file as UTF-8"],
    ),
    Case(
        "control-character",
        "name: a\x00b\ntarget_type: binary\n",
        ["t/ctask.yaml:1:8: error: control character U+0000 is not allowed in YAML: remove it"],
    ),
    Case(
        "unknown-files-key",
        HEAD + ENV + "files:\n  exlude: [tests]\n",
        ["t/ctask.yaml:7:3: error: files: unknown key 'exlude' (did you mean 'exclude'?)"],
    ),
    Case(
        "blank-name",
        "name: '   '\ntarget_type: binary\nlanguage: python\n" + ENV,
        [
            "t/ctask.yaml:1:7: error: name: '   ' is blank: DataRobot needs a display name with "
            "at least one visible character"
        ],
    ),
    Case(
        "environment-empty-name",
        HEAD + "environment:\n  name: ''\n",
        ["t/ctask.yaml:5:9: error: environment.name: must not be empty"],
    ),
    Case(
        "environment-not-a-mapping",
        HEAD + f"environment: {SKLEARN_ENV}\n",
        [
            "t/ctask.yaml:4:14: error: environment: expected a mapping (key: value lines), "
            "got a string"
        ],
    ),
    Case(
        "include-matches-nothing",
        HEAD + ENV + "files:\n  include: [custom.py, 'src/**']\n",
        [
            "t/ctask.yaml:7:24: error: files.include[1]: 'src/**' matches no file "
            "(after the default ignores, .gitignore and files.exclude)"
        ],
    ),
    Case(
        "exclude-escapes-folder",
        HEAD + ENV + "files:\n  exclude:\n    - ../shared/**\n",
        [
            "t/ctask.yaml:8:7: error: files.exclude[0]: '../shared/**' contains '..': "
            "globs cannot reach outside the task folder"
        ],
    ),
    Case(
        "include-absolute",
        HEAD + ENV + "files:\n  include: [/etc/passwd]\n",
        [
            "t/ctask.yaml:7:13: error: files.include[0]: '/etc/passwd' is absolute: "
            "globs are relative to the task folder"
        ],
    ),
    Case(
        "include-empty-list",
        HEAD + ENV + "files:\n  include: []\n",
        ["t/ctask.yaml:7:12: error: files.include: must list at least one pattern"],
    ),
    Case(
        "no-files",
        VALID,
        [
            "t/ctask.yaml: error: the task has no files to upload (after the default ignores, "
            ".gitignore and files.exclude)"
        ],
        files={},
    ),
    Case(
        "everything-excluded",
        VALID + "files:\n  exclude: ['*.py']\n",
        [
            "t/ctask.yaml:6:1: error: the task has no files to upload (after the default "
            "ignores, .gitignore and files.exclude)"
        ],
    ),
    Case(
        "only-default-ignored-files",
        VALID,
        [
            "t/ctask.yaml: error: the task has no files to upload (after the default ignores, "
            ".gitignore and files.exclude)"
        ],
        files={"__pycache__/custom.cpython-311.pyc": b"\0", ".env": "TOKEN=x\n"},
    ),
    Case(
        "many-problems-at-once",
        "nmae: T\ntarget_type: binary\nlanguage: java\n" + ENV + "maximum_memory: lots\n",
        [
            "t/ctask.yaml:1:1: error: the manifest is missing the required key 'name'",
            "t/ctask.yaml:1:1: error: unknown key 'nmae' (did you mean 'name'?)",
            "t/ctask.yaml:3:11: error: language: 'java' is not one of: python, r, other",
            "t/ctask.yaml:6:17: error: maximum_memory: 'lots' is not a size: write bytes "
            "(e.g. 4294967296) or a number with a unit Ki, Mi, Gi, Ti (powers of 1024) or "
            "K, M, G, T (e.g. 4Gi, 512Mi, 1.5Gi)",
        ],
    ),
]


def _assert_rejected(result: Run, expected: list[str], *, invalid: int = 1) -> None:
    errors = len(expected)
    noun = "error" if errors == 1 else "errors"
    assert result.out == (
        "\n".join(expected) + f"\n\n0 tasks valid, {invalid} invalid, {errors} {noun}, 0 warnings\n"
    )
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    assert result.err == ""


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_manifest(repo: Path, cli: Callable[..., Run], case: Case) -> None:
    write_task(repo, "t", case.manifest, case.files)
    _assert_rejected(cli("validate", "."), case.expected)


def test_every_manifest_is_reported_in_one_run(repo: Path, cli: Callable[..., Run]) -> None:
    write_task(repo, "a", "name: [\n")
    write_task(repo, "b", HEAD + ENV + "nmae: x\n")
    write_task(repo, "c", VALID)
    result = cli("validate", ".")
    assert result.out == (
        "a/ctask.yaml:2:1: error: YAML syntax error: expected the node content, but found "
        "'<stream end>'\n"
        "b/ctask.yaml:6:1: error: unknown key 'nmae' (did you mean 'name'?)\n"
        "\n"
        "✓ c  c  1 file, 15 B\n"
        "1 task valid, 2 invalid, 2 errors, 0 warnings\n"
    )
    assert result.code == 1
