"""``ebtrail-verify trails``: the trails recording management events in each account and region the credentials
reach, and whether deploying a config would add a paid copy of them, with the monthly cost estimated from event
history. Read-only: DescribeTrails, GetEventSelectors, GetTrailStatus, LookupEvents, GetCallerIdentity and
(organization configs) DescribeOrganization."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import click
from botocore.exceptions import BotoCoreError
from rich.console import Console
from rich.table import Table

from ebtrail.core.pricing import PAID_MANAGEMENT_EVENTS
from ebtrail.core.regions import FALLBACK_REGION
from ebtrail.verifier.aws import REGION_NAME, MissingRegionError, resolve_region
from ebtrail.verifier.cli.output import StdoutConsole, echo
from ebtrail.verifier.trails.check import AccountReport, Status, check_account, overall_exit
from ebtrail.verifier.trails.plan import Plan, PlanError, read_plan
from ebtrail.verifier.trails.rate import DEFAULT_MAX_PAGES

EPILOG = """
\b
Exit codes:
  0  no paid copy: deploying the config adds no second copy of management
     events, and no account and region checked records them twice now
  1  a paid copy: deploying the config would add one, or an account and
     region already records management events in two trails
  2  cannot tell (a trail's selectors or a region unreadable, a missing
     permission), or bad input (each problem names its option or field)
  3  could not reach AWS (connection errors, throttling after retries, 5xx)
