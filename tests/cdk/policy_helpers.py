"""Small readers for policy documents in synthesized templates."""

from __future__ import annotations

from typing import Any

from ebtrail.core.iam import Principal, Request, Verdict, evaluate


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def only_resource(template: dict[str, Any], resource_type: str, *, id_prefix: str = "") -> dict[str, Any]:
    """The single resource of a type (optionally whose logical ID starts with ``id_prefix``)."""
    matches = [
        resource
        for logical_id, resource in resources_of_type(template, resource_type).items()
        if logical_id.startswith(id_prefix)
    ]
    assert len(matches) == 1, (
        f"expected one {resource_type} whose logical ID starts with {id_prefix!r}, found {len(matches)}"
    )
    return matches[0]


def log_bucket_policy(archive_template: dict[str, Any]) -> dict[str, Any]:
    """The log bucket's policy document in a log-archive template."""
    policy: dict[str, Any] = only_resource(archive_template, "AWS::S3::BucketPolicy", id_prefix="LogBucket")[
        "Properties"
    ]["PolicyDocument"]
    return policy


def log_key_policy(archive_template: dict[str, Any]) -> dict[str, Any]:
    """The log key's policy document in a log-archive template."""
    policy: dict[str, Any] = only_resource(archive_template, "AWS::KMS::Key", id_prefix="LogKey")["Properties"][
        "KeyPolicy"
    ]
    return policy


def statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in policy["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, (
        f"expected one statement {sid!r}, found {len(found)}: {[s.get('Sid') for s in policy['Statement']]}"
    )
    return found[0]


def statements_for_principal(policy: dict[str, Any], principal: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s.get("Principal") == principal]


def alarm_publish_verdict(policy: dict[str, Any], topic_arn: str, alarm: str, *, account: str, region: str) -> Verdict:
    """What ``policy`` (a topic policy, resolved) answers CloudWatch publishing alarm ``alarm``'s notification to
    ``topic_arn``, with the context CloudWatch sends (SNS, "Enable compatibility between event sources from AWS
    services and encrypted topics": the alarm's ARN as aws:SourceArn, its account as aws:SourceAccount)."""
    request = Request(
        principal=Principal("Service", "cloudwatch.amazonaws.com"),
        action="sns:Publish",
        resource=topic_arn,
        context={
            "aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm}",
            "aws:SourceAccount": account,
            "aws:SecureTransport": "true",
        },
    )
    return evaluate(policy, request).verdict
