"""Test doubles for ``verifier verify``: a fake clock, a deployment in moto, and a double that plays
CloudTrail (writes gzip log files in the documented key format and publishes the SNS notification).

Key formats are written out here independently of :mod:`ebtrail.verifier.records`, so that a wrong key builder in the
verifier makes the tests fail instead of agreeing with itself.
"""

from __future__ import annotations

import gzip
import json
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

ACCOUNT = "123456789012"  # moto's default account
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
ORG_ID = "o-a1b2c3d4e5"
BUCKET = "ebtrail-logs-test"
TRAIL = "ebtrail-test"
TOPIC = "ebtrail-delivery"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"


class FakeClock:
    """Wall and monotonic time that only move when the verifier sleeps; callbacks run at scheduled times."""

    def __init__(self, start: datetime) -> None:
        self._wall0 = start
        self._mono = 1000.0
        self._mono0 = self._mono
        self._events: list[tuple[float, int, Callable[[], object]]] = []
        self._seq = 0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=self._mono - self._mono0)

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self._mono + max(0.0, seconds)
        while True:
            due = sorted(e for e in self._events if e[0] <= target)
            if not due:
                break
            when, seq, fn = due[0]
            self._events.remove((when, seq, fn))
            self._mono = max(self._mono, when)
            fn()
        self._mono = target

    def after(self, seconds: float, fn: Callable[[], object]) -> None:
        self._seq += 1
        self._events.append((self._mono + seconds, self._seq, fn))


def random_suffix(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))


def key_for(
    account: str,
    region: str,
    delivered: datetime,
    suffix: str,
    *,
    prefix: str | None = None,
    org_id: str | None = None,
) -> str:
    """The documented key format, written out by hand."""
    head = f"{prefix}/" if prefix else ""
    org = f"{org_id}/" if org_id else ""
    d = delivered.astimezone(UTC)
    return (
        f"{head}AWSLogs/{org}{account}/CloudTrail/{region}/{d.year:04d}/{d.month:02d}/{d.day:02d}/"
        f"{account}_CloudTrail_{region}_{d.strftime('%Y%m%dT%H%M')}Z_{suffix}.json.gz"
    )


def unrelated_record(rng: random.Random, when: datetime, account: str = ACCOUNT) -> dict[str, Any]:
    source, name = rng.choice(
        [
            ("elasticbeanstalk.amazonaws.com", "DescribeApplications"),
            ("elasticbeanstalk.amazonaws.com", "CreateApplication"),  # someone else's application
            ("s3.amazonaws.com", "GetBucketAcl"),
            ("ec2.amazonaws.com", "DescribeInstances"),
            ("codedeploy.amazonaws.com", "CreateApplication"),
        ]
    )
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{account}:user/someone", "accountId": account},
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "requestParameters": {"applicationName": f"app-{rng.randrange(10**6)}"},
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }


def gz_log(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())


@dataclass
class Deployment:
    session: boto3.Session
    trail_name: str = TRAIL
    trail_arn: str = ""
    bucket: str = BUCKET
    prefix: str | None = None
    topic_arn: str | None = None
    org: bool = False

    @property
    def s3(self) -> Any:
        return self.session.client("s3", region_name=REGION)

    @property
    def sns(self) -> Any:
        return self.session.client("sns", region_name=REGION)

    @property
    def sqs(self) -> Any:
        return self.session.client("sqs", region_name=REGION)

    @property
    def eb(self) -> Any:
        return self.session.client("elasticbeanstalk", region_name=REGION)

    def leftovers(self) -> dict[str, list[str]]:
        """What a verification may have left behind: applications, queues and subscriptions."""
        apps = [a["ApplicationName"] for a in self.eb.describe_applications().get("Applications", [])]
        queues = self.sqs.list_queues().get("QueueUrls", [])
        subs = [s["Endpoint"] for s in self.sns.list_subscriptions().get("Subscriptions", [])]
        return {"applications": apps, "queues": queues, "subscriptions": subs}


def deploy(
    session: boto3.Session,
    *,
    prefix: str | None = None,
    topic: bool = True,
    logging: bool = True,
    org: bool = False,
    kms_key: str | None = None,
    multi_region: bool = True,
) -> Deployment:
    s3 = session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    topic_arn = None
    kwargs: dict[str, Any] = {
        "Name": TRAIL,
        "S3BucketName": BUCKET,
        "IsMultiRegionTrail": multi_region,
        "IsOrganizationTrail": org,
    }
    if topic:
        topic_arn = session.client("sns", region_name=REGION).create_topic(Name=TOPIC)["TopicArn"]
        kwargs["SnsTopicName"] = TOPIC
    if prefix:
        kwargs["S3KeyPrefix"] = prefix
    if kms_key:
        kwargs["KmsKeyId"] = kms_key
    ct = session.client("cloudtrail", region_name=REGION)
    arn = ct.create_trail(**kwargs)["TrailARN"]
    if logging:
        ct.start_logging(Name=TRAIL)
    return Deployment(session=session, trail_arn=arn, prefix=prefix, topic_arn=topic_arn, org=org)


