"""The default ignores are matched with one regex over names (issue 17: walking 10,000 task
folders): it must drop exactly what matching every default-ignore glob drops."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ctask_sync.manifest.files import DEFAULT_IGNORE_GLOBS, is_default_ignored

NAMES = st.sampled_from(
    [
        ".git", "__pycache__", "x.pyc", ".pyc", "a.pyc.txt", ".ipynb_checkpoints", ".DS_Store",
        ".Rhistory", ".Rproj.user", ".venv", "venv", "venv2", ".env", ".env.local", "env",
        ".pytest_cache", ".ctask-sync", "secrets", "secret", ".gitignore", ".gitattributes",
        "custom.py", "a b", "line\nbreak", "ünï", "[x]", "*",
    ]
)  # fmt: skip


def by_globs(rel: str, *, is_dir: bool) -> bool:
    return any(g.matches(rel, is_dir=is_dir) for g in DEFAULT_IGNORE_GLOBS)


@given(
    st.lists(
        NAMES | st.text(min_size=1, max_size=8).filter(lambda s: "/" not in s),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_names_match_exactly_what_the_globs_match(parts: list[str], is_dir: bool) -> None:
    rel = "/".join(parts)

    assert is_default_ignored(rel, is_dir=is_dir) == by_globs(rel, is_dir=is_dir)


def test_folder_only_ignores_drop_folders_and_what_is_inside_them() -> None:
    assert is_default_ignored("venv", is_dir=True)
    assert not is_default_ignored("venv", is_dir=False)
    assert is_default_ignored("lib/venv/x.py", is_dir=False)
    assert is_default_ignored("lib/cache.pyc", is_dir=False)
    assert not is_default_ignored("lib/custom.py", is_dir=False)
