"""EventBridge alerts on destructive or risky Elastic Beanstalk API calls, delivered to an encrypted SNS topic."""

from __future__ import annotations

from dataclasses import dataclass, field

import jsii
from aws_cdk import Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct, IValidation

from ebtrail.constructs.encrypted_topic import ServicePublisher, add_encrypted_topic, add_publisher
from ebtrail.constructs.policy_conditions import source_arn_equals
from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS, EVENT_SOURCE
from ebtrail.core.names import alarms_arn_pattern

EVENTS_SERVICE = "events.amazonaws.com"
CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"


#: Where the alert message takes each value from (EventBridge JSON paths into the CloudTrail event).
MESSAGE_FIELDS: dict[str, str] = {
    "action": "$.detail.eventName",
    "who": "$.detail.userIdentity.arn",
    "environment_name": "$.detail.requestParameters.environmentName",
    "environment_id": "$.detail.requestParameters.environmentId",
    "application": "$.detail.requestParameters.applicationName",
    "swap_source": "$.detail.requestParameters.sourceEnvironmentName",
    "swap_destination": "$.detail.requestParameters.destinationEnvironmentName",
    "source_ip": "$.detail.sourceIPAddress",
    "error_code": "$.detail.errorCode",
    "time": "$.time",
    "region": "$.region",
    "account": "$.account",
}


@dataclass(frozen=True)
class BeanstalkAlertsProps:
    """What the Beanstalk alerts need to know."""

    #: Name of the alert topic; also names its key alias (``alias/<topic_name>``).
    topic_name: str
    #: Elastic Beanstalk API actions (CloudTrail ``eventName``) that raise an alert.
    actions: list[str] = field(default_factory=lambda: list(DEFAULT_ALERT_ACTIONS))
    #: E-mail addresses to subscribe (each must confirm). Default: none.
    emails: list[str] = field(default_factory=list)
    #: Name of the EventBridge rule. Default: ``<topic_name>-rule``. The topic policy names the rule by its
    #: ARN, built from this name.
    rule_name: str | None = None


