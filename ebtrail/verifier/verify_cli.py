"""``ebtrail-verify verify``: the command line of :mod:`ebtrail.verifier.verify`."""

from __future__ import annotations

import json
import time

import boto3
import click
from botocore.exceptions import BotoCoreError
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.integrity import IntegrityReport, verify_integrity
from ebtrail.verifier.integrity_cli import print_report
from ebtrail.verifier.report import ChannelReport, VerificationResult, channel_table, summary
from ebtrail.verifier.verify import DEFAULT_TIMEOUT, Progress, Settings, run


class _LiveView:
    """Rendered by rich several times a second: the elapsed time moves even while the verifier sleeps."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress

    def __rich__(self) -> RenderableType:
        p = self.progress
        if p is None:
            return Text("starting ...")
        lines: list[RenderableType] = []
        if p.started is not None:
            elapsed = time.monotonic() - p.started
            lines.append(
                Text.assemble(
                    ("elapsed ", "bold"),
                    f"{elapsed:5.0f}s of {p.timeout:g}s  ",
                    ("call ", "bold"),
                    f"{p.application_name} (request {p.request_id})",
                )
            )
        lines.append(Text(p.phase, style="italic"))
        channels: dict[str, ChannelReport] = p.channels
        if channels:
            lines.append(channel_table(channels))
        return Group(*lines)


EXIT_CODES_HELP = """
\b
Exit codes:
  0    the record arrived: a log file in the trail's bucket holds it
  1    it did not arrive before --timeout
  2    misconfiguration: trail missing, not logging, delivery or notification
       errors, event selectors without management write events, a missing
       permission (named in the output)
  130  interrupted (Ctrl-C); the application, queue and subscription are
       cleaned up first
With --integrity, after the record arrived: the exit code of the integrity
check instead (0 intact, 1 modified or missing, 2 unverifiable).
"""


@click.command(
    "verify",
    help=(
        "Make an Elastic Beanstalk API call (CreateApplication of a temporary, free application) and prove that "
        "the trail delivers its CloudTrail record: waits on the S3 log folder, the trail's SNS notifications "
        "(through a temporary SQS queue) and CloudTrail event history at once. Credentials, region and "
        "endpoints come from the ordinary boto3 chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL ...).\n"
        + EXIT_CODES_HELP
    ),
)
@click.option("--trail", required=True, help="Trail name or ARN (the ARN when the trail's home region differs).")
@click.option("--region", default=None, help="Region to make the Elastic Beanstalk call in (default: boto3 chain).")
@click.option("--profile", default=None, help="AWS profile (default: boto3 chain).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the record after the call (delivery takes about 5 minutes on average).",
)
@click.option(
    "--integrity",
    is_flag=True,
    help=(
        "After the record arrived, prove its log file intact with the trail's signed digest files and one "
        "step of the digest chain (see `ebtrail-verify integrity --help`)."
    ),
)
@click.option(
    "--integrity-wait",
    type=click.FloatRange(min=0),
    default=5400,
    show_default=True,
    help="Seconds to wait for the hourly digest that covers the new log file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the live display.")
def verify(
    *,
    trail: str,
    region: str | None,
    profile: str | None,
    timeout: float,
    integrity: bool,
    integrity_wait: float,
    as_json: bool,
) -> None:
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except BotoCoreError as exc:
        raise click.exceptions.Exit(_fail(f"cannot start a boto3 session: {exc}", as_json)) from exc
    settings = Settings(timeout=timeout)
    if as_json:
        result = run(session, trail, region, settings=settings)
        report = check_integrity(session, result, integrity_wait) if integrity else None
        output = result.to_json()
        if integrity:
            output["integrity"] = report.to_dict() if report else None
        click.echo(json.dumps(output, indent=2, default=str))
    else:
        err = Console(stderr=True)
        view = _LiveView()

        def on_progress(p: Progress) -> None:
            view.progress = p

        with Live(view, console=err, refresh_per_second=4, transient=True):
            result = run(session, trail, region, settings=settings, on_progress=on_progress)
        Console().print(summary(result))
        report = None
        if integrity and result.confirmed:
            with err.status(f"waiting up to {integrity_wait:g}s for the digest that covers the log file ..."):
                report = check_integrity(session, result, integrity_wait)
            if report:
                print_report(report, Console())
    exit_code = int(report.exit_code) if report else int(result.exit_code)
    raise click.exceptions.Exit(exit_code)


def check_integrity(session: boto3.Session, result: VerificationResult, wait: float) -> IntegrityReport | None:
    """The integrity check of the log file that confirmed the arrival (None when nothing arrived)."""
    confirmation = result.confirmation
    if result.trail is None or confirmation is None or confirmation.log_file is None:
        return None
    log_file = confirmation.log_file
    return verify_integrity(
        session,
        result.trail.arn,
        [f"s3://{log_file.bucket}/{log_file.key}"],
        chain=1,
        wait=wait,
        region=result.region,
    )


def _fail(message: str, as_json: bool) -> int:
    if as_json:
        click.echo(json.dumps({"confirmed": False, "outcome": "misconfigured", "problems": [message]}))
    else:
        click.echo(f"error: {message}", err=True)
    return int(ExitCode.MISCONFIGURED)
