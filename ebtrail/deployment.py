"""A deployment config in plain values: the archive's names, the trails that write to it, the key prefix.

The one place where :class:`~ebtrail.config.DeploymentConfig` turns into the values (:mod:`ebtrail.core.names`)
the constructs take; the stacks call these functions and hand plain values to the constructs.
"""

from __future__ import annotations

from ebtrail.config import DeploymentConfig
from ebtrail.core.names import ArchiveNames, TrailTarget


def archive_names(config: DeploymentConfig) -> ArchiveNames:
    return ArchiveNames(
        prefix=config.name_prefix,
        account=config.archive.account,
        region=config.archive.region,
        partition=config.partition,
    )


def trail_targets(config: DeploymentConfig) -> list[TrailTarget]:
    """Every trail that writes to the archive, in config order (validation guarantees the fields)."""
    name, partition = config.trail.name, config.partition
    if config.topology == "organization":
        organization = config.organization
        assert organization is not None
        return [
            TrailTarget(
                account=organization.management_account,
                home_region=organization.home_region,
                name=name,
                partition=partition,
                organization_id=organization.id,
            )
        ]
    if config.topology == "accounts":
        members = config.trail.members
        return [TrailTarget(m.account, _required(m.home_region), name, partition) for m in members]
    return [TrailTarget(_required(config.trail.account), _required(config.trail.home_region), name, partition)]


def _required(value: str | None) -> str:
    assert value is not None, "validation guarantees this field for the topology"
    return value


def log_prefix(config: DeploymentConfig) -> str:
    """The key prefix in front of ``AWSLogs/``: ``""`` or ``"<prefix>/"``."""
    return f"{config.archive.key_prefix}/" if config.archive.key_prefix else ""


def logging_accounts(config: DeploymentConfig) -> list[str]:
    """Accounts whose log files land in the archive (for an organization: the management account and the
    listed members; other members' files are there too, but Athena's projection needs their IDs)."""
    if config.topology == "organization":
        assert config.organization is not None
        accounts = [config.organization.management_account, *(m.account for m in config.trail.members)]
    else:
        accounts = [target.account for target in trail_targets(config)]
    return sorted(set(accounts))


def beanstalk_events_prefixes(config: DeploymentConfig, target: TrailTarget) -> tuple[str, str]:
    """Where ``target``'s Firehose writes Beanstalk service events, and the records it could not process:
    ``[prefix/]beanstalk-events/<account>/<region>/`` and ``[prefix/]beanstalk-events-errors/<account>/<region>/``."""
    tail = f"{target.account}/{target.home_region}/"
    return f"{log_prefix(config)}beanstalk-events/{tail}", f"{log_prefix(config)}beanstalk-events-errors/{tail}"
