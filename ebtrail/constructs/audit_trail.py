"""The CloudTrail trail itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_cdk import aws_cloudtrail as cloudtrail
from constructs import Construct, IConstruct

from ebtrail.constructs.acknowledge import acknowledge


@dataclass(frozen=True)
class AuditTrailProps:
    """What the trail needs to know. Bucket and key are referred to by name, not by CDK reference."""

    trail_name: str
    bucket_name: str
    #: Alias ARN (or key ARN) of the log key; CloudTrail accepts either.
    kms_key_id: str
    sns_topic_name: str
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str = ""
    management_events: Literal["All", "ReadOnly", "WriteOnly"] = "All"
    #: An organization trail (created in the management account) logs every member account.
    is_organization_trail: bool = False
    #: The organization's ID (``o-...``), written to the trail's template metadata: CloudTrail has no property
    #: for it, and the offline preflight needs it to check the ``AWSLogs/<o-id>/`` paths.
    organization_id: str | None = None
    #: Resources the trail must not be created before (bucket policy, key, topic policy).
    depends_on: tuple[IConstruct, ...] = ()


class AuditTrail(Construct):
    """A multi-region trail with global service events, log-file validation and SSE-KMS.

    It records *all* management events: Elastic Beanstalk API calls are management events, and CloudTrail
    cannot narrow management events to one service (advanced event selectors can only exclude KMS or
    RDS Data API events). Beanstalk calls are picked out downstream (the verifier, EventBridge, Athena).

    Written on the L1 ``CfnTrail`` rather than aws-cdk-lib's ``Trail``: that construct adds a topic
    grant without ``aws:SourceArn``, nothing to an imported bucket or to the key policy, and no dependency
    on the topic policy. ``CreateTrail`` checks the bucket policy, key policy and topic policy up front,
    so the trail depends on each of them explicitly and the first deploy cannot race.
    """

    def __init__(self, scope: Construct, construct_id: str, props: AuditTrailProps) -> None:
        super().__init__(scope, construct_id)
        self.trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=props.trail_name,
            is_logging=True,
            is_multi_region_trail=True,
            is_organization_trail=props.is_organization_trail or None,
            include_global_service_events=True,
            enable_log_file_validation=True,
            s3_bucket_name=props.bucket_name,
            s3_key_prefix=props.log_prefix.rstrip("/") or None,
            kms_key_id=props.kms_key_id,
            sns_topic_name=props.sns_topic_name,
            event_selectors=[
                cloudtrail.CfnTrail.EventSelectorProperty(
                    include_management_events=True,
                    read_write_type=props.management_events,
                )
            ],
        )
        if props.organization_id:
            self.trail.add_metadata("ebtrail:OrganizationId", props.organization_id)
        for dependency in props.depends_on:
            self.trail.node.add_dependency(dependency)
        acknowledge(
            self.trail,
            "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled",
            "Log files go to the encrypted S3 archive with SNS delivery notifications; real-time alerting uses "
            "EventBridge, which receives CloudTrail management events without CloudWatch Logs delivery.",
        )
