"""The plain CLI's promise, as a user meets it: the token never appears, and text from file names,
manifests and DataRobot is inert (no line the GitHub runner reads as a `::workflow-command::`,
no raw bidi control) in the text, `--json` and Markdown of every command but `action`.

Hostile file names are committed to real repositories, hostile text is put into DataRobot with
the official client, and the CLI runs as a child process whose raw bytes are searched."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import datarobot as dr
import pytest

from ctask_sync.emulator import EmulatorSettings, RunningEmulator
from ctask_sync.emulator.server import make_emulator_server
from ctask_sync.emulator.testing import SENTINEL_TOKEN, AdminClient
from tests.testing.clirun import Run

from .support import commit_all, init_repo, remote_args, subprocess_env, write_task

TOKEN = SENTINEL_TOKEN  # the root conftest's DATAROBOT_API_TOKEN
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# What the runner reads as a line: up to \n, \r or \r\n, leading whitespace trimmed.
LINES = re.compile(r"\r\n|\r|\n")
FIT = "def fit(X, y, output_dir, **kw):\n    pass\n"
HOSTILE_FILES = {
    "a\n::warning::injected.py": "A = 1\n",
    "c\r::error::cr.py": "C = 1\n",
    "b\u202eyp.txt": "B\n",
    "d\x1b[31mred.py": "D = 1\n",
}


def child(*argv: str) -> Run:
    """`ctask-sync ARGV` in a child process, its output decoded without universal newlines so
    a `\\r` stays a `\\r`."""
    done = subprocess.run(
        [sys.executable, "-m", "ctask_sync", *argv],
        env=subprocess_env(),
        capture_output=True,
        timeout=120,
    )
    return Run(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


def run_child(*argv: str) -> tuple[int, str]:
    """Exit code, and stdout and stderr together."""
    run = child(*argv)
    return run.code, run.text


def live_commands(text: str) -> list[str]:
    """Lines a runner would execute as workflow commands."""
    return [line for line in LINES.split(text) if line.lstrip().startswith("::")]


def assert_inert(outputs: dict[str, str], *, bidi: bool = True, commands: bool = True) -> None:
    """No output holds the token, (commands) a live workflow command, or (bidi) a raw bidi
    control. Markdown files are read by GitHub as Markdown, never as a log: commands=False."""
    none: dict[str, list[str]] = {name: [] for name in outputs}
    assert {name: TOKEN in text for name, text in outputs.items()} == dict.fromkeys(outputs, False)
    if commands:
        assert {name: live_commands(text) for name, text in outputs.items()} == none
    if bidi:
        raw = {name: sorted({c for c in text if c in BIDI}) for name, text in outputs.items()}
        assert raw == none


def read_all(paths: Iterable[Path]) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in paths}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


def test_hostile_file_names_stay_visible_and_inert(
    emulator: RunningEmulator, repo: Path, tmp_path: Path
) -> None:
    write_task(repo, "t1", files={"custom.py": FIT, **HOSTILE_FILES})
    commit_all(repo)
    out = tmp_path / "out"
    out.mkdir()
    remote = remote_args(emulator.endpoint)
    runs: dict[str, tuple[int, str]] = {}
    runs["validate"] = run_child("validate", str(repo))
    runs["plan"] = run_child("plan", str(repo), "--markdown", str(out / "plan.md"), *remote)
    as_json = child("plan", str(repo), "--json", "-", *remote)
    runs["plan --json -"] = as_json.code, as_json.text
    runs["apply"] = run_child(
        "apply",
        str(repo),
        "--json",
        str(out / "apply.json"),
        "--markdown",
        str(out / "a.md"),
        *remote,
    )
    write_task(repo, "t1", files={"custom.py": FIT, "e\n  ::notice::renamed.py": "E\n"})
    commit_all(repo)
    runs["plan after"] = run_child("plan", str(repo), *remote)
    runs["status"] = run_child("status", str(repo), *remote)

    assert runs["plan"][0] == 2 and runs["apply"][0] == 0, runs["apply"][1]
    plan_text = runs["plan"][1]
    # each name on its own line, its control characters shown as Python's repr() shows them
    for shown in ("a\\n::warning::injected.py", "c\\r::error::cr.py", "b\\u202eyp.txt"):
        assert f"      + {shown} (" in plan_text, plan_text
    assert "      + d\\x1b[31mred.py (" in plan_text
    assert "\x1b" not in plan_text  # no colour without a terminal: every ESC would be theirs
    assert "e\\n  ::notice::renamed.py" in runs["plan after"][1]
    document = json.loads(as_json.out)
    # JSON keeps the names exactly (its own escapes for the bidi control)
    assert sorted(f["path"] for f in document["tasks"][0]["files"]) == sorted(
        ["custom.py", *HOSTILE_FILES]
    )
    markdown = read_all(out.glob("*.md"))
    assert "b\\\\u202eyp.txt" in markdown["plan.md"]  # Markdown's `\\` shows one backslash
    assert_inert({name: text for name, (_code, text) in runs.items()})
    assert_inert(markdown, commands=False)


def test_the_token_in_datarobot_text_is_hidden_everywhere(
    emulator: RunningEmulator, repo: Path, tmp_path: Path
) -> None:
    write_task(repo, "t1", files={"custom.py": FIT})
    commit_all(repo)
    remote = remote_args(emulator.endpoint)
    assert run_child("apply", str(repo), *remote)[0] == 0
    # someone edits the task with the official client, pasting the token into it
    dr.Client(endpoint=emulator.endpoint, token=TOKEN)
    (task,) = dr.CustomTask.list()
    task.update(name=f"line1 {TOKEN}", description=f"d {TOKEN}\n::error::x\u202e")
    out = tmp_path / "out"
    out.mkdir()
    saved = out / "saved.plan"
    runs: dict[str, tuple[int, str]] = {}
    runs["plan"] = run_child(
        "plan",
        str(repo),
        "--json",
        str(out / "plan.json"),
        "--markdown",
        str(out / "p.md"),
        "--out",
        str(saved),
        *remote,
    )
    as_json = child("plan", str(repo), "--json", "-", *remote)
    runs["plan --json -"] = as_json.code, as_json.text
    runs["status --json -"] = run_child("status", str(repo), "--json", "-", *remote)
    runs["apply --plan"] = run_child(
        "apply", str(repo), "--plan", str(saved), "--json", str(out / "apply.json"), *remote
    )

    assert runs["plan"][0] == 2
    assert "name: line1 <hidden> → Task t1" in runs["plan"][1]
    document = json.loads(as_json.out)
    olds = {c["field"]: c["old"] for c in document["tasks"][0]["field_changes"]}
    assert olds["name"] == "line1 <hidden>"
    assert olds["description"].startswith("d <hidden>\n::error::x")
    # the saved plan holds the report redacted, and still applies: compared redacted alike
    assert runs["apply --plan"][0] == 0, runs["apply --plan"][1]
    assert dr.CustomTask.get(task.id).name == "Task t1"
    assert_inert({n: text for n, (_c, text) in runs.items()}, bidi=False)
    assert_inert(read_all(out.iterdir()), bidi=False, commands=False)
    assert_inert({n: text for n, (_c, text) in runs.items() if "json" not in n})


class HostileBuildLogs:
    """WSGI middleware: every dependency build log the emulator serves gains lines a hostile
    package's build could print (indented commands, the token, a bidi control)."""

    EXTRA = (
        f"        ::set-output name=x::1\n\t::error::tabbed\n{TOKEN} in the log\n"
        "\u202eevil\n\r::warning::after-cr\n"
    )

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).endswith("/dependencyBuildLog/"):
            return self.app(environ, start_response)
        answer: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], *exc: Any) -> None:
            answer.update(status=status, headers=headers)

        body = b"".join(self.app(environ, keep))
        if answer["status"].startswith("200"):
            body += self.EXTRA.encode("utf-8")
        headers = [(k, v) for k, v in answer["headers"] if k.lower() != "content-length"]
        start_response(answer["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def hostile_emulator() -> Iterator[RunningEmulator]:
    server, app = make_emulator_server(EmulatorSettings(build_seconds=0.0), "127.0.0.1", 0)
    server.app = HostileBuildLogs(app)
    emu = RunningEmulator(server, app)
    yield emu
    emu.stop()


def test_a_failed_build_log_and_an_error_message_stay_inert(
    hostile_emulator: RunningEmulator, repo: Path, tmp_path: Path
) -> None:
    write_task(repo, "bad", files={"custom.py": FIT, "requirements.txt": "does-not-exist-x==1\n"})
    write_task(repo, "err", files={"custom.py": FIT})
    commit_all(repo)
    AdminClient(hostile_emulator.admin_url).fault(
        method="POST",
        path="^/api/v2/customTasks/$",
        nth=2,
        status=422,
        message=f"refused\n::error::from-datarobot {TOKEN}\n   ::warning::indented",
    )
    out = tmp_path / "out"
    out.mkdir()
    code, text = run_child(
        "apply",
        str(repo),
        "--json",
        str(out / "apply.json"),
        "--markdown",
        str(out / "a.md"),
        *remote_args(hostile_emulator.endpoint),
    )
    assert code == 1
    assert "        :\u200d:set-output name=x::1" in text  # shown, the colons disarmed
    assert "        \\u202eevil" in text
    assert "        <hidden> in the log" in text
    assert "refused\n:\u200d:error::from-datarobot <hidden>" in text
    tails = [t["build_log_tail"] for t in json.loads((out / "apply.json").read_text())["tasks"]]
    assert any(t and "::set-output name=x::1" in t for t in tails)  # JSON keeps it, escaped
    assert_inert({"apply": text})
    assert_inert({"a.md": (out / "a.md").read_text("utf-8")}, commands=False)
    assert_inert({"apply.json": (out / "apply.json").read_text("utf-8")}, bidi=False)


def test_validate_hides_the_token_in_what_it_echoes(repo: Path) -> None:
    write_task(
        repo,
        "t1",
        files={"custom.py": FIT, "requirements.txt": f"pandas==2.0\nbad line {TOKEN} !!\n"},
        extra=f"surprise-{TOKEN}: 1\n",
    )
    code, text = run_child("validate", str(repo))
    as_json = child("validate", "--json", "-", str(repo))
    code_json, document = as_json.code, as_json.out
    assert code == code_json == 1
    assert "unknown key 'surprise-<hidden>'" in text
    assert "'bad line <hidden> !!' is not a dependency" in text
    messages = [f["message"] for f in json.loads(document)["findings"]]
    assert any("surprise-<hidden>" in m for m in messages)
    assert any("bad line <hidden> !!" in m for m in messages)
    assert_inert({"validate": text, "validate --json -": document})


def test_an_environment_name_holding_the_token_is_hidden(emulator: RunningEmulator) -> None:
    dr.Client(endpoint=emulator.endpoint, token=TOKEN)
    dr.ExecutionEnvironment.create(name=f"env {TOKEN}\n::warning::x \u202eevil")
    remote = ["--endpoint", emulator.endpoint]
    code, text = run_child("environments", *remote)
    as_json = child("environments", "--json", "-", *remote)
    code_json, document = as_json.code, as_json.text
    assert code == code_json == 0
    assert "env <hidden>\\n::warning::x \\u202eevil" in text
    names = [e["name"] for e in json.loads(as_json.out)]
    assert "env <hidden>\n::warning::x \u202eevil" in names
    assert_inert({"environments": text, "environments --json -": document})
