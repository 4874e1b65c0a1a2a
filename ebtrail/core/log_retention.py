"""How long CloudWatch Logs keeps the trail's events: the values it accepts and ebtrail's default, written once.

The config model, its rules, :class:`ebtrail.constructs.trail_features.CloudWatchLogsOptions` and
:class:`ebtrail.constructs.cloudwatch_logs_delivery.CloudWatchLogsDeliveryProps` read them from here.
"""

from __future__ import annotations

#: The retention periods CloudWatch Logs accepts (CloudWatch Logs API Reference, PutRetentionPolicy,
#: ``retentionInDays``).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

#: The default: 365 days, the least that Security Hub's CloudWatch.16 accepts by default (its AWS Config rule
#: ``cw-loggroup-retention-period-check``: "NON_COMPLIANT if the retention period is less than MinRetentionTime,
#: if specified, or else 365 days").
DEFAULT_LOG_RETENTION_DAYS = 365
