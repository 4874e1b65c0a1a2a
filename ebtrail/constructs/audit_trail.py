"""The CloudTrail trail itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import jsii
from aws_cdk import aws_cloudtrail as cloudtrail
from constructs import Construct, IConstruct, IValidation

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.core.cloudtrail_layout import s3_key_prefix

#: The two Insights types on management events (AWS::CloudTrail::Trail InsightSelector, CloudFormation).
INSIGHT_TYPES: tuple[str, ...] = ("ApiCallRateInsight", "ApiErrorRateInsight")


@dataclass(frozen=True)
class AuditTrailProps:
    """What the trail needs to know. Bucket and key are referred to by name, not by CDK reference."""

    trail_name: str
    bucket_name: str
    #: Alias ARN (or key ARN) of the log key; CloudTrail accepts either. None: SSE-S3 (only for a bucket whose
    #: owner chose SSE-S3, such as an adopted Control Tower bucket).
    kms_key_id: str | None
    #: The delivery topic. None: no delivery notifications (the data-events-only trail).
    sns_topic_name: str | None
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
    #: CloudWatch Logs delivery: the log group's ARN (``...:log-group:<name>:*``) and the role CloudTrail
    #: assumes to write to it. Default: no CloudWatch Logs delivery.
    cloudwatch_logs_group_arn: str | None = None
    cloudwatch_logs_role_arn: str | None = None
    #: ``resources.ARN`` prefixes of the S3 objects whose data events the trail records. Default: none, and the
    #: trail uses a basic event selector for management events only.
    data_event_arn_prefixes: tuple[str, ...] = ()
    #: Which S3 data events: ``WriteOnly`` (PutObject, DeleteObject, ...) or ``All`` (reads too).
    data_events_read_write: Literal["WriteOnly", "All"] = "WriteOnly"
    #: The log bucket's ARN: a data-event prefix that covers its objects is refused (see :func:`data_event_selectors`).
    log_bucket_arn: str | None = None
    #: CloudTrail Insights (API call rate and API error rate) on management events. Default off.
    insights: bool = False
    #: False: a data-events-only trail (no management-event selector at all, so CloudTrail bills it for data
    #: events only); needs ``data_event_arn_prefixes``.
    record_management_events: bool = True


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
        if not props.record_management_events and not props.data_event_arn_prefixes:
            raise ValueError(
                "a trail without management events needs data_event_arn_prefixes (it would record nothing)"
            )
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
            s3_key_prefix=s3_key_prefix(props.log_prefix),
            kms_key_id=props.kms_key_id,
            sns_topic_name=props.sns_topic_name,
            cloud_watch_logs_log_group_arn=props.cloudwatch_logs_group_arn,
            cloud_watch_logs_role_arn=props.cloudwatch_logs_role_arn,
            advanced_event_selectors=advanced_event_selectors(props) if props.data_event_arn_prefixes else None,
            insight_selectors=[
                cloudtrail.CfnTrail.InsightSelectorProperty(insight_type=insight) for insight in INSIGHT_TYPES
            ]
            if props.insights
            else None,
        )
        #: Advanced event selectors (S3 data events) replace basic ones: CloudTrail takes one kind per trail.
        self.uses_advanced_selectors = bool(props.data_event_arn_prefixes)
        self._event_selectors: list[cloudtrail.CfnTrail.EventSelectorProperty] = []
        self._data_resource_counts: list[int] = []
        if not self.uses_advanced_selectors:
            self.add_event_selector(include_management_events=True, read_write_type=props.management_events)
        self.node.add_validation(_EventSelectorLimits(self._event_selectors, self._data_resource_counts))
        if props.organization_id:
            self.trail.add_metadata("ebtrail:OrganizationId", props.organization_id)
        for dependency in props.depends_on:
            self.trail.node.add_dependency(dependency)
        if props.cloudwatch_logs_group_arn is None:
            self._acknowledge_cloudwatch_logs()
        if props.kms_key_id is None:
            acknowledge(
                self.trail,
                "NIST.800.53.R5-CloudTrailEncryptionEnabled",
                "Delivers to a bucket ebtrail does not own, whose owner chose SSE-S3 (AWS Control Tower's default for "
                "its log bucket); the trail's files are encrypted as the bucket's other files are.",
            )

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
        more fails synthesis rather than the deploy. A trail with advanced event selectors (S3 data events,
        ``AuditTrailProps.data_event_arn_prefixes``) takes no basic ones: CloudTrail accepts one kind per trail.
        """
        if self.uses_advanced_selectors:
            raise ValueError(
                "this trail uses advanced event selectors (data_event_arn_prefixes); CloudTrail takes either basic "
                "or advanced event selectors on a trail, not both"
            )
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
            "EventBridge, which receives CloudTrail management events without CloudWatch Logs delivery "
            "(set cloudwatch_logs.enabled for the CIS alarms).",
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


