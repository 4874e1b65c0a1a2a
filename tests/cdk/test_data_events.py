"""Advanced event selectors with Beanstalk S3 data events, and Insights (tests/fixtures/configs/all-features.toml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deployment.config import parse_config
from deployment.plan import trail_props, trail_targets
from ebtrail.constructs.audit_trail import (
    AuditTrailProps,
    advanced_event_selectors,
    storage_bucket_arn_prefix,
)
from ebtrail.core.regions import partition_of
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


def resources_arn(selector: dict[str, Any]) -> dict[str, Any]:
    [field] = [f for f in selector["FieldSelectors"] if f["Field"] == "resources.ARN"]
    return dict(field)


def arn_field_selector(selector: Any) -> Any:
    """The ``resources.ARN`` field selector of a synthesized-in-Python advanced event selector."""
    [field] = [f for f in selector.field_selectors if f.field == "resources.ARN"]
    return field


def matches(field: dict[str, Any], arn: str) -> bool:
    """Whether a ``resources.ARN`` field selector takes ``arn``: a StartsWith value matches and no NotStartsWith
    value does (AdvancedFieldSelector, CloudTrail API Reference: StartsWith includes, NotStartsWith excludes)."""
    included = any(arn.startswith(p) for p in field.get("StartsWith", []))
    return included and not any(arn.startswith(p) for p in field.get("NotStartsWith", []))


#: A region name of the aws partition that no botocore lists (yet).
FUTURE_REGION = "ap-nowhere-9"


def test_organization_trail_records_every_beanstalk_bucket_of_the_partition(trail: dict[str, Any]) -> None:
    """One prefix for the partition, not one per region botocore knows: a region launched after the pinned
    botocore is recorded too (the old selector listed 32 regions and missed every other)."""
    _, data = trail["AdvancedEventSelectors"]
    field = resources_arn(data)
    assert field == {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::elasticbeanstalk-"]}
    assert partition_of(FUTURE_REGION) == "aws"
    for account in ("222222222222", "333333333333"):
        assert matches(field, f"arn:aws:s3:::elasticbeanstalk-{FUTURE_REGION}-{account}/app/v1.zip")
        assert matches(field, f"arn:aws:s3:::elasticbeanstalk-us-east-1-{account}/app/v1.zip")
    assert not matches(field, "arn:aws:s3:::other-bucket/elasticbeanstalk-us-east-1-222222222222/x")


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov", "aws-iso-f"])
def test_one_prefix_per_partition(partition: str) -> None:
    assert storage_bucket_arn_prefix(partition) == f"arn:{partition}:s3:::elasticbeanstalk-"


def test_data_events_never_cover_the_log_bucket(trail: dict[str, Any]) -> None:
    _, data = trail["AdvancedEventSelectors"]
    log_objects = "arn:aws:s3:::ebtrail-logs-222222222222-us-east-1/AWSLogs/x.json.gz"
    assert not matches(resources_arn(data), log_objects)


def test_a_log_bucket_under_the_prefix_is_excluded_with_not_starts_with() -> None:
    """name_prefix "elasticbeanstalk" names the log bucket elasticbeanstalk-logs-...: the partition prefix covers
    it, so the selector excludes its objects (a trail recording its own deliveries loops)."""
    data: dict[str, Any] = {
        "name_prefix": "elasticbeanstalk",
        "archive": {"account": "111111111111", "region": "us-east-1"},
        "trail": {"account": "111111111111", "home_region": "us-east-1", "beanstalk_data_events": "WriteOnly"},
    }
    config = parse_config(data)
    [target] = trail_targets(config)
    props = trail_props(config, target)
    log_bucket = props.bucket_name
    assert log_bucket.startswith("elasticbeanstalk-")
    audit = AuditTrailProps(
        trail_name="t",
        bucket_name=log_bucket,
        kms_key_id="k",
        sns_topic_name="n",
        data_event_arn_prefixes=tuple(props.data_event_arn_prefixes),
        log_bucket_arn=f"arn:aws:s3:::{log_bucket}",
    )
    _, selector = advanced_event_selectors(audit)
    field = arn_field_selector(selector)
    as_dict = {"StartsWith": list(field.starts_with or []), "NotStartsWith": list(field.not_starts_with or [])}
    assert as_dict["NotStartsWith"] == [f"arn:aws:s3:::{log_bucket}/"]
    assert not matches(as_dict, f"arn:aws:s3:::{log_bucket}/AWSLogs/111111111111/CloudTrail/x.json.gz")
    assert matches(as_dict, f"arn:aws:s3:::elasticbeanstalk-{FUTURE_REGION}-111111111111/app.zip")


def test_a_prefix_inside_the_log_bucket_is_refused() -> None:
    props = AuditTrailProps(
        trail_name="t",
        bucket_name="elasticbeanstalk-us-east-1-111111111111",
        kms_key_id="k",
        sns_topic_name="n",
        data_event_arn_prefixes=("arn:aws:s3:::elasticbeanstalk-us-east-1-111111111111/AWSLogs/",),
        log_bucket_arn="arn:aws:s3:::elasticbeanstalk-us-east-1-111111111111",
    )
    with pytest.raises(ValueError, match="name objects of the log bucket"):
        advanced_event_selectors(props)


def test_without_a_covered_log_bucket_there_is_no_exclusion() -> None:
    props = AuditTrailProps(
        trail_name="t",
        bucket_name="ebtrail-logs-111111111111-us-east-1",
        kms_key_id="k",
        sns_topic_name="n",
        data_event_arn_prefixes=(storage_bucket_arn_prefix("aws"),),
        log_bucket_arn="arn:aws:s3:::ebtrail-logs-111111111111-us-east-1",
    )
    _, selector = advanced_event_selectors(props)
    assert arn_field_selector(selector).not_starts_with is None


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
