"""Issue 14, a plan worth reviewing: old -> new of every changed field (the environment by name
and id, a long description cut to one line), each file with its size, renames, the bytes to
upload per task and in total, why a version is major; the same in text, JSON and Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ctask_sync.emulator.seed import PYTHON_XGBOOST_ENV_ID
from tests.testing.clirun import Run

from .conftest import SKLEARN_ENV, commit_all, git, write_task

CUSTOM = "def fit(X, y, output_dir, **kw):\n    pass\n"
LONG = (
    "Gradient boosted trees for the fraud blueprint, retrained monthly on the\n"
    "latest labelled transactions; see the team wiki for the feature list."
)


def _changed_task(repo: Path) -> None:
    """A task applied once, then given a new description and environment, memory, a renamed
    helper, a changed custom.py and a new 2 KiB file."""
    write_task(repo, "fraud", files={"custom.py": CUSTOM, "helper.py": "X = 1\n"})
    commit_all(repo)
    manifest = repo / "fraud/ctask.yaml"
    text = manifest.read_text("utf-8")
    text = text.replace(
        "description: The fraud task.", "description: |\n  " + LONG.replace("\n", "\n  ")
    )
    text = text.replace(SKLEARN_ENV, PYTHON_XGBOOST_ENV_ID) + "maximum_memory: 4Gi\n"
    manifest.write_text(text, "utf-8")
    (repo / "fraud/lib").mkdir()
    git(repo, "mv", "fraud/helper.py", "fraud/lib/helper.py")
    (repo / "fraud/custom.py").write_text(CUSTOM + "# tuned\n", "utf-8")
    (repo / "fraud/weights.bin").write_bytes(b"\0" * 2048)
    commit_all(repo)


def test_the_plan_shows_old_and_new_values_files_sizes_and_uploads(
    cli: Callable[..., Run], repo: Path, emulator: Any, tmp_path: Path
) -> None:
    write_task(repo, "fraud", files={"custom.py": CUSTOM, "helper.py": "X = 1\n"})
    commit_all(repo)
    assert cli("apply", str(repo)).code == 0
    _changed_task(repo)
    out_json, out_md = tmp_path / "plan.json", tmp_path / "plan.md"
    plan = cli("plan", str(repo), "--json", str(out_json), "--markdown", str(out_md))
    assert plan.code == 2, plan.err
    assert plan.out == (
        f"Endpoint: {emulator.endpoint}\n"
        "Namespace: acme/tasks (from --namespace or CTASK_SYNC_NAMESPACE); root: .\n"
        "  ~ fraud  add weights.bin; change custom.py; rename helper.py → lib/helper.py; "
        "set description; new major version (the environment changed)\n"
        '      description: "The fraud task." → "Gradient boosted trees for the fraud blueprint, '
        'retrained…"\n'
        "      environment: [DataRobot] Python 3.12 Scikit-Learn Drop-In (5e8c889607389fe0f466c72d)"
        " → [DataRobot] Python 3.12 XGBoost Drop-In (5e8c88a407389fe0f466c72f)\n"
        "      maximum_memory: (DataRobot's default) → 4 GiB\n"
        "      + weights.bin (2.0 KB)\n"
        "      ~ custom.py (50 B)\n"
        "      > helper.py → lib/helper.py (6 B)\n"
        "      major version: the environment changed\n"
        "      upload: 3 files, 2.1 KB\n"
        "\n"
        "Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged.\n"
        "Upload: 3 files, 2.1 KB in total.\n"
    )
    task = json.loads(out_json.read_text())["tasks"][0]
    assert task["field_changes"] == [
        {"field": "description", "old": "The fraud task.", "new": LONG},
        {
            "field": "environment",
            "old": SKLEARN_ENV,
            "new": PYTHON_XGBOOST_ENV_ID,
            "old_name": "[DataRobot] Python 3.12 Scikit-Learn Drop-In",
            "new_name": "[DataRobot] Python 3.12 XGBoost Drop-In",
        },
        {"field": "maximum_memory", "old": None, "new": 4 * 1024**3},
    ]
    assert task["files"] == [
        {"change": "added", "path": "weights.bin", "size": 2048},
        {"change": "changed", "path": "custom.py", "size": 50},
        {"change": "renamed", "path": "helper.py → lib/helper.py", "size": 6},
    ]
    assert task["renamed"] == [{"from": "helper.py", "to": "lib/helper.py"}]
    assert task["upload_bytes"] == 2048 + 50 + 6
    assert task["new_version"] == {"major": True, "reason": "the environment changed"}
    markdown = out_md.read_text()
    assert f"Endpoint: `{emulator.endpoint}` · Namespace: `acme/tasks`" in markdown
    # remote and manifest text is inert (report/markdown.py); file symbols are code spans
    assert (
        "- environment: \\[DataRobot\\] Python 3.12 Scikit-Learn Drop-In "
        "(5e8c889607389fe0f466c72d) → \\[DataRobot\\] Python 3.12 XGBoost Drop-In "
        "(5e8c88a407389fe0f466c72f)"
    ) in markdown
    assert "- `>` helper.py → lib/helper.py (6 B)\n- major version: the environment changed" in (
        markdown
    )
    assert "- `+` weights.bin (2.0 KB)" in markdown
    assert "Upload: 3 files, 2.1 KB in total." in markdown


def test_a_new_task_lists_each_file_with_its_size(
    cli: Callable[..., Run], repo: Path, emulator: Any
) -> None:
    write_task(repo, "one", files={"custom.py": "X = 1\n"})
    commit_all(repo)
    plan = cli("plan", str(repo))
    assert plan.out.splitlines()[2:] == [  # after the Endpoint and Namespace lines
        "  + one  create task with 1 file",
        "      + custom.py (6 B)",
        "      upload: 1 file, 6 B",
        "",
        "Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.",
        "Upload: 1 file, 6 B in total.",
    ]
