"""A Beanstalk audit trail as one construct a platform team adds to a stack of its own: the trail, its delivery
topic, Beanstalk change alerts and the verifier's least-privilege policy, and, when its props turn them on, the
delivery canary, CloudWatch Logs with the CIS alarms and the Beanstalk service events, all from plain values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from constructs import Construct, IConstruct

from ebtrail.constructs.audit_trail import AuditTrail, AuditTrailProps
from ebtrail.constructs.beanstalk_alerts import BeanstalkAlerts, BeanstalkAlertsProps
from ebtrail.constructs.beanstalk_events import BeanstalkEvents, BeanstalkEventsProps
from ebtrail.constructs.cis_alarms import CisAlarms, CisAlarmsProps
from ebtrail.constructs.cloudwatch_logs_delivery import CloudWatchLogsDelivery, CloudWatchLogsDeliveryProps
from ebtrail.constructs.delivery_canary import DeliveryCanary
from ebtrail.constructs.delivery_topic import DeliveryTopic, DeliveryTopicProps
from ebtrail.constructs.trail_features import (
    BeanstalkEventsOptions,
    CanaryOptions,
    CloudWatchLogsOptions,
    canary_props,
    verifier_props,
)
from ebtrail.constructs.verifier_access import VerifierAccess
from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS
from ebtrail.core.cis_filters import CIS_FILTERS, beanstalk_filter
from ebtrail.core.names import ArchiveNames, LogReading, TrailTarget, alarm_name


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

    def reading(self, bucket: str, log_prefix: str) -> LogReading:
        """Where the verifier finds the trail's files: ``bucket`` and ``log_prefix``, the key by its alias."""
        return LogReading(bucket, log_prefix, self.key_account, self.key_region, self.key_alias)


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
    #: The ebtrail archive the trail delivers to, by its names (:meth:`for_archive` sets it). The canary, the
    #: Beanstalk service events and CloudWatch Logs name their roles, key aliases, grants and metrics from it
    #: (its account, region, log key alias and name prefix); only they need it.
    archive: ArchiveNames | None = None
    #: CloudWatch Logs delivery and (with alerts) the CIS alarms, built here. Default: none; or give
    #: ``cloudwatch_logs_group_arn`` and ``cloudwatch_logs_role_arn`` of a log group of your own instead.
    cloudwatch_logs: CloudWatchLogsOptions | None = None
    #: Elastic Beanstalk service events into the archive. Default: none.
    beanstalk_events: BeanstalkEventsOptions | None = None
    #: The delivery canary (needs alerts: its alarms publish to the alert topic). Default: none.
    canary: CanaryOptions | None = None

    @property
    def names(self) -> ArchiveNames:
        """:attr:`archive` (:meth:`check_features` refuses a feature that needs it when it is None)."""
        if self.archive is None:
            raise ValueError("BeanstalkTrailProps.archive is not set")
        return self.archive

    def check_features(self) -> None:
        """Refuse, with every reason at once, a feature that lacks what it needs (:class:`ValueError`)."""
        features = (
            ("cloudwatch_logs", self.cloudwatch_logs),
            ("beanstalk_events", self.beanstalk_events),
            ("canary", self.canary),
        )
        problems = [
            f"{name} needs archive (the ArchiveNames of the archive the trail delivers to)"
            for name, options in features
            if options is not None and self.archive is None
        ]
        if self.canary is not None and self.alerts is None:
            problems.append("canary needs alerts (its alarms publish to the alert topic)")
        if self.cloudwatch_logs is not None and self.cloudwatch_logs_group_arn is not None:
            problems.append("cloudwatch_logs and cloudwatch_logs_group_arn: give one (a log group built here or yours)")
        if problems:
            raise ValueError(f"BeanstalkTrailProps of trail {self.target.name}: " + "; ".join(problems))

    def with_depends_on(self, constructs: Sequence[IConstruct]) -> BeanstalkTrailProps:
        """The same props, the trail also waiting for ``constructs`` (an archive's ``trail_prerequisites``)."""
        return replace(self, depends_on=(*self.depends_on, *constructs))

    @classmethod
    def for_archive(
        cls,
        target: TrailTarget,
        names: ArchiveNames,
        log_prefix: str = "",
        *,
        canary: CanaryOptions | None = None,
        cloudwatch_logs: CloudWatchLogsOptions | None = None,
        beanstalk_events: BeanstalkEventsOptions | None = None,
    ) -> BeanstalkTrailProps:
        """A trail delivering to the archive of these names, with alerts, the verifier policy and the features
        given (none by default)."""
        return cls(
            target=target,
            bucket_name=names.log_bucket,
            kms_key_id=names.log_key_alias_arn,
            log_prefix=log_prefix,
            verifier=VerifierOptions.for_archive(names),
            archive=names,
            canary=canary,
            cloudwatch_logs=cloudwatch_logs,
            beanstalk_events=beanstalk_events,
        )


