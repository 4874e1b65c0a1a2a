"""AthenaArchive: the CloudTrail table and its projection, the workgroup, the results bucket, the saved SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import botocore.session
import pytest
import sqlglot
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from sqlglot import exp

from deployment.config import parse_config
from deployment.plan import plan
from ebtrail.constructs.access_log_bucket import AccessLogBucket, AccessLogBucketProps
from ebtrail.constructs.athena_archive import (
    CLOUDTRAIL_COLUMNS,
    PARTITION_KEYS,
    TABLE_COLUMN_NAMES,
    AthenaArchive,
    AthenaArchiveProps,
)
from ebtrail.constructs.athena_queries import (
    ALL_QUERIES,
    CALLS_FROM_UNEXPECTED_SOURCE_IPS,
    WHO_TERMINATED_OR_DELETED,
    SavedQuery,
    render,
)
from ebtrail.core.regions import cloudtrail_regions
from stacks.app_builder import build_app, feature_flags
from tests.cdk.policy_helpers import only_resource

ENV = Environment(account="111111111111", region="us-east-1")
TABLE = "cloudtrail_logs"
ORG_ID = "o-a1b2c3d4e5"
SINGLE_TEMPLATE = "s3://ebtrail-logs-111111111111-us-east-1/beanstalk/AWSLogs/${account}/CloudTrail/${region}/${day}"
ORG_TEMPLATE = f"s3://org-trail-logs/AWSLogs/{ORG_ID}/${{account}}/CloudTrail/${{region}}/${{day}}"

#: Record fields the issue and AWS's CloudTrail table name; removing one from the table must fail a test.
REQUIRED_COLUMNS = {
    "eventversion": "string",
    "eventtime": "string",
    "eventsource": "string",
    "eventname": "string",
    "awsregion": "string",
    "sourceipaddress": "string",
    "useragent": "string",
    "errorcode": "string",
    "errormessage": "string",
    "requestparameters": "string",
    "responseelements": "string",
    "additionaleventdata": "string",
    "requestid": "string",
    "eventid": "string",
    "eventtype": "string",
    "apiversion": "string",
    "readonly": "string",
    "recipientaccountid": "string",
    "serviceeventdetails": "string",
    "sharedeventid": "string",
    "vpcendpointid": "string",
    "resources": "array<struct<arn:string,accountid:string,type:string>>",
    "tlsdetails": "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>",
}


@dataclass
class Built:
    single: dict[str, Any]
    org: dict[str, Any]


def _app() -> App:
    return App(context=feature_flags())


def _props(key: kms.IKey, **overrides: Any) -> AthenaArchiveProps:
    values: dict[str, Any] = {
        "database_name": "ebtrail",
        "table_name": TABLE,
        "workgroup_name": "ebtrail-beanstalk",
        "log_bucket_name": "ebtrail-logs-111111111111-us-east-1",
        "log_prefix": "beanstalk/",
        "accounts": ["111111111111", "222222222222"],
        "organization_id": None,
        "results_bucket_name": "ebtrail-athena-results-111111111111-us-east-1",
        "encryption_key": key,
        "projection_start": date(2024, 3, 1),
    }
    values.update(overrides)
    return AthenaArchiveProps(**values)


def _results_key(stack: Stack) -> kms.Key:
    return kms.Key(stack, "ResultsKey", enable_key_rotation=True)


@pytest.fixture(scope="module")
def built() -> Built:
    """One app, two stacks: trails of single accounts under a prefix (default regions, no access logs), and
    an organization trail without prefix (two regions, results bucket access-logged).

    ``Template.from_stack`` runs the cdk-nag packs: loading the templates proves no unacknowledged finding.
    """
    app = _app()
    single = Stack(app, "AthenaSingle", env=ENV)
    AthenaArchive(single, "Athena", _props(_results_key(single)))
    org = Stack(app, "AthenaOrg", env=ENV)
    access_logs = AccessLogBucket(
        org, "AccessLogs", AccessLogBucketProps(bucket_name="org-access-logs", retention_days=90)
    )
    AthenaArchive(
        org,
        "Athena",
        _props(
            _results_key(org),
            log_bucket_name="org-trail-logs",
            log_prefix="",
            accounts=["333333333333"],
            organization_id=ORG_ID,
            results_bucket_name="org-athena-results",
            regions=["us-east-1", "eu-west-1"],
            access_log_bucket=access_logs.bucket,
            results_expiration_days=7,
        ),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
    return Built(single=_json(single), org=_json(org))


def _json(stack: Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


def _logical_id(template: dict[str, Any], resource_type: str, prefix: str = "") -> str:
    ids: list[str] = [
        k for k, v in template["Resources"].items() if v["Type"] == resource_type and k.startswith(prefix)
    ]
    assert len(ids) == 1, ids
    return ids[0]


def _table_input(template: dict[str, Any]) -> dict[str, Any]:
    table: dict[str, Any] = only_resource(template, "AWS::Glue::Table")["Properties"]["TableInput"]
    return table


def _results_bucket(template: dict[str, Any]) -> dict[str, Any]:
    return only_resource(template, "AWS::S3::Bucket", id_prefix="AthenaResultsBucket")


# --- Glue database and table ------------------------------------------------------------------------


def test_database_and_table_live_in_the_stack_account_catalog(built: Built) -> None:
    database = only_resource(built.single, "AWS::Glue::Database")["Properties"]
    assert database["CatalogId"] == "111111111111"
    assert database["DatabaseInput"]["Name"] == "ebtrail"
    table = only_resource(built.single, "AWS::Glue::Table")["Properties"]
    assert table["CatalogId"] == "111111111111"
    assert table["DatabaseName"] == {"Ref": _logical_id(built.single, "AWS::Glue::Database")}
    assert table["TableInput"]["Name"] == TABLE
    assert table["TableInput"]["TableType"] == "EXTERNAL_TABLE"


def test_table_reads_log_files_as_aws_current_cloudtrail_table_does(built: Built) -> None:
    """Athena User Guide, "Create the table for CloudTrail logs in Athena using partition projection": the Hive
    JSON SerDe over CloudTrail's input format (the CloudTrail SerDe of older versions of the page is superseded)."""
    storage = _table_input(built.single)["StorageDescriptor"]
    assert storage["SerdeInfo"] == {"SerializationLibrary": "org.apache.hive.hcatalog.data.JsonSerDe"}
    assert storage["InputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    assert storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert storage["Location"] == "s3://ebtrail-logs-111111111111-us-east-1/beanstalk/AWSLogs/"


def test_table_columns_are_the_cloudtrail_record_fields(built: Built) -> None:
    columns = {c["Name"]: c["Type"] for c in _table_input(built.single)["StorageDescriptor"]["Columns"]}
    assert columns == dict(CLOUDTRAIL_COLUMNS)
    for name, column_type in REQUIRED_COLUMNS.items():
        assert columns.get(name) == column_type, name
    identity = columns["useridentity"]
    assert identity.startswith("struct<type:string,principalid:string,arn:string,accountid:string,")
    for field in ("invokedby:string", "accesskeyid:string", "username:string", "sessioncontext:struct<"):
        assert field in identity
    assert all(name == name.lower() for name in columns)  # Glue stores lower case; queries match it


def test_table_is_partitioned_by_account_region_and_day(built: Built) -> None:
    keys = _table_input(built.single)["PartitionKeys"]
    assert keys == [
        {"Name": "account", "Type": "string"},
        {"Name": "region", "Type": "string"},
        {"Name": "day", "Type": "string"},
    ]
    assert [(k["Name"], k["Type"]) for k in keys] == list(PARTITION_KEYS)


def test_partition_projection_for_trails_of_single_accounts(built: Built) -> None:
    parameters = _table_input(built.single)["Parameters"]
    assert parameters == {
        "EXTERNAL": "TRUE",
        "classification": "cloudtrail",
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": "111111111111,222222222222",
        "projection.region.type": "enum",
        "projection.region.values": ",".join(cloudtrail_regions()),
        "projection.day.type": "date",
        "projection.day.format": "yyyy/MM/dd",
        "projection.day.range": "2024/03/01,NOW",
        "projection.day.interval": "1",
        "projection.day.interval.unit": "DAYS",
        "storage.location.template": SINGLE_TEMPLATE,
    }


def test_default_regions_are_every_cloudtrail_region() -> None:
    regions = cloudtrail_regions()
    assert {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"} <= set(regions)
    assert list(regions) == sorted(regions)
    assert not [r for r in regions if r.startswith(("cn-", "us-gov-"))]


def _regions_in_botocore_endpoint_data(partition_name: str) -> list[str]:
    """CloudTrail's regional endpoints of one partition, read straight from botocore's endpoints.json."""
    data = botocore.session.get_session().get_data("endpoints")
    partition = next(p for p in data["partitions"] if p["partition"] == partition_name)
    endpoints = partition["services"]["cloudtrail"]["endpoints"]
    return sorted(region for region in endpoints if region in partition["regions"])


@pytest.mark.parametrize(
    ("archive_region", "partition_name", "expected_member", "foreign"),
    [
        ("us-east-1", "aws", "eu-west-1", "cn-north-1"),
        ("cn-north-1", "aws-cn", "cn-northwest-1", "us-east-1"),
        ("us-gov-west-1", "aws-us-gov", "us-gov-east-1", "us-east-1"),
        ("us-isof-south-1", "aws-iso-f", "us-isof-east-1", "us-east-1"),
    ],
)
def test_projected_regions_are_those_of_the_archive_partition(
    archive_region: str, partition_name: str, expected_member: str, foreign: str
) -> None:
    """A trail delivers only from its own partition's regions; projecting the aws partition's regions for an
    aws-cn archive made every query come back empty, without an error."""
    stack = Stack(_app(), "AthenaPartition", env=Environment(account="111111111111", region=archive_region))
    AthenaArchive(stack, "Athena", _props(_results_key(stack)))
    values = _table_input(_json(stack))["Parameters"]["projection.region.values"].split(",")
    assert values == _regions_in_botocore_endpoint_data(partition_name)
    assert archive_region in values and expected_member in values and foreign not in values


def test_an_environment_agnostic_stack_must_name_its_regions() -> None:
    stack = Stack(_app(), "AthenaAgnostic")
    with pytest.raises(ValueError, match="regions is required"):
        AthenaArchive(stack, "Athena", _props(_results_key(stack)))


def test_partition_projection_for_an_organization_trail(built: Built) -> None:
    table = _table_input(built.org)
    parameters = table["Parameters"]
    assert parameters["storage.location.template"] == ORG_TEMPLATE
    assert parameters["projection.account.values"] == "333333333333"
    assert parameters["projection.region.values"] == "eu-west-1,us-east-1"
    assert table["StorageDescriptor"]["Location"] == f"s3://org-trail-logs/AWSLogs/{ORG_ID}/"


def test_location_template_matches_cloudtrail_log_file_keys(built: Built) -> None:
    """The template, filled in, is the folder of a real log file key (facts file, section 4)."""
    cases = [
        (
            SINGLE_TEMPLATE,
            "beanstalk/AWSLogs/222222222222/CloudTrail/eu-west-1/2026/11/25/"
            "222222222222_CloudTrail_eu-west-1_20261125T1015Z_abcdefghijklmnop.json.gz",
            "ebtrail-logs-111111111111-us-east-1",
            "222222222222",
        ),
        (
            ORG_TEMPLATE,
            f"AWSLogs/{ORG_ID}/333333333333/CloudTrail/eu-west-1/2026/11/25/"
            "333333333333_CloudTrail_eu-west-1_20261125T1015Z_abcdefghijklmnop.json.gz",
            "org-trail-logs",
            "333333333333",
        ),
    ]
    for template, key, bucket, account in cases:
        folder = template.replace("${account}", account).replace("${region}", "eu-west-1")
        folder = folder.replace("${day}", "2026/11/25")
        assert f"s3://{bucket}/{key}".startswith(folder + "/")


# --- workgroup and results bucket -------------------------------------------------------------------


def test_workgroup_enforces_encrypted_results_in_its_bucket(built: Built) -> None:
    template = built.single
    workgroup = only_resource(template, "AWS::Athena::WorkGroup")["Properties"]
    assert workgroup["Name"] == "ebtrail-beanstalk"
    depends_on = only_resource(template, "AWS::Athena::WorkGroup")["DependsOn"]
    assert _logical_id(template, "AWS::S3::Bucket", "AthenaResultsBucket") in depends_on
    assert workgroup["State"] == "ENABLED"
    key_arn = {"Fn::GetAtt": [_logical_id(template, "AWS::KMS::Key"), "Arn"]}
    assert workgroup["WorkGroupConfiguration"] == {
        "EnforceWorkGroupConfiguration": True,
        "PublishCloudWatchMetricsEnabled": True,
        "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
        "ResultConfiguration": {
            "OutputLocation": "s3://ebtrail-athena-results-111111111111-us-east-1/results/",
            "ExpectedBucketOwner": "111111111111",
            "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": key_arn},
        },
    }


def test_results_bucket_is_encrypted_private_versioned_retained_and_expiring(built: Built) -> None:
    template = built.single
    bucket = _results_bucket(template)
    properties = bucket["Properties"]
    assert properties["BucketName"] == "ebtrail-athena-results-111111111111-us-east-1"
    key_arn = {"Fn::GetAtt": [_logical_id(template, "AWS::KMS::Key"), "Arn"]}
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
            }
        ]
    }
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert properties["LifecycleConfiguration"] == {
        "Rules": [
            {
                "Id": "ExpireQueryResults",
                "Status": "Enabled",
                "ExpirationInDays": 30,
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }
        ]
    }
    assert "LoggingConfiguration" not in properties


