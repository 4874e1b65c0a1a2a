"""The constructs as a library: LogArchive and BeanstalkTrail composed in a user's own stack from plain values,
their grants, the event-selector API, the synth-time validations, and an archive brought by name."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from ebtrail.constructs import (
    AthenaOptions,
    BeanstalkTrail,
    BeanstalkTrailProps,
    ExistingArchiveProps,
    LogArchive,
    LogArchiveProps,
)
from ebtrail.core.names import ArchiveNames, TrailTarget

ACCOUNT, REGION = "123456789012", "eu-west-1"
TRAIL = TrailTarget(account=ACCOUNT, home_region=REGION, name="platform-audit", partition="aws")
NAMES = ArchiveNames(prefix="platform", account=ACCOUNT, region=REGION, partition="aws")
BUCKET_ARN = f"arn:aws:s3:::{NAMES.log_bucket}"


def user_stack() -> Stack:
    """A stack of the user's own app: no cdk.json feature flags, no ebtrail config."""
    return Stack(App(), "PlatformAudit", env=Environment(account=ACCOUNT, region=REGION))


def statements(template: Template, resource_type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in template.find_resources(resource_type).values():
        found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


@pytest.fixture(scope="module")
def composed() -> tuple[Template, LogArchive, BeanstalkTrail]:
    stack = user_stack()
    archive = LogArchive(
        stack,
        "AuditArchive",
        LogArchiveProps(
            names=NAMES,
            writers=[TRAIL],
            athena=AthenaOptions(accounts=[ACCOUNT], projection_start=date(2026, 1, 1)),
        ),
    )
    trail = BeanstalkTrail(
        stack, "Trail", BeanstalkTrailProps.for_archive(TRAIL, NAMES).with_depends_on(archive.trail_prerequisites)
    )
    trail.add_event_selector(data_resources={"AWS::S3::Object": ["arn:aws:s3:::beanstalk-artifacts/"]})
    readers = iam.Role(stack, "Readers", assumed_by=iam.AccountRootPrincipal())
    archive.grant_read_logs(readers)
    analysts = iam.Role(stack, "Analysts", assumed_by=iam.AccountRootPrincipal())
    archive.grant_athena_query(analysts)
    return Template.from_stack(stack), archive, trail


def role_statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    found: list[dict[str, Any]] = []
    for policy in policies.values():
        if any(ref["Ref"].startswith(role_prefix) for ref in policy["Properties"]["Roles"]):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_one_stack_holds_archive_and_trail_with_the_trail_after_the_archive_policies(
    composed: tuple[Template, LogArchive, BeanstalkTrail],
) -> None:
    template, archive, trail = composed
    template.has_resource_properties("AWS::S3::Bucket", {"BucketName": NAMES.log_bucket})
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": NAMES.log_key_alias})
    (trail_id, resource) = next(iter(template.find_resources("AWS::CloudTrail::Trail").items()))
    assert resource["Properties"]["S3BucketName"] == NAMES.log_bucket
    assert resource["Properties"]["KMSKeyId"] == NAMES.log_key_alias_arn
    stack = Stack.of(archive)
    bucket_policy = archive.bucket.policy
    assert bucket_policy is not None
    policy_id = stack.get_logical_id(bucket_policy.node.default_child)  # type: ignore[arg-type]
    assert policy_id in resource["DependsOn"], "CreateTrail checks the bucket policy: it must exist first"
    assert trail.trail_arn == f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/platform-audit"
    assert trail_id


def test_add_event_selector_appends_to_the_management_selector(
    composed: tuple[Template, LogArchive, BeanstalkTrail],
) -> None:
    template = composed[0]
    template.has_resource_properties(
        "AWS::CloudTrail::Trail",
        {
            "EventSelectors": [
                {"IncludeManagementEvents": True, "ReadWriteType": "All"},
                {
                    "IncludeManagementEvents": False,
                    "ReadWriteType": "All",
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::beanstalk-artifacts/"]}],
                },
            ]
        },
    )


def test_grant_read_logs_reads_only_the_awslogs_folder_and_decrypts_with_the_log_key(
    composed: tuple[Template, LogArchive, BeanstalkTrail],
) -> None:
    template, archive, _ = composed
    granted = role_statements(template, "Readers")
    stack = Stack.of(archive)
    bucket_id = stack.get_logical_id(archive.bucket.node.default_child)  # type: ignore[arg-type]
    key_id = stack.get_logical_id(archive.key.node.default_child)  # type: ignore[arg-type]
    reads = next(s for s in granted if "s3:GetObject*" in s["Action"])
    assert {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/AWSLogs/*"]]} in reads["Resource"]
    assert not [a for a in reads["Action"] if a.startswith(("s3:Put", "s3:Delete"))]
    decrypt = next(s for s in granted if "kms:Decrypt" in s["Action"])
    assert decrypt["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert "kms:Encrypt" not in decrypt["Action"]


def test_grant_athena_query_names_the_workgroup_and_the_glue_catalog_database_and_table(
    composed: tuple[Template, LogArchive, BeanstalkTrail],
) -> None:
    granted = role_statements(composed[0], "Analysts")
    workgroup = f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{NAMES.athena_workgroup}"
    athena = next(s for s in granted if "athena:StartQueryExecution" in s["Action"])
    assert athena["Resource"] == workgroup
    glue = next(s for s in granted if "glue:GetTable" in s["Action"])
    base = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    assert sorted(glue["Resource"]) == sorted(
        [f"{base}:catalog", f"{base}:database/platform_audit", f"{base}:table/platform_audit/cloudtrail_logs"]
    )
    assert any("s3:PutObject" in s["Action"] for s in granted), "Athena writes results as the caller"
    assert any("s3:GetObject*" in s["Action"] for s in granted), "Athena reads the log files as the caller"


def test_an_oversized_bucket_policy_fails_synthesis_with_the_limit() -> None:
    stack = user_stack()
    writers = [TrailTarget(f"{100000000000 + n}", REGION, "audit", "aws") for n in range(90)]
    LogArchive(stack, "Archive", LogArchiveProps(names=NAMES, writers=writers))
    with pytest.raises(RuntimeError, match=r"log bucket policy: [\d,]+ bytes, over the 20,480-byte limit"):
        Template.from_stack(stack)


def test_too_many_event_selectors_fail_synthesis() -> None:
    stack = user_stack()
    trail = BeanstalkTrail(stack, "Trail", BeanstalkTrailProps.for_archive(TRAIL, NAMES))
    for n in range(5):
        trail.add_event_selector(data_resources={"AWS::S3::Object": [f"arn:aws:s3:::bucket-{n}/"]})
    with pytest.raises(RuntimeError, match="6 event selectors; CloudTrail allows at most 5"):
        Template.from_stack(stack)


def test_an_existing_bucket_and_key_get_no_policy_resource_and_the_statements_are_printed_for_the_owner() -> None:
    stack = user_stack()
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    existing = LogArchive.from_existing(
        stack, "Existing", ExistingArchiveProps(bucket_name="team-logs", key_arn=key_arn, writers=[TRAIL])
    )
    readers = iam.Role(stack, "Readers", assumed_by=iam.AccountRootPrincipal())
    existing.grant_read_logs(readers)
    template = Template.from_stack(stack)
    # A second AWS::S3::BucketPolicy would replace the owner's whole policy; a key policy cannot be added to.
    assert template.find_resources("AWS::S3::BucketPolicy") == {}
    assert template.find_resources("AWS::KMS::Key") == {}
    owner = existing.owner_policies()
    text = json.dumps(owner)
    assert "Fn::" not in text and "Ref" not in text, "printed statements must be plain JSON"
    bucket_sids = [s["Sid"] for s in owner["bucket_policy_statements"]]
    assert bucket_sids == ["AWSCloudTrailAclCheck", f"AWSCloudTrailWrite{ACCOUNT}"]
    write = owner["bucket_policy_statements"][1]
    assert write["Resource"] == f"arn:aws:s3:::team-logs/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == [TRAIL.arn]
    key_sids = [s["Sid"] for s in owner["key_policy_statements"]]
    assert "AllowCloudTrailEncryptLogs" in key_sids
    readers_root = next(s for s in owner["key_policy_statements"] if s["Sid"] == "AllowLogReadersDecrypt")
    assert readers_root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    Annotations.from_stack(stack).has_info("/PlatformAudit/Existing", Match.string_like_regexp("must add these"))
    granted = statements(template, "AWS::IAM::Policy")
    assert any(s["Resource"] == key_arn and "kms:Decrypt" in s["Action"] for s in granted)


def test_more_than_250_data_resources_fail_synthesis() -> None:
    stack = user_stack()
    trail = BeanstalkTrail(stack, "Trail", BeanstalkTrailProps.for_archive(TRAIL, NAMES))
    trail.add_event_selector(data_resources={"AWS::S3::Object": [f"arn:aws:s3:::bucket-{n}/" for n in range(200)]})
    trail.add_event_selector(
        data_resources={
            "AWS::Lambda::Function": [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f{n}" for n in range(51)]
        }
    )
    with pytest.raises(RuntimeError, match="251 data resources; CloudTrail allows at most 250 per trail"):
        Template.from_stack(stack)


def test_the_constructs_defaults_are_the_configs() -> None:
    from deployment.config import Lifecycle
    from ebtrail.constructs import LifecycleRules

    config, plain = Lifecycle(), LifecycleRules()
    assert [(t.storage_class, t.days) for t in config.transitions] == [
        (t.storage_class, t.days) for t in plain.transitions
    ]
    assert (config.expiration_days, config.noncurrent_version_expiration_days) == (
        plain.expiration_days,
        plain.noncurrent_version_expiration_days,
    )
    assert config.abort_incomplete_multipart_upload_days == plain.abort_incomplete_multipart_upload_days


def test_a_feature_without_what_it_needs_is_refused_with_every_reason() -> None:
    from ebtrail.constructs import BeanstalkEventsOptions, CanaryOptions, CloudWatchLogsOptions

    props = BeanstalkTrailProps(
        target=TRAIL,
        bucket_name=NAMES.log_bucket,
        kms_key_id=NAMES.log_key_alias_arn,
        alerts=None,
        canary=CanaryOptions(),
        cloudwatch_logs=CloudWatchLogsOptions(),
        beanstalk_events=BeanstalkEventsOptions(),
    )
    with pytest.raises(ValueError) as refused:
        BeanstalkTrail(user_stack(), "Trail", props)
    message = str(refused.value)
    for reason in ("cloudwatch_logs needs archive", "beanstalk_events needs archive", "canary needs archive"):
        assert reason in message
    assert "canary needs alerts" in message


def test_the_features_through_the_trails_props_are_named_and_granted_inside_it() -> None:
    from ebtrail.constructs import BeanstalkEventsOptions, CloudWatchLogsOptions

    stack = user_stack()
    props = BeanstalkTrailProps.for_archive(
        TRAIL,
        NAMES,
        "p/",
        cloudwatch_logs=CloudWatchLogsOptions(retention_days=400, cis_alarms=False),
        beanstalk_events=BeanstalkEventsOptions(buffer_seconds=60),
    )
    trail = BeanstalkTrail(stack, "Trail", props)
    assert trail.canary is None and trail.cis_alarms is None and trail.cloudwatch_logs is not None
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": "/aws/cloudtrail/platform-audit", "RetentionInDays": 400}
    )
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/platform/cloudtrail-cloudwatch-logs"})
    template.resource_count_is("AWS::Logs::MetricFilter", 0)
    # The Firehose role is named as the archive's policies name it, and its KMS grant is on the archive's keys
    # pinned to the log key's alias.
    template.has_resource_properties("AWS::IAM::Role", {"RoleName": "platform-beanstalk-events-delivery"})
    kms = [s for s in statements(template, "AWS::IAM::ManagedPolicy") if s.get("Sid") == "EncryptWithTheLogKey"]
    assert kms and all(s["Resource"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*" for s in kms)
    assert all(s["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == [NAMES.log_key_alias] for s in kms)
    [stream] = template.find_resources("AWS::KinesisFirehose::DeliveryStream").values()
    destination = stream["Properties"]["ExtendedS3DestinationConfiguration"]
    assert destination["Prefix"].startswith(f"p/beanstalk-events/{ACCOUNT}/{REGION}/")
