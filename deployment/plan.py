"""A deployment config in plain values: :func:`plan` returns the whole deployment as a :class:`DeploymentPlan`.

The one place where :class:`~deployment.config.DeploymentConfig` turns into the props the constructs take and the
names (:mod:`ebtrail.core.names`) they are deployed under. The stacks (``stacks/``) and ``app_builder`` take the
plan and never see the config: ``app.py`` loads the file, calls :func:`plan` once and passes the plan down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from deployment.config import ConfigError, DeploymentConfig, Problem
from ebtrail.constructs.audit_trail import storage_bucket_arn_prefix
from ebtrail.constructs.beanstalk_events_access import BeanstalkEventsWriter
from ebtrail.constructs.existing_archive_athena import ExistingArchiveAthenaProps
from ebtrail.constructs.log_archive import AthenaOptions, LifecycleRules, LogArchiveProps, Retention, StorageTransition
from ebtrail.constructs.organization_guardrails import OrganizationGuardrailsProps
from ebtrail.constructs.proof_layer import DataEventsTrailOptions, TrailProofLayerProps
from ebtrail.constructs.trail import AlertOptions, BeanstalkTrailProps, VerifierOptions
from ebtrail.constructs.trail_features import BeanstalkEventsOptions, CanaryOptions, CloudWatchLogsOptions
from ebtrail.core.cloudtrail_layout import key_prefix
from ebtrail.core.names import ADOPTED_TRAIL_METADATA, ArchiveNames, ExistingTrail, SweepNames, TrailTarget
from ebtrail.core.regions import organizations_region

#: The config field that makes the archive's bucket and key policies grow, and what the constructs' size
#: validation says to do about it (``LogArchiveProps.policy_size_message``; the app reports it on this field).
ARCHIVE_POLICY_FIELD = "trail.members"
ARCHIVE_POLICY_SIZE_MESSAGE = (
    "AWS would refuse it during the deploy. Use the organization topology (one statement for every account of the "
    f"organization) or split {ARCHIVE_POLICY_FIELD} across several archives (archive.log_readers and the verifier "
    "and canary roles of other accounts add statements too)"
)
#: The same for the guardrails' service control policy (``OrganizationGuardrailsProps.policy_size_message``).
GUARDRAILS_POLICY_FIELD = "organization.guardrails.exempt_roles"
GUARDRAILS_POLICY_SIZE_MESSAGE = (
    f"AWS Organizations would refuse it during the deploy; shorten {GUARDRAILS_POLICY_FIELD} (fewer patterns, or "
    "one wildcard pattern such as arn:aws:iam::*:role/cdk-*-cfn-exec-role-* that covers several)"
)


@dataclass(frozen=True)
class StackPlace:
    """Where a stack goes: its construct ID in the app, its CloudFormation name, its account and region."""

    construct_id: str
    stack_name: str
    account: str
    region: str


@dataclass(frozen=True)
class BeanstalkEventsTablePlan:
    """The Athena table over the Beanstalk service events in the archive (with Athena on)."""

    location: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    #: ``yyyy/MM/dd`` of the projection's first day.
    projection_start: str


@dataclass(frozen=True)
class BeanstalkEventsArchivePlan:
    """The archive's side of the Beanstalk service events: who may write where, and the table."""

    writers: tuple[BeanstalkEventsWriter, ...]
    table: BeanstalkEventsTablePlan | None


@dataclass(frozen=True)
class IntegritySweepPlan:
    """The integrity sweep in the archive account (its props but the constructs the archive stack holds)."""

    names: SweepNames
    archive_bucket_name: str
    log_prefix: str
    max_concurrency: int
    digests_per_batch: int
    alarm_emails: tuple[str, ...]


@dataclass(frozen=True)
class ArchivePlan:
    """ebtrail's own log archive and what it builds beside it."""

    place: StackPlace
    props: LogArchiveProps
    beanstalk_events: BeanstalkEventsArchivePlan | None
    integrity_sweep: IntegritySweepPlan | None


@dataclass(frozen=True)
class TrailPlan:
    """One trail stack: the trail and every feature of it (:class:`BeanstalkTrailProps`)."""

    place: StackPlace
    props: BeanstalkTrailProps

    @property
    def target(self) -> TrailTarget:
        return self.props.target


@dataclass(frozen=True)
class GuardrailsPlan:
    """The organization's service control policy, in the management (or delegated) account and the
    Organizations endpoint's region."""

    place: StackPlace
    props: OrganizationGuardrailsProps


