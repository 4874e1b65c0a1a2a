"""Every CloudWatch alarm of a trail stack can publish to the alert topic (issue 17, item 1): with a dotted trail
name and with a 100-character one, each alarm's ARN is evaluated as CloudWatch's ``sns:Publish`` request against
the synthesized topic policy with the project's policy evaluator (ebtrail.core.iam)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk.assertions import Template

from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.constructs.beanstalk_alerts import BeanstalkAlerts, BeanstalkAlertsProps
from ebtrail.core.iam import Verdict
from ebtrail.core.names import TrailTarget, alarm_name, alarm_name_prefix
from ebtrail.verifier.preflight.assembly import Resolver
from ebtrail.verifier.preflight.assembly import Stack as TemplateStack
from stacks.app_builder import build_app
from tests.cdk.policy_helpers import alarm_publish_verdict, resources_of_type, statement

ACCOUNT, REGION = "111111111111", "us-east-1"
DOTTED = "ebtrail.beanstalk.audit"
LONG = "T" + "x" * 98 + "T"  # 100 characters: the canary's function name is shortened with a hash


def _config(trail_name: str, *, beanstalk_events: bool) -> dict[str, Any]:
    return {
        "topology": "single-account",
        "archive": {"account": ACCOUNT, "region": REGION},
        "trail": {"name": trail_name, "account": ACCOUNT, "home_region": REGION},
        "alerts": {"emails": ["security@example.com"]},
        "cloudwatch_logs": {"enabled": True},
        "beanstalk_events": {"enabled": beanstalk_events},
    }


@pytest.fixture(scope="module", params=[(DOTTED, True), (LONG, False)], ids=["dotted", "100-characters"])
def trail_template(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    name, beanstalk_events = request.param
    built = build_app(plan(parse_config(_config(name, beanstalk_events=beanstalk_events))))
    [trail] = built.trails
    return name, dict(Template.from_stack(trail).to_json())


def _alert_topic(template: dict[str, Any]) -> str:
    [topic_id] = [k for k, r in resources_of_type(template, "AWS::SNS::Topic").items() if "Alerts" in k]
    return topic_id


def _publish(policy: dict[str, Any], topic_arn: str, alarm: str) -> Verdict:
    return alarm_publish_verdict(policy, topic_arn, alarm, account=ACCOUNT, region=REGION)


def test_every_alarm_of_the_trail_stack_may_publish_to_the_alert_topic(
    trail_template: tuple[str, dict[str, Any]],
) -> None:
    name, template = trail_template
    resolver = Resolver(TemplateStack("trail", ACCOUNT, REGION, template["Resources"]))
    topic_id = _alert_topic(template)
    topic_arn = resolver.ref(topic_id)
    [policy] = [
        resolver.resolve(r["Properties"]["PolicyDocument"])
        for r in resources_of_type(template, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in r["Properties"]["Topics"]
    ]
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    # The canary's five, the CIS monitoring ones, and (dotted case) the Beanstalk events stream's.
    assert len(alarms) >= 5 + 15
    for alarm in alarms.values():
        properties = alarm["Properties"]
        assert {"Ref": topic_id} in properties["AlarmActions"]
        assert properties["AlarmName"].startswith(alarm_name_prefix(name))
        assert _publish(policy, topic_arn, properties["AlarmName"]) is Verdict.ALLOWED, properties["AlarmName"]
    # Not a pass by default: an alarm named after the canary's function (dots to dashes, hash) is refused.
    assert _publish(policy, topic_arn, "ebtrail-beanstalk-audit-canary-errors") is Verdict.IMPLICIT_DENY
    assert _publish(policy, topic_arn, f"{name}x-canary-errors") is Verdict.IMPLICIT_DENY


def test_alarm_names_and_their_pattern_come_from_one_place() -> None:
    target = TrailTarget(account=ACCOUNT, home_region=REGION, name=DOTTED, partition="aws")
    assert alarm_name(DOTTED, "canary-errors") == "ebtrail.beanstalk.audit-canary-errors"
    assert target.alarm_arn_pattern == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:ebtrail.beanstalk.audit-*"
    very_long = alarm_name("T" * 128, "x" * 200)
    assert len(very_long) == 255
    assert very_long.startswith(alarm_name_prefix("T" * 128))


def test_allow_cloudwatch_alarms_allows_every_prefix_it_is_given() -> None:
    stack = Stack(App(), "Alerts", env={"account": ACCOUNT, "region": REGION})
    alerts = BeanstalkAlerts(stack, "Alerts", BeanstalkAlertsProps(topic_name="eb-alerts"))
    first = alerts.allow_cloudwatch_alarms("first-")
    assert alerts.allow_cloudwatch_alarms("second-") is first
    assert alerts.allow_cloudwatch_alarms("first-sub-") is first  # covered by "first-": adds nothing
    template = dict(Template.from_stack(stack).to_json())
    resolver = Resolver(TemplateStack("alerts", ACCOUNT, REGION, template["Resources"]))
    [policy] = [
        resolver.resolve(r["Properties"]["PolicyDocument"])
        for r in resources_of_type(template, "AWS::SNS::TopicPolicy").values()
    ]
    publish = statement(policy, "AllowCloudWatchAlarmsPublish")
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {
        "ArnLike": {
            "aws:SourceArn": [
                f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:first-*",
                f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:second-*",
            ]
        },
        "StringEquals": {"aws:SourceAccount": [ACCOUNT]},
    }
    assert alerts.alarm_name_prefixes == ("first-", "second-")


def _alarm(stack: Stack, alerts: BeanstalkAlerts, construct_id: str, name: str | None) -> None:
    alarm = cloudwatch.Alarm(
        stack,
        construct_id,
        alarm_name=name,
        metric=cloudwatch.Metric(namespace="Test", metric_name="M"),
        threshold=1,
        evaluation_periods=1,
    )
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(alerts.topic))


@pytest.mark.parametrize("name", ["other-alarm", None], ids=["wrong-prefix", "unnamed"])
def test_an_alarm_the_topic_policy_does_not_allow_fails_synthesis(name: str | None) -> None:
    stack = Stack(App(), "Alerts", env={"account": ACCOUNT, "region": REGION})
    alerts = BeanstalkAlerts(stack, "Alerts", BeanstalkAlertsProps(topic_name="eb-alerts"))
    alerts.allow_cloudwatch_alarms("trail-")
    _alarm(stack, alerts, "Allowed", "trail-fine")
    _alarm(stack, alerts, "Refused", name)
    with pytest.raises(RuntimeError, match=r"notifies the alert topic, whose policy lets only alarms named trail-\*"):
        Template.from_stack(stack)


def test_alarms_named_with_an_allowed_prefix_synthesize() -> None:
    stack = Stack(App(), "Alerts", env={"account": ACCOUNT, "region": REGION})
    alerts = BeanstalkAlerts(stack, "Alerts", BeanstalkAlertsProps(topic_name="eb-alerts"))
    alerts.allow_cloudwatch_alarms(alarm_name_prefix(DOTTED))
    _alarm(stack, alerts, "Allowed", alarm_name(DOTTED, "anything"))
    Template.from_stack(stack)
