"""Beanstalk service events into the archive (tests/fixtures/configs/all-features.toml): rule, Firehose, both
roles, the archive's bucket and key statements, the Athena table and the timeline query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from ebtrail.constructs.athena_archive import TABLE_COLUMN_NAMES
from ebtrail.constructs.beanstalk_events_table import (
    ENVIRONMENT_TIMELINE,
    EVENT_COLUMNS,
    EVENT_PARTITION_KEYS,
    render_timeline,
)
from tests.cdk.policy_helpers import log_bucket_policy, log_key_policy, only_resource, resources_of_type, statement
from tests.cdk.synth_cache import Synthesized

TRAIL_STACK = "ebtrail-trail-111111111111"
STREAM = "ebtrail-org-beanstalk-audit-beanstalk-events"
BUCKET_ARN = "arn:aws:s3:::ebtrail-logs-222222222222-us-east-1"
PREFIX = "org/beanstalk-events/111111111111/us-east-1/"
ERROR_PREFIX = "org/beanstalk-events-errors/111111111111/us-east-1/"
ROLE_ARN = "arn:aws:iam::111111111111:role/ebtrail-beanstalk-events-delivery"
DETAIL_TYPES = [
    "Elastic Beanstalk resource status change",
    "Other resource status change",
    "Health status change",
    "Managed update status change",
]
S3_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
    # "Cross-account delivery to an Amazon S3 destination" (Firehose Developer Guide): required cross-account.
    "s3:PutObjectAcl",
]
CONTEXT = [BUCKET_ARN, f"{BUCKET_ARN}/{PREFIX}*", f"{BUCKET_ARN}/{ERROR_PREFIX}*"]


@pytest.fixture(scope="module")
def result(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("all-features.toml")


@pytest.fixture(scope="module")
def trail(result: Synthesized) -> dict[str, Any]:
    return result.json(TRAIL_STACK)


def _id(template: dict[str, Any], resource_type: str, prefix: str = "BeanstalkEvents") -> str:
    [logical_id] = [k for k in resources_of_type(template, resource_type) if k.startswith(prefix)]
    return logical_id


def test_rule_matches_the_four_service_event_types_and_targets_firehose_with_its_role(trail: dict[str, Any]) -> None:
    rule = only_resource(trail, "AWS::Events::Rule", id_prefix="BeanstalkEvents")["Properties"]
    assert rule["Name"] == STREAM
    assert rule["EventPattern"] == {"source": ["aws.elasticbeanstalk"], "detail-type": DETAIL_TYPES}
    assert rule["Targets"] == [
        {
            "Id": "Firehose",
            "Arn": {"Fn::GetAtt": [_id(trail, "AWS::KinesisFirehose::DeliveryStream"), "Arn"]},
            "RoleArn": {"Fn::GetAtt": [_id(trail, "AWS::IAM::Role", "BeanstalkEventsEventsRole"), "Arn"]},
        }
    ]


def test_events_role_is_assumable_by_eventbridge_for_this_rule_only_and_may_only_put_records(
    trail: dict[str, Any],
) -> None:
    role = trail["Resources"][_id(trail, "AWS::IAM::Role", "BeanstalkEventsEventsRole")]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {
            "aws:SourceArn": f"arn:aws:events:us-east-1:111111111111:rule/{STREAM}",
            "aws:SourceAccount": "111111111111",
        }
    }
    policy = trail["Resources"][_id(trail, "AWS::IAM::ManagedPolicy", "BeanstalkEventsEventsPolicy")]["Properties"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "PutBeanstalkEvents",
            "Effect": "Allow",
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Resource": {"Fn::GetAtt": [_id(trail, "AWS::KinesisFirehose::DeliveryStream"), "Arn"]},
        }
    ]


def test_stream_writes_newline_delimited_gzip_sse_kms_objects_under_its_prefix(trail: dict[str, Any]) -> None:
    stream = only_resource(trail, "AWS::KinesisFirehose::DeliveryStream")["Properties"]
    assert stream["DeliveryStreamName"] == STREAM
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    destination = stream["ExtendedS3DestinationConfiguration"]
    assert destination["BucketARN"] == BUCKET_ARN
    assert destination["Prefix"] == f"{PREFIX}!{{timestamp:yyyy/MM/dd}}/"
    assert (
        destination["ErrorOutputPrefix"] == f"{ERROR_PREFIX}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/"
    )
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["EncryptionConfiguration"] == {
        "KMSEncryptionConfig": {"AWSKMSKeyARN": "arn:aws:kms:us-east-1:222222222222:alias/ebtrail/cloudtrail-logs"}
    }
    assert destination["ProcessingConfiguration"] == {
        "Enabled": True,
        "Processors": [{"Type": "AppendDelimiterToRecord"}],
    }
    assert destination["BufferingHints"]["IntervalInSeconds"] == 300
    assert destination["RoleARN"] == {
        "Fn::GetAtt": [_id(trail, "AWS::IAM::Role", "BeanstalkEventsDeliveryRole"), "Arn"]
    }


def test_delivery_role_is_named_trusted_by_firehose_and_writes_only_its_prefixes(trail: dict[str, Any]) -> None:
    role = trail["Resources"][_id(trail, "AWS::IAM::Role", "BeanstalkEventsDeliveryRole")]["Properties"]
    assert role["RoleName"] == "ebtrail-beanstalk-events-delivery"
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "111111111111"}}
    document = trail["Resources"][_id(trail, "AWS::IAM::ManagedPolicy", "BeanstalkEventsDeliveryPolicy")]["Properties"][
        "PolicyDocument"
    ]
    write = statement(document, "WriteBeanstalkEvents")
    assert write["Action"] == S3_ACTIONS
    assert sorted(write["Resource"]) == sorted([BUCKET_ARN, f"{BUCKET_ARN}/{PREFIX}*", f"{BUCKET_ARN}/{ERROR_PREFIX}*"])
    encrypt = statement(document, "EncryptWithTheLogKey")
    assert encrypt["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert encrypt["Resource"] == "arn:aws:kms:us-east-1:222222222222:key/*"
    assert encrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com"]},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": CONTEXT},
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/ebtrail/cloudtrail-logs"]},
    }


def test_archive_bucket_lets_only_that_role_write_only_its_account_prefix(result: Synthesized) -> None:
    write = statement(log_bucket_policy(result.archive_json), "BeanstalkEventsWrite111111111111")
    assert write["Effect"] == "Allow"
    assert write["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert write["Condition"] == {"ArnEquals": {"aws:PrincipalArn": ROLE_ARN}}
    assert write["Action"] == S3_ACTIONS
    bucket_id = _id(result.archive_json, "AWS::S3::Bucket", "LogBucket")
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    expected = [arn, {"Fn::Join": ["", [arn, f"/{PREFIX}*"]]}, {"Fn::Join": ["", [arn, f"/{ERROR_PREFIX}*"]]}]
    assert sorted(map(str, write["Resource"])) == sorted(map(str, expected))


def test_archive_key_lets_only_that_role_encrypt_through_s3_for_its_objects(result: Synthesized) -> None:
    encrypt = statement(log_key_policy(result.archive_json), "BeanstalkEventsEncrypt111111111111")
    assert encrypt["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert encrypt["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert encrypt["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": ROLE_ARN},
        "StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com"]},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": CONTEXT},
    }


def test_events_table_reads_json_lines_with_projected_account_region_and_day(result: Synthesized) -> None:
    tables = resources_of_type(result.archive_json, "AWS::Glue::Table")
    [events] = [t["Properties"]["TableInput"] for k, t in tables.items() if k.startswith("BeanstalkEventsTable")]
    assert events["Name"] == "beanstalk_events"
    descriptor = events["StorageDescriptor"]
    assert descriptor["Location"] == "s3://ebtrail-logs-222222222222-us-east-1/org/beanstalk-events/"
    assert descriptor["SerdeInfo"] == {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "Parameters": {"mapping.detail_type": "detail-type", "case.insensitive": "TRUE"},
    }
    assert [c["Name"] for c in descriptor["Columns"]] == [n for n, _ in EVENT_COLUMNS]
    assert [k["Name"] for k in events["PartitionKeys"]] == ["account", "region", "day"]
    parameters = events["Parameters"]
    assert parameters["projection.account.values"] == "111111111111"
    assert parameters["projection.region.values"] == "us-east-1"
    assert parameters["storage.location.template"] == (
        "s3://ebtrail-logs-222222222222-us-east-1/org/beanstalk-events/${account}/${region}/${day}"
    )
    # Firehose writes <prefix>/<account>/<region>/yyyy/MM/dd/: the template must give the same folder.
    folder = parameters["storage.location.template"].replace("${account}", "111111111111")
    folder = folder.replace("${region}", "us-east-1").replace("${day}", "2026/11/27")
    assert folder.removeprefix("s3://ebtrail-logs-222222222222-us-east-1/") == f"{PREFIX}2026/11/27"


def test_timeline_query_is_saved_in_the_workgroup(result: Synthesized) -> None:
    queries = resources_of_type(result.archive_json, "AWS::Athena::NamedQuery")
    [timeline] = [q["Properties"] for q in queries.values() if q["Properties"]["Name"] == ENVIRONMENT_TIMELINE.name]
    assert timeline["QueryString"] == render_timeline("cloudtrail_logs", "beanstalk_events")


def _branch_columns(select: exp.Expression | exp.Query) -> set[str]:
    aliases = {a.alias.lower() for a in select.find_all(exp.Alias)}
    names = set()
    for column in select.find_all(exp.Column):
        top = column.parts[0].name.lower()
        if not (top in aliases and column.find_ancestor(exp.Order) is not None):
            names.add(top)
    return names


def test_timeline_names_only_columns_of_each_table_and_orders_one_list() -> None:
    tree = sqlglot.parse_one(render_timeline("cloudtrail_logs", "beanstalk_events"), read="trino")
    union = tree.find(exp.Union)
    assert union is not None
    api_calls, service_events = union.left, union.right
    assert _branch_columns(api_calls) <= TABLE_COLUMN_NAMES
    event_columns = {n for n, _ in EVENT_COLUMNS + EVENT_PARTITION_KEYS}
    assert _branch_columns(service_events) <= event_columns
    detail_fields = {
        c.parts[1].name.lower() for c in service_events.find_all(exp.Column) if c.parts[0].name.lower() == "detail"
    }
    assert detail_fields <= {"status", "severity", "message", "environmentname"}
    assert {"useridentity", "eventsource", "requestparameters"} <= _branch_columns(api_calls)
    order = tree.find(exp.Order)
    assert order is not None and order.parent is tree, "the whole union is ordered, not one branch"
    for placeholder in ENVIRONMENT_TIMELINE.placeholders:
        assert placeholder in ENVIRONMENT_TIMELINE.sql


def test_stale_deliveries_alarm_to_the_alert_topic(trail: dict[str, Any]) -> None:
    """A bucket or key policy that refuses Firehose fails no deploy: the alarm is how anyone hears of it."""
    alarm = trail["Resources"][_id(trail, "AWS::CloudWatch::Alarm", "BeanstalkEventsDeliveryAlarm")]["Properties"]
    assert alarm["AlarmName"] == f"{STREAM}-delivery"
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Firehose", "DeliveryToS3.DataFreshness")
    assert alarm["Dimensions"] == [{"Name": "DeliveryStreamName", "Value": STREAM}]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 300, 1)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 900)
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": _id(trail, "AWS::SNS::Topic", "BeanstalkAlerts")}]
    # The alert topic lets alarms named <trail>-* publish, once (the CIS alarms share the statement).
    policy = only_resource(trail, "AWS::SNS::TopicPolicy", id_prefix="BeanstalkAlerts")["Properties"]["PolicyDocument"]
    [publish] = [s for s in policy["Statement"] if s.get("Sid") == "AllowCloudWatchAlarmsPublish"]
    assert publish["Condition"]["ArnLike"]["aws:SourceArn"] == [
        "arn:aws:cloudwatch:us-east-1:111111111111:alarm:ebtrail-org-beanstalk-audit-*"
    ]


def test_other_configs_have_no_beanstalk_event_delivery(default: Synthesized) -> None:
    assert not resources_of_type(default.json(TRAIL_STACK), "AWS::KinesisFirehose::DeliveryStream")
    assert "BeanstalkEventsWrite111111111111" not in str(log_bucket_policy(default.archive_json))
