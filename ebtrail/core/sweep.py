"""Facts shared by the integrity sweep's Lambda handlers (:mod:`ebtrail.lambdas.sweep`) and its construct
(:mod:`ebtrail.constructs.integrity_sweep`): handler names, environment, metric names, result keys."""

from __future__ import annotations

#: CloudWatch namespace of the sweep's metrics (the summary function may publish to this namespace only).
NAMESPACE = "ebtrail/IntegritySweep"
#: The one dimension of every metric: the state machine's name.
DIMENSION = "SweepName"
#: Digest and log files found modified or missing (replaced, deleted, or a broken chain link).
INTEGRITY_FAILURES = "IntegrityFailures"
#: Files that could not be decided (unknown key, archived, unreadable), failed batches, records left out.
INCOMPLETE = "Incomplete"
#: Every file the sweep decided.
FILES_CHECKED = "FilesChecked"
METRICS = (INTEGRITY_FAILURES, INCOMPLETE, FILES_CHECKED)

#: The Lambda handlers, as the functions' ``Handler`` names them.
BATCH_HANDLER = "ebtrail.lambdas.sweep.batch_handler"
SUMMARY_HANDLER = "ebtrail.lambdas.sweep.summary_handler"

#: Environment of the summary function (set by the construct).
ENV_RESULTS_BUCKET = "EBTRAIL_SWEEP_RESULTS_BUCKET"
ENV_SWEEP_NAME = "EBTRAIL_SWEEP_NAME"
ENV_NAMESPACE = "EBTRAIL_SWEEP_NAMESPACE"

#: Where the map's ResultWriter writes (one folder per map run, with its manifest.json), and the summary's name
#: in that folder.
RESULTS_PREFIX = "results"
SUMMARY_KEY = "summary.json"
