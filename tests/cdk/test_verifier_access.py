"""The verifier's least-privilege policy, rendered from ebtrail.core.permissions (its single source of truth)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ebtrail.core.permissions import PERMISSIONS
from tests.cdk.policy_helpers import only_resource, resources_of_type
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import FIXTURE_CONFIGS


def _policy(template: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = only_resource(template, "AWS::IAM::ManagedPolicy", id_prefix="VerifierAccess")[
        "Properties"
    ]
    return policy


def _aws_principals(node: Any) -> list[Any]:
    """Every ``Principal.AWS`` value anywhere in a template (policies, trust policies, key policies)."""
    found: list[Any] = []
    if isinstance(node, dict):
        principal = node.get("Principal")
        if isinstance(principal, dict) and "AWS" in principal:
            values = principal["AWS"]
            found.extend(values if isinstance(values, list) else [values])
        for value in node.values():
            found.extend(_aws_principals(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_aws_principals(value))
    return found


def _statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in _policy(template)["PolicyDocument"]["Statement"]}


def test_every_permission_group_becomes_one_statement_with_its_actions(default: Synthesized) -> None:
    statements = _statements(default.json("ebtrail-trail-111111111111"))
    assert set(statements) == {group.sid for group in PERMISSIONS}
    for group in PERMISSIONS:
        actions = statements[group.sid]["Action"]
        assert sorted([actions] if isinstance(actions, str) else actions) == sorted(group.actions)
        assert statements[group.sid]["Effect"] == "Allow"


def test_policy_is_scoped_to_the_trail_and_the_verifier_prefix(default: Synthesized) -> None:
    template = default.json("ebtrail-trail-111111111111")
    assert _policy(template)["ManagedPolicyName"] == "ebtrail-beanstalk-verifier"
    statements = _statements(template)
    assert statements["ProbeApplication"]["Resource"] == (
        "arn:aws:elasticbeanstalk:*:111111111111:application/ebtrail-verify-*"
    )
    assert statements["NotificationQueue"]["Resource"] == "arn:aws:sqs:*:111111111111:ebtrail-verify-*"
    assert statements["ListLogPrefix"] == {
        "Sid": "ListLogPrefix",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::ebtrail-logs-111111111111-us-east-1",
        "Condition": {"StringLike": {"s3:prefix": ["beanstalk/AWSLogs/*"]}},
    }
    assert statements["ReadLogFiles"]["Resource"] == (
        "arn:aws:s3:::ebtrail-logs-111111111111-us-east-1/beanstalk/AWSLogs/*"
    )
    assert statements["DecryptLogFiles"] == {
        "Sid": "DecryptLogFiles",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": "arn:aws:kms:us-east-1:111111111111:key/*",
        "Condition": {
            "StringLike": {"kms:ViaService": ["s3.*.amazonaws.com"]},
            "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": ["false"]},
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/ebtrail/cloudtrail-logs"]},
        },
    }
    assert statements["SubscribeDeliveryTopic"]["Resource"] == (
        "arn:aws:sns:us-east-1:111111111111:ebtrail-beanstalk-audit-delivery"
    )
    assert statements["EventHistory"]["Resource"] == "*"  # LookupEvents has no resource-level permissions


def test_no_role_unless_a_principal_is_named(default: Synthesized) -> None:
    roles = resources_of_type(default.json("ebtrail-trail-111111111111"), "AWS::IAM::Role")
    assert [k for k in roles if k.startswith("VerifierAccess")] == []  # the delivery canary's roles are its own


def test_role_for_the_named_principal(synthesized: Callable[[str], Synthesized]) -> None:
    result = synthesized("multi-account.toml")
    template = result.json("ebtrail-trail-333333333333")
    role = only_resource(template, "AWS::IAM::Role", id_prefix="VerifierAccess")["Properties"]
    assert role["RoleName"] == "ebtrail-beanstalk-verifier"
    # IAM refuses a trust policy naming a role that does not exist yet ("Invalid principal in policy"): the
    # account root is trusted and the exact principal pinned by aws:PrincipalArn, so the deploy cannot fail on it.
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
            "Condition": {"ArnEquals": {"aws:PrincipalArn": ["arn:aws:iam::555555555555:role/PlatformCI"]}},
        }
    ]
    assert len(role["ManagedPolicyArns"]) == 1


def test_no_policy_names_an_iam_principal_arn_directly(synthesized: Callable[[str], Synthesized]) -> None:
    """Audit of every policy of every fixture config: an IAM role or user ARN may appear only in an
    aws:PrincipalArn condition, never as a Principal (which IAM, KMS and S3 refuse while it does not exist)."""
    for config_file in FIXTURE_CONFIGS:
        result = synthesized(config_file)
        for stack_name in result.templates:
            for principal in _aws_principals(result.json(stack_name)):
                text = json.dumps(principal)
                assert ":role/" not in text and ":user/" not in text, (config_file, stack_name, principal)
