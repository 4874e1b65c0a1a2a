#!/usr/bin/env python3
"""Time ``cdk synth`` of the default config against a bare aws-cdk-lib ``Trail`` app, side by side.

Same pinned CLI, same Node and venv, runs alternated (baseline, ebtrail, baseline, ...) so drift in
machine load hits both alike. Prints each pair and the median ratio ebtrail / baseline. Aim: <= 1.5.

    .venv/bin/python bench/synth_bench.py [--rounds N] [--config FILE] [--against FILE]

With ``--against config/default.toml --config config/all-features.toml`` the baseline is another config
instead of the bare ``Trail``: what the optional features cost at synth time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def synth_env() -> dict[str, str]:
    path = f"{CDK.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return {**os.environ, "PATH": path, "CDK_DISABLE_VERSION_CHECK": "true", "CDK_DISABLE_CLI_TELEMETRY": "true"}


def time_synth(extra_args: list[str], outdir: Path) -> float:
    """Seconds for one ``cdk synth``; raises if it fails."""
    start = time.perf_counter()
    subprocess.run(
        [str(CDK), "synth", "--quiet", "-o", str(outdir), *extra_args],
        cwd=REPO_ROOT,
        env=synth_env(),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--config", default="config/default.toml")
    parser.add_argument("--against", help="a config to compare with, instead of the bare Trail app")
    args = parser.parse_args()
    reference_name, reference_args = (
        (f"baseline ({args.against})", ["-c", f"config={args.against}"])
        if args.against
        else ("baseline (bare Trail)", ["--app", f"{sys.executable} bench/baseline_app.py"])
    )
    candidates = {reference_name: reference_args, f"ebtrail ({args.config})": ["-c", f"config={args.config}"]}
    timings: dict[str, list[float]] = {name: [] for name in candidates}
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(args.rounds):
            for name, extra in candidates.items():
                timings[name].append(time_synth(extra, Path(scratch) / f"{round_number}-{len(timings[name])}"))
            pair = " / ".join(f"{timings[name][-1]:.2f}s" for name in candidates)
            print(f"round {round_number + 1}: {pair}", flush=True)
    baseline, ours = (timings[name] for name in candidates)
    ratios = [o / b for o, b in zip(ours, baseline, strict=True)]
    print(f"median baseline {statistics.median(baseline):.2f}s, median ebtrail {statistics.median(ours):.2f}s")
    print(f"median ratio ebtrail/baseline: {statistics.median(ratios):.2f} (aim <= 1.5)")


if __name__ == "__main__":
    main()
