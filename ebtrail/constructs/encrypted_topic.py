"""An SNS topic encrypted with its own customer managed key, published to by one AWS service only."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct


@dataclass(frozen=True)
class ServicePublisher:
    """The AWS service that publishes to the topic, and the conditions on its two statements."""

    #: Service principal, for example ``cloudtrail.amazonaws.com``.
    service: str
    #: Sid of the key-policy statement and its conditions (``None``: unconditioned).
    key_sid: str
    key_conditions: dict[str, dict[str, list[str]]] | None
    #: Sid of the topic-policy ``sns:Publish`` statement and its conditions.
    publish_sid: str
    publish_conditions: dict[str, dict[str, list[str]]]


@dataclass
class EncryptedTopic:
    """The key, the topic and the publish statement made by :func:`add_encrypted_topic`."""

    key: kms.Key
    topic: sns.Topic
    publish: iam.PolicyStatement

    @property
    def policy(self) -> sns.TopicPolicy:
        """The topic policy resource (aws-cdk-lib creates it with the first resource-policy statement)."""
        policy = self.topic.node.try_find_child("Policy")
        assert isinstance(policy, sns.TopicPolicy)
        return policy

    @property
    def resources(self) -> tuple[IConstruct, ...]:
        """The topic, its policy and its key: what must exist before the publisher is set up."""
        topic, key = self.topic.node.default_child, self.key.node.default_child
        assert topic is not None and key is not None
        return (topic, self.policy, key)


def add_encrypted_topic(
    scope: Construct,
    *,
    topic_name: str,
    display_name: str,
    key_description: str,
    publisher: ServicePublisher,
    emails: list[str],
) -> EncryptedTopic:
    """Add ``TopicKey`` and ``Topic`` to ``scope``.

    * The key is customer managed because the AWS managed ``alias/aws/sns`` key's policy cannot grant a
      service anything; publishing to an SSE-KMS topic needs ``kms:GenerateDataKey*`` and ``kms:Decrypt``
      for the publishing service. Rotation on. Unlike the keys of the archive and of the log groups, it is *not*
      kept when the stack is deleted: it encrypts only the messages SNS holds until it has delivered them
      ("Encryption at rest", Amazon SNS Developer Guide: SSE encrypts the message body as SNS stores it), so once
      the topic is gone nothing is left that needs it. KMS deletes it after the longest waiting period, 30 days
      ("Deleting AWS KMS keys", AWS KMS Developer Guide: 7 to 30 days, cancellable until then), which outlasts
      SNS's own delivery retries.
    * The topic policy allows ``sns:Publish`` to the service only under ``publish_conditions``, and
      denies publishing without TLS (``enforce_ssl``).
    * Optional e-mail subscriptions; each address must confirm.
    """
    key = kms.Key(
        scope,
        "TopicKey",
        alias=f"alias/{topic_name}",
        description=key_description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,
        pending_window=Duration.days(30),
    )
    key.add_to_resource_policy(_key_statement(publisher))
    topic = sns.Topic(
        scope,
        "Topic",
        topic_name=topic_name,
        display_name=display_name,
        master_key=key,
        enforce_ssl=True,
    )
    publish = _publish_statement(topic, publisher)
    topic.add_to_resource_policy(publish)
    for email in emails:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return EncryptedTopic(key=key, topic=topic, publish=publish)


def add_publisher(parts: EncryptedTopic, publisher: ServicePublisher) -> iam.PolicyStatement:
    """Let a second AWS service publish to the topic: its key-policy and topic-policy statements."""
    parts.key.add_to_resource_policy(_key_statement(publisher))
    publish = _publish_statement(parts.topic, publisher)
    parts.topic.add_to_resource_policy(publish)
    return publish


def _key_statement(publisher: ServicePublisher) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=publisher.key_sid,
        principals=[iam.ServicePrincipal(publisher.service)],
        actions=["kms:GenerateDataKey*", "kms:Decrypt"],
        resources=["*"],
        conditions=publisher.key_conditions,
    )


def _publish_statement(topic: sns.Topic, publisher: ServicePublisher) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=publisher.publish_sid,
        principals=[iam.ServicePrincipal(publisher.service)],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions=publisher.publish_conditions,
    )
