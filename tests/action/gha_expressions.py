"""GitHub Actions `${{ }}` expressions, evaluated by GitHub's own evaluator.

The harness used to carry a home-made evaluator; it disagreed with GitHub on format escapes, `.*`
filters, precedence, `join`, short-circuit values and more. This module instead drives
`@actions/expressions` (the package GitHub's VS Code extension uses), installed by
`npm ci --prefix .ci/node`, through one long-lived node process speaking JSON lines
(.ci/node/gha-expressions.mjs): one round trip per call, a batch per step."""

from __future__ import annotations

import atexit
import functools
import json
import os
import selectors
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

NODE_DIR = Path(__file__).resolve().parents[2] / ".ci" / "node"
# A request answers in milliseconds; this only bounds a wedged node process.
REPLY_TIMEOUT = 30.0
SUCCESS = {"success": True, "failure": False, "cancelled": False}


class ExpressionError(Exception):
    """GitHub's evaluator rejected an expression (syntax, unknown context or function, ...)."""


class EvaluatorUnavailable(RuntimeError):
    """node or the npm packages are missing, or the node process died."""


def node_command(script: str) -> list[str]:
    """argv running one of .ci/node's scripts with the JSON-import hook GitHub's packages need."""
    node = shutil.which("node")
    if node is None:
        raise EvaluatorUnavailable("node is not on PATH (Node >= 20 runs GitHub's packages)")
    if not (NODE_DIR / "node_modules" / "@actions").is_dir():
        raise EvaluatorUnavailable(
            f"GitHub's npm packages are not installed: run `npm ci --prefix {NODE_DIR}`"
        )
    return [node, "--import", str(NODE_DIR / "json-loader.mjs"), str(NODE_DIR / script)]


class _NodeEvaluator:
    """One `node gha-expressions.mjs` process; requests are serialised by a lock."""

    def __init__(self) -> None:
        command = node_command("gha-expressions.mjs")
        # stderr goes to a file, not a pipe nobody drains, yet stays readable for errors.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed with node)
        self._process = subprocess.Popen(
            command,
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={"PATH": os.environ.get("PATH", ""), "NODE_NO_WARNINGS": "1"},
        )
        self._lock = threading.Lock()

    def _died(self, why: str) -> EvaluatorUnavailable:
        self._stderr.seek(0)
        detail = self._stderr.read().decode("utf-8", "replace").strip()
        return EvaluatorUnavailable(f"{why}; node said: {detail or '(nothing)'}")

    def request(self, message: Mapping[str, Any]) -> list[dict[str, Any]]:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            try:
                self._process.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
                self._process.stdin.flush()
            except BrokenPipeError:
                raise self._died("the evaluator process exited") from None
            with selectors.DefaultSelector() as selector:
                selector.register(self._process.stdout, selectors.EVENT_READ)
                if not selector.select(REPLY_TIMEOUT):
                    error = self._died(f"no answer within {REPLY_TIMEOUT}s")
                    self._process.kill()  # wedged: later requests fail fast on the dead pipe
                    raise error
            line = self._process.stdout.readline()
        if not line:
            raise self._died("the evaluator process exited")
        reply = json.loads(line)
        if "fatal" in reply:
            raise EvaluatorUnavailable(f"the evaluator rejected the request: {reply['fatal']}")
        results: list[dict[str, Any]] = reply["results"]
        return results

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()  # EOF ends the read loop: node exits on its own
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._stderr.close()


@functools.cache
def _evaluator() -> _NodeEvaluator:
    evaluator = _NodeEvaluator()
    atexit.register(evaluator.close)
    return evaluator


def _batch(
    kind: str,
    texts: Sequence[str],
    contexts: Mapping[str, Any],
    status: Mapping[str, bool] | None = None,
) -> list[dict[str, Any]]:
    """Evaluate `texts` in one round trip; raises ExpressionError for the first failure."""
    if not texts:
        return []
    items = [{"kind": kind, "text": text} for text in texts]
    message = {"contexts": contexts, "items": items, "status": dict(status or SUCCESS)}
    results = _evaluator().request(message)
    for text, result in zip(texts, results, strict=True):
        if "error" in result:
            raise ExpressionError(f"{text!r}: {result['error']}")
    return results


def evaluate(expression: str, contexts: Mapping[str, Any]) -> Any:
    """The value (as JSON) of one expression: the text between `${{` and `}}`."""
    return _batch("expression", [expression], contexts)[0]["value"]


def interpolate_all(values: Mapping[str, str], contexts: Mapping[str, Any]) -> dict[str, str]:
    """Each value with its `${{ }}` replaced, as the runner writes it into env, with or run."""
    results = _batch("template", list(values.values()), contexts)
    return {name: result["string"] for name, result in zip(values, results, strict=True)}


def interpolate(text: str, contexts: Mapping[str, Any]) -> str:
    return interpolate_all({"text": text}, contexts)["text"]


def condition(text: str, contexts: Mapping[str, Any], status: Mapping[str, bool]) -> bool:
    """An `if:` value: `${{ }}` optional; without a status function it means success() && (…).
    `status` holds success, failure and cancelled (always() is always true)."""
    value = _batch("condition", [text], contexts, status)[0]["value"]
    assert isinstance(value, bool)
    return value
