"""A synthetic git repository of custom-task folders shaped like real ones, and its edits.

Each task has 2-6 files (median about 2 KB), about a third carry a `requirements.txt`, a few
carry a 1-5 MB binary artifact, and a few folder or file names contain spaces. Everything is
derived from a seed, so two repositories generated with the same seed (one per tool) are
byte-identical and evolve identically under the same edits.
"""

from __future__ import annotations

import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# The emulator seeds this environment ("[DataRobot] Python 3.12 Scikit-Learn Drop-In").
PYTHON_SKLEARN_ENV_ID = "5e8c889607389fe0f466c72d"

DOMAINS = ("fraud", "churn", "credit risk", "pricing", "forecast", "nlp", "vision", "ops")
ALGORITHMS = (
    ("xgb", "XGBoost", "binary"),
    ("lgbm", "LightGBM", "binary"),
    ("ridge", "Ridge", "regression"),
    ("rf", "Random forest", "multiclass"),
    ("iforest", "Isolation forest", "anomaly"),
    ("impute", "Median imputer", "transform"),
    ("onehot", "One-hot encoder", "transform"),
    ("tfidf", "TF-IDF vectoriser", "transform"),
)
PACKAGES = ("xgboost", "lightgbm", "scikit-learn", "pandas", "numpy", "scipy", "category-encoders")
WORDS = (
    "frame", "column", "target", "weight", "feature", "score", "model", "params", "encoder",
    "matrix", "sample", "split", "value", "index", "series", "row", "label", "proba", "fit",
)  # fmt: skip


@dataclass
class SyntheticTask:
    """One generated task folder."""

    key: str
    folder: Path  # absolute
    has_requirements: bool
    artifact: str | None  # relative path of the 1-5 MB artifact, if any


@dataclass
class SyntheticRepo:
    """A generated repository and the tasks in it, in generation order."""

    root: Path
    tasks: list[SyntheticTask] = field(default_factory=list)

    @property
    def with_requirements(self) -> list[SyntheticTask]:
        return [t for t in self.tasks if t.has_requirements]


def _code(rng: random.Random, size: int, header: str) -> str:
    """Python-looking text of about `size` bytes (deterministic for a seeded rng)."""
    lines = [header]
    total = len(header)
    while total < size:
        a, b, c = rng.sample(WORDS, 3)
        line = f"    {a}_{b} = {c}[{rng.randint(0, 99)}] * {rng.random():.6f}  # {b} of {a}\n"
        lines.append(line)
        total += len(line)
    return "".join(lines)


def _file_size(rng: random.Random) -> int:
    """A log-normal size with a median of about 3 KB, clipped to 200 B..16 KB (code files)."""
    return max(200, min(16_000, int(rng.lognormvariate(8.0, 0.6))))


def _requirements(rng: random.Random, bump: int = 0) -> str:
    picked = rng.sample(PACKAGES, rng.randint(1, 3))
    return "".join(f"{name}>=1.{rng.randint(0, 9) + bump}\n" for name in sorted(picked))


def _hyperparameters(rng: random.Random) -> str:
    """A DRUM `hyperparameters:` block, as real model-metadata.yaml files carry."""
    lines = ["hyperparameters:\n"]
    for name in rng.sample(WORDS, rng.randint(3, 8)):
        low = rng.randint(0, 10)
        lines.append(
            f"  - name: {name}_rate\n    type: float\n    min: {low}\n"
            f"    max: {low + rng.randint(1, 100)}\n    default: {low + 0.5}\n"
        )
    return "".join(lines)


def _manifest(key: str, name: str, target_type: str, description: str) -> str:
    return (
        f"key: {key}\n"
        f'name: "{name}"\n'
        f"target_type: {target_type}\n"
        "language: python\n"
        f'description: "{description}"\n'
        "environment:\n"
        f"  id: {PYTHON_SKLEARN_ENV_ID}\n"
        "dependency_build: auto\n"
    )