@dataclass(frozen=True)
class ProofPlan:
    """One stack of the proof layer on an adopted trail."""

    place: StackPlace
    props: TrailProofLayerProps
    #: Template metadata (:data:`~ebtrail.core.names.ADOPTED_TRAIL_METADATA`), None for the alarms-only stack.
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class AdoptionPlan:
    """A trail ebtrail does not own: Athena in the bucket's account, the proof layer in the proof account, and the
    CIS alarms in the trail's account when that is another one."""

    existing: ExistingTrail
    archive: StackPlace
    athena: ExistingArchiveAthenaProps | None
    proof: ProofPlan
    alarms: ProofPlan | None


@dataclass(frozen=True)
class DeploymentPlan:
    """The whole deployment in plain values: what ``app_builder`` builds, stack by stack."""

    names: ArchiveNames
    #: ebtrail's archive (None for an adopted trail: :attr:`adoption`).
    archive: ArchivePlan | None
    trails: tuple[TrailPlan, ...]
    guardrails: GuardrailsPlan | None
    adoption: AdoptionPlan | None
    #: Tags on every resource, sorted by key.
    tags: tuple[tuple[str, str], ...]
    #: How a refused plan is named in an error: ``"<topology> topology with <n> trail(s)"``.
    source: str

    def error(self, problems: Sequence[tuple[str, str]]) -> ConfigError:
        """The error that refuses this deployment (``app.py`` exits 2 with it), one problem per (path, message)."""
        return ConfigError(self.source, [Problem(path, message) for path, message in problems])


def plan(config: DeploymentConfig) -> DeploymentPlan:
    """The deployment of ``config``, every stack's props in plain values."""
    existing = config.existing_trail
    trails = () if existing is not None else tuple(trail_plan(config, t) for t in trail_targets(config))
    return DeploymentPlan(
        names=archive_names(config),
        archive=None if existing is not None else archive_plan(config),
        trails=trails,
        guardrails=None if existing is not None else guardrails_plan(config),
        adoption=None if existing is None else adoption_plan(config, existing),
        tags=tuple(sorted(config.tags.items())),
        source=f"{config.topology} topology with {len(trail_targets(config))} trail(s)",
    )


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
        writers=tuple(trail_targets(config)),
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
        policy_size_message=ARCHIVE_POLICY_SIZE_MESSAGE,
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
        archive=names,
        cloudwatch_logs=CloudWatchLogsOptions(retention_days=config.cloudwatch_logs.retention_days)
        if config.cloudwatch_logs.enabled
        else None,
        beanstalk_events=BeanstalkEventsOptions(
            detail_types=config.beanstalk_events.detail_types, buffer_seconds=config.beanstalk_events.buffer_seconds
        )
        if config.beanstalk_events.enabled
        else None,
        canary=canary_options(config, projected=True),
    )


def canary_options(config: DeploymentConfig, *, projected: bool) -> CanaryOptions | None:
    """The delivery canary of ``config`` (None when off); ``projected``: it also checks the organization's
    accounts against Athena's projection (ebtrail's own archive only)."""
    if not config.canary.enabled:
        return None
    return CanaryOptions(
        rate_minutes=config.canary.rate_minutes,
        max_delivery_minutes=config.canary.max_delivery_minutes,
        projected_accounts=organization_projected_accounts(config) if projected else (),
    )


