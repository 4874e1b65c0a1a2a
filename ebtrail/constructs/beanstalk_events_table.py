"""Athena over the archived Elastic Beanstalk service events, and the timeline of one environment."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from constructs import Construct

from ebtrail.constructs.athena_queries import SavedQuery
from ebtrail.constructs.projected_table import (
    PROJECTED_PARTITION_KEYS,
    FileFormat,
    ProjectedTableProps,
    projected_table,
)

#: Fields of an Elastic Beanstalk service event ("Using Elastic Beanstalk with Amazon EventBridge", Elastic
#: Beanstalk Developer Guide: the example events and the field mapping table). ``account`` and ``region`` of
#: the event are the partitions (each account's stream writes only its own account's events of its region).
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("version", "string"),
    ("id", "string"),
    ("detail_type", "string"),
    ("source", "string"),
    ("time", "string"),
    ("resources", "array<string>"),
    (
        "detail",
        "struct<status:string,eventdate:bigint,applicationname:string,message:string,"
        "environmentname:string,severity:string>",
    ),
)
EVENT_PARTITION_KEYS = PROJECTED_PARTITION_KEYS
#: The OpenX JSON SerDe maps the ``detail-type`` key to a column named ``detail_type`` ("OpenX JSON SerDe",
#: Athena User Guide: ``mapping.`` properties); it matches keys case-insensitively (the event's ``Status``
#: reaches ``detail.status``).
EVENTS_SERDE = "org.openx.data.jsonserde.JsonSerDe"
EVENTS_SERDE_PARAMETERS = {"mapping.detail_type": "detail-type", "case.insensitive": "TRUE"}
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
EVENT_FILES = FileFormat(
    classification="json",
    serde=EVENTS_SERDE,
    input_format=TEXT_INPUT_FORMAT,
    output_format=TEXT_OUTPUT_FORMAT,
    serde_parameters=EVENTS_SERDE_PARAMETERS,
)


#: The timeline of one environment: Elastic Beanstalk API calls that name it, calls that Elastic Beanstalk made
#: on the user's behalf for it (``userIdentity.invokedBy = elasticbeanstalk.amazonaws.com``; these name the
#: environment ID, in resource names such as ``awseb-e-abcd1234ef-stack``), and its service events, as one list
#: ordered by time. Replace ``'my-environment'`` and ``'e-abcd1234ef'`` (the environment's ID).
ENVIRONMENT_TIMELINE = SavedQuery(
    name="beanstalk-environment-timeline",
    description="Timeline of one Elastic Beanstalk environment over 7 days: API calls (also those Elastic Beanstalk "
    "made for it) and service events, in order (edit the name and ID)",
    sql="""\
SELECT at, kind, what, who, invoked_by, outcome, account, region
FROM (
  SELECT
    from_iso8601_timestamp(eventtime) AS at,
    'api call' AS kind,
    eventsource || ' ' || eventname AS what,
    useridentity.arn AS who,
    useridentity.invokedby AS invoked_by,
    coalesce(errorcode, 'succeeded') AS outcome,
    recipientaccountid AS account,
    awsregion AS region
  FROM {table}
  WHERE day >= date_format(current_timestamp - INTERVAL '7' DAY, '%Y/%m/%d')
    AND (
      (
        eventsource = 'elasticbeanstalk.amazonaws.com'
        AND (
          json_extract_scalar(requestparameters, '$.environmentName') = 'my-environment'
          OR json_extract_scalar(requestparameters, '$.environmentId') = 'e-abcd1234ef'
        )
      )
      OR (
        useridentity.invokedby = 'elasticbeanstalk.amazonaws.com'
        AND strpos(coalesce(requestparameters, ''), 'e-abcd1234ef') > 0
      )
    )
  UNION ALL
  SELECT
    from_iso8601_timestamp(time) AS at,
    'service event' AS kind,
    detail_type || ': ' || detail.status AS what,
    NULL AS who,
    NULL AS invoked_by,
    detail.severity || ' ' || detail.message AS outcome,
    account,
    region
  FROM {events_table}
  WHERE day >= date_format(current_timestamp - INTERVAL '7' DAY, '%Y/%m/%d')
    AND detail.environmentname = 'my-environment'
)
ORDER BY at, kind
""",
    placeholders=("'my-environment'", "'e-abcd1234ef'"),
)


def render_timeline(cloudtrail_table: str, events_table: str) -> str:
    return ENVIRONMENT_TIMELINE.sql.replace("{table}", cloudtrail_table).replace("{events_table}", events_table)


@dataclass(frozen=True)
class BeanstalkEventsTableProps:
    database: glue.CfnDatabase
    workgroup: athena.CfnWorkGroup
    table_name: str
    cloudtrail_table: glue.CfnTable
    cloudtrail_table_name: str
    #: ``s3://<bucket>/<prefix>beanstalk-events/``: one folder per account, then region, then ``yyyy/MM/dd``.
    location: str
    accounts: list[str]
    regions: list[str]
    #: First day of the ``day`` projection, ``yyyy/MM/dd``.
    projection_start: str


class BeanstalkEventsTable(Construct):
    """A Glue table over ``beanstalk-events/`` (one JSON event per line, GZIP) and the saved timeline query.

    Partition projection like the CloudTrail table's: ``account`` and ``region`` enums and the Firehose arrival
    ``day`` (``yyyy/MM/dd``, UTC), computed from ``storage.location.template``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: BeanstalkEventsTableProps) -> None:
        super().__init__(scope, construct_id)
        self.table = projected_table(
            self,
            "Table",
            ProjectedTableProps(
                name=props.table_name,
                description="Elastic Beanstalk service events delivered by Firehose; account, region and day projected",
                database_name=props.database.ref,
                columns=EVENT_COLUMNS,
                location=props.location,
                location_template=f"{props.location}${{account}}/${{region}}/${{day}}",
                accounts=props.accounts,
                regions=props.regions,
                first_day=props.projection_start,
                file_format=EVENT_FILES,
            ),
        )
        self.timeline = athena.CfnNamedQuery(
            self,
            "Timeline",
            name=ENVIRONMENT_TIMELINE.name,
            description=ENVIRONMENT_TIMELINE.description,
            database=props.database.ref,
            work_group=props.workgroup.ref,
            query_string=render_timeline(props.cloudtrail_table_name, props.table_name),
        )
        self.timeline.node.add_dependency(self.table)
        self.timeline.node.add_dependency(props.cloudtrail_table)
