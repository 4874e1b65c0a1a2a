"""Regional service names carry the partition's DNS suffix (``amazonaws.com.cn`` in aws-cn, ``csp.hci.ic.gov`` in
aws-iso-f), in the templates and in the hop preflight's model of what the services send: the CloudWatch Logs
principal of every log group key (``logs.<region>.<suffix>``) and the ``kms:ViaService`` of Firehose's writes to
the archive (``s3.<region>.<suffix>``). They were hardcoded ``amazonaws.com``, and the preflight copied the same
string, so it passed a key policy that CloudWatch Logs in China would never match."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.core.regions import dns_suffix, regional_service_name
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.preflight.assembly import Assembly, Stack
from ebtrail.verifier.preflight.hops import HopReport, kind_verdicts, overall, preflight_hops
from stacks.app_builder import build_app

LOG_GROUP_KEY = "CloudWatch Logs log group -> KMS key"
FIREHOSE_BUCKET = "Firehose stream -> S3 bucket"


def config(region: str) -> dict[str, Any]:
    """Every feature that wires a regional service name, in one account: CloudWatch Logs delivery (its key), the
    canary (its log group key) and Beanstalk service events through Firehose (``kms:ViaService``)."""
    return {
        "name_prefix": "ebtrail",
        "topology": "single-account",
        "archive": {"account": "111111111111", "region": region},
        "trail": {"name": "ebtrail-audit", "account": "111111111111", "home_region": region},
        "alerts": {"enabled": True, "emails": ["security@example.com"]},
        "cloudwatch_logs": {"enabled": True},
        "beanstalk_events": {"enabled": True},
    }


def synthesized(region: str) -> list[Stack]:
    built = build_app(plan(parse_config(config(region))))
    return [
        Stack(stack.stack_name, stack.account, stack.region, Template.from_stack(stack).to_json()["Resources"])
        for stack in built.stacks
    ]


def statements(stacks: list[Stack]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for stack in stacks:
        for resource in stack.resources.values():
            props = resource.get("Properties", {})
            for document in (props.get("KeyPolicy"), props.get("PolicyDocument")):
                if isinstance(document, dict):
                    found += document.get("Statement", [])
    return found


def logs_principals(stacks: list[Stack]) -> set[str]:
    out: set[str] = set()
    for statement in statements(stacks):
        service = (
            statement.get("Principal", {}).get("Service", []) if isinstance(statement.get("Principal"), dict) else []
        )
        out |= {s for s in ([service] if isinstance(service, str) else service) if str(s).startswith("logs.")}
    return out


def via_services(stacks: list[Stack]) -> set[str]:
    out: set[str] = set()
    for statement in statements(stacks):
        for values in statement.get("Condition", {}).values():
            via = values.get("kms:ViaService", [])
            out |= set([via] if isinstance(via, str) else via)
    return out


@pytest.mark.parametrize(("region", "suffix"), [("cn-north-1", "amazonaws.com.cn"), ("us-isof-south-1", None)])
def test_regional_service_names_carry_the_partitions_dns_suffix(region: str, suffix: str | None) -> None:
    stacks = synthesized(region)
    partition = stacks[0].partition
    suffix = suffix or dns_suffix(partition)
    assert suffix != "amazonaws.com"
    assert regional_service_name("logs", region) == f"logs.{region}.{suffix}"
    # Two log group keys: the CloudWatch Logs delivery's and the canary's.
    assert logs_principals(stacks) == {f"logs.{region}.{suffix}"}
    assert f"s3.{region}.{suffix}" in via_services(stacks)
    assert not any(v.endswith(".amazonaws.com") for v in via_services(stacks) if v.startswith("s3."))
    reports = preflight_hops(Assembly(stacks))
    verdicts = kind_verdicts(reports)
    assert (verdicts[LOG_GROUP_KEY], verdicts[FIREHOSE_BUCKET]) == ("pass", "pass"), _explain(reports)
    assert overall(reports) is ExitCode.PASS, _explain(reports)


def test_the_preflight_models_the_suffix_so_a_commercial_name_in_china_fails() -> None:
    """The templates of the old constructs (``amazonaws.com`` in aws-cn): the preflight now refuses both hops."""
    stacks = synthesized("cn-north-1")
    old = [
        Stack(
            s.name,
            s.account,
            s.region,
            json.loads(json.dumps(s.resources).replace(".amazonaws.com.cn", ".amazonaws.com")),
        )
        for s in stacks
    ]
    verdicts = kind_verdicts(preflight_hops(Assembly(old)))
    assert verdicts[LOG_GROUP_KEY] != "pass" and verdicts[FIREHOSE_BUCKET] != "pass"


def test_the_commercial_partition_keeps_amazonaws_com() -> None:
    assert regional_service_name("logs", "eu-west-1") == "logs.eu-west-1.amazonaws.com"
    assert regional_service_name("s3", "us-gov-west-1") == "s3.us-gov-west-1.amazonaws.com"


def _explain(reports: list[HopReport]) -> list[str]:
    return [f"{r.kind}: {r.lines()}" for r in reports if r.lines()]
