"""`plan` loads no module that only apply needs (start-up time): a fresh interpreter imports
the plan command and lists what came with it."""

from __future__ import annotations

import subprocess
import sys

# apply's machinery (builds, records, uploads' bookkeeping) and the saved plan (`--out` only)
APPLY_ONLY = (
    "ctask_sync.engine.apply",
    "ctask_sync.engine.apply_consumers",
    "ctask_sync.engine.builds",
    "ctask_sync.engine.records",
    "ctask_sync.engine.saved_plan",
    "ctask_sync.datarobot.buildlog",
)


def _loaded_with(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(run.stdout.split())


def test_the_plan_command_loads_nothing_only_apply_needs() -> None:
    loaded = _loaded_with("ctask_sync.cli.plan")
    assert "ctask_sync.engine.sync" in loaded  # the probe sees what plan does import
    assert sorted(loaded & set(APPLY_ONLY)) == []


# needed only by some runs, imported where first used: PyYAML (a manifest or ctask-sync.yaml to
# read, none when the task cache holds every manifest), jsonschema (an invalid manifest's
# errors), the streaming multipart encoder (a version upload over the in-memory limit)
FIRST_USE = ("yaml", "ctask_sync.manifest.yamlcompose", "jsonschema", "requests_toolbelt")


def test_the_plan_command_loads_what_only_some_runs_need_on_first_use() -> None:
    loaded = _loaded_with("ctask_sync.cli.plan")
    assert "ctask_sync.manifest.yamlpos" in loaded and "requests" in loaded
    assert sorted(loaded & set(FIRST_USE)) == []


def test_the_first_manifest_read_loads_pyyaml() -> None:
    loaded = _loaded_with("ctask_sync.cli.plan; ctask_sync.manifest.yamlpos.load('a: 1')")
    assert {"yaml", "ctask_sync.manifest.yamlcompose"} <= loaded
