#!/usr/bin/env python3
"""The suite's cost as ``make test`` runs it: wall time, and CPU seconds per worker and per test folder.

Wall time depends on what else the machine runs; CPU seconds do not (bench/suite_cpu.py reads them from /proc
for each test, its subprocesses included). The wall time ``make test`` would take on an idle machine with 2
cores is about the busiest worker's CPU seconds plus the start: the figure to hold under 3 minutes.

    .venv/bin/python bench/suite_bench.py [pytest arguments, default: make test's]
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MAKE_TEST_ARGS = ["-n", "2", "--dist", "loadgroup"]


def main() -> None:
    args = sys.argv[1:] or MAKE_TEST_ARGS
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "EBTRAIL_SUITE_CPU_DIR": out}
        load = os.getloadavg()[0]
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "bench.suite_cpu", *args], cwd=REPO_ROOT, env=env, check=False
        )
        wall = time.perf_counter() - start
        workers = {path.stem: json.loads(path.read_text()) for path in Path(out).glob("*.json")}
    tests: dict[str, float] = {}
    for name, data in sorted(workers.items()):
        tests.update(data["tests"])
        print(f"worker {name}: {len(data['tests'])} tests, {data['total']:.0f} CPU-s")
    folders: dict[str, float] = collections.defaultdict(float)
    counts: collections.Counter[str] = collections.Counter()
    for nodeid, cost in tests.items():
        folder = "/".join(nodeid.split("::")[0].split("/")[:2])
        folders[folder] += cost
        counts[folder] += 1
    for folder, cost in sorted(folders.items(), key=lambda item: -item[1]):
        print(f"  {folder}: {counts[folder]} tests, {cost:.0f} CPU-s")
    busiest = max((data["total"] for name, data in workers.items() if name != "main"), default=0.0)
    print(f"wall {wall:.0f}s (load average {load:.1f} at the start); busiest worker {busiest:.0f} CPU-s")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
