"""How many management events a region records per hour, measured from CloudTrail event history.

Event history (``LookupEvents``) holds the last 90 days of the account's management events in each region, reads
and writes, whatever trails exist ("Working with CloudTrail event history", CloudTrail User Guide), newest first,
50 per page, 2 requests per second per account and region. The last hour is read up to ``max_pages`` pages; when
the bound stops the read early, the rate is the events seen over the time they span (newest first, so they cover
``[oldest seen, now]``). The sample says which events a second trail would copy: each has ``ReadOnly`` and
``EventSource``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ebtrail.verifier.aws import AWS_ERRORS, describe_error, is_transient
from ebtrail.verifier.trails.coverage import Coverage

#: Pages of 50 events read per region by default (500 events): a few seconds at LookupEvents' 2 requests a second.
DEFAULT_MAX_PAGES = 10
PAGE_SIZE = 50
WINDOW = timedelta(hours=1)
#: AWS's errors, and what an emulator without LookupEvents raises (in-process moto: NotImplementedError).
LOOKUP_ERRORS: tuple[type[Exception], ...] = (*AWS_ERRORS, NotImplementedError)


@dataclass(frozen=True)
class Sample:
    """The events of the window read from event history: each event's (read-only, source), and the time span."""

    events: tuple[tuple[bool, str], ...]
    #: Seconds the events cover: the whole window when every page was read, else now minus the oldest seen.
    seconds: float
    complete: bool
    pages: int

    def per_hour(self, count: Callable[[bool, str], int]) -> float:
        """Events per hour weighted by ``count(read_only, source)`` (the paid copies each event makes)."""
        if self.seconds <= 0:
            return 0.0
        return sum(count(read_only, source) for read_only, source in self.events) * 3600 / self.seconds

    def describe(self) -> str:
        how = "all of the last hour" if self.complete else f"the newest {len(self.events)} (page bound)"
        return (
            f"event history (LookupEvents): {len(self.events)} management events, {how}, over "
            f"{self.seconds / 60:.0f} min, {self.pages} page(s)"
        )


@dataclass(frozen=True)
class SampleFailure:
    problem: str
    transient: bool


def sample(client: Any, now: datetime, max_pages: int = DEFAULT_MAX_PAGES) -> Sample | SampleFailure:
    """Read the last hour of event history, at most ``max_pages`` pages."""
    start = now - WINDOW
    events: list[tuple[bool, str]] = []
    oldest = now
    token: str | None = None
    pages = 0
    try:
        while pages < max_pages:
            request: dict[str, Any] = {"StartTime": start, "EndTime": now, "MaxResults": PAGE_SIZE}
            if token:
                request["NextToken"] = token
            answer = client.lookup_events(**request)
            pages += 1
            for event in answer.get("Events", []):
                events.append((str(event.get("ReadOnly", "false")).lower() == "true", str(event.get("EventSource"))))
                when = event.get("EventTime")
                if isinstance(when, datetime) and when < oldest:
                    oldest = when
            token = answer.get("NextToken")
            if not token:
                break
    except LOOKUP_ERRORS as exc:
        return SampleFailure(describe_error("cloudtrail", "LookupEvents", exc), is_transient(exc))
    complete = not token
    seconds = WINDOW.total_seconds() if complete else max((now - oldest).total_seconds(), 1.0)
    return Sample(tuple(events), seconds, complete, pages)


def paid_copies(coverages: Sequence[Coverage]) -> Callable[[bool, str], int]:
    """For an event, the copies after the first that ``coverages`` (one per trail) would record."""

    def count(read_only: bool, source: str) -> int:
        return max(0, sum(c.records(read_only=read_only, source=source) for c in coverages) - 1)

    return count
