"""Snapshots of every stack of every fixture config (tests/fixtures/configs): any template change shows up as a
reviewable diff.

Refresh after an intended change with ``.venv/bin/python -m pytest tests/cdk/test_snapshots.py
--snapshot-update`` and say in the commit why the template changed. Accounts and regions are fixed by
the fixture configs; asset hashes (64 hex digits) are masked so the snapshots are stable across machines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import FIXTURE_CONFIGS

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def _masked(template: dict[str, Any]) -> Any:
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("config_file", FIXTURE_CONFIGS)
def test_every_stack_matches_its_snapshot(
    config_file: str, synthesized: Callable[[str], Synthesized], snapshot_json: SnapshotAssertion
) -> None:
    result = synthesized(config_file)
    assert result.templates, "a config must produce stacks"
    for stack_name in sorted(result.templates):
        assert _masked(result.json(stack_name)) == snapshot_json(name=f"{config_file}-{stack_name}")
