#!/usr/bin/env python3
"""Baseline for the synth benchmark: the smallest app a team might write instead of ebtrail.

One stack with aws-cdk-lib's bare ``Trail`` construct (which creates its own bucket) and nothing else:
no KMS key, no topic, no cdk-nag. Run by ``cdk synth --app "python3 bench/baseline_app.py"``.
"""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cloudtrail as cloudtrail


def main() -> None:
    app = App()
    stack = Stack(app, "BareTrail", env=Environment(account="111111111111", region="us-east-1"))
    cloudtrail.Trail(stack, "Trail", trail_name="bare-trail")
    app.synth()


if __name__ == "__main__":
    main()
