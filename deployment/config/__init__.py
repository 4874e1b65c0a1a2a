"""The deployment configuration: the TOML file under ``config/`` that says where the archive and trails go.

* :mod:`~deployment.config.formats`: field formats (account IDs, regions, names); S3's lifecycle facts and
  ebtrail's lifecycle defaults are :mod:`ebtrail.core.lifecycle`'s (re-exported here).
* :mod:`~deployment.config.model`: the sections every config has, and :class:`TopologyConfig`, the interface of
  a topology.
* :mod:`~deployment.config.topologies`: one type per topology and :data:`DeploymentConfig`, their discriminated
  union on the ``topology`` key.
* :mod:`~deployment.config.rules` (with :mod:`~deployment.config.guardrails`): the rules that tie fields together.
* :mod:`~deployment.config.loading`: reading TOML, rendering problems, :func:`load_config` / :func:`load_or_exit`.

The names below are the package's public surface; import them from ``deployment.config``.
"""

from deployment.config.formats import S3_RESERVED_PREFIXES
from deployment.config.guardrails import archive_deployment_role_arn
from deployment.config.loading import load_config, load_or_exit, parse_config
from deployment.config.model import (
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
from deployment.config.problems import FILE, MAX_PROBLEMS_SHOWN, ConfigError, Problem
from deployment.config.rules import semantic_problems
from deployment.config.topologies import (
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
from ebtrail.core.lifecycle import MIN_STORAGE_DAYS, MIN_TRANSITION_AGE, STORAGE_CLASS_ORDER, StorageClass
from ebtrail.core.log_retention import LOG_RETENTION_DAYS
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
    "known_regions",
    "load_config",
    "load_or_exit",
    "parse_config",
    "semantic_problems",
]
