"""``ebtrail-verify verify``: the command line of :mod:`ebtrail.verifier.verify.run`."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import NoReturn

import boto3
import click
from botocore.exceptions import BotoCoreError
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from ebtrail.verifier.cli.integrity import print_report
from ebtrail.verifier.cli.options import MAX_INTEGRITY_WAIT, MAX_TIMEOUT, Seconds
from ebtrail.verifier.cli.output import StdoutConsole, echo
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.integrity import IntegrityReport, verify_integrity
from ebtrail.verifier.signals import Interrupted, SignalGuard, exit_code_for, signal_name, signum_of
from ebtrail.verifier.verify.report import ChannelReport, Outcome, VerificationResult, channel_table, summary
from ebtrail.verifier.verify.run import DEFAULT_TIMEOUT, Progress, Settings, run


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
       permission (named in the output), or a bad option
  3    could not reach AWS (connection errors, throttling after retries,
       5xx): no verdict; retry later
  130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM; 129 by SIGHUP. The
       application, queue and subscription are cleaned up first; a second
       signal aborts at once and prints what is left to delete by hand
With --integrity, after the record arrived: the exit code of the integrity
check instead (0 intact, 1 modified or missing, 2 unverifiable).
"""


@click.command(
    "verify",
    help=(
        "Make an Elastic Beanstalk API call (CreateApplication of a temporary, free application) and prove that "
        "the trail delivers its CloudTrail record: waits on the S3 log folder, the trail's SNS notifications "
        "(through a temporary SQS queue) and CloudTrail event history at once. Credentials and endpoints come "
        "from the ordinary boto3 chain (AWS_PROFILE, AWS_ENDPOINT_URL ...); the region from --region, the trail "
        "ARN, AWS_REGION, AWS_DEFAULT_REGION or the profile, in that order.\n" + EXIT_CODES_HELP
    ),
)
@click.option("--trail", required=True, help="Trail name or ARN (the ARN when the trail's home region differs).")
@click.option(
    "--region",
    default=None,
    help="Region to make the Elastic Beanstalk call in (default: the trail ARN's, AWS_REGION, AWS_DEFAULT_REGION, "
    "the profile's).",
)
@click.option("--profile", default=None, help="AWS profile (default: boto3 chain).")
@click.option(
    "--timeout",
    type=Seconds(minimum=1, maximum=MAX_TIMEOUT),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help=f"Seconds to wait for the record after the call, 1 to {MAX_TIMEOUT:g} (delivery takes about 5 minutes "
    "on average).",
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
    type=Seconds(minimum=0, maximum=MAX_INTEGRITY_WAIT),
    default=5400,
    show_default=True,
    help=f"Seconds to wait for the hourly digest that covers the new log file, 0 to {MAX_INTEGRITY_WAIT:g}.",
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
    err = Console(stderr=True)

    def abort(signum: int) -> NoReturn:
        """The second signal: no more waiting for AWS. Say what may be left, exit at once."""
        if guard.live is not None:
            guard.live.stop()
        first = guard.received or signum
        left = guard.leftovers()
        if as_json:
            echo(
                json.dumps(
                    {
                        "confirmed": False,
                        "outcome": "aborted",
                        "exit_code": exit_code_for(first),
                        "signal": signal_name(first),
                        "left_behind": left,
                    }
                )
            )
        lines = [f"aborted by a second signal ({signal_name(signum)}) during cleanup"]
        lines += [f"left to delete by hand: {item}" for item in left] or ["nothing is left behind"]
        click.echo("\n".join(lines), err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code_for(first))

    guard = SignalGuard(abort)
    with guard:
        try:
            result, report = _verify(
                guard,
                trail=trail,
                region=region,
                profile=profile,
                timeout=timeout,
                integrity=integrity,
                integrity_wait=integrity_wait,
                as_json=as_json,
                err=err,
            )
        except Interrupted as exc:  # before anything was created (run() handles its own interruptions)
            raise click.exceptions.Exit(exit_code_for(exc.signum)) from None
    if guard.received is not None:
        raise click.exceptions.Exit(exit_code_for(guard.received))
    exit_code = int(report.exit_code) if report else int(result.exit_code)
    raise click.exceptions.Exit(exit_code)


def _verify(
    guard: SignalGuard,
    *,
    trail: str,
    region: str | None,
    profile: str | None,
    timeout: float,
    integrity: bool,
    integrity_wait: float,
    as_json: bool,
    err: Console,
) -> tuple[VerificationResult, IntegrityReport | None]:
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except BotoCoreError as exc:
        raise click.exceptions.Exit(_fail(f"cannot start a boto3 session: {exc}", as_json)) from exc
    settings = Settings(timeout=timeout)
    report: IntegrityReport | None = None
    if as_json:
        result = run(session, trail, region, settings=settings, guard=guard)
        if integrity:
            report = _integrity_unless_interrupted(session, result, integrity_wait, guard)
        output = result.to_json()
        if integrity:
            output["integrity"] = report.to_dict() if report else None
        echo(json.dumps(output, indent=2, default=str))
        return result, report
    view = _LiveView()

    def on_progress(p: Progress) -> None:
        view.progress = p

    live = Live(view, console=err, refresh_per_second=4, transient=True)
    guard.live = live
    with live:
        result = run(session, trail, region, settings=settings, on_progress=on_progress, guard=guard)
    guard.live = None
    StdoutConsole().print(summary(result))
    if integrity and result.outcome == Outcome.ARRIVED:
        with err.status(f"waiting up to {integrity_wait:g}s for the digest that covers the log file ..."):
            report = _integrity_unless_interrupted(session, result, integrity_wait, guard)
        if report:
            print_report(report, StdoutConsole())
    return result, report


def _integrity_unless_interrupted(
    session: boto3.Session, result: VerificationResult, wait: float, guard: SignalGuard
) -> IntegrityReport | None:
    """The integrity check after a confirmed arrival; a signal while it waits for the digest ends it (it creates
    nothing, so there is nothing to clean up) and marks the result interrupted."""
    if result.outcome != Outcome.ARRIVED or guard.received is not None:
        return None
    try:
        with guard.interruptible():
            report = check_integrity(session, result, wait)
    except KeyboardInterrupt as exc:
        result.interrupt(signum_of(exc))
        return None
    if report is not None and report.signal is not None:
        result.interrupt(report.signal)
        return None
    return report


def check_integrity(session: boto3.Session, result: VerificationResult, wait: float) -> IntegrityReport | None:
    """The integrity check of the log file that confirmed the arrival (None when nothing arrived)."""
    confirmation = result.confirmation
    if result.trail is None or confirmation is None or confirmation.log_file is None:
        return None
    log_file = confirmation.log_file
    return verify_integrity(
        session,
        result.trail,  # the trail verify read: no second GetTrail
        [f"s3://{log_file.bucket}/{log_file.key}"],
        chain=1,
        wait=wait,
        region=result.region,
    )


def _fail(message: str, as_json: bool) -> int:
    if as_json:
        echo(
            json.dumps(
                {
                    "confirmed": False,
                    "outcome": "misconfigured",
                    "exit_code": int(ExitCode.MISCONFIGURED),
                    "problems": [message],
                }
            )
        )
    else:
        click.echo(f"error: {message}", err=True)
    return int(ExitCode.MISCONFIGURED)
