"""Topologies as types: every member of the :data:`~deployment.config.DeploymentConfig` union implements the whole
:class:`~deployment.config.TopologyConfig` interface, says by its fields what it needs and does not use, and is the
only place a topology's behaviour lives (nothing else branches on a topology's name). So adding a topology is
adding a type: these tests fail for a type left out of the union, a method left unimplemented, or an
``if ... topology == ...`` anywhere in the package, the stacks or the app."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path
from typing import Any, get_args

import pytest

from deployment.config import (
    DEFAULT_TOPOLOGY,
    TOPOLOGY_TYPES,
    TopologyConfig,
    parse_config,
)
from deployment.config.loading import declares
from tests.config.config_changes import problems_of

REPO_ROOT = Path(__file__).resolve().parents[2]

ARCHIVE = {"account": "222222222222", "region": "eu-west-1"}
#: A valid config of each topology, in TOML's shape (plain dicts and lists).
VALID: dict[str, dict[str, Any]] = {
    "single-account": {
        "archive": ARCHIVE,
        "trail": {"account": "222222222222", "home_region": "eu-west-1"},
    },
    "accounts": {
        "topology": "accounts",
        "archive": ARCHIVE,
        "trail": {
            "members": [
                {"account": "333333333333", "home_region": "us-east-1"},
                {"account": "444444444444", "home_region": "eu-central-1"},
            ]
        },
    },
    "organization": {
        "topology": "organization",
        "archive": ARCHIVE,
        "organization": {"id": "o-a1b2c3d4e5", "management_account": "111111111111", "home_region": "us-east-1"},
        "trail": {"members": [{"account": "333333333333"}]},
    },
    "adopted": {
        "topology": "adopted",
        "archive": {"account": "222222222222", "region": "us-east-1", "key_prefix": "o-a1b2c3d4e5"},
        "trail": {
            "account": "111111111111",
            "home_region": "us-east-1",
            "name": "aws-controltower-BaselineCloudTrail",
            "bucket": "aws-controltower-logs-222222222222-us-east-1",
            "organization_id": "o-a1b2c3d4e5",
            "members": [{"account": "333333333333"}],
        },
    },
}

#: Field paths a topology's type may declare beyond :class:`TopologyConfig`'s (its own trail fields and tables).
SPECIFIC_FIELDS = [("trail", "account"), ("trail", "home_region"), ("trail", "members"), ("organization",)]


def _concrete_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        found |= {sub} if not inspect.isabstract(sub) else set()
        found |= _concrete_subclasses(sub)
    return found


def test_the_union_holds_every_topology_type_and_only_those() -> None:
    assert set(TOPOLOGY_TYPES.values()) == _concrete_subclasses(TopologyConfig)
    assert set(VALID) == set(TOPOLOGY_TYPES), "a new topology needs a valid example here"
    assert DEFAULT_TOPOLOGY in TOPOLOGY_TYPES


def test_the_interface_is_abstract() -> None:
    assert inspect.isabstract(TopologyConfig)
    assert TopologyConfig.__abstractmethods__ >= {
        "trail_targets",
        "logging_accounts",
        "organization_id",
        "guardrails",
        "home_regions",
        "topology_problems",
    }


@pytest.mark.parametrize("name", list(TOPOLOGY_TYPES))
def test_each_type_implements_the_whole_interface(name: str) -> None:
    cls = TOPOLOGY_TYPES[name]
    assert not inspect.isabstract(cls)
    for method in TopologyConfig.__abstractmethods__:
        assert method in vars(cls), f"{cls.__name__} inherits {method} instead of saying what its topology does"
    # Its name is its tag: the value of the topology key, and the only value its type takes.
    assert get_args(cls.model_fields["topology"].annotation) == (name,)
    assert cls.model_fields["topology"].default == name


@pytest.mark.parametrize("name", list(TOPOLOGY_TYPES))
def test_each_type_answers_consistently(name: str) -> None:
    config = parse_config(copy.deepcopy(VALID[name]))
    assert type(config) is TOPOLOGY_TYPES[name]
    assert config.topology == name
    targets = config.trail_targets()
    assert targets
    assert {target.account for target in targets} <= set(config.logging_accounts())
    assert config.logging_accounts() == sorted(set(config.logging_accounts()))
    assert {target.home_region for target in targets} <= {region for _, region in config.home_regions()}
    assert {target.organization_id for target in targets} == {config.organization_id}
    assert all(target.name == config.trail.name and target.partition == "aws" for target in targets)
    assert config.topology_problems() == []
    assert config.guardrails is None


@pytest.mark.parametrize("name", list(TOPOLOGY_TYPES))
def test_what_a_type_needs_is_required_and_said_in_its_words(name: str) -> None:
    cls = TOPOLOGY_TYPES[name]
    for path in cls.needs:
        if "[]" in path:
            head, tail = path.split("[]")
            assert declares(cls, (*head.split("."), 0, *tail.strip(".").split("."))), path
            continue
        loc = tuple(path.split("."))
        assert declares(cls, loc), f"{cls.__name__}.needs names {path}, which it does not have"
        data = copy.deepcopy(VALID[name])
        node = data
        for part in loc[:-1]:
            node = node[part]
        del node[loc[-1]]
        assert problems_of(data)[path].startswith(f"the {name} topology needs ")


@pytest.mark.parametrize(("name", "loc"), [(name, loc) for name in TOPOLOGY_TYPES for loc in SPECIFIC_FIELDS])
def test_what_a_type_does_not_use_is_refused_in_its_words(name: str, loc: tuple[str, ...]) -> None:
    cls = TOPOLOGY_TYPES[name]
    if declares(cls, loc):
        return
    owner = next(other for other in TOPOLOGY_TYPES if declares(TOPOLOGY_TYPES[other], loc))
    data = copy.deepcopy(VALID[name])
    source: Any = VALID[owner]
    target = data
    for part in loc[:-1]:
        source, target = source[part], target.setdefault(part, {})
    target[loc[-1]] = copy.deepcopy(source[loc[-1]])
    path = ".".join(loc)
    assert problems_of(data)[path] == f"not used by the {name} topology; remove it"


def test_an_unknown_topology_says_what_is_allowed_and_other_problems_still_show() -> None:
    data = copy.deepcopy(VALID["accounts"]) | {"topology": "acounts", "name_prefix": "X"}
    problems = problems_of(data)
    assert problems["topology"] == "allowed: 'single-account', 'accounts', 'organization' or 'adopted'; got 'acounts'"
    assert "name_prefix" in problems
    # Fields that some topology uses are not blamed on a topology nobody chose.
    assert set(problems) == {"topology", "name_prefix"}


SOURCES = [REPO_ROOT / "app.py", *(REPO_ROOT / "ebtrail").rglob("*.py"), *(REPO_ROOT / "stacks").rglob("*.py")]
#: ``topology == "accounts"``, ``config.topology in (...)``, ``isinstance(config, AccountsConfig)``.
BRANCH_ON_TOPOLOGY = re.compile(
    r"\btopology\s*(==|!=)|\.topology\s+(not\s+)?in\b|isinstance\([^)]*(SingleAccount|Accounts|Organization|Adopted)Config"
)


def test_nothing_outside_the_types_branches_on_a_topology() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BRANCH_ON_TOPOLOGY.search(line)
    ]
    assert found == []


def test_an_adopted_trail_refuses_what_only_its_owner_can_set() -> None:
    data = copy.deepcopy(VALID["adopted"])
    data["archive"]["object_lock"] = {"mode": "GOVERNANCE", "days": 30}
    data["trail"] |= {"insights": True, "notification_emails": ["a@example.com"], "log_group": "ct/CloudTrailLogs"}
    data["beanstalk_events"] = {"enabled": True}
    problems = problems_of(data)
    assert problems["archive.object_lock"] == "not used by the adopted topology (the bucket's owner sets it); remove it"
    for path in ("trail.insights", "trail.notification_emails", "beanstalk_events.enabled"):
        assert path in problems, path
    assert problems["alerts.emails"].startswith("with trail.log_group the CIS alarms")
    data = copy.deepcopy(VALID["adopted"]) | {"cloudwatch_logs": {"enabled": True}, "alerts": {"emails": ["a@b.co"]}}
    assert problems_of(data)["cloudwatch_logs.enabled"].startswith("ebtrail cannot change the adopted trail's")


def test_an_adopted_trail_names_its_key_by_arn_and_its_bucket_by_s3s_rule() -> None:
    data = copy.deepcopy(VALID["adopted"])
    data["trail"] |= {"kms_key_arn": "alias/aws-controltower", "bucket": "Not_A_Bucket"}
    problems = problems_of(data)
    assert "a KMS key ARN" in problems["trail.kms_key_arn"] and "not an alias" in problems["trail.kms_key_arn"]
    assert "S3" not in problems["trail.bucket"] and "3 to 63 lowercase letters" in problems["trail.bucket"]
    del data["trail"]["organization_id"]
    data["trail"] |= {"kms_key_arn": "arn:aws:kms:us-east-1:222222222222:key/k", "bucket": "ok-bucket"}
    assert problems_of(data)["trail.members"].startswith("only an organization trail")


def test_an_adopted_trail_proves_from_another_account_only_for_an_organization() -> None:
    data = copy.deepcopy(VALID["adopted"])
    data["trail"]["proof_account"] = "333333333333"
    config = parse_config(copy.deepcopy(data))
    assert config.existing_trail is not None and config.existing_trail.proof_target.account == "333333333333"
    assert config.existing_trail.target.account == "111111111111"
    data["trail"]["beanstalk_data_events"] = "WriteOnly"
    assert problems_of(data)["trail.beanstalk_data_events"].startswith("the data-events-only trail is created in")
    del data["trail"]["organization_id"], data["trail"]["members"], data["trail"]["beanstalk_data_events"]
    assert problems_of(data)["trail.proof_account"].startswith("only an organization trail")
