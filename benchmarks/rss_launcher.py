"""Run one command as a child and write its wall time and peak RSS as JSON.

Usage: python rss_launcher.py RESULT.json COMMAND [ARGS...]

A fresh launcher per measurement, because RUSAGE_CHILDREN reports the largest resident set of
any child this process has waited for: with exactly one child, that is the command's own peak
(or of a grandchild it waited for, e.g. git, if that is larger).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> int:
    """Run argv[2:], write {returncode, wall_seconds, peak_rss_bytes} to argv[1]."""
    result_path, command = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    returncode = subprocess.call(command)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    with open(result_path, "w") as fh:
        json.dump(
            {"returncode": returncode, "wall_seconds": wall, "peak_rss_bytes": peak_kib * 1024}, fh
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
