"""The canary's runs against moto, with the CloudTrail double (the player's logic) and a fake clock.

Every metric is asserted through moto's CloudWatch (``GetMetricStatistics``), as an alarm would read it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3
import pytest

from ebtrail.core import canary as core_canary
from ebtrail.core.canary import (
    ALARM_RULES,
    CANARY_PERMISSIONS,
    CANARY_RAN,
    CONFIG_DRIFT,
    DELIVERY_ERRORS,
    DELIVERY_SECONDS,
    DIMENSION,
    NAMESPACE,
    PROBE_ARRIVED,
    TRAIL_LOGGING,
    UNPROJECTED_ACCOUNTS,
    AlarmRule,
)
from ebtrail.core.cloudtrail_layout import key_prefix
from ebtrail.core.permissions import is_listed
from ebtrail.lambdas import canary
from ebtrail.lambdas.canary import (
    CanaryConfigError,
    CanaryReport,
    CanarySettings,
    ExpectedTrail,
    run_and_publish,
)
from ebtrail.verifier.aws import Clients
from ebtrail.verifier.verify.probe import DESCRIPTION_PREFIX as VERIFIER_DESCRIPTION_PREFIX
from ebtrail.verifier.verify.probe import Probe
from tests.verifier import alarm_model
from tests.verifier.alarm_model import AlarmModel
from tests.verifier.verify_double import (
    ACCOUNT,
    ORG_ID,
    OTHER_ACCOUNT,
    REGION,
    TRAIL,
    ApiCalls,
    CloudTrailDouble,
    Deployment,
    FakeClock,
    deny,
    deploy,
    gz_log,
    key_for,
    unrelated_record,
)

HOUR = 3600.0
REPO_ROOT = Path(__file__).resolve().parents[2]


def settings_for(dep: Deployment, *, kms_key: str | None = None, max_delivery_minutes: int = 30) -> CanarySettings:
    return CanarySettings(
        expected=ExpectedTrail(
            trail_arn=dep.trail_arn,
            bucket=dep.bucket,
            prefix=key_prefix(dep.prefix),
            kms_key=kms_key,
            organization=dep.org,
        ),
        max_delivery=timedelta(minutes=max_delivery_minutes),
    )


def run_once(
    dep: Deployment, clock: FakeClock, settings: CanarySettings, clients: Clients | None = None
) -> CanaryReport:
    return run_and_publish(clients or Clients.create(dep.session, REGION), settings, clock)


def metric(session: boto3.Session, name: str, start: datetime, end: datetime, stat: str = "Minimum") -> list[float]:
    """Datapoints of one canary metric, oldest first, as an alarm would see them (1-minute periods)."""
    cw = session.client("cloudwatch", region_name=REGION)
    resp = cw.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": DIMENSION, "Value": TRAIL}],
        StartTime=start - timedelta(minutes=1),
        EndTime=end + timedelta(minutes=1),
        Period=60,
        Statistics=[stat],
    )
    points = sorted(resp["Datapoints"], key=lambda p: p["Timestamp"])
    return [float(p[stat]) for p in points]


def canary_apps(dep: Deployment) -> list[str]:
    return sorted(a["ApplicationName"] for a in dep.eb.describe_applications()["Applications"])


@dataclass
class ReusingDeployment(Deployment):
    """The deployment with one S3 and one Elastic Beanstalk client (the double writes a file per probe)."""

    @cached_property
    def s3(self) -> Any:
        return self.session.client("s3", region_name=REGION)

    @cached_property
    def eb(self) -> Any:
        return self.session.client("elasticbeanstalk", region_name=REGION)


def healthy(session: boto3.Session, **kwargs: Any) -> Deployment:
    """A trail as the stack deploys it: multi-region, log file validation on, logging, prefix ``archive``."""
    dep = deploy(session, topic=False, prefix="archive", **kwargs)
    dep.session.client("cloudtrail", region_name=REGION).update_trail(Name=TRAIL, EnableLogFileValidation=True)
    return ReusingDeployment(**{f.name: getattr(dep, f.name) for f in fields(dep)})


# --- probes ---------------------------------------------------------------------------------------------------


def test_arrival_gives_probe_arrived_1_and_delivery_seconds(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    double = CloudTrailDouble(dep, clock, delay=300).install()
    start = clock.now()

    first = run_once(dep, clock, settings_for(dep))
    assert first.probes == []  # nothing to check yet
    assert first.new_probe is not None and first.new_probe.startswith("ebtrail-verify-")
    assert canary_apps(dep) == [first.new_probe]

    clock.sleep(HOUR)  # CloudTrail delivers 5 minutes after the call
    second = run_once(dep, clock, settings_for(dep))

    [outcome] = second.probes
    assert outcome.application_name == first.new_probe
    assert outcome.state == "arrived"
    assert outcome.log_file == f"s3://{dep.bucket}/{double.delivered[0]}"
    # the log file's name says it was delivered in the minute 300 s after the call (to the minute)
    assert outcome.delivery_seconds is not None and 240 <= outcome.delivery_seconds <= 300
    assert outcome.deleted
    assert canary_apps(dep) == [second.new_probe]  # the first probe is gone, the new one waits
    assert second.findings.problems == []
    assert metric(session, PROBE_ARRIVED, start, clock.now()) == [1.0]
    assert metric(session, DELIVERY_SECONDS, start, clock.now()) == [outcome.delivery_seconds]
    assert metric(session, TRAIL_LOGGING, start, clock.now()) == [1.0, 1.0]
    assert metric(session, CONFIG_DRIFT, start, clock.now(), "Maximum") == [0.0, 0.0]
    assert metric(session, DELIVERY_ERRORS, start, clock.now(), "Maximum") == [0.0, 0.0]


def test_silence_gives_probe_arrived_0_after_max_delivery(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    CloudTrailDouble(dep, clock, delay=300, write=False).install()  # CloudTrail never delivers
    settings = settings_for(dep, max_delivery_minutes=30)
    start = clock.now()
    first = run_once(dep, clock, settings)

    clock.sleep(29 * 60)  # younger than max_delivery: not decided yet, kept for the next run
    early = run_once(dep, clock, settings)
    assert [p.state for p in early.probes] == ["pending"]
    assert first.new_probe in canary_apps(dep)
    assert metric(session, PROBE_ARRIVED, start, clock.now()) == []

    clock.sleep(60)  # 30 minutes after the first call
    late = run_once(dep, clock, settings)
    states = {p.application_name: p.state for p in late.probes}
    assert states[first.new_probe] == "not delivered"
    assert first.new_probe not in canary_apps(dep)  # decided, so deleted
    assert metric(session, PROBE_ARRIVED, start, clock.now()) == [0.0]
    assert late.findings.problems == []  # a trail problem is a metric, not a failed run


def test_a_crash_after_create_application_leaves_a_probe_the_next_run_cleans(
    session: boto3.Session, clock: FakeClock
) -> None:
    dep = healthy(session)
    double = CloudTrailDouble(dep, clock, delay=300).install()
    settings = settings_for(dep)

    # the Lambda dies right after CreateApplication (timeout, out of memory...): nothing else of the run happens
    crashed = Probe(dep.eb, clock, canary.new_nonce(), description_prefix=canary.DESCRIPTION_PREFIX).create()
    clock.sleep(HOUR)

    report = run_once(dep, clock, settings)
    [outcome] = report.probes
    assert outcome.application_name == crashed.application_name
    assert outcome.state == "arrived" and outcome.deleted
    assert canary_apps(dep) == [report.new_probe]
    assert len(double.calls) == 2  # the crashed probe and the new one (its record comes 5 minutes later)


def test_no_application_leak_over_100_runs_with_crashes(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    CloudTrailDouble(dep, clock, delay=300, noise=5).install()
    settings = settings_for(dep)
    verifier_app = "ebtrail-verify-20260314T120000Z-0123456789ab"  # an engineer's verify run: never touched
    dep.eb.create_application(ApplicationName=verifier_app, Description=f"{VERIFIER_DESCRIPTION_PREFIX}0123456789ab")
    arrived = 0
    clients = Clients.create(dep.session, REGION)  # as a warm Lambda container keeps them
    for run in range(100):
        if run % 7 == 3:  # every seventh run crashes after its CreateApplication
            Probe(dep.eb, clock, canary.new_nonce(), description_prefix=canary.DESCRIPTION_PREFIX).create()
        else:
            report = run_once(dep, clock, settings, clients)
            arrived += sum(p.state == "arrived" for p in report.probes)
            assert all(p.state == "arrived" for p in report.probes)
            assert report.findings.problems == []
            # at most this run's probe and, after a crash, nothing older than one period is left
            assert len(canary_apps(dep)) == 2  # the new probe and the engineer's application
        clock.sleep(HOUR)
    report = run_once(dep, clock, settings)
    assert canary_apps(dep) == sorted([verifier_app, str(report.new_probe)])
    assert arrived + len(report.probes) == 100  # every probe of the 100 runs was checked once, and deleted


def test_organization_trail_reads_the_organization_path(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session, org=True)
    # other members' files already in the organization's folder
    dep.s3.put_object(
        Bucket=dep.bucket,
        Key=key_for(OTHER_ACCOUNT, REGION, clock.now(), "C" * 16, prefix="archive", org_id=ORG_ID),
        Body=gz_log([unrelated_record(__import__("random").Random(1), clock.now(), OTHER_ACCOUNT)]),
    )
    double = CloudTrailDouble(dep, clock, delay=240, org_id=ORG_ID).install()
    settings = settings_for(dep)
    run_once(dep, clock, settings)
    clock.sleep(HOUR)
    report = run_once(dep, clock, settings)
    [outcome] = report.probes
    assert outcome.state == "arrived"
    assert outcome.log_file is not None
    assert outcome.log_file.startswith(f"s3://{dep.bucket}/archive/AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail/{REGION}/")
    assert outcome.log_file.endswith(double.delivered[0])
    assert report.drift == []


# --- trail health and drift -----------------------------------------------------------------------------------


def test_stop_logging_gives_trail_logging_0(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    start = clock.now()
    dep.session.client("cloudtrail", region_name=REGION).stop_logging(Name=TRAIL)
    report = run_once(dep, clock, settings_for(dep))
    assert report.trail_logging is False
    assert metric(session, TRAIL_LOGGING, start, clock.now()) == [0.0]
    assert report.findings.problems == []


def test_changed_bucket_gives_config_drift_1(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    dep.s3.create_bucket(Bucket="someone-elses-bucket")
    dep.session.client("cloudtrail", region_name=REGION).update_trail(Name=TRAIL, S3BucketName="someone-elses-bucket")
    start = clock.now()
    report = run_once(dep, clock, settings_for(dep))
    assert report.drift == [f"S3 bucket is 'someone-elses-bucket', deployed {dep.bucket!r}"]
    assert metric(session, CONFIG_DRIFT, start, clock.now(), "Maximum") == [1.0]


def test_changed_or_disabled_key_gives_config_drift_1(session: boto3.Session, clock: FakeClock) -> None:
    kms = session.client("kms", region_name=REGION)
    deployed = kms.create_key(Description="log key")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/ebtrail/cloudtrail-logs", TargetKeyId=deployed)
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/ebtrail/cloudtrail-logs"
    dep = healthy(session, kms_key=deployed)
    settings = settings_for(dep, kms_key=alias_arn)
    start = clock.now()

    assert run_once(dep, clock, settings).drift == []  # the alias resolves to the trail's key

    other = kms.create_key(Description="another key")["KeyMetadata"]["Arn"]
    dep.session.client("cloudtrail", region_name=REGION).update_trail(Name=TRAIL, KmsKeyId=other)
    clock.sleep(HOUR)
    changed = run_once(dep, clock, settings)
    assert changed.drift == [f"KMS key is {other}, deployed {alias_arn} ({deployed})"]

    dep.session.client("cloudtrail", region_name=REGION).update_trail(Name=TRAIL, KmsKeyId=deployed)
    kms.disable_key(KeyId=deployed.rsplit("/", 1)[-1])
    clock.sleep(HOUR)
    disabled = run_once(dep, clock, settings)
    assert disabled.drift == [f"KMS key {deployed} is Disabled: CloudTrail cannot encrypt log files with it"]
    assert metric(session, CONFIG_DRIFT, start, clock.now(), "Maximum") == [0.0, 1.0, 1.0]


def test_other_drift_prefix_validation_selectors(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    ct = dep.session.client("cloudtrail", region_name=REGION)
    ct.update_trail(Name=TRAIL, S3KeyPrefix="elsewhere", EnableLogFileValidation=False, IsMultiRegionTrail=False)
    ct.put_event_selectors(
        TrailName=TRAIL, EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]
    )
    report = run_once(dep, clock, settings_for(dep))
    assert report.drift == [
        "S3 key prefix is 'elsewhere', deployed 'archive'",
        "multi-region is False, deployed True",
        "log file validation is False, deployed True",
        "event selectors: its event selectors record no management write events",
    ]


def test_deleted_trail_is_not_logging_and_drifted(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    dep.session.client("cloudtrail", region_name=REGION).delete_trail(Name=TRAIL)
    report = run_once(dep, clock, settings_for(dep))
    assert report.trail_logging is False
    assert report.drift == [f"trail {dep.trail_arn} no longer exists"]
    assert not report.failed


def test_delivery_errors_give_1(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)

    def s3_refuses(parsed: dict[str, Any], **kwargs: Any) -> None:
        parsed["LatestDeliveryError"] = "AccessDenied"  # what CloudTrail reports when the bucket policy changed

    session.events.register("after-call.cloudtrail.GetTrailStatus", s3_refuses)
    start = clock.now()
    report = run_once(dep, clock, settings_for(dep))
    assert report.delivery_errors == ["LatestDeliveryError: AccessDenied"]
    assert metric(session, DELIVERY_ERRORS, start, clock.now(), "Maximum") == [1.0]


# --- failures of the canary itself ----------------------------------------------------------------------------


def test_missing_permission_fails_the_run_but_publishes_what_it_measured(
    session: boto3.Session, clock: FakeClock
) -> None:
    dep = healthy(session)
    deny(session, "elastic-beanstalk", "CreateApplication")
    start = clock.now()
    report = run_once(dep, clock, settings_for(dep))
    assert report.failed
    assert report.findings.problems[0].startswith(
        "could not make a new probe: missing permission elasticbeanstalk:CreateApplication"
    )
    assert metric(session, TRAIL_LOGGING, start, clock.now()) == [1.0]
    with pytest.raises(canary.CanaryRunError, match="CreateApplication"):
        handler_with_environment_of(dep, clock)


def handler_with_environment_of(dep: Deployment, clock: FakeClock) -> dict[str, Any]:
    """What :func:`ebtrail.lambdas.canary.handler` does, with the test's session and clock."""
    env = {
        core_canary.ENV_TRAIL_ARN: dep.trail_arn,
        core_canary.ENV_BUCKET: dep.bucket,
        core_canary.ENV_PREFIX: dep.prefix or "",
        core_canary.ENV_MAX_DELIVERY_MINUTES: "30",
    }
    settings = CanarySettings.from_environment(env)
    report = run_and_publish(Clients.create(dep.session, REGION), settings, clock)
    if report.failed:
        raise canary.CanaryRunError("; ".join(report.findings.problems))
    return report.as_dict()


