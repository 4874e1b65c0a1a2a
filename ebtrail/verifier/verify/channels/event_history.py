"""Event history channel: ``LookupEvents`` (management events of the last 90 days, per region, independent of
trails) filtered by event name, matched client-side on the request ID, at most 2 requests per second.

Event history shows that CloudTrail *saw* the call; it does not prove that the trail delivered it, so an arrival
here does not end the verification."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ebtrail.verifier.clock import Clock, RateLimiter
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.records import match_record
from ebtrail.verifier.verify.channels.base import Arrival, Channel
from ebtrail.verifier.verify.probe import ProbeCall

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient

#: Pages (50 events each) per poll at most.
MAX_PAGES_PER_POLL = 4


class EventHistoryChannel(Channel):
    name = "event_history"
    label = "Event history"

    def __init__(
        self,
        *,
        cloudtrail: CloudTrailClient,
        findings: Findings,
        clock: Clock,
        limiter: RateLimiter,
        interval: float = 15.0,
        margin: timedelta = timedelta(minutes=2),
    ) -> None:
        super().__init__(findings, interval)
        self._ct = cloudtrail
        self._clock = clock
        self._limiter = limiter
        self._margin = margin
        self.current = ("cloudtrail", "LookupEvents")

    def _resource_for(self, operation: str) -> str | None:
        return "*"

    def _poll(self, call: ProbeCall, budget: float) -> Arrival | None:
        sig = call.signature()
        token: str | None = None
        seen = 0
        for _ in range(MAX_PAGES_PER_POLL):
            self._limiter.wait()
            kwargs: dict[str, Any] = {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": call.event_name}],
                "StartTime": call.earliest - self._margin,
                "EndTime": self._clock.now() + self._margin,
                "MaxResults": 50,
            }
            if token:
                kwargs["NextToken"] = token
            resp = self._ct.lookup_events(**kwargs)
            for event in resp.get("Events", []):
                seen += 1
                try:
                    record = json.loads(event.get("CloudTrailEvent") or "{}")
                except ValueError:
                    continue
                if isinstance(record, dict):
                    how = match_record(record, sig)
                    if how:
                        return Arrival(self.name, 0.0, record, how, None)
            token = resp.get("NextToken")
            if not token:
                break
        self.detail = f"{seen} {call.event_name} event(s) looked at, none is ours yet"
        return None
