"""The deployment configuration: the TOML file under ``config/`` that says where the archive and trails go.

* :mod:`~ebtrail.config.formats`: field formats (account IDs, regions, names) and S3's lifecycle facts.
* :mod:`~ebtrail.config.model`: the sections every config has, and :class:`TopologyConfig`, the interface of
  a topology.
* :mod:`~ebtrail.config.topologies`: one type per topology and :data:`DeploymentConfig`, their discriminated
  union on the ``topology`` key.
* :mod:`~ebtrail.config.rules` (with :mod:`~ebtrail.config.guardrails`): the rules that tie fields together.
* :mod:`~ebtrail.config.loading`: reading TOML, rendering problems, :func:`load_config` / :func:`load_or_exit`.

The names below are the package's public surface; import them from ``ebtrail.config``.
"""

from ebtrail.config.formats import (
    LOG_RETENTION_DAYS,
    MIN_STORAGE_DAYS,
    MIN_TRANSITION_AGE,
    S3_RESERVED_PREFIXES,
    STORAGE_CLASS_ORDER,
    StorageClass,
)
from ebtrail.config.guardrails import archive_deployment_role_arn, arn_like
from ebtrail.config.loading import load_config, load_or_exit, parse_config
from ebtrail.config.model import (
    AccessLogs,
    Alerts,
    Archive,
    Athena,
    BeanstalkEvents,
    Canary,
    CloudWatchLogs,
    Guardrails,
    IntegritySweep,
    Lifecycle,
    ObjectLock,
    Organization,
    TopologyConfig,
    Trail,
    Transition,
    Verifier,
)
from ebtrail.config.problems import FILE, MAX_PROBLEMS_SHOWN, ConfigError, Problem
from ebtrail.config.rules import semantic_problems
from ebtrail.config.topologies import (
    DEFAULT_TOPOLOGY,
    TOPOLOGY_TYPES,
    AccountsConfig,
    AccountsTrail,
    AdoptedConfig,
    AdoptedTrail,
    DeploymentConfig,
    MemberTrail,
    OrganizationConfig,
    OrganizationMember,
    OrganizationTrail,
    SingleAccountConfig,
    SingleAccountTrail,
)
from ebtrail.core.regions import known_regions

__all__ = [
    "DEFAULT_TOPOLOGY",
    "FILE",
    "LOG_RETENTION_DAYS",
    "MAX_PROBLEMS_SHOWN",
    "MIN_STORAGE_DAYS",
    "MIN_TRANSITION_AGE",
    "S3_RESERVED_PREFIXES",
    "STORAGE_CLASS_ORDER",
    "TOPOLOGY_TYPES",
    "AccessLogs",
    "AccountsConfig",
    "AccountsTrail",
    "AdoptedConfig",
    "AdoptedTrail",
    "Alerts",
    "Archive",
    "Athena",
    "BeanstalkEvents",
    "Canary",
    "CloudWatchLogs",
    "ConfigError",
    "DeploymentConfig",
    "Guardrails",
    "IntegritySweep",
    "Lifecycle",
    "MemberTrail",
    "ObjectLock",
    "Organization",
    "OrganizationConfig",
    "OrganizationMember",
    "OrganizationTrail",
    "Problem",
    "SingleAccountConfig",
    "SingleAccountTrail",
    "StorageClass",
    "TopologyConfig",
    "Trail",
    "Transition",
    "Verifier",
    "archive_deployment_role_arn",
    "arn_like",
    "known_regions",
    "load_config",
    "load_or_exit",
    "parse_config",
    "semantic_problems",
]
