"""The optional features of a trail, as plain-value options with their defaults, and the one mapping from a trail
and where its log files are to each feature construct's props.

:class:`~ebtrail.constructs.trail.BeanstalkTrail` (a trail ebtrail creates) and
:class:`~ebtrail.constructs.proof_layer.TrailProofLayer` (a trail it adopts) both build their delivery canary and
verifier policy through :func:`canary_props` and :func:`verifier_props`, so the two cannot drift apart; the names
and grants come from :mod:`ebtrail.core.names`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_sns as sns

from ebtrail.constructs.delivery_canary import DeliveryCanaryProps
from ebtrail.constructs.verifier_access import VerifierAccessProps
from ebtrail.core.beanstalk import SERVICE_EVENT_DETAIL_TYPES
from ebtrail.core.log_retention import DEFAULT_LOG_RETENTION_DAYS
from ebtrail.core.names import LogReading, TrailTarget, canary_role_name


@dataclass(frozen=True)
class CanaryOptions:
    """The delivery canary (:class:`~ebtrail.constructs.delivery_canary.DeliveryCanary`): a run every
    ``rate_minutes``; a probe older than ``max_delivery_minutes`` and not in the log files counts as not
    delivered. Its alarms publish to the trail's alert topic, so it needs alerts."""

    rate_minutes: int = 60
    max_delivery_minutes: int = 30
    #: For an organization trail with Athena: the accounts the archive's table projects; the canary reports the
    #: organization's accounts outside them. Default: not checked.
    projected_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CloudWatchLogsOptions:
    """Trail delivery to a KMS-encrypted log group ``/aws/cloudtrail/<trail>``
    (:class:`~ebtrail.constructs.cloudwatch_logs_delivery.CloudWatchLogsDelivery`) and, with alerts, the CIS
    metric filters and alarms on it (:class:`~ebtrail.constructs.cis_alarms.CisAlarms`)."""

    #: Days CloudWatch Logs keeps the events (:data:`~ebtrail.core.log_retention.DEFAULT_LOG_RETENTION_DAYS`, the
    #: minimum Security Hub CloudWatch.16 accepts).
    retention_days: int = DEFAULT_LOG_RETENTION_DAYS
    #: The CIS AWS Foundations metric filters and alarms (Security Hub CloudWatch.1 to .14) and one on the
    #: alerts' Beanstalk actions, alarming to the alert topic. Only with alerts (they need the topic).
    cis_alarms: bool = True


@dataclass(frozen=True)
class BeanstalkEventsOptions:
    """Elastic Beanstalk service events (not API calls) into the archive's bucket through Firehose
    (:class:`~ebtrail.constructs.beanstalk_events.BeanstalkEvents`), under
    ``<prefix>beanstalk-events/<account>/<region>/``; with alerts, a delivery alarm. The archive's bucket and key
    policies must let the stream's role write (``BeanstalkEventsArchiveAccess``)."""

    #: EventBridge ``detail-type`` values to deliver. Default: all four that Elastic Beanstalk sends.
    detail_types: tuple[str, ...] = SERVICE_EVENT_DETAIL_TYPES
    #: Seconds Firehose buffers events before it writes a file (60 to 900).
    buffer_seconds: int = 300


def canary_props(
    trail: TrailTarget,
    *,
    account: str,
    reading: LogReading,
    options: CanaryOptions,
    alarm_topic: sns.ITopic,
    name_prefix: str,
) -> DeliveryCanaryProps:
    """The delivery canary of ``trail``, running in ``account`` (the trail's, or an adopted trail's proof account)
    in the trail's home region and reading the files where ``reading`` says; its role is
    :func:`~ebtrail.core.names.canary_role_name` of ``name_prefix`` (the archive's policies name it)."""
    return DeliveryCanaryProps(
        trail_name=trail.name,
        trail_arn=trail.arn,
        organization_trail=trail.organization_id is not None,
        partition=trail.partition,
        account=account,
        region=trail.home_region,
        log_bucket_name=reading.bucket,
        log_prefix=reading.log_prefix,
        log_key_account=reading.key_account,
        log_key_region=reading.key_region,
        log_key_alias=reading.key_alias,
        alarm_topic=alarm_topic,
        role_name=canary_role_name(name_prefix),
        rate_minutes=options.rate_minutes,
        max_delivery_minutes=options.max_delivery_minutes,
        projected_accounts=options.projected_accounts,
        log_key_arn=reading.key_arn,
        encrypted=reading.encrypted,
    )


def verifier_props(
    *,
    name: str,
    partition: str,
    account: str,
    reading: LogReading,
    delivery_topic_arn: str | None,
    assumed_by: str | None,
) -> VerifierAccessProps:
    """The verifier's policy ``name`` (and role, with ``assumed_by``) in ``account``, reading where ``reading``
    says; ``delivery_topic_arn`` None for a trail without a topic ebtrail knows."""
    return VerifierAccessProps(
        name=name,
        partition=partition,
        account=account,
        log_bucket_name=reading.bucket,
        log_prefix=reading.log_prefix,
        delivery_topic_arn=delivery_topic_arn,
        log_key_account=reading.key_account,
        log_key_region=reading.key_region,
        log_key_alias=reading.key_alias,
        assumed_by=assumed_by,
        log_key_arn=reading.key_arn,
        encrypted=reading.encrypted,
    )
