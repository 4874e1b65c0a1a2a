"""The CIS metric filter patterns against sample CloudTrail records that must, and must not, match them.

The records follow "CloudTrail record contents" (CloudTrail User Guide) and the console sign-in examples of
"AWS Management Console sign-in events"; each pattern is evaluated by :mod:`filter_pattern`.
"""

from __future__ import annotations

from typing import Any

import pytest

from ebtrail.core.beanstalk import DEFAULT_ALERT_ACTIONS
from ebtrail.core.cis_filters import CIS_FILTERS, MonitoringFilter, beanstalk_filter
from tests.cdk.filter_pattern import matches, parse


def record(event_name: str, event_source: str = "ec2.amazonaws.com", **fields: Any) -> dict[str, Any]:
    """A CloudTrail management event by an IAM role session, with ``fields`` merged in."""
    base: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111111111111:assumed-role/Deployer/alice",
            "accountId": "111111111111",
            "sessionContext": {"attributes": {"mfaAuthenticated": "false"}},
        },
        "eventTime": "2026-11-27T10:00:00Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.10",
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111111111111",
    }
    base.update(fields)
    return base


def root(**fields: Any) -> dict[str, Any]:
    return {"type": "Root", "arn": "arn:aws:iam::111111111111:root", "accountId": "111111111111", **fields}


def console_login(user_type: str, mfa: str, outcome: str, **fields: Any) -> dict[str, Any]:
    identity = {"type": user_type, "arn": "arn:aws:iam::111111111111:user/alice", "accountId": "111111111111"}
    return record(
        "ConsoleLogin",
        "signin.amazonaws.com",
        userIdentity=identity,
        eventType="AwsConsoleSignIn",
        additionalEventData={"MFAUsed": mfa, "MobileVersion": "No"},
        responseElements={"ConsoleLogin": outcome},
        **fields,
    )


#: control -> (records that must match, records that must not)
SAMPLES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "CloudWatch.1": (
        [record("ListBuckets", "s3.amazonaws.com", userIdentity=root())],
        [
            record("ListBuckets", "s3.amazonaws.com"),
            record("ListBuckets", "s3.amazonaws.com", userIdentity=root(invokedBy="support.amazonaws.com")),
            record("AssumeRole", "sts.amazonaws.com", userIdentity=root(), eventType="AwsServiceEvent"),
        ],
    ),
    "CloudWatch.2": (
        [
            record("DescribeInstances", errorCode="Client.UnauthorizedOperation"),
            record("GetObject", "s3.amazonaws.com", errorCode="AccessDenied"),
            record("ListKeys", "kms.amazonaws.com", errorCode="AccessDeniedException"),
        ],
        [record("DescribeInstances"), record("GetObject", "s3.amazonaws.com", errorCode="NoSuchKey")],
    ),
    "CloudWatch.3": (
        [console_login("IAMUser", "No", "Success")],
        [
            console_login("IAMUser", "Yes", "Success"),
            console_login("IAMUser", "No", "Failure", errorMessage="Failed authentication"),
            console_login("Root", "No", "Success"),
        ],
    ),
    "CloudWatch.4": (
        [record(name, "iam.amazonaws.com") for name in ("PutRolePolicy", "AttachUserPolicy", "CreatePolicyVersion")],
        [record("CreateRole", "iam.amazonaws.com"), record("GetPolicy", "iam.amazonaws.com")],
    ),
    "CloudWatch.5": (
        [record(name, "cloudtrail.amazonaws.com") for name in ("StopLogging", "DeleteTrail", "UpdateTrail")],
        [record("PutEventSelectors", "cloudtrail.amazonaws.com"), record("LookupEvents", "cloudtrail.amazonaws.com")],
    ),
    "CloudWatch.6": (
        [console_login("IAMUser", "No", "Failure", errorMessage="Failed authentication")],
        [console_login("IAMUser", "No", "Success")],
    ),
    "CloudWatch.7": (
        [record("DisableKey", "kms.amazonaws.com"), record("ScheduleKeyDeletion", "kms.amazonaws.com")],
        [record("EnableKey", "kms.amazonaws.com"), record("DisableKey", "cloudhsm.amazonaws.com")],
    ),
    "CloudWatch.8": (
        [record(name, "s3.amazonaws.com") for name in ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl")],
        [record("PutObject", "s3.amazonaws.com"), record("PutBucketPolicy", "s3control.amazonaws.com")],
    ),
    "CloudWatch.9": (
        [record("StopConfigurationRecorder", "config.amazonaws.com")],
        [record("StartConfigurationRecorder", "config.amazonaws.com")],
    ),
    "CloudWatch.10": (
        [record("AuthorizeSecurityGroupIngress"), record("DeleteSecurityGroup")],
        [record("DescribeSecurityGroups")],
    ),
    "CloudWatch.11": (
        [record("ReplaceNetworkAclEntry"), record("CreateNetworkAcl")],
        [record("DescribeNetworkAcls")],
    ),
    "CloudWatch.12": (
        [record("AttachInternetGateway"), record("DeleteCustomerGateway")],
        [record("CreateNatGateway")],
    ),
    "CloudWatch.13": (
        [record("CreateRoute"), record("DisassociateRouteTable")],
        [record("DescribeRouteTables")],
    ),
    "CloudWatch.14": (
        [record("CreateVpc"), record("ModifyVpcAttribute"), record("AcceptVpcPeeringConnection")],
        [record("CreateSubnet"), record("DescribeVpcs")],
    ),
}

