#!/usr/bin/env python3
"""Offline preflight of a cloud assembly with 40 trails: requests evaluated and time, against a baseline.

Synthesizes the accounts topology with 40 member accounts (one trail, delivery topic and topic key each, one
central bucket and key policy; in process, once), then runs ``preflight --assembly`` over it five times, and
as a baseline, side by side, only reads and parses the same assembly (manifest and templates) five times.
Prints the CloudTrail requests evaluated, the median times, the ratio preflight/baseline and the requests per
second. Aim: the whole preflight of 40 trails in under 1 s on the 2-core development machine. Then the same for
the hop preflight (every service-to-resource wire of the 40 trail stacks), with its hops and requests.

    .venv/bin/python bench/preflight_bench.py [--trails 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aws_cdk import App

from bench.scale_bench import accounts_config
from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.verifier.preflight.assembly import trails_from_assembly
from ebtrail.verifier.preflight.hops import hops_from_assembly
from ebtrail.verifier.preflight.hops import overall as hops_overall
from ebtrail.verifier.preflight.run import PreflightExit, overall_exit, preflight_trail
from stacks.app_builder import build_app, feature_flags

ROUNDS = 5


def read_only(assembly: Path) -> int:
    """The baseline: read and parse every template of the assembly, nothing else."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    return sum(
        len(json.loads((assembly / a["properties"]["templateFile"]).read_text())["Resources"])
        for a in manifest["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    )


def preflight(assembly: Path) -> tuple[PreflightExit, int, int]:
    reports = [preflight_trail(trail) for trail in trails_from_assembly(assembly)]
    return overall_exit(reports), len(reports), sum(len(r.results) for r in reports)


def hop_preflight(assembly: Path) -> tuple[PreflightExit, int, int]:
    hops = hops_from_assembly(assembly)
    return hops_overall(hops), len(hops), sum(len(h.results) for h in hops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trails", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        assembly = Path(scratch) / "cdk.out"
        app = App(context={**feature_flags(), "aws:cdk:version-reporting": False}, outdir=str(assembly))
        build_app(plan(parse_config(accounts_config(args.trails))), app=app, enforce_policy_limits=False)
        app.synth(skip_validation=True)  # past the size limits too: the constructs' validation would refuse
        preflight(assembly)  # warm-up: imports, botocore's region list
        baseline_times, preflight_times, hop_times = [], [], []
        result = hop_result = (PreflightExit.CANNOT_EVALUATE, 0, 0)
        for _ in range(ROUNDS):
            start = time.perf_counter()
            read_only(assembly)
            baseline_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = preflight(assembly)
            preflight_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            hop_result = hop_preflight(assembly)
            hop_times.append(time.perf_counter() - start)
    code, trails, requests = result
    base, pre = statistics.median(baseline_times), statistics.median(preflight_times)
    print(f"trails {trails}, CloudTrail requests evaluated {requests} ({requests // max(trails, 1)} per trail)")
    print(f"verdict {code.name}")
    print(f"read-only baseline median {base:.3f} s, preflight median {pre:.3f} s, ratio {pre / base:.1f}")
    print(f"{requests / pre:,.0f} requests/s; aim: under 1 s for 40 trails: {'met' if pre < 1 else 'NOT met'}")
    hop_code, hops, hop_requests = hop_result
    hop = statistics.median(hop_times)
    print(f"hops {hops}, hop requests evaluated {hop_requests}, verdict {hop_code.name}")
    print(f"hop preflight median {hop:.3f} s, ratio to the read-only baseline {hop / base:.1f}")


if __name__ == "__main__":
    main()
