"""A Beanstalk audit trail as one construct a platform team adds to a stack of its own: the trail, its delivery
topic, Beanstalk change alerts and the verifier's least-privilege policy, all from plain values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from constructs import Construct, IConstruct

from ebtrail.constructs.audit_trail import AuditTrail, AuditTrailProps
from ebtrail.constructs.beanstalk_alerts import BeanstalkAlerts, BeanstalkAlertsProps
from ebtrail.constructs.delivery_topic import DeliveryTopic, DeliveryTopicProps
from ebtrail.constructs.verifier_access import VerifierAccess, VerifierAccessProps
from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS
from ebtrail.core.names import ArchiveNames, TrailTarget


@dataclass(frozen=True)
class AlertOptions:
    """Beanstalk change alerts: an EventBridge rule on these CloudTrail ``eventName`` values, to a topic."""

    actions: Sequence[str] = DEFAULT_ALERT_ACTIONS
    #: E-mail addresses subscribed to the alert topic (each must confirm). Default: none.
    emails: Sequence[str] = ()


@dataclass(frozen=True)
class VerifierOptions:
    """The verifier's managed policy (and optionally a role) in the trail's account."""

    #: Name of the managed policy and of the role.
    name: str
    #: Account, region and alias (``alias/...``) of the key that encrypts the log files.
    key_account: str
    key_region: str
    key_alias: str
    #: A principal ARN allowed to assume a role with the policy. Default: no role, only the policy.
    assumed_by: str | None = None

    @classmethod
    def for_archive(cls, names: ArchiveNames, assumed_by: str | None = None) -> VerifierOptions:
        return cls(names.verifier_policy, names.account, names.region, names.log_key_alias, assumed_by)


@dataclass(frozen=True)
class BeanstalkTrailProps:
    """Where the trail runs and delivers. Bucket and key are named, never referenced, so the archive may be
    in another stack or account."""

    #: The trail: account, home region, name, partition (and organization ID for an organization trail).
    target: TrailTarget
    bucket_name: str
    #: ARN of the log key or of its alias (CloudTrail accepts either).
    kms_key_id: str
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str = ""
    management_events: Literal["All", "ReadOnly", "WriteOnly"] = "All"
    #: E-mail addresses subscribed to the delivery topic. Default: none.
    notification_emails: Sequence[str] = ()
    #: Default: alerts on the seven destructive or traffic-changing actions; ``None`` for no alerts.
    alerts: AlertOptions | None = AlertOptions()
    #: Default: no verifier policy.
    verifier: VerifierOptions | None = None
    #: What the trail must not be created before besides its own topic: the archive's bucket policy and key
    #: when they are in the same stack (``LogArchive.trail_prerequisites``).
    depends_on: Sequence[IConstruct] = ()
    #: CloudWatch Logs delivery: the log group's ARN and the role CloudTrail assumes to write to it. Default: none.
    cloudwatch_logs_group_arn: str | None = None
    cloudwatch_logs_role_arn: str | None = None
    #: S3 data events on the objects under these ``resources.ARN`` prefixes (advanced event selectors, which
    #: then replace the basic ones). Default: none.
    data_event_arn_prefixes: Sequence[str] = ()
    data_events_read_write: Literal["WriteOnly", "All"] = "WriteOnly"
    #: CloudTrail Insights on management events. Default off.
    insights: bool = False

    def with_depends_on(self, constructs: Sequence[IConstruct]) -> BeanstalkTrailProps:
        """The same props, the trail also waiting for ``constructs`` (an archive's ``trail_prerequisites``)."""
        return replace(self, depends_on=(*self.depends_on, *constructs))

    @classmethod
    def for_archive(cls, target: TrailTarget, names: ArchiveNames, log_prefix: str = "") -> BeanstalkTrailProps:
        """A trail delivering to the archive of these names, with alerts and the verifier policy."""
        return cls(
            target=target,
            bucket_name=names.log_bucket,
            kms_key_id=names.log_key_alias_arn,
            log_prefix=log_prefix,
            verifier=VerifierOptions.for_archive(names),
        )


class BeanstalkTrail(Construct):
    """A multi-region trail with log-file validation and SSE-KMS, its encrypted SNS delivery topic, Elastic
    Beanstalk change alerts and the verifier's policy (see :class:`AuditTrail`, :class:`DeliveryTopic`,
    :class:`BeanstalkAlerts`, :class:`VerifierAccess`)."""

    def __init__(self, scope: Construct, construct_id: str, props: BeanstalkTrailProps) -> None:
        super().__init__(scope, construct_id)
        target = props.target
        self.target = target
        self.delivery_topic = DeliveryTopic(
            self,
            "DeliveryTopic",
            DeliveryTopicProps(
                topic_name=target.delivery_topic_name, trail=target, emails=list(props.notification_emails)
            ),
        )
        self.audit_trail = AuditTrail(
            self,
            "AuditTrail",
            AuditTrailProps(
                trail_name=target.name,
                bucket_name=props.bucket_name,
                kms_key_id=props.kms_key_id,
                sns_topic_name=target.delivery_topic_name,
                log_prefix=props.log_prefix,
                management_events=props.management_events,
                is_organization_trail=target.organization_id is not None,
                organization_id=target.organization_id,
                depends_on=(*self.delivery_topic.trail_prerequisites, *props.depends_on),
                cloudwatch_logs_group_arn=props.cloudwatch_logs_group_arn,
                cloudwatch_logs_role_arn=props.cloudwatch_logs_role_arn,
                data_event_arn_prefixes=tuple(props.data_event_arn_prefixes),
                data_events_read_write=props.data_events_read_write,
                log_bucket_arn=f"arn:{target.partition}:s3:::{props.bucket_name}",
                insights=props.insights,
            ),
        )
        self.alerts = trail_alerts(self, target, props.alerts)
        self.verifier_access: VerifierAccess | None = None
        if props.verifier is not None:
            verifier = props.verifier
            self.verifier_access = VerifierAccess(
                self,
                "VerifierAccess",
                VerifierAccessProps(
                    name=verifier.name,
                    partition=target.partition,
                    account=target.account,
                    log_bucket_name=props.bucket_name,
                    log_prefix=props.log_prefix,
                    delivery_topic_arn=target.delivery_topic_arn,
                    log_key_account=verifier.key_account,
                    log_key_region=verifier.key_region,
                    log_key_alias=verifier.key_alias,
                    assumed_by=verifier.assumed_by,
                ),
            )

    @property
    def trail_arn(self) -> str:
        """The trail's ARN, as a plain string (CloudTrail's ``aws:SourceArn``), usable in any account."""
        return self.target.arn

    def add_event_selector(
        self,
        *,
        read_write_type: Literal["All", "ReadOnly", "WriteOnly"] = "All",
        include_management_events: bool = False,
        data_resources: Mapping[str, Sequence[str]] | None = None,
        exclude_management_event_sources: Sequence[str] = (),
    ) -> None:
        """Add a basic event selector to the trail (see :meth:`AuditTrail.add_event_selector`)."""
        self.audit_trail.add_event_selector(
            read_write_type=read_write_type,
            include_management_events=include_management_events,
            data_resources=data_resources,
            exclude_management_event_sources=exclude_management_event_sources,
        )


def trail_alerts(scope: Construct, target: TrailTarget, options: AlertOptions | None) -> BeanstalkAlerts | None:
    """The Beanstalk change alerts of one trail (ebtrail's or an adopted one), named from the trail, or None when
    ``options`` is None."""
    if options is None:
        return None
    return BeanstalkAlerts(
        scope,
        "BeanstalkAlerts",
        BeanstalkAlertsProps(
            topic_name=target.alert_topic_name,
            rule_name=target.alert_rule_name,
            actions=list(options.actions),
            emails=list(options.emails),
        ),
    )