class BeanstalkTrail(Construct):
    """A multi-region trail with log-file validation and SSE-KMS, its encrypted SNS delivery topic, Elastic
    Beanstalk change alerts and the verifier's policy (see :class:`AuditTrail`, :class:`DeliveryTopic`,
    :class:`BeanstalkAlerts`, :class:`VerifierAccess`), and the features its props turn on: CloudWatch Logs with
    the CIS alarms, Beanstalk service events, the delivery canary (:mod:`ebtrail.constructs.trail_features`)."""

    def __init__(self, scope: Construct, construct_id: str, props: BeanstalkTrailProps) -> None:
        super().__init__(scope, construct_id)
        props.check_features()
        target = props.target
        self.target = target
        self.props = props
        self.cloudwatch_logs = self._cloudwatch_logs_delivery()
        self.delivery_topic = DeliveryTopic(
            self,
            "DeliveryTopic",
            DeliveryTopicProps(
                topic_name=target.delivery_topic_name, trail=target, emails=list(props.notification_emails)
            ),
        )
        self.audit_trail = AuditTrail(self, "AuditTrail", self._audit_trail_props())
        self.alerts = trail_alerts(self, target, props.alerts)
        self.verifier_access: VerifierAccess | None = None
        if props.verifier is not None:
            verifier = props.verifier
            self.verifier_access = VerifierAccess(
                self,
                "VerifierAccess",
                verifier_props(
                    name=verifier.name,
                    partition=target.partition,
                    account=target.account,
                    reading=verifier.reading(props.bucket_name, props.log_prefix),
                    delivery_topic_arn=target.delivery_topic_arn,
                    assumed_by=verifier.assumed_by,
                ),
            )
        self.beanstalk_events = self._beanstalk_events()
        self.cis_alarms = self._cis_alarms()
        self.canary = self._canary()

    def _cloudwatch_logs_delivery(self) -> CloudWatchLogsDelivery | None:
        options = self.props.cloudwatch_logs
        if options is None:
            return None
        return CloudWatchLogsDelivery(
            self,
            "CloudWatchLogs",
            CloudWatchLogsDeliveryProps(
                log_group_name=self.target.cloudwatch_log_group_name,
                key_alias=self.props.names.cloudwatch_logs_key_alias,
                retention_days=options.retention_days,
            ),
        )

    def _audit_trail_props(self) -> AuditTrailProps:
        props, target = self.props, self.target
        depends_on = (*self.delivery_topic.trail_prerequisites, *props.depends_on)
        group_arn, role_arn = props.cloudwatch_logs_group_arn, props.cloudwatch_logs_role_arn
        if self.cloudwatch_logs is not None:
            depends_on = (*depends_on, *self.cloudwatch_logs.trail_prerequisites)
            group_arn, role_arn = self.cloudwatch_logs.log_group.log_group_arn, self.cloudwatch_logs.role.role_arn
        return AuditTrailProps(
            trail_name=target.name,
            bucket_name=props.bucket_name,
            kms_key_id=props.kms_key_id,
            sns_topic_name=target.delivery_topic_name,
            log_prefix=props.log_prefix,
            management_events=props.management_events,
            is_organization_trail=target.organization_id is not None,
            organization_id=target.organization_id,
            depends_on=depends_on,
            cloudwatch_logs_group_arn=group_arn,
            cloudwatch_logs_role_arn=role_arn,
            data_event_arn_prefixes=tuple(props.data_event_arn_prefixes),
            data_events_read_write=props.data_events_read_write,
            log_bucket_arn=f"arn:{target.partition}:s3:::{props.bucket_name}",
            insights=props.insights,
        )

    def _beanstalk_events(self) -> BeanstalkEvents | None:
        options, names, target = self.props.beanstalk_events, self.props.names, self.target
        if options is None:
            return None
        prefix, error_prefix = target.beanstalk_events_prefixes(self.props.log_prefix)
        events = BeanstalkEvents(
            self,
            "BeanstalkEvents",
            BeanstalkEventsProps(
                stream_name=target.beanstalk_events_stream_name,
                role_name=target.beanstalk_events_role_name(names.prefix),
                detail_types=options.detail_types,
                bucket_name=names.log_bucket,
                key_alias_arn=names.log_key_alias_arn,
                key_alias=names.log_key_alias,
                key_arns=names.log_key_arns,
                prefix=prefix,
                error_prefix=error_prefix,
                bucket_region=names.region,
                buffer_seconds=options.buffer_seconds,
                alarm_topic=self.alerts.topic if self.alerts else None,
                alarm_name=alarm_name(target.name, "beanstalk-events-delivery"),
            ),
        )
        if self.alerts:
            self.alerts.allow_cloudwatch_alarms(target.alarm_name_prefix)  # the stream's delivery alarm
        return events

    def _cis_alarms(self) -> CisAlarms | None:
        options, alerts = self.props.cloudwatch_logs, self.props.alerts
        if self.cloudwatch_logs is None or options is None or not options.cis_alarms:
            return None
        if self.alerts is None or alerts is None:
            return None
        self.alerts.allow_cloudwatch_alarms(self.target.alarm_name_prefix)
        return CisAlarms(
            self,
            "CisAlarms",
            CisAlarmsProps(
                log_group=self.cloudwatch_logs.log_group,
                topic=self.alerts.topic,
                filters=(*CIS_FILTERS, beanstalk_filter(tuple(alerts.actions))),
                trail_name=self.target.name,
                namespace=self.props.names.cloudtrail_metrics_namespace,
            ),
        )

    def _canary(self) -> DeliveryCanary | None:
        options, target = self.props.canary, self.target
        if options is None or self.alerts is None:
            return None
        # The canary's alarms are named alarm_name(<trail>, ...), which the alert topic must let publish.
        self.alerts.allow_cloudwatch_alarms(target.alarm_name_prefix)
        names = self.props.names
        canary = DeliveryCanary(
            self,
            "DeliveryCanary",
            canary_props(
                target,
                account=target.account,
                reading=names.log_reading(self.props.log_prefix),
                options=options,
                alarm_topic=self.alerts.topic,
                name_prefix=names.prefix,
            ),
        )
        # The canary's first run checks the trail: create it after the trail.
        canary.schedule.node.add_dependency(self.audit_trail)
        return canary

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
