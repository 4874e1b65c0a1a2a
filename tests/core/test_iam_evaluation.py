"""The IAM policy evaluator (ebtrail.core.iam): each rule of AWS's evaluation logic and each condition operator."""

from __future__ import annotations

from typing import Any

import pytest

from ebtrail.core.iam import ContextValue, PolicyError, Principal, Request, Verdict, evaluate

CLOUDTRAIL = Principal("Service", "cloudtrail.amazonaws.com")
ALICE = Principal("AWS", "arn:aws:iam::111122223333:role/Alice")
BUCKET = "arn:aws:s3:::logs"
TRAIL = "arn:aws:cloudtrail:us-east-1:111122223333:trail/audit"


def allow(**fields: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
        **fields,
    }


def deny(**fields: Any) -> dict[str, Any]:
    return {**allow(**fields), "Effect": "Deny"}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def put(
    context: dict[str, ContextValue] | None = None,
    principal: Principal = CLOUDTRAIL,
    resource: str = f"{BUCKET}/AWSLogs/111122223333/x.json.gz",
    action: str = "s3:PutObject",
) -> Request:
    return Request(principal, action, resource, context or {})


def verdict(statement: dict[str, Any], request: Request) -> Verdict:
    return evaluate(policy(statement), request).verdict


def test_no_statement_is_an_implicit_deny() -> None:
    assert evaluate(policy(), put()).verdict is Verdict.IMPLICIT_DENY


def test_explicit_deny_wins_over_allow_whatever_the_order() -> None:
    for statements in ((allow(Sid="A"), deny(Sid="D")), (deny(Sid="D"), allow(Sid="A"))):
        decision = evaluate(policy(*statements), put())
        assert decision.verdict is Verdict.EXPLICIT_DENY
        assert decision.statements == ("Deny statement 'D'",)


def test_allow_names_the_allowing_statement() -> None:
    decision = evaluate(policy(allow(Sid="Write")), put())
    assert decision.allowed and decision.statements == ("Allow statement 'Write'",)


@pytest.mark.parametrize(
    ("principal_block", "principal", "matches"),
    [
        ("*", CLOUDTRAIL, True),
        ({"AWS": "*"}, CLOUDTRAIL, True),
        ({"Service": "cloudtrail.amazonaws.com"}, CLOUDTRAIL, True),
        ({"Service": ["sns.amazonaws.com", "cloudtrail.amazonaws.com"]}, CLOUDTRAIL, True),
        ({"Service": "config.amazonaws.com"}, CLOUDTRAIL, False),
        ({"AWS": "arn:aws:iam::111122223333:root"}, CLOUDTRAIL, False),
        ({"AWS": "arn:aws:iam::111122223333:root"}, ALICE, True),
        ({"AWS": "111122223333"}, ALICE, True),
        ({"AWS": "arn:aws:iam::444455556666:root"}, ALICE, False),
        ({"AWS": "arn:aws:iam::111122223333:role/Alice"}, ALICE, True),
        ({"AWS": "arn:aws:iam::111122223333:role/Bob"}, ALICE, False),
    ],
)
def test_principals(principal_block: Any, principal: Principal, matches: bool) -> None:
    statement = {**allow(), "Principal": principal_block}
    assert (verdict(statement, put(principal=principal)) is Verdict.ALLOWED) is matches


def test_not_principal_applies_to_everyone_else() -> None:
    statement = {k: v for k, v in deny().items() if k != "Principal"} | {"NotPrincipal": {"AWS": ALICE.identifier}}
    assert verdict(statement, put()) is Verdict.EXPLICIT_DENY
    assert verdict(statement, put(principal=ALICE)) is Verdict.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("field", "value", "action", "matches"),
    [
        ("Action", "s3:PutObject", "s3:PutObject", True),
        ("Action", "S3:putobject", "s3:PutObject", True),  # actions are case-insensitive
        ("Action", "s3:Put*", "s3:PutObject", True),
        ("Action", "s3:*", "s3:GetBucketAcl", True),
        ("Action", "kms:GenerateDataKey*", "kms:GenerateDataKey", True),
        ("Action", "kms:GenerateDataKey?", "kms:GenerateDataKey", False),
        ("Action", ["s3:GetObject", "s3:PutObject"], "s3:PutObject", True),
        ("Action", "s3:GetObject", "s3:PutObject", False),
        ("NotAction", "s3:GetObject", "s3:PutObject", True),
        ("NotAction", "s3:Put*", "s3:PutObject", False),
    ],
)
def test_action_and_not_action(field: str, value: Any, action: str, matches: bool) -> None:
    statement = {k: v for k, v in allow().items() if k != "Action"} | {field: value, "Resource": "*"}
    assert (verdict(statement, put(action=action)) is Verdict.ALLOWED) is matches


