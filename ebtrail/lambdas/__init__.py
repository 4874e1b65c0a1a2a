"""ebtrail's Lambda runtimes: the delivery canary's handler (:mod:`.canary`, with its integrity check
:mod:`.canary_integrity`) and the integrity sweep's handlers (:mod:`.sweep`).

A package of its own, above the verifier whose checks it runs in Lambda; the constructs name the handlers only as
strings (:data:`ebtrail.core.canary.HANDLER`, :mod:`ebtrail.core.sweep`) and bundle what they import
(:mod:`ebtrail.constructs.lambda_bundle`), from the include list :data:`ebtrail.core.lambda_asset.MODULES`: a new
import of an ebtrail module here goes into that list too (tests/cdk/test_delivery_canary.py says which).
"""
