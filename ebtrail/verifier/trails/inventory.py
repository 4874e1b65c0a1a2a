"""The trails that record management events in one account and region, as CloudTrail answers the caller.

``DescribeTrails`` with ``includeShadowTrails`` lists, in a region, the trails of that region and the shadows of
every trail that records there from elsewhere: a multi-region trail's copy, and an organization trail seen from a
member account ("DescribeTrails", CloudTrail API Reference: "If you do not include shadow trails, organization
trails in a member account and Region replication trails will not be returned"). Each trail's selectors and status
are read once per run in its home region, by ARN (a multi-region trail shows up in every region).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ebtrail.verifier.aws import AWS_ERRORS, Arn, Clients, describe_error, is_access_denied, is_transient
from ebtrail.verifier.trails.coverage import ALL, Coverage, coverage_from_selectors


@dataclass
class TrailSeen:
    """One trail as the caller sees it."""

    arn: str
    name: str
    home_region: str
    account: str
    is_organization: bool
    is_multi_region: bool
    #: None: its selectors could not be read (``problem`` says why), and nothing is assumed.
    coverage: Coverage | None
    #: None: its status could not be read; it is then counted as logging.
    is_logging: bool | None
    #: What was assumed or could not be read.
    notes: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def records_management_events(self) -> bool:
        return self.coverage is not None and self.coverage.records_any and self.is_logging is not False

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "name": self.name,
            "account": self.account,
            "home_region": self.home_region,
            "is_organization_trail": self.is_organization,
            "is_multi_region_trail": self.is_multi_region,
            "is_logging": self.is_logging,
            "management_events": None if self.coverage is None else self.coverage.read_write,
            "excluded_sources": sorted(self.coverage.excluded_sources) if self.coverage else [],
            "records_management_events": self.records_management_events,
            "notes": self.notes,
            "problem": self.problem,
        }


@dataclass
class RegionTrails:
    """What ``DescribeTrails`` answered in one region (``error`` when it did not)."""

    region: str
    trails: list[TrailSeen] = field(default_factory=list)
    error: str | None = None
    transient: bool = False


class TrailCache:
    """Each trail's details, read once per run (by ARN) in its home region."""

    def __init__(self, clients: Clients, caller_account: str) -> None:
        self.clients = clients
        self.caller_account = caller_account
        self._seen: dict[str, TrailSeen] = {}
        #: A transient failure while reading a trail's details (selectors or status): the run has no verdict.
        self.transient = False

    def region(self, region: str) -> RegionTrails:
        client = self.clients.cloudtrail(region)
        try:
            answer = client.describe_trails(includeShadowTrails=True)
        except AWS_ERRORS as exc:
            return RegionTrails(
                region,
                error=describe_error("cloudtrail", "DescribeTrails", exc, region),
                transient=is_transient(exc),
            )
        trails = [self.details(raw, region) for raw in answer.get("trailList", [])]
        return RegionTrails(region, sorted(trails, key=lambda t: t.arn))

    def details(self, raw: Mapping[str, Any], region: str) -> TrailSeen:
        arn = str(raw.get("TrailARN", ""))
        if arn in self._seen:
            return self._seen[arn]
        parsed = Arn.parse(arn)
        home = str(raw.get("HomeRegion") or (parsed.region if parsed else region))
        account = parsed.account if parsed else self.caller_account
        trail = TrailSeen(
            arn=arn,
            name=str(raw.get("Name", "")),
            home_region=home,
            account=account,
            is_organization=bool(raw.get("IsOrganizationTrail")),
            is_multi_region=bool(raw.get("IsMultiRegionTrail")),
            coverage=None,
            is_logging=None,
        )
        # Another account's trail here is an organization trail seen from a member account: its management account
        # may not let the member read its selectors.
        foreign = account != self.caller_account
        client = self.clients.cloudtrail(home)
        try:
            trail.coverage = coverage_from_selectors(client.get_event_selectors(TrailName=arn))
        except AWS_ERRORS as exc:
            self.transient = self.transient or is_transient(exc)
            why = describe_error("cloudtrail", "GetEventSelectors", exc, arn)
            if foreign and trail.is_organization and not is_transient(exc):
                # Control Tower's and most organization trails record all management events; assuming so can only
                # over-warn (a paid copy reported that is not), never hide one.
                trail.coverage = ALL
                trail.notes.append(f"selectors unreadable from this account ({why}): assumed all management events")
            else:
                trail.problem = why
        try:
            trail.is_logging = bool(client.get_trail_status(Name=arn)["IsLogging"])
        except AWS_ERRORS as exc:
            self.transient = self.transient or is_transient(exc)
            if not is_access_denied(exc) and not foreign:
                trail.notes.append(describe_error("cloudtrail", "GetTrailStatus", exc, arn))
            trail.notes.append("status unreadable: counted as logging")
        except KeyError:
            trail.notes.append("status without IsLogging: counted as logging")
        self._seen[arn] = trail
        return trail