@pytest.mark.parametrize(
    ("field", "value", "matches"),
    [
        ("Resource", f"{BUCKET}/AWSLogs/111122223333/*", True),
        ("Resource", f"{BUCKET}/AWSLogs/444455556666/*", False),
        ("Resource", f"{BUCKET}/AWSLogs/11112222333?/*", True),
        ("Resource", f"{BUCKET}/awslogs/111122223333/*", False),  # resources are case-sensitive
        ("Resource", "*", True),
        ("NotResource", f"{BUCKET}/secret/*", True),
        ("NotResource", f"{BUCKET}/AWSLogs/*", False),
    ],
)
def test_resource_and_not_resource(field: str, value: str, matches: bool) -> None:
    statement = {k: v for k, v in allow().items() if k != "Resource"} | {field: value}
    assert (verdict(statement, put()) is Verdict.ALLOWED) is matches


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"StringEquals": {"aws:SourceArn": TRAIL}}, {"aws:SourceArn": TRAIL}, True),
        ({"StringEquals": {"aws:SourceArn": TRAIL}}, {"aws:SourceArn": TRAIL.upper()}, False),
        ({"StringEquals": {"aws:SourceArn": ["x", TRAIL]}}, {"aws:SourceArn": TRAIL}, True),  # values are ORed
        ({"StringEquals": {"aws:SourceArn": TRAIL}}, {}, False),  # missing key: false
        ({"StringEquals": {"AWS:SOURCEARN": TRAIL}}, {"aws:SourceArn": TRAIL}, True),
        ({"StringNotEquals": {"aws:SourceArn": TRAIL}}, {"aws:SourceArn": TRAIL}, False),
        ({"StringNotEquals": {"aws:SourceArn": TRAIL}}, {}, True),  # negated and missing: true
        ({"StringEqualsIgnoreCase": {"aws:SourceArn": TRAIL.upper()}}, {"aws:SourceArn": TRAIL}, True),
        ({"StringNotEqualsIgnoreCase": {"aws:SourceArn": TRAIL.upper()}}, {"aws:SourceArn": TRAIL}, False),
        ({"StringLike": {"k": "arn:aws:cloudtrail:*:111122223333:trail/*"}}, {"k": TRAIL}, True),
        ({"StringLike": {"k": "arn:aws:cloudtrail:*:444455556666:trail/*"}}, {"k": TRAIL}, False),
        ({"StringLike": {"k": "a?c"}}, {"k": "abc"}, True),
        ({"StringNotLike": {"k": "a*"}}, {"k": "abc"}, False),
        ({"StringNotLike": {"k": "a*"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "v"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "v"}}, {"k": "w"}, False),
        ({"ArnEquals": {"aws:SourceArn": TRAIL}}, {"aws:SourceArn": TRAIL}, True),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}, {"aws:SourceArn": TRAIL}, True),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/other"}}, {"aws:SourceArn": TRAIL}, False),
        ({"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/other"}}, {"aws:SourceArn": TRAIL}, True),
        ({"ArnNotEquals": {"aws:SourceArn": TRAIL}}, {}, True),
        ({"NumericLessThan": {"n": "10"}}, {"n": "9"}, True),
        ({"NumericLessThanEquals": {"n": "10"}}, {"n": "10"}, True),
        ({"NumericGreaterThan": {"n": "10"}}, {"n": "10"}, False),
        ({"NumericGreaterThanEquals": {"n": "10"}}, {"n": "10.0"}, True),
        ({"NumericEquals": {"n": "10"}}, {"n": "10"}, True),
        ({"NumericNotEquals": {"n": "10"}}, {"n": "11"}, True),
        ({"DateGreaterThan": {"d": "2026-01-01T00:00:00Z"}}, {"d": "2026-06-01T00:00:00Z"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
        ({"BoolIfExists": {"aws:SecureTransport": "false"}}, {}, True),
        (
            {"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}},
            {"kms:EncryptionContext:aws:cloudtrail:arn": TRAIL},
            True,
        ),
        ({"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}}, {}, False),
        ({"Null": {"k": "true"}}, {}, True),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.9"}, True),
        ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
        # Keys and operators are ANDed.
        ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False),
        ({"StringEquals": {"a": "1"}, "StringLike": {"b": "2*"}}, {"a": "1", "b": "23"}, True),
        # Multivalued keys with set operators.
        ({"ForAnyValue:StringEquals": {"tags": ["x", "y"]}}, {"tags": ["y", "z"]}, True),
        ({"ForAnyValue:StringEquals": {"tags": ["x"]}}, {"tags": ["y", "z"]}, False),
        ({"ForAnyValue:StringEquals": {"tags": ["x"]}}, {}, False),
        ({"ForAllValues:StringEquals": {"tags": ["x", "y"]}}, {"tags": ["x", "y"]}, True),
        ({"ForAllValues:StringEquals": {"tags": ["x"]}}, {"tags": ["x", "y"]}, False),
        ({"ForAllValues:StringEquals": {"tags": ["x"]}}, {}, True),  # documented: true when the key is missing
        ({"ForAllValues:StringLike": {"tags": ["team-*"]}}, {"tags": ["team-a", "team-b"]}, True),
        ({"ForAnyValue:StringNotEquals": {"tags": ["x"]}}, {"tags": ["x", "y"]}, True),
        ({"ForAllValues:StringNotEquals": {"tags": ["x"]}}, {"tags": ["x", "y"]}, False),
        # Policy variables.
        (
            {"StringLike": {"k": "arn:aws:cloudtrail:*:${aws:SourceAccount}:trail/*"}},
            {"k": TRAIL, "aws:SourceAccount": "111122223333"},
            True,
        ),
        ({"StringLike": {"k": "a${*}"}}, {"k": "a*"}, True),
        ({"StringLike": {"k": "a${*}"}}, {"k": "ab"}, False),
    ],
)
def test_condition_operators(condition: dict[str, Any], context: dict[str, ContextValue], holds: bool) -> None:
    statement = allow(Condition=condition)
    assert (verdict(statement, put(context)) is Verdict.ALLOWED) is holds


@pytest.mark.parametrize(
    "condition",
    [
        {"BinaryEquals": {"k": "QmluYXJ5"}},
        {"StringMatchesRegex": {"k": "x"}},
        {"ForSomeValues:StringEquals": {"k": "x"}},
        {"StringEquals": {"k": "${aws:username}"}},
        {"NumericLessThan": {"k": "ten"}},
        {"StringEquals": {"tags": "x"}},  # a multivalued request key without a set operator
    ],
)
def test_what_it_cannot_evaluate_is_never_a_pass(condition: dict[str, Any]) -> None:
    decision = evaluate(policy(allow(Sid="Odd", Condition=condition)), put({"k": "5", "tags": ["x", "y"]}))
    assert decision.verdict is Verdict.CANNOT_EVALUATE
    assert decision.statements == ("Allow statement 'Odd'",) and decision.reasons


def test_an_unevaluable_deny_makes_the_whole_answer_unknown() -> None:
    decision = evaluate(policy(allow(), deny(Condition={"BinaryEquals": {"k": "x"}})), put({"k": "x"}))
    assert decision.verdict is Verdict.CANNOT_EVALUATE


def test_one_false_condition_decides_even_next_to_an_unknown_one() -> None:
    statement = allow(Condition={"BinaryEquals": {"k": "x"}, "StringEquals": {"aws:SourceArn": "other"}})
    assert verdict(statement, put({"aws:SourceArn": TRAIL})) is Verdict.IMPLICIT_DENY


def test_an_applicable_deny_wins_over_an_unknown_allow() -> None:
    decision = evaluate(policy(allow(Condition={"BinaryEquals": {"k": "x"}}), deny()), put())
    assert decision.verdict is Verdict.EXPLICIT_DENY


@pytest.mark.parametrize(
    "bad",
    [
        {"Statement": "nope"},
        policy({"Effect": "Maybe", "Principal": "*", "Action": "*", "Resource": "*"}),
        policy({"Effect": "Allow", "Principal": "*", "Resource": "*"}),
        policy({"Effect": "Allow", "Principal": "*", "Action": "*"}),
    ],
)
def test_invalid_policies_are_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        evaluate(bad, put())
