"""plan.py is pure: every case here is plain values in, a plan out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from msgspec.structs import replace as struct_replace

from ctask_sync.engine.model import Detected, FileDiff, RemoteCustomTask, RemoteItem, RemoteVersion
from ctask_sync.engine.plan import build_plan, plan_task, wants_build
from ctask_sync.engine.remote import RemoteState, RemoteTask, with_marker
from ctask_sync.engine.steps import (
    Action,
    AwaitBuild,
    CreateTask,
    CreateVersion,
    DeleteTask,
    Keep,
    Plan,
    PlanContext,
    RecordBuildOutcome,
    StartBuild,
    WriteRecord,
)
from ctask_sync.engine.syncrecord import Owner, SyncRecord
from ctask_sync.manifest.files import FileEntry
from ctask_sync.manifest.spec import EnvironmentRef, TaskSpec
from ctask_sync.report.plans import summary_line

ENV = "5e8c889607389fe0f466c72d"
OTHER_ENV = "5e8c889607389fe0f466c72e"
CTX = PlanContext(namespace="acme/tasks", commit="c" * 40)


def spec(key: str = "fraud/xgb", **changes: object) -> TaskSpec:
    base = TaskSpec(
        key=key,
        name="XGB",
        target_type="binary",
        language="python",
        description="Boosted trees.",
        environment=EnvironmentRef(id=ENV),
        maximum_memory=None,
        outbound_network_policy=None,
        required_metadata={},
        dependency_build="auto",
        folder=Path("/repo") / key,
        manifest_path=Path("/repo") / key / "ctask.yaml",
        files=(
            FileEntry("custom.py", "/repo/custom.py", 10, "sha256:" + "1" * 64),
            FileEntry("helper.py", "/repo/helper.py", 20, "sha256:" + "2" * 64),
        ),
    )
    return struct_replace(base, **changes)


def version(**changes: object) -> RemoteVersion:
    base = RemoteVersion(
        id="v1",
        label="1.0",
        is_frozen=False,
        description="",
        base_environment_id=ENV,
        maximum_memory=None,
        outbound_network_policy="ISOLATED",
        required_metadata={},
        dependencies=(),
        items=(RemoteItem("i1", "custom.py"), RemoteItem("i2", "helper.py")),
    )
    return struct_replace(base, **changes)


def remote(
    key: str = "fraud/xgb",
    latest: RemoteVersion | None = None,
    record: bool = True,
    outcome: str | None = None,
) -> RemoteTask:
    task = RemoteCustomTask(
        id="t1",
        name="XGB",
        target_type="Binary",
        language="python",
        description=with_marker("Boosted trees.", Owner("acme/tasks", key)),
        created="2026-01-01T00:00:00Z",
        latest_version=latest or version(),
    )
    rec = SyncRecord(
        "0.1.0", "c" * 40, None, None, None, "sha256:x", "sha256:y", None, True, outcome
    )
    return RemoteTask(task=task, key=key, record=rec if record else None)


def test_missing_task_is_created_with_every_file() -> None:
    plan = plan_task(spec(), None, FileDiff(added=("custom.py", "helper.py")), ENV, CTX)
    assert plan.action == "create"
    assert [type(step) for step in plan.steps] == [
        CreateTask,
        CreateVersion,
        StartBuild,
        WriteRecord,
    ]
    assert plan.version is not None
    assert plan.version.upload == ("custom.py", "helper.py")
    assert plan.version.from_previous is False


def test_equal_record_means_unchanged() -> None:
    plan = plan_task(spec(), remote(), FileDiff(), ENV, CTX)
    assert plan.action == "unchanged"
    assert plan.steps == ()


def test_changed_file_makes_a_minor_version_uploading_only_it() -> None:
    diff = FileDiff(changed=("helper.py",))
    plan = plan_task(spec(), remote(), diff, ENV, CTX)
    assert plan.action == "update"
    assert plan.version is not None
    assert plan.version.upload == ("helper.py",)
    assert plan.version.delete_item_ids == ()
    assert plan.version.major is False and plan.version.from_previous is True


def test_removed_file_is_deleted_by_item_id_and_rename_does_both() -> None:
    diff = FileDiff(added=("helpers.py",), removed=("helper.py",))
    plan = plan_task(spec(), remote(), diff, ENV, CTX)
    assert plan.version is not None
    assert plan.version.upload == ("helpers.py",)
    assert plan.version.delete_item_ids == ("i2",)


def test_environment_change_makes_a_major_version_without_uploads() -> None:
    plan = plan_task(spec(), remote(), FileDiff(), OTHER_ENV, CTX)
    assert plan.version is not None
    assert plan.version.major is True
    assert plan.version.upload == ()
    assert "environment" in plan.version.reason


def test_frozen_latest_or_release_forces_major() -> None:
    frozen = plan_task(
        spec(), remote(latest=version(is_frozen=True)), FileDiff(changed=("custom.py",)), ENV, CTX
    )
    assert frozen.version is not None and frozen.version.major
    release = plan_task(
        spec(),
        remote(),
        FileDiff(changed=("custom.py",)),
        ENV,
        struct_replace(CTX, major=True, tag="v1.4.0"),
    )
    assert release.version is not None and release.version.major
    assert "v1.4.0" in release.version.reason


def test_name_or_description_change_is_a_patch_without_a_version() -> None:
    plan = plan_task(spec(name="XGB v2", description="New words."), remote(), FileDiff(), ENV, CTX)
    assert plan.action == "update"
    assert plan.metadata == {"name": "XGB v2", "description": "New words."}
    assert plan.version is None


def test_version_settings_change_makes_a_version() -> None:
    plan = plan_task(spec(maximum_memory=4 << 30), remote(), FileDiff(), ENV, CTX)
    assert plan.version is not None and not plan.version.major
    assert plan.version.maximum_memory == 4 << 30


def test_missing_record_with_equal_contents_only_writes_the_record() -> None:
    plan = plan_task(spec(), remote(record=False), FileDiff(source="download"), ENV, CTX)
    assert plan.action == "update"
    assert plan.steps == (WriteRecord("no record"),)
    assert any(w.startswith("drift") for w in plan.warnings)


def test_dependencies_without_a_started_build_get_one() -> None:
    latest = version(dependencies=("xgboost",))
    plan = plan_task(spec(), remote(latest=latest), FileDiff(), ENV, CTX, build="missing")
    assert plan.steps == (StartBuild(), WriteRecord("dependency build"))
    never = plan_task(
        spec(dependency_build="never"), remote(latest=latest), FileDiff(), ENV, CTX, build=None
    )
    assert never.action == "unchanged"


def test_target_type_change_is_refused() -> None:
    plan = plan_task(spec(target_type="regression"), remote(), FileDiff(), ENV, CTX)
    assert plan.action == "refuse"
    assert plan.reason is not None and "cannot change a task's target type" in plan.reason


def test_late_run_refuses_only_when_something_would_be_written() -> None:
    late = "newer commit"
    changed = plan_task(spec(), remote(), FileDiff(changed=("custom.py",)), ENV, CTX, refusal=late)
    assert changed.action == "refuse"
    same = plan_task(spec(), remote(), FileDiff(), ENV, CTX, refusal=late)
    assert same.action == "unchanged"


def test_gone_task_is_kept_unless_deleting_is_allowed() -> None:
    state = RemoteState(namespace="acme/tasks", tasks={"old": remote(key="old")})
    kept = build_plan([], state, Detected(), {}, CTX)
    assert [t.action for t in kept.tasks] == ["keep"]
    (keep,) = kept.tasks[0].steps
    assert isinstance(keep, Keep) and "--allow-delete" in keep.hint
    assert not kept.has_changes and kept.pending
    allowed = build_plan([], state, Detected(), {}, struct_replace(CTX, allow_delete=True))
    assert allowed.tasks[0].steps == (DeleteTask("its manifest is gone from the repository"),)
    assert allowed.tasks[0].action == "delete" and allowed.has_changes


def test_shard_scope_limits_deletions() -> None:
    state = RemoteState(namespace="acme/tasks", tasks={"a": remote(key="a"), "b": remote(key="b")})
    plan = build_plan(
        [],
        state,
        Detected(),
        {},
        struct_replace(CTX, allow_delete=True),
        in_scope=lambda k: k == "a",
    )
    assert [t.key for t in plan.tasks] == ["a"]


def test_duplicates_keep_the_oldest_and_are_deleted_only_when_allowed() -> None:
    kept, dup = remote(key="k"), remote(key="k")
    dup = replace(dup, task=struct_replace(dup.task, id="t2", created="2026-01-02T00:00:00Z"))
    state = RemoteState(namespace="acme/tasks", tasks={"k": kept}, duplicates=[dup])
    found = Detected(diffs={"k": FileDiff()})
    plan = build_plan([spec(key="k")], state, found, {"k": ENV}, CTX)
    keeps = [t for t in plan.tasks if t.action == "keep"]
    assert len(keeps) == 1 and keeps[0].remote is dup
    assert keeps[0].reason is not None and "syncing the oldest (t1)" in keeps[0].reason
    assert not plan.has_changes
    allowed = build_plan(
        [spec(key="k")], state, found, {"k": ENV}, struct_replace(CTX, allow_delete=True)
    )
    assert [t.action for t in allowed.tasks] == ["unchanged", "delete"]


def test_a_failed_or_missing_build_is_a_change_and_a_running_one_is_awaited() -> None:
    latest = version(dependencies=("xgboost",))
    for mode in ("auto", "always"):
        failed = plan_task(
            spec(dependency_build=mode), remote(latest=latest), FileDiff(), ENV, CTX, build="failed"
        )
        assert failed.steps == (StartBuild(retry=True), WriteRecord("dependency build"))
        assert failed.action == "update"
    running = plan_task(spec(), remote(latest=latest), FileDiff(), ENV, CTX, build="running")
    assert running.steps == (AwaitBuild(),) and running.action == "update"
    learnt = plan_task(spec(), remote(latest=latest), FileDiff(), ENV, CTX, build="success")
    assert learnt.steps == (RecordBuildOutcome("success"),)
    assert learnt.action == "unchanged" and learnt.bookkeeping and not learnt.changes
    known = plan_task(
        spec(), remote(latest=latest, outcome="success"), FileDiff(), ENV, CTX, build="success"
    )
    assert known.steps == ()


def test_a_new_version_starts_its_build_unless_never() -> None:
    diff = FileDiff(changed=("custom.py",))
    auto = plan_task(spec(), remote(), diff, ENV, CTX)
    assert [type(s) for s in auto.steps] == [CreateVersion, StartBuild, WriteRecord]
    never = plan_task(spec(dependency_build="never"), remote(), diff, ENV, CTX)
    assert [type(s) for s in never.steps] == [CreateVersion, WriteRecord]


def test_field_changes_carry_old_and_new_values_and_environment_names() -> None:
    wanted = spec(
        name="XGB v2",
        language="r",
        outbound_network_policy="PUBLIC",
        required_metadata={"K": "v"},
        environment=EnvironmentRef(id=OTHER_ENV),
    )
    names = {ENV: "Scikit-Learn", OTHER_ENV: "XGBoost"}
    task = plan_task(
        wanted, remote(latest=version()), FileDiff(), OTHER_ENV, CTX, environment_names=names
    )
    assert [(c.field, c.old, c.new, c.old_label, c.new_label) for c in task.field_changes] == [
        ("name", "XGB", "XGB v2", None, None),
        ("language", "python", "r", None, None),
        ("environment", ENV, OTHER_ENV, "Scikit-Learn", "XGBoost"),
        ("outbound_network_policy", "ISOLATED", "PUBLIC", None, None),
        ("required_metadata", {}, {"K": "v"}, None, None),
    ]
    # files alone change no setting: no field changes, and the upload is the changed file's size
    only_files = plan_task(
        spec(), remote(latest=version()), FileDiff(changed=("helper.py",)), ENV, CTX
    )
    assert only_files.field_changes == ()
    assert only_files.upload_sizes == {"helper.py": 20} and only_files.upload_bytes == 20


def test_description_change_shows_datarobots_text_without_the_marker() -> None:
    task = plan_task(spec(description="Gradient boosted."), remote(), FileDiff(), ENV, CTX)
    assert [(c.field, c.old, c.new) for c in task.field_changes] == [
        ("description", "Boosted trees.", "Gradient boosted.")
    ]
    assert task.action == "update" and task.metadata == {"description": "Gradient boosted."}


def test_target_type_is_compared_whatever_its_case_in_datarobot() -> None:
    lower = remote()
    lower = replace(lower, task=struct_replace(lower.task, target_type="binary"))
    assert plan_task(spec(), lower, FileDiff(), ENV, CTX).action == "unchanged"
    other = replace(lower, task=struct_replace(lower.task, target_type="REGRESSION"))
    assert plan_task(spec(), other, FileDiff(), ENV, CTX).action == "refuse"


def test_a_build_is_wanted_only_with_dependencies_and_not_never() -> None:
    assert wants_build(spec(), ("pandas",))
    assert not wants_build(spec(), ())
    assert not wants_build(spec(dependency_build="never"), ("pandas",))


def test_counts_and_summary_of_a_plan_holding_every_action() -> None:
    held = {key: remote(key) for key in ("b/update", "c/same", "gone/task")}
    states = RemoteState("acme/tasks", tasks=held)
    specs = [
        spec("a/create"),
        spec("b/update", name="Renamed"),
        spec("c/same"),
        spec("d/refused"),
    ]
    found = Detected(refusals={"d/refused": "an adopt: that cannot be honoured"})
    plan = build_plan(specs, states, found, {s.key: ENV for s in specs}, CTX)
    assert [(t.key, t.action) for t in plan.tasks] == [
        ("a/create", "create"),
        ("b/update", "update"),
        ("c/same", "unchanged"),
        ("d/refused", "refuse"),
        ("gone/task", "keep"),
    ]
    actions: tuple[Action, ...] = ("create", "update", "unchanged", "delete", "keep", "refuse")
    assert [plan.count(a) for a in actions] == [1, 1, 1, 0, 1, 1]
    assert summary_line(plan) == (
        "Plan: 1 to create, 1 to update, 0 to delete, 1 unchanged. 1 kept (not deleted). 1 refused."
    )
    late = Detected(refusals={"gone/task": "a later commit synced it"})
    deleting = build_plan(
        specs[:1], states, late, {"a/create": ENV}, struct_replace(CTX, allow_delete=True)
    )
    assert [deleting.count(a) for a in actions] == [1, 0, 0, 2, 0, 1]
    assert summary_line(deleting) == (
        "Plan: 1 to create, 0 to update, 2 to delete, 0 unchanged. 1 refused."
    )
    assert isinstance(deleting, Plan) and [t.key for t in deleting.refused] == ["gone/task"]
