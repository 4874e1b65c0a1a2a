"""BeanstalkAlerts: event pattern, rule-scoped key and topic policies, and the alert text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from ebtrail.constructs.beanstalk_alerts import (
    MESSAGE_FIELDS,
    BeanstalkAlerts,
    BeanstalkAlertsProps,
)
from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS
from stacks.app_builder import feature_flags
from tests.cdk.policy_helpers import only_resource, statement, statements_for_principal

EVENTS = {"Service": "events.amazonaws.com"}
RULE_ARN = "arn:aws:events:us-east-1:111111111111:rule/eb-alerts-rule"
CUSTOM_RULE_ARN = "arn:aws:events:us-east-1:111111111111:rule/custom-beanstalk-rule"
ENV = Environment(account="111111111111", region="us-east-1")


@dataclass
class Built:
    default: dict[str, Any]
    custom: dict[str, Any]


def _app() -> App:
    return App(context=feature_flags())


@pytest.fixture(scope="module")
def built() -> Built:
    """Two stacks in one app: default actions with an e-mail subscriber, and custom actions and rule name.

    ``Template.from_stack`` runs the cdk-nag packs, so loading the templates proves they have no
    unacknowledged finding.
    """
    app = _app()
    default_stack = Stack(app, "AlertsDefault", env=ENV)
    BeanstalkAlerts(default_stack, "Alerts", BeanstalkAlertsProps(topic_name="eb-alerts", emails=["ops@example.com"]))
    custom_stack = Stack(app, "AlertsCustom", env=ENV)
    BeanstalkAlerts(
        custom_stack,
        "Alerts",
        BeanstalkAlertsProps(
            topic_name="custom-alerts",
            actions=["TerminateEnvironment", "DeleteApplication"],
            rule_name="custom-beanstalk-rule",
        ),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
    return Built(default=_json(default_stack), custom=_json(custom_stack))


def _json(stack: Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


def _logical_id(template: dict[str, Any], resource_type: str) -> str:
    ids: list[str] = [k for k, v in template["Resources"].items() if v["Type"] == resource_type]
    assert len(ids) == 1, ids
    return ids[0]


def _rule(template: dict[str, Any]) -> dict[str, Any]:
    return only_resource(template, "AWS::Events::Rule")


def _transformer(template: dict[str, Any]) -> dict[str, Any]:
    targets = _rule(template)["Properties"]["Targets"]
    assert len(targets) == 1
    transformer: dict[str, Any] = targets[0]["InputTransformer"]
    return transformer


# --- the rule ---------------------------------------------------------------------------------------


def test_rule_matches_beanstalk_calls_recorded_by_cloudtrail_for_the_default_actions(built: Built) -> None:
    rule = _rule(built.default)["Properties"]
    assert rule["Name"] == "eb-alerts-rule"
    assert rule["State"] == "ENABLED"
    assert "EventBusName" not in rule  # the default bus, where CloudTrail-recorded API calls arrive
    assert rule["EventPattern"] == {
        "source": ["aws.elasticbeanstalk"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["elasticbeanstalk.amazonaws.com"],
            "eventName": [
                "TerminateEnvironment",
                "DeleteApplication",
                "DeleteApplicationVersion",
                "DeleteEnvironmentConfiguration",
                "RebuildEnvironment",
                "SwapEnvironmentCNAMEs",
                "UpdateEnvironment",
            ],
        },
    }
    assert list(DEFAULT_ALERT_ACTIONS) == rule["EventPattern"]["detail"]["eventName"]


def test_actions_and_rule_name_are_configurable(built: Built) -> None:
    rule = _rule(built.custom)["Properties"]
    assert rule["Name"] == "custom-beanstalk-rule"
    assert rule["EventPattern"]["detail"]["eventName"] == ["TerminateEnvironment", "DeleteApplication"]
    policy = only_resource(built.custom, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]
    condition = statement(policy, "AllowEventBridgePublish")["Condition"]
    assert condition == {"StringEquals": {"aws:SourceArn": [CUSTOM_RULE_ARN]}}


def test_rule_targets_only_the_alert_topic_after_its_policy_exists(built: Built) -> None:
    template = built.default
    rule = _rule(template)
    targets = rule["Properties"]["Targets"]
    assert [t["Arn"] for t in targets] == [{"Ref": _logical_id(template, "AWS::SNS::Topic")}]
    assert "RoleArn" not in targets[0]  # EventBridge publishes as events.amazonaws.com, per the topic policy
    assert _logical_id(template, "AWS::SNS::TopicPolicy") in rule["DependsOn"]


def test_pattern_matches_a_terminate_call_and_not_a_read_or_another_service() -> None:
    pattern = {
        "source": ["aws.elasticbeanstalk"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["elasticbeanstalk.amazonaws.com"], "eventName": list(DEFAULT_ALERT_ACTIONS)},
    }
    assert _matches(pattern, TERMINATE_EVENT)
    describe = {**TERMINATE_EVENT, "detail": {**TERMINATE_EVENT["detail"], "eventName": "DescribeEnvironments"}}
    assert not _matches(pattern, describe)
    ec2 = {**TERMINATE_EVENT, "source": "aws.ec2", "detail": {**TERMINATE_EVENT["detail"], "eventName": "X"}}
    assert not _matches(pattern, ec2)


# --- key and topic policies -------------------------------------------------------------------------


def test_topic_is_encrypted_with_its_own_rotated_key_deleted_with_the_stack(built: Built) -> None:
    """The topic key encrypts only messages SNS holds for delivery: deleted with the stack after KMS's longest
    waiting period (README.md, "What teardown keeps")."""
    template = built.default
    topic = only_resource(template, "AWS::SNS::Topic")["Properties"]
    assert topic["TopicName"] == "eb-alerts"
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [_logical_id(template, "AWS::KMS::Key"), "Arn"]}
    key = only_resource(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Delete"
    assert key["UpdateReplacePolicy"] == "Delete"
    assert key["Properties"]["PendingWindowInDays"] == 30
    alias = only_resource(template, "AWS::KMS::Alias")["Properties"]
    assert alias["AliasName"] == "alias/eb-alerts"


def test_key_lets_eventbridge_encrypt_for_the_topic_without_source_conditions(built: Built) -> None:
    """No ``aws:SourceArn``/``aws:SourceAccount`` here: the SNS guide says KMS key policies cannot use them
    for EventBridge-to-encrypted topics, and a condition that never matches would drop every alert.
    """
    policy = only_resource(built.default, "AWS::KMS::Key")["Properties"]["KeyPolicy"]
    assert statements_for_principal(policy, EVENTS) == [
        {
            "Sid": "AllowEventBridgePublishToEncryptedTopic",
            "Effect": "Allow",
            "Principal": EVENTS,
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    ]
    # Besides it, only the account's own administration statement (aws-cdk-lib's default key policy).
    others = [s for s in policy["Statement"] if s.get("Principal") != EVENTS]
    assert others == [
        {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Resource": "*"}
    ]


def test_topic_policy_lets_only_our_rule_publish_and_only_over_tls(built: Built) -> None:
    template = built.default
    topic_ref = {"Ref": _logical_id(template, "AWS::SNS::Topic")}
    topic_policy = only_resource(template, "AWS::SNS::TopicPolicy")["Properties"]
    assert topic_policy["Topics"] == [topic_ref]
    policy = topic_policy["PolicyDocument"]
    assert statement(policy, "AllowEventBridgePublish") == {
        "Sid": "AllowEventBridgePublish",
        "Effect": "Allow",
        "Principal": EVENTS,
        "Action": "sns:Publish",
        "Resource": topic_ref,
        "Condition": {"StringEquals": {"aws:SourceArn": [RULE_ARN]}},
    }
    assert statement(policy, "AllowPublishThroughSSLOnly") == {
        "Sid": "AllowPublishThroughSSLOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": topic_ref,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    # No unconditioned grant (aws_events_targets.SnsTopic would have added one).
    assert len(policy["Statement"]) == 2


def test_email_subscriptions(built: Built) -> None:
    subscription = only_resource(built.default, "AWS::SNS::Subscription")["Properties"]
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == "ops@example.com"
    assert subscription["TopicArn"] == {"Ref": _logical_id(built.default, "AWS::SNS::Topic")}
    assert not [r for r in built.custom["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]


# --- the alert text ---------------------------------------------------------------------------------


def test_input_transformer_reads_who_what_where_from_and_when(built: Built) -> None:
    paths = _transformer(built.default)["InputPathsMap"]
    assert sorted(paths.values()) == sorted(
        [
            "$.detail.userIdentity.arn",
            "$.detail.eventName",
            "$.detail.requestParameters.environmentName",
            "$.detail.requestParameters.environmentId",
            "$.detail.requestParameters.applicationName",
            "$.detail.requestParameters.sourceEnvironmentName",
            "$.detail.requestParameters.destinationEnvironmentName",
            "$.detail.sourceIPAddress",
            "$.detail.errorCode",
            "$.time",
            "$.region",
            "$.account",
        ]
    )
    assert sorted(paths.values()) == sorted(MESSAGE_FIELDS.values())


def test_template_uses_every_variable_and_no_other_angle_brackets(built: Built) -> None:
    transformer = _transformer(built.default)
    template = transformer["InputTemplate"]
    placeholders = set(re.findall(r"<([^<>]*)>", template))
    assert placeholders == set(transformer["InputPathsMap"])
    # EventBridge cannot escape "<" and ">": literal text must not contain them.
    assert "<" not in re.sub(r"<[^<>]*>", "", template)
    assert ">" not in re.sub(r"<[^<>]*>", "", template)


def test_alert_for_a_terminate_call_reads_well(built: Built) -> None:
    assert _render(_transformer(built.default), TERMINATE_EVENT) == "\n".join(
        [
            "Elastic Beanstalk TerminateEnvironment in account 111111111111, region us-east-1",
            "Who: arn:aws:sts::111111111111:assumed-role/Deployer/alice",
            "Environment name: shop-prod",
            "Environment ID: ",
            "Application: ",
            "CNAMEs swapped between (SwapEnvironmentCNAMEs only):  and ",
            "From: 203.0.113.10",
            "When: 2026-11-25T10:15:00Z",
            "Error code (empty if the call succeeded): ",
        ]
    )


def test_alert_for_a_failed_swap_names_both_environments_and_the_error(built: Built) -> None:
    detail = {
        **TERMINATE_EVENT["detail"],
        "eventName": "SwapEnvironmentCNAMEs",
        "errorCode": "InsufficientPrivilegesException",
        "requestParameters": {"sourceEnvironmentName": "shop-blue", "destinationEnvironmentName": "shop-green"},
    }
    lines = _render(_transformer(built.default), {**TERMINATE_EVENT, "detail": detail}).split("\n")
    assert lines[0] == "Elastic Beanstalk SwapEnvironmentCNAMEs in account 111111111111, region us-east-1"
    assert lines[2] == "Environment name: "
    assert lines[5] == "CNAMEs swapped between (SwapEnvironmentCNAMEs only): shop-blue and shop-green"
    assert lines[8] == "Error code (empty if the call succeeded): InsufficientPrivilegesException"


def test_props_need_at_least_one_action() -> None:
    stack = Stack(_app(), "Empty", env=ENV)
    with pytest.raises(ValueError, match="at least one"):
        BeanstalkAlerts(stack, "Alerts", BeanstalkAlertsProps(topic_name="x", actions=[]))


# --- helpers: a CloudTrail event as EventBridge delivers it, and the two EventBridge behaviours used ----

TERMINATE_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.elasticbeanstalk",
    "account": "111111111111",
    "time": "2026-11-25T10:15:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice",
            "arn": "arn:aws:sts::111111111111:assumed-role/Deployer/alice",
            "accountId": "111111111111",
        },
        "eventTime": "2026-11-25T10:15:00Z",
        "eventSource": "elasticbeanstalk.amazonaws.com",
        "eventName": "TerminateEnvironment",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.22.0",
        "requestParameters": {"environmentName": "shop-prod", "terminateResources": True},
        "responseElements": None,
        "requestID": "d3f2a1b0-0000-4000-8000-000000000000",
        "eventID": "0b7e4c1a-0000-4000-8000-000000000000",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111111111111",
    },
}


def _matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge matching for patterns made only of value lists (exact string match, nested objects)."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        if isinstance(expected, dict):
            if not isinstance(event[key], dict) or not _matches(expected, event[key]):
                return False
        elif event[key] not in expected:
            return False
    return True


def _render(transformer: dict[str, Any], event: dict[str, Any]) -> str:
    """What an SNS subscriber receives: each ``<var>`` replaced by the value at its path (nothing when the
    path is missing), then the template decoded as the JSON string it is.
    """
    text: str = transformer["InputTemplate"]
    for var, path in transformer["InputPathsMap"].items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        text = text.replace(f"<{var}>", "" if value is None else str(value))
    message = json.loads(text)
    assert isinstance(message, str)
    return message
