"""Elastic Beanstalk facts shared by the config, the alert construct and the verifier."""

from __future__ import annotations

#: CloudTrail's ``eventSource`` of every Elastic Beanstalk API call.
EVENT_SOURCE = "elasticbeanstalk.amazonaws.com"

#: Elastic Beanstalk actions that destroy or replace running resources, or change what serves traffic:
#: the default of ``alerts.actions``.
DEFAULT_ALERT_ACTIONS: tuple[str, ...] = (
    "TerminateEnvironment",
    "DeleteApplication",
    "DeleteApplicationVersion",
    "DeleteEnvironmentConfiguration",
    "RebuildEnvironment",
    "SwapEnvironmentCNAMEs",
    "UpdateEnvironment",
)

#: EventBridge ``source`` of every Elastic Beanstalk event (service events and API calls via CloudTrail).
EVENTS_SOURCE = "aws.elasticbeanstalk"

#: The EventBridge ``detail-type`` values of every Elastic Beanstalk service event (not API calls): the default of
#: ``beanstalk_events.detail_types`` ("Elastic Beanstalk events in EventBridge", Elastic Beanstalk Developer Guide).
SERVICE_EVENT_DETAIL_TYPES: tuple[str, ...] = (
    "Elastic Beanstalk resource status change",
    "Other resource status change",
    "Health status change",
    "Managed update status change",
)
