"""Property-based tests: a valid config always synthesizes; an invalid one always gets a clear error."""

from __future__ import annotations

import copy
from typing import Any

from aws_cdk.assertions import Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deployment.config import MIN_STORAGE_DAYS, STORAGE_CLASS_ORDER, ConfigError, known_regions, parse_config
from deployment.plan import plan
from stacks.app_builder import build_app

AWS_REGIONS = sorted(region for region, partition in known_regions().items() if partition == "aws")
accounts = st.from_regex(r"\A[0-9]{12}\Z")
prefix_segments = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,10}\Z")


@st.composite
def lifecycles(draw: st.DrawFn) -> dict[str, Any]:
    """A lifecycle that obeys S3's rules: waterfall order, IA minimums, minimum storage before leaving."""
    classes = draw(st.lists(st.sampled_from(STORAGE_CLASS_ORDER), unique=True, max_size=3))
    classes.sort(key=STORAGE_CLASS_ORDER.index)
    transitions: list[dict[str, Any]] = []
    day = 0
    for storage_class in classes:
        previous_minimum = MIN_STORAGE_DAYS.get(transitions[-1]["storage_class"], 1) if transitions else 0
        floor = max(day + max(previous_minimum, 1), 30 if storage_class in ("STANDARD_IA", "ONEZONE_IA") else 1)
        day = draw(st.integers(floor, floor + 400))
        transitions.append({"storage_class": storage_class, "days": day})
    last_minimum = MIN_STORAGE_DAYS.get(transitions[-1]["storage_class"], 1) if transitions else 1
    expiration = draw(st.integers(day + last_minimum, day + last_minimum + 3000))
    return {
        "transitions": transitions,
        "expiration_days": expiration,
        "noncurrent_version_expiration_days": draw(st.integers(1, 400)),
    }


@st.composite
def valid_configs(draw: st.DrawFn, topology: str | None = None) -> dict[str, Any]:
    """A valid config of ``topology`` (or any topology)."""
    topology = topology or draw(st.sampled_from(["single-account", "accounts", "organization"]))
    account = draw(accounts)
    lifecycle = draw(lifecycles())
    config: dict[str, Any] = {
        "name_prefix": draw(st.from_regex(r"\A[a-z][a-z0-9]{2,10}\Z")),
        "topology": topology,
        "archive": {
            "account": account,
            "region": draw(st.sampled_from(AWS_REGIONS)),
            "lifecycle": lifecycle,
            "access_logs": {"retention_days": draw(st.integers(1, 3650))},
        },
        "trail": {
            "name": draw(st.from_regex(r"\A[a-z][a-z0-9]{2,20}\Z")),
            "management_events": draw(st.sampled_from(["All", "WriteOnly"])),
            "notification_emails": draw(
                st.lists(st.from_regex(r"\A[a-z]{1,8}@example\.com\Z"), max_size=2, unique=True)
            ),
        },
        "tags": draw(
            st.dictionaries(st.from_regex(r"\A[A-Z][a-z]{1,10}\Z"), st.from_regex(r"\A[a-z0-9]{1,10}\Z"), max_size=3)
        ),
    }
    others = draw(st.lists(accounts.filter(lambda other: other != account), min_size=1, max_size=4, unique=True))
    if topology == "single-account":
        config["trail"] |= {"account": account, "home_region": draw(st.sampled_from(AWS_REGIONS))}
    elif topology == "accounts":
        config["trail"]["members"] = [
            {"account": member, "home_region": draw(st.sampled_from(AWS_REGIONS))} for member in others[:3]
        ]
    else:
        management, *members = others
        config["organization"] = {
            "id": draw(st.from_regex(r"\Ao-[a-z0-9]{10,32}\Z")),
            "management_account": management,
            "home_region": draw(st.sampled_from(AWS_REGIONS)),
        }
        config["trail"]["members"] = [{"account": member} for member in members]
    if draw(st.booleans()):
        role_name = draw(st.from_regex(r"\A[A-Za-z]{1,20}\Z"))
        config["verifier"] = {"assumed_by": f"arn:aws:iam::{account}:role/{role_name}"}
    if draw(st.booleans()):
        config["archive"]["key_prefix"] = "/".join(draw(st.lists(prefix_segments, min_size=1, max_size=3)))
    if draw(st.booleans()):
        config["archive"]["object_lock"] = {
            "mode": draw(st.sampled_from(["GOVERNANCE", "COMPLIANCE"])),
            "days": draw(st.integers(1, lifecycle["expiration_days"])),
        }
    return config


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_a_valid_config_always_synthesizes_cleanly(data: dict[str, Any]) -> None:
    config = parse_config(data)
    built = build_app(plan(config))
    for stack in built.stacks:
        Template.from_stack(stack)  # raises on any cdk-nag finding


