"""A CloudWatch alarm evaluated the way the CloudWatch User Guide describes it, over the datapoints the canary
published (read back from moto's CloudWatch), so that a test can say "this alarm would have notified".

The semantics, from "Using Amazon CloudWatch alarms" (evaluation: the most recent *Evaluation Periods* periods,
ALARM when *Datapoints to Alarm* of them breach) and "Configuring how CloudWatch alarms treat missing data":

* ``breaching``: a missing period counts as breaching; ``notBreaching``: as within the threshold;
* ``ignore``: "The current alarm state is maintained" (when every period is missing);
* ``missing``: missing periods are not considered; "If all data points in the alarm evaluation range are
  missing, the alarm transitions to INSUFFICIENT_DATA".

A new alarm starts in INSUFFICIENT_DATA, and actions run on state changes (an alarm "invokes actions for sustained
state changes only"): a notification is a transition into a state whose actions the alarm has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3

from ebtrail.core.canary import DIMENSION, NAMESPACE, AlarmRule

ALARM, OK, INSUFFICIENT_DATA = "ALARM", "OK", "INSUFFICIENT_DATA"


def datapoints(
    session: boto3.Session, region: str, trail: str, metric: str, *, start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    """Every value published to one canary metric between ``start`` and ``end`` (one per minute at most)."""
    cw = session.client("cloudwatch", region_name=region)
    resp = cw.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=[{"Name": DIMENSION, "Value": trail}],
        StartTime=start,
        EndTime=end,
        Period=60,
        Statistics=["Minimum"],
    )
    return sorted((p["Timestamp"], float(p["Minimum"])) for p in resp["Datapoints"])


def _statistic(name: str, values: list[float]) -> float:
    if name == "Minimum":
        return min(values)
    if name == "Maximum":
        return max(values)
    if name == "Sum":
        return float(sum(values))
    raise AssertionError(f"statistic {name} not modelled")


def _breaches(rule: AlarmRule, value: float) -> bool:
    if rule.comparison == "LessThanThreshold":
        return value < rule.threshold
    if rule.comparison == "GreaterThanOrEqualToThreshold":
        return value >= rule.threshold
    raise AssertionError(f"comparison {rule.comparison} not modelled")


@dataclass
class AlarmModel:
    rule: AlarmRule
    period: timedelta
    #: The alarm's actions: ALARM and OK always (the canary's alarms), INSUFFICIENT_DATA when the rule says so.
    actions: frozenset[str] = frozenset()
    state: str = INSUFFICIENT_DATA
    notifications: list[tuple[datetime, str]] = field(default_factory=list)

    @classmethod
    def of(cls, rule: AlarmRule, period: timedelta) -> AlarmModel:
        actions = {ALARM, OK} | ({INSUFFICIENT_DATA} if rule.notify_insufficient_data else set())
        return cls(rule, period, frozenset(actions))

    def evaluate(self, at: datetime, points: list[tuple[datetime, float]]) -> str:
        """The state at ``at`` from the datapoints visible then; records a notification on a change."""
        periods: list[float | None] = []
        for k in range(self.rule.evaluation_periods, 0, -1):
            start, end = at - k * self.period, at - (k - 1) * self.period
            values = [v for t, v in points if start <= t < end]
            periods.append(_statistic(self.rule.statistic, values) if values else None)
        new = self._state(periods)
        if new != self.state:
            self.state = new
            if new in self.actions:
                self.notifications.append((at, new))
        return self.state

    def _state(self, periods: list[float | None]) -> str:
        missing = self.rule.treat_missing
        present = [p for p in periods if p is not None]
        if not present:
            if missing == "breaching":
                return ALARM
            if missing == "notBreaching":
                return OK
            if missing == "ignore":
                return self.state
            return INSUFFICIENT_DATA
        breaching = sum(_breaches(self.rule, p) for p in present)
        if missing == "breaching":
            breaching += len(periods) - len(present)
        return ALARM if breaching >= self.rule.evaluation_periods else OK


def replay(
    model: AlarmModel,
    points: list[tuple[datetime, float]],
    start: datetime,
    end: datetime,
    *,
    step: timedelta = timedelta(minutes=5),
    ingestion_delay: timedelta = timedelta(minutes=2),
) -> AlarmModel:
    """Evaluate ``model`` every ``step`` from ``start`` (the alarm's creation) to ``end``; a datapoint is visible
    ``ingestion_delay`` after its timestamp."""
    at = start
    while at <= end:
        model.evaluate(at, [(t, v) for t, v in points if t + ingestion_delay <= at])
        at += step
    return model


def describe(model: AlarmModel) -> list[Any]:
    return [(t.isoformat(), state) for t, state in model.notifications]
