#!/usr/bin/env python3
"""Start time of ``ebtrail-verify --help`` against a bare interpreter and ``import boto3``, side by side.

Runs alternate (baseline, help, boto3, baseline, ...) so drift in machine load hits all alike; prints the
median wall and CPU (user + system) seconds of each and the ratio help / bare interpreter. Aim: help under 1 s.

    .venv/bin/python bench/cli_start_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "ebtrail-verify --help": [sys.executable, "-m", "ebtrail.verifier", "--help"],
    "python -c 'import boto3'": [sys.executable, "-c", "import boto3"],
}


def measure(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            wall, cpu = measure(command)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base = statistics.median(walls["python -c pass"])
    print(f"{'command':<28} {'median wall s':>13} {'median cpu s':>12} {'wall / bare':>11}")
    for name in COMMANDS:
        wall = statistics.median(walls[name])
        print(f"{name:<28} {wall:13.3f} {statistics.median(cpus[name]):12.3f} {wall / base:11.1f}")
    print(f"os load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, {rounds} rounds")


if __name__ == "__main__":
    main()
