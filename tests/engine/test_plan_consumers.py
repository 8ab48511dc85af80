"""plan_consumers.py is pure: a plan and what was read in, the plan with its consumer and
sharing steps out."""

from __future__ import annotations

from msgspec.structs import replace

from ctask_sync.engine.consumers import BlueprintUse, Consumers
from ctask_sync.engine.model import FileDiff, Grant
from ctask_sync.engine.plan import plan_task
from ctask_sync.engine.plan_consumers import consumers_wanted, with_consumers, with_sharing
from ctask_sync.engine.steps import (
    CreateVersion,
    Plan,
    ShareTask,
    StartBuild,
    UpdateBlueprints,
    WriteRecord,
)
from ctask_sync.manifest.spec import ShareEntry

from .test_plan import CTX, ENV, remote, spec

CHANGED = FileDiff(changed=("helper.py",))
USES = Consumers({"t1": (BlueprintUse("bp1", "One", "t1", "v1", "1.0"),)})


def test_unchanged_tasks_read_no_blueprints() -> None:
    task = plan_task(spec(blueprints="follow"), remote(), FileDiff(), ENV, CTX)
    plan = Plan(context=CTX, tasks=(task,))
    assert consumers_wanted(plan, asked=False) == {}
    assert list(consumers_wanted(plan, asked=True)) == ["t1"]


def test_follow_adds_blueprint_updates_after_the_new_version() -> None:
    task = plan_task(spec(blueprints="follow"), remote(), CHANGED, ENV, CTX)
    plan = Plan(context=CTX, tasks=(task,))
    wanted = consumers_wanted(plan, asked=False)
    (done,) = with_consumers(plan, USES, wanted).tasks
    assert [type(s) for s in done.steps] == [
        CreateVersion,
        StartBuild,
        WriteRecord,
        UpdateBlueprints,
    ]
    assert done.blueprint_updates[0].old_labels == ("1.0",)
    assert done.blueprint_updates[0].new_label == "1.1"
    assert done.consumers == USES.of("t1")


def test_previews_and_leave_add_no_updates() -> None:
    preview = replace(CTX, touch_blueprints=False)
    for policy, ctx in (("follow", preview), ("leave", CTX)):
        task = plan_task(spec(blueprints=policy), remote(), CHANGED, ENV, ctx)
        plan = Plan(context=ctx, tasks=(task,))
        assert consumers_wanted(plan, asked=False) == {}
        (done,) = with_consumers(plan, USES, {"t1": None}).tasks
        assert done.blueprint_updates == ()


def test_share_runs_before_the_record_that_keeps_it() -> None:
    wanted = (ShareEntry("ana@example.com", "USER"),)
    owner = Grant("emulator-user@example.com", "OWNER", True)
    unchanged = plan_task(spec(share=wanted), remote(), FileDiff(), ENV, CTX)
    (done,) = with_sharing(Plan(context=CTX, tasks=(unchanged,)), {"fraud/xgb": (owner,)}).tasks
    assert [type(s) for s in done.steps] == [ShareTask, WriteRecord]
    assert done.action == "update"
    changed = plan_task(spec(share=wanted), remote(), CHANGED, ENV, CTX)
    (done,) = with_sharing(Plan(context=CTX, tasks=(changed,)), {"fraud/xgb": (owner,)}).tasks
    assert [type(s) for s in done.steps] == [CreateVersion, StartBuild, ShareTask, WriteRecord]
    # in step with the access list: nothing to do
    have = (owner, Grant("ana@example.com", "USER", True))
    (same,) = with_sharing(Plan(context=CTX, tasks=(unchanged,)), {"fraud/xgb": have}).tasks
    assert same.steps == unchanged.steps
