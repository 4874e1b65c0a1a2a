"""End-to-end runs of the verifier against moto, with a double that plays CloudTrail and a fake clock."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ebtrail.verifier.aws import Clients
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.verify.report import Outcome, VerificationResult
from ebtrail.verifier.verify.run import Settings, run
from tests.verifier.verify_double import (
    ACCOUNT,
    BUCKET,
    KEY_ARN,
    ORG_ID,
    OTHER_ACCOUNT,
    OTHER_REGION,
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

NOTHING_LEFT: dict[str, list[str]] = {"applications": [], "queues": [], "subscriptions": []}


def verify(dep: Deployment, clock: FakeClock, settings: Settings, trail: str = TRAIL) -> VerificationResult:
    return run(dep.session, trail, REGION, settings=settings, clock=clock)


def assert_clean(dep: Deployment) -> None:
    assert dep.leftovers() == NOTHING_LEFT


# --- arrival through each channel ---------------------------------------------------------------------------


def test_arrival_through_s3_without_topic(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session, topic=False, prefix="archive")
    double = CloudTrailDouble(dep, clock, delay=300).install()
    api = ApiCalls(session)

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.ARRIVED
    out = result.to_json()
    assert out["confirmed"] is True
    assert out["request_id"] == double.calls[0].request_id
    assert out["event_name"] == "CreateApplication"
    assert out["log_file"] == {"bucket": BUCKET, "key": double.delivered[0]}
    assert out["log_file"]["key"].startswith(f"archive/AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/03/14/")
    assert out["record"]["requestID"] == double.calls[0].request_id
    assert out["matched_by"] == "requestID"
    # found at the first S3 poll after the delivery (10 s interval)
    assert 300 <= out["seconds_to_arrival"]["s3"] <= 310
    assert out["seconds_to_arrival"]["sns"] is None
    assert out["channels"]["sns"]["state"] == "unavailable"
    assert out["problems"] == []
    assert clock.monotonic() - 1000.0 <= 320
    assert_clean(dep)
    # one listing per poll: requests do not depend on what the folder held before
    assert api.count("s3", "ListObjectsV2") == result.channels["s3"].polls
    assert api.keys_read() == double.delivered


def test_arrival_through_sns(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)
    double = CloudTrailDouble(dep, clock, delay=123).install()
    settings = Settings(**{**fast.__dict__, "s3_interval": 100_000.0})  # S3 looks once, before delivery

    result = verify(dep, clock, settings)

    assert result.outcome == Outcome.ARRIVED
    assert result.confirmation is not None
    assert result.confirmation.channel == "sns"
    assert result.confirmation.log_file is not None
    assert result.confirmation.log_file.key == double.delivered[0]
    secs = result.to_json()["seconds_to_arrival"]
    assert 123 <= secs["sns"] <= 123 + fast.sns_interval
    # the final round lets S3 report too
    assert secs["s3"] is not None and secs["s3"] >= secs["sns"]
    assert result.cleanup.queue_deleted is True and result.cleanup.unsubscribed is True
    assert_clean(dep)


def test_sns_ignores_validation_message_and_other_accounts_keys(
    session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    dep = deploy(session)
    other = key_for(OTHER_ACCOUNT, REGION, clock.now() + timedelta(seconds=60), "A" * 16)
    other_region = key_for(ACCOUNT, OTHER_REGION, clock.now() + timedelta(seconds=60), "B" * 16)
    dep.s3.put_object(Bucket=BUCKET, Key=other, Body=gz_log([]))
    dep.s3.put_object(Bucket=BUCKET, Key=other_region, Body=gz_log([]))
    double = CloudTrailDouble(dep, clock, delay=60, extra_notified_keys=[other, other_region])
    double.install()
    clock.after(5, lambda: dep.sns.publish(TopicArn=dep.topic_arn, Message="CloudTrail validation message."))
    api = ApiCalls(session)
    settings = Settings(**{**fast.__dict__, "s3_interval": 100_000.0})

    result = verify(dep, clock, settings)

    assert result.outcome == Outcome.ARRIVED
    assert result.confirmation is not None and result.confirmation.channel == "sns"
    assert other not in api.keys_read() and other_region not in api.keys_read()
    assert api.keys_read() == double.delivered
    assert_clean(dep)


def lookup_response(record: dict[str, Any] | None) -> dict[str, Any]:
    events = []
    if record is not None:
        events.append(
            {
                "EventId": record["eventID"],
                "EventName": record["eventName"],
                "EventSource": record["eventSource"],
                "CloudTrailEvent": json.dumps(record),
            }
        )
    return {"Events": events}


def test_arrival_through_event_history(
    monkeypatch: pytest.MonkeyPatch, session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    dep = deploy(session)
    double = CloudTrailDouble(dep, clock, delay=400).install()
    pending: list[dict[str, Any]] = []
    # CloudTrail shows the event in event history after 40 s; polls are every 15 s
    clock.after(40, lambda: pending.append(double.matching_record(double.calls[0])))

    client = session.client("cloudtrail", region_name=REGION)
    stubber = Stubber(client)
    calls = {"n": 0}

    def respond(**kwargs: Any) -> None:
        calls["n"] += 1
        stubber.add_response("lookup_events", lookup_response(pending[0] if pending else None))

    client.meta.events.register("provide-client-params.cloudtrail.LookupEvents", respond)
    stubber.activate()
    monkeypatch.setattr(Clients, "event_history", lambda self: client)

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.ARRIVED
    assert result.history is not None, (result.channels, result.findings)
    assert result.history.record["requestID"] == double.calls[0].request_id
    secs = result.to_json()["seconds_to_arrival"]
    assert 40 <= secs["event_history"] <= 40 + fast.event_history_interval
    assert secs["event_history"] < secs["sns"]
    assert result.confirmation is not None and result.confirmation.log_file is not None
    assert calls["n"] >= 3
    assert_clean(dep)


def test_event_history_alone_is_not_confirmation(
    monkeypatch: pytest.MonkeyPatch, session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    dep = deploy(session)
    double = CloudTrailDouble(dep, clock, delay=10, write=False, notify=False).install()
    client = session.client("cloudtrail", region_name=REGION)
    stubber = Stubber(client)

    def respond(**kwargs: Any) -> None:
        stubber.add_response("lookup_events", lookup_response(double.matching_record(double.calls[0])))

    client.meta.events.register("provide-client-params.cloudtrail.LookupEvents", respond)
    stubber.activate()
    monkeypatch.setattr(Clients, "event_history", lambda self: client)
    settings = Settings(**{**fast.__dict__, "timeout": 120.0})

    result = verify(dep, clock, settings)

    assert result.exit_code == ExitCode.TIMEOUT
    out = result.to_json()
    assert out["confirmed"] is False and out["log_file"] is None
    assert out["seconds_to_arrival"]["event_history"] is not None
    assert any("event history shows the call" in p for p in out["problems"])
    assert_clean(dep)


def test_application_name_fallback(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session, topic=False)
    double = CloudTrailDouble(dep, clock, delay=60, match_request_id=False).install()

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.ARRIVED
    assert result.confirmation is not None
    assert result.confirmation.matched_by == "applicationName"
    assert result.confirmation.record["requestParameters"]["applicationName"] == double.calls[0].application_name
    assert_clean(dep)


# --- key layouts -----------------------------------------------------------------------------------------------


def test_organization_trail_keys(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session, org=True, topic=False, prefix="org")
    # the organization's folder exists already (other members' files), with another org as noise
    dep.s3.put_object(
        Bucket=BUCKET,
        Key=key_for(OTHER_ACCOUNT, REGION, clock.now() - timedelta(hours=2), "C" * 16, prefix="org", org_id=ORG_ID),
        Body=gz_log([]),
    )
    double = CloudTrailDouble(dep, clock, delay=200, org_id=ORG_ID).install()
    api = ApiCalls(session)

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.ARRIVED
    assert result.confirmation is not None and result.confirmation.log_file is not None
    assert result.confirmation.log_file.key == double.delivered[0]
    assert result.confirmation.log_file.key.startswith(f"org/AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail/{REGION}/")
    assert api.keys_read() == double.delivered
    assert_clean(dep)


def test_day_boundary(session: boto3.Session, fast: Settings) -> None:
    clock = FakeClock(datetime(2026, 3, 14, 23, 58, 30, tzinfo=UTC))
    dep = deploy(session, topic=False)
    double = CloudTrailDouble(dep, clock, delay=330).install()  # delivered at 00:04 the next day
    api = ApiCalls(session)

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.ARRIVED
    assert result.confirmation is not None and result.confirmation.log_file is not None
    assert "/2026/03/15/" in result.confirmation.log_file.key
    prefixes = {p["Prefix"] for s, o, p in api.calls if o == "ListObjectsV2"}
    assert f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/03/14/" in prefixes
    assert f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/03/15/" in prefixes
    # the next day's folder is listed from its beginning, the call's day from the call time less the margin
    starts = {p["Prefix"]: p.get("StartAfter") for s, o, p in api.calls if o == "ListObjectsV2"}
    assert str(starts[f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/03/14/"]).endswith("_20260314T2356Z")
    assert result.confirmation.log_file.key == double.delivered[0]
    assert_clean(dep)


def test_day_boundary_not_listed_at_midday(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session, topic=False)
    CloudTrailDouble(dep, clock, delay=60).install()
    api = ApiCalls(session)

    verify(dep, clock, fast)

    prefixes = {p["Prefix"] for s, o, p in api.calls if o == "ListObjectsV2"}
    assert prefixes == {f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/03/14/"}


# --- noise -----------------------------------------------------------------------------------------------------


def test_noise_is_skipped(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    import random

    dep = deploy(session)
    rng = random.Random(1)
    now = clock.now()
    earlier = [key_for(ACCOUNT, REGION, now - timedelta(minutes=m), f"E{m:015d}") for m in (5, 30, 600)]
    for k in earlier:
        dep.s3.put_object(Bucket=BUCKET, Key=k, Body=gz_log([unrelated_record(rng, now)]))
    folder = f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/03/14/"
    later = now + timedelta(seconds=40)
    corrupt = key_for(ACCOUNT, REGION, later, "X" * 16)
    not_json = key_for(ACCOUNT, REGION, later, "Y" * 16)
    foreign = folder + "README.txt"
    other_account = key_for(OTHER_ACCOUNT, REGION, later, "Z" * 16)
    other_region = key_for(ACCOUNT, OTHER_REGION, later, "W" * 16)

    def noise() -> None:
        dep.s3.put_object(Bucket=BUCKET, Key=corrupt, Body=b"\x1f\x8b\x08\x00garbage" + bytes(range(50)))
        dep.s3.put_object(Bucket=BUCKET, Key=not_json, Body=gzip.compress(b"<html>not json</html>"))
        dep.s3.put_object(Bucket=BUCKET, Key=foreign, Body=b"hello")
        dep.s3.put_object(Bucket=BUCKET, Key=other_account, Body=gz_log([unrelated_record(rng, now)]))
        dep.s3.put_object(Bucket=BUCKET, Key=other_region, Body=gz_log([unrelated_record(rng, now)]))

    clock.after(40, noise)
    double = CloudTrailDouble(dep, clock, delay=250, notify=False, noise=2000).install()
    api = ApiCalls(session)

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.ARRIVED
    assert result.confirmation is not None and result.confirmation.log_file is not None
    assert result.confirmation.log_file.key == double.delivered[0]
    assert result.confirmation.record["requestID"] == double.calls[0].request_id
    read = api.keys_read()
    assert not set(read) & set(earlier), "files delivered before the call are not read"
    assert other_account not in read and other_region not in read and foreign not in read
    assert sorted(read) == sorted([corrupt, not_json, double.delivered[0]])
    warnings = "\n".join(result.findings.warnings)
    assert f"skipped s3://{BUCKET}/{corrupt}: not a gzip stream" in warnings
    assert f"skipped s3://{BUCKET}/{not_json}" in warnings
    assert f"skipped s3://{BUCKET}/{foreign}: not a CloudTrail log file name" in warnings
    assert result.findings.problems == []
    assert_clean(dep)


# --- nothing arrives, misconfiguration ---------------------------------------------------------------------


def test_nothing_arrives_times_out(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)
    settings = Settings(**{**fast.__dict__, "timeout": 90.0})
    api = ApiCalls(session)

    result = verify(dep, clock, settings)

    assert result.exit_code == ExitCode.TIMEOUT
    out = result.to_json()
    assert out["confirmed"] is False
    assert out["log_file"] is None and out["record"] is None
    assert out["seconds_to_arrival"] == {"s3": None, "sns": None, "event_history": None}
    assert out["problems"] == ["no log file holding the record arrived within 90s"]
    assert out["channels"]["s3"]["state"] == "not seen"
    assert out["channels"]["sns"]["state"] == "not seen"
    # within the timeout (fake time), and it kept looking until then
    assert 85 <= clock.monotonic() - 1000.0 <= 90
    assert api.count("s3", "ListObjectsV2") >= 9
    assert out["cleanup"] == {"application_deleted": True, "queue_deleted": True, "unsubscribed": True}
    assert_clean(dep)


def test_trail_not_logging(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session, logging=False)
    api = ApiCalls(session)

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert any("is not logging" in p for p in result.to_json()["problems"])
    assert api.count("elasticbeanstalk") == 0, "no call is made for a trail that cannot record it"
    assert api.count("sqs") == 0
    assert_clean(dep)


def test_trail_missing(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)

    result = verify(dep, clock, fast, trail="no-such-trail")

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert result.to_json()["problems"][0].startswith("trail 'no-such-trail' not found")
    assert_clean(dep)


def test_single_region_trail_elsewhere(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session, multi_region=False)

    result = run(session, dep.trail_arn, OTHER_REGION, settings=fast, clock=clock)

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert any("single-region trail in us-east-1" in p for p in result.findings.problems)


def test_delivery_error_reported(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)

    def inject(parsed: dict[str, Any], **kwargs: Any) -> None:
        parsed["LatestDeliveryError"] = "AccessDenied"

    session.events.register("after-call.cloudtrail.GetTrailStatus", inject)

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert any("LatestDeliveryError 'AccessDenied'" in p for p in result.findings.problems)
    assert_clean(dep)


def test_event_selectors_without_write_events(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)
    session.client("cloudtrail", region_name=REGION).put_event_selectors(
        TrailName=TRAIL, EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]
    )

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert any("no management write events" in p for p in result.findings.problems)


# --- access denied ---------------------------------------------------------------------------------------------


def test_access_denied_on_get_trail(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)
    deny(session, "cloudtrail", "GetTrail")

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert result.findings.problems[0].startswith(f"missing permission cloudtrail:GetTrail on {TRAIL}")
    assert_clean(dep)


def test_access_denied_on_create_application(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)
    deny(session, "elastic-beanstalk", "CreateApplication")

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert any("missing permission elasticbeanstalk:CreateApplication" in p for p in result.findings.problems)
    assert result.cleanup.queue_deleted is True, "the queue made before the call is removed"
    assert_clean(dep)


def test_access_denied_on_subscribe_keeps_other_channels(
    session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    dep = deploy(session)
    CloudTrailDouble(dep, clock, delay=60).install()
    deny(session, "sns", "Subscribe")

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.ARRIVED
    assert result.confirmation is not None and result.confirmation.channel == "s3"
    assert result.channels["sns"].state == "unavailable"
    assert any(f"missing permission sns:Subscribe on {dep.topic_arn}" in p for p in result.to_json()["problems"]), (
        result.findings.problems
    )
    assert result.cleanup.queue_deleted is True
    assert_clean(dep)


def test_access_denied_on_list_without_topic(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session, topic=False, prefix="archive")
    CloudTrailDouble(dep, clock, delay=60).install()
    deny(session, "s3", "ListObjectsV2")

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.MISCONFIGURED
    assert any(
        p.startswith(f"S3 channel unavailable: missing permission s3:ListBucket on arn:aws:s3:::{BUCKET}")
        for p in result.findings.problems
    )
    assert clock.monotonic() - 1000.0 < 60, "gives up at once when no channel can read log files"
    assert_clean(dep)


def test_kms_key_named_when_log_file_cannot_be_decrypted(
    session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    dep = deploy(session, topic=False, kms_key=KEY_ARN)
    CloudTrailDouble(dep, clock, delay=60).install()
    deny(
        session,
        "s3",
        "GetObject",
        message=f"User: arn:aws:iam::{ACCOUNT}:user/v is not authorized to perform: kms:Decrypt on resource: {KEY_ARN}",
    )

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.MISCONFIGURED
    text = "\n".join(result.findings.problems)
    assert f"encrypted with KMS key {KEY_ARN}" in text
    assert "kms:Decrypt" in text
    assert_clean(dep)


# --- Ctrl-C ------------------------------------------------------------------------------------------------------


def test_keyboard_interrupt_cleans_up(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)
    CloudTrailDouble(dep, clock, delay=500).install()

    def interrupt() -> None:
        raise KeyboardInterrupt

    clock.after(45, interrupt)
    assert dep.leftovers() == NOTHING_LEFT

    result = verify(dep, clock, fast)

    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.call is not None
    assert result.to_json()["cleanup"] == {"application_deleted": True, "queue_deleted": True, "unsubscribed": True}
    assert_clean(dep)


def test_cleanup_never_deletes_foreign_applications(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)
    dep.eb.create_application(ApplicationName="ebtrail-verify-20260101T000000Z-someoneelse", Description="x")
    dep.eb.create_application(ApplicationName="production-app", Description="x")
    settings = Settings(**{**fast.__dict__, "timeout": 30.0})

    verify(dep, clock, settings)

    assert sorted(dep.leftovers()["applications"]) == [
        "ebtrail-verify-20260101T000000Z-someoneelse",
        "production-app",
    ]