def _write_task(root: Path, index: int, rng: random.Random, artifact_every: int) -> SyntheticTask:
    domain = DOMAINS[index % len(DOMAINS)]
    slug, algo_name, target_type = ALGORITHMS[(index // len(DOMAINS)) % len(ALGORITHMS)]
    # A few folders (every 17th) get a space in their own name, on top of "credit risk".
    leaf = f"{slug} v{index:04d}" if index % 17 == 5 else f"{slug}-{index:04d}"
    folder = root / "tasks" / domain / leaf
    folder.mkdir(parents=True)
    key = f"{domain.replace(' ', '-')}/{slug}-{index:04d}"
    name = f"{algo_name} {domain} {index:04d}"
    (folder / "ctask.yaml").write_text(
        _manifest(key, name, target_type, f"{algo_name} for the {domain} blueprints.")
    )
    (folder / "custom.py").write_text(
        _code(rng, _file_size(rng), f'"""{name}: DRUM hooks."""\n\n\ndef fit(X, y, **kw):\n')
    )
    (folder / "model-metadata.yaml").write_text(
        f"name: {name}\ntype: training\ntargetType: {target_type}\n"
        f"environmentID: {PYTHON_SKLEARN_ENV_ID}\n{_hyperparameters(rng)}"
    )
    extra = rng.randint(0, 3)  # 2 required files + 0..3 optional + maybe requirements = 2..6
    optional = ["helpers/features.py", "README.md", "helpers/preprocess steps.py"]
    for rel in optional[:extra]:
        path = folder / rel
        path.parent.mkdir(exist_ok=True)
        path.write_text(_code(rng, _file_size(rng), f"# {rel} for {name}\n\n\ndef run():\n"))
    has_requirements = index % 3 == 0
    if has_requirements:
        (folder / "requirements.txt").write_text(_requirements(rng))
    artifact = None
    if artifact_every and index % artifact_every == 7 % artifact_every:
        artifact = "artifacts/model.pkl"
        (folder / "artifacts").mkdir()
        (folder / artifact).write_bytes(rng.randbytes(rng.randint(1, 5) * 1024 * 1024))
    return SyntheticTask(key, folder, has_requirements, artifact)


_NO_AUTO_GC = ("-c", "gc.auto=0", "-c", "maintenance.auto=false")


def git_env(root: Path) -> dict[str, str]:
    """The environment of the benchmark's git commands: an isolated identity, no user or
    system config involved."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "HOME"} | {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "HOME": str(root),
    }


def git(root: Path, *args: str) -> str:
    """Run git in root with git_env and no automatic gc."""
    # No automatic gc: after the commit of a 10,000-task repository (49,000 loose objects, a
    # 1.3 GB pack) a detached `git gc --auto` ran for five minutes, on one of the two cores
    # the timed runs use. A user's clone comes packed; repacking is setup, not the work timed.
    done = subprocess.run(
        ["git", *_NO_AUTO_GC, *args],
        cwd=root,
        env=git_env(root),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _init(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "gc.auto", "0")  # for the tools' own git commands too (see git())


def commit_all(root: Path, message: str) -> None:
    """Stage every change and commit it (the benchmark's repos are its own)."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def generate(root: Path, n: int, *, seed: int = 6, artifact_every: int = 25) -> SyntheticRepo:
    """Write n task folders under root/tasks, `git init` root and commit them."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    repo = SyntheticRepo(root)
    (root / ".gitignore").write_text("__pycache__/\n*.pyc\n.ctask-sync/\n")
    (root / "README.md").write_text("# Synthetic custom tasks for the ctask-sync benchmark\n")
    for index in range(n):
        repo.tasks.append(_write_task(root, index, rng, artifact_every))
    _init(root)
    commit_all(root, f"{n} synthetic tasks")
    return repo


def touch_file(task: SyntheticTask, note: str) -> int:
    """Append a line to the task's custom.py; returns the file's new size in bytes."""
    path = task.folder / "custom.py"
    with path.open("a") as fh:
        fh.write(f"# {note}\n")
    return path.stat().st_size


def change_tasks(repo: SyntheticRepo, fraction: float, note: str) -> list[SyntheticTask]:
    """Edit custom.py in an evenly spread `fraction` of the tasks (at least one)."""
    count = max(1, round(len(repo.tasks) * fraction))
    step = len(repo.tasks) / count
    picked = [repo.tasks[int(i * step)] for i in range(count)]
    for task in picked:
        touch_file(task, note)
    return picked


def bump_requirements(repo: SyntheticRepo, count: int) -> list[SyntheticTask]:
    """Raise a version floor in requirements.txt of the first `count` tasks that have one."""
    picked = repo.with_requirements[:count]
    for task in picked:
        path = task.folder / "requirements.txt"
        path.write_text(path.read_text().replace(">=1.", ">=2.", 1))
    return picked


def add_big_file(root: Path, size: int) -> SyntheticTask:
    """A repo with one task whose artifact is a sparse file of `size` bytes (no disk used)."""
    folder = root / "tasks" / "big model"
    folder.mkdir(parents=True)
    (folder / "ctask.yaml").write_text(
        _manifest("big/model", "Big artifact model", "binary", "A task with one huge artifact.")
    )
    (folder / "custom.py").write_text('"""Loads a large artifact."""\n\n\ndef fit(X, y, **kw):\n')
    with (folder / "weights.bin").open("wb") as fh:
        fh.truncate(size)
    _init(root)
    # The artifact stays untracked (real repos keep such files in LFS or fetch them in a build
    # step); it is not ignored, so both tools upload it, and the commit stays instant.
    git(root, "add", "tasks/big model/ctask.yaml", "tasks/big model/custom.py")
    git(root, "commit", "-q", "-m", "big artifact task")
    return SyntheticTask("big/model", folder, False, "weights.bin")
