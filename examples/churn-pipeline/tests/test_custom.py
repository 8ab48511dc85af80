"""Local checks of the pipeline; excluded from the upload by files.exclude in ctask.yaml."""

from __future__ import annotations

import tempfile

import custom
import pandas as pd


def test_fit_then_score_recovers_a_linear_target() -> None:
    X = pd.DataFrame({"tenure": [1, 5, 10, 20], "plan": ["free", "pro", "basic", "enterprise"]})
    y = 3.0 * X["tenure"] + 1.0
    with tempfile.TemporaryDirectory() as out:
        custom.fit(X, y, out)
        predictions = custom.score(X, custom.load_model(out))
    assert ((predictions["Predictions"] - y).abs() < 2.0).all()