@dataclass
class CallSeen:
    request_id: str
    application_name: str
    at: datetime


@dataclass
class CloudTrailDouble:
    """Plays CloudTrail. After the verifier's ``CreateApplication`` (seen through a botocore ``after-call`` hook)
    it schedules, ``delay`` fake seconds later, a log file holding the matching record among ``noise`` unrelated
    ones (plus a duplicate of the matching record), written to S3 when ``write`` and announced on SNS when
    ``notify``. ``extra_keys``: other keys announced in the same notification."""

    deployment: Deployment
    clock: FakeClock
    delay: float = 30.0
    write: bool = True
    notify: bool = True
    noise: int = 200
    org_id: str | None = None
    match_request_id: bool = True
    extra_notified_keys: list[str] = field(default_factory=list)
    seed: int = 7
    calls: list[CallSeen] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    on_delivery: Callable[[datetime], None] | None = None

    def install(self, watch: boto3.Session | None = None) -> CloudTrailDouble:
        """Watch ``watch`` (default: the deployment's session) for the verifier's call."""
        (watch or self.deployment.session).events.register(
            "after-call.elastic-beanstalk.CreateApplication", self._after_call, unique_id="cloudtrail-double"
        )
        return self

    def _after_call(self, http_response: Any, parsed: dict[str, Any], **kwargs: Any) -> None:
        if http_response.status_code >= 300:
            return
        name = parsed["Application"]["ApplicationName"]
        call = CallSeen(parsed["ResponseMetadata"]["RequestId"], name, self.clock.now())
        self.calls.append(call)
        if self.delay <= 0:
            self.deliver(call)  # at once (for runs with the real clock)
        else:
            self.clock.after(self.delay, lambda: self.deliver(call))

    def matching_record(self, call: CallSeen) -> dict[str, Any]:
        return {
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/verifier", "accountId": ACCOUNT},
            "eventTime": call.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "elasticbeanstalk.amazonaws.com",
            "eventName": "CreateApplication",
            "awsRegion": REGION,
            "sourceIPAddress": "203.0.113.9",
            "userAgent": "Boto3/1.44.8 ebtrail-verifier/0.1",
            "requestParameters": {"applicationName": call.application_name, "description": "..."},
            "responseElements": {"application": {"applicationName": call.application_name}},
            "requestID": call.request_id if self.match_request_id else str(uuid.uuid4()),
            "eventID": "0e6f3c2a-1111-4444-8888-000000000001",
            "eventType": "AwsApiCall",
            "recipientAccountId": ACCOUNT,
        }

    def deliver(self, call: CallSeen) -> None:
        rng = random.Random(self.seed)
        when = self.clock.now()
        if self.on_delivery:
            self.on_delivery(when)
        records = [unrelated_record(rng, call.at) for _ in range(self.noise)]
        match = self.matching_record(call)
        records.insert(rng.randrange(len(records) + 1), match)
        records.append(dict(match))  # CloudTrail may deliver a record twice
        rng.shuffle(records)
        key = key_for(ACCOUNT, REGION, when, random_suffix(rng), prefix=self.deployment.prefix, org_id=self.org_id)
        if self.write:
            self.deployment.s3.put_object(Bucket=self.deployment.bucket, Key=key, Body=gz_log(records))
        self.delivered.append(key)
        if self.notify and self.deployment.topic_arn:
            message = json.dumps({"s3Bucket": self.deployment.bucket, "s3ObjectKey": [*self.extra_notified_keys, key]})
            self.deployment.sns.publish(TopicArn=self.deployment.topic_arn, Message=message)


class ApiCalls:
    """Records every API call made through a session's clients: ``(service, operation, params)``."""

    def __init__(self, session: boto3.Session) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        session.events.register("provide-client-params.*.*", self._record, unique_id="api-call-recorder")

    def _record(self, params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name, dict(params)))

    def count(self, service: str, operation: str | None = None) -> int:
        return sum(1 for s, o, _ in self.calls if s == service and (operation is None or o == operation))

    def keys_read(self) -> list[str]:
        return [p["Key"] for s, o, p in self.calls if s == "s3" and o == "GetObject"]


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""


def deny(
    session: boto3.Session, service_id: str, operation: str, *, message: str | None = None, code: str = "AccessDenied"
) -> None:
    """Make every ``operation`` call answer 403 ``code`` (as IAM would without the permission)."""

    def handler(**kwargs: Any) -> tuple[_Http, dict[str, Any]]:
        return _Http(403), {
            "Error": {"Code": code, "Message": message or f"User is not authorized to perform: {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": 403, "RequestId": "denied"},
        }

    # botocore-stubs types handlers as returning None; a before-call handler may return a response
    event = f"before-call.{service_id}.{operation}"
    session.events.register(event, handler, unique_id=f"deny-{service_id}-{operation}")  # type: ignore[arg-type]
