"""The deployed canary: every scheduled run proves, with the verifier's own code, that the trail still delivers.

Each run (an AWS Lambda invocation from an EventBridge Scheduler schedule, in the trail's account and home region):

1. **checks the previous probes**: every ``ebtrail-verify-...`` application whose description carries the
   canary's marker and whose name ends with that nonce (the verifier's ownership rule; no state store) is looked
   for in the trail's log files with the verifier's S3 channel (one ``ListObjectsV2`` from a ``StartAfter`` per
   day folder, only the new files read). Found: ``ProbeArrived`` 1 and ``DeliverySeconds``; older than
   ``max_delivery`` and not found: ``ProbeArrived`` 0. A decided probe is deleted; a younger one waits for the
   next run. A probe a crashed run left behind is simply checked by the next run.
2. **checks the trail's health and drift** (the verifier's trail reader): ``TrailLogging`` (``IsLogging``),
   ``DeliveryErrors`` (``LatestDeliveryError``, ``LatestNotificationError``, ``LatestDigestDeliveryError`` and,
   when the trail delivers to CloudWatch Logs, ``LatestCloudWatchLogsDeliveryError``) and
   ``ConfigDrift`` (bucket, prefix, KMS key and its state, multi-region, log file validation, organization trail,
   management write events, against what the stack deployed), with the reasons in the run's log.
3. **makes a new probe** (``CreateApplication``, free, as the verifier does).

Metrics go to CloudWatch in :data:`ebtrail.core.canary.NAMESPACE` with the dimension ``TrailName``. The import
path needs only boto3/botocore (in the Lambda Python runtime), the verifier's own modules and the shared facts of
:mod:`ebtrail.core`: no click, rich or cryptography.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3

from ebtrail.core.canary import (
    CANARY_RAN,
    CONFIG_DRIFT,
    DELIVERY_ERRORS,
    DELIVERY_SECONDS,
    DIMENSION,
    ENV_BUCKET,
    ENV_INTEGRITY_WINDOW_MINUTES,
    ENV_KMS_KEY,
    ENV_MAX_DELIVERY_MINUTES,
    ENV_ORGANIZATION,
    ENV_PREFIX,
    ENV_PROJECTED_ACCOUNTS,
    ENV_TRAIL_ARN,
    NAMESPACE,
    PROBE_ARRIVED,
    TRAIL_LOGGING,
    UNPROJECTED_ACCOUNTS,
)
from ebtrail.core.canary import INTEGRITY_OVERLAP_MINUTES as _OVERLAP
from ebtrail.core.cloudtrail_layout import LogKey, key_prefix, s3_key_prefix
from ebtrail.core.permissions import RESOURCE_PREFIX
from ebtrail.core.regions import organizations_region
from ebtrail.lambdas.canary_integrity import IntegrityRun, IntegrityScope, check_integrity
from ebtrail.verifier.aws import AWS_ERRORS, Arn, Clients, answer_field, describe_error, error_code
from ebtrail.verifier.clock import Clock, SystemClock
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.trail_info import TrailInfo, read_trail
from ebtrail.verifier.verify.channels.base import State
from ebtrail.verifier.verify.channels.logfiles import LogFileScanner
from ebtrail.verifier.verify.channels.s3 import S3Channel
from ebtrail.verifier.verify.probe import Probe, ProbeCall, ProbeError, is_own_application

if TYPE_CHECKING:
    from mypy_boto3_elasticbeanstalk import ElasticBeanstalkClient
    from mypy_boto3_s3 import S3Client

#: Marks the canary's probes apart from an engineer's ``verifier verify`` run, which the canary never touches.
DESCRIPTION_PREFIX = "Temporary application created by the ebtrail canary; nonce="

#: Every canary nonce starts with this (the verifier's are plain hex), so the name alone tells a canary probe
#: apart even where the service does not return the description.
NONCE_PREFIX = "canary"
_NAME = re.compile(rf"^{re.escape(RESOURCE_PREFIX)}(?P<ts>\d{{8}}T\d{{6}}Z)-(?P<nonce>{NONCE_PREFIX}[0-9a-f]{{12}})$")


@dataclass(frozen=True)
class ExpectedTrail:
    """What the stack deployed: the canary reports any difference as drift."""

    trail_arn: str
    bucket: str
    #: S3 key prefix in the inside form, ``""`` or ``"p/"`` (the environment holds CloudTrail's form).
    prefix: str
    #: The log key as the stack names it (alias ARN or key ARN); None when the trail uses SSE-S3.
    kms_key: str | None
    organization: bool
    multi_region: bool = True
    log_file_validation: bool = True

    @property
    def arn(self) -> Arn:
        parsed = Arn.parse(self.trail_arn)
        if parsed is None or not parsed.region or not parsed.account:
            raise CanaryConfigError(f"{ENV_TRAIL_ARN}: not a trail ARN: {self.trail_arn!r}")
        return parsed

    @property
    def name(self) -> str:
        return self.arn.resource.split("/", 1)[-1]


@dataclass(frozen=True)
class CanarySettings:
    expected: ExpectedTrail
    #: A probe not found in the log files this long after its call counts as not delivered.
    max_delivery: timedelta = timedelta(minutes=30)
    #: The S3 channel's search window starts this long before the call (clock-skew guard, as the verifier).
    margin: timedelta = timedelta(minutes=2)
    namespace: str = NAMESPACE
    #: The accounts the Athena table projects (organization trail with Athena): the run reports the
    #: organization's ACTIVE accounts outside them as ``UnprojectedAccounts``. Empty: not checked.
    projected_accounts: tuple[str, ...] = ()
    #: Digests delivered this long before a run are checked by it (:mod:`ebtrail.lambdas.canary_integrity`).
    integrity_window: timedelta = timedelta(minutes=60 + _OVERLAP)

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> CanarySettings:
        missing = [name for name in (ENV_TRAIL_ARN, ENV_BUCKET) if not env.get(name)]
        if missing:
            raise CanaryConfigError(f"missing environment variable(s): {', '.join(missing)}")
        try:
            minutes = int(env.get(ENV_MAX_DELIVERY_MINUTES, "30"))
        except ValueError as exc:
            raise CanaryConfigError(f"{ENV_MAX_DELIVERY_MINUTES}: not a whole number of minutes") from exc
        expected = ExpectedTrail(
            trail_arn=env[ENV_TRAIL_ARN],
            bucket=env[ENV_BUCKET],
            prefix=key_prefix(env.get(ENV_PREFIX)),
            kms_key=env.get(ENV_KMS_KEY) or None,
            organization=env.get(ENV_ORGANIZATION, "false").lower() == "true",
        )
        expected.arn  # noqa: B018 - validates the ARN now, not halfway through a run
        projected = tuple(a for a in env.get(ENV_PROJECTED_ACCOUNTS, "").split(",") if a)
        bad = [a for a in projected if not re.fullmatch(r"\d{12}", a)]
        if bad:
            raise CanaryConfigError(f"{ENV_PROJECTED_ACCOUNTS}: not 12-digit account IDs: {', '.join(bad)}")
        return cls(
            expected=expected,
            max_delivery=timedelta(minutes=minutes),
            projected_accounts=projected,
            integrity_window=_integrity_window(env),
        )


def _integrity_window(env: Mapping[str, str]) -> timedelta:
    try:
        return timedelta(minutes=int(env.get(ENV_INTEGRITY_WINDOW_MINUTES, str(60 + _OVERLAP))))
    except ValueError as exc:
        raise CanaryConfigError(f"{ENV_INTEGRITY_WINDOW_MINUTES}: not a whole number of minutes") from exc


class CanaryConfigError(Exception):
    """The function's environment is incomplete (a deployment error, not a trail problem)."""