class BeanstalkAlerts(Construct):
    """An EventBridge rule on Elastic Beanstalk API calls recorded by CloudTrail, to an encrypted alert topic.

    * The rule (default event bus) matches ``source: aws.elasticbeanstalk``,
      ``detail-type: AWS API Call via CloudTrail``, ``detail.eventSource: elasticbeanstalk.amazonaws.com``
      and ``detail.eventName`` in ``actions``. EventBridge delivers these events only while a trail logs
      management events, and only in the region where the call was made: deploy one per region in use.
    * ``AllowEventBridgePublishToEncryptedTopic`` (key policy): the topic key is customer managed because
      the AWS managed ``alias/aws/sns`` key's policy cannot grant EventBridge anything; publishing to an
      encrypted topic needs ``kms:GenerateDataKey*`` and ``kms:Decrypt`` for ``events.amazonaws.com``
      ("Enable compatibility between event sources from AWS services and encrypted topics", SNS Developer
      Guide). Deliberately without ``aws:SourceArn``: that guide says ``aws:SourceAccount``,
      ``aws:SourceArn`` and ``aws:SourceOrgID`` in a KMS key policy are not supported for
      EventBridge-to-encrypted topics (the KMS request does not carry them, so every alert would be
      dropped without an error). The statement is on this key only, which encrypts only this topic; the
      topic policy is what confines publishing to our rule.
    * ``AllowEventBridgePublish`` (topic policy): ``sns:Publish`` for ``events.amazonaws.com`` only with
      ``aws:SourceArn`` = our rule (confused-deputy protection). Written here instead of
      ``aws_events_targets.SnsTopic``, whose ``grant_publish`` adds the same statement without a condition
      (and a second key grant).
    * A ``Deny`` of publishing without TLS (``enforce_ssl``).
    * Key rotation on; the key is retained when the stack is deleted, like the delivery topic's key (SNS
      may still be retrying deliveries of messages encrypted under it).

    The rule ARN is built from the rule name (``Stack.format_arn``): referring to the rule's ``Arn``
    attribute from the topic policy would make a dependency cycle (rule -> topic -> policy -> rule).

    Each alert is plain text, built by an input transformer from the CloudTrail record: action, who
    (``userIdentity.arn``), environment name/ID, application and the swapped environments of
    ``SwapEnvironmentCNAMEs`` (``requestParameters``), source IP, error code, time, region, account. A path
    missing from the event (for example ``environmentId`` when the caller named the environment) creates no
    value, so its line stays empty ("Common issues with transforming input", EventBridge User Guide).
    """

    def __init__(self, scope: Construct, construct_id: str, props: BeanstalkAlertsProps) -> None:
        super().__init__(scope, construct_id)
        if not props.actions:
            raise ValueError("BeanstalkAlertsProps.actions must name at least one Elastic Beanstalk action")
        self.rule_name = props.rule_name or f"{props.topic_name}-rule"
        self.rule_arn = Stack.of(self).format_arn(service="events", resource="rule", resource_name=self.rule_name)
        rule_arns = [self.rule_arn]

        parts = add_encrypted_topic(
            self,
            topic_name=props.topic_name,
            display_name="Elastic Beanstalk change alert",
            key_description=f"Encrypts the {props.topic_name} SNS topic (Elastic Beanstalk change alerts)",
            publisher=ServicePublisher(
                service=EVENTS_SERVICE,
                key_sid="AllowEventBridgePublishToEncryptedTopic",
                key_conditions=None,  # not supported for EventBridge-to-encrypted-topic delivery (see above)
                publish_sid="AllowEventBridgePublish",
                publish_conditions={"StringEquals": source_arn_equals(rule_arns)},
            ),
            emails=props.emails,
        )
        self.key, self.topic, self.publish = parts.key, parts.topic, parts.publish
        self._parts = parts
        self._cloudwatch_publish: iam.PolicyStatement | None = None
        self._alarm_prefixes: list[str] = []

        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=self.rule_name,
            description="Elastic Beanstalk changes recorded by CloudTrail, to the alert topic",
            event_pattern=events.EventPattern(
                source=["aws.elasticbeanstalk"],
                detail_type=["AWS API Call via CloudTrail"],
                detail={
                    "eventSource": [EVENT_SOURCE],
                    "eventName": list(props.actions),
                },
            ),
        )
        self.rule.add_target(_TopicWithoutGrant(self.topic, alert_message()))
        # The topic policy must exist before EventBridge first publishes.
        self.rule.node.add_dependency(self.policy)
        self.node.add_validation(_AlarmsMayPublish(self))

    def allow_cloudwatch_alarms(self, alarm_name_prefix: str) -> iam.PolicyStatement:
        """Let CloudWatch alarms named ``<alarm_name_prefix>*`` of this account and region publish to the topic.

        Every call adds its prefix to the one statement (a prefix already covered by an earlier one adds nothing),
        so the topic allows every prefix it was given. Name the alarms and derive the prefix from one place
        (:func:`ebtrail.core.names.alarm_name` and :func:`~ebtrail.core.names.alarm_name_prefix`): an alarm the
        pattern does not match goes to ALARM and notifies nobody.

        * ``AllowCloudWatchAlarmsToEncryptedTopic`` (key policy): ``kms:GenerateDataKey*`` and ``kms:Decrypt``
          for ``cloudwatch.amazonaws.com`` ("Enable compatibility between event sources from AWS services and
          encrypted topics", SNS Developer Guide,
          https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
          Unconditioned, like the EventBridge statement: the guide does not say that CloudWatch's KMS request
          carries ``aws:SourceArn``, and a condition it did not carry would drop every alarm notification
          silently. The key encrypts only this topic.
        * ``AllowCloudWatchAlarmsPublish`` (topic policy): ``sns:Publish`` only with ``aws:SourceArn`` like
          ``arn:<partition>:cloudwatch:<region>:<account>:alarm:<alarm_name_prefix>*`` (one value per prefix) and
          ``aws:SourceAccount`` = this account.
        """
        if any(alarm_name_prefix.startswith(known) for known in self._alarm_prefixes):
            assert self._cloudwatch_publish is not None
            return self._cloudwatch_publish
        self._alarm_prefixes = [p for p in self._alarm_prefixes if not p.startswith(alarm_name_prefix)]
        self._alarm_prefixes.append(alarm_name_prefix)
        stack = Stack.of(self)
        alarm_arns = [
            alarms_arn_pattern(stack.partition, stack.region, stack.account, prefix)
            for prefix in sorted(self._alarm_prefixes)
        ]
        if self._cloudwatch_publish is not None:
            # add_condition merges by operator and replaces the key's values: the full list, every time.
            self._cloudwatch_publish.add_condition("ArnLike", {"aws:SourceArn": alarm_arns})
            return self._cloudwatch_publish
        self._cloudwatch_publish = add_publisher(
            self._parts,
            ServicePublisher(
                service=CLOUDWATCH_SERVICE,
                key_sid="AllowCloudWatchAlarmsToEncryptedTopic",
                key_conditions=None,
                publish_sid="AllowCloudWatchAlarmsPublish",
                publish_conditions={
                    "ArnLike": {"aws:SourceArn": alarm_arns},
                    "StringEquals": {"aws:SourceAccount": [stack.account]},
                },
            ),
        )
        return self._cloudwatch_publish

    @property
    def alarm_name_prefixes(self) -> tuple[str, ...]:
        """The alarm-name prefixes the topic policy lets publish (:meth:`allow_cloudwatch_alarms`)."""
        return tuple(sorted(self._alarm_prefixes))

    @property
    def policy(self) -> sns.TopicPolicy:
        """The topic policy resource."""
        return self._parts.policy