#: (dotted path, bad value, pass) triples, each a documented refusal. "structure" problems (types, formats)
#: are all reported by pydantic's pass; "archive" rules (lifecycle, retention) are reported with them as long
#: as the archive's own sections are well-formed; "relational" rules (topology) run once the whole structure
#: is valid.
BAD_VALUES: list[tuple[str, Any, str]] = [
    ("archive.account", "12345", "structure"),
    ("archive.region", "moon-1", "structure"),
    ("archive.key_prefix", "AWSLogs/x", "structure"),
    ("trail.name", "x", "structure"),
    ("organization", {"id": "o-x", "management_account": "1", "home_region": "us-east-1"}, "structure"),
    ("trail.management_events", "Everything", "structure"),
    ("trail.notification_emails", ["nobody"], "structure"),
    ("tags", {"aws:reserved": "x"}, "structure"),
    ("archive.lifecycle.transitions", [{"storage_class": "STANDARD_IA", "days": 3}], "archive"),
    (
        "archive.lifecycle.transitions",
        [{"storage_class": "GLACIER", "days": 90}, {"storage_class": "STANDARD_IA", "days": 200}],
        "archive",
    ),
    ("archive.object_lock", {"mode": "GOVERNANCE", "days": 36500}, "archive"),
    ("trail.account", "<another account>", "relational"),
]


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[leaf] = value


@settings(max_examples=60, deadline=None)
@given(
    valid_configs("single-account"),
    st.lists(st.sampled_from(BAD_VALUES), min_size=1, max_size=3, unique_by=lambda bad: bad[0]),
)
def test_an_invalid_config_always_gets_a_clear_error(
    data: dict[str, Any], bad_values: list[tuple[str, Any, str]]
) -> None:
    broken = copy.deepcopy(data)
    other_account = "111111111111" if data["archive"]["account"] != "111111111111" else "222222222222"
    for dotted, value, _ in bad_values:
        _set(broken, dotted, other_account if value == "<another account>" else value)
    try:
        parse_config(broken, "fuzzed.toml")
    except ConfigError as error:
        paths = [problem.path for problem in error.problems]
        assert str(error).startswith("fuzzed.toml: ")
        structure_failed = any(kind == "structure" for _, _, kind in bad_values)
        for dotted, _, kind in bad_values:
            if kind != "relational" or not structure_failed:  # every problem of the passes that ran
                assert any(path.startswith(dotted) for path in paths), (dotted, paths)
    else:
        raise AssertionError(f"accepted an invalid config: {bad_values}")


@settings(max_examples=100, deadline=None)
@given(
    valid_configs(),
    st.sampled_from(
        ["archive.account", "archive.region", "archive.lifecycle", "trail.name", "trail", "tags", "archive"]
    ),
    st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2), st.booleans()),
)
def test_junk_never_escapes_as_anything_but_config_error(data: dict[str, Any], dotted: str, junk: Any) -> None:
    broken = copy.deepcopy(data)
    _set(broken, dotted, junk)
    try:
        parse_config(broken)
    except ConfigError as error:
        assert all(problem.path and problem.message for problem in error.problems)
