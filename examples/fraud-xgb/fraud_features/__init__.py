"""Feature engineering shared by fit() and score(), so training and scoring never diverge."""

from __future__ import annotations

import numpy as np
import pandas as pd


def add_features(X: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns plus log amount and a cyclical hour of day (when the columns exist)."""
    out = X.select_dtypes(include="number").copy()
    if "amount" in X:
        out["log_amount"] = np.log1p(X["amount"].clip(lower=0))
    if "timestamp" in X:
        hours = pd.to_datetime(X["timestamp"], errors="coerce").dt.hour.fillna(0)
        out["hour_sin"] = np.sin(2 * np.pi * hours / 24)
        out["hour_cos"] = np.cos(2 * np.pi * hours / 24)
    return out.fillna(0)
