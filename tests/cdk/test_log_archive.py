"""Security properties of the log-archive stack (default config): bucket, bucket policy, key policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk.assertions import Match

from tests.cdk.policy_helpers import (
    log_bucket_policy,
    log_key_policy,
    only_resource,
    statement,
    statements_for_principal,
)
from tests.cdk.synth_cache import Synthesized

TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/ebtrail-beanstalk-audit"
CLOUDTRAIL = {"Service": "cloudtrail.amazonaws.com"}
LOG_BUCKET_ARN = {"Fn::GetAtt": ["LogBucket7273C8DB", "Arn"]}


def _log_bucket_policy(default: Synthesized) -> dict[str, Any]:
    return log_bucket_policy(default.archive_json)


def _key_policy(default: Synthesized) -> dict[str, Any]:
    return log_key_policy(default.archive_json)


# --- the log bucket -------------------------------------------------------------------------------------


def test_log_bucket_is_sse_kms_with_the_log_key_and_a_bucket_key(default: Synthesized) -> None:
    default.archive.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "ebtrail-logs-111111111111-us-east-1",
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": {"Fn::GetAtt": [Match.string_like_regexp("^LogKey"), "Arn"]},
                        },
                    }
                ]
            },
        },
    )


def test_log_bucket_is_private_versioned_owner_enforced_and_access_logged(default: Synthesized) -> None:
    default.archive.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "ebtrail-logs-111111111111-us-east-1",
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LoggingConfiguration": {
                "DestinationBucketName": {"Ref": Match.string_like_regexp("^AccessLogBucket")},
                "LogFilePrefix": "s3-access/ebtrail-logs-111111111111-us-east-1/",
            },
        },
    )


def test_log_bucket_lifecycle_archives_large_files_then_deletes(default: Synthesized) -> None:
    """The minimum object size is stated, not left to S3's default: files under 128 KB (most CloudTrail files)
    stay in STANDARD, where they cost less than in any archive class (bench/lifecycle_cost.py)."""
    bucket = only_resource(default.archive_json, "AWS::S3::Bucket", id_prefix="LogBucket")
    assert bucket["Properties"]["LifecycleConfiguration"] == {
        "TransitionDefaultMinimumObjectSize": "all_storage_classes_128K",
        "Rules": [
            {
                "Id": "ArchiveAndExpireLogFiles",
                "Status": "Enabled",
                "Transitions": [
                    {"StorageClass": "GLACIER_IR", "TransitionInDays": 90},
                    {"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 365},
                ],
                "ExpirationInDays": 2557,
                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }
        ],
    }


def test_no_object_lock_by_default(default: Synthesized) -> None:
    bucket = only_resource(default.archive_json, "AWS::S3::Bucket", id_prefix="LogBucket")
    assert "ObjectLockEnabled" not in bucket["Properties"]
    assert "ObjectLockConfiguration" not in bucket["Properties"]


def test_every_bucket_and_key_is_retained_on_delete_and_replace(default: Synthesized) -> None:
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        resources = [r for r in default.archive_json["Resources"].values() if r["Type"] == resource_type]
        assert resources
        for resource in resources:
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["UpdateReplacePolicy"] == "Retain"


def test_access_log_bucket_is_sse_s3_private_and_expires_after_retention(default: Synthesized) -> None:
    default.archive.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "ebtrail-access-logs-111111111111-us-east-1",
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LifecycleConfiguration": {
                "Rules": Match.array_with([Match.object_like({"ExpirationInDays": 365, "Status": "Enabled"})])
            },
        },
    )


def test_access_log_bucket_accepts_only_s3_logging_from_our_buckets(default: Synthesized) -> None:
    policy = only_resource(default.archive_json, "AWS::S3::BucketPolicy", id_prefix="AccessLogBucket")
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    sources = {s["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::GetAtt"][0] for s in allows}
    assert sources == {"LogBucket7273C8DB", "AthenaResultsBucketFD0F43DC"}
    from_log_bucket = [s for s in allows if s["Condition"]["ArnLike"]["aws:SourceArn"] == LOG_BUCKET_ARN]
    assert from_log_bucket == [
        {
            "Action": "s3:PutObject",
            "Condition": {
                "ArnLike": {"aws:SourceArn": LOG_BUCKET_ARN},
                "StringEquals": {"aws:SourceAccount": "111111111111"},
            },
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        {"Fn::GetAtt": ["AccessLogBucketE546A1FA", "Arn"]},
                        "/s3-access/ebtrail-logs-111111111111-us-east-1/*",
                    ],
                ]
            },
        }
    ]
    for statement_ in allows:
        assert statement_["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert statement_["Action"] == "s3:PutObject"
        assert statement_["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}


# --- the bucket policy ----------------------------------------------------------------------------------


def test_bucket_policy_denies_every_request_without_tls(default: Synthesized) -> None:
    for name in ("LogBucket", "AccessLogBucket"):
        policy = only_resource(default.archive_json, "AWS::S3::BucketPolicy", id_prefix=name)
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert len(denies) == 1
        assert denies[0]["Action"] == "s3:*"
        assert denies[0]["Principal"] == {"AWS": "*"}
        assert denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert len(denies[0]["Resource"]) == 2  # the bucket and every object in it


def test_cloudtrail_acl_check_is_scoped_to_our_trail(default: Synthesized) -> None:
    assert statement(_log_bucket_policy(default), "AWSCloudTrailAclCheck") == {
        "Sid": "AWSCloudTrailAclCheck",
        "Effect": "Allow",
        "Principal": CLOUDTRAIL,
        "Action": "s3:GetBucketAcl",
        "Resource": LOG_BUCKET_ARN,
        "Condition": {"StringEquals": {"aws:SourceArn": [TRAIL_ARN]}},
    }


def test_cloudtrail_write_is_limited_to_our_prefix_account_acl_and_trail(default: Synthesized) -> None:
    assert statement(_log_bucket_policy(default), "AWSCloudTrailWrite111111111111") == {
        "Sid": "AWSCloudTrailWrite111111111111",
        "Effect": "Allow",
        "Principal": CLOUDTRAIL,
        "Action": "s3:PutObject",
        "Resource": {"Fn::Join": ["", [LOG_BUCKET_ARN, "/beanstalk/AWSLogs/111111111111/*"]]},
        "Condition": {
            "StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceArn": [TRAIL_ARN],
            }
        },
    }


def test_cloudtrail_gets_nothing_else_from_the_bucket(default: Synthesized) -> None:
    granted = statements_for_principal(_log_bucket_policy(default), CLOUDTRAIL)
    assert sorted(s["Sid"] for s in granted) == ["AWSCloudTrailAclCheck", "AWSCloudTrailWrite111111111111"]


# --- the key --------------------------------------------------------------------------------------------


def test_log_key_rotates_and_has_its_alias(default: Synthesized) -> None:
    default.archive.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    default.archive.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/ebtrail/cloudtrail-logs"})


def test_key_lets_cloudtrail_encrypt_only_for_our_account_and_trail(default: Synthesized) -> None:
    assert statement(_key_policy(default), "AllowCloudTrailEncryptLogs") == {
        "Sid": "AllowCloudTrailEncryptLogs",
        "Effect": "Allow",
        "Principal": CLOUDTRAIL,
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": ["arn:aws:cloudtrail:*:111111111111:trail/*"]},
            "StringEquals": {"aws:SourceArn": [TRAIL_ARN]},
        },
    }


def test_key_lets_cloudtrail_describe_it_and_decrypt_for_the_bucket_key(default: Synthesized) -> None:
    policy = _key_policy(default)
    for sid, action in (
        ("AllowCloudTrailDescribeKey", "kms:DescribeKey"),
        ("AllowCloudTrailDecryptForBucketKey", "kms:Decrypt"),
    ):
        assert statement(policy, sid) == {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": CLOUDTRAIL,
            "Action": action,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": [TRAIL_ARN]}},
        }


def test_log_readers_decrypt_only_cloudtrail_encrypted_data(default: Synthesized) -> None:
    assert statement(_key_policy(default), "AllowLogReadersDecrypt") == {
        "Sid": "AllowLogReadersDecrypt",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
        "Resource": "*",
        "Condition": {"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}},
    }


def test_key_policy_grants_cloudtrail_exactly_the_documented_statements(default: Synthesized) -> None:
    granted = statements_for_principal(_key_policy(default), CLOUDTRAIL)
    assert sorted(s["Sid"] for s in granted) == [
        "AllowCloudTrailDecryptForBucketKey",
        "AllowCloudTrailDescribeKey",
        "AllowCloudTrailEncryptLogs",
    ]
    # The account keeps administering its key (otherwise the key becomes unmanageable).
    admin = [s for s in _key_policy(default)["Statement"] if s["Action"] == "kms:*"]
    assert admin == [
        {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Resource": "*"}
    ]


def test_object_lock_from_config(synthesized: Callable[[str], Synthesized]) -> None:
    archive = synthesized("single-account.toml").archive
    archive.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "acme-audit-logs-123456789012-eu-west-1",
            "ObjectLockEnabled": True,
            "ObjectLockConfiguration": {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
            },
        },
    )
