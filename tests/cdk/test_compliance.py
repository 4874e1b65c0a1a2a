"""Compliance gates: cdk-nag (inside Template.from_stack), cfn-lint, and that every acknowledgment is needed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file

import ebtrail.constructs.access_log_bucket
import ebtrail.constructs.athena_archive
import ebtrail.constructs.audit_trail
import ebtrail.constructs.beanstalk_events_delivery
import ebtrail.constructs.cloudwatch_logs_delivery
import ebtrail.constructs.delivery_canary_function
import ebtrail.constructs.delivery_canary_role
import ebtrail.constructs.log_bucket
from deployment.config import load_config
from deployment.plan import plan
from stacks.app_builder import build_app
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import CONFIG_FIXTURES, FIXTURE_CONFIGS

#: Every module that acknowledges a cdk-nag finding imports ``acknowledge`` by name.
ACKNOWLEDGING_MODULES = (
    ebtrail.constructs.access_log_bucket,
    ebtrail.constructs.athena_archive,
    ebtrail.constructs.audit_trail,
    ebtrail.constructs.beanstalk_events_delivery,
    ebtrail.constructs.cloudwatch_logs_delivery,
    ebtrail.constructs.delivery_canary_function,
    ebtrail.constructs.delivery_canary_role,
    ebtrail.constructs.log_bucket,
)


@pytest.mark.parametrize("config_file", FIXTURE_CONFIGS)
def test_cfn_lint_finds_nothing(config_file: str, synthesized: Callable[[str], Synthesized], tmp_path: Path) -> None:
    result = synthesized(config_file)
    for stack in result.built.stacks:
        template_file = tmp_path / f"{stack.stack_name}.json"
        template_file.write_text(json.dumps(result.json(stack.stack_name)))
        matches = lint_file(template_file, config=ManualArgs(regions=[stack.region]))
        assert [str(m) for m in matches] == []


@pytest.mark.parametrize("config_file", ["default.toml", "all-features.toml"])
def test_every_acknowledgment_answers_a_real_finding(monkeypatch: pytest.MonkeyPatch, config_file: str) -> None:
    """With acknowledgments switched off, cdk-nag must report exactly the rules we acknowledge, no fewer.

    The default config and the one with every optional feature on cover every acknowledgment."""
    acknowledged: list[tuple[str, str]] = []
    for module in ACKNOWLEDGING_MODULES:
        monkeypatch.setattr(
            module, "acknowledge", lambda scope, rule, reason: acknowledged.append((scope.node.path, rule))
        )
    built = build_app(plan(load_config(CONFIG_FIXTURES / config_file)))
    reported: list[str] = []
    for stack in built.stacks:
        with pytest.raises(Exception, match="ValidationFailed") as failure:
            Template.from_stack(stack)
        reported.append(str(failure.value))
    report = "\n".join(reported)
    assert acknowledged, "every fixture config needs some acknowledgments"
    for path, rule in acknowledged:
        assert rule in report, f"{rule} acknowledged at {path} but cdk-nag does not report it"
    if config_file == "all-features.toml":  # the trail delivers to CloudWatch Logs: nothing to excuse
        assert "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled" not in {rule for _, rule in acknowledged}