def test_settings_from_environment() -> None:
    settings = CanarySettings.from_environment(
        {
            core_canary.ENV_TRAIL_ARN: f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}",
            core_canary.ENV_BUCKET: "b",
            core_canary.ENV_PREFIX: "archive",
            core_canary.ENV_KMS_KEY: "arn:aws:kms:us-east-1:111111111111:alias/x",
            core_canary.ENV_ORGANIZATION: "true",
            core_canary.ENV_MAX_DELIVERY_MINUTES: "45",
        }
    )
    assert settings.expected.name == TRAIL
    assert settings.expected.prefix == "archive/"
    assert settings.expected.organization is True
    assert settings.max_delivery == timedelta(minutes=45)
    with pytest.raises(CanaryConfigError, match="EBTRAIL_TRAIL_ARN, EBTRAIL_BUCKET"):
        CanarySettings.from_environment({})
    with pytest.raises(CanaryConfigError, match="not a trail ARN"):
        CanarySettings.from_environment({core_canary.ENV_TRAIL_ARN: "ebtrail", core_canary.ENV_BUCKET: "b"})


def test_every_api_call_of_a_run_is_in_the_canary_permissions(session: boto3.Session, clock: FakeClock) -> None:
    kms = session.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    dep = healthy(session, kms_key=key)
    CloudTrailDouble(dep, clock, delay=300).install()
    api = ApiCalls(session)
    run_once(dep, clock, settings_for(dep, kms_key=key))
    clock.sleep(HOUR)
    run_once(dep, clock, settings_for(dep, kms_key=key))
    made = {(s, o) for s, o, _ in api.calls} - {("s3", "PutObject")}  # the double's delivery
    listed = {(svc, op) for g in CANARY_PERMISSIONS for svc, op, _ in g.api_calls}
    assert made <= listed | {("sts", "GetCallerIdentity")}, made - listed
    assert all(is_listed(s, o) or (s, o) in listed for s, o in made)


