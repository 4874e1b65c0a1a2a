"""``ebtrail-verify integrity``: prove CloudTrail log files unchanged with the trail's digest files."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import NoReturn

import boto3
import click
from botocore.exceptions import BotoCoreError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ebtrail.verifier.aws import MAX_POOL_CONNECTIONS, Clients, MissingRegionError, trail_argument_problem
from ebtrail.verifier.cli.options import MAX_INTEGRITY_WAIT, Seconds
from ebtrail.verifier.cli.output import StdoutConsole, echo
from ebtrail.verifier.integrity import ExitCode, FileKind, IntegrityReport, Status, verify_integrity
from ebtrail.verifier.integrity.keys import parse_time
from ebtrail.verifier.integrity.model import ChainSummary
from ebtrail.verifier.integrity.verify import DEFAULT_WORKERS
from ebtrail.verifier.signals import SignalGuard, exit_code_for, signal_name, signum_of

STYLES = {
    Status.VALID: "green",
    Status.MODIFIED: "bold red",
    Status.MISSING: "bold red",
    Status.UNVERIFIABLE: "yellow",
}


def _parse_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from exc


@click.command(
    "integrity",
    epilog=(
        "\b\nExit codes:\n"
        "  0  every file checked is valid\n"
        "  1  a log or digest file is modified or missing (this includes a broken digest chain)\n"
        "  2  nothing modified or missing, but something is unverifiable (no digest yet, unknown key,\n"
        "     access denied), or a usage or configuration error (trail not found, bad option)\n"
        "  3  could not reach AWS (connection errors, throttling after retries, 5xx): no verdict; retry\n"
        "  130, 143, 129  interrupted by SIGINT, SIGTERM, SIGHUP (the check creates nothing)\n"
        "\b\nRegion: --region, the trail ARN's, AWS_REGION, AWS_DEFAULT_REGION, the profile's, in that order."
    ),
)
@click.option("--trail", required=True, help="Trail name or ARN (read with cloudtrail:GetTrail).")
@click.option(
    "--log-key",
    "log_keys",
    multiple=True,
    metavar="KEY",
    help="Log file key in the trail's bucket, or s3://bucket/key. Repeatable.",
)
@click.option(
    "--since",
    callback=_parse_since,
    metavar="ISO_TIME",
    help="Instead of --log-key: every digest delivered since then and every log file it lists.",
)
@click.option("--chain", default=0, show_default=True, type=click.IntRange(min=0), help="Digests to follow back.")
@click.option(
    "--wait",
    default=0.0,
    show_default=True,
    type=Seconds(minimum=0, maximum=MAX_INTEGRITY_WAIT),
    help="Wait up to this long for the hourly digest that covers a log file newer than the latest digest.",
)
@click.option("--region", help="Region of the log files (default: the profile's region, or the trail's home region).")
@click.option("--profile", help="AWS profile.")
@click.option("--account-id", help="Organization trail, with --since: the member account to check.")
@click.option("--org-id", help="Organization trail, with --since: the o-... ID (default: DescribeOrganization).")
@click.option(
    "--all-regions",
    is_flag=True,
    help="With --since: every region folder of the trail, each region its own chain.",
)
@click.option(
    "--all-accounts",
    is_flag=True,
    help="With --since, organization trails: every account folder, each account x region its own chain.",
)
@click.option(
    "--workers",
    default=DEFAULT_WORKERS,
    show_default=True,
    type=click.IntRange(min=1, max=MAX_POOL_CONNECTIONS),
    help="S3 reads at a time (1: one after another, as aws cloudtrail validate-logs).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def integrity(
    *,
    trail: str,
    log_keys: tuple[str, ...],
    since: datetime | None,
    chain: int,
    wait: float,
    region: str | None,
    profile: str | None,
    account_id: str | None,
    org_id: str | None,
    all_regions: bool,
    all_accounts: bool,
    workers: int,
    as_json: bool,
) -> None:
    """Prove CloudTrail log files unchanged, as `aws cloudtrail validate-logs` does.

    Finds the digest file(s) covering the log file(s), checks each digest's signature (SHA256withRSA, public key
    from ListPublicKeys), each log file's SHA-256 against its digest, and the digest chain back --chain steps.
    Every file is reported valid, modified, missing or unverifiable, with the reason.
    """
    if bool(log_keys) == (since is not None):
        raise click.UsageError("give either --log-key (one or more) or --since")
    if (all_regions or all_accounts) and since is None:
        raise click.UsageError("--all-regions and --all-accounts need --since")
    if all_accounts and account_id:
        raise click.UsageError("give either --account-id or --all-accounts")
    try:
        session = boto3.Session(profile_name=profile)
    except BotoCoreError as exc:
        raise click.UsageError(str(exc)) from exc
    problem = trail_argument_problem(trail)
    clients: Clients | None = None
    try:
        clients = Clients.create(session, region, trail)
    except MissingRegionError as exc:
        problem = problem or str(exc)
    if problem or clients is None:
        report = IntegrityReport(trail=trail, errors=[problem or "no region"])
    else:
        # A first signal ends the check with what it found (report.signal); it creates nothing to clean up.
        bar = FilesProgress.on_terminal(enabled=not as_json)
        try:
            with SignalGuard(bar.abort) as guard, bar:
                guard.live = bar.live
                report = verify_integrity(
                    session,
                    trail,
                    log_keys,
                    since=since,
                    chain=chain,
                    wait=wait,
                    region=clients.region,
                    account_id=account_id,
                    organization_id=org_id,
                    clients=clients,
                    workers=workers,
                    all_regions=all_regions,
                    all_accounts=all_accounts,
                    progress=bar,
                )
        except KeyboardInterrupt as exc:  # a signal just before or after the check itself
            report = IntegrityReport(trail=trail)
            report.interrupt(signum_of(exc))
        if report.signal is not None and not as_json:
            click.echo(report.errors[-1], err=True)
            sys.exit(report.exit_code)
    if as_json:
        echo(report.to_json())
    else:
        print_report(report, StdoutConsole(soft_wrap=False))
    sys.exit(int(report.exit_code))


def _abort(signum: int) -> NoReturn:
    """A second signal: the check creates nothing, so there is nothing to report but the signal."""
    sys.stderr.write(f"aborted by a second signal ({signal_name(signum)})\n")
    sys.stderr.flush()
    os._exit(exit_code_for(signum))


class _RateColumn(ProgressColumn):
    """Files checked per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} files/s", style="progress.data.speed")