def test_results_bucket_denies_requests_without_tls(built: Built) -> None:
    template = built.single
    bucket_id = _logical_id(template, "AWS::S3::Bucket", "AthenaResultsBucket")
    policy = only_resource(template, "AWS::S3::BucketPolicy")["Properties"]
    assert policy["Bucket"] == {"Ref": bucket_id}
    document = policy["PolicyDocument"]
    assert document["Statement"] == [
        {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": [
                {"Fn::GetAtt": [bucket_id, "Arn"]},
                {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
            ],
        }
    ]


def test_results_bucket_access_logs_and_expiry_when_configured(built: Built) -> None:
    properties = _results_bucket(built.org)["Properties"]
    access_log_bucket = _logical_id(built.org, "AWS::S3::Bucket", "AccessLogs")
    assert properties["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": access_log_bucket},
        "LogFilePrefix": "s3-access/org-athena-results/",
    }
    assert properties["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 7
    workgroup = only_resource(built.org, "AWS::Athena::WorkGroup")["Properties"]
    result = workgroup["WorkGroupConfiguration"]["ResultConfiguration"]
    assert result["OutputLocation"] == "s3://org-athena-results/results/"


# --- saved queries ----------------------------------------------------------------------------------


def test_every_saved_query_is_in_the_workgroup_and_database(built: Built) -> None:
    template = built.single
    named = [r for r in template["Resources"].values() if r["Type"] == "AWS::Athena::NamedQuery"]
    assert sorted(q["Properties"]["Name"] for q in named) == sorted(q.name for q in ALL_QUERIES)
    by_name = {q["Properties"]["Name"]: q for q in named}
    for query in ALL_QUERIES:
        assert by_name[query.name]["DependsOn"] == [_logical_id(template, "AWS::Glue::Table")]
        resource = by_name[query.name]["Properties"]
        assert resource["QueryString"] == render(query, TABLE)
        assert resource["Description"] == query.description
        assert resource["WorkGroup"] == {"Ref": _logical_id(template, "AWS::Athena::WorkGroup")}
        assert resource["Database"] == {"Ref": _logical_id(template, "AWS::Glue::Database")}


@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.name)
def test_query_names_only_columns_of_the_table(query: SavedQuery) -> None:
    referenced = referenced_columns(render(query, TABLE))
    assert referenced, "a query that names no column proves nothing"
    assert referenced <= TABLE_COLUMN_NAMES, referenced - TABLE_COLUMN_NAMES


