"""Read the trail (``GetTrail``, ``GetTrailStatus``, ``GetEventSelectors``) and diagnose what would stop an
Elastic Beanstalk call in the verifier's region from being delivered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from botocore.parsers import ResponseParserError

from ebtrail.core.beanstalk import EVENT_SOURCE
from ebtrail.core.cloudtrail_layout import key_prefix, s3_key_prefix
from ebtrail.verifier.aws import (
    AWS_ERRORS,
    Arn,
    Clients,
    answer_field,
    describe_error,
    error_code,
    is_access_denied,
    is_transient,
)


@dataclass(frozen=True)
class TrailInfo:
    """A trail as CloudTrail describes it: the one model that ``verify``, ``integrity``, ``preflight --trail`` and
    the canary read. :meth:`from_get_trail` is the one place that reads a ``GetTrail`` answer; the status fields
    come from ``GetTrailStatus`` (:meth:`with_status`) and stay at their defaults when it was not read."""

    name: str
    arn: str
    home_region: str
    account: str
    partition: str
    bucket: str
    #: The key prefix in ebtrail's inside form, ``""`` or ``"p/"`` (:func:`ebtrail.core.cloudtrail_layout.key_prefix`).
    prefix: str = ""
    topic_arn: str | None = None
    kms_key_id: str | None = None
    organization: bool = False
    multi_region: bool = False
    #: ``LogFileValidationEnabled``; None when the answer does not say.
    log_file_validation: bool | None = None
    #: ``CloudWatchLogsLogGroupArn``: the log group CloudTrail also delivers to; None when it delivers to S3 only.
    cloudwatch_logs_log_group_arn: str | None = None
    #: ``GetTrailStatus``: ``IsLogging`` and the latest delivery errors.
    logging: bool = False
    latest_delivery_error: str | None = None
    latest_notification_error: str | None = None
    latest_digest_delivery_error: str | None = None
    latest_cloudwatch_logs_delivery_error: str | None = None
    #: ``StartLoggingTime``: "the most recent date and time when CloudTrail started recording API calls" (UTC);
    #: None when the status was not read or does not say (GetTrailStatus, CloudTrail API Reference).
    logging_started: datetime | None = None

    @classmethod
    def from_get_trail(
        cls, trail: Mapping[str, Any], *, requested: str = "", region: str = "", account: str = ""
    ) -> TrailInfo:
        """The trail of a ``GetTrail`` answer (its ``Trail``). What an incomplete answer leaves out is taken from
        the ``requested`` name or ARN, the ``region`` it was looked up in and the caller's ``account``; see
        :attr:`complete`."""
        arn = str(trail.get("TrailARN") or requested)
        parsed = Arn.parse(arn)
        name = trail.get("Name") or (parsed.resource.removeprefix("trail/") if parsed else requested)
        topic = trail.get("SnsTopicARN")
        validation = trail.get("LogFileValidationEnabled")
        return cls(
            name=str(name),
            arn=arn,
            home_region=str(trail.get("HomeRegion") or (parsed.region if parsed and parsed.region else region)),
            account=parsed.account if parsed else account,
            partition=parsed.partition if parsed else "aws",
            bucket=str(trail.get("S3BucketName") or ""),
            prefix=key_prefix(trail.get("S3KeyPrefix")),
            topic_arn=str(topic) if topic else None,
            kms_key_id=trail.get("KmsKeyId") or None,
            organization=bool(trail.get("IsOrganizationTrail", False)),
            multi_region=bool(trail.get("IsMultiRegionTrail", False)),
            log_file_validation=None if validation is None else bool(validation),
            cloudwatch_logs_log_group_arn=trail.get("CloudWatchLogsLogGroupArn") or None,
        )

    @classmethod
    def from_arn(cls, arn: str, *, bucket: str, **settings: Any) -> TrailInfo:
        """A trail known without ``GetTrail`` (the canary's deployed settings, a test): name, region, account and
        partition from its ARN; raises ValueError for anything but a trail ARN. A ``prefix`` setting may be
        CloudTrail's ``S3KeyPrefix`` (``"p"``) or the inside form (``"p/"``): this is an edge, it converts."""
        parsed = Arn.parse(arn)
        if parsed is None or parsed.service != "cloudtrail" or not parsed.resource.startswith("trail/"):
            raise ValueError(f"not a trail ARN: {arn!r}")
        return cls(
            name=parsed.resource.removeprefix("trail/"),
            arn=arn,
            home_region=parsed.region,
            account=parsed.account,
            partition=parsed.partition,
            bucket=bucket,
            **{**settings, "prefix": key_prefix(settings.get("prefix"))},
        )

    def with_status(self, status: Mapping[str, Any]) -> TrailInfo:
        """This trail with what ``GetTrailStatus`` answered."""
        started = status.get("StartLoggingTime")
        return replace(
            self,
            logging=bool(status.get("IsLogging", False)),
            latest_delivery_error=status.get("LatestDeliveryError") or None,
            latest_notification_error=status.get("LatestNotificationError") or None,
            latest_digest_delivery_error=status.get("LatestDigestDeliveryError") or None,
            latest_cloudwatch_logs_delivery_error=status.get("LatestCloudWatchLogsDeliveryError") or None,
            logging_started=started.astimezone(UTC) if isinstance(started, datetime) else None,
        )

    @property
    def complete(self) -> bool:
        """Whether the answer named the trail's ARN (account, region) and its bucket: the integrity check and the
        policy preflight need both."""
        return bool(Arn.parse(self.arn) and self.account and self.home_region and self.bucket)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "home_region": self.home_region,
            "bucket": self.bucket,
            "prefix": s3_key_prefix(self.prefix),
            "topic_arn": self.topic_arn,
            "kms_key_id": self.kms_key_id,
            "organization_trail": self.organization,
            "multi_region": self.multi_region,
            "logging": self.logging,
        }


