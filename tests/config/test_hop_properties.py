"""Every accepted config with every feature on wires every hop so that it delivers: a property test over the accepted
space (every partition's regions, the longest prefixes and trail names, dots in trail names, every topology) that
synthesizes each generated config (cdk-nag included) and runs the hop preflight and CloudTrail's preflight on it.

Synthesis costs seconds, so the examples are few and each synthesis serves both preflights; there is no shrinking
phase (a failing example is reported as drawn).
"""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.preflight.assembly import Assembly, Stack
from ebtrail.verifier.preflight.hops import counts, overall, preflight_hops
from ebtrail.verifier.preflight.run import overall_exit, preflight_trail
from stacks.app_builder import build_app
from tests.config.test_derived_names import LONGEST_REGION, REGIONS_BY_PARTITION, prefixes
from tests.config.test_derived_names import trail_names as longest_trail_names

#: The Beanstalk events stream name leaves a trail name 47 characters (tests/config/test_derived_names.py).
LONGEST_TRAIL_WITH_EVENTS = 47
_segment = st.from_regex(r"\A[A-Za-z0-9]{1,20}\Z")
#: Trail names CloudTrail accepts, up to the longest the features allow, with dots (and the other separators).
trail_names = st.builds(
    lambda first, rest: (first + "".join(sep + seg for sep, seg in rest))[:LONGEST_TRAIL_WITH_EVENTS].rstrip("._-"),
    _segment,
    st.lists(st.tuples(st.sampled_from([".", "_", "-"]), _segment), min_size=1, max_size=5),
).filter(lambda name: len(name) >= 3)
ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"]


def every_feature(
    prefix: str, trail: str, regions: tuple[str, str], topology: str, *, beanstalk_events: bool = True
) -> dict[str, Any]:
    """A config with every optional feature that wires a hop: alerts with a subscriber, the canary, CloudWatch
    Logs with the CIS alarms, Beanstalk service events through Firehose, data events, Insights, the integrity
    sweep. Trail names longer than the Firehose stream allows (up to CloudTrail's 128) are accepted only without
    Beanstalk events."""
    archive_region, home_region = regions
    data: dict[str, Any] = {
        "name_prefix": prefix,
        "topology": topology,
        "archive": {"account": ACCOUNTS[0], "region": archive_region},
        "trail": {
            "name": trail,
            "notification_emails": ["platform@example.com"],
            "beanstalk_data_events": "All",
            "insights": True,
        },
        "alerts": {"enabled": True, "emails": ["security@example.com"]},
        "canary": {"enabled": True},
        "cloudwatch_logs": {"enabled": True},
        "beanstalk_events": {"enabled": beanstalk_events},
        "integrity_sweep": {"enabled": True},
    }
    if topology == "single-account":
        data["trail"] |= {"account": ACCOUNTS[0], "home_region": home_region}
    elif topology == "accounts":
        data["trail"]["members"] = [{"account": a, "home_region": home_region} for a in ACCOUNTS[1:3]]
    else:
        data["organization"] = {"id": "o-a1b2c3d4e5", "management_account": ACCOUNTS[1], "home_region": home_region}
        data["trail"]["members"] = [{"account": ACCOUNTS[2]}]
    return data


@st.composite
def all_feature_configs(draw: st.DrawFn) -> dict[str, Any]:
    partition = draw(st.sampled_from(sorted(REGIONS_BY_PARTITION)))
    regions = (
        draw(st.sampled_from(REGIONS_BY_PARTITION[partition])),
        draw(st.sampled_from(REGIONS_BY_PARTITION[partition])),
    )
    topology = draw(st.sampled_from(["single-account", "accounts", "organization"]))
    if draw(st.booleans()):  # the longest trail names: every feature but Beanstalk events
        return every_feature(draw(prefixes), draw(longest_trail_names), regions, topology, beanstalk_events=False)
    return every_feature(draw(prefixes), draw(trail_names), regions, topology)


def synthesized_stacks(data: dict[str, Any]) -> list[Stack]:
    """The config synthesized once (cdk-nag runs in ``Template.from_stack``), as the preflight reads stacks."""
    built = build_app(plan(parse_config(data)))
    return [
        Stack(stack.stack_name, stack.account, stack.region, Template.from_stack(stack).to_json()["Resources"])
        for stack in built.stacks
    ]


@settings(
    max_examples=3,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(all_feature_configs())
@example(every_feature("ebtrail", "ebtrail.beanstalk.audit", ("us-east-1", "us-east-1"), "single-account"))
@example(every_feature("p" * 20, "a.b-c_d" + "x" * 40, (LONGEST_REGION, LONGEST_REGION), "accounts"))
@example(every_feature("ebtrail", "ebtrail.beanstalk.audit", ("cn-north-1", "cn-northwest-1"), "organization"))
@example(every_feature("p" * 20, "T.t" * 42 + "Tt", ("us-gov-west-1",) * 2, "accounts", beanstalk_events=False))
def test_every_accepted_config_wires_every_hop_so_that_it_delivers(data: dict[str, Any]) -> None:
    assembly = Assembly(synthesized_stacks(data))
    hops = preflight_hops(assembly)
    # Every hop kind is wired with every feature on (the two Firehose kinds only with Beanstalk events; the
    # Step Functions kind by the integrity sweep).
    assert len(counts(hops)) == (10 if data["beanstalk_events"]["enabled"] else 8), counts(hops)
    assert overall(hops) is ExitCode.PASS, [f"{h.kind} {h.source}: {line}" for h in hops for line in h.lines()]
    trails = [preflight_trail(trail) for trail in assembly.trails()]
    assert overall_exit(trails) is ExitCode.PASS, [r.explain() for t in trails for r in t.failures + t.unknown]
