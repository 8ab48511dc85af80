"""DRUM hooks of the churn pipeline: a frozen encoder (encoder.pkl) feeding a ridge regression."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
MODEL = "ridge.pkl"
ALPHA = 1.0


def load_encoder(folder: Path = HERE) -> dict[str, Any]:
    """The category encoder shipped next to this file (uploaded as a binary artifact)."""
    with open(folder / "encoder.pkl", "rb") as handle:
        return pickle.load(handle)


def encode(X: pd.DataFrame, encoder: dict[str, Any]) -> np.ndarray:
    """Numeric columns, the ordinal plan and a one-hot region, plus an intercept column."""
    numeric = X.select_dtypes(include="number").fillna(0).to_numpy(dtype=float)
    plan = X.get("plan", pd.Series(["free"] * len(X))).map(encoder["plan"]).fillna(0)
    regions = X.get("region", pd.Series([None] * len(X)))
    onehot = np.array([encoder["region"].get(r, encoder["unknown_region"]) for r in regions])
    return np.column_stack([np.ones(len(X)), numeric, plan.to_numpy(float), onehot])


def fit(
    X: pd.DataFrame,
    y: pd.Series,
    output_dir: str,
    row_weights: pd.Series | None = None,
    **kwargs: Any,
) -> None:
    """Closed-form ridge regression; the artifact holds the weights and the encoder."""
    encoder = load_encoder()
    A = encode(X, encoder)
    w = np.ones(len(X)) if row_weights is None else row_weights.to_numpy(float)
    Aw = A * w[:, None]
    coef = np.linalg.solve(A.T @ Aw + ALPHA * np.eye(A.shape[1]), Aw.T @ y.to_numpy(float))
    with open(os.path.join(output_dir, MODEL), "wb") as handle:
        pickle.dump({"coef": coef, "encoder": encoder}, handle)


def load_model(code_dir: str) -> dict[str, Any]:
    """Read what fit() wrote."""
    with open(os.path.join(code_dir, MODEL), "rb") as handle:
        return pickle.load(handle)


def score(data: pd.DataFrame, model: dict[str, Any], **kwargs: Any) -> pd.DataFrame:
    """DataRobot expects one 'Predictions' column for regression."""
    return pd.DataFrame({"Predictions": encode(data, model["encoder"]) @ model["coef"]})
