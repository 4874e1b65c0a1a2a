"""A Glue table over log files in S3 whose account, region and day partitions are projected, never stored.

Both tables of the archive (CloudTrail's log files and the Elastic Beanstalk service events) are laid out by
account, region and delivery day, so both use the same partition projection ("Use partition projection with
Amazon Athena", https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html, and "Supported types for
partition projection", .../partition-projection-supported-types.html: ``enum`` for account and region, ``date``
for the day with ``yyyy/MM/dd``, ``NOW`` as the upper end and a 1-day interval, and
``storage.location.template`` mapping the three to a folder). Only the columns and
how the files are read differ, which :class:`FileFormat` carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from constructs import Construct

#: The account, region and delivery-day partitions, all projected (never stored in the Data Catalog).
#: ``day`` rather than ``date``: ``date`` is a reserved word in Athena DDL (Athena User Guide, "How to
#: choose partition keys").
PROJECTED_PARTITION_KEYS: tuple[tuple[str, str], ...] = (
    ("account", "string"),
    ("region", "string"),
    ("day", "string"),
)


@dataclass(frozen=True)
class FileFormat:
    """How Athena reads the files: the Glue ``classification``, the SerDe (and its parameters), the input and
    output formats."""

    classification: str
    serde: str
    input_format: str
    output_format: str
    serde_parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectedTableProps:
    """A table ``name`` in ``database_name`` over ``location``; ``location_template`` places the partitions
    (``${account}``, ``${region}``, ``${day}``) in the key; ``first_day`` (``yyyy/MM/dd``) starts the day
    projection; ``accounts`` and ``regions`` are the enum values."""

    name: str
    description: str
    database_name: str
    columns: Sequence[tuple[str, str]]
    location: str
    location_template: str
    accounts: Sequence[str]
    regions: Sequence[str]
    first_day: str
    file_format: FileFormat


def partition_projection(props: ProjectedTableProps) -> dict[str, str]:
    """The table parameters that turn on partition projection for the account, region and day partitions."""
    return {
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": ",".join(props.accounts),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(props.regions),
        "projection.day.type": "date",
        "projection.day.format": "yyyy/MM/dd",
        "projection.day.range": f"{props.first_day},NOW",
        "projection.day.interval": "1",
        "projection.day.interval.unit": "DAYS",
        "storage.location.template": props.location_template,
    }


def projected_table(scope: Construct, construct_id: str, props: ProjectedTableProps) -> glue.CfnTable:
    """An external Glue table in the stack's own Data Catalog, read in place with partition projection."""
    file_format = props.file_format
    return glue.CfnTable(
        scope,
        construct_id,
        catalog_id=Stack.of(scope).account,
        database_name=props.database_name,
        table_input=glue.CfnTable.TableInputProperty(
            name=props.name,
            description=props.description,
            table_type="EXTERNAL_TABLE",
            parameters={
                "EXTERNAL": "TRUE",
                "classification": file_format.classification,
                **partition_projection(props),
            },
            partition_keys=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in PROJECTED_PARTITION_KEYS],
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in props.columns],
                location=props.location,
                input_format=file_format.input_format,
                output_format=file_format.output_format,
                serde_info=glue.CfnTable.SerdeInfoProperty(
                    serialization_library=file_format.serde,
                    parameters=dict(file_format.serde_parameters) or None,
                ),
            ),
        ),
    )
