"""What every fresh emulator starts with: DataRobot's public drop-in environments under their real
ids and names, and the user directory.

The environments, their ids, names, descriptions and version ids are those of DRUM's
`public_dropin_environments/*/env_info.json` (datarobot/datarobot-user-models, 2026-08); see
docs/datarobot-api.md §8."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ctask_sync.emulator.model import EnvironmentRecord, EnvironmentVersionRecord, State

PYTHON_SKLEARN_ENV_ID = "5e8c889607389fe0f466c72d"
PYTHON_SKLEARN_ENV_VERSION_ID = "6a75cd051842e907f92b5e90"
PYTHON_PYTORCH_ENV_ID = "5e8c888007389fe0f466c72b"
PYTHON_PYTORCH_ENV_VERSION_ID = "6a75cced1842e907cddfff48"
PYTHON_KERAS_ENV_ID = "5e8c886607389fe0f466c729"
PYTHON_KERAS_ENV_VERSION_ID = "6a75ccd91842e90792ae2d26"
PYTHON_XGBOOST_ENV_ID = "5e8c88a407389fe0f466c72f"
PYTHON_XGBOOST_ENV_VERSION_ID = "6a75cd0b1842e90810efc9a4"
PYTHON_ENV_ID = "67a554baeade3a4ce2ab6700"
PYTHON_ENV_VERSION_ID = "6a75cccf1842e9076daa2c7d"
R_ENV_ID = "5ea850ca1d41c8173c2feef6"
R_ENV_VERSION_ID = "6a75cd141842e908296fa909"
# Not DataRobot's: an environment that declares requiredMetadataKeys, so versions built on it
# must supply values (the client's fixtures show such environments exist).
PYTHON_METADATA_ENV_ID = "5f1a3f3c07389fe0f466c740"
PYTHON_METADATA_ENV_VERSION_ID = "5f1a3f3c07389fe0f466c741"
METADATA_ENV_REQUIRED_KEYS = ({"fieldName": "SERVICE_URL", "displayName": "Service URL"},)

# The token's owner: every object the API creates belongs to this id.
USER_ID = "5e8c8800aa07389fe0f46600"
SYSTEM_USER_ID = "5e8c8800aa07389fe0f46601"

_SEED_CREATED = 1586268000.0  # 2020-04-07, when DataRobot's drop-ins appeared

_ARTIFACT_ONLY = (
    "This template environment can be used to create artifact-only {lib} custom models. "
    "This environment contains {lib} and only requires your model artifact as a {ext} file "
    "and optionally a custom.py file."
)

# (id, version id, name, language, description, version description)
_DROP_INS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        PYTHON_SKLEARN_ENV_ID,
        PYTHON_SKLEARN_ENV_VERSION_ID,
        "[DataRobot] Python 3.12 Scikit-Learn Drop-In",
        "python",
        _ARTIFACT_ONLY.format(lib="scikit-learn", ext=".pkl"),
        "Python Version: 3.12",
    ),
    (
        PYTHON_PYTORCH_ENV_ID,
        PYTHON_PYTORCH_ENV_VERSION_ID,
        "[DataRobot] Python 3.12 PyTorch Drop-In",
        "python",
        _ARTIFACT_ONLY.format(lib="PyTorch", ext=".pth"),
        "Python Version: 3.12",
    ),
    (
        PYTHON_KERAS_ENV_ID,
        PYTHON_KERAS_ENV_VERSION_ID,
        "[DataRobot] Python 3.12 Keras Drop-In",
        "python",
        _ARTIFACT_ONLY.format(lib="keras", ext=".h5"),
        "Python Version: 3.12",
    ),
    (
        PYTHON_XGBOOST_ENV_ID,
        PYTHON_XGBOOST_ENV_VERSION_ID,
        "[DataRobot] Python 3.12 XGBoost Drop-In",
        "python",
        _ARTIFACT_ONLY.format(lib="xgboost", ext=".pkl"),
        "Python Version: 3.12",
    ),
    (
        PYTHON_ENV_ID,
        PYTHON_ENV_VERSION_ID,
        "[DataRobot] Python 3.12 Drop-In",
        "python",
        "This template environment can be used to create Python based custom models. User is "
        "responsible to provide requirements.txt with the dependencies.",
        "Python Version: 3.12",
    ),
    (
        R_ENV_ID,
        R_ENV_VERSION_ID,
        "[DataRobot] R 4.5.2 Drop-In",
        "r",
        "This template environment can be used to create artifact-only R custom models that "
        "use the caret library.",
        "R Version: 4.5.2",
    ),
)


def user_id_for(username: str) -> str:
    """A stable 24-hex id for a directory user, so ids survive restarts and resets."""
    return hashlib.sha256(username.encode("utf-8")).hexdigest()[:24]


def _env(
    env_id: str,
    version_id: str,
    name: str,
    language: str,
    description: str,
    version_description: str,
    required: tuple[dict[str, str], ...] = (),
) -> EnvironmentRecord:
    version = EnvironmentVersionRecord(
        id=version_id,
        environment_id=env_id,
        label="",  # env_info.json's label is empty for every drop-in
        description=version_description,
        created=_SEED_CREATED,
        build_status="success",
        image_id=version_id[::-1],
        docker_context_size=4096,
        docker_image_size=2_147_483_648,
    )
    return EnvironmentRecord(
        id=env_id,
        name=name,
        description=description,
        programming_language=language,
        is_public=True,
        created=_SEED_CREATED,
        created_by=SYSTEM_USER_ID,
        use_cases=["customModel"],
        required_metadata_keys=[dict(k) for k in required],
        versions=[version],
    )


def seed_users(owner: str, others: Iterable[str]) -> dict[str, str]:
    """The user directory, id -> username: the token's owner first."""
    users = {USER_ID: owner}
    for name in others:
        users.setdefault(user_id_for(name), name)
    return users


def seed_state(owner: str = "emulator-user@example.com", others: Iterable[str] = ()) -> State:
    """A fresh state: the seeded environments and users, no tasks and no blueprints."""
    envs = [_env(*drop_in) for drop_in in _DROP_INS]
    envs.append(
        _env(
            PYTHON_METADATA_ENV_ID,
            PYTHON_METADATA_ENV_VERSION_ID,
            "[Emulator] Python 3 Drop-In With Required Metadata",
            "python",
            "Python 3 environment whose tasks must supply SERVICE_URL.",
            "Built by the emulator",
            METADATA_ENV_REQUIRED_KEYS,
        )
    )
    return State(environments={e.id: e for e in envs}, users=seed_users(owner, others))