class CanaryRunError(Exception):
    """The run could not do all of its work; the metrics it could measure were still published."""


@dataclass
class ProbeOutcome:
    application_name: str
    called_at: datetime
    #: ``arrived``, ``not delivered`` (older than max_delivery, not found) or ``pending`` (checked again later).
    state: str
    delivery_seconds: float | None = None
    log_file: str | None = None
    deleted: bool = False
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "application_name": self.application_name,
            "called_at": self.called_at.isoformat(),
            "state": self.state,
            "delivery_seconds": self.delivery_seconds,
            "log_file": self.log_file,
            "deleted": self.deleted,
            "detail": self.detail,
        }


@dataclass
class CanaryReport:
    """What one run found; :meth:`metric_data` is what it publishes."""

    trail_name: str
    at: datetime
    probes: list[ProbeOutcome] = field(default_factory=list)
    #: None: unknown (the trail or its status could not be read).
    trail_logging: bool | None = None
    delivery_errors: list[str] | None = None
    drift: list[str] | None = None
    new_probe: str | None = None
    #: ACTIVE accounts of the organization the Athena table does not project; None: not checked or unreadable.
    unprojected_accounts: list[str] | None = None
    #: ``GetTrailStatus`` ``StartLoggingTime`` (None: unknown): the integrity check's late clock starts there.
    logging_started: datetime | None = None
    #: The hourly integrity check (None: not run).
    integrity: IntegrityRun | None = None
    findings: Findings = field(default_factory=Findings)

    @property
    def failed(self) -> bool:
        """Whether part of the run could not be done (the invocation then fails, for the on-failure queue)."""
        return bool(self.findings.problems)

    def metric_data(self) -> list[dict[str, Any]]:
        dims = [{"Name": DIMENSION, "Value": self.trail_name}]
        data: list[dict[str, Any]] = []

        def add(name: str, value: float, unit: str = "Count") -> None:
            data.append({"MetricName": name, "Dimensions": dims, "Timestamp": self.at, "Value": value, "Unit": unit})

        for probe in self.probes:
            if probe.state == "arrived":
                add(PROBE_ARRIVED, 1.0)
                if probe.delivery_seconds is not None:
                    add(DELIVERY_SECONDS, probe.delivery_seconds, "Seconds")
            elif probe.state == "not delivered":
                add(PROBE_ARRIVED, 0.0)
        add(CANARY_RAN, 1.0)  # the heartbeat, from every run (ebtrail.core.canary.ALARM_RULES)
        if self.unprojected_accounts is not None:
            add(UNPROJECTED_ACCOUNTS, float(len(self.unprojected_accounts)))
        if self.trail_logging is not None:
            add(TRAIL_LOGGING, 1.0 if self.trail_logging else 0.0)
        if self.delivery_errors is not None:
            add(DELIVERY_ERRORS, 1.0 if self.delivery_errors else 0.0)
        if self.drift is not None:
            add(CONFIG_DRIFT, 1.0 if self.drift else 0.0)
        if self.integrity is not None:
            for metric_name, value in self.integrity.metrics():
                add(metric_name, value)
        return data

    def as_dict(self) -> dict[str, Any]:
        return {
            "trail": self.trail_name,
            "at": self.at.isoformat(),
            "probes": [p.as_dict() for p in self.probes],
            "trail_logging": self.trail_logging,
            "delivery_errors": self.delivery_errors,
            "drift": self.drift,
            "new_probe": self.new_probe,
            "unprojected_accounts": self.unprojected_accounts,
            "integrity": self.integrity.as_dict() if self.integrity is not None else None,
            "problems": self.findings.problems,
            "warnings": self.findings.warnings,
            "metrics": {d["MetricName"]: d["Value"] for d in self.metric_data()},
        }


