"""ebtrail's Lambda runtimes: the delivery canary's handler (:mod:`.canary`, with its integrity check
:mod:`.canary_integrity`) and the integrity sweep's handlers (:mod:`.sweep`).

A package of its own, above the verifier whose checks it runs in Lambda; the constructs name the handlers only as
strings (:data:`ebtrail.core.canary.HANDLER`, :mod:`ebtrail.core.sweep`) and bundle what they import
(:mod:`ebtrail.constructs.lambda_bundle`).
"""