# --- the Lambda bundle ----------------------------------------------------------------------------------------


def test_the_handler_imports_without_click_rich_cryptography_or_cdk() -> None:
    """The Lambda Python runtime has boto3 but not the CLI's or the app's libraries: importing the handler in
    a fresh interpreter where those imports fail must work."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'click', 'rich', 'cryptography', 'aws_cdk', 'constructs', 'pydantic',"
        " 'jsii', 'cdk_nag'}:\n"
        "            raise ImportError(f'{name} is not in the Lambda runtime')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"import {canary.__name__} as c\n"
        "assert callable(c.handler)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_the_canary_module_imports_only_the_verifier_and_shared_facts() -> None:
    tree = ast.parse(Path(canary.__file__).read_text())
    roots = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0
    } | {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    standard = {"__future__", "json", "os", "re", "collections", "dataclasses", "datetime", "typing", "secrets"}
    assert roots <= standard | {"boto3", "botocore", "ebtrail", "mypy_boto3_elasticbeanstalk", "mypy_boto3_s3"}


# --- CloudWatch Logs delivery (issue 17 item 4) ---------------------------------------------------------------


def _cloudwatch_logs_error(parsed: dict[str, Any], **kwargs: Any) -> None:
    # What CloudTrail reports when it can no longer assume its CloudWatch Logs role or write the log group.
    parsed["LatestCloudWatchLogsDeliveryError"] = "AccessDeniedException"


def test_cloudwatch_logs_delivery_error_gives_delivery_errors_1(session: boto3.Session, clock: FakeClock) -> None:
    """With CloudWatch Logs delivery on, a broken delivery silences the CIS alarms (their missing data is not
    breaching): the canary must count LatestCloudWatchLogsDeliveryError, which it used to ignore."""
    dep = healthy(session)
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:aws-cloudtrail-logs-{TRAIL}:*"
    dep.session.client("cloudtrail", region_name=REGION).update_trail(
        Name=TRAIL,
        CloudWatchLogsLogGroupArn=log_group,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{TRAIL}-cloudwatch-logs",
    )
    session.events.register("after-call.cloudtrail.GetTrailStatus", _cloudwatch_logs_error)
    start = clock.now()
    report = run_once(dep, clock, settings_for(dep))
    assert report.delivery_errors == ["LatestCloudWatchLogsDeliveryError: AccessDeniedException"]
    assert metric(session, DELIVERY_ERRORS, start, clock.now(), "Maximum") == [1.0]
    assert report.findings.problems == []  # a trail problem is a metric, not a failed run


def test_cloudwatch_logs_error_without_a_log_group_is_not_counted(session: boto3.Session, clock: FakeClock) -> None:
    """A trail that delivers to S3 only has no CloudWatch Logs delivery to fail (a stale error from a log group
    removed on purpose is not an alarm)."""
    dep = healthy(session)
    session.events.register("after-call.cloudtrail.GetTrailStatus", _cloudwatch_logs_error)
    start = clock.now()
    report = run_once(dep, clock, settings_for(dep))
    assert report.delivery_errors == []
    assert metric(session, DELIVERY_ERRORS, start, clock.now(), "Maximum") == [0.0]


# --- fresh deploy and dead canary, under CloudWatch's alarm semantics (issue 17 item 7) ----------------------

PERIOD = timedelta(hours=1)
#: The ProbeArrived alarm as it was: Minimum < 1 for 2 of 2 periods, missing data breaching.
OLD_PROBE_ARRIVED = AlarmRule(PROBE_ARRIVED, "Minimum", "LessThanThreshold", 1, 2, "breaching")


def hourly_runs(dep: Deployment, clock: FakeClock, runs: int) -> None:
    """The schedule: the first run when the stack is deployed (Scheduler starts a rate schedule without a start
    date immediately), then one per period."""
    settings = settings_for(dep)
    for run in range(runs):
        if run:
            clock.sleep(PERIOD.total_seconds())
        run_once(dep, clock, settings)


def published(session: boto3.Session, name: str, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    return alarm_model.datapoints(session, REGION, TRAIL, name, start=start - PERIOD, end=end + PERIOD)


def test_a_fresh_deploy_notifies_nobody(session: boto3.Session, clock: FakeClock) -> None:
    """The alarms exist a few minutes before the schedule's first run; six healthy hours follow. No alarm may go
    to ALARM (or notify INSUFFICIENT_DATA). The old ProbeArrived alarm did, in the first hour."""
    dep = healthy(session)
    CloudTrailDouble(dep, clock, delay=300).install()
    deployed = clock.now() - timedelta(minutes=5)  # alarms created before the trail and the schedule
    hourly_runs(dep, clock, 6)
    end = clock.now() + timedelta(minutes=30)
    for name, rule in ALARM_RULES.items():
        model = alarm_model.replay(AlarmModel.of(rule, PERIOD), published(session, name, deployed, end), deployed, end)
        bad = [(t, s) for t, s in model.notifications if s != alarm_model.OK]
        assert bad == [], f"{name}: {alarm_model.describe(model)}"
    assert ALARM_RULES[CANARY_RAN].notify_insufficient_data
    old = alarm_model.replay(
        AlarmModel.of(OLD_PROBE_ARRIVED, PERIOD), published(session, PROBE_ARRIVED, deployed, end), deployed, end
    )
    assert old.notifications[0] == (deployed, alarm_model.ALARM)  # the page every fresh deploy used to send


@pytest.mark.parametrize(("started_minutes_ago", "late"), [(10, 0.0), (180, 1.0)])
def test_a_redeploy_over_an_old_digest_folder_is_late_only_from_its_start_logging_time(
    session: boto3.Session, started_minutes_ago: int, late: float
) -> None:
    """The trail was destroyed and deployed again under the same name: its digest folder holds the old trail's
    digests, the newest five hours old. The run judges lateness from GetTrailStatus StartLoggingTime: a trail that
    started logging ten minutes ago publishes DigestsLate 0 (the old run published 1, and its one-period alarm
    paged on the deploy), one that has logged for three hours without a digest publishes 1."""
    from ebtrail.core.canary import DIGESTS_LATE
    from ebtrail.verifier.integrity.keys import Location

    # Ten days after moto's LastModified stamps (the real time), so the old digest is not "delivered since the
    # previous run" (as in tests/verifier/test_canary_integrity.py).
    clock = FakeClock((datetime.now(UTC) + timedelta(days=10)).replace(minute=1, second=0, microsecond=0))
    dep = healthy(session)
    old_end = clock.now() - timedelta(hours=5)
    old_key = Location(dep.bucket, key_prefix(dep.prefix), None, ACCOUNT, REGION).digest_key(TRAIL, REGION, old_end)
    dep.s3.put_object(Bucket=dep.bucket, Key=old_key, Body=b"the destroyed trail's digest")
    started = clock.now() - timedelta(minutes=started_minutes_ago)

    def start_logging_time(parsed: dict[str, Any], **_: Any) -> None:
        parsed["StartLoggingTime"] = started

    session.events.register("after-call.cloudtrail.GetTrailStatus", start_logging_time)
    report = run_once(dep, clock, settings_for(dep))
    assert report.logging_started == started
    assert report.integrity is not None
    assert [(r.region, r.newest) for r in report.integrity.regions] == [(REGION, old_end.replace(microsecond=0))]
    assert metric(session, DIGESTS_LATE, clock.now(), clock.now(), "Maximum") == [late]


def test_a_dead_canary_notifies_within_three_periods(session: boto3.Session, clock: FakeClock) -> None:
    """Four healthy runs, then the schedule stops (disabled, deleted, Scheduler cannot invoke): the heartbeat
    alarm goes from OK to INSUFFICIENT_DATA, which notifies the alert topic."""
    dep = healthy(session)
    CloudTrailDouble(dep, clock, delay=300).install()
    deployed = clock.now() - timedelta(minutes=5)
    hourly_runs(dep, clock, 4)
    last_run = clock.now()
    end = last_run + 6 * PERIOD
    points = published(session, CANARY_RAN, deployed, end)
    assert [v for _, v in points] == [1.0] * 4  # every run, the first included, published the heartbeat
    model = alarm_model.replay(AlarmModel.of(ALARM_RULES[CANARY_RAN], PERIOD), points, deployed, end)
    assert [s for _, s in model.notifications] == [alarm_model.OK, alarm_model.INSUFFICIENT_DATA]
    went_silent_at = model.notifications[1][0]
    assert last_run + 2 * PERIOD <= went_silent_at <= last_run + 3 * PERIOD


def test_a_probe_not_delivered_alarms_after_its_run(session: boto3.Session, clock: FakeClock) -> None:
    """Missing ProbeArrived data is not breaching now, so the explicit 0 of a probe not delivered must alarm."""
    dep = healthy(session)
    CloudTrailDouble(dep, clock, delay=300, write=False).install()  # CloudTrail never delivers
    deployed = clock.now() - timedelta(minutes=5)
    hourly_runs(dep, clock, 3)
    end = clock.now() + timedelta(minutes=30)
    points = published(session, PROBE_ARRIVED, deployed, end)
    assert [v for _, v in points] == [0.0, 0.0]  # the first run has no earlier probe to judge
    model = alarm_model.replay(AlarmModel.of(ALARM_RULES[PROBE_ARRIVED], PERIOD), points, deployed, end)
    assert [s for _, s in model.notifications] == [alarm_model.OK, alarm_model.ALARM]
    assert model.notifications[1][0] <= deployed + PERIOD + timedelta(minutes=15)


# --- organization accounts the Athena table does not project (issue 17 item 11) -------------------------------


def test_organization_accounts_outside_the_projection_give_unprojected_accounts(
    session: boto3.Session, clock: FakeClock
) -> None:
    """An account created after the deploy has logs in the archive and none in any Athena query: the canary in
    the management account lists the organization's accounts and reports the ones the table does not project."""
    dep = healthy(session, org=True)
    organizations = session.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    listed = organizations.create_account(AccountName="listed", Email="listed@example.com")
    created_later = organizations.create_account(AccountName="later", Email="later@example.com")
    listed_id = listed["CreateAccountStatus"]["AccountId"]
    later_id = created_later["CreateAccountStatus"]["AccountId"]
    settings = replace(settings_for(dep), projected_accounts=(ACCOUNT, listed_id))
    start = clock.now()
    report = run_once(dep, clock, settings)
    assert report.unprojected_accounts == [later_id]
    assert any(later_id in w and "trail.members" in w for w in report.findings.warnings)
    assert metric(session, UNPROJECTED_ACCOUNTS, start, clock.now(), "Maximum") == [1.0]
    assert not report.failed

    clock.sleep(HOUR)  # the account is added to trail.members and the stack redeployed
    fixed = run_once(dep, clock, replace(settings, projected_accounts=(ACCOUNT, listed_id, later_id)))
    assert fixed.unprojected_accounts == []
    assert metric(session, UNPROJECTED_ACCOUNTS, start, clock.now(), "Maximum") == [1.0, 0.0]


