"""Validation of the optional features (cloudwatch_logs, ...): each refusal names its field and what is allowed."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ebtrail.config import ConfigError, parse_config

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT = tomllib.loads((REPO_ROOT / "config" / "default.toml").read_text())
ALL_FEATURES = tomllib.loads((REPO_ROOT / "config" / "all-features.toml").read_text())


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def _problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as error:
        parse_config(data, "test.toml")
    return {problem.path: problem.message for problem in error.value.problems}


def test_every_feature_is_off_by_default() -> None:
    config = parse_config(DEFAULT)
    assert config.cloudwatch_logs.enabled is False


def test_all_features_config_turns_every_feature_on() -> None:
    config = parse_config(ALL_FEATURES)
    assert config.topology == "organization"
    assert config.cloudwatch_logs.enabled is True
    assert config.cloudwatch_logs.retention_days == 365


@pytest.mark.parametrize("days", [0, 2, 364, 4000])
def test_log_retention_must_be_a_value_cloudwatch_logs_accepts(days: int) -> None:
    problems = _problems(_with(DEFAULT, **{"cloudwatch_logs.enabled": True, "cloudwatch_logs.retention_days": days}))
    assert problems["cloudwatch_logs.retention_days"].startswith("allowed: 1, 3, 5, 7, 14, 30")
    assert f"got {days}" in problems["cloudwatch_logs.retention_days"]


def test_cis_alarms_need_the_alert_topic() -> None:
    problems = _problems(_with(DEFAULT, **{"cloudwatch_logs.enabled": True, "alerts.enabled": False}))
    assert "alerts.enabled = true" in problems["cloudwatch_logs.enabled"]
