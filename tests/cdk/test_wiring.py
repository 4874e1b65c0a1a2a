"""Alerts and Athena as the stacks wire them from the config (the constructs have their own tests)."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable

from aws_cdk.assertions import Template

from deployment.config import parse_config
from tests.cdk.policy_helpers import only_resource, resources_of_type
from tests.cdk.synth_cache import Synthesized, synthesize
from tests.fixtures.paths import CONFIG_FIXTURES


def test_each_trail_stack_has_beanstalk_alerts_in_its_account_and_region(
    synthesized: Callable[[str], Synthesized],
) -> None:
    result = synthesized("multi-account.toml")
    for stack in result.built.trails:
        template = result.json(stack.stack_name)
        rule = only_resource(template, "AWS::Events::Rule")["Properties"]
        assert rule["Name"] == "ebtrail-beanstalk-audit-beanstalk-alerts-rule"
        assert rule["EventPattern"]["source"] == ["aws.elasticbeanstalk"]
        assert "TerminateEnvironment" in rule["EventPattern"]["detail"]["eventName"]
        topic = only_resource(template, "AWS::SNS::Topic", id_prefix="BeanstalkAlerts")["Properties"]
        assert topic["TopicName"] == "ebtrail-beanstalk-audit-beanstalk-alerts"
        assert stack.stack_name.endswith(stack.account)


def test_athena_table_projects_every_logging_account(synthesized: Callable[[str], Synthesized]) -> None:
    accounts = synthesized("multi-account.toml").archive_json
    table = only_resource(accounts, "AWS::Glue::Table")["Properties"]["TableInput"]
    assert table["Parameters"]["projection.account.values"] == "333333333333,444444444444"
    assert table["Parameters"]["storage.location.template"].startswith(
        "s3://ebtrail-logs-222222222222-eu-west-1/beanstalk/AWSLogs/${account}/"
    )
    organization = synthesized("organization.toml").archive_json
    table = only_resource(organization, "AWS::Glue::Table")["Properties"]["TableInput"]
    assert table["Parameters"]["projection.account.values"] == "111111111111,333333333333,444444444444"
    assert table["Parameters"]["storage.location.template"].startswith(
        "s3://ebtrail-logs-222222222222-us-east-1/org/AWSLogs/o-a1b2c3d4e5/${account}/"
    )


def test_athena_results_are_encrypted_with_their_own_retained_key(default: Synthesized) -> None:
    workgroup = only_resource(default.archive_json, "AWS::Athena::WorkGroup")["Properties"]
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    encryption = configuration["ResultConfiguration"]["EncryptionConfiguration"]
    assert encryption["EncryptionOption"] == "SSE_KMS"
    assert encryption["KmsKey"] == {
        "Fn::GetAtt": [
            default.built.log_archive.get_logical_id(
                default.built.log_archive.archive.query_results_key.node.default_child  # type: ignore[union-attr,arg-type]
            ),
            "Arn",
        ]
    }
    key = only_resource(default.archive_json, "AWS::KMS::Key", id_prefix="QueryResultsKey")
    assert key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True


def test_alerts_and_athena_can_be_switched_off() -> None:
    data = copy.deepcopy(tomllib.loads((CONFIG_FIXTURES / "default.toml").read_text()))
    data["alerts"] = {"enabled": False}
    data["athena"] = {"enabled": False}
    data["canary"] = {"enabled": False}  # its alarms need the alert topic
    result = synthesize(parse_config(data))
    for template in result.templates.values():
        as_json = dict(template.to_json())
        assert resources_of_type(as_json, "AWS::Events::Rule") == {}
        assert resources_of_type(as_json, "AWS::Glue::Table") == {}
        assert resources_of_type(as_json, "AWS::Athena::WorkGroup") == {}
    assert isinstance(result.archive, Template)
