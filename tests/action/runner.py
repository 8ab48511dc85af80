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

REPO_ROOT = Path(__file__).resolve().parents[2]
_COMMAND = re.compile(r"^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")
# The runner's own variables, removed from the inherited environment so a test decides them.
_INHERITED_DROP = re.compile(r"^(GITHUB_|RUNNER_|INPUT_|ACTIONS_|CTASK_SYNC_|DATAROBOT_)")


@dataclass(frozen=True)
class WorkflowCommand:
    name: str
    properties: dict[str, str]
    data: str


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


def _unescape(text: str, *, prop: bool = False) -> str:
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def parse_command(line: str) -> WorkflowCommand | None:
    match = _COMMAND.match(line)
    if match is None:
        return None
    properties = {}
    for pair in (match.group(2) or "").split(","):
        if "=" in pair:
            key, value = pair.split("=", 1)
            properties[key.strip()] = _unescape(value, prop=True)
    return WorkflowCommand(match.group(1), properties, _unescape(match.group(3)))


def parse_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV syntax: `name=value` lines and `name<<DELIM` heredocs."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ValueError(f"heredoc for {name} not closed by {delimiter}")
            index += 1
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@dataclass
class _LogProcessor:
    """The runner's view of stdout: masking, stop-commands, workflow commands."""

    masks: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    commands: list[WorkflowCommand] = field(default_factory=list)
    stop_token: str | None = None

    def mask(self, line: str) -> str:
        for secret in sorted(self.masks, key=len, reverse=True):
            line = line.replace(secret, "***")
        return line

    def feed(self, text: str) -> None:
        for line in text.splitlines():
            if self.stop_token is not None:
                if line.strip() == f"::{self.stop_token}::":
                    self.stop_token = None
                else:
                    self.log.append(self.mask(line))
                continue
            command = parse_command(line)
            if command is None:
                self.log.append(self.mask(line))
                continue
            if command.name == "add-mask":
                if command.data.strip():
                    self.masks.append(command.data)
                continue
            if command.name == "stop-commands":
                self.stop_token = command.data
                continue
            self.commands.append(command)
            self.log.append(self.mask(f"##[{command.name}]{command.data}"))


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


def _apply_env_file(text: str, env: dict[str, str]) -> None:
    """GITHUB_ENV's `NAME=value` and `NAME<<DELIM` lines, for the steps that follow."""
    for name, value in parse_output_file(text).items():
        # The runner refuses NODE_OPTIONS from GITHUB_ENV (it would steer every node action).
        if name.upper() != "NODE_OPTIONS":
            env[name] = value


def _apply_path_file(text: str, prepend: list[str]) -> None:
    """GITHUB_PATH lines: each one goes to the front; a repeated line moves to the front."""
    for line in text.splitlines():
        entry = line.strip()
        if entry:
            if entry in prepend:
                prepend.remove(entry)
            prepend.append(entry)


def _search_path(prepend: list[str], path: str) -> str:
    """PATH as the runner builds it: the last GITHUB_PATH entry first, then the original."""
    return os.pathsep.join([*reversed(prepend), *([path] if path else [])])


@dataclass
class _JobState:
    """What carries over from one step to the next: the declared env and GITHUB_PATH."""

    env: dict[str, str]  # the `env` context: declared `env:` plus GITHUB_ENV, nothing inherited
    prepend_path: list[str] = field(default_factory=list)
    failed: bool = False

    def status(self) -> dict[str, bool]:
        return {"success": not self.failed, "failure": self.failed, "cancelled": False}


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
        text = (self.action_path / "action.yml").read_text(encoding="utf-8")
        # BaseLoader: every scalar stays text, as the runner reads `default: 1800` or `false`.
        action = yaml.load(text, Loader=yaml.BaseLoader)
        assert action["runs"]["using"] == "composite"
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
        process_env = {k: v for k, v in os.environ.items() if not _INHERITED_DROP.match(k)}
        process_env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_ACTION_PATH": str(self.action_path),
                "GITHUB_EVENT_NAME": event_name,
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_REF": ref,
                "GITHUB_SHA": sha,
                "GITHUB_REPOSITORY": repository,
                "GITHUB_RUN_ID": run_id,
                "GITHUB_API_URL": api_url,
                "GITHUB_SERVER_URL": "https://github.com",
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": "Linux",
            }
        )
        process_env.update(extra_env or {})
        state = _JobState(env=dict(env or {}))
        processor = _LogProcessor(masks=list(secrets))
        steps: dict[str, Any] = {}
        results: list[StepResult] = []
        summaries: list[str] = []
        pip_log = self.temp / "harness-pip.log"
        for index, step in enumerate(action["runs"]["steps"]):
            step_id = str(step.get("id") or f"__step{index}")
            contexts = {
                "inputs": resolved_inputs,
                "github": github,
                "env": dict(state.env),
                "steps": steps,
                "runner": {"os": "Linux", "temp": str(self.temp)},
            }
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
        values = {
            name: _yaml_text(spec.get("value", ""))
            for name, spec in (action.get("outputs") or {}).items()
        }
        return ActionResult(
            steps=results,
            outputs=interpolate_all(values, output_contexts),
            summary="".join(summaries),
            log=processor.log,
            commands=processor.commands,
            masks=processor.masks,
            conclusion="failure" if state.failed else "success",
        )

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
        env["PATH"] = _search_path(state.prepend_path, env.get("PATH", ""))
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
        _apply_env_file(files["GITHUB_ENV"].read_text(encoding="utf-8"), state.env)
        _apply_path_file(files["GITHUB_PATH"].read_text(encoding="utf-8"), state.prepend_path)
        return completed.returncode
