"""Command line of the verifier (click). Each sub-command lives in its own module and is added here."""

from __future__ import annotations

import click

from ebtrail.verifier.integrity_cli import integrity
from ebtrail.verifier.preflight_cli import preflight
from ebtrail.verifier.verify_cli import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Prove that CloudTrail records Elastic Beanstalk API calls and that its log files are intact, and check
    before a deploy that CloudTrail's own policy checks will pass."""


cli.add_command(verify)
cli.add_command(integrity)
cli.add_command(preflight)


def main() -> None:
    cli()
