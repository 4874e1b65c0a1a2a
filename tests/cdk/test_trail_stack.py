"""Security properties of the trail stack (default config): delivery topic, its key, and the trail."""

from __future__ import annotations

from typing import Any

from tests.cdk.policy_helpers import only_resource, statement, statements_for_principal
from tests.cdk.synth_cache import Synthesized

TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/ebtrail-beanstalk-audit"
CLOUDTRAIL = {"Service": "cloudtrail.amazonaws.com"}
TRAIL_STACK = "ebtrail-trail-111111111111"


def _trail_json(default: Synthesized) -> dict[str, Any]:
    return default.json(TRAIL_STACK)


def _logical_id(template: dict[str, Any], resource_type: str) -> str:
    """The delivery topic's resource of this type."""
    ids: list[str] = [
        k for k, v in template["Resources"].items() if v["Type"] == resource_type and k.startswith("DeliveryTopic")
    ]
    assert len(ids) == 1, ids
    return ids[0]


def test_trail_records_everything_everywhere_with_validation_and_sse_kms(default: Synthesized) -> None:
    trail = only_resource(_trail_json(default), "AWS::CloudTrail::Trail")["Properties"]
    assert trail["TrailName"] == "ebtrail-beanstalk-audit"
    assert trail["IsLogging"] is True
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["EnableLogFileValidation"] is True
    assert trail["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
    assert trail["S3BucketName"] == "ebtrail-logs-111111111111-us-east-1"
    assert trail["S3KeyPrefix"] == "beanstalk"
    assert trail["KMSKeyId"] == "arn:aws:kms:us-east-1:111111111111:alias/ebtrail/cloudtrail-logs"
    assert trail["SnsTopicName"] == "ebtrail-beanstalk-audit-delivery"


def test_trail_depends_on_topic_topic_policy_and_topic_key(default: Synthesized) -> None:
    template = _trail_json(default)
    trail = only_resource(template, "AWS::CloudTrail::Trail")
    for resource_type in ("AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "AWS::KMS::Key"):
        assert _logical_id(template, resource_type) in trail["DependsOn"]


def test_trail_stack_deploys_after_the_archive(default: Synthesized) -> None:
    trail_stack = default.built.trails[0]
    assert default.built.log_archive in trail_stack.dependencies


def test_topic_is_encrypted_with_its_own_customer_managed_key(default: Synthesized) -> None:
    template = _trail_json(default)
    topic = only_resource(template, "AWS::SNS::Topic", id_prefix="DeliveryTopic")["Properties"]
    assert topic["TopicName"] == "ebtrail-beanstalk-audit-delivery"
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [_logical_id(template, "AWS::KMS::Key"), "Arn"]}
    key = only_resource(template, "AWS::KMS::Key", id_prefix="DeliveryTopic")
    assert key["Properties"]["EnableKeyRotation"] is True
    # Deleted with the stack (30-day waiting period): it encrypts only messages SNS holds for delivery.
    assert key["DeletionPolicy"] == "Delete" and key["Properties"]["PendingWindowInDays"] == 30


def test_topic_key_statement_is_the_one_cloudtrail_documents_without_conditions(default: Synthesized) -> None:
    """CloudTrail's "Amazon SNS topic policy for CloudTrail" grants the topic key to cloudtrail.amazonaws.com with
    no condition; an aws:SourceArn there is undocumented and, if CloudTrail's requests through SNS do not carry
    it, every notification would fail silently. The key encrypts this one topic only, and the topic policy pins
    publishing to our trail with aws:SourceArn."""
    policy = only_resource(_trail_json(default), "AWS::KMS::Key", id_prefix="DeliveryTopic")["Properties"]["KeyPolicy"]
    assert statements_for_principal(policy, CLOUDTRAIL) == [
        {
            "Sid": "AllowCloudTrailPublishToEncryptedTopic",
            "Effect": "Allow",
            "Principal": CLOUDTRAIL,
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    ]


def test_topic_policy_lets_only_our_trail_publish_and_only_over_tls(default: Synthesized) -> None:
    template = _trail_json(default)
    topic_ref = {"Ref": _logical_id(template, "AWS::SNS::Topic")}
    policy = only_resource(template, "AWS::SNS::TopicPolicy", id_prefix="DeliveryTopic")["Properties"]["PolicyDocument"]
    assert statement(policy, "AWSCloudTrailSNSPolicy") == {
        "Sid": "AWSCloudTrailSNSPolicy",
        "Effect": "Allow",
        "Principal": CLOUDTRAIL,
        "Action": "sns:Publish",
        "Resource": topic_ref,
        "Condition": {"StringEquals": {"aws:SourceArn": [TRAIL_ARN]}},
    }
    assert statement(policy, "AllowPublishThroughSSLOnly") == {
        "Sid": "AllowPublishThroughSSLOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": topic_ref,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert len(policy["Statement"]) == 2


def test_email_subscriptions_from_config(default: Synthesized) -> None:
    subscription = only_resource(_trail_json(default), "AWS::SNS::Subscription", id_prefix="DeliveryTopic")[
        "Properties"
    ]
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == "platform-team@example.com"


def test_tags_from_config_on_every_taggable_resource(default: Synthesized) -> None:
    for template in (_trail_json(default), default.archive_json):
        for resource in template["Resources"].values():
            if resource["Type"] in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SNS::Topic", "AWS::CloudTrail::Trail"):
                assert {"Key": "Project", "Value": "ebtrail"} in resource["Properties"]["Tags"]


def test_stack_environments_are_explicit(default: Synthesized) -> None:
    for stack in default.built.stacks:
        assert stack.account == "111111111111"
        assert stack.region == "us-east-1"
