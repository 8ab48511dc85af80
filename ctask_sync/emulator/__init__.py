"""A local emulator of DataRobot's custom task REST API, for tests, benchmarks and offline use.

with start_emulator(EmulatorSettings(build_seconds=0.3)) as emu:
    ...  # talk to emu.endpoint ("http://127.0.0.1:PORT/api/v2"); admin at emu.admin_url
"""

from __future__ import annotations

from ctask_sync.emulator.seed import (
    METADATA_ENV_REQUIRED_KEYS,
    PYTHON_ENV_ID,
    PYTHON_ENV_VERSION_ID,
    PYTHON_KERAS_ENV_ID,
    PYTHON_KERAS_ENV_VERSION_ID,
    PYTHON_METADATA_ENV_ID,
    PYTHON_METADATA_ENV_VERSION_ID,
    PYTHON_PYTORCH_ENV_ID,
    PYTHON_PYTORCH_ENV_VERSION_ID,
    PYTHON_SKLEARN_ENV_ID,
    PYTHON_SKLEARN_ENV_VERSION_ID,
    PYTHON_XGBOOST_ENV_ID,
    PYTHON_XGBOOST_ENV_VERSION_ID,
    R_ENV_ID,
    R_ENV_VERSION_ID,
)
from ctask_sync.emulator.server import RunningEmulator, start_emulator
from ctask_sync.emulator.settings import EmulatorSettings

__all__ = [
    "METADATA_ENV_REQUIRED_KEYS",
    "PYTHON_ENV_ID",
    "PYTHON_ENV_VERSION_ID",
    "PYTHON_KERAS_ENV_ID",
    "PYTHON_KERAS_ENV_VERSION_ID",
    "PYTHON_METADATA_ENV_ID",
    "PYTHON_METADATA_ENV_VERSION_ID",
    "PYTHON_PYTORCH_ENV_ID",
    "PYTHON_PYTORCH_ENV_VERSION_ID",
    "PYTHON_SKLEARN_ENV_ID",
    "PYTHON_SKLEARN_ENV_VERSION_ID",
    "PYTHON_XGBOOST_ENV_ID",
    "PYTHON_XGBOOST_ENV_VERSION_ID",
    "R_ENV_ID",
    "R_ENV_VERSION_ID",
    "EmulatorSettings",
    "RunningEmulator",
    "start_emulator",
]
