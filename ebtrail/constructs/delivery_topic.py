"""The SNS topic CloudTrail notifies on every log-file delivery."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from ebtrail.constructs.encrypted_topic import ServicePublisher, add_encrypted_topic
from ebtrail.constructs.policy_conditions import CLOUDTRAIL_SERVICE, source_arn_equals
from ebtrail.core.names import TrailTarget


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
      ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (needed to publish to an encrypted topic) exactly as
      CloudTrail's guide documents it, without conditions ("Amazon SNS topic policy for CloudTrail",
      https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html).
      Neither CloudTrail's nor SNS's guide documents ``aws:SourceArn`` on that KMS request (the SNS guide says it
      is not supported there for EventBridge) or the ``kms:EncryptionContext:aws:sns:topicArn`` key as a
      condition for CloudTrail; a condition the request does not carry would make every notification fail
      silently (``LatestNotificationError``). The key encrypts this one topic only, so the statement reaches
      nothing else, and the topic policy below is what limits publishing to our trail.
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
        parts = add_encrypted_topic(
            self,
            topic_name=props.topic_name,
            display_name="CloudTrail log delivery",
            key_description=f"Encrypts the {props.topic_name} SNS topic",
            publisher=ServicePublisher(
                service=CLOUDTRAIL_SERVICE,
                key_sid="AllowCloudTrailPublishToEncryptedTopic",
                key_conditions=None,  # as documented by CloudTrail; see the class docstring
                publish_sid="AWSCloudTrailSNSPolicy",
                publish_conditions={"StringEquals": source_arn_equals(trail_arns)},
            ),
            emails=props.emails,
        )
        self.key, self.topic, self.publish = parts.key, parts.topic, parts.publish
        self._parts = parts

    @property
    def trail_prerequisites(self) -> tuple[IConstruct, ...]:
        """What CreateTrail checks here: the topic, its policy and its key (not the subscriptions)."""
        return self._parts.resources

    @property
    def policy(self) -> sns.TopicPolicy:
        """The topic policy resource; the trail must depend on it."""
        return self._parts.policy
