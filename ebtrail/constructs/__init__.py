"""CDK constructs (``pip install 'ebtrail[cdk]'``): compose :class:`LogArchive` and :class:`BeanstalkTrail` (with
its features: :class:`CanaryOptions`, :class:`CloudWatchLogsOptions` with the CIS alarms,
:class:`BeanstalkEventsOptions`) in stacks of your own, from plain values (:mod:`ebtrail.core.names`);
``examples/own-app/app.py`` shows how. On a
trail you already have, :class:`TrailProofLayer` adds the proof layer only (``examples/adopt-app/app.py``).

The smaller constructs they are built from (log key, buckets, policies, topics, alerts, Athena, verifier
access) live in their own modules. The package is ``ebtrail.constructs``, never a top-level ``constructs``:
that name is the library aws-cdk-lib imports.
"""

from ebtrail.constructs.log_archive import (
    AthenaOptions,
    ExistingArchiveProps,
    ExistingLogArchive,
    LifecycleRules,
    LogArchive,
    LogArchiveProps,
    Retention,
    StorageTransition,
)
from ebtrail.constructs.proof_layer import CanaryOptions, DataEventsTrailOptions, TrailProofLayer, TrailProofLayerProps
from ebtrail.constructs.trail import AlertOptions, BeanstalkTrail, BeanstalkTrailProps, VerifierOptions
from ebtrail.constructs.trail_features import BeanstalkEventsOptions, CloudWatchLogsOptions
from ebtrail.core.names import ExistingTrail

__all__ = [
    "AlertOptions",
    "AthenaOptions",
    "BeanstalkEventsOptions",
    "BeanstalkTrail",
    "BeanstalkTrailProps",
    "CanaryOptions",
    "CloudWatchLogsOptions",
    "DataEventsTrailOptions",
    "ExistingArchiveProps",
    "ExistingLogArchive",
    "ExistingTrail",
    "LifecycleRules",
    "LogArchive",
    "LogArchiveProps",
    "Retention",
    "StorageTransition",
    "TrailProofLayer",
    "TrailProofLayerProps",
    "VerifierOptions",
]
