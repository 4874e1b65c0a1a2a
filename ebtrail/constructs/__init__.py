"""CDK constructs (``pip install 'ebtrail[cdk]'``): compose :class:`LogArchive` and :class:`BeanstalkTrail` in
stacks of your own, from plain values (:mod:`ebtrail.core.names`); ``examples/own-app/app.py`` shows how.

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
from ebtrail.constructs.trail import AlertOptions, BeanstalkTrail, BeanstalkTrailProps, VerifierOptions

__all__ = [
    "AlertOptions",
    "AthenaOptions",
    "BeanstalkTrail",
    "BeanstalkTrailProps",
    "ExistingArchiveProps",
    "ExistingLogArchive",
    "LifecycleRules",
    "LogArchive",
    "LogArchiveProps",
    "Retention",
    "StorageTransition",
    "VerifierOptions",
]
