"""The bucket-policy statements that let CloudTrail deliver log files, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.constructs.policy_conditions import CLOUDTRAIL_SERVICE, source_arn_equals
from ebtrail.core import cloudtrail_layout as layout
from ebtrail.core.names import TrailTarget


@dataclass(frozen=True)
class CloudTrailBucketPolicyProps:
    """What the bucket policy needs to know."""

    bucket: s3.IBucket
    #: Every trail that delivers to the bucket.
    writers: list[TrailTarget]
    #: ``""`` or ``"<key prefix>/"``, the part in front of ``AWSLogs/``.
    log_prefix: str = ""
    #: Prefixes (same form) the trails wrote under before a prefix change (``archive.previous_key_prefixes``):
    #: each writer may still write there until CloudFormation has updated its trail.
    previous_log_prefixes: tuple[str, ...] = ()


class CloudTrailBucketPolicy(Construct):
    """Bucket-policy statements from "Amazon S3 bucket policy for CloudTrail" (CloudTrail User Guide).

    * ``AWSCloudTrailAclCheck``: CloudTrail reads the bucket ACL (``s3:GetBucketAcl``) before delivering
      and when the trail is created; without it ``CreateTrail`` fails with
      ``InsufficientS3BucketPolicyException``.
    * ``AWSCloudTrailWrite<account>``, one per writing trail: ``s3:PutObject`` on that trail's own paths
      only (``[prefix/]AWSLogs/<account>/*``; for an organization trail also
      ``[prefix/]AWSLogs/<o-orgid>/*``), only with ``s3:x-amz-acl = bucket-owner-full-control``, and only
      when ``aws:SourceArn`` is *that* trail: one member's trail cannot write under another's path.
      A renamed trail's previous names (``trail.previous_names``) are listed beside its name in both statements,
      so the old trail keeps delivering until CloudFormation has replaced it.

    Every statement is conditioned on ``aws:SourceArn``, AWS's recommended confused-deputy protection.
    The aws-cdk-lib ``Trail`` construct adds no such condition, nothing at all to an imported bucket, and
    ignores the key prefix for organization trails, which is why this construct exists.
    """

    def __init__(self, scope: Construct, construct_id: str, props: CloudTrailBucketPolicyProps) -> None:
        super().__init__(scope, construct_id)
        bucket = props.bucket
        self.acl_check = iam.PolicyStatement(
            sid="AWSCloudTrailAclCheck",
            principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
            actions=["s3:GetBucketAcl"],
            resources=[bucket.bucket_arn],
            conditions={
                "StringEquals": source_arn_equals([arn for writer in props.writers for arn in writer.delivering_arns])
            },
        )
        bucket.add_to_resource_policy(self.acl_check)
        self.writes: list[iam.PolicyStatement] = []
        for writer in props.writers:
            statement = iam.PolicyStatement(
                sid=f"AWSCloudTrailWrite{writer.account}",
                principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
                actions=["s3:PutObject"],
                resources=[
                    bucket.arn_for_objects(layout.path_objects_pattern(prefix, path))
                    for prefix in dict.fromkeys((props.log_prefix, *props.previous_log_prefixes))
                    for path in writer.log_paths
                ],
                conditions={
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        **source_arn_equals(writer.delivering_arns),
                    }
                },
            )
            bucket.add_to_resource_policy(statement)
            self.writes.append(statement)
