#!/usr/bin/env python3
"""CDK entry point: ``cdk synth -c config=config/<file>.toml`` (default config/default.toml).

Reads and validates the deployment config, then builds every stack (see stacks.app_builder). A config
with problems is reported field by field, and the process exits with status 2 before anything is built.
"""

from __future__ import annotations

import sys

from aws_cdk import App

from deployment.config import ConfigError, load_or_exit
from deployment.plan import plan
from stacks.app_builder import build_app

DEFAULT_CONFIG = "config/default.toml"


def main() -> None:
    """Exit status 2 on a bad config (``python app.py``); through the CDK CLI, ``cdk synth`` reports a failed app
    with its own status 1 after the app's message, and ``make synth`` with make's status 2."""
    app = App()
    config = load_or_exit(str(app.node.try_get_context("config") or DEFAULT_CONFIG))
    try:
        build_app(plan(config), app=app)  # also refuses policies over AWS's size limits
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    app.synth()


if __name__ == "__main__":
    main()