def alert_message() -> events.RuleTargetInput:
    """The alert text: labelled lines with the values of :data:`MESSAGE_FIELDS`.

    The literal text avoids ``<`` and ``>``: EventBridge reads them as placeholders and cannot escape them.
    """

    def f(name: str) -> str:
        return events.EventField.from_path(MESSAGE_FIELDS[name])

    lines = [
        f"Elastic Beanstalk {f('action')} in account {f('account')}, region {f('region')}",
        f"Who: {f('who')}",
        f"Environment name: {f('environment_name')}",
        f"Environment ID: {f('environment_id')}",
        f"Application: {f('application')}",
        f"CNAMEs swapped between (SwapEnvironmentCNAMEs only): {f('swap_source')} and {f('swap_destination')}",
        f"From: {f('source_ip')}",
        f"When: {f('time')}",
        f"Error code (empty if the call succeeded): {f('error_code')}",
    ]
    return events.RuleTargetInput.from_text("\n".join(lines))


@jsii.implements(events.IRuleTarget)
class _TopicWithoutGrant:
    """An SNS rule target that, unlike ``aws_events_targets.SnsTopic``, adds nothing to the topic or key policy.

    The topic policy's ``AllowEventBridgePublish`` statement (with ``aws:SourceArn``) is the only grant.
    """

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self._topic = topic
        self._message = message

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        del rule, id
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)


@jsii.implements(IValidation)
class _AlarmsMayPublish:
    """Fails synthesis when an alarm of the stack notifies the alert topic under a name its policy does not allow.

    Such an alarm deploys green, goes to ALARM and reaches nobody (CloudWatch's ``sns:Publish`` is refused), so it
    is refused here, naming the alarm and the allowed prefixes.
    """

    def __init__(self, alerts: BeanstalkAlerts) -> None:
        self._alerts = alerts

    def validate(self) -> list[str]:
        stack = Stack.of(self._alerts)
        topic = stack.resolve(self._alerts.topic.topic_arn)
        prefixes = self._alerts.alarm_name_prefixes
        errors: list[str] = []
        for node in stack.node.find_all():
            if not isinstance(node, cloudwatch.CfnAlarm):
                continue
            # Resolve each list whole: the L2 alarm's action lists are lazy list tokens.
            lists = (node.alarm_actions, node.ok_actions, node.insufficient_data_actions)
            if not any(topic in (stack.resolve(actions) or []) for actions in lists):
                continue
            name = node.alarm_name
            if name is not None and not Token.is_unresolved(name) and name.startswith(prefixes):
                continue
            allowed = ", ".join(f"{p}*" for p in prefixes) or "none (call allow_cloudwatch_alarms)"
            errors.append(
                f"alarm {name or node.node.path} notifies the alert topic, whose policy lets only alarms named "
                f"{allowed} publish: name it with ebtrail.core.names.alarm_name, or allow its prefix"
            )
        return errors