def test_without_a_projection_the_organization_is_not_listed(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session)
    api = ApiCalls(session)
    report = run_once(dep, clock, settings_for(dep))
    assert report.unprojected_accounts is None
    assert ("organizations", "ListAccounts") not in {(s, o) for s, o, _ in api.calls}
    assert UNPROJECTED_ACCOUNTS not in report.as_dict()["metrics"]


def test_an_unreadable_organization_fails_the_run(session: boto3.Session, clock: FakeClock) -> None:
    dep = healthy(session, org=True)
    deny(session, "organizations", "ListAccounts")
    report = run_once(dep, clock, replace(settings_for(dep), projected_accounts=(ACCOUNT,)))
    assert report.failed and report.unprojected_accounts is None
    assert any("ListAccounts" in p for p in report.findings.problems)


def test_list_accounts_is_granted_only_with_the_projection() -> None:
    with_projection = core_canary.canary_permissions(organization_projection=True)
    listed = {(svc, op) for g in with_projection for svc, op, _ in g.api_calls}
    assert ("organizations", "ListAccounts") in listed
    [group] = [g for g in with_projection if g.sid == "ListOrganizationAccounts"]
    assert group.actions == ("organizations:ListAccounts",) and group.resources == ("*",)
    assert core_canary.canary_permissions(organization_projection=False) == CANARY_PERMISSIONS
    assert "ListOrganizationAccounts" not in {g.sid for g in CANARY_PERMISSIONS}


def test_projected_accounts_from_the_environment() -> None:
    env = {
        core_canary.ENV_TRAIL_ARN: f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}",
        core_canary.ENV_BUCKET: "b",
        core_canary.ENV_PROJECTED_ACCOUNTS: f"{ACCOUNT},{OTHER_ACCOUNT}",
    }
    assert CanarySettings.from_environment(env).projected_accounts == (ACCOUNT, OTHER_ACCOUNT)
    with pytest.raises(CanaryConfigError, match="EBTRAIL_PROJECTED_ACCOUNTS"):
        CanarySettings.from_environment(env | {core_canary.ENV_PROJECTED_ACCOUNTS: "12345"})
