"""Time, injectable so that tests and benchmarks control it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class RateLimiter:
    """At most one call per ``min_interval`` seconds (``LookupEvents``: 2 per second per account and region)."""

    def __init__(self, clock: Clock, min_interval: float) -> None:
        self._clock = clock
        self._min_interval = min_interval
        self._last: float | None = None

    def wait(self) -> None:
        now = self._clock.monotonic()
        if self._last is not None:
            delay = self._last + self._min_interval - now
            if delay > 0:
                self._clock.sleep(delay)
                now = self._clock.monotonic()
        self._last = now
