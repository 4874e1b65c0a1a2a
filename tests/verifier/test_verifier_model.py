"""One domain model for every ``ebtrail-verify`` command and the canary: one :class:`TrailInfo` read from one
``GetTrail`` reader, one :class:`Clients` with one client configuration, answers that are not AWS's reported
(never a traceback) wherever a trail or a policy is read, and a closed stdout pipe that ends a run quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from ebtrail.lambdas.canary import CanarySettings, ExpectedTrail, run_canary
from ebtrail.verifier.aws import TOTAL_MAX_ATTEMPTS, USER_AGENT_EXTRA, Clients, is_transient
from ebtrail.verifier.integrity import ExitCode, verify_integrity
from ebtrail.verifier.integrity.aws import TrailConfigError, resolve_trail
from ebtrail.verifier.preflight.deployed import trail_from_account
from ebtrail.verifier.trail_info import TrailInfo, read_trail
from tests.verifier.conftest import START
from tests.verifier.verify_double import ACCOUNT, BUCKET, REGION, TRAIL, FakeClock, deploy

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"

GET_TRAIL_ANSWER: dict[str, Any] = {
    "Name": TRAIL,
    "S3BucketName": BUCKET,
    "S3KeyPrefix": "archive",
    "SnsTopicARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:delivery",
    "IsMultiRegionTrail": True,
    "HomeRegion": REGION,
    "TrailARN": TRAIL_ARN,
    "LogFileValidationEnabled": True,
    "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "IsOrganizationTrail": False,
}


# --- one TrailInfo --------------------------------------------------------------------------------------------


def test_a_get_trail_answer_is_read_into_every_field() -> None:
    info = TrailInfo.from_get_trail(GET_TRAIL_ANSWER)
    assert info == TrailInfo(
        name=TRAIL,
        arn=TRAIL_ARN,
        home_region=REGION,
        account=ACCOUNT,
        partition="aws",
        bucket=BUCKET,
        prefix="archive/",  # S3KeyPrefix "archive" in the inside form (ebtrail.core.cloudtrail_layout)
        topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:delivery",
        kms_key_id=GET_TRAIL_ANSWER["KmsKeyId"],
        organization=False,
        multi_region=True,
        log_file_validation=True,
    )
    assert info.complete
    status = {"IsLogging": True, "LatestDeliveryError": "AccessDenied", "LatestDigestDeliveryError": ""}
    with_status = info.with_status(status)
    assert (with_status.logging, with_status.latest_delivery_error) == (True, "AccessDenied")
    assert with_status.latest_digest_delivery_error is None  # an empty string is no error


def test_the_partition_and_region_come_from_the_arn() -> None:
    arn = f"arn:aws-us-gov:cloudtrail:us-gov-west-1:{ACCOUNT}:trail/{TRAIL}"
    info = TrailInfo.from_get_trail({"TrailARN": arn, "S3BucketName": BUCKET})
    assert (info.partition, info.home_region, info.account, info.name) == (
        "aws-us-gov",
        "us-gov-west-1",
        ACCOUNT,
        TRAIL,
    )
    assert info.log_file_validation is None  # not in the answer: unknown, not "off"
    assert TrailInfo.from_arn(arn, bucket=BUCKET) == info


def test_an_incomplete_answer_is_filled_in_from_the_request_and_marked_incomplete() -> None:
    info = TrailInfo.from_get_trail({"Name": TRAIL}, requested=TRAIL, region="eu-west-1", account=ACCOUNT)
    assert (info.arn, info.home_region, info.account, info.bucket) == (TRAIL, "eu-west-1", ACCOUNT, "")
    assert not info.complete


def test_from_arn_takes_only_a_trail_arn() -> None:
    with pytest.raises(ValueError, match="not a trail ARN"):
        TrailInfo.from_arn(f"arn:aws:sns:{REGION}:{ACCOUNT}:trail/x", bucket=BUCKET)


def test_verify_integrity_and_preflight_read_the_same_trail(session: boto3.Session) -> None:
    """The three readers of a deployed trail go through the one GetTrail reader and agree."""
    dep = deploy(session, prefix="archive", topic=False)
    clients = Clients.create(session, REGION)
    read = read_trail(clients, TRAIL, ACCOUNT)
    assert read.trail is not None and read.status_read
    resolved = resolve_trail(clients, TRAIL)
    assert resolved == read.trail.with_status({})  # the same settings; only verify reads the status
    subject = trail_from_account(session, TRAIL, REGION)
    assert (subject.arn, subject.bucket, subject.prefix) == (dep.trail_arn, resolved.bucket, "archive/")
    assert subject.home_region == resolved.home_region and subject.multi_region == resolved.multi_region


def test_integrity_refuses_an_incomplete_trail(session: boto3.Session) -> None:
    without_arn = json.dumps({"Trail": {"Name": TRAIL}}).encode()
    _intercept(session.events, "cloudtrail", "GetTrail", lambda request: _answer(request, without_arn))
    with pytest.raises(TrailConfigError, match="incomplete trail"):
        resolve_trail(Clients.create(session, REGION), TRAIL)


# --- one client set-up ----------------------------------------------------------------------------------------


def test_every_client_has_the_one_configuration_and_is_made_once(session: boto3.Session) -> None:
    clients = Clients.create(session, REGION)
    made = [
        clients.cloudtrail(),
        clients.s3(),
        clients.sns("eu-west-1"),
        clients.client("kms"),
        clients.event_history(),
    ]
    for client in made:
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS}
        assert USER_AGENT_EXTRA in client.meta.config.user_agent_extra
        assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (10, 30)
    assert clients.cloudtrail() is made[0] and clients.s3() is made[1] and clients.sns("eu-west-1") is made[2]
    assert clients.cloudtrail(REGION) is made[0]
    assert clients.event_history() is made[4] and made[4] is not made[0]  # a client of its own, for tests
    assert clients.sns() is not made[2]  # one per region


def test_a_failing_call_is_made_five_times_then_counts_as_unreachable(session: boto3.Session) -> None:
    """botocore's standard retry mode with total_max_attempts 5: four retries of an HTTP 503, then exit 3."""
    client = Clients.create(session, REGION).cloudtrail()
    attempts: list[str] = []

    def unavailable(request: Any) -> AWSResponse:
        attempts.append(request.url)
        return _answer(request, b'{"__type": "ServiceUnavailableException", "message": "busy"}', status=503)

    _intercept(client.meta.events, "cloudtrail", "GetTrail", unavailable)
    with pytest.raises(ClientError) as raised:
        client.get_trail(Name=TRAIL)
    assert len(attempts) == TOTAL_MAX_ATTEMPTS == 5
    assert is_transient(raised.value)


