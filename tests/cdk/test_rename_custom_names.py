"""A trail rename replaces no custom-named resource under its old identity.

CloudFormation refuses an update that replaces a custom-named resource whose name stays ("CloudFormation
resource custom naming": "You can't perform an update that causes a custom-named resource to be replaced. If you
must replace the resource, specify a new name."). The rehearsal of a rename in ``make e2e`` failed on it: the
delivery canary's managed policy kept its name (``<prefix>-delivery-canary``) while its create-only
``Description`` named the trail. Here every resource of the trail stack that a rename would replace (a
create-only property changed, from the resource schemas) must get a new identity: a changed settable
``primaryIdentifier`` property, or, where the service makes the identifier up (a managed policy's ARN), a changed
name property.
"""

from __future__ import annotations

from typing import Any

import pytest

from deployment.config import parse_config
from ebtrail.verifier.changes.schemas import schema_of
from tests.cdk.synth_cache import Synthesized, synthesize
from tests.config.config_changes import with_changes
from tests.fixtures.paths import fixture_data

#: Identifiers a service makes up (read-only in the schema), and the name property that decides them.
MADE_UP_IDENTIFIERS = {"AWS::IAM::ManagedPolicy": "ManagedPolicyName"}


def _trail_stack(synthesized: Synthesized) -> dict[str, Any]:
    (name,) = [n for n in synthesized.templates if n != synthesized.built.log_archive.stack_name]
    resources: dict[str, Any] = synthesized.json(name)["Resources"]
    return resources


@pytest.fixture(scope="module")
def before() -> Synthesized:
    return synthesize(parse_config(fixture_data("default.toml"), "default.toml"))


@pytest.fixture(scope="module")
def after() -> Synthesized:
    data = with_changes(
        fixture_data("default.toml"),
        **{"trail.name": "ebtrail-renamed", "trail.previous_names": ["ebtrail-beanstalk-audit"]},
    )
    return synthesize(parse_config(data, "renamed.toml"))


def _replaced_under_the_same_identity(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    found = []
    for logical_id, resource in new.items():
        if logical_id not in old or old[logical_id]["Type"] != resource["Type"]:
            continue
        kind = resource["Type"]
        schema = schema_of(kind)
        assert schema is not None, kind
        props, old_props = resource.get("Properties", {}), old[logical_id].get("Properties", {})
        changed = [p for p in schema.create_only if props.get(p) != old_props.get(p)]
        if not changed:
            continue
        identity = [MADE_UP_IDENTIFIERS[kind]] if kind in MADE_UP_IDENTIFIERS else list(schema.primary_identifier)
        settable = [p for p in identity if p in props or p in old_props]
        if settable and all(props.get(p) == old_props.get(p) for p in settable):
            found.append(f"{logical_id} ({kind}): {changed} change, {settable} stay")
    return found


def test_a_rename_gives_every_replaced_custom_named_resource_a_new_name(
    before: Synthesized, after: Synthesized
) -> None:
    assert _replaced_under_the_same_identity(_trail_stack(before), _trail_stack(after)) == []


def test_the_check_finds_a_custom_named_policy_replaced_under_its_name() -> None:
    """The shape the canary's policy had: its name kept, its create-only description changed."""
    old = {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": "n", "Description": "a"}}}
    new = {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": "n", "Description": "b"}}}
    assert _replaced_under_the_same_identity(old, new) == [
        "P (AWS::IAM::ManagedPolicy): ['Description'] change, ['ManagedPolicyName'] stay"
    ]
