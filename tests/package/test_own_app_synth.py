"""``examples/own-app/app.py`` synthesized from the checkout, in the default run (the wheel-installed run of
test_own_app.py is marked ``packaging``): the trail composed with its delivery canary and the CIS alarms from
plain values, every alarm able to publish to its topic by the project's policy evaluator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ebtrail.core.cis_filters import CIS_FILTERS
from ebtrail.core.iam import Verdict
from ebtrail.core.names import alarm_name_prefix, canary_function_name
from ebtrail.verifier.preflight.assembly import Resolver
from ebtrail.verifier.preflight.assembly import Stack as TemplateStack
from tests.cdk.policy_helpers import alarm_publish_verdict, resources_of_type

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "examples" / "own-app" / "app.py"
ACCOUNT, REGION, TRAIL = "123456789012", "eu-west-1", "platform-audit"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("own-app") / "cdk.out"
    env = {
        **os.environ,
        "CDK_OUTDIR": str(out),
        "PYTHONPATH": str(REPO_ROOT),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    result = subprocess.run(
        [sys.executable, str(APP)], cwd=out.parent, env=env, capture_output=True, text=True, timeout=280, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded: dict[str, Any] = json.loads((out / "PlatformAudit.template.json").read_text())
    return loaded


def _publish(policy: dict[str, Any], topic_arn: str, alarm: str) -> Verdict:
    return alarm_publish_verdict(policy, topic_arn, alarm, account=ACCOUNT, region=REGION)


def test_the_example_composes_the_canary_and_the_cis_alarms(template: dict[str, Any]) -> None:
    functions = [
        f["Properties"].get("FunctionName") for f in resources_of_type(template, "AWS::Lambda::Function").values()
    ]
    assert canary_function_name(TRAIL) in functions
    assert len(resources_of_type(template, "AWS::Scheduler::Schedule")) == 1
    [group_id] = [
        k
        for k, group in resources_of_type(template, "AWS::Logs::LogGroup").items()
        if group["Properties"].get("LogGroupName") == f"/aws/cloudtrail/{TRAIL}"
    ]
    filters = list(resources_of_type(template, "AWS::Logs::MetricFilter").values())
    assert all(f["Properties"]["LogGroupName"] == {"Ref": group_id} for f in filters)
    # The CIS filters and the one on the alerts' Beanstalk actions.
    assert len(filters) == len(CIS_FILTERS) + 1
    names = {a["Properties"]["AlarmName"] for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()}
    assert {f"{alarm_name_prefix(TRAIL)}{f.slug}" for f in CIS_FILTERS} <= names
    assert f"{alarm_name_prefix(TRAIL)}canary-errors" in names
    [trail] = resources_of_type(template, "AWS::CloudTrail::Trail").values()
    assert "CloudWatchLogsLogGroupArn" in trail["Properties"]


def test_every_alarm_of_the_example_may_publish_to_its_topic(template: dict[str, Any]) -> None:
    resolver = Resolver(TemplateStack("own-app", ACCOUNT, REGION, template["Resources"]))
    policies = resources_of_type(template, "AWS::SNS::TopicPolicy").values()
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= len(CIS_FILTERS) + 1 + 5

    def policy_of(topic: dict[str, str]) -> dict[str, Any]:
        policy: list[dict[str, Any]] = [
            resolver.resolve(p["Properties"]["PolicyDocument"]) for p in policies if topic in p["Properties"]["Topics"]
        ]
        assert len(policy) == 1, topic
        return policy[0]

    for alarm in alarms.values():
        properties = alarm["Properties"]
        [topic] = properties["AlarmActions"]
        verdict = _publish(policy_of(topic), resolver.ref(topic["Ref"]), properties["AlarmName"])
        assert verdict is Verdict.ALLOWED, properties["AlarmName"]
    # Not a pass by default: an alarm of another name is refused by the same policy.
    [topic] = next(iter(alarms.values()))["Properties"]["AlarmActions"]
    assert _publish(policy_of(topic), resolver.ref(topic["Ref"]), "someone-else-errors") is Verdict.IMPLICIT_DENY
