"""Which event selectors record an Elastic Beanstalk write call (ebtrail.verifier.trail_info)."""

from __future__ import annotations

from typing import Any

import pytest

from ebtrail.verifier.trail_info import management_write_problem


def adv(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"Name": "s", "FieldSelectors": list(fields)}


MGMT = {"Field": "eventCategory", "Equals": ["Management"]}


@pytest.mark.parametrize(
    ("basic", "advanced", "ok"),
    [
        ([], [], True),  # default: all management events
        ([{"ReadWriteType": "All", "IncludeManagementEvents": True}], [], True),
        ([{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}], [], True),
        ([{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}], [], False),
        ([{"ReadWriteType": "All", "IncludeManagementEvents": False}], [], False),
        ([], [adv(MGMT)], True),
        ([], [adv(MGMT, {"Field": "readOnly", "Equals": ["false"]})], True),
        ([], [adv(MGMT, {"Field": "readOnly", "Equals": ["true"]})], False),
        ([], [adv(MGMT, {"Field": "eventSource", "NotEquals": ["elasticbeanstalk.amazonaws.com"]})], False),
        ([], [adv(MGMT, {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]})], True),
        ([], [adv({"Field": "eventCategory", "Equals": ["Data"]})], False),
    ],
)
def test_management_write_events(basic: list[dict[str, Any]], advanced: list[dict[str, Any]], ok: bool) -> None:
    assert (management_write_problem(basic, advanced) is None) is ok
