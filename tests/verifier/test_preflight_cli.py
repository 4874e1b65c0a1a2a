"""``ebtrail-verify preflight``: --trail over deployed policies (moto), --assembly, --json and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from ebtrail.verifier.cli import cli

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
TRAIL = "audit"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
BUCKET = "audit-logs"
CLOUDTRAIL = {"Service": "cloudtrail.amazonaws.com"}
SOURCE = {"aws:SourceArn": TRAIL_ARN}
ADMIN = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}


def bucket_policy(*, source_arn: bool = True) -> dict[str, Any]:
    """ "Amazon S3 bucket policy for CloudTrail", with the TLS-only deny."""
    write_condition: dict[str, Any] = {"s3:x-amz-acl": "bucket-owner-full-control", **(SOURCE if source_arn else {})}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": CLOUDTRAIL, "Action": "s3:GetBucketAcl",
             "Resource": f"arn:aws:s3:::{BUCKET}", "Condition": {"StringEquals": SOURCE}},
            {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": CLOUDTRAIL, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/{ACCOUNT}/*", "Condition": {"StringEquals": write_condition}},
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
             "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    }  # fmt: skip


def key_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            ADMIN,
            {"Sid": "Encrypt", "Effect": "Allow", "Principal": CLOUDTRAIL, "Action": "kms:GenerateDataKey*",
             "Resource": "*", "Condition": {"StringEquals": SOURCE, "StringLike": {
                 "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}}},
            {"Sid": "Describe", "Effect": "Allow", "Principal": CLOUDTRAIL, "Action": "kms:DescribeKey",
             "Resource": "*", "Condition": {"StringEquals": SOURCE}},
        ],
    }  # fmt: skip


def topic_policy(topic_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Publish", "Effect": "Allow", "Principal": CLOUDTRAIL, "Action": "sns:Publish",
             "Resource": topic_arn, "Condition": {"StringEquals": SOURCE}},
            {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": topic_arn,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    }  # fmt: skip


def topic_key_policy(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    """CloudTrail's documented statement has no condition (see verifier.preflight.cloudtrail_requests)."""
    conditions = {"Condition": condition} if condition else {}
    return {
        "Version": "2012-10-17",
        "Statement": [
            ADMIN,
            {"Sid": "TopicKey", "Effect": "Allow", "Principal": CLOUDTRAIL,
             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*", **conditions},
        ],
    }  # fmt: skip


@pytest.fixture
def deployed(session: boto3.Session) -> boto3.Session:
    """A trail with bucket, key, encrypted topic and their policies, as ebtrail deploys them (moto)."""
    s3, kms, sns = session.client("s3"), session.client("kms"), session.client("sns")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(bucket_policy()))
    key_id = kms.create_key(Policy=json.dumps(key_policy()))["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/audit-logs", TargetKeyId=key_id)
    topic_key = kms.create_key(Policy=json.dumps(topic_key_policy()))["KeyMetadata"]["Arn"]
    topic_arn = sns.create_topic(Name="audit-delivery", Attributes={"KmsMasterKeyId": topic_key})["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic_arn, AttributeName="Policy", AttributeValue=json.dumps(topic_policy(topic_arn))
    )
    session.client("cloudtrail").create_trail(
        Name=TRAIL, S3BucketName=BUCKET, SnsTopicName="audit-delivery", IsMultiRegionTrail=True,
        KmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/audit-logs",
    )  # fmt: skip
    return session


def preflight(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["preflight", *args])
    return result.exit_code, result.output


