"""What the code asset of ebtrail's Lambda functions carries: the handlers' modules, every ebtrail module they
import, and the two pure-Python libraries the integrity check needs that the Lambda Python runtime lacks.

Named here, in the bottom layer, so that the construct that builds the asset
(:mod:`ebtrail.constructs.lambda_bundle`) reads the list without importing the handlers (:mod:`ebtrail.lambdas`
is a layer above the constructs). The list is kept by hand and checked: tests/cdk/test_delivery_canary.py computes
the handlers' import closure from ebtrail's sources (``ast``, lazy imports inside functions included) and requires
the asset to hold exactly those modules, and imports the handlers from the built asset with the CLI's and the CDK's
libraries blocked. A module the handlers do not import (the CLI, preflight, the change report ...) stays out.
"""

from __future__ import annotations

from ebtrail.core.canary import HANDLER
from ebtrail.core.sweep import BATCH_HANDLER, SUMMARY_HANDLER

#: Every handler the asset serves (``module.function``): the delivery canary's and the integrity sweep's.
HANDLERS = (HANDLER, BATCH_HANDLER, SUMMARY_HANDLER)

#: The ebtrail modules in the asset, one by one (a package stands for its ``__init__``): the import closure of the
#: handlers' modules, ``ebtrail.lambdas.canary`` and ``ebtrail.lambdas.sweep``. ``ebtrail.verifier.integrity.crypto``
#: is in it because :func:`ebtrail.verifier.integrity.pairwise.default_verifier` imports it lazily; the handlers pass
#: the pure-Python verifier, so ``cryptography`` is never imported in Lambda.
MODULES = (
    "ebtrail",
    "ebtrail.core.beanstalk",
    "ebtrail.core.canary",
    "ebtrail.core.cloudtrail_layout",
    "ebtrail.core.permissions",
    "ebtrail.core.regions",
    "ebtrail.core.sweep",
    "ebtrail.lambdas",
    "ebtrail.lambdas.canary",
    "ebtrail.lambdas.canary_integrity",
    "ebtrail.lambdas.sweep",
    "ebtrail.verifier",
    "ebtrail.verifier.aws",
    "ebtrail.verifier.clock",
    "ebtrail.verifier.exit_codes",
    "ebtrail.verifier.findings",
    "ebtrail.verifier.integrity",
    "ebtrail.verifier.integrity.aws",
    "ebtrail.verifier.integrity.crypto",
    "ebtrail.verifier.integrity.digests",
    "ebtrail.verifier.integrity.fetch",
    "ebtrail.verifier.integrity.hashing",
    "ebtrail.verifier.integrity.keys",
    "ebtrail.verifier.integrity.model",
    "ebtrail.verifier.integrity.pairwise",
    "ebtrail.verifier.integrity.pool",
    "ebtrail.verifier.integrity.pure_rsa",
    "ebtrail.verifier.integrity.verify",
    "ebtrail.verifier.records",
    "ebtrail.verifier.signals",
    "ebtrail.verifier.trail_info",
    "ebtrail.verifier.verify",
    "ebtrail.verifier.verify.channels",
    "ebtrail.verifier.verify.channels.base",
    "ebtrail.verifier.verify.channels.logfiles",
    "ebtrail.verifier.verify.channels.s3",
    "ebtrail.verifier.verify.probe",
)

#: Pure-Python distributions bundled beside ebtrail: (distribution name, import package). ``rsa`` verifies
#: SHA256withRSA (the library aws-cli v1 verifies digests with), ``pyasn1`` is its one dependency (DER keys). The
#: runtime has boto3 and botocore ("Lambda runtimes", AWS Lambda Developer Guide).
LIBRARIES = (("rsa", "rsa"), ("pyasn1", "pyasn1"))
