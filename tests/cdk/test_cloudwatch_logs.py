"""CloudWatch Logs delivery and the CIS alarms (tests/fixtures/configs/all-features.toml): every resource and
statement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS
from ebtrail.core.cis_filters import CIS_FILTERS, beanstalk_filter
from ebtrail.core.iam import Principal, Request, Verdict, evaluate
from tests.cdk.policy_helpers import only_resource, resources_of_type, statement
from tests.cdk.synth_cache import Synthesized

TRAIL_STACK = "ebtrail-trail-111111111111"
TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/ebtrail-org-beanstalk-audit"
LOG_GROUP = "/aws/cloudtrail/ebtrail-org-beanstalk-audit"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:111111111111:log-group:{LOG_GROUP}"


@pytest.fixture(scope="module")
def trail(synthesized: Callable[[str], Synthesized]) -> dict[str, Any]:
    return synthesized("all-features.toml").json(TRAIL_STACK)


def _logical_id(template: dict[str, Any], resource_type: str, prefix: str) -> str:
    ids = [k for k in resources_of_type(template, resource_type) if k.startswith(prefix)]
    assert len(ids) == 1, ids
    return ids[0]


def test_log_group_is_encrypted_with_its_own_key_kept_365_days_and_retained(trail: dict[str, Any]) -> None:
    group = only_resource(trail, "AWS::Logs::LogGroup", id_prefix="CloudWatchLogs")
    key_id = _logical_id(trail, "AWS::KMS::Key", "CloudWatchLogs")
    assert group["Properties"]["LogGroupName"] == LOG_GROUP
    assert group["Properties"]["RetentionInDays"] == 365
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert group["DeletionPolicy"] == "Retain"  # KmsKeyId already orders it after the key and its policy
    key = trail["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_log_key_lets_cloudwatch_logs_use_it_for_this_log_group_only(trail: dict[str, Any]) -> None:
    key = only_resource(trail, "AWS::KMS::Key", id_prefix="CloudWatchLogs")
    policy = key["Properties"]["KeyPolicy"]
    logs = statement(policy, "AllowCloudWatchLogsUseOfTheKey")
    assert logs["Effect"] == "Allow"
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert sorted(logs["Action"]) == [
        "kms:Decrypt*",
        "kms:Describe*",
        "kms:Encrypt*",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    ]
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": LOG_GROUP_ARN}}
    others = [s for s in policy["Statement"] if s.get("Sid") != "AllowCloudWatchLogsUseOfTheKey"]
    assert others == [
        {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Resource": "*"}
    ]


def test_delivery_role_trusts_cloudtrail_as_documented_without_source_conditions(trail: dict[str, Any]) -> None:
    """The trust "Sending events to CloudWatch Logs" (CloudTrail User Guide) shows, without conditions: a source
    account CloudTrail did not send (an organization trail's member events) would drop events silently."""
    role = only_resource(trail, "AWS::IAM::Role", id_prefix="CloudWatchLogs")
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {
        "Action": "sts:AssumeRole",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
    }
    # The trust as IAM evaluates it (a trust policy's resource is the role itself): CloudTrail may assume the
    # role whatever source account it names for an organization trail's member events, or none.
    role_arn = "arn:aws:iam::111111111111:role/delivery"
    trust_as_resource_policy = {"Statement": [{**trust, "Resource": role_arn}]}
    for context in (
        {"aws:SourceArn": TRAIL_ARN, "aws:SourceAccount": "333333333333"},
        {"aws:SourceArn": TRAIL_ARN, "aws:SourceAccount": "111111111111"},
        {},
    ):
        request = Request(Principal("Service", "cloudtrail.amazonaws.com"), "sts:AssumeRole", role_arn, context)
        assert evaluate(trust_as_resource_policy, request).verdict is Verdict.ALLOWED, context
    assert "Policies" not in role["Properties"] and "ManagedPolicyArns" not in role["Properties"]


def test_delivery_role_may_only_create_streams_and_put_events_in_the_log_group(trail: dict[str, Any]) -> None:
    policy = only_resource(trail, "AWS::IAM::ManagedPolicy", id_prefix="CloudWatchLogs")["Properties"]
    role_id = _logical_id(trail, "AWS::IAM::Role", "CloudWatchLogs")
    assert policy["Roles"] == [{"Ref": role_id}]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "AWSCloudTrailCreateLogStreamAndPutLogEvents",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{LOG_GROUP_ARN}:log-stream:*",
        }
    ]


