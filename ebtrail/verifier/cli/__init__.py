"""Command line of the verifier (click), installed as ``ebtrail-verify``. Each sub-command lives in its own module.

The sub-commands are imported only when one runs: they pull in boto3, botocore and rich, which take most of a
second to import, so ``ebtrail-verify --help`` lists them from :data:`LAZY_COMMANDS` without importing them
(tests/verifier/test_cli_start.py checks the listed help against the commands' own).
"""

from __future__ import annotations

import importlib

import click

from ebtrail import __version__

#: Sub-command name -> (module, attribute, the short help ``--help`` lists).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "changes": (
        "ebtrail.verifier.cli.changes",
        "changes",
        "Compare two synthesized cloud assemblies and list, per stack,...",
    ),
    "import-map": (
        "ebtrail.verifier.cli.changes",
        "import_map_command",
        "After `cdk destroy`: write, for each stack of the assembly...",
    ),
    "integrity": (
        "ebtrail.verifier.cli.integrity",
        "integrity",
        "Prove CloudTrail log files unchanged, as `aws cloudtrail...",
    ),
    "preflight": (
        "ebtrail.verifier.cli.preflight",
        "preflight",
        "Evaluate the bucket policy, log key policy, delivery topic...",
    ),
    "trails": (
        "ebtrail.verifier.cli.trails",
        "trails",
        "List the trails that record management events (organization...",
    ),
    "verify": (
        "ebtrail.verifier.cli.verify",
        "verify",
        "Make an Elastic Beanstalk API call (CreateApplication of a...",
    ),
}


class LazyGroup(click.Group):
    """A group whose sub-commands in :data:`LAZY_COMMANDS` are imported on first use (click's documented
    "lazily loading subcommands" pattern); commands added with ``add_command`` work as usual."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute, _ = LAZY_COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, LAZY_COMMANDS[name][2]) for name in LAZY_COMMANDS if name not in self.commands]
        for name, command in self.commands.items():
            rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ebtrail-verify", message="%(prog)s %(version)s")
def cli() -> None:
    """Prove that CloudTrail records Elastic Beanstalk API calls and that its log files are intact, and check
    before a deploy that CloudTrail's own policy checks will pass."""


def main() -> None:
    cli()
