"""DRUM hooks of the fraud estimator: fit an XGBoost classifier on engineered features."""

from __future__ import annotations

import os
import pickle
from typing import Any

import pandas as pd
from fraud_features import add_features
from xgboost import XGBClassifier

ARTIFACT = "xgb_fraud.pkl"


def fit(
    X: pd.DataFrame,
    y: pd.Series,
    output_dir: str,
    class_order: list[str] | None = None,
    row_weights: pd.Series | None = None,
    **kwargs: Any,
) -> None:
    """Train on X/y and leave the fitted model in output_dir for DataRobot to keep."""
    features = add_features(X)
    # DataRobot hands over the labels as strings; class_order[1] is the positive class.
    positive = class_order[1] if class_order else sorted(y.unique())[1]
    model = XGBClassifier(n_estimators=300, max_depth=5, learning_rate=0.05, n_jobs=4)
    model.fit(features, (y == positive).astype(int), sample_weight=row_weights)
    with open(os.path.join(output_dir, ARTIFACT), "wb") as handle:
        pickle.dump({"model": model, "class_order": class_order}, handle)


def load_model(code_dir: str) -> dict[str, Any]:
    """Read what fit() wrote; DRUM passes the folder holding the artifact."""
    with open(os.path.join(code_dir, ARTIFACT), "rb") as handle:
        return pickle.load(handle)


def score(data: pd.DataFrame, model: dict[str, Any], **kwargs: Any) -> pd.DataFrame:
    """One probability column per class, named as DataRobot's class labels."""
    negative, positive = model["class_order"] or ["0", "1"]
    proba = model["model"].predict_proba(add_features(data))[:, 1]
    return pd.DataFrame({positive: proba, negative: 1.0 - proba})