def get_trail(client: Any, name: str) -> Mapping[str, Any]:
    """``GetTrail``'s ``Trail`` for a name or ARN; an answer without one is not AWS's (:func:`answer_field`)."""
    trail = answer_field(client.get_trail(Name=name), "Trail", "GetTrail")
    if not isinstance(trail, Mapping):
        raise ResponseParserError(f"GetTrail answered with a Trail that is not an object: {trail!r:.80}")
    return trail


@dataclass
class TrailReadResult:
    trail: TrailInfo | None
    problems: list[str] = field(default_factory=list)
    #: Calls that failed because AWS could not be reached (connection, throttling, 5xx): no verdict.
    unreachable: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Why the event selectors would not record an Elastic Beanstalk write call (None: they would, or unread).
    selector_problem: str | None = None
    #: Whether ``GetEventSelectors`` and ``GetTrailStatus`` answered.
    selectors_read: bool = False
    status_read: bool = False


class TrailError(Exception):
    """The trail could not be read."""


def read_trail(clients: Clients, trail: str, caller_account: str | None) -> TrailReadResult:
    """Read the trail ``trail`` (name or ARN) and diagnose it for a call made in ``clients.region`` by
    ``caller_account``. ``problems`` are misconfigurations (exit 2); ``trail`` is None when unreadable."""
    arn = Arn.parse(trail)
    lookup_region = arn.region if arn and arn.region else clients.region
    out = TrailReadResult(trail=None)
    ct = clients.cloudtrail(lookup_region)
    try:
        t = get_trail(ct, trail)
    except AWS_ERRORS as exc:
        if error_code(exc) == "TrailNotFoundException":
            hint = "" if arn else f" (looked in {lookup_region}; pass the trail ARN if its home region differs)"
            out.problems.append(f"trail {trail!r} not found{hint}")
        elif is_transient(exc):
            out.unreachable.append(describe_error("cloudtrail", "GetTrail", exc, trail))
        else:
            out.problems.append(describe_error("cloudtrail", "GetTrail", exc, trail))
        return out
    info = TrailInfo.from_get_trail(t, requested=trail, region=lookup_region, account=caller_account or "")
    home = info.home_region
    try:
        info = info.with_status(clients.cloudtrail(home).get_trail_status(Name=info.arn))
        out.status_read = True
    except AWS_ERRORS as exc:
        failed = out.unreachable if is_transient(exc) else out.problems
        failed.append(describe_error("cloudtrail", "GetTrailStatus", exc, info.arn))
    out.trail = info
    if not info.bucket:
        out.problems.append(f"trail {info.name} has no S3 bucket")
    if out.status_read and not info.logging:
        out.problems.append(f"trail {info.name} is not logging (StartLogging was never called or it was stopped)")
    if info.latest_delivery_error:
        out.problems.append(
            f"trail {info.name} reports LatestDeliveryError {info.latest_delivery_error!r}: CloudTrail cannot write "
            f"to s3://{info.bucket} (bucket policy, KMS key policy or the bucket itself)"
        )
    if info.latest_notification_error:
        out.problems.append(
            f"trail {info.name} reports LatestNotificationError {info.latest_notification_error!r}: CloudTrail "
            f"cannot publish to {info.topic_arn} (topic policy or topic key policy)"
        )
    if not info.multi_region and home != clients.region:
        out.problems.append(
            f"trail {info.name} is a single-region trail in {home}: calls made in {clients.region} are not "
            f"recorded by it (run with --region {home}, or make the trail multi-region)"
        )
    if caller_account and info.account and not info.organization and caller_account != info.account:
        out.problems.append(
            f"trail {info.name} belongs to account {info.account} and is not an organization trail: calls made "
            f"by account {caller_account} are not recorded by it"
        )
    _check_event_selectors(clients, info, home, out)
    return out