def storage_bucket_arn_prefix(partition: str) -> str:
    """The ``resources.ARN`` prefix of the objects in every Elastic Beanstalk storage bucket of the partition.

    Elastic Beanstalk keeps application versions (source bundles) and saved configurations in a bucket named
    ``elasticbeanstalk-<region>-<account>`` in each region where the account uses it ("Using Elastic Beanstalk
    with Amazon S3", Elastic Beanstalk Developer Guide). One prefix ``arn:<partition>:s3:::elasticbeanstalk-``
    covers every region of the partition, including regions launched after the pinned botocore (a list of one
    prefix per known region missed those), and every account's bucket: selectors have no wildcard, and neither
    ``StartsWith`` nor ``EndsWith`` can pin the account in the middle of the bucket name (AdvancedFieldSelector,
    CloudTrail API Reference: "Selectors don't support the use of wildcards"). A trail records data events of
    the calls its own accounts make, so the wider prefix adds only other accounts' Beanstalk buckets these
    accounts touch.
    """
    return f"arn:{partition}:s3:::elasticbeanstalk-"


def advanced_event_selectors(props: AuditTrailProps) -> list[cloudtrail.CfnTrail.AdvancedEventSelectorProperty]:
    """All management events (as ``management_events`` says), plus S3 data events on the given objects.

    "Logging data events" and AWS::CloudTrail::Trail AdvancedFieldSelector (CloudTrail User Guide and
    CloudFormation reference): ``eventCategory``, ``readOnly`` and ``resources.type`` take only ``Equals``;
    S3 object data events use ``resources.type = AWS::S3::Object`` and ``resources.ARN`` ``StartsWith`` the
    bucket ARN followed by ``/``. A trail may have at most 500 values over all its advanced selectors.

    The log bucket is never among the data-event buckets: a trail recording S3 data events on the bucket it
    delivers to records its own deliveries, each delivery making another event ("Logging data events", the
    warning about logging a bucket the trail delivers to). A prefix wider than the log bucket (the log bucket of
    ``name_prefix = "elasticbeanstalk"`` starts with ``elasticbeanstalk-``) gets ``NotStartsWith`` the log
    bucket's objects in the same ``resources.ARN`` field selector: ``StartsWith`` "includes events that match",
    ``NotStartsWith`` "excludes events that match" (AdvancedFieldSelector, CloudTrail API Reference), and
    excluding the trail's own bucket with ``resources.ARN`` is the use "Filtering data events by using advanced
    event selectors" (CloudTrail User Guide) gives. A prefix inside the log bucket raises: it would record only
    the trail's own deliveries.
    """
    prefixes = list(props.data_event_arn_prefixes)
    excluded = log_bucket_exclusion(prefixes, props.log_bucket_arn)
    values = (
        1
        + len(prefixes)
        + len(excluded)
        + 2
        + (props.management_events != "All")
        + (props.data_events_read_write != "All")
    )
    if values > 500:
        raise ValueError(f"{values} advanced event selector values; CloudTrail allows at most 500 per trail")

    def equals(field: str, value: str) -> cloudtrail.CfnTrail.AdvancedFieldSelectorProperty:
        return cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field=field, equal_to=[value])

    management = [equals("eventCategory", "Management")]
    if props.management_events != "All":
        management.append(equals("readOnly", "true" if props.management_events == "ReadOnly" else "false"))
    management_selectors = (
        [cloudtrail.CfnTrail.AdvancedEventSelectorProperty(name="All management events", field_selectors=management)]
        if props.record_management_events
        else []
    )
    data = [
        equals("eventCategory", "Data"),
        equals("resources.type", "AWS::S3::Object"),
        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
            field="resources.ARN", starts_with=prefixes, not_starts_with=excluded or None
        ),
    ]
    if props.data_events_read_write == "WriteOnly":
        data.append(equals("readOnly", "false"))
    return [
        *management_selectors,
        cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
            name="Elastic Beanstalk storage bucket objects", field_selectors=data
        ),
    ]


def log_bucket_exclusion(prefixes: list[str], log_bucket_arn: str | None) -> list[str]:
    """``NotStartsWith`` values that keep the log bucket's objects out of the data events (see
    :func:`advanced_event_selectors`): the log bucket's objects when a prefix covers them, else none."""
    if log_bucket_arn is None:
        return []
    log_objects = f"{log_bucket_arn}/"
    inside = [p for p in prefixes if p.startswith(log_objects)]
    if inside:
        raise ValueError(f"data-event prefixes {inside} name objects of the log bucket {log_bucket_arn}")
    return [log_objects] if any(log_objects.startswith(p) for p in prefixes) else []