def new_nonce() -> str:
    return f"{NONCE_PREFIX}{secrets.token_hex(6)}"


def probe_called_at(name: str) -> datetime | None:
    """The call time written into a probe's name (``ebtrail-verify-<YYYYmmddTHHMMSSZ>-<nonce>``)."""
    m = _NAME.match(name)
    if not m:
        return None
    return datetime.strptime(m["ts"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class OwnProbe:
    name: str
    nonce: str
    called_at: datetime
    arn: str | None


def own_probes(eb: ElasticBeanstalkClient) -> list[OwnProbe]:
    """The canary's earlier probes. ``DescribeApplications`` returns only the applications the caller may
    access, so with the canary's policy (``application/ebtrail-verify-*``) the list stays short."""
    out: list[OwnProbe] = []
    for app in eb.describe_applications().get("Applications", []):
        name = str(app.get("ApplicationName", ""))
        m = _NAME.match(name)
        called_at = probe_called_at(name)
        if m is None or called_at is None:
            continue  # not the canary's (an engineer's verify run, or someone else's application)
        nonce = m["nonce"]
        description = app.get("Description")
        if description is not None and description != f"{DESCRIPTION_PREFIX}{nonce}":
            continue  # named like ours but not made by the canary: never touched
        if not is_own_application(name, nonce):  # pragma: no cover - implied by the name pattern
            continue
        out.append(OwnProbe(name, nonce, called_at, app.get("ApplicationArn")))
    return sorted(out, key=lambda p: p.called_at)


def run_canary(
    clients: Clients,
    settings: CanarySettings,
    clock: Clock,
    *,
    nonce: str | None = None,
) -> CanaryReport:
    """One canary run (see the module docstring). Never raises for an AWS error: each is a problem in the report."""
    expected = settings.expected
    report = CanaryReport(trail_name=expected.name, at=clock.now())
    eb = clients.elasticbeanstalk()
    check_previous_probes(clients, eb, settings, clock, report)
    check_trail(clients, settings, report)
    if settings.projected_accounts:
        check_organization_accounts(clients, settings, report)
    check_run_integrity(clients, settings, clock, report)
    probe = Probe(eb, clock, nonce or new_nonce(), description_prefix=DESCRIPTION_PREFIX)
    try:
        report.new_probe = probe.create().application_name
    except ProbeError as exc:
        report.findings.problem(f"could not make a new probe: {exc}")
        problem = probe.cleanup()  # nothing is left behind when the call half-succeeded
        if problem:
            report.findings.problem(problem)
    return report


def check_previous_probes(
    clients: Clients, eb: ElasticBeanstalkClient, settings: CanarySettings, clock: Clock, report: CanaryReport
) -> None:
    expected = settings.expected
    try:
        probes = own_probes(eb)
    except AWS_ERRORS as exc:
        report.findings.problem(describe_error("elasticbeanstalk", "DescribeApplications", exc))
        return
    trail = TrailInfo.from_arn(
        expected.trail_arn,
        bucket=expected.bucket,
        prefix=expected.prefix,
        kms_key_id=expected.kms_key,
        organization=expected.organization,
        multi_region=expected.multi_region,
        log_file_validation=expected.log_file_validation,
        logging=True,
    )
    s3 = clients.s3()
    for own in probes:
        report.probes.append(
            check_probe(
                own,
                eb=eb,
                s3=s3,
                trail=trail,
                region=clients.region,
                settings=settings,
                clock=clock,
                run_findings=report.findings,
            )
        )


def check_probe(
    own: OwnProbe,
    *,
    eb: ElasticBeanstalkClient,
    s3: S3Client,
    trail: TrailInfo,
    region: str,
    settings: CanarySettings,
    clock: Clock,
    run_findings: Findings,
) -> ProbeOutcome:
    """Look once for one earlier probe's record with the verifier's S3 channel; delete the probe once decided."""
    call = ProbeCall(own.name, own.nonce, "", own.called_at, None, own.arn)
    findings = Findings()
    channel = S3Channel(
        s3=s3,
        trail=trail,
        account=trail.account,
        region=region,
        scanner=LogFileScanner(s3, findings, trail.kms_key_id, trail.partition),
        findings=findings,
        clock=clock,
        margin=settings.margin,
    )
    now = clock.now()

    def since_call() -> float:
        return (clock.now() - own.called_at).total_seconds()

    arrival = channel.poll(call, since_call, 0.0)
    outcome = ProbeOutcome(own.name, own.called_at, "pending", detail=channel.detail)
    for warning in findings.warnings:
        run_findings.warn(f"{own.name}: {warning}")
    if arrival is not None and arrival.log_file is not None:
        outcome.state = "arrived"
        outcome.log_file = f"s3://{arrival.log_file.bucket}/{arrival.log_file.key}"
        # The file name carries CloudTrail's delivery time, to the minute.
        parsed = LogKey.parse(arrival.log_file.key)
        delivered = parsed.delivered if parsed else now
        outcome.delivery_seconds = max(0.0, (delivered - own.called_at).total_seconds())
        outcome.detail = f"matched by {arrival.matched_by}"
    elif now - own.called_at >= settings.max_delivery:
        outcome.state = "not delivered"
        minutes = settings.max_delivery.total_seconds() / 60
        outcome.detail = f"not in the log files {minutes:.0f} minutes after the call"
        if channel.state == State.UNAVAILABLE:
            outcome.detail += f" (the log files could not be read: {channel.detail})"
    if channel.state == State.UNAVAILABLE:
        for reason in findings.problems or [channel.detail]:
            run_findings.problem(f"{own.name}: {reason}")
    if outcome.state != "pending":
        cleanup = Probe(eb, clock, own.nonce, description_prefix=DESCRIPTION_PREFIX)
        cleanup.application_name = own.name
        problem = cleanup.cleanup()
        outcome.deleted = cleanup.deleted
        if problem:
            run_findings.problem(problem)
    return outcome


def check_run_integrity(clients: Clients, settings: CanarySettings, clock: Clock, report: CanaryReport) -> None:
    """What CloudTrail delivered since the previous run, in every region of the trail (the canary's account)."""
    expected = settings.expected
    scope = IntegrityScope(
        trail_name=expected.name,
        home_region=expected.arn.region,
        account=expected.arn.account,
        bucket=expected.bucket,
        prefix=expected.prefix,
        organization=expected.organization,
        multi_region=expected.multi_region,
        window=settings.integrity_window,
        logging_started=report.logging_started,
    )
    report.integrity = check_integrity(clients, scope, clock.now())
    for problem in report.integrity.problems:
        report.findings.problem(f"integrity: {problem}")


def check_trail(clients: Clients, settings: CanarySettings, report: CanaryReport) -> None:
    expected = settings.expected
    read = read_trail(clients, expected.trail_arn, expected.arn.account)
    info = read.trail
    if info is None:
        not_found = any("not found" in p for p in read.problems)
        for problem in read.problems:
            (report.findings.warn if not_found else report.findings.problem)(problem)
        if not_found:  # the trail is gone: it records nothing, and what was deployed has drifted
            report.trail_logging = False
            report.drift = [f"trail {expected.trail_arn} no longer exists"]
        return
    if read.status_read:
        report.trail_logging = info.logging
        report.delivery_errors = delivery_errors(info)
        report.logging_started = info.logging_started
    else:
        for problem in read.problems:
            if "GetTrailStatus" in problem:
                report.findings.problem(problem)
    drift = drift_findings(info, expected)
    key_drift, key_problem = log_key_drift(clients, info, expected)
    drift += key_drift
    if key_problem:
        report.findings.problem(key_problem)
    if read.selectors_read:
        if read.selector_problem:
            drift.append(f"event selectors: {read.selector_problem}")
    else:
        report.findings.problem("; ".join(read.warnings) or "GetEventSelectors was not answered")
    report.drift = drift


def delivery_errors(info: TrailInfo) -> list[str]:
    """The errors ``GetTrailStatus`` reports for each of the trail's deliveries, as ``<field>: <error>``.

    ``LatestCloudWatchLogsDeliveryError`` counts only when the trail has a log group (``GetTrail``
    ``CloudWatchLogsLogGroupArn``): "Displays any CloudWatch Logs error that CloudTrail encountered when
    attempting to deliver logs to CloudWatch Logs" (GetTrailStatus, CloudTrail API Reference). Without it a
    broken delivery (the role's trust or policy, a deleted log group, its KMS key) makes the CIS metric filters
    go quiet, and their alarms treat missing data as not breaching: nothing would alert.
    """
    fields = [
        ("LatestDeliveryError", info.latest_delivery_error),
        ("LatestNotificationError", info.latest_notification_error),
        ("LatestDigestDeliveryError", info.latest_digest_delivery_error),
    ]
    if info.cloudwatch_logs_log_group_arn:
        fields.append(("LatestCloudWatchLogsDeliveryError", info.latest_cloudwatch_logs_delivery_error))
    return [f"{label}: {error}" for label, error in fields if error]


def check_organization_accounts(clients: Clients, settings: CanarySettings, report: CanaryReport) -> None:
    """The organization's ACTIVE accounts that the Athena table does not project (``ListAccounts``, paginated,
    from the management account, at the Organizations endpoint of the partition). Their log files are in the
    archive, and no query sees them until they are added to ``trail.members`` (README, "Organization accounts
    added later"). An unreadable list is a problem of the run (the Errors alarm), not a metric."""
    region = organizations_region(settings.expected.arn.partition) or clients.region
    organizations = clients.client("organizations", region)
    accounts: list[str] = []
    try:
        for page in organizations.get_paginator("list_accounts").paginate():
            accounts += [str(a["Id"]) for a in page.get("Accounts", []) if a.get("State", a.get("Status")) == "ACTIVE"]
    except AWS_ERRORS as exc:
        report.findings.problem(describe_error("organizations", "ListAccounts", exc))
        return
    report.unprojected_accounts = sorted(set(accounts) - set(settings.projected_accounts))
    if report.unprojected_accounts:
        report.findings.warn(
            "organization accounts not projected by the Athena table (add them to trail.members and redeploy): "
            + ", ".join(report.unprojected_accounts)
        )


def drift_findings(info: TrailInfo, expected: ExpectedTrail) -> list[str]:
    """Every setting that differs from what the stack deployed (the KMS key is :func:`log_key_drift`'s)."""
    out: list[str] = []
    if info.bucket != expected.bucket:
        out.append(f"S3 bucket is {info.bucket!r}, deployed {expected.bucket!r}")
    if info.prefix != expected.prefix:
        out.append(f"S3 key prefix is {s3_key_prefix(info.prefix)!r}, deployed {s3_key_prefix(expected.prefix)!r}")
    if info.multi_region != expected.multi_region:
        out.append(f"multi-region is {info.multi_region}, deployed {expected.multi_region}")
    validation = bool(info.log_file_validation)  # not in the answer: off
    if validation != expected.log_file_validation:
        out.append(f"log file validation is {validation}, deployed {expected.log_file_validation}")
    if info.organization != expected.organization:
        out.append(f"organization trail is {info.organization}, deployed {expected.organization}")
    return out


def log_key_drift(clients: Clients, info: TrailInfo, expected: ExpectedTrail) -> tuple[list[str], str | None]:
    """Drift of the trail's KMS key, and a problem when the deployed key cannot be resolved.

    ``GetTrail`` names the key by its key ARN; the stack names it by its alias ARN, which ``DescribeKey``
    resolves (also across accounts). A key that is not ``Enabled`` is drift too: CloudTrail cannot encrypt
    with it. When the key cannot be read, the run reports a problem (the invocation fails) rather than guess.
    """
    if expected.kms_key is None:
        if info.kms_key_id:
            return [f"KMS key is {info.kms_key_id}, deployed none (SSE-S3)"], None
        return [], None
    if not info.kms_key_id:
        return [f"KMS key is none (SSE-S3), deployed {expected.kms_key}"], None
    key_region = (Arn.parse(expected.kms_key) or Arn.parse(info.kms_key_id) or expected.arn).region or clients.region
    kms = clients.client("kms", key_region)
    try:
        meta = answer_field(kms.describe_key(KeyId=expected.kms_key), "KeyMetadata", "DescribeKey")
    except AWS_ERRORS as exc:
        if error_code(exc) == "NotFoundException":
            return [f"deployed KMS key {expected.kms_key} no longer exists"], None
        return [], describe_error("kms", "DescribeKey", exc, expected.kms_key) + "; cannot check the trail's key"
    out: list[str] = []
    if info.kms_key_id not in {meta.get("Arn"), expected.kms_key}:
        out.append(f"KMS key is {info.kms_key_id}, deployed {expected.kms_key} ({meta.get('Arn')})")
    state = meta.get("KeyState", "Enabled")
    if state != "Enabled":
        out.append(f"KMS key {meta.get('Arn')} is {state}: CloudTrail cannot encrypt log files with it")
    return out, None


def publish(clients: Clients, report: CanaryReport, namespace: str = NAMESPACE) -> None:
    """``PutMetricData`` of the report's metrics (at most 1,000 values per call; a run has a handful)."""
    data = report.metric_data()
    if not data:
        return
    cloudwatch = clients.client("cloudwatch")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)


def run_and_publish(clients: Clients, settings: CanarySettings, clock: Clock, nonce: str | None = None) -> CanaryReport:
    """One run, its metrics published, its report printed as one JSON line (into the function's log group)."""
    report = run_canary(clients, settings, clock, nonce=nonce)
    try:
        publish(clients, report, settings.namespace)
    except AWS_ERRORS as exc:
        report.findings.problem(describe_error("cloudwatch", "PutMetricData", exc, settings.namespace))
    print(json.dumps(report.as_dict(), default=str))  # Lambda sends stdout to the function's log group
    return report


_LAMBDA_CLIENTS: dict[str, Clients] = {}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (:data:`ebtrail.core.canary.HANDLER`). Fails the invocation (for the on-failure queue)
    when part of the run could not be done, after publishing what it could measure."""
    del event, context
    settings = CanarySettings.from_environment(os.environ)
    region = settings.expected.arn.region
    if region not in _LAMBDA_CLIENTS:  # kept by a warm container for its next invocations
        _LAMBDA_CLIENTS[region] = Clients.create(boto3.Session(), region)
    clients = _LAMBDA_CLIENTS[region]
    report = run_and_publish(clients, settings, SystemClock())
    if report.failed:
        raise CanaryRunError("; ".join(report.findings.problems))
    return report.as_dict()