BY_CONTROL: dict[str, MonitoringFilter] = {f.control: f for f in CIS_FILTERS}


def test_there_is_one_filter_per_security_hub_control_1_to_14() -> None:
    assert [f.control for f in CIS_FILTERS] == [f"CloudWatch.{n}" for n in range(1, 15)]
    assert set(SAMPLES) == set(BY_CONTROL)
    assert len({f.slug for f in CIS_FILTERS}) == 14


@pytest.mark.parametrize("control", sorted(SAMPLES))
def test_pattern_matches_its_events_and_only_those(control: str) -> None:
    pattern = BY_CONTROL[control].pattern
    should, should_not = SAMPLES[control]
    for sample in should:
        assert matches(pattern, sample), f"{control} should match {sample['eventName']}"
    for sample in should_not:
        assert not matches(pattern, sample), f"{control} should not match {sample['eventName']}"


def test_beanstalk_filter_matches_destructive_calls_from_any_account_and_region() -> None:
    pattern = beanstalk_filter(DEFAULT_ALERT_ACTIONS).pattern
    eb = "elasticbeanstalk.amazonaws.com"
    for action in DEFAULT_ALERT_ACTIONS:
        assert matches(pattern, record(action, eb, recipientAccountId="333333333333", awsRegion="ap-south-1"))
    assert matches(pattern, record("TerminateEnvironment", eb, errorCode="AccessDenied"))
    assert not matches(pattern, record("DescribeEnvironments", eb))
    assert not matches(pattern, record("CreateEnvironment", eb))
    assert not matches(pattern, record("TerminateEnvironment", "ec2.amazonaws.com"))


def test_beanstalk_filter_needs_an_action() -> None:
    with pytest.raises(ValueError, match="at least one"):
        beanstalk_filter([])


def test_matcher_refuses_what_it_does_not_understand() -> None:
    """A pattern outside the supported syntax must fail loudly, not evaluate to a silent False."""
    for pattern in ("ERROR", "{ $.latency > 100 }", "{ $.a = 1 ", "{ ($.a = 1 }"):
        with pytest.raises(ValueError):
            parse(pattern)


def test_matcher_semantics() -> None:
    assert matches('{ $.a.b = "x*" }', {"a": {"b": "xyz"}})
    assert not matches('{ $.a.b = "x*" }', {"a": {"b": "yx"}})
    assert matches("{ $.a NOT EXISTS }", {"b": 1})
    assert not matches("{ $.a != y }", {"b": 1}), "a missing property makes != false"
    assert matches("{ ($.a = 1) || ($.b = 2) && ($.c = 3) }", {"a": 1}), "&& binds tighter than ||"
