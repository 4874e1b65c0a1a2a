"""A deployment config in plain values: the archive's names, the trails that write to it, the key prefix.

The one place where :class:`~deployment.config.DeploymentConfig` turns into the values (:mod:`ebtrail.core.names`)
the constructs take; the stacks call these functions and hand plain values to the constructs.
"""

from __future__ import annotations

from deployment.config import DeploymentConfig
from ebtrail.constructs.audit_trail import storage_bucket_arn_prefix
from ebtrail.constructs.log_archive import AthenaOptions, LifecycleRules, LogArchiveProps, Retention, StorageTransition
from ebtrail.constructs.proof_layer import CanaryOptions, DataEventsTrailOptions, TrailProofLayerProps
from ebtrail.constructs.trail import AlertOptions, BeanstalkTrailProps, VerifierOptions
from ebtrail.core.cloudtrail_layout import key_prefix
from ebtrail.core.names import ArchiveNames, ExistingTrail, TrailTarget


def archive_names(config: DeploymentConfig) -> ArchiveNames:
    return ArchiveNames(
        prefix=config.name_prefix,
        account=config.archive.account,
        region=config.archive.region,
        partition=config.partition,
    )


def trail_targets(config: DeploymentConfig) -> list[TrailTarget]:
    """Every trail that writes to the archive, in config order (each topology's type says which)."""
    return config.trail_targets()


def log_prefix(config: DeploymentConfig) -> str:
    """The key prefix in front of ``AWSLogs/``: ``""`` or ``"<prefix>/"`` (the config is an edge: it converts)."""
    return key_prefix(config.archive.key_prefix)


def logging_accounts(config: DeploymentConfig) -> list[str]:
    """Accounts whose log files land in the archive (for an organization: the management account and the
    listed members; other members' files are there too, but Athena's projection needs their IDs)."""
    return config.logging_accounts()


def organization_projected_accounts(config: DeploymentConfig) -> tuple[str, ...]:
    """For an organization trail with Athena, the accounts the table projects, which the canary compares with the
    organization's accounts (issue 17 item 11: an account created later had logs in the archive and none in any
    query); () otherwise (the other topologies project every account that writes)."""
    if config.organization_id is None or not config.athena.enabled:
        return ()
    return tuple(logging_accounts(config))


def archive_props(config: DeploymentConfig) -> LogArchiveProps:
    """The log archive of ``config``, in plain values."""
    names = archive_names(config)
    archive = config.archive
    lifecycle = archive.lifecycle
    return LogArchiveProps(
        names=names,
        writers=trail_targets(config),
        log_prefix=log_prefix(config),
        previous_log_prefixes=tuple(key_prefix(p) for p in config.archive.previous_key_prefixes),
        lifecycle=LifecycleRules(
            transitions=tuple(StorageTransition(t.storage_class, t.days) for t in lifecycle.transitions),
            expiration_days=lifecycle.expiration_days,
            noncurrent_version_expiration_days=lifecycle.noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=lifecycle.abort_incomplete_multipart_upload_days,
        ),
        object_lock=Retention(archive.object_lock.mode, archive.object_lock.days) if archive.object_lock else None,
        access_log_retention_days=archive.access_logs.retention_days,
        reader_principals=tuple(archive.log_readers),
        # Verifier roles in other accounts need the archive's bucket and key policies to name them.
        remote_verifiers=tuple(
            writer
            for writer in trail_targets(config)
            if config.verifier.enabled and config.verifier.assumed_by and writer.account != names.account
        ),
        # So do the delivery canaries of trail accounts other than the archive's.
        remote_canaries=tuple(
            writer for writer in trail_targets(config) if config.canary.enabled and writer.account != names.account
        ),
        athena=AthenaOptions(
            accounts=tuple(logging_accounts(config)),
            projection_start=config.athena.projection_start,
            organization_id=config.organization_id,
            results_expiration_days=config.athena.results_expiration_days,
        )
        if config.athena.enabled
        else None,
        # The app reports oversized policies itself, as config errors naming the way out (stacks/app_builder.py).
        check_policy_sizes=False,
    )


def trail_props(config: DeploymentConfig, target: TrailTarget) -> BeanstalkTrailProps:
    """The trail of ``config`` for ``target``, in plain values."""
    names = archive_names(config)
    return BeanstalkTrailProps(
        target=target,
        bucket_name=names.log_bucket,
        kms_key_id=names.log_key_alias_arn,
        log_prefix=log_prefix(config),
        management_events=config.trail.management_events,
        notification_emails=tuple(config.trail.notification_emails),
        alerts=AlertOptions(actions=tuple(config.alerts.actions), emails=tuple(config.alerts.emails))
        if config.alerts.enabled
        else None,
        verifier=VerifierOptions.for_archive(names, assumed_by=config.verifier.assumed_by)
        if config.verifier.enabled
        else None,
        data_event_arn_prefixes=(storage_bucket_arn_prefix(target.partition),)
        if config.trail.beanstalk_data_events != "off"
        else (),
        data_events_read_write="All" if config.trail.beanstalk_data_events == "All" else "WriteOnly",
        insights=config.trail.insights,
    )


def beanstalk_events_prefixes(config: DeploymentConfig, target: TrailTarget) -> tuple[str, str]:
    """Where ``target``'s Firehose writes Beanstalk service events, and the records it could not process:
    ``[prefix/]beanstalk-events/<account>/<region>/`` and ``[prefix/]beanstalk-events-errors/<account>/<region>/``."""
    tail = f"{target.account}/{target.home_region}/"
    return f"{log_prefix(config)}beanstalk-events/{tail}", f"{log_prefix(config)}beanstalk-events-errors/{tail}"


def proof_layer_props(config: DeploymentConfig, existing: ExistingTrail) -> TrailProofLayerProps:
    """The proof layer on the adopted trail ``existing`` of ``config``, in plain values."""
    data_events = config.trail.beanstalk_data_events
    return TrailProofLayerProps(
        trail=existing,
        name_prefix=config.name_prefix,
        alerts=AlertOptions(actions=tuple(config.alerts.actions), emails=tuple(config.alerts.emails))
        if config.alerts.enabled
        else None,
        canary=CanaryOptions(config.canary.rate_minutes, config.canary.max_delivery_minutes)
        if config.canary.enabled
        else None,
        verifier=config.verifier.enabled,
        verifier_assumed_by=config.verifier.assumed_by,
        data_events=DataEventsTrailOptions(read_write=data_events) if data_events != "off" else None,
    )


def adopted_athena_props(config: DeploymentConfig, existing: ExistingTrail) -> AthenaOptions | None:
    """Athena over the adopted trail's bucket (in the bucket's account and region), or None when off."""
    if not config.athena.enabled:
        return None
    return AthenaOptions(
        accounts=tuple(logging_accounts(config)),
        projection_start=config.athena.projection_start,
        organization_id=existing.target.organization_id,
        results_expiration_days=config.athena.results_expiration_days,
    )
