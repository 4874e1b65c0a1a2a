"""Athena over a bucket ebtrail does not own (an adopted trail's): the Glue table with partition projection over
the trail's existing layout, the workgroup, its results bucket and key, and the saved queries."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from ebtrail.constructs.access_log_bucket import AccessLogBucket, AccessLogBucketProps
from ebtrail.constructs.log_archive import AthenaOptions, athena_with_results_key
from ebtrail.core.lifecycle import DEFAULTS as LIFECYCLE
from ebtrail.core.names import ArchiveNames, ExistingTrail


@dataclass(frozen=True)
class ExistingArchiveAthenaProps:
    """The adopted trail, the names of ebtrail's own Athena resources (in the bucket's account and region) and
    the projection."""

    trail: ExistingTrail
    names: ArchiveNames
    athena: AthenaOptions
    #: Days the results bucket's access logs are kept.
    access_log_retention_days: int = LIFECYCLE.access_log_retention_days


class ExistingArchiveAthena(Construct):
    """The same :class:`~ebtrail.constructs.athena_archive.AthenaArchive` as ebtrail's own archive has, on the
    adopted bucket: its ``LOCATION`` and projection template follow the trail's prefix and organization
    (``<prefix>/AWSLogs/<o-id>/<account>/CloudTrail/<region>/<yyyy/MM/dd>``). What ebtrail creates here is its own
    (results bucket, its access-log bucket, the results key), retained on stack deletion; the log bucket is read
    in place, never written."""

    def __init__(self, scope: Construct, construct_id: str, props: ExistingArchiveAthenaProps) -> None:
        super().__init__(scope, construct_id)
        names = props.names
        # The results bucket's server access logs (AWS Foundational Security Best Practices S3.9).
        self.access_logs = AccessLogBucket(
            self,
            "AccessLogBucket",
            AccessLogBucketProps(bucket_name=names.access_log_bucket, retention_days=props.access_log_retention_days),
        )
        self.query_results_key, self.athena = athena_with_results_key(
            self,
            names,
            props.athena,
            log_bucket_name=props.trail.bucket,
            log_prefix=props.trail.log_prefix,
            access_log_bucket=self.access_logs.bucket,
            key_description="Encrypts Athena query results over the adopted trail's bucket",
        )