class FilesProgress:
    """The progress bar of a run on a terminal (stderr): files checked of those found, rate and time left. Off with
    ``--json`` and when stderr is not a terminal, so that nothing but the report is written then."""

    def __init__(self, console: Console | None) -> None:
        self.live: Progress | None = None
        self._task: TaskID | None = None
        if console is not None:
            self.live = Progress(
                TextColumn("checking files"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._task = self.live.add_task("files", total=0)

    @classmethod
    def on_terminal(cls, *, enabled: bool) -> FilesProgress:
        console = Console(stderr=True)
        return cls(console if enabled and console.is_terminal else None)

    def __enter__(self) -> FilesProgress:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def add(self, files: int) -> None:
        if self.live is not None and self._task is not None:
            total = self.live.tasks[0].total or 0
            self.live.update(self._task, total=total + files)

    def advance(self, files: int = 1) -> None:
        if self.live is not None and self._task is not None:
            self.live.advance(self._task, files)

    def abort(self, signum: int) -> NoReturn:
        """The second signal: the bar goes first, so that the terminal is left as it was."""
        if self.live is not None:
            self.live.stop()
        _abort(signum)


def print_report(report: IntegrityReport, console: Console) -> None:
    """A table of the files (log files first, then digests newest first), the notes, errors and a verdict."""
    buckets = sorted({item.bucket for item in report.files})
    table = Table(title=f"Integrity of {report.trail}", caption=", ".join(f"s3://{b}" for b in buckets))
    table.add_column("Status", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("File", overflow="fold")
    table.add_column("Reason", overflow="fold")
    shown = Table(title=f"Integrity of {report.trail}: files not valid")
    for column in ("Status", "Kind", "File", "Reason"):
        shown.add_column(column, no_wrap=column in ("Status", "Kind"), overflow="fold")
    logs = sorted((f for f in report.files if f.kind is FileKind.LOG), key=lambda f: f.key)
    digests = sorted((f for f in report.files if f.kind is FileKind.DIGEST), key=lambda f: f.key, reverse=True)
    for item in [] if report.chains else logs + digests:
        kind = f"{item.kind.value} (backfill)" if item.backfill else item.kind.value
        name = item.key.rsplit("/", 1)[-1] if len(buckets) == 1 else item.uri
        table.add_row(Text(item.status.value, style=STYLES[item.status]), kind, name, item.reason)
    if report.chains:  # many chains: the table lists what is not valid; --json lists every file
        valid = report.count(Status.VALID)
        table.caption = f"{table.caption}; {valid} valid files not listed (--json lists every file)"
        for row in [f for f in logs + digests if f.status is not Status.VALID]:
            kind = f"{row.kind.value} (backfill)" if row.backfill else row.kind.value
            shown.add_row(Text(row.status.value, style=STYLES[row.status]), kind, row.uri, row.reason)
        if shown.row_count:
            shown.caption = table.caption
            console.print(shown)
    elif report.files:
        console.print(table)
    for chain in report.chains:
        console.print(chain_line(chain), style=CHAIN_STYLES.get(chain.exit_code, "yellow"), markup=False)
    for note in report.notes:
        console.print(f"note: {note}", style="dim", markup=False)
    for error in report.errors:
        console.print(f"error: {error}", style="bold red", markup=False)
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in Status if report.count(s))
    verdicts: dict[int, tuple[str, str]] = {
        ExitCode.VALID: ("all files valid", "bold green"),
        ExitCode.TAMPERED: ("INTEGRITY FAILURE: modified or missing files", "bold red"),
        ExitCode.UNVERIFIABLE: ("could not verify everything", "bold yellow"),
        ExitCode.UNREACHABLE: ("could not reach AWS; no verdict (retry later)", "bold yellow"),
    }
    verdict = verdicts.get(report.exit_code, ("interrupted: not finished", "bold yellow"))
    console.print(f"{verdict[0]} ({counts or 'no files'})", style=verdict[1], markup=False)


CHAIN_STYLES = {ExitCode.VALID: "green", ExitCode.TAMPERED: "bold red"}
CHAIN_VERDICTS = {
    ExitCode.VALID: "valid",
    ExitCode.TAMPERED: "INTEGRITY FAILURE",
    ExitCode.UNVERIFIABLE: "unverifiable",
}


def chain_line(chain: ChainSummary) -> str:
    """One line per chain: account, region, verdict, counts and the period covered."""

    def counts(by_status: dict[str, int], name: str) -> str:
        total = sum(by_status.values())
        bad = ", ".join(f"{n} {s}" for s, n in by_status.items() if n and s != Status.VALID.value)
        return f"{by_status.get(Status.VALID.value, 0)}/{total} {name} valid" + (f" ({bad})" if bad else "")

    if not chain.found:
        return f"{chain.account} {chain.region}: unverifiable: no digest files in the range"
    period = ""
    if chain.start and chain.end:
        period = f", {chain.start:%Y-%m-%dT%H:%M:%SZ} to {chain.end:%Y-%m-%dT%H:%M:%SZ}"
    gaps = f", {chain.gaps} gap(s) in the chain" if chain.gaps else ""
    verdict = CHAIN_VERDICTS.get(chain.exit_code, "unverifiable")
    return (
        f"{chain.account} {chain.region}: {verdict}: {counts(chain.digests, 'digests')}, "
        f"{counts(chain.logs, 'log files')}{period}{gaps}"
    )
