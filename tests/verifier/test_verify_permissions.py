"""ebtrail.core.permissions is the single source of truth of the verifier's IAM policy: every API call the verifier
makes must be listed there, with the resource patterns the policy builder expects."""

from __future__ import annotations

import gzip
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ebtrail.core import permissions
from ebtrail.verifier.aws import Clients
from ebtrail.verifier.cli.verify import check_integrity
from ebtrail.verifier.integrity import Status
from ebtrail.verifier.verify.run import Settings, run
from tests.verifier.integrity_fixtures import SigningKey, TrailWriter
from tests.verifier.verify_double import BUCKET, REGION, TRAIL, ApiCalls, CloudTrailDouble, FakeClock, deploy


def test_every_api_call_of_a_full_run_is_listed(
    monkeypatch: pytest.MonkeyPatch, session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    admin = boto3.Session(region_name=REGION)  # set-up and the double's writes, not counted
    dep = deploy(admin, prefix="archive")
    CloudTrailDouble(dep, clock, delay=60).install(watch=session)
    api = ApiCalls(session)  # before any client of the run is created
    history = session.client("cloudtrail", region_name=REGION)
    stubber = Stubber(history)
    for _ in range(10):
        stubber.add_response("lookup_events", {"Events": []})
    stubber.activate()
    monkeypatch.setattr(Clients, "event_history", lambda self: history)

    result = run(session, TRAIL, REGION, settings=fast, clock=clock)

    assert result.confirmed
    made = {(s, o) for s, o, _ in api.calls}
    assert {("cloudtrail", "LookupEvents"), ("sqs", "CreateQueue"), ("elasticbeanstalk", "DeleteApplication")} <= made
    unlisted = sorted(f"{s}:{o}" for s, o in made if not permissions.is_listed(s, o))
    # the test's own calls (moto set-up through the same session) are made before ApiCalls is installed
    assert unlisted == []


def test_every_api_call_of_an_integrity_run_is_listed(
    monkeypatch: pytest.MonkeyPatch, session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    """``verify --integrity``: the run, then the integrity check of the log file that confirmed it, through the
    same session; every call of both (ListPublicKeys, HeadObject, the digest reads) must be granted."""
    admin = boto3.Session(region_name=REGION)  # set-up and the doubles' writes, not counted
    dep = deploy(admin, prefix="archive")
    double = CloudTrailDouble(dep, clock, delay=60).install(watch=session)
    api = ApiCalls(session)
    history = session.client("cloudtrail", region_name=REGION)
    history_stub = Stubber(history)
    for _ in range(10):
        history_stub.add_response("lookup_events", {"Events": []})
    history_stub.activate()
    monkeypatch.setattr(Clients, "event_history", lambda self: history)
    result = run(session, TRAIL, REGION, settings=fast, clock=clock)
    assert result.confirmed and result.trail is not None

    # CloudTrail's hourly digest that lists the delivered log file, signed with a key ListPublicKeys returns.
    s3 = admin.client("s3", region_name=REGION)
    log_key = double.delivered[0]
    content = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=log_key)["Body"].read())
    signing = SigningKey.generate()
    writer = TrailWriter(s3=s3, key=signing, bucket=BUCKET, prefix="archive", trail=TRAIL)
    hour = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    previous = writer.put_digest(hour - timedelta(hours=1), [])
    writer.put_digest(hour, [(log_key, hashlib.sha256(content).hexdigest())], previous=previous)
    writer.put_digest(hour + timedelta(hours=1), [], previous=writer.digests[-1])

    real_cloudtrail = Clients.cloudtrail
    stubs: dict[str, Stubber] = {}

    def stubbed_cloudtrail(self: Clients, region: str | None = None) -> Any:
        """moto has no ListPublicKeys: the integrity check's CloudTrail client answers from a Stubber."""
        region = region or self.region
        client = real_cloudtrail(self, region)
        if region not in stubs:
            stubs[region] = Stubber(client)
            key = {
                "Value": signing.der,
                "Fingerprint": signing.fingerprint,
                "ValidityStartTime": hour - timedelta(days=1),
                "ValidityEndTime": hour + timedelta(days=1),
            }
            for _ in range(3):
                stubs[region].add_response("list_public_keys", {"PublicKeyList": [key]})
            stubs[region].activate()
        return client

    monkeypatch.setattr(Clients, "cloudtrail", stubbed_cloudtrail)
    report = check_integrity(session, result, wait=0)

    assert report is not None and not report.errors, report and report.errors
    assert {f.status for f in report.files} == {Status.VALID}
    made = {(s, o) for s, o, _ in api.calls}
    assert {("cloudtrail", "ListPublicKeys"), ("cloudtrail", "GetTrail")} <= made
    unlisted = sorted(f"{s}:{o}" for s, o in made if not permissions.is_listed(s, o))
    assert unlisted == []


def test_actions_and_resources() -> None:
    groups = {g.sid: g for g in permissions.PERMISSIONS}
    assert len(groups) == len(permissions.PERMISSIONS), "unique Sids"
    probe = groups["ProbeApplication"]
    assert set(probe.actions) == {
        "elasticbeanstalk:CreateApplication",
        "elasticbeanstalk:DescribeApplications",
        "elasticbeanstalk:DeleteApplication",
    }
    assert probe.resources == ("arn:${Partition}:elasticbeanstalk:*:${Account}:application/ebtrail-verify-*",)
    assert groups["NotificationQueue"].resources == ("arn:${Partition}:sqs:*:${Account}:ebtrail-verify-*",)
    assert groups["EventHistory"].resources == ("*",)
    listing = groups["ListLogPrefix"]
    assert listing.actions == ("s3:ListBucket",)
    assert listing.conditions[0].key == "s3:prefix"
    assert groups["DecryptLogFiles"].conditions[0].key == "kms:ViaService"
    for g in permissions.PERMISSIONS:
        assert g.purpose and g.actions and g.resources
        for _, _, action in g.api_calls:
            assert action in g.actions, f"{g.sid}: {action} is used but not granted"
    assert "s3:PutObject" not in permissions.all_actions()
    assert not any(a.endswith("*") for a in permissions.all_actions())


def test_render_and_table() -> None:
    values = {"Partition": "aws", "Account": "123456789012", "Bucket": "b", "Prefix": "archive/"}
    rendered = permissions.render(permissions.PERMISSIONS[2].conditions[0].values[0], values)
    assert rendered == "archive/AWSLogs/*"
    with pytest.raises(KeyError):
        permissions.render("${Nope}", values)
    table = permissions.markdown_table()
    for g in permissions.PERMISSIONS:
        assert f"| {g.sid} |" in table
    root = Path(__file__).resolve().parents[2]
    for doc in ("docs/verifier.md",):
        assert table in (root / doc).read_text(), f"{doc}: regenerate the table from ebtrail.core.permissions"


def test_action_names_for_diagnoses() -> None:
    assert permissions.action_for_api_call("s3", "ListObjectsV2") == "s3:ListBucket"
    assert permissions.action_for_api_call("sqs", "DeleteMessageBatch") == "sqs:DeleteMessage"
    assert permissions.action_for_api_call("cloudtrail", "GetTrail") == "cloudtrail:GetTrail"
