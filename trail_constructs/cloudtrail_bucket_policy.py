"""The bucket-policy statements that let CloudTrail deliver log files, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.naming import TrailTarget
from trail_constructs.policy_conditions import CLOUDTRAIL_SERVICE, source_arn_equals


@dataclass(frozen=True)
class CloudTrailBucketPolicyProps:
    """What the bucket policy needs to know."""

    bucket: s3.IBucket
    #: Every trail that delivers to the bucket.
    writers: list[TrailTarget]
    #: ``""`` or ``"<key prefix>/"``, the part in front of ``AWSLogs/``.
    log_prefix: str = ""


class CloudTrailBucketPolicy(Construct):
    """Bucket-policy statements from "Amazon S3 bucket policy for CloudTrail" (CloudTrail User Guide).

    * ``AWSCloudTrailAclCheck``: CloudTrail reads the bucket ACL (``s3:GetBucketAcl``) before delivering
      and when the trail is created; without it ``CreateTrail`` fails with
      ``InsufficientS3BucketPolicyException``.
    * ``AWSCloudTrailWrite``: ``s3:PutObject`` on ``[prefix/]AWSLogs/<account>/*`` of each writing account
      only, and only with ``s3:x-amz-acl = bucket-owner-full-control``.

    Both are conditioned on ``aws:SourceArn`` being one of the configured trails, AWS's recommended
    confused-deputy protection: no other trail, of any account, can write here. The aws-cdk-lib ``Trail``
    construct adds neither condition (and adds nothing at all to an imported bucket), which is why this
    construct exists.
    """

    def __init__(self, scope: Construct, construct_id: str, props: CloudTrailBucketPolicyProps) -> None:
        super().__init__(scope, construct_id)
        bucket = props.bucket
        trail_arns = [writer.arn for writer in props.writers]
        accounts = sorted({writer.account for writer in props.writers})
        self.acl_check = iam.PolicyStatement(
            sid="AWSCloudTrailAclCheck",
            principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
            actions=["s3:GetBucketAcl"],
            resources=[bucket.bucket_arn],
            conditions={"StringEquals": source_arn_equals(trail_arns)},
        )
        self.write = iam.PolicyStatement(
            sid="AWSCloudTrailWrite",
            principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{props.log_prefix}AWSLogs/{account}/*") for account in accounts],
            conditions={
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    **source_arn_equals(trail_arns),
                }
            },
        )
        for statement in (self.acl_check, self.write):
            bucket.add_to_resource_policy(statement)