def _check_event_selectors(clients: Clients, info: TrailInfo, home: str, out: TrailReadResult) -> None:
    try:
        sel = clients.cloudtrail(home).get_event_selectors(TrailName=info.arn)
    except AWS_ERRORS as exc:
        if is_access_denied(exc):
            out.warnings.append(
                describe_error("cloudtrail", "GetEventSelectors", exc, info.arn)
                + "; cannot check that the trail records management write events"
            )
        else:
            out.warnings.append(describe_error("cloudtrail", "GetEventSelectors", exc, info.arn))
        return
    problem = management_write_problem(
        [dict(s) for s in sel.get("EventSelectors", [])], [dict(s) for s in sel.get("AdvancedEventSelectors", [])]
    )
    out.selectors_read = True
    out.selector_problem = problem
    if problem:
        out.problems.append(f"trail {info.name}: {problem}")


def management_write_problem(basic: list[dict[str, Any]], advanced: list[dict[str, Any]]) -> str | None:
    """Why the selectors would not record an Elastic Beanstalk write call, or None.

    No selectors at all means the default: all management events."""
    if advanced:
        for sel in advanced:
            fields = {str(f.get("Field")): f for f in sel.get("FieldSelectors", [])}
            cat = fields.get("eventCategory")
            if not cat or "Management" not in cat.get("Equals", []):
                continue
            ro = fields.get("readOnly")
            if ro and ro.get("Equals") == ["true"]:
                continue
            src = fields.get("eventSource")
            if src and (
                EVENT_SOURCE in src.get("NotEquals", [])
                or (src.get("Equals") and EVENT_SOURCE not in src.get("Equals", []))
            ):
                continue
            return None
        return "its advanced event selectors record no Elastic Beanstalk management write events"
    if basic:
        for sel in basic:
            if sel.get("IncludeManagementEvents", True) and sel.get("ReadWriteType", "All") in ("All", "WriteOnly"):
                return None
        return "its event selectors record no management write events"
    return None