\b
Accounts: one per --profile (repeatable), or the ordinary boto3 chain.
Regions: --region (repeatable), --all-regions (every region of the
partition; regions the account has not enabled are skipped), or the
chain's region (AWS_REGION, AWS_DEFAULT_REGION, the profile's). ebtrail's
trails are multi-region: check every region before trusting 0.
"""

#: Columns of the tables when stdout is not a terminal.
WIDE = 200

STYLES = {
    Status.FREE: "green",
    Status.ADDS: "bold red",
    Status.EXISTS: "bold red",
    Status.UNKNOWN: "yellow",
    Status.ERROR: "yellow",
    Status.SKIPPED: "dim",
}


@click.command(
    "trails",
    epilog=EPILOG,
    help=(
        "List the trails that record management events (organization trails seen from a member account "
        "included) in each account and region the credentials reach, and say whether deploying --config would "
        "add a copy CloudTrail bills (every copy after the first in an account and region), with the monthly "
        "cost estimated from the last hour of event history. Read-only."
    ),
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="An ebtrail config (TOML): would deploying it add a paid copy? Without it: is one paid for now?",
)
@click.option("--region", "regions", multiple=True, metavar="REGION", help="Region to check. Repeatable.")
@click.option("--all-regions", is_flag=True, help="Every region of the credentials' partition.")
@click.option(
    "--profile", "profiles", multiple=True, metavar="PROFILE", help="AWS profile: one account each. Repeatable."
)
@click.option(
    "--max-pages",
    default=DEFAULT_MAX_PAGES,
    show_default=True,
    type=click.IntRange(min=0, max=100),
    help="Event-history pages (50 events) read per region for the estimate; 0: no estimate.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
def trails(
    *,
    config_path: Path | None,
    regions: tuple[str, ...],
    all_regions: bool,
    profiles: tuple[str, ...],
    max_pages: int,
    as_json: bool,
) -> None:
    problems: list[str] = []
    if regions and all_regions:
        problems.append("--region and --all-regions: give one of them")
    problems += [
        f"--region: allowed: a region name such as us-east-1; got {region!r}"
        for region in regions
        if not REGION_NAME.fullmatch(region)
    ]
    plan: Plan | None = None
    if config_path is not None:
        try:
            plan = read_plan(config_path)
        except PlanError as exc:
            problems += exc.problems
    sessions: list[tuple[str | None, boto3.Session, str]] = []
    for profile in profiles or (None,):
        try:
            session = boto3.Session(profile_name=profile)
        except BotoCoreError as exc:
            problems.append(f"--profile: {exc}")
            continue
        try:
            fallback = resolve_region(session, regions[0] if regions else None)
        except MissingRegionError as exc:
            if not all_regions:
                problems.append(f"{exc} (or --all-regions)")
                continue
            fallback = FALLBACK_REGION
        sessions.append((profile, session, fallback))
    if problems:
        _refuse(problems, as_json)
    now = datetime.now(UTC)
    reports = [
        check_account(
            session,
            profile,
            None if all_regions else (list(regions) or [fallback]),
            plan,
            now,
            max_pages=max_pages,
            fallback_region=fallback,
        )
        for profile, session, fallback in sessions
    ]
    code = overall_exit(reports)
    if as_json:
        echo(json.dumps(to_json(reports, plan, int(code)), indent=2))
    else:
        console = StdoutConsole(soft_wrap=False)
        if not console.is_terminal:  # a pipe or a CI log: full trail names and ARNs, not 80 columns of ellipses
            console.width = WIDE
        print_reports(reports, plan, console)
    sys.exit(int(code))


def _refuse(problems: list[str], as_json: bool) -> None:
    if as_json:
        echo(json.dumps({"verdict": "BAD_INPUT", "exit_code": 2, "problems": problems}, indent=2))
    else:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
    sys.exit(2)


def verdict_word(code: int) -> str:
    return {0: "NO_PAID_COPY", 1: "PAID_COPY", 2: "CANNOT_TELL", 3: "UNREACHABLE"}.get(code, str(code))


def to_json(reports: list[AccountReport], plan: Plan | None, code: int) -> dict[str, object]:
    price = PAID_MANAGEMENT_EVENTS
    added = sum(v.estimate.added_events for r in reports for v in r.regions if v.estimate)
    existing = sum(v.estimate.existing_events for r in reports for v in r.regions if v.estimate)
    return {
        "verdict": verdict_word(code),
        "exit_code": code,
        "config": None
        if plan is None
        else {
            "path": plan.path,
            "topology": plan.topology,
            "creates_management_trail": plan.creates_management_trail,
            "management_events": plan.coverage.read_write,
        },
        "price": {"usd_per_100k_events": price.usd_per_100k, "as_of": price.as_of, "source": price.source},
        "estimate": {
            "added_paid_events_per_month": round(added),
            "added_usd_per_month": round(price.cost(added), 2),
            "existing_paid_events_per_month": round(existing),
            "existing_usd_per_month": round(price.cost(existing), 2),
        },
        "accounts": [r.to_json() for r in reports],
    }


def print_reports(reports: list[AccountReport], plan: Plan | None, console: Console) -> None:
    """The readable report: the trails found, the verdict per account and region, the problems, the closing
    lines (the same facts as the JSON object, in that order)."""
    listed = _trails_table(reports)
    if listed.row_count:
        console.print(listed)
    else:
        console.print("No trail records management events in the accounts and regions checked.")
    console.print(_verdicts_table(reports, plan))
    for line in _problem_lines(reports):
        console.print(f"[yellow]{line}[/]", highlight=False)
    for line in closing_lines(reports, plan):
        console.print(line, highlight=False, markup=False)


def _trails_table(reports: list[AccountReport]) -> Table:
    """Every trail recording management events, one row each (a trail of another account by its ARN)."""
    listed = Table(title="Trails recording management events", title_justify="left")
    for column in ("account", "trail", "home", "organization", "logging", "management events", "notes"):
        listed.add_column(column)
    for report in reports:
        for trail in report.trails:
            events = "unreadable" if trail.coverage is None else trail.coverage.read_write
            if trail.coverage is not None and trail.coverage.excluded_sources:
                events += f" (not {', '.join(sorted(trail.coverage.excluded_sources))})"
            listed.add_row(
                report.account or "?",
                trail.name if trail.account == report.account else trail.arn,
                trail.home_region + (" (multi-region)" if trail.is_multi_region else ""),
                "yes" if trail.is_organization else "no",
                {True: "yes", False: "no", None: "?"}[trail.is_logging],
                events,
                "; ".join(trail.notes + ([trail.problem] if trail.problem else [])),
            )
    return listed


def _verdicts_table(reports: list[AccountReport], plan: Plan | None) -> Table:
    """The copies of management events now and after the deploy (without a config: now only), per account and
    region, with the paid events and their price."""
    verdicts = Table(title="Copies of management events per account and region", title_justify="left")
    for column in ("account", "region", "now", "after deploy", "verdict", "paid events/month", "USD/month"):
        verdicts.add_column(column)
    for report in reports:
        for verdict in report.regions:
            estimate = verdict.estimate
            paid = estimate.added_events + estimate.existing_events if estimate else None
            verdicts.add_row(
                verdict.account,
                verdict.region,
                str(verdict.copies_now) if verdict.status not in (Status.ERROR, Status.SKIPPED) else "",
                str(verdict.copies_after) if plan is not None and verdict.status is not Status.ERROR else "",
                f"[{STYLES[verdict.status]}]{verdict.status.value}[/]",
                f"{paid:,.0f}" if paid is not None else "",
                f"{PAID_MANAGEMENT_EVENTS.cost(paid):,.2f}" if paid is not None else "",
            )
    return verdicts


def _problem_lines(reports: list[AccountReport]) -> list[str]:
    """Each account's problems (by profile), then each region's (a skipped region's reason is its verdict)."""
    lines: list[str] = []
    for report in reports:
        lines.extend(f"{report.profile or 'default'}: {problem}" for problem in report.problems)
        for verdict in report.regions:
            if verdict.status is not Status.SKIPPED:
                lines.extend(f"{verdict.account} {verdict.region}: {problem}" for problem in verdict.problems)
    return lines


def closing_lines(reports: list[AccountReport], plan: Plan | None) -> list[str]:
    code = overall_exit(reports)
    verdicts = [v for r in reports for v in r.regions]
    adds = [v for v in verdicts if v.status is Status.ADDS]
    exists = [v for v in verdicts if v.status is Status.EXISTS]
    lines: list[str] = []
    if plan is not None and not plan.creates_management_trail:
        lines.append(f"{plan.path}: topology {plan.topology} creates no trail recording management events.")
    if adds:
        lines.append(
            f"Deploying {plan.path if plan else 'the config'} adds a paid copy of management events in "
            f'{len(adds)} account x region(s): adopt the existing trail instead (topology = "adopted"; '
            "docs/trails.md)."
        )
    if exists:
        lines.append(f"{len(exists)} account x region(s) already record management events in two or more trails.")
    estimated = [v.estimate for v in adds + exists if v.estimate]
    if estimated:
        added = sum(e.added_events for e in estimated)
        existing = sum(e.existing_events for e in estimated)
        price = PAID_MANAGEMENT_EVENTS
        lines.append(
            f"Estimate: {added:,.0f} paid events/month added (${price.cost(added):,.2f}/month), {existing:,.0f} "
            f"paid now (${price.cost(existing):,.2f}/month), at {price.describe()}; 730 h/month."
        )
        lines.append(f"How: {estimated[0].how} in each region, scaled to an hour.")
    elif adds or exists:
        lines.append(f"No estimate (see above); price: {PAID_MANAGEMENT_EVENTS.describe()}.")
    lines.append(f"trails: {verdict_word(int(code))}")
    return lines
