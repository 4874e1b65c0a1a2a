"""The one ``ArnLike`` (ebtrail.core.iam.matching.arn_like), which the config's guardrail rule and the policy
evaluator both use.

"IAM JSON policy elements: Condition operators", ARN condition operators (IAM User Guide): ``ArnEquals`` and
``ArnLike`` check "each of the six colon-delimited components of the ARN ... separately", each with ``*`` and
``?`` wildcards; case-sensitive.
"""

from __future__ import annotations

import pytest

from ebtrail.core.iam import Principal, Request, Verdict, arn_like, evaluate

ROLE = "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1"


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        (ROLE, ROLE, True),
        ("arn:aws:iam::*:role/cdk-*", ROLE, True),
        ("arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-?", ROLE, True),
        ("arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1?", ROLE, False),
        # a wildcard stays inside its component: "*" in the account does not swallow ":role"
        ("arn:aws:iam::*", ROLE, False),
        ("arn:aws:*", ROLE, False),
        ("*", ROLE, False),
        # case-sensitive, also the service and the partition
        ("arn:aws:IAM::222222222222:role/*", ROLE, False),
        ("arn:aws:iam::222222222222:role/CDK-*", ROLE, False),
        # the sixth component keeps its colons
        (
            "arn:aws:logs:us-east-1:111122223333:log-group:audit:*",
            "arn:aws:logs:us-east-1:111122223333:log-group:audit:log-stream:x",
            True,
        ),
        # "[" is no glob set: it matches itself only
        ("arn:aws:s3:::logs[ab]", "arn:aws:s3:::logsa", False),
        ("arn:aws:s3:::logs[ab]", "arn:aws:s3:::logs[ab]", True),
        # S3's empty region and account are components too
        ("arn:aws:s3:::*", "arn:aws:s3:::logs/AWSLogs/x", True),
        ("arn:aws:s3::*", "arn:aws:s3:::logs", False),
    ],
)
def test_each_of_the_six_components_matches_on_its_own(pattern: str, arn: str, matches: bool) -> None:
    assert arn_like(pattern, arn) is matches


#: The case where the two old implementations disagreed: neither side has six components. The preflight's
#: ``_arn_like`` fell back to plain string equality (match); the config's ``arn_like`` said no match. The page
#: compares six components; a string without them has none to compare, so nothing matches it.
NOT_SIX_COMPONENTS = "arn:aws:iam::222222222222"


def test_a_value_without_six_components_matches_nothing_not_even_itself() -> None:
    assert arn_like(NOT_SIX_COMPONENTS, NOT_SIX_COMPONENTS) is False


@pytest.mark.parametrize("operator", ["ArnLike", "ArnEquals"])
def test_the_evaluator_uses_the_same_rule(operator: str) -> None:
    policy = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::logs/*",
            "Condition": {operator: {"aws:SourceArn": NOT_SIX_COMPONENTS}},
        }
    }
    request = Request(
        Principal("Service", "cloudtrail.amazonaws.com"),
        "s3:PutObject",
        "arn:aws:s3:::logs/x",
        {"aws:SourceArn": NOT_SIX_COMPONENTS},
    )
    # The old preflight answered ALLOWED here.
    assert evaluate(policy, request).verdict is Verdict.IMPLICIT_DENY
    negated = {
        **policy["Statement"],
        "Condition": {operator.replace("Arn", "ArnNot"): {"aws:SourceArn": NOT_SIX_COMPONENTS}},
    }
    assert evaluate({"Statement": negated}, request).verdict is Verdict.ALLOWED
