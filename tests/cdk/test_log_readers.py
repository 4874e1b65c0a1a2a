"""``archive.log_readers`` of another account can read the log files, not only decrypt them (issue 17, item 9).

The fixture configs name ``arn:aws:iam::555555555555:role/SecurityAudit``; its requests are evaluated with the
project's policy evaluator against the synthesized bucket policy, and the statements are checked for principal,
actions, resources and conditions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from ebtrail.constructs.log_archive import ExistingArchiveProps, LogArchive
from ebtrail.core.iam import Principal, Request, Verdict, evaluate
from ebtrail.core.names import TrailTarget
from ebtrail.verifier.preflight.assembly import Resolver
from ebtrail.verifier.preflight.assembly import Stack as TemplateStack
from tests.cdk.policy_helpers import log_bucket_policy, statement
from tests.cdk.synth_cache import Synthesized

READER = "arn:aws:iam::555555555555:role/SecurityAudit"
PIN = {"ArnEquals": {"aws:PrincipalArn": [READER]}}
ROOT = {"AWS": "arn:aws:iam::555555555555:root"}


@dataclass(frozen=True)
class Case:
    """A fixture's archive template, where it lives, and its bucket and key prefix."""

    template: dict[str, Any]
    account: str
    region: str
    bucket: str
    prefix: str

    def verdict(self, who: str, action: str, resource: str, **context: str) -> Verdict:
        """The bucket policy's answer to ``who`` (an IAM principal of the reader account) doing ``action``."""
        resolver = Resolver(TemplateStack("archive", self.account, self.region, self.template["Resources"]))
        policy = resolver.resolve(log_bucket_policy(self.template))
        full = {"aws:PrincipalArn": who, "aws:SecureTransport": "true", **context}
        return evaluate(policy, Request(Principal("AWS", who), action, resource, full)).verdict


#: (fixture, archive account, region, log bucket, key prefix)
CASES = [
    ("multi-account.toml", "222222222222", "eu-west-1", "ebtrail-logs-222222222222-eu-west-1", "beanstalk/"),
    ("organization.toml", "222222222222", "us-east-1", "ebtrail-logs-222222222222-us-east-1", "org/"),
]


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def case(request: pytest.FixtureRequest, synthesized: Callable[[str], Synthesized]) -> Case:
    config_file, account, region, bucket, prefix = request.param
    return Case(synthesized(config_file).archive_json, account, region, bucket, prefix)


def test_readers_may_get_the_trail_folders_pinned_to_their_arns(case: Case) -> None:
    policy = log_bucket_policy(case.template)
    read = statement(policy, "AllowNamedLogReadersRead")
    assert read["Effect"] == "Allow"
    assert read["Principal"] == ROOT
    assert read["Action"] == "s3:GetObject"
    [bucket_id] = [
        k for k, r in case.template["Resources"].items() if r["Type"] == "AWS::S3::Bucket" and k.startswith("LogBucket")
    ]
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert read["Resource"] == {"Fn::Join": ["", [arn, f"/{case.prefix}AWSLogs/*"]]}
    assert read["Condition"] == PIN
    listing = statement(policy, "AllowNamedLogReadersList")
    assert listing["Principal"] == ROOT
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Resource"] == arn
    assert listing["Condition"] == {**PIN, "StringLike": {"s3:prefix": [f"{case.prefix}AWSLogs/*"]}}


def test_a_cross_account_reader_can_read_a_log_file_and_nothing_else(case: Case) -> None:
    bucket, prefix = case.bucket, case.prefix
    log_file = f"arn:aws:s3:::{bucket}/{prefix}AWSLogs/333333333333/CloudTrail/us-east-1/2026/12/07/f.json.gz"
    assert case.verdict(READER, "s3:GetObject", log_file) is Verdict.ALLOWED
    folder = {"s3:prefix": f"{prefix}AWSLogs/333333333333/"}
    assert case.verdict(READER, "s3:ListBucket", f"arn:aws:s3:::{bucket}", **folder) is Verdict.ALLOWED
    assert case.verdict(READER, "s3:ListBucket", f"arn:aws:s3:::{bucket}", **{"s3:prefix": ""}) is Verdict.IMPLICIT_DENY
    other_role = "arn:aws:iam::555555555555:role/Developer"
    assert case.verdict(other_role, "s3:GetObject", log_file) is Verdict.IMPLICIT_DENY
    outside = f"arn:aws:s3:::{bucket}/{prefix}beanstalk-events/333333333333/x.gz"
    assert case.verdict(READER, "s3:GetObject", outside) is Verdict.IMPLICIT_DENY
    assert case.verdict(READER, "s3:PutObject", log_file) is Verdict.IMPLICIT_DENY
    no_tls = {"aws:SecureTransport": "false"}
    assert case.verdict(READER, "s3:GetObject", log_file, **no_tls) is Verdict.EXPLICIT_DENY


def test_no_reader_statements_without_readers(synthesized: Callable[[str], Synthesized]) -> None:
    sids = {s.get("Sid") for s in log_bucket_policy(synthesized("default.toml").archive_json)["Statement"]}
    assert not sids & {"AllowNamedLogReadersRead", "AllowNamedLogReadersList"}


def test_an_existing_archive_prints_the_reader_statements_for_its_owner() -> None:
    stack = Stack(App(), "Trail", env={"account": "111111111111", "region": "us-east-1"})
    existing = LogArchive.from_existing(
        stack,
        "Archive",
        ExistingArchiveProps(
            bucket_name="their-logs",
            key_arn="arn:aws:kms:us-east-1:222222222222:key/k",
            writers=[TrailTarget("111111111111", "us-east-1", "audit", "aws")],
            reader_principals=[READER],
        ),
    )
    Template.from_stack(stack)
    printed = {s["Sid"]: s for s in existing.owner_policies()["bucket_policy_statements"]}
    assert printed["AllowNamedLogReadersRead"]["Resource"] == "arn:aws:s3:::their-logs/AWSLogs/*"
    assert printed["AllowNamedLogReadersRead"]["Condition"] == PIN
    assert printed["AllowNamedLogReadersList"]["Condition"]["StringLike"] == {"s3:prefix": ["AWSLogs/*"]}