@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.name)
def test_query_struct_fields_exist_in_the_struct_type(query: SavedQuery) -> None:
    types = dict(CLOUDTRAIL_COLUMNS)
    for top, field in struct_fields(render(query, TABLE)):
        assert f"{field}:" in types[top], f"{top}.{field}"


@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.name)
def test_query_reads_beanstalk_calls_of_a_bounded_range_of_days(query: SavedQuery) -> None:
    tree = sqlglot.parse_one(render(query, TABLE), read="trino")
    assert [t.name for t in tree.find_all(exp.Table)] == [TABLE]
    where = tree.find(exp.Where)
    assert where is not None
    conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    beanstalk = exp.EQ(this=exp.column("eventsource"), expression=exp.Literal.string("elasticbeanstalk.amazonaws.com"))
    assert any(c == beanstalk for c in conjuncts), "top-level eventsource = 'elasticbeanstalk.amazonaws.com'"
    # A lower bound on the day partition, at the top level of the WHERE, so projection prunes days.
    day_bounds = [c for c in conjuncts if isinstance(c, exp.GTE) and c.this == exp.column("day")]
    assert len(day_bounds) == 1
    assert day_bounds[0].expression.find(exp.Column) is None  # computed from constants, not from rows


def test_placeholders_are_in_the_sql() -> None:
    assert WHO_TERMINATED_OR_DELETED.placeholders == ("'my-environment'",)
    assert len(CALLS_FROM_UNEXPECTED_SOURCE_IPS.placeholders) == 2
    for query in ALL_QUERIES:
        for placeholder in query.placeholders:
            assert placeholder in query.sql


