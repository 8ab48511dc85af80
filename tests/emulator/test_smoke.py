from __future__ import annotations

import os

import requests

from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, RunningEmulator
from ctask_sync.emulator.testing import SENTINEL_TOKEN


def test_fixture_serves_seeded_environment_with_sentinel_token(emulator: RunningEmulator) -> None:
    assert os.environ["DATAROBOT_API_TOKEN"] == SENTINEL_TOKEN
    response = requests.get(
        f"{emulator.endpoint}/executionEnvironments/{PYTHON_SKLEARN_ENV_ID}/",
        headers={"Authorization": f"Token {SENTINEL_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["name"] == "[DataRobot] Python 3.12 Scikit-Learn Drop-In"