# --- answers that are not AWS's -------------------------------------------------------------------------------


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _answer(request: Any, body: bytes, status: int = 200) -> AWSResponse:
    return AWSResponse(request.url, status, HTTPHeaders(), _Body(body))


def _intercept(events: Any, service: str, operation: str, answer: Callable[[Any], AWSResponse]) -> None:
    """``answer(request)`` instead of AWS's (or moto's: registered first, it runs before moto's own handler), for a
    client's ``meta.events`` or a session's ``events`` (every client made from it afterwards)."""
    events.register_first(f"before-send.{service}.{operation}", lambda request, **_: answer(request))


def _not_from_aws(session: boto3.Session, service: str, operation: str) -> None:
    """A proxy's text instead of AWS's answer to ``operation``, for every client made from ``session`` after this."""
    _intercept(session.events, service, operation, lambda request: _answer(request, b"upstream connect error"))


def test_canary_reports_an_answer_that_is_not_aws(session: boto3.Session) -> None:
    dep = deploy(session, prefix="archive", topic=False)
    _not_from_aws(session, "elastic-beanstalk", "DescribeApplications")
    expected = ExpectedTrail(dep.trail_arn, dep.bucket, "archive/", None, organization=False)
    report = run_canary(Clients.create(session, REGION), CanarySettings(expected=expected), FakeClock(START))
    assert any(
        p.startswith("elasticbeanstalk DescribeApplications failed: an answer that is not AWS's")
        for p in report.findings.problems
    ), report.findings.problems
    assert report.failed and report.new_probe is not None  # the rest of the run went on


