"""The benchmark's modules live in benchmarks/ (a script folder, not a package): import them
the way `python benchmarks/sync_bench.py` does, with that folder on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