def test_a_deployed_trail_passes(deployed: boto3.Session) -> None:
    code, output = preflight("--trail", TRAIL, "--json")
    report = json.loads(output)
    assert code == 0, output
    (trail,) = report["trails"]
    assert trail["source"] == "deployed" and trail["trail"] == TRAIL_ARN
    assert trail["kms_key"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert trail["topic_key"] and trail["topic"].endswith(":audit-delivery")
    policies = {c["policy"] for c in trail["checks"]}
    assert policies == {"bucket policy", "log key policy", "topic policy", "topic key policy"}
    assert report["requests"] == trail["requests"] > 60  # log + digest file for every region


def test_a_policy_edited_after_the_deploy_is_caught(deployed: boto3.Session) -> None:
    deployed.client("s3").put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(bucket_policy(source_arn=False)))
    code, output = preflight("--trail", TRAIL)
    assert code == 1
    assert (
        "FAIL bucket policy: PutObject by another account's trail: s3:PutObject on arn:aws:s3:::audit-logs/" in output
    )
    assert "must be denied, but Allow statement 'AWSCloudTrailWrite' allows it" in output
    assert output.strip().splitlines()[-1].startswith("preflight: fail (1 trail(s), ")


def test_a_bucket_without_policy_fails_with_no_statement_allows_it(deployed: boto3.Session) -> None:
    deployed.client("s3").delete_bucket_policy(Bucket=BUCKET)
    code, output = preflight("--trail", TRAIL)
    assert code == 1
    assert "GetBucketAcl (ACL check): s3:GetBucketAcl on arn:aws:s3:::audit-logs: no statement allows it" in output


def test_a_topic_key_requiring_source_arn_fails(deployed: boto3.Session) -> None:
    """The request to the topic key carries no aws:SourceArn: such a policy would fail every notification."""
    kms = deployed.client("kms")
    topic = deployed.client("sns").list_topics()["Topics"][0]["TopicArn"]
    key = deployed.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
    policy = topic_key_policy({"StringEquals": SOURCE})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    code, output = preflight("--trail", TRAIL)
    assert code == 1
    assert "FAIL topic key policy: GenerateDataKey (encrypted topic): kms:GenerateDataKey on " in output
    assert "no statement allows it" in output


def test_a_missing_trail_cannot_be_evaluated(session: boto3.Session) -> None:
    code, output = preflight("--trail", "nope", "--json")
    assert code == 2
    (trail,) = json.loads(output)["trails"]
    assert any("GetTrail" in problem for problem in trail["problems"])


def test_exactly_one_source_is_required() -> None:
    assert preflight()[0] == 2
    assert preflight("--assembly", "x", "--trail", "y")[0] == 2


def test_a_bad_organization_id_is_refused(tmp_path: Path) -> None:
    code, output = preflight("--assembly", str(tmp_path), "--organization-id", "org-1")
    assert code == 2 and "organization ID" in output


def test_an_unreadable_assembly_cannot_be_evaluated(tmp_path: Path) -> None:
    code, output = preflight("--assembly", str(tmp_path))
    assert code == 2
    assert "cannot read" in output and "manifest.json" in output


def test_an_archive_in_another_account_is_read_through_the_archive_role(session: boto3.Session) -> None:
    """Bucket and log key in the archive account, trail and topic in the trail account (moto's default)."""
    archive_account = "222233334444"
    role = f"arn:aws:iam::{archive_account}:role/ArchiveReader"
    found = session.client("sts").assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    archive = boto3.Session(
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
        region_name=REGION,
    )
    s3, kms = archive.client("s3"), archive.client("kms")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(bucket_policy()))
    key_arn = kms.create_key(Policy=json.dumps(key_policy()))["KeyMetadata"]["Arn"]
    assert key_arn.split(":")[4] == archive_account
    session.client("cloudtrail").create_trail(
        Name=TRAIL, S3BucketName=BUCKET, KmsKeyId=key_arn, IsMultiRegionTrail=True
    )

    code, output = preflight("--trail", TRAIL, "--archive-role-arn", role, "--json")

    assert code == 0, output
    (trail,) = json.loads(output)["trails"]
    assert trail["kms_key"] == key_arn
    assert {c["policy"] for c in trail["checks"]} == {"bucket policy", "log key policy"}
