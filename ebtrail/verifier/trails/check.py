"""The verdict of ``ebtrail-verify trails`` for each account and region: would the config add a paid copy of
management events, is one already paid for, and roughly what it costs a month.

CloudTrail bills each management event once per trail that records it in the account and region, the first
copy free ("Managing CloudTrail trail costs", CloudTrail User Guide: "the single-Region trail will incur charges
because the multi-Region trail is already logging events in each Region"; AWS CloudTrail pricing). An organization
trail is such a copy in every member account. ebtrail's own trails are multi-region, so a planned trail counts in
every region of its accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import boto3

from ebtrail.core.pricing import PAID_MANAGEMENT_EVENTS, monthly_events
from ebtrail.core.regions import COMMERCIAL, cloudtrail_regions
from ebtrail.verifier.aws import AWS_ERRORS, Arn, Clients, describe_error, error_code, is_transient
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.trails.coverage import Coverage
from ebtrail.verifier.trails.inventory import TrailCache, TrailSeen
from ebtrail.verifier.trails.plan import Plan, PlannedTrail
from ebtrail.verifier.trails.rate import DEFAULT_MAX_PAGES, Sample, paid_copies, sample

#: Errors of a region the account has not enabled (an opt-in region): skipped under ``--all-regions``.
NOT_ENABLED_CODES = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"})


class Status(StrEnum):
    FREE = "no paid copy"
    ADDS = "adds a paid copy"
    EXISTS = "paid copy exists"
    UNKNOWN = "cannot tell"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass
class Estimate:
    """Paid management events a month, from event history, and their cost at the dated price."""

    added_events: float
    existing_events: float
    how: str

    def to_json(self) -> dict[str, Any]:
        return {
            "added_paid_events_per_month": round(self.added_events),
            "added_usd_per_month": round(PAID_MANAGEMENT_EVENTS.cost(self.added_events), 2),
            "existing_paid_events_per_month": round(self.existing_events),
            "existing_usd_per_month": round(PAID_MANAGEMENT_EVENTS.cost(self.existing_events), 2),
            "how": self.how,
        }


@dataclass
class RegionVerdict:
    account: str
    region: str
    status: Status
    #: Trails recording management events here now.
    recording: list[TrailSeen] = field(default_factory=list)
    #: Trails whose selectors could not be read.
    unknown: list[TrailSeen] = field(default_factory=list)
    #: The config's trail that would record here: "new", "deployed" (already recording) or None.
    planned: str | None = None
    copies_now: int = 0
    copies_after: int = 0
    estimate: Estimate | None = None
    problems: list[str] = field(default_factory=list)
    transient: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "status": self.status.name,
            "says": self.status.value,
            "management_trails": [t.arn for t in self.recording],
            "unreadable_trails": [t.arn for t in self.unknown],
            "config_trail": self.planned,
            "copies_now": self.copies_now,
            "copies_after_deploy": self.copies_after,
            "estimate": self.estimate.to_json() if self.estimate else None,
            "problems": self.problems,
        }


@dataclass
class AccountReport:
    profile: str | None
    account: str | None
    organization_id: str | None = None
    regions: list[RegionVerdict] = field(default_factory=list)
    trails: list[TrailSeen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    transient: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "account": self.account,
            "organization_id": self.organization_id,
            "trails": [t.to_json() for t in self.trails],
            "regions": [r.to_json() for r in self.regions],
            "problems": self.problems,
        }


def decide(
    account: str,
    region: str,
    trails: Sequence[TrailSeen],
    plan: Plan | None,
    planned: PlannedTrail | None,
) -> RegionVerdict:
    """The verdict in one region from what it records now and what the config would add (no AWS call)."""
    recording = [t for t in trails if t.records_management_events]
    unknown = [t for t in trails if t.coverage is None]
    ours = None
    if planned is not None:
        ours = next((t for t in trails if t.arn.endswith(f":{planned.arn_suffix}") and ":trail/" in t.arn), None)
    others = [t for t in recording if t is not ours]
    before = [t.coverage for t in recording if t.coverage is not None]
    after = [t.coverage for t in others if t.coverage is not None]
    if planned is not None and plan is not None:
        after.append(plan.coverage)
    already = ours is not None and ours in recording
    adds = (
        planned is not None
        and plan is not None
        and not already
        and any(plan.coverage.overlap(c).records_any for c in after[:-1])
    )
    exists = _any_overlap(before)
    if adds:
        status = Status.ADDS
    elif exists:
        status = Status.EXISTS
    elif unknown:
        status = Status.UNKNOWN
    else:
        status = Status.FREE
    verdict = RegionVerdict(
        account=account,
        region=region,
        status=status,
        recording=recording,
        unknown=unknown,
        planned=None if planned is None else ("deployed" if already else "new"),
        copies_now=len(recording),
        copies_after=len(after) if planned is not None else len(recording),
    )
    verdict.problems += [f"{t.arn}: {t.problem}" for t in unknown if t.problem]
    return verdict


def _any_overlap(coverages: Sequence[Coverage]) -> bool:
    return any(a.overlap(b).records_any for i, a in enumerate(coverages) for b in coverages[i + 1 :])


def estimate(verdict: RegionVerdict, plan: Plan | None, taken: Sample) -> Estimate:
    before = [t.coverage for t in verdict.recording if t.coverage is not None]
    after = list(before)
    if verdict.planned == "new" and plan is not None:
        after.append(plan.coverage)
    existing = taken.per_hour(paid_copies(before))
    added = taken.per_hour(paid_copies(after)) - existing
    return Estimate(monthly_events(added), monthly_events(existing), taken.describe())


def check_account(
    session: boto3.Session,
    profile: str | None,
    regions: Sequence[str] | None,
    plan: Plan | None,
    now: datetime,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    fallback_region: str,
) -> AccountReport:
    """Every region of one account (one set of credentials). ``regions`` None: every region of the partition
    (``--all-regions``), where a region the account has not enabled is skipped."""
    report = AccountReport(profile=profile, account=None)
    clients = Clients(session, fallback_region)
    try:
        identity = clients.client("sts").get_caller_identity()
    except AWS_ERRORS as exc:
        report.problems.append(describe_error("sts", "GetCallerIdentity", exc))
        report.transient = is_transient(exc)
        return report
    report.account = account = str(identity["Account"])
    caller = Arn.parse(str(identity.get("Arn", "")))
    partition = caller.partition if caller else COMMERCIAL
    unreadable = False
    if plan is not None and plan.needs_organization:
        report.organization_id, unreadable = _organization_id(clients, report)
    planned = None
    if plan is not None and plan.creates_management_trail:
        planned = plan.trail_for(account, report.organization_id)
        if planned is None and unreadable:  # assume a member: it can only over-warn, never hide a copy
            planned = next(t for t in plan.trails if t.organization_id)
    every = regions is None
    names = list(cloudtrail_regions(partition)) if every else regions
    cache = TrailCache(clients, account)
    for region in names or []:
        seen = cache.region(region)
        if seen.error is not None:
            if every and seen.error and _not_enabled(seen.error):
                report.regions.append(RegionVerdict(account, region, Status.SKIPPED, problems=["region not enabled"]))
                continue
            verdict = RegionVerdict(account, region, Status.ERROR, problems=[seen.error], transient=seen.transient)
            report.regions.append(verdict)
            continue
        verdict = decide(account, region, seen.trails, plan, planned)
        if verdict.status in (Status.ADDS, Status.EXISTS):
            taken = sample(clients.client("cloudtrail", region, purpose="event-history"), now, max_pages)
            if isinstance(taken, Sample):
                verdict.estimate = estimate(verdict, plan, taken)
            else:
                verdict.problems.append(f"no estimate: {taken.problem}")
        report.regions.append(verdict)
    seen_trails: dict[str, TrailSeen] = {}
    for verdict in report.regions:
        for trail in [*verdict.recording, *verdict.unknown]:
            seen_trails.setdefault(trail.arn, trail)
    report.trails = sorted(seen_trails.values(), key=lambda t: t.arn)
    report.transient = report.transient or cache.transient
    return report


def _not_enabled(problem: str) -> bool:
    return any(code in problem for code in NOT_ENABLED_CODES)


def _organization_id(clients: Clients, report: AccountReport) -> tuple[str | None, bool]:
    """The caller's organization (None: in none), and whether it could not be read (said in ``problems``)."""
    try:
        return clients.organization_id(), False
    except AWS_ERRORS as exc:
        if error_code(exc) == "AWSOrganizationsNotInUseException":
            return None, False
        report.transient = report.transient or is_transient(exc)
        report.problems.append(
            describe_error("organizations", "DescribeOrganization", exc)
            + ": assumed a member of the config's organization"
        )
        return None, True


def overall_exit(reports: Sequence[AccountReport]) -> ExitCode:
    """1 when any region adds or already pays a second copy; else 3 when AWS could not be reached, 2 when
    something could not be told; 0 otherwise."""
    verdicts = [v for r in reports for v in r.regions]
    if any(v.status in (Status.ADDS, Status.EXISTS) for v in verdicts):
        return ExitCode.PAID_COPY
    if any(r.transient for r in reports) or any(v.transient for v in verdicts):
        return ExitCode.UNREACHABLE
    if any(r.problems and r.account is None for r in reports) or any(
        v.status in (Status.UNKNOWN, Status.ERROR) for v in verdicts
    ):
        return ExitCode.CANNOT_TELL
    return ExitCode.NO_PAID_COPY
