"""Helpers of the config validation tests: a config's data with dotted-path changes, and what ``parse_config``
refuses in it, by field path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from deployment.config import ConfigError, parse_config


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with dotted-path changes applied, e.g. ``with_changes(DEFAULT, **{"archive.region": "x"})``;
    missing tables on the way are created."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def problems_of(data: dict[str, Any]) -> dict[str, str]:
    """The problems ``parse_config`` raises for ``data`` (it must refuse it), message by field path."""
    with pytest.raises(ConfigError) as error:
        parse_config(data, "test.toml")
    return {problem.path: problem.message for problem in error.value.problems}