def test_canary_reports_a_key_answer_that_is_not_aws(session: boto3.Session) -> None:
    key_arn = session.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    dep = deploy(session, prefix="archive", topic=False, kms_key=key_arn)
    _not_from_aws(session, "kms", "DescribeKey")
    expected = ExpectedTrail(dep.trail_arn, dep.bucket, "archive/", key_arn, organization=False)
    report = run_canary(Clients.create(session, REGION), CanarySettings(expected=expected), FakeClock(START))
    not_aws = "kms DescribeKey failed: an answer that is not AWS's"
    problems = report.findings.problems
    assert any(p.startswith(not_aws) and p.endswith("cannot check the trail's key") for p in problems), problems


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("sns", "GetTopicAttributes", "topic policy: sns GetTopicAttributes failed: an answer that is not AWS's"),
        ("cloudtrail", "GetTrail", "cloudtrail GetTrail failed: an answer that is not AWS's"),
        ("kms", "DescribeKey", "log key policy: kms DescribeKey failed: an answer that is not AWS's"),
        ("kms", "GetKeyPolicy", "log key policy: kms GetKeyPolicy failed: an answer that is not AWS's"),
    ],
)
def test_preflight_reports_an_answer_that_is_not_aws(
    session: boto3.Session, service: str, operation: str, expected: str
) -> None:
    key_arn = session.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    deploy(session, prefix="archive", topic=True, kms_key=key_arn)
    _not_from_aws(session, service, operation)
    subject = trail_from_account(session, TRAIL, REGION)
    assert any(problem.startswith(expected) for problem in subject.unreadable), subject.unreadable


def test_verify_and_integrity_take_a_get_trail_answer_that_is_not_aws_as_unreachable(session: boto3.Session) -> None:
    deploy(session, prefix="archive", topic=False)
    _not_from_aws(session, "cloudtrail", "GetTrail")
    read = read_trail(Clients.create(session, REGION), TRAIL, ACCOUNT)
    assert read.trail is None and read.problems == []
    assert read.unreachable and "an answer that is not AWS's" in read.unreachable[0]
    report = verify_integrity(session, TRAIL, since=START, region=REGION)
    assert report.exit_code == ExitCode.UNREACHABLE and "GetTrail answered without Trail" in report.errors[0]


# --- a closed stdout pipe -------------------------------------------------------------------------------------


def _run_with_stdout_closed(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ebtrail-verify ARGS`` with stdout a pipe whose reader is gone (``... | head -c 0``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", PYTHONPATH=str(REPO_ROOT))
    try:
        return subprocess.run(
            [sys.executable, "-m", "ebtrail.verifier", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        ("integrity", "--trail", TRAIL, "--since", "2026-01-01", "--json"),
        ("integrity", "--trail", TRAIL, "--since", "2026-01-01"),
        ("verify", "--trail", TRAIL, "--json"),
    ],
    ids=["integrity --json", "integrity table", "verify --json"],
)
def test_a_closed_stdout_pipe_ends_quietly_with_the_verdicts_exit_code(args: tuple[str, ...]) -> None:
    """No region anywhere: each command's verdict is 2 (undecided); the closed pipe changes neither it nor stderr."""
    result = _run_with_stdout_closed(*args)
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr
    assert "BrokenPipe" not in result.stderr
    assert result.returncode == ExitCode.UNDECIDED