def test_trail_delivers_to_the_log_group_after_role_policy_and_group_exist(trail: dict[str, Any]) -> None:
    resource = only_resource(trail, "AWS::CloudTrail::Trail")
    properties = resource["Properties"]
    group_id = _logical_id(trail, "AWS::Logs::LogGroup", "CloudWatchLogs")
    role_id = _logical_id(trail, "AWS::IAM::Role", "CloudWatchLogs")
    policy_id = _logical_id(trail, "AWS::IAM::ManagedPolicy", "CloudWatchLogs")
    assert properties["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [group_id, "Arn"]}
    assert properties["CloudWatchLogsRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert policy_id in resource["DependsOn"]  # group and role: ordered by the GetAtt references above


def test_one_metric_filter_and_alarm_per_cis_control_and_for_beanstalk(trail: dict[str, Any]) -> None:
    expected = {f.slug: f.pattern for f in (*CIS_FILTERS, beanstalk_filter(DEFAULT_ALERT_ACTIONS))}
    group_id = _logical_id(trail, "AWS::Logs::LogGroup", "CloudWatchLogs")
    filters = resources_of_type(trail, "AWS::Logs::MetricFilter").values()
    assert {f["Properties"]["FilterName"]: f["Properties"]["FilterPattern"] for f in filters} == expected
    for metric_filter in filters:
        properties = metric_filter["Properties"]
        assert properties["LogGroupName"] == {"Ref": group_id}
        assert properties["MetricTransformations"] == [
            {
                "MetricName": properties["FilterName"],
                "MetricNamespace": "ebtrail/CloudTrailMetrics",
                "MetricValue": "1",
            }
        ]
    topic_id = _logical_id(trail, "AWS::SNS::Topic", "BeanstalkAlerts")
    alarms = [
        a["Properties"]
        for logical_id, a in resources_of_type(trail, "AWS::CloudWatch::Alarm").items()
        if logical_id.startswith("CisAlarms")
    ]
    assert sorted(a["MetricName"] for a in alarms) == sorted(expected)
    for alarm in alarms:
        assert alarm["AlarmName"] == f"ebtrail-org-beanstalk-audit-{alarm['MetricName']}"
        assert alarm["Namespace"] == "ebtrail/CloudTrailMetrics"
        assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_alert_topic_lets_our_alarms_publish(trail: dict[str, Any]) -> None:
    policy = only_resource(trail, "AWS::SNS::TopicPolicy", id_prefix="BeanstalkAlerts")["Properties"]["PolicyDocument"]
    publish = statement(policy, "AllowCloudWatchAlarmsPublish")
    topic_id = _logical_id(trail, "AWS::SNS::Topic", "BeanstalkAlerts")
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Resource"] == {"Ref": topic_id}
    assert publish["Condition"] == {
        "ArnLike": {"aws:SourceArn": ["arn:aws:cloudwatch:us-east-1:111111111111:alarm:ebtrail-org-beanstalk-audit-*"]},
        "StringEquals": {"aws:SourceAccount": ["111111111111"]},
    }
    key = only_resource(trail, "AWS::KMS::Key", id_prefix="BeanstalkAlerts")["Properties"]["KeyPolicy"]
    encrypt = statement(key, "AllowCloudWatchAlarmsToEncryptedTopic")
    assert encrypt["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(encrypt["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert "Condition" not in encrypt  # see BeanstalkAlerts.allow_cloudwatch_alarms


def test_default_config_has_no_cloudwatch_logs_delivery(default: Synthesized) -> None:
    template = default.json("ebtrail-trail-111111111111")
    # the delivery canary's own log group and alarms are its, not CloudTrail's CloudWatch Logs delivery
    assert not [k for k in resources_of_type(template, "AWS::Logs::LogGroup") if not k.startswith("DeliveryCanary")]
    assert not [k for k in resources_of_type(template, "AWS::CloudWatch::Alarm") if not k.startswith("DeliveryCanary")]
    assert "CloudWatchLogsLogGroupArn" not in only_resource(template, "AWS::CloudTrail::Trail")["Properties"]
