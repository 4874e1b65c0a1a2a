"""``ebtrail-verify --help`` starts without importing boto3, botocore or rich (the sub-commands load lazily), and
still lists exactly what click would list with every sub-command imported. Its start time is measured in
bench/cli_start_bench.py, not here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from ebtrail.verifier.cli import LAZY_COMMANDS, cli

REPO_ROOT = Path(__file__).resolve().parents[2]

_HELP_THEN_LIST_MODULES = """
import sys
from ebtrail.verifier.cli import cli
cli(["--help"], prog_name="ebtrail-verify", standalone_mode=False)
print(sorted({m.split(".")[0] for m in sys.modules} & {"boto3", "botocore", "rich", "cryptography"}))
"""


def test_help_imports_no_aws_sdk_and_no_rich() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _HELP_THEN_LIST_MODULES],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Commands:" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_lazy_help_lists_what_click_lists_with_every_command_imported() -> None:
    eager = click.Group("cli", help=cli.help, context_settings=cli.context_settings, params=cli.params)
    for name in LAZY_COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None and command.name == name
        eager.add_command(command)
    runner = CliRunner()
    lazy_help = runner.invoke(cli, ["--help"], prog_name="ebtrail-verify").output
    eager_help = runner.invoke(eager, ["--help"], prog_name="ebtrail-verify").output
    assert lazy_help == eager_help
    assert "verify" in lazy_help and "integrity" in lazy_help
    assert "changes" in lazy_help and "import-map" in lazy_help


def test_version_prints_the_package_version_without_importing_the_aws_sdk() -> None:
    from ebtrail import __version__

    result = subprocess.run(
        [sys.executable, "-c", _HELP_THEN_LIST_MODULES.replace('"--help"', '"--version"')],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.splitlines() == [f"ebtrail-verify {__version__}", "[]"]


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["verfy"], prog_name="ebtrail-verify")
    assert result.exit_code == 2
    assert "No such command 'verfy'" in result.output


def test_one_exit_code_set_for_every_command() -> None:
    """The same number means the same thing after verify, integrity and preflight."""
    import ebtrail.verifier.integrity.model as integrity_model
    from ebtrail.verifier import integrity
    from ebtrail.verifier.exit_codes import ExitCode
    from ebtrail.verifier.preflight.run import PreflightExit
    from ebtrail.verifier.verify import report

    # No module defines a second one: every name in use is this class.
    for module in (integrity, integrity_model, report):
        assert vars(module)["ExitCode"] is ExitCode
    assert PreflightExit is ExitCode
    words = {
        ExitCode.PROVEN: ("ARRIVED", "VALID", "PASS"),
        ExitCode.DISPROVEN: ("TIMEOUT", "TAMPERED", "FAIL"),
        ExitCode.UNDECIDED: ("MISCONFIGURED", "UNVERIFIABLE", "CANNOT_EVALUATE"),
    }
    for member, aliases in words.items():
        assert all(ExitCode[alias] is member for alias in aliases)
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 130]  # 3: AWS unreachable, no verdict (any command)
