"""Athena over the CloudTrail archive: Glue table with partition projection, workgroup, saved queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from aws_cdk import Stack, Token
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.constructs.acknowledge import acknowledge
from ebtrail.constructs.athena_queries import ALL_QUERIES, render
from ebtrail.constructs.hardened_bucket import expiring_objects_rule, hardened_bucket
from ebtrail.constructs.projected_table import (
    PROJECTED_PARTITION_KEYS,
    FileFormat,
    ProjectedTableProps,
    projected_table,
)
from ebtrail.core import cloudtrail_layout as layout
from ebtrail.core.lifecycle import DEFAULTS as LIFECYCLE
from ebtrail.core.regions import cloudtrail_regions, partition_of

#: Columns of a CloudTrail record, as in AWS's "Create the table for CloudTrail logs in Athena using
#: partition projection" (Athena User Guide,
#: https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html). Hive type
#: strings; names lower case (Glue lower-cases them).
CLOUDTRAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventversion", "string"),
    (
        "useridentity",
        "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,"
        "accesskeyid:string,username:string,onbehalfof:struct<userid:string,identitystorearn:string>,"
        "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,"
        "sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,"
        "ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,"
        "attributes:map<string,string>>>>",
    ),
    ("eventtime", "string"),
    ("eventsource", "string"),
    ("eventname", "string"),
    ("awsregion", "string"),
    ("sourceipaddress", "string"),
    ("useragent", "string"),
    ("errorcode", "string"),
    ("errormessage", "string"),
    ("requestparameters", "string"),
    ("responseelements", "string"),
    ("additionaleventdata", "string"),
    ("requestid", "string"),
    ("eventid", "string"),
    ("readonly", "string"),
    ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    ("eventtype", "string"),
    ("apiversion", "string"),
    ("recipientaccountid", "string"),
    ("serviceeventdetails", "string"),
    ("sharedeventid", "string"),
    ("vpcendpointid", "string"),
    ("vpcendpointaccountid", "string"),
    ("eventcategory", "string"),
    ("addendum", "struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>"),
    ("sessioncredentialfromconsole", "string"),
    ("edgedevicedetails", "string"),
    ("tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"),
)

#: The account, region and delivery-day partitions (projected, see :mod:`ebtrail.constructs.projected_table`).
PARTITION_KEYS = PROJECTED_PARTITION_KEYS

#: Every column a query can name: record fields, then partitions.
TABLE_COLUMN_NAMES: frozenset[str] = frozenset(name for name, _ in CLOUDTRAIL_COLUMNS + PARTITION_KEYS)

#: The SerDe, input and output formats of AWS's current CloudTrail table definition (same page as the columns):
#: the Hive JSON SerDe over CloudTrail's input format, which reads the ``Records`` array of each gzip file. It
#: replaces the CloudTrail SerDe (``com.amazon.emr.hive.serde.CloudTrailSerde``) of earlier versions of the page.
SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
CLOUDTRAIL_FILES = FileFormat(
    classification="cloudtrail", serde=SERDE, input_format=INPUT_FORMAT, output_format=OUTPUT_FORMAT
)
ENGINE_VERSION = "Athena engine version 3"

_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class AthenaArchiveProps:
    """What the Athena archive needs to know."""

    database_name: str
    table_name: str
    workgroup_name: str
    #: The archive bucket holding the trail's log files.
    log_bucket_name: str
    #: Key prefix in front of ``AWSLogs/``: ``""`` or ``"<prefix>/"``.
    log_prefix: str
    #: Accounts whose log files the table covers (the ``account`` partition's values).
    accounts: list[str]
    #: ``o-...`` for an organization trail (log files under ``AWSLogs/<org-id>/<account>/``); ``None`` for
    #: trails of single accounts (``AWSLogs/<account>/``).
    organization_id: str | None
    results_bucket_name: str
    #: Customer managed key for SSE-KMS on the query results; Athena's callers need ``kms:GenerateDataKey``
    #: and ``kms:Decrypt`` on it.
    encryption_key: kms.IKey
    #: First day of the ``day`` projection (the first day the trail delivered).
    projection_start: date
    #: Regions of the ``region`` partition. Default: every CloudTrail region of the stack region's partition
    #: (:func:`cloudtrail_regions`): a trail delivers only from regions of its own partition, and projecting
    #: another partition's regions would make every query of the table come back empty.
    regions: list[str] | None = None
    #: Destination of the results bucket's S3 server access logs. Default: none, which acknowledges
    #: AwsSolutions-S1 and NIST S3BucketLoggingEnabled; pass the archive's access-log bucket to avoid that.
    access_log_bucket: s3.IBucket | None = None
    #: Days query results are kept.
    results_expiration_days: int = LIFECYCLE.athena_results_expiration_days


class AthenaArchive(Construct):
    """Glue database and CloudTrail table, an Athena workgroup with its own results bucket, saved queries.

    * The table reads the log files in place with the Hive JSON SerDe and CloudTrail's input format, as AWS's
      current CloudTrail table definition does; partition
      projection (account enum, region enum, ``yyyy/MM/dd`` day from ``projection_start`` to ``NOW``)
      computes each partition's folder from ``storage.location.template``, so nothing has to add
      partitions as days pass. The day is the delivery day of the file (CloudTrail's folder), not the
      event's.
    * The workgroup enforces its configuration (``enforce_work_group_configuration``): every query's
      results go to the results bucket under SSE-KMS with ``encryption_key``, whatever the client asks;
      engine version 3 (Trino), which the saved queries need.
    * Results bucket: SSE-KMS with an S3 Bucket Key, all public access blocked, ACLs disabled, TLS-only
      (``Deny`` of ``s3:*`` without ``aws:SecureTransport``), versioned, retained on delete, results and
      noncurrent versions expired, incomplete uploads aborted; server access logs to
      ``access_log_bucket`` when given.
    * Saved queries (:mod:`ebtrail.constructs.athena_queries`) in the workgroup and database.

    Readers also need ``s3:GetObject``/``s3:ListBucket`` on the log bucket and ``kms:Decrypt`` on the log
    key (its ``AllowLogReadersDecrypt`` statement plus an IAM grant); this construct grants nothing.
    """

    def __init__(self, scope: Construct, construct_id: str, props: AthenaArchiveProps) -> None:
        super().__init__(scope, construct_id)
        _validate(props)
        stack = Stack.of(self)
        regions = sorted(props.regions) if props.regions is not None else _stack_partition_regions(stack)
        self.location = accounts_location(props.log_bucket_name, props.log_prefix, props.organization_id)
        # Partition projection's template: CloudTrail's log folder with the account and region projected.
        self.location_template = (
            f"s3://{props.log_bucket_name}/"
            f"{layout.log_folder(props.log_prefix, '${account}', '${region}', props.organization_id)}${{day}}"
        )

        self.results_bucket = hardened_bucket(
            self,
            "ResultsBucket",
            bucket_name=props.results_bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=props.encryption_key,
            bucket_key_enabled=True,
            server_access_logs_bucket=props.access_log_bucket,
            server_access_logs_prefix=(
                f"s3-access/{props.results_bucket_name}/" if props.access_log_bucket is not None else None
            ),
            lifecycle_rules=[expiring_objects_rule("ExpireQueryResults", props.results_expiration_days)],
        )
        acknowledge(
            self.results_bucket,
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "Athena query results are transient copies, expired after "
            f"{props.results_expiration_days} days and reproducible by rerunning the query over the archive; "
            "the archive itself is the record worth replicating.",
        )
        if props.access_log_bucket is None:
            for rule_id in ("AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled"):
                acknowledge(
                    self.results_bucket,
                    rule_id,
                    "No access-log bucket was passed for the Athena results bucket. Its objects are short-lived "
                    "copies of query output over logs already in the archive, and the Athena calls that create and "
                    "fetch them (StartQueryExecution, GetQueryResults) are management events the trail records; "
                    "direct S3 reads of the results are not logged in this configuration.",
                )

        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=props.database_name,
                description="CloudTrail logs of the ebtrail archive, for Athena",
            ),
        )
        self.table = projected_table(
            self,
            "Table",
            ProjectedTableProps(
                name=props.table_name,
                description="CloudTrail log files, read in place; account, region and day are projected",
                database_name=self.database.ref,
                columns=CLOUDTRAIL_COLUMNS,
                location=self.location,
                location_template=self.location_template,
                accounts=props.accounts,
                regions=regions,
                first_day=f"{props.projection_start:%Y/%m/%d}",
                file_format=CLOUDTRAIL_FILES,
            ),
        )

        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=props.workgroup_name,
            description="Queries over the ebtrail CloudTrail archive; results encrypted, configuration enforced",
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ENGINE_VERSION),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{props.results_bucket_name}/results/",
                    expected_bucket_owner=stack.account,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS",
                        kms_key=props.encryption_key.key_arn,
                    ),
                ),
            ),
        )
        self.workgroup.node.add_dependency(self.results_bucket)

        self.queries: dict[str, athena.CfnNamedQuery] = {}
        for query in ALL_QUERIES:
            named = athena.CfnNamedQuery(
                self,
                f"Query-{query.name}",
                name=query.name,
                description=query.description,
                database=self.database.ref,
                work_group=self.workgroup.ref,
                query_string=render(query, props.table_name),
            )
            named.node.add_dependency(self.table)
            self.queries[query.name] = named


def _stack_partition_regions(stack: Stack) -> list[str]:
    if Token.is_unresolved(stack.region):
        raise ValueError(
            "AthenaArchiveProps.regions is required in an environment-agnostic stack: the partition, and so the "
            "regions to project, follow from the stack's region"
        )
    return list(cloudtrail_regions(partition_of(stack.region)))


def accounts_location(bucket_name: str, log_prefix: str, organization_id: str | None) -> str:
    """``s3://<bucket>/<prefix>AWSLogs/[<org-id>/]``: the folder that holds one folder per account."""
    return f"s3://{bucket_name}/{layout.accounts_folder(log_prefix, organization_id)}"


def _validate(props: AthenaArchiveProps) -> None:
    if not props.accounts:
        raise ValueError("AthenaArchiveProps.accounts must name at least one account")
    bad_accounts = [a for a in props.accounts if not _ACCOUNT.match(a)]
    if bad_accounts:
        raise ValueError(f"AthenaArchiveProps.accounts must be 12-digit account IDs: {bad_accounts}")
    if props.log_prefix and not props.log_prefix.endswith("/"):
        raise ValueError(f"AthenaArchiveProps.log_prefix must be '' or end with '/': {props.log_prefix!r}")
    if props.log_prefix.startswith("/"):
        raise ValueError(f"AthenaArchiveProps.log_prefix must not start with '/': {props.log_prefix!r}")
    if props.organization_id is not None and not _ORG_ID.match(props.organization_id):
        raise ValueError(f"AthenaArchiveProps.organization_id must look like o-xxxxxxxxxx: {props.organization_id!r}")
    if props.regions is not None and not props.regions:
        raise ValueError("AthenaArchiveProps.regions, when given, must name at least one region")
    if props.results_expiration_days < 1:
        raise ValueError("AthenaArchiveProps.results_expiration_days must be at least 1")
