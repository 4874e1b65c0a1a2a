"""The hop preflight's evaluation rules on small hand-written templates (no synthesis): how trust, identity,
resource and key policies combine within and across accounts, and what cannot be evaluated."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ebtrail.core.iam import Verdict
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.preflight.assembly import Assembly, Stack
from ebtrail.verifier.preflight.hops import HopReport, preflight_hops, sample_key

TRAILS, ARCHIVE = "111111111111", "222222222222"
REGION = "us-east-1"
GROUP = "/aws/cloudtrail/audit"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{TRAILS}:trail/audit"
BUCKET = "archive-logs"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trail_stack(trust_condition: dict[str, Any] | None = None) -> Stack:
    """A trail delivering to CloudWatch Logs through a role, as "Sending events to CloudWatch Logs" shows it."""
    trust: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if trust_condition:
        trust["Condition"] = trust_condition
    resources: dict[str, Any] = {
        "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": GROUP}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": doc(trust)}},
        "RolePolicy": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Roles": [{"Ref": "Role"}],
                "PolicyDocument": doc(
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"arn:aws:logs:{REGION}:{TRAILS}:log-group:{GROUP}:log-stream:*",
                    }
                ),
            },
        },
        "Trail": {
            "Type": "AWS::CloudTrail::Trail",
            "Properties": {
                "TrailName": "audit",
                "S3BucketName": BUCKET,
                "IsMultiRegionTrail": False,
                "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": ["Group", "Arn"]},
                "CloudWatchLogsRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            },
        },
    }
    return Stack("trail", TRAILS, REGION, resources)


def only(reports: list[HopReport], kind: str) -> HopReport:
    (report,) = [r for r in reports if r.kind == kind]
    return report


def test_a_trust_without_undocumented_conditions_passes() -> None:
    report = only(preflight_hops(Assembly([trail_stack()])), "CloudTrail -> CloudWatch Logs")
    assert report.exit_code is ExitCode.PASS, report.lines()
    streams = {r.request.resource.rsplit(":", 1)[-1] for r in report.results if r.request.action.startswith("logs:")}
    assert streams == {f"{TRAILS}_CloudTrail_{REGION}"}
    assume = next(r for r in report.results if r.request.action == "sts:AssumeRole")
    assert assume.request.principal.identifier == "cloudtrail.amazonaws.com"


def test_a_trust_that_needs_keys_aws_does_not_document_cannot_be_evaluated() -> None:
    condition = {"StringEquals": {"aws:SourceArn": TRAIL_ARN, "aws:SourceAccount": TRAILS}}
    report = only(preflight_hops(Assembly([trail_stack(condition)])), "CloudTrail -> CloudWatch Logs")
    assert report.exit_code is ExitCode.CANNOT_EVALUATE
    (line,) = [r.explain() for r in report.unknown]
    assert "aws:SourceArn" in line and "does not document" in line


def test_a_trust_for_another_trail_fails() -> None:
    condition = {"StringEquals": {"aws:SourceArn": TRAIL_ARN + "-old"}}
    report = only(preflight_hops(Assembly([trail_stack(condition)])), "CloudTrail -> CloudWatch Logs")
    assert report.exit_code is ExitCode.FAIL


def test_a_role_policy_for_another_log_group_fails() -> None:
    stack = trail_stack()
    stack.resources["Group"]["Properties"]["LogGroupName"] = "/aws/cloudtrail/renamed"
    report = only(preflight_hops(Assembly([stack])), "CloudTrail -> CloudWatch Logs")
    assert report.exit_code is ExitCode.FAIL
    assert all("logs:" in r.explain() for r in report.failures)


def firehose_stacks(*, bucket_grants: bool, cross_account: bool, key_grants: bool = True) -> list[Stack]:
    """A Firehose stream writing into a bucket (in another account when ``cross_account``) with a KMS key."""
    archive = ARCHIVE if cross_account else TRAILS
    role_arn = f"arn:aws:iam::{TRAILS}:role/delivery"
    bucket_arn = f"arn:aws:s3:::{BUCKET}"
    writes = [
        "s3:AbortMultipartUpload",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:PutObject",
        "s3:PutObjectAcl",
    ]
    write = {"Effect": "Allow", "Action": writes, "Resource": [bucket_arn, f"{bucket_arn}/events/*"]}
    key_use = {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}
    trails = Stack(
        "trail",
        TRAILS,
        REGION,
        {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "delivery",
                    "AssumeRolePolicyDocument": doc(
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "firehose.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"sts:ExternalId": TRAILS}},
                        }
                    ),
                    "Policies": [{"PolicyName": "write", "PolicyDocument": doc(write, key_use)}],
                },
            },
            "Stream": {
                "Type": "AWS::KinesisFirehose::DeliveryStream",
                "Properties": {
                    "DeliveryStreamName": "events",
                    "ExtendedS3DestinationConfiguration": {
                        "BucketARN": bucket_arn,
                        "Prefix": "events/!{timestamp:yyyy/MM/dd}/",
                        "CompressionFormat": "GZIP",
                        "RoleARN": {"Fn::GetAtt": ["Role", "Arn"]},
                        "EncryptionConfiguration": {
                            "KMSEncryptionConfig": {"AWSKMSKeyARN": f"arn:aws:kms:{REGION}:{archive}:key/Key"}
                        },
                    },
                },
            },
        },
    )
    grant = {**write, "Principal": {"AWS": role_arn}}
    key_grant = {**key_use, "Principal": {"AWS": role_arn}}
    admin = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{archive}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    tls = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    archive_resources: dict[str, Any] = {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": BUCKET}},
        "BucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": BUCKET, "PolicyDocument": doc(tls, *([grant] if bucket_grants else []))},
        },
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": doc(admin, *([key_grant] if key_grants else []))}},
    }
    if cross_account:
        return [trails, Stack("archive", ARCHIVE, REGION, archive_resources)]
    trails.resources.update(archive_resources)
    return [trails]


@pytest.mark.parametrize("cross_account", [False, True], ids=["same-account", "cross-account"])
def test_firehose_to_a_bucket_that_grants_the_role(cross_account: bool) -> None:
    report = only(
        preflight_hops(Assembly(firehose_stacks(bucket_grants=True, cross_account=cross_account))),
        "Firehose stream -> S3 bucket",
    )
    assert report.exit_code is ExitCode.PASS, report.lines()
    actions = {r.request.action for r in report.results if r.must_allow}
    assert ("s3:PutObjectAcl" in actions) is cross_account  # only needed across accounts
    put = next(r for r in report.results if r.request.action == "s3:PutObject")
    name = "events-1-2026-11-27-12-05-00-6f1c2c3e-0d3a-4b8e-9a51-2f0c7d4e8b10.gz"
    assert put.request.resource == f"arn:aws:s3:::{BUCKET}/events/2026/11/27/{name}"
    assert ("s3:x-amz-acl" in put.request.context) is cross_account


def test_a_bucket_policy_silent_about_the_role_is_enough_only_in_the_same_account() -> None:
    same = only(
        preflight_hops(Assembly(firehose_stacks(bucket_grants=False, cross_account=False))),
        "Firehose stream -> S3 bucket",
    )
    assert same.exit_code is ExitCode.PASS, same.lines()
    cross = only(
        preflight_hops(Assembly(firehose_stacks(bucket_grants=False, cross_account=True))),
        "Firehose stream -> S3 bucket",
    )
    assert cross.exit_code is ExitCode.FAIL
    assert {r.request.action for r in cross.failures} >= {"s3:PutObject", "s3:PutObjectAcl", "s3:ListBucket"}
    assert all("bucket policy: no statement allows it" in r.explain() for r in cross.failures)


def test_a_key_is_used_only_if_its_key_policy_allows_it() -> None:
    for cross_account in (False, True):
        stacks = firehose_stacks(bucket_grants=True, cross_account=cross_account, key_grants=False)
        report = only(preflight_hops(Assembly(stacks)), "Firehose stream -> S3 bucket")
        if cross_account:
            assert {r.request.action for r in report.failures} == {"kms:GenerateDataKey", "kms:Decrypt"}
        else:  # the key policy lets the account's IAM policies decide (root), and the role policy allows
            assert report.exit_code is ExitCode.PASS, report.lines()


def test_a_bucket_policy_deny_wins_in_the_same_account() -> None:
    stacks = firehose_stacks(bucket_grants=True, cross_account=False)
    document = stacks[0].resources["BucketPolicy"]["Properties"]["PolicyDocument"]
    document["Statement"].append(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    )
    report = only(preflight_hops(Assembly(stacks)), "Firehose stream -> S3 bucket")
    assert {r.request.action for r in report.failures} == {"s3:PutObject"}
    assert all(r.decision.verdict is Verdict.EXPLICIT_DENY for r in report.failures)


def test_a_role_named_by_cloudformation_is_followed_by_reference() -> None:
    stacks = firehose_stacks(bucket_grants=True, cross_account=False)
    role = copy.deepcopy(stacks[0].resources["Role"])
    del role["Properties"]["RoleName"]
    stacks[0].resources["Role"] = role
    report = only(preflight_hops(Assembly(stacks)), "Firehose stream -> S3 bucket")
    # Same account: the bucket policy names nobody, so the unknown role name does not matter.
    assert report.exit_code is ExitCode.PASS, report.lines()


def test_sample_keys_follow_firehose_object_names() -> None:
    assert sample_key(None, "s") == "2026/11/27/12/s-1-2026-11-27-12-05-00-6f1c2c3e-0d3a-4b8e-9a51-2f0c7d4e8b10"
    assert sample_key("e/!{firehose:error-output-type}/!{timestamp:yyyy}/", "s", ".gz") == (
        "e/processing-failed/2026/11/27/s-1-2026-11-27-12-05-00-6f1c2c3e-0d3a-4b8e-9a51-2f0c7d4e8b10.gz"
    )
    assert sample_key("p/!{partitionKeyFromQuery:id}/", "s") is None


def alarm_stack(*extra: dict[str, Any]) -> Stack:
    topic_arn = f"arn:aws:sns:{REGION}:{TRAILS}:alerts"
    publish = {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{TRAILS}:alarm:app-*"},
            "StringEquals": {"aws:SourceAccount": TRAILS},
        },
    }
    return Stack(
        "alarms",
        TRAILS,
        REGION,
        {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
            "TopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": doc(publish, *extra)},
            },
            "Alarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {"AlarmName": "app-errors", "AlarmActions": [{"Ref": "Topic"}]},
            },
        },
    )


def test_an_alarm_publishes_with_its_source_arn_and_account() -> None:
    report = only(preflight_hops(Assembly([alarm_stack()])), "CloudWatch alarm -> SNS topic")
    assert report.exit_code is ExitCode.PASS, report.lines()
    publish, foreign = report.results
    assert publish.request.context["aws:SourceArn"] == f"arn:aws:cloudwatch:{REGION}:{TRAILS}:alarm:app-errors"
    assert (foreign.must_allow, foreign.decision.allowed) == (False, False)


def test_a_deny_on_a_key_the_request_model_does_not_know_cannot_be_evaluated() -> None:
    """The alarm's request may carry keys AWS does not document for it: a statement depending on one is not
    judged on the guess that the key is missing (that would pass a Deny that may well apply)."""
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
    }
    report = only(preflight_hops(Assembly([alarm_stack(deny)])), "CloudWatch alarm -> SNS topic")
    assert report.exit_code is ExitCode.CANNOT_EVALUATE
    assert "aws:SourceVpc is not modelled" in report.unknown[0].explain()
