"""Advanced event selectors with Beanstalk S3 data events, and Insights (tests/fixtures/configs/all-features.toml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ebtrail.constructs.audit_trail import (
    AuditTrailProps,
    advanced_event_selectors,
    beanstalk_regions,
    storage_bucket_arn_prefixes,
)
from ebtrail.verifier.trail_info import management_write_problem
from tests.cdk.policy_helpers import only_resource
from tests.cdk.synth_cache import Synthesized

TRAIL_STACK = "ebtrail-trail-111111111111"


@pytest.fixture(scope="module")
def trail(synthesized: Callable[[str], Synthesized]) -> dict[str, Any]:
    properties: dict[str, Any] = only_resource(
        synthesized("all-features.toml").json(TRAIL_STACK), "AWS::CloudTrail::Trail"
    )["Properties"]
    return properties


def test_trail_uses_advanced_selectors_instead_of_basic_ones(trail: dict[str, Any]) -> None:
    assert "EventSelectors" not in trail
    management, data = trail["AdvancedEventSelectors"]
    assert management == {
        "Name": "All management events",
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
    }
    assert data["Name"] == "Elastic Beanstalk storage bucket objects"
    fields = {f["Field"]: f for f in data["FieldSelectors"]}
    assert fields["eventCategory"] == {"Field": "eventCategory", "Equals": ["Data"]}
    assert fields["resources.type"] == {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}
    assert fields["readOnly"] == {"Field": "readOnly", "Equals": ["false"]}, "writes only by default"
    assert len(fields) == 4


def test_organization_trail_records_every_accounts_beanstalk_buckets_in_every_region(trail: dict[str, Any]) -> None:
    _, data = trail["AdvancedEventSelectors"]
    [arns] = [f["StartsWith"] for f in data["FieldSelectors"] if f["Field"] == "resources.ARN"]
    regions = beanstalk_regions("aws")
    assert len(regions) >= 20 and "us-east-1" in regions
    assert arns == [f"arn:aws:s3:::elasticbeanstalk-{region}-" for region in regions]


def test_data_events_never_cover_the_log_bucket(trail: dict[str, Any]) -> None:
    _, data = trail["AdvancedEventSelectors"]
    [arns] = [f["StartsWith"] for f in data["FieldSelectors"] if f["Field"] == "resources.ARN"]
    log_objects = "arn:aws:s3:::ebtrail-logs-222222222222-us-east-1/"
    assert not [arn for arn in arns if log_objects.startswith(arn)]


def test_a_prefix_covering_the_log_bucket_is_refused() -> None:
    props = AuditTrailProps(
        trail_name="t",
        bucket_name="elasticbeanstalk-us-east-1-111111111111",
        kms_key_id="k",
        sns_topic_name="n",
        data_event_arn_prefixes=("arn:aws:s3:::elasticbeanstalk-us-east-1-",),
        log_bucket_arn="arn:aws:s3:::elasticbeanstalk-us-east-1-111111111111",
    )
    with pytest.raises(ValueError, match="cover the log bucket"):
        advanced_event_selectors(props)


def test_member_trails_name_their_own_accounts_buckets_exactly() -> None:
    prefixes = storage_bucket_arn_prefixes("aws", "333333333333")
    assert "arn:aws:s3:::elasticbeanstalk-eu-west-1-333333333333/" in prefixes
    assert all(p.endswith("-333333333333/") for p in prefixes)


@pytest.mark.parametrize(
    ("management", "read_write", "management_read_only", "data_read_only"),
    [("All", "All", None, None), ("WriteOnly", "WriteOnly", "false", "false"), ("ReadOnly", "All", "true", None)],
)
def test_selectors_follow_management_events_and_read_write(
    management: Any, read_write: Any, management_read_only: str | None, data_read_only: str | None
) -> None:
    props = AuditTrailProps(
        trail_name="t",
        bucket_name="b",
        kms_key_id="k",
        sns_topic_name="n",
        management_events=management,
        data_event_arn_prefixes=("arn:aws:s3:::elasticbeanstalk-us-east-1-111111111111/",),
        data_events_read_write=read_write,
    )
    management_selector, data_selector = advanced_event_selectors(props)

    def read_only(selector: Any) -> list[str]:
        return [value for f in selector.field_selectors if f.field == "readOnly" for value in f.equal_to]

    assert read_only(management_selector) == ([management_read_only] if management_read_only else [])
    assert read_only(data_selector) == ([data_read_only] if data_read_only else [])


def test_insights_on_both_types(trail: dict[str, Any]) -> None:
    assert trail["InsightSelectors"] == [
        {"InsightType": "ApiCallRateInsight"},
        {"InsightType": "ApiErrorRateInsight"},
    ]


def test_verifier_accepts_the_synthesized_selectors(trail: dict[str, Any]) -> None:
    """The verifier's management-write check reads GetEventSelectors' AdvancedEventSelectors, which have the
    same shape as the template's (Name, FieldSelectors with Field/Equals/StartsWith)."""
    selectors = trail["AdvancedEventSelectors"]
    assert management_write_problem([], selectors) is None
    # Without the management selector, only S3 data events remain: the verifier must refuse.
    assert "no Elastic Beanstalk management write events" in str(management_write_problem([], selectors[1:]))


def test_default_config_keeps_the_basic_selector_and_no_insights(default: Synthesized) -> None:
    trail = only_resource(default.json(TRAIL_STACK), "AWS::CloudTrail::Trail")["Properties"]
    assert trail["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
    assert "AdvancedEventSelectors" not in trail and "InsightSelectors" not in trail
