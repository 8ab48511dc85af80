"""Run a composite action the way a GitHub runner does, for tests.

It reads action.yml, evaluates the `${{ }}` expressions of every step's `env:`, `with:`, `if:`
and `run:` with GitHub's own evaluator (gha_expressions: @actions/expressions) from an inputs
map, a `github` context and the declared `env` (never the process environment), runs each `run:`
with its shell and the runner's variables (GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files per step,
an event payload file, GITHUB_ACTION_PATH, ...), parses the outputs back, applies GITHUB_ENV and
GITHUB_PATH to the steps that follow, and processes stdout as the runner does: `::add-mask::`
lines are swallowed and their values masked, `::stop-commands::` suspends command processing,
annotations and groups are collected.

`uses:` steps are not run. `actions/setup-python` is stood in for by a wrapper interpreter whose
`-m pip install` is a no-op (the package under test is importable from the action's folder), or,
given `python=`, by that real interpreter: then the install step really runs pip."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.action.gha_expressions import condition, interpolate, interpolate_all
from tests.action.step_io import (
    LogProcessor,
    WorkflowCommand,
    apply_env_file,
    apply_path_file,
    parse_output_file,
    search_path,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
_INHERITED_DROP = re.compile(r"^(GITHUB_|RUNNER_|INPUT_|ACTIONS_|CTASK_SYNC_|DATAROBOT_)")


@dataclass
class StepResult:
    id: str
    name: str
    ran: bool
    exit_code: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    script: str = ""


@dataclass
class ActionResult:
    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str
    log: list[str]  # what the runner would display: masked, commands consumed
    commands: list[WorkflowCommand]  # commands the runner acted on
    masks: list[str]
    conclusion: str  # success | failure

    @property
    def raw_stdout(self) -> str:
        return "".join(step.stdout for step in self.steps)

    @property
    def raw_stderr(self) -> str:
        return "".join(step.stderr for step in self.steps)

    def annotations(self, level: str | None = None) -> list[WorkflowCommand]:
        levels = (level,) if level else ("error", "warning", "notice")
        return [c for c in self.commands if c.name in levels]

    def step(self, step_id: str) -> StepResult:
        return next(s for s in self.steps if s.id == step_id)


def _fake_python(bin_dir: Path, pip_log: Path) -> Path:
    """setup-python's interpreter, after `pip install $GITHUB_ACTION_PATH`, for the harness."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "python"
    script.write_text(
        "#!/bin/sh\n"
        "# Stands in for setup-python's interpreter with ctask-sync installed from the action.\n"
        "# `-m venv DIR`: the private environment is this same stand-in.\n"
        'if [ "$1" = -I ] && [ "$2" = -m ] && [ "$3" = venv ]; then\n'
        "  for dir; do :; done\n"
        '  mkdir -p "$dir/bin" && cp "$0" "$dir/bin/python" && exit 0\n'
        "fi\n"
        f'if [ "$1" = -I ] && [ "$2" = -m ] && [ "$3" = pip ]; then\n'
        f"  printf '%s\\n' \"$*\" >> {shlex.quote(str(pip_log))}\n"
        "  echo 'harness: pip install skipped (the package under test is on PYTHONPATH)'\n"
        "  exit 0\n"
        "fi\n"
        "# -I would ignore PYTHONPATH; the harness imports the action's folder in its place.\n"
        '[ "$1" = -I ] && shift\n'
        f'PYTHONPATH={shlex.quote(str(REPO_ROOT))} exec {shlex.quote(sys.executable)} -s "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _yaml_text(value: Any) -> str:
    """A scalar from action.yml as the runner reads it (BaseLoader keeps most as text)."""
    return "" if value is None else str(value)


@dataclass
class _JobState:
    """What carries over from one step to the next: the declared env and GITHUB_PATH."""

    env: dict[str, str]  # the `env` context: declared `env:` plus GITHUB_ENV, nothing inherited
    prepend_path: list[str] = field(default_factory=list)
    failed: bool = False

    def status(self) -> dict[str, bool]:
        return {"success": not self.failed, "failure": self.failed, "cancelled": False}


def _output_values(action: Mapping[str, Any]) -> dict[str, str]:
    """action.yml's outputs, each its `value:` expression (not yet interpolated)."""
    return {
        name: _yaml_text(spec.get("value", ""))
        for name, spec in (action.get("outputs") or {}).items()
    }


@dataclass
class ActionRunner:
    """Runs action.yml (at `action_path`) in `workspace` for one event."""

    workspace: Path
    temp: Path  # RUNNER_TEMP and the harness's files
    action_path: Path = REPO_ROOT
    timeout: float = 120.0
    # setup-python's interpreter; None: a wrapper that skips `pip install` (fast, offline).
    python: Path | None = None

    def run(
        self,
        inputs: Mapping[str, str],
        *,
        event_name: str,
        event: Mapping[str, Any],
        ref: str,
        sha: str,
        repository: str = "octo/tasks",
        api_url: str = "http://127.0.0.1:9/unused",
        run_id: str = "4242",
        github_token: str = "ghs_harnessDefaultToken0000",
        secrets: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> ActionResult:
        """Run every step; returns outputs, summary, processed log and commands.

        `env` is what the calling workflow declares (`env:` of the workflow, job and the `uses:`
        step): it is the `env` context and reaches every step's process. `extra_env` only reaches
        the processes, like the runner machine's own environment."""
        action = self._action()
        self.temp.mkdir(parents=True, exist_ok=True)
        event_path = self.temp / "event.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        github = {
            "event_name": event_name,
            "event": dict(event),
            "ref": ref,
            "sha": sha,
            "repository": repository,
            "run_id": run_id,
            "token": github_token,
            "workspace": str(self.workspace),
            "action_path": str(self.action_path),
            "api_url": api_url,
            "server_url": "https://github.com",
        }
        resolved_inputs = self._inputs(action, inputs, github)
        process_env = self._process_env(github, event_path, extra_env or {})
        state = _JobState(env=dict(env or {}))
        processor = LogProcessor(masks=list(secrets))
        steps: dict[str, Any] = {}
        results: list[StepResult] = []
        summaries: list[str] = []
        pip_log = self.temp / "harness-pip.log"
        for index, step in enumerate(action["runs"]["steps"]):
            step_id = str(step.get("id") or f"__step{index}")
            runner = {"os": "Linux", "temp": str(self.temp)}
            contexts = {"inputs": resolved_inputs, "github": github, "runner": runner}
            contexts.update(env=dict(state.env), steps=steps)
            result = StepResult(step_id, str(step.get("name", step_id)), ran=False)
            results.append(result)
            # Without `if:` a step runs on success only: `success()` is the implicit condition.
            if not condition(_yaml_text(step.get("if", "success()")), contexts, state.status()):
                steps[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                continue
            if "uses" in step:
                result.outputs = self._uses(step, contexts, pip_log)
                steps[step_id] = {"outputs": result.outputs, "outcome": "success"}
                continue
            result.ran = True
            code = self._run_step(step, step_id, contexts, process_env, state, result, summaries)
            processor.feed(result.stdout)
            processor.feed(result.stderr)
            outcome = "success" if code == 0 else "failure"
            steps[step_id] = {"outputs": result.outputs, "outcome": outcome}
            state.failed = state.failed or code != 0

        output_contexts = {"steps": steps, "github": github, "inputs": resolved_inputs}
        return ActionResult(
            steps=results,
            outputs=interpolate_all(_output_values(action), output_contexts),
            summary="".join(summaries),
            log=processor.log,
            commands=processor.commands,
            masks=processor.masks,
            conclusion="failure" if state.failed else "success",
        )

    def _action(self) -> dict[str, Any]:
        """action.yml, as the runner reads it: a composite action."""
        text = (self.action_path / "action.yml").read_text(encoding="utf-8")
        # BaseLoader: every scalar stays text, as the runner reads `default: 1800` or `false`.
        action: dict[str, Any] = yaml.load(text, Loader=yaml.BaseLoader)
        assert action["runs"]["using"] == "composite"
        return action

    def _process_env(
        self, github: Mapping[str, Any], event_path: Path, extra_env: Mapping[str, str]
    ) -> dict[str, str]:
        """What every step's process sees: this machine's environment (minus what a runner would
        not pass on), the runner's own variables for this event, then extra_env."""
        process_env = {k: v for k, v in os.environ.items() if not _INHERITED_DROP.match(k)}
        process_env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_ACTION_PATH": str(self.action_path),
                "GITHUB_EVENT_NAME": github["event_name"],
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_REF": github["ref"],
                "GITHUB_SHA": github["sha"],
                "GITHUB_REPOSITORY": github["repository"],
                "GITHUB_RUN_ID": github["run_id"],
                "GITHUB_API_URL": github["api_url"],
                "GITHUB_SERVER_URL": "https://github.com",
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": "Linux",
            }
        )
        process_env.update(extra_env)
        return process_env

    @staticmethod
    def _inputs(
        action: Mapping[str, Any], inputs: Mapping[str, str], github: Mapping[str, Any]
    ) -> dict[str, str]:
        """Given inputs, else the declared defaults (which may use the `github` context)."""
        declared = action.get("inputs") or {}
        unknown = set(inputs) - set(declared)
        assert not unknown, f"inputs not declared in action.yml: {unknown}"
        defaults = {
            name: _yaml_text((spec or {}).get("default", ""))
            for name, spec in declared.items()
            if name not in inputs
        }
        resolved = interpolate_all(defaults, {"github": github})
        resolved.update(inputs)
        return {name: resolved[name] for name in declared}

    def _uses(
        self, step: Mapping[str, Any], contexts: Mapping[str, Any], pip_log: Path
    ) -> dict[str, str]:
        uses = str(step["uses"])
        with_values = interpolate_all(step.get("with") or {}, contexts)
        if uses.startswith("actions/setup-python@"):
            assert with_values.get("update-environment") == "false"
            python = self.python or _fake_python(self.temp / "harness-python", pip_log)
            version = f"{sys.version_info.major}.{sys.version_info.minor}"
            return {"python-path": str(python), "python-version": version}
        return {}

    def _run_step(
        self,
        step: Mapping[str, Any],
        step_id: str,
        contexts: Mapping[str, Any],
        process_env: Mapping[str, str],
        state: _JobState,
        result: StepResult,
        summaries: list[str],
    ) -> int:
        shell = step.get("shell")
        assert shell == "bash", f"step {step_id}: only shell bash is supported, got {shell}"
        step_env = interpolate_all(step.get("env") or {}, contexts)
        # The step's own env is in the `env` context of its `run:`, as on a runner.
        run_contexts = {**contexts, "env": {**contexts["env"], **step_env}}
        # As the runner does: expressions in `run:` are substituted before the shell sees it.
        script = interpolate(str(step["run"]), run_contexts)
        result.script = script
        env = {**process_env, **state.env, **step_env}
        env["PATH"] = search_path(state.prepend_path, env.get("PATH", ""))
        files = {
            "GITHUB_OUTPUT": self.temp / f"output-{step_id}",
            "GITHUB_STEP_SUMMARY": self.temp / f"summary-{step_id}",
            "GITHUB_ENV": self.temp / f"env-{step_id}",
            "GITHUB_PATH": self.temp / f"path-{step_id}",
        }
        for name, path in files.items():
            path.write_text("", encoding="utf-8")
            env[name] = str(path)
        script_path = self.temp / f"script-{step_id}.sh"
        script_path.write_text(script, encoding="utf-8")
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_path)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        result.exit_code = completed.returncode
        result.stdout = completed.stdout
        result.stderr = completed.stderr
        result.outputs = parse_output_file(files["GITHUB_OUTPUT"].read_text(encoding="utf-8"))
        summaries.append(files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"))
        apply_env_file(files["GITHUB_ENV"].read_text(encoding="utf-8"), state.env)
        apply_path_file(files["GITHUB_PATH"].read_text(encoding="utf-8"), state.prepend_path)
        return completed.returncode
