"""libyaml composes manifests when it can (issue 17); what users see must not change: values,
positions and problems equal the Python loader's, and aliases still end in its error."""

from __future__ import annotations

import pytest

from ctask_sync.manifest import yamlcompose, yamlpos

DOCUMENTS = [
    "key: fraud/xgb\nname: X\nfiles:\n  exclude: ['*.ipynb', data/]\nmaximum_memory: 1.5Gi\n",
    "éé: ü\nb: [ö, ä, x]\nc: {ü: 1, x: 2}\n",  # columns count characters, not bytes
    "\ufeffa: 1\n",
    "a: 1\na: 2\n",  # duplicate key: a problem, not an error
    "a: !!python/object:os.system x\n",
    "on: yes\n1: no\n",
    "",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_the_fast_path_gives_what_the_python_loader_gives(text: str) -> None:
    fast, slow = yamlpos.load(text), yamlcompose._load_python(text)

    assert (fast.value, fast.values, fast.keys, fast.bad_values) == (
        slow.value,
        slow.values,
        slow.keys,
        slow.bad_values,
    )
    assert [(p.message, p.pos) for p in fast.problems] == [
        (p.message, p.pos) for p in slow.problems
    ]


@pytest.mark.parametrize(
    ("text", "pos"),
    [
        ("a: &x 1\nb: *x\n", yamlpos.Pos(2, 4)),
        ("&x k: 1\n*x : 2\n", yamlpos.Pos(2, 1)),
        ("a: [1, 2\n", yamlpos.Pos(2, 1)),
        ("a:\n\t- 1\n", yamlpos.Pos(2, 1)),
    ],
)
def test_errors_come_from_the_python_loader(text: str, pos: yamlpos.Pos) -> None:
    with pytest.raises(yamlpos.YamlProblem) as fast:
        yamlpos.load(text)
    with pytest.raises(yamlpos.YamlProblem) as slow:
        yamlcompose._load_python(text)

    assert (fast.value.message, fast.value.pos) == (slow.value.message, pos)