def test_column_check_catches_unknown_columns_and_fields() -> None:
    sql = (
        f"SELECT useridentity.nosuchfield, eventsourc AS x FROM {TABLE} "
        "WHERE errorcode IS NOT NULL ORDER BY x, eventtime"
    )
    assert referenced_columns(sql) == {"useridentity", "eventsourc", "errorcode", "eventtime"}
    assert referenced_columns(sql) - TABLE_COLUMN_NAMES == {"eventsourc"}
    assert struct_fields(sql) == {("useridentity", "nosuchfield")}
    assert "nosuchfield:" not in dict(CLOUDTRAIL_COLUMNS)["useridentity"]


# --- props validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"accounts": []}, "at least one account"),
        ({"accounts": ["12345"]}, "12-digit"),
        ({"log_prefix": "beanstalk"}, "end with '/'"),
        ({"organization_id": "org-1"}, "o-xxxxxxxxxx"),
        ({"regions": []}, "at least one region"),
    ],
)
def test_props_are_validated(overrides: dict[str, Any], message: str) -> None:
    stack = Stack(_app(), "Invalid", env=ENV)
    with pytest.raises(ValueError, match=message):
        AthenaArchive(stack, "Athena", _props(_results_key(stack), **overrides))


# --- column collection with sqlglot -----------------------------------------------------------------


