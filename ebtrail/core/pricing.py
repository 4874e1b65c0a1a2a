"""What CloudTrail bills for a copy of management events, with the date and page it was read from.

The one place the price lives: ``ebtrail-verify trails`` prints it with every estimate, ``make synth``'s summary
names it, the README quotes it. AWS changes prices; when it does, change :data:`PAID_MANAGEMENT_EVENTS` (and its
date) and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventPrice:
    """A price per 100,000 events, as AWS quotes it, and where and when it was read."""

    usd_per_100k: float
    as_of: str
    source: str

    def cost(self, events: float) -> float:
        """US dollars for ``events`` events."""
        return events / 100_000 * self.usd_per_100k

    def describe(self) -> str:
        return f"${self.usd_per_100k:.2f} per 100,000 events ({self.source}, as of {self.as_of})"


#: Every copy of management events after the first in an account and region ("The first copy of management events
#: is delivered free of charge. Additional copies of management events are charged at $2.00 per 100,000 events":
#: AWS CloudTrail pricing, https://aws.amazon.com/cloudtrail/pricing/; "The first copy of management events within
#: each region is delivered free of charge", CloudTrail User Guide, "Managing CloudTrail trail costs"). US East
#: (N. Virginia) list price; other regions and partitions may differ.
PAID_MANAGEMENT_EVENTS = EventPrice(
    usd_per_100k=2.00,
    as_of="2026-12-07",
    source="AWS CloudTrail pricing, https://aws.amazon.com/cloudtrail/pricing/",
)

#: Hours in the month AWS's pricing examples and calculator bill by (365 x 24 / 12).
HOURS_PER_MONTH = 730


def monthly_events(events_per_hour: float) -> float:
    """Events in a month at a steady hourly rate."""
    return events_per_hour * HOURS_PER_MONTH
