"""Which management events a trail records, read from its event selectors (basic or advanced).

CloudTrail bills a management event once per trail that records it after the first ("Managing CloudTrail trail
costs", CloudTrail User Guide), so what matters is the overlap: a ReadOnly trail beside a WriteOnly one is no
second copy of anything. Selectors can also exclude event sources (KMS and RDS Data API, the only ones CloudTrail
lets a trail exclude: "Logging management events", CloudTrail User Guide).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Coverage:
    """The management events a trail records: reads, writes, and the event sources it leaves out."""

    read: bool
    write: bool
    excluded_sources: frozenset[str] = frozenset()

    @property
    def records_any(self) -> bool:
        return self.read or self.write

    @property
    def read_write(self) -> str:
        """``All``, ``ReadOnly``, ``WriteOnly`` or ``None`` (CloudTrail's words)."""
        if self.read and self.write:
            return "All"
        return "ReadOnly" if self.read else "WriteOnly" if self.write else "None"

    def records(self, *, read_only: bool, source: str) -> bool:
        """Whether an event (read or write, from ``source``) is recorded."""
        return (self.read if read_only else self.write) and source not in self.excluded_sources

    def overlap(self, other: Coverage) -> Coverage:
        """The events both record (what a second copy would bill)."""
        return Coverage(
            self.read and other.read,
            self.write and other.write,
            self.excluded_sources | other.excluded_sources,
        )

    @classmethod
    def union(cls, coverages: Iterable[Coverage]) -> Coverage:
        """The events at least one records (a source counts as excluded only when every one leaves it out)."""
        items = [c for c in coverages if c.records_any]
        if not items:
            return NOTHING
        excluded = frozenset.intersection(*(c.excluded_sources for c in items))
        return cls(any(c.read for c in items), any(c.write for c in items), excluded)

    @classmethod
    def of_read_write_type(cls, value: str) -> Coverage:
        return cls(read=value in ("All", "ReadOnly"), write=value in ("All", "WriteOnly"))


NOTHING = Coverage(read=False, write=False)
ALL = Coverage(read=True, write=True)


def coverage_from_selectors(answer: Mapping[str, Any]) -> Coverage:
    """The coverage of a ``GetEventSelectors`` answer.

    A trail with neither kind of selector records all management events (CloudTrail's default for a trail created
    without selectors, "EventSelector", CloudTrail API Reference; moto answers such a trail with no selectors).
    """
    basic = answer.get("EventSelectors") or []
    advanced = answer.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return ALL
    parts = [_basic(selector) for selector in basic] + [_advanced(selector) for selector in advanced]
    return Coverage.union(parts)


def _basic(selector: Mapping[str, Any]) -> Coverage:
    if not selector.get("IncludeManagementEvents", True):
        return NOTHING
    base = Coverage.of_read_write_type(str(selector.get("ReadWriteType", "All")))
    excluded = frozenset(str(s) for s in selector.get("ExcludeManagementEventSources") or [])
    return Coverage(base.read, base.write, excluded)


def _advanced(selector: Mapping[str, Any]) -> Coverage:
    """An advanced selector records management events when its ``eventCategory`` field equals ``Management``;
    ``readOnly`` narrows it to reads or writes, ``eventSource`` ``NotEquals`` excludes sources."""
    fields = {str(f.get("Field")): f for f in selector.get("FieldSelectors") or []}
    category = fields.get("eventCategory")
    if category is None or "Management" not in (category.get("Equals") or []):
        return NOTHING
    read = write = True
    read_only = fields.get("readOnly")
    if read_only is not None and read_only.get("Equals"):
        values = {str(v).lower() for v in read_only["Equals"]}
        read, write = "true" in values, "false" in values
    source = fields.get("eventSource")
    excluded = frozenset(str(s) for s in (source.get("NotEquals") or [])) if source else frozenset()
    return Coverage(read, write, excluded)
