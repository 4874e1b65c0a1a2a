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
