"""The drop-in environments every fresh emulator starts with, under fixed ids."""

from __future__ import annotations

from ctask_sync.emulator.model import EnvironmentRecord, EnvironmentVersionRecord, State

# DataRobot's public drop-in environments have stable ids; the scikit-learn one is the id
# DataRobot uses. The others are fixed here so tests and docs can name them.
PYTHON_SKLEARN_ENV_ID = "5e8c889607389fe0f466c72d"
PYTHON_SKLEARN_ENV_VERSION_ID = "5e8c889607389fe0f466c72e"
PYTHON_PYTORCH_ENV_ID = "5e8c888007389fe0f466c72b"
PYTHON_PYTORCH_ENV_VERSION_ID = "5e8c888007389fe0f466c72c"
R_ENV_ID = "5e8c88a307389fe0f466c730"
R_ENV_VERSION_ID = "5e8c88a307389fe0f466c731"
# An environment that declares requiredMetadataKeys: versions built on it must supply values.
PYTHON_METADATA_ENV_ID = "5f1a3f3c07389fe0f466c740"
PYTHON_METADATA_ENV_VERSION_ID = "5f1a3f3c07389fe0f466c741"
METADATA_ENV_REQUIRED_KEYS = ({"fieldName": "SERVICE_URL", "displayName": "Service URL"},)

# The user every object is created by (the emulator has one user: the token's owner).
USER_ID = "5e8c8800aa07389fe0f46600"
SYSTEM_USER_ID = "5e8c8800aa07389fe0f46601"

_SEED_CREATED = 1586268000.0  # 2020-04-07, when DataRobot's drop-ins appeared


def _env(
    env_id: str,
    version_id: str,
    name: str,
    description: str,
    language: str,
    required: tuple[dict[str, str], ...] = (),
) -> EnvironmentRecord:
    version = EnvironmentVersionRecord(
        id=version_id,
        environment_id=env_id,
        label="v1",
        description="Built by DataRobot",
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
        use_cases=["customModel", "notebook"],
        required_metadata_keys=[dict(k) for k in required],
        versions=[version],
    )


def seed_state() -> State:
    """A fresh state: the seeded environments and no tasks."""
    envs = [
        _env(
            PYTHON_SKLEARN_ENV_ID,
            PYTHON_SKLEARN_ENV_VERSION_ID,
            "[DataRobot] Python 3 Scikit-Learn Drop-In",
            "Python 3 environment with scikit-learn, for drop-in custom tasks.",
            "python",
        ),
        _env(
            PYTHON_PYTORCH_ENV_ID,
            PYTHON_PYTORCH_ENV_VERSION_ID,
            "[DataRobot] Python 3 PyTorch Drop-In",
            "Python 3 environment with PyTorch, for drop-in custom tasks.",
            "python",
        ),
        _env(
            R_ENV_ID,
            R_ENV_VERSION_ID,
            "[DataRobot] R Drop-In",
            "R environment with caret, for drop-in custom tasks.",
            "r",
        ),
        _env(
            PYTHON_METADATA_ENV_ID,
            PYTHON_METADATA_ENV_VERSION_ID,
            "[Emulator] Python 3 Drop-In With Required Metadata",
            "Python 3 environment whose tasks must supply SERVICE_URL.",
            "python",
            METADATA_ENV_REQUIRED_KEYS,
        ),
    ]
    return State(environments={e.id: e for e in envs})