def referenced_columns(sql: str) -> set[str]:
    """Top-level table columns a query names (lower case): ``useridentity.arn`` counts as ``useridentity``.

    Left out: qualifiers that are table names or aliases, output aliases named in ``ORDER BY``, and
    lambda parameters.
    """
    tree = sqlglot.parse_one(sql, read="trino")
    tables = {t.name.lower() for t in tree.find_all(exp.Table)} | {
        t.alias.lower() for t in tree.find_all(exp.Table) if t.alias
    }
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias)}
    lambda_params = {p.name.lower() for lam in tree.find_all(exp.Lambda) for p in lam.expressions}
    names: set[str] = set()
    for column in tree.find_all(exp.Column):
        parts = [p.name.lower() for p in column.parts]
        while len(parts) > 1 and parts[0] in tables:
            parts = parts[1:]
        top = parts[0]
        if len(parts) == 1 and top in aliases and column.find_ancestor(exp.Order) is not None:
            continue
        if top in lambda_params and column.find_ancestor(exp.Lambda) is not None:
            continue
        names.add(top)
    return names


def struct_fields(sql: str) -> set[tuple[str, str]]:
    """``(column, field)`` for every ``column.field`` path a query reads."""
    tree = sqlglot.parse_one(sql, read="trino")
    tables = {t.name.lower() for t in tree.find_all(exp.Table)}
    fields: set[tuple[str, str]] = set()
    for column in tree.find_all(exp.Column):
        parts = [p.name.lower() for p in column.parts]
        while len(parts) > 1 and parts[0] in tables:
            parts = parts[1:]
        if len(parts) >= 2:
            fields.add((parts[0], parts[1]))
    return fields


def test_an_aws_cn_config_projects_the_china_regions() -> None:
    """The whole app, from a config in aws-cn (which validation accepts): its archive's table projects cn-* regions."""
    config = parse_config(
        {
            "archive": {"account": "111111111111", "region": "cn-north-1"},
            "trail": {"account": "111111111111", "home_region": "cn-northwest-1"},
        }
    )
    archive = _json(build_app(plan(config)).log_archive)
    values = _table_input(archive)["Parameters"]["projection.region.values"]
    assert values == "cn-north-1,cn-northwest-1"