def proof_layer_props(config: DeploymentConfig, existing: ExistingTrail) -> TrailProofLayerProps:
    """The proof layer on the adopted trail ``existing`` of ``config``, in plain values."""
    data_events = config.trail.beanstalk_data_events
    return TrailProofLayerProps(
        trail=existing,
        name_prefix=config.name_prefix,
        alerts=AlertOptions(actions=tuple(config.alerts.actions), emails=tuple(config.alerts.emails))
        if config.alerts.enabled
        else None,
        canary=canary_options(config, projected=False),
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


def trail_plan(config: DeploymentConfig, target: TrailTarget) -> TrailPlan:
    """The trail stack of ``target``: in the trail's account and home region."""
    place = StackPlace(
        f"Trail-{target.account}", target.stack_name(config.name_prefix), target.account, target.home_region
    )
    return TrailPlan(place, trail_props(config, target))


def archive_plan(config: DeploymentConfig) -> ArchivePlan:
    """ebtrail's log archive with its Beanstalk service events access and table, and the integrity sweep."""
    names = archive_names(config)
    place = StackPlace("LogArchive", names.archive_stack_name, names.account, names.region)
    sweep = config.integrity_sweep
    return ArchivePlan(
        place=place,
        props=archive_props(config),
        beanstalk_events=beanstalk_events_archive(config) if config.beanstalk_events.enabled else None,
        integrity_sweep=IntegritySweepPlan(
            names=names.integrity_sweep,
            archive_bucket_name=names.log_bucket,
            log_prefix=log_prefix(config),
            max_concurrency=sweep.max_concurrency,
            digests_per_batch=sweep.digests_per_batch,
            alarm_emails=tuple(config.alerts.emails),
        )
        if sweep.enabled
        else None,
    )


def beanstalk_events_archive(config: DeploymentConfig) -> BeanstalkEventsArchivePlan:
    """Every trail account's Firehose role and prefixes, and the Athena table when Athena is on."""
    names, writers, prefix = archive_names(config), trail_targets(config), log_prefix(config)
    table = BeanstalkEventsTablePlan(
        location=f"s3://{names.log_bucket}/{prefix}beanstalk-events/",
        accounts=tuple(sorted({writer.account for writer in writers})),
        regions=tuple(sorted({writer.home_region for writer in writers})),
        projection_start=_projection_day(config.athena.projection_start),
    )
    return BeanstalkEventsArchivePlan(
        writers=tuple(
            BeanstalkEventsWriter(
                writer.account,
                writer.beanstalk_events_role_arn(names.prefix),
                *writer.beanstalk_events_prefixes(prefix),
            )
            for writer in writers
        ),
        table=table if config.athena.enabled else None,
    )


def _projection_day(start: date) -> str:
    return f"{start:%Y/%m/%d}"


def organizations_stack_region(partition: str, home_region: str) -> str:
    """Region of the AWS Organizations endpoint of the partition: "specify the us-east-1 Region for all AWS API
    and CLI calls made from the commercial AWS Regions outside of China", cn-northwest-1 in China (AWS
    Organizations API Reference, "Endpoint to call"), read from botocore's endpoint data
    (:func:`ebtrail.core.regions.organizations_region`). Where botocore lists no Organizations endpoint, the
    trail's home region: a wrong region fails the deploy loudly, it cannot deploy a policy that is not there."""
    return organizations_region(partition) or home_region


def guardrails_plan(config: DeploymentConfig) -> GuardrailsPlan | None:
    """The service control policy of ``organization.guardrails`` (None when not configured): in the management
    account of the organization trail, or ``guardrails.deployment_account`` (a delegated administrator)."""
    guardrails = config.guardrails
    if guardrails is None:
        return None
    [trail] = trail_targets(config)
    names = archive_names(config)
    place = StackPlace(
        "Guardrails",
        f"{names.prefix}-guardrails",
        guardrails.deployment_account or trail.account,
        organizations_stack_region(config.partition, trail.home_region),
    )
    props = OrganizationGuardrailsProps(
        policy_name=f"{names.prefix}-protect-audit-trail",
        trail_arn=trail.arn,
        log_bucket_arn=names.log_bucket_arn,
        log_key_arns=names.log_key_arns,
        log_key_alias=names.log_key_alias,
        log_key_alias_arn=names.log_key_alias_arn,
        exempt_principal_arns=guardrails.exempt_roles,
        target_ids=guardrails.targets,
        policy_size_message=GUARDRAILS_POLICY_SIZE_MESSAGE,
    )
    return GuardrailsPlan(place, props)


def adoption_plan(config: DeploymentConfig, existing: ExistingTrail) -> AdoptionPlan:
    """The stacks on the adopted trail ``existing``: Athena in the bucket's account and region, the proof layer in
    the proof account, and, when the proof account is not the trail's, the CIS alarms where the log group is."""
    names, target = archive_names(config), existing.target
    proof_account = existing.proof_target.account
    athena = adopted_athena_props(config, existing)
    props = proof_layer_props(config, existing)
    proof = ProofPlan(
        StackPlace(
            f"Proof-{proof_account}", f"{names.prefix}-proof-{proof_account}", proof_account, target.home_region
        ),
        props,
        metadata={
            ADOPTED_TRAIL_METADATA: {
                "Trail": target.arn,
                "Bucket": existing.bucket,
                "ReadersPrefix": config.name_prefix,
                "ReadersAccount": proof_account,
            }
        },
    )
    alarms = None
    if existing.log_group_name and proof_account != target.account:
        # The CIS metric filters must be in the log group's account, the trail's.
        alarms_props = replace(
            props, trail=replace(existing, proof_account=None), canary=None, verifier=False, data_events=None
        )
        place = StackPlace(
            f"Alarms-{target.account}", f"{names.prefix}-alarms-{target.account}", target.account, target.home_region
        )
        alarms = ProofPlan(place, alarms_props)
    return AdoptionPlan(
        existing=existing,
        archive=StackPlace("LogArchive", names.archive_stack_name, existing.bucket_account, existing.bucket_region),
        athena=ExistingArchiveAthenaProps(trail=existing, names=names, athena=athena) if athena else None,
        proof=proof,
        alarms=alarms,
    )
