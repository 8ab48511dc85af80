"""A large upload streams from disk: bounded memory, every byte counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID

SIZE = 300 * 1024 * 1024
REPO_ROOT = Path(__file__).resolve().parents[2]

# Runs in its own process so its memory is the client's alone (the emulator lives in pytest's).
UPLOADER = """
import json, resource, sys, tracemalloc
from pathlib import Path
from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.upload import UploadFile

endpoint, token, task_id, env_id, big, small = sys.argv[1:]
tracemalloc.start()
with DataRobotClient(endpoint, token, timeout=120) as client:
    version = client.create_version(
        task_id, from_previous=False, is_major_update=True, base_environment_id=env_id,
        files=[UploadFile("model/weights.bin", Path(big)), UploadFile("custom.py", Path(small))],
    )
    stats = client.stats
print(json.dumps({
    "peak_python_bytes": tracemalloc.get_traced_memory()[1],
    "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "bytes_uploaded": stats.bytes_uploaded,
    "items": sorted(item.file_path for item in version.items),
}))
"""


def test_large_sparse_file_streams_with_bounded_memory(
    client: DataRobotClient, admin: Any, tmp_path: Path
) -> None:
    big = tmp_path / "weights.bin"
    with big.open("wb") as handle:
        handle.truncate(SIZE)  # sparse: no disk or page cache cost until read
    small = tmp_path / "custom.py"
    small.write_text("def fit(): pass\n")
    task = client.create_custom_task(
        name="big", target_type="Binary", language="python", description=""
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            UPLOADER,
            client.endpoint,
            os.environ["DATAROBOT_API_TOKEN"],
            task.id,
            PYTHON_SKLEARN_ENV_ID,
            str(big),
            str(small),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["items"] == ["custom.py", "model/weights.bin"]
    assert report["bytes_uploaded"] == SIZE + small.stat().st_size
    # Reading the file whole would need 300 MiB; streaming keeps Python's peak to a few chunks.
    assert report["peak_python_bytes"] < 32 * 1024 * 1024
    assert report["max_rss_kib"] < 200 * 1024
    (post,) = admin.log("POST", "/versions/")
    assert post["status"] == 201
    assert post["request_bytes"] > SIZE
