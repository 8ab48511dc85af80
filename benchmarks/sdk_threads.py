"""SECOND BASELINE, not ctask-sync: the seed guide's SDK calls on 8 threads (issue 17).

What a good engineer scripts once the serial loop (sdk_baseline.py) is too slow: the same
official `datarobot` client calls, `CustomTask.create`, `CustomTaskVersion.create_clean` /
`create_from_previous` (and `start_dependency_build_and_wait` where there is a
requirements.txt), one task folder per worker of a `ThreadPoolExecutor(8)`. The SDK's global
client is one `requests.Session`, which is safe to share between threads for these calls.

Usage: DATAROBOT_API_TOKEN=... python benchmarks/sdk_threads.py REPO --endpoint URL
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from datarobot.client import Client
from datarobot.models.custom_task import CustomTask
from sdk_baseline import sync_folder

THREADS = 8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args()
    Client(endpoint=args.endpoint, token=os.environ["DATAROBOT_API_TOKEN"])
    existing = {task.name: task for task in CustomTask.list()}
    manifests = sorted(args.repo.rglob("ctask.yaml"))

    def one(manifest_path: Path) -> None:
        manifest = yaml.safe_load(manifest_path.read_text())
        sync_folder(manifest_path.parent, manifest, existing)

    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        list(pool.map(one, manifests))  # list(): re-raise the first worker's error
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
