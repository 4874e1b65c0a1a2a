"""Every config that passes validation gets names AWS accepts: a property test over the whole accepted space
(every region of every partition, prefixes and trail names up to their longest, dots in trail names, every
topology), checking each derived name against AWS's rule for its kind (tests/config/aws_name_rules.py). No jsii
here: the name functions are what the stacks use; two real synthesizes of the extreme cases follow."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deployment.config import ConfigError, known_regions, parse_config
from deployment.plan import archive_names, plan, trail_targets
from ebtrail.core.names import canary_function_name
from stacks.app_builder import build_app
from tests.config import aws_name_rules as rules

#: Every region of every partition, by partition (a config's regions share the archive's partition).
REGIONS_BY_PARTITION: dict[str, list[str]] = {}
for _region, _partition in sorted(known_regions().items()):
    REGIONS_BY_PARTITION.setdefault(_partition, []).append(_region)
LONGEST_REGION = max(known_regions(), key=len)

accounts = st.from_regex(r"\A[0-9]{12}\Z")
#: name_prefix as validation accepts it, with the 20-character maximum drawn often.
prefixes = st.one_of(
    st.from_regex(r"\A[a-z][a-z0-9-]{1,18}[a-z0-9]\Z"),
    st.from_regex(r"\A[a-z][a-z0-9-]{18}[a-z0-9]\Z"),
)
#: CloudTrail trail names (3-128; letters, digits, '.', '_', '-'; no two of those three adjacent), long ones often.
_segment = st.from_regex(r"\A[A-Za-z0-9]{1,40}\Z")
trail_names = st.builds(
    lambda first, rest: (first + "".join(sep + seg for sep, seg in rest))[:128].rstrip("._-"),
    _segment,
    st.lists(st.tuples(st.sampled_from([".", "_", "-"]), _segment), max_size=8),
).filter(lambda name: len(name) >= 3)


def _config(prefix: str, trail: str, partition: str, *, regions: list[str], members: list[str], topology: str) -> Any:
    archive_region, home_region = regions
    data: dict[str, Any] = {
        "name_prefix": prefix,
        "topology": topology,
        "archive": {"account": members[0], "region": archive_region},
        "trail": {"name": trail},
    }
    if topology == "single-account":
        data["trail"] |= {"account": members[0], "home_region": home_region}
    elif topology == "accounts":
        data["trail"]["members"] = [{"account": m, "home_region": home_region} for m in members[1:]]
    else:
        data["organization"] = {"id": "o-a1b2c3d4e5", "management_account": members[1], "home_region": home_region}
    return data


@st.composite
def accepted_configs(draw: st.DrawFn) -> Any:
    partition = draw(st.sampled_from(sorted(REGIONS_BY_PARTITION)))
    regions = [draw(st.sampled_from(REGIONS_BY_PARTITION[partition])) for _ in range(2)]
    members = draw(st.lists(accounts, min_size=3, max_size=4, unique=True))
    topology = draw(st.sampled_from(["single-account", "accounts", "organization"]))
    data = _config(draw(prefixes), draw(trail_names), partition, regions=regions, members=members, topology=topology)
    data["beanstalk_events"] = {"enabled": draw(st.booleans())}
    data["cloudwatch_logs"] = {"enabled": draw(st.booleans())}
    data["integrity_sweep"] = {"enabled": draw(st.booleans())}
    if data["cloudwatch_logs"]["enabled"] or data["integrity_sweep"]["enabled"]:
        data["alerts"] = {"emails": ["security@example.com"]}  # the CIS and sweep alarms need a subscriber
    return data


ONE_ACCOUNT = ["111111111111"] * 3
ISSUE_CASES = [
    _config(
        "ebtrail",
        "ebtrail.beanstalk.audit",
        "aws",
        regions=["us-east-1"] * 2,
        members=ONE_ACCOUNT,
        topology="single-account",
    ),
    _config(
        "a" * 20,
        "ebtrail-audit",
        "aws-iso-f",
        regions=[LONGEST_REGION] * 2,
        members=ONE_ACCOUNT,
        topology="single-account",
    ),
    _config(
        "p" * 20,
        "T" * 128,
        "aws",
        regions=["ap-southeast-5"] * 2,
        members=["111111111111", "222222222222", "333333333333"],
        topology="accounts",
    ),
    # The sweep's results bucket used to be 64 characters here (issue 20 part 3 review).
    _config(
        "s" * 20,
        "ebtrail-audit",
        "aws",
        regions=["ap-southeast-1"] * 2,
        members=ONE_ACCOUNT,
        topology="single-account",
    )
    | {"integrity_sweep": {"enabled": True}, "alerts": {"emails": ["security@example.com"]}},
]


def derived_names(data: Any) -> list[tuple[str, str, rules.RuleCheck]]:
    """(what, name, rule) for every name a valid config derives."""
    config = parse_config(data)
    names = archive_names(config)
    derived: list[tuple[str, str, rules.RuleCheck]] = [
        ("log bucket", names.log_bucket, rules.s3_bucket),
        ("access-log bucket", names.access_log_bucket, rules.s3_bucket),
        ("Athena results bucket", names.athena_results_bucket, rules.s3_bucket),
        ("log key alias", names.log_key_alias, rules.kms_alias),
        ("Athena results key alias", names.athena_results_key_alias, rules.kms_alias),
        ("Glue database", names.athena_database, rules.glue_database),
        ("Athena workgroup", names.athena_workgroup, rules.athena_workgroup),
        ("verifier role", names.verifier_policy, rules.iam_role),
        ("verifier policy", names.verifier_policy, rules.iam_managed_policy),
        ("archive stack", names.archive_stack_name, rules.cloudformation_stack),
    ]
    if config.integrity_sweep.enabled:
        sweep = names.integrity_sweep
        derived += [
            ("sweep state machine", sweep.name, rules.state_machine),
            ("sweep results bucket", sweep.results_bucket, rules.s3_bucket),
            ("sweep key alias", sweep.key_alias, rules.kms_alias),
            ("sweep topic", sweep.alert_topic, rules.sns_topic),
            ("sweep topic key alias", f"alias/{sweep.alert_topic}", rules.kms_alias),
            ("sweep batch function", sweep.batch_function, rules.lambda_function),
            ("sweep summary function", sweep.summary_function, rules.lambda_function),
            *((f"sweep {label} log group", group, rules.log_group) for label, group in sweep.log_groups.items()),
            *(
                (f"sweep alarm {suffix}", sweep.alarm_name(suffix), rules.cloudwatch_alarm)
                for suffix in ("integrityfailures", "incomplete", "executions-failed")
            ),
        ]
    for target in trail_targets(config):
        derived += [
            ("delivery topic", target.delivery_topic_name, rules.sns_topic),
            ("delivery topic key alias", f"alias/{target.delivery_topic_name}", rules.kms_alias),
            ("alert topic", target.alert_topic_name, rules.sns_topic),
            ("alert topic key alias", f"alias/{target.alert_topic_name}", rules.kms_alias),
            ("alert rule", target.alert_rule_name, rules.eventbridge_rule),
            ("trail stack", target.stack_name(names.prefix), rules.cloudformation_stack),
        ]
        if config.canary.enabled:
            function = canary_function_name(target.name)
            derived += [
                ("canary function", function, rules.lambda_function),
                ("canary schedule", function, rules.scheduler_schedule),
                ("canary failed-runs queue", f"{function}-failed-runs", rules.sqs_queue),
                ("canary log key alias", f"alias/{function}-logs", rules.kms_alias),
                ("canary log group", f"/aws/lambda/{function}", rules.log_group),
            ]
        if config.beanstalk_events.enabled:
            derived += [
                ("Beanstalk events stream", target.beanstalk_events_stream_name, rules.firehose_stream),
                ("Beanstalk events rule", target.beanstalk_events_stream_name, rules.eventbridge_rule),
            ]
        if config.cloudwatch_logs.enabled:
            derived.append(("CloudTrail log group", target.cloudwatch_log_group_name, rules.log_group))
    return derived


@settings(max_examples=100, deadline=None)
@given(accepted_configs())
@example(ISSUE_CASES[0])
@example(ISSUE_CASES[1])
@example(ISSUE_CASES[2])
@example(ISSUE_CASES[3])
def test_every_accepted_config_derives_names_aws_accepts(data: Any) -> None:
    try:
        derived = derived_names(data)
    except ConfigError as error:
        # The only refusals in this space, each with its field path: prefixes S3 reserves, and trail names too
        # long for the Beanstalk events stream (64 characters).
        paths = {p.path for p in error.problems}
        assert paths <= {"name_prefix", "trail.name"}, error
        if "name_prefix" in paths:
            assert data["name_prefix"].startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        if "trail.name" in paths:
            assert data["beanstalk_events"]["enabled"] and len(data["trail"]["name"]) > 47
        return
    broken = {f"{what} {name!r}": check(name) for what, name, check in derived if check(name)}
    assert not broken, broken


def test_derived_names_stay_unique_when_shortened() -> None:
    """Two trail names that differ only past the 64th character still get different rule names."""
    first, second = ("A" * 100 + suffix for suffix in ("x", "y"))
    names = []
    for name in (first, second):
        data = _config(
            "ebtrail", name, "aws", regions=["us-east-1"] * 2, members=ONE_ACCOUNT, topology="single-account"
        )
        names += [n for what, n, _ in derived_names(data) if what == "alert rule"]
    assert len(set(names)) == 2
    assert all(len(n) <= 64 for n in names)


@pytest.mark.parametrize("data", ISSUE_CASES[:2], ids=["dotted-trail-name", "longest-prefix-longest-region"])
def test_the_cases_of_the_issue_synthesize(data: Any) -> None:
    """The two configs that used to end in a jsii traceback, through a real synthesis (cdk-nag included)."""
    built = build_app(plan(parse_config(data)))
    for stack in built.stacks:
        Template.from_stack(stack)
