"""The SNS topic CloudTrail notifies on every log-file delivery."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

from ebtrail.naming import TrailTarget
from trail_constructs.policy_conditions import CLOUDTRAIL_SERVICE, source_arn_equals


@dataclass(frozen=True)
class DeliveryTopicProps:
    """What the delivery topic needs to know."""

    topic_name: str
    #: The trail that publishes to the topic.
    trail: TrailTarget
    #: E-mail addresses to subscribe (each must confirm). Default: none.
    emails: list[str] = field(default_factory=list)


class DeliveryTopic(Construct):
    """SNS topic for log-file delivery notifications, encrypted with its own customer managed key.

    * The topic key is customer managed because the AWS managed ``alias/aws/sns`` key's policy cannot
      grant CloudTrail anything; its policy lets ``cloudtrail.amazonaws.com`` call
      ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (needed to publish to an encrypted topic) only for
      our trail (``aws:SourceArn``).
    * ``AWSCloudTrailSNSPolicy``: ``sns:Publish`` for CloudTrail only with ``aws:SourceArn`` = the trail
      ("Amazon SNS topic policy for CloudTrail"); otherwise ``CreateTrail`` fails with
      ``InsufficientSnsTopicPolicyException``.
    * A ``Deny`` of publishing without TLS (``enforce_ssl``).

    Subscribers receive ``{"s3Bucket": ..., "s3ObjectKey": [...]}`` per delivery and, once when the
    trail is attached, the text ``CloudTrail validation message.``, which they should ignore.
    """

    def __init__(self, scope: Construct, construct_id: str, props: DeliveryTopicProps) -> None:
        super().__init__(scope, construct_id)
        trail_arns = [props.trail.arn]
        self.key = kms.Key(
            self,
            "TopicKey",
            alias=f"alias/{props.topic_name}",
            description=f"Encrypts the {props.topic_name} SNS topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailPublishToEncryptedTopic",
                principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": source_arn_equals(trail_arns)},
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=props.topic_name,
            display_name="CloudTrail log delivery",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.publish = iam.PolicyStatement(
            sid="AWSCloudTrailSNSPolicy",
            principals=[iam.ServicePrincipal(CLOUDTRAIL_SERVICE)],
            actions=["sns:Publish"],
            resources=[self.topic.topic_arn],
            conditions={"StringEquals": source_arn_equals(trail_arns)},
        )
        self.topic.add_to_resource_policy(self.publish)
        for email in props.emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

    @property
    def trail_prerequisites(self) -> tuple[IConstruct, ...]:
        """What CreateTrail checks here: the topic, its policy and its key (not the subscriptions)."""
        topic, key = self.topic.node.default_child, self.key.node.default_child
        assert topic is not None and key is not None
        return (topic, self.policy, key)

    @property
    def policy(self) -> sns.TopicPolicy:
        """The topic policy resource; the trail must depend on it."""
        policy = self.topic.node.try_find_child("Policy")
        assert isinstance(policy, sns.TopicPolicy)
        return policy
