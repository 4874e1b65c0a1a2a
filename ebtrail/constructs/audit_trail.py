"""The CloudTrail trail itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import jsii
from aws_cdk import aws_cloudtrail as cloudtrail
from constructs import Construct, IConstruct, IValidation

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
        )
        self._event_selectors: list[cloudtrail.CfnTrail.EventSelectorProperty] = []
        self._data_resource_counts: list[int] = []
        self.add_event_selector(include_management_events=True, read_write_type=props.management_events)
        self.node.add_validation(_EventSelectorLimits(self._event_selectors, self._data_resource_counts))
        if props.organization_id:
            self.trail.add_metadata("ebtrail:OrganizationId", props.organization_id)
        for dependency in props.depends_on:
            self.trail.node.add_dependency(dependency)
        self._acknowledge_cloudwatch_logs()

    @property
    def trail_arn(self) -> str:
        """The trail's ARN (``Fn::GetAtt``), for references in the same stack."""
        return self.trail.attr_arn

    def add_event_selector(
        self,
        *,
        read_write_type: Literal["All", "ReadOnly", "WriteOnly"] = "All",
        include_management_events: bool = False,
        data_resources: Mapping[str, Sequence[str]] | None = None,
        exclude_management_event_sources: Sequence[str] = (),
    ) -> None:
        """Add a basic event selector, as CloudTrail's ``PutEventSelectors`` takes it.

        ``data_resources`` maps a data resource type (``AWS::S3::Object``, ``AWS::Lambda::Function``,
        ``AWS::DynamoDB::Table``) to the ARNs or ARN prefixes to record. CloudTrail allows up to 5 event
        selectors and 250 data resources per trail (CloudTrail API Reference, InvalidEventSelectorsException);
        more fails synthesis rather than the deploy.
        """
        self._data_resource_counts.append(sum(len(values) for values in (data_resources or {}).values()))
        self._event_selectors.append(
            cloudtrail.CfnTrail.EventSelectorProperty(
                include_management_events=include_management_events,
                read_write_type=read_write_type,
                data_resources=[
                    cloudtrail.CfnTrail.DataResourceProperty(type=kind, values=list(values))
                    for kind, values in (data_resources or {}).items()
                ]
                or None,
                exclude_management_event_sources=list(exclude_management_event_sources) or None,
            )
        )
        self.trail.event_selectors = list(self._event_selectors)

    def _acknowledge_cloudwatch_logs(self) -> None:
        acknowledge(
            self.trail,
            "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled",
            "Log files go to the encrypted S3 archive with SNS delivery notifications; real-time alerting uses "
            "EventBridge, which receives CloudTrail management events without CloudWatch Logs delivery.",
        )


#: CloudTrail's limits on basic event selectors (CloudTrail API Reference, InvalidEventSelectorsException).
MAX_EVENT_SELECTORS = 5
MAX_DATA_RESOURCES = 250


@jsii.implements(IValidation)
class _EventSelectorLimits:
    """Fails synthesis when the trail has more event selectors or data resources than CloudTrail accepts."""

    def __init__(self, selectors: list[cloudtrail.CfnTrail.EventSelectorProperty], data_resources: list[int]) -> None:
        #: Both lists are the trail's own, so selectors added after construction are counted.
        self._selectors = selectors
        self._data_resources = data_resources

    def validate(self) -> list[str]:
        errors = []
        if len(self._selectors) > MAX_EVENT_SELECTORS:
            errors.append(f"{len(self._selectors)} event selectors; CloudTrail allows at most {MAX_EVENT_SELECTORS}")
        resources = sum(self._data_resources)
        if resources > MAX_DATA_RESOURCES:
            errors.append(f"{resources} data resources; CloudTrail allows at most {MAX_DATA_RESOURCES} per trail")
        return errors
