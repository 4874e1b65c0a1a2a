#!/usr/bin/env python3
"""Scale of the accounts topology: synth time and bucket-policy size against the member-account count.

For 1, 10, 50 and 100 members (config/multi-account.toml with generated members) it measures
* the wall time of a real ``cdk synth`` through the pinned CLI (for configs over the 20 KB bucket-policy
  limit: the time until synth refuses, and that the refusal names the limit and the way out), and
* the in-process synth time (build, cdk-nag, write the cloud assembly) with the limit check off, so
  the growth can be seen past the limit too, and
* the log bucket policy and key policy sizes.
A warm-up synth runs first so that no row pays for cold caches.
Aim: time grows at most linearly with the member count, and an oversized policy is refused at synth.

    .venv/bin/python bench/scale_bench.py [--counts 1 10 50 100]
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aws_cdk import App

from bench.synth_bench import CDK, REPO_ROOT, synth_env
from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.constructs.policy_size import S3_BUCKET_POLICY_LIMIT
from stacks.app_builder import archive_policy_sizes, build_app, feature_flags


def accounts_config(members: int) -> dict[str, Any]:
    data = copy.deepcopy(tomllib.loads((REPO_ROOT / "config" / "multi-account.toml").read_text()))
    data.pop("verifier")  # measure the trails' own statements; verifier roles add one per member
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]
    data["trail"]["members"] = [
        {"account": f"{300000000000 + i:012d}", "home_region": regions[i % len(regions)]} for i in range(members)
    ]
    return data


def to_toml(data: dict[str, Any]) -> str:
    """Just enough TOML for these configs (tomllib reads, but does not write)."""

    def value(v: Any) -> str:
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(i) for i in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(i)}" for k, i in v.items()) + " }"
        return str(v)

    lines = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for table, body in data.items():
        if isinstance(body, dict):
            lines.append(f"[{table}]")
            lines += [f"{k} = {value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 50, 100])
    args = parser.parse_args()
    header = f"{'members':>7} {'stacks':>6} {'cdk synth s':>11} {'in-process s':>12} {'s/member':>9}"
    print(f"{header} {'bucket policy':>14} {'key policy':>11}  cdk synth result")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [str(CDK), "synth", "--quiet", "-o", f"{scratch}/warm-up"],
            cwd=REPO_ROOT,
            env=synth_env(),
            capture_output=True,
            check=True,
        )
        warm_up = App(context=feature_flags(), outdir=f"{scratch}/in-warm-up")
        build_app(plan(parse_config(accounts_config(1))), app=warm_up)
        warm_up.synth()  # starts jsii and loads the libraries, once
        for count in args.counts:
            data = accounts_config(count)
            config = parse_config(data)
            start = time.perf_counter()
            app = App(context={**feature_flags(), "aws:cdk:version-reporting": False}, outdir=f"{scratch}/in-{count}")
            built = build_app(plan(config), app=app, enforce_policy_limits=False)
            app.synth(skip_validation=True)  # past the size limits too: the constructs' validation would refuse
            in_process = time.perf_counter() - start
            sizes = archive_policy_sizes(built.log_archive)
            config_file = Path(scratch) / f"members-{count}.toml"
            config_file.write_text(to_toml(data))
            start = time.perf_counter()
            result = subprocess.run(
                [str(CDK), "synth", "--quiet", "-c", f"config={config_file}", "-o", f"{scratch}/out-{count}"],
                cwd=REPO_ROOT,
                env=synth_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - start
            if result.returncode == 0:
                outcome = "synthesized"
            elif "over the 20,480-byte limit" in result.stderr and "organization topology" in result.stderr:
                outcome = "refused at synth: bucket policy over 20 KB (message names the way out)"
            else:
                outcome = f"FAILED: {result.stderr.strip().splitlines()[-1:]}"
            over = " *" if sizes["bucket_policy"] > S3_BUCKET_POLICY_LIMIT else ""
            print(
                f"{count:>7} {count + 1:>6} {seconds:>11.2f} {in_process:>12.2f} {in_process / count:>9.3f} "
                f"{sizes['bucket_policy']:>12,}B{over:1} {sizes['key_policy']:>10,}B  {outcome}",
                flush=True,
            )


if __name__ == "__main__":
    main()
