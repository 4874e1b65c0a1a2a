"""Option types shared by the verifier's commands: durations that are finite, in range and say so."""

from __future__ import annotations

import math

import click

#: Longest ``verify --timeout``: CloudTrail delivers a log file within about 5 minutes on average; an hour without
#: one is a finding to act on, not a reason to keep the probe application around longer.
MAX_TIMEOUT = 3600.0
#: Longest wait for a digest (``verify --integrity-wait``, ``integrity --wait``): digests are delivered hourly,
#: so two hours covers the next digest and its delivery delay.
MAX_INTEGRITY_WAIT = 7200.0


class Seconds(click.ParamType[float, object]):
    """A number of seconds, finite and within ``[minimum, maximum]``: ``nan``, ``inf`` and ``1e400`` (which
    Python reads as infinity) are refused when options are parsed, before anything is created."""

    name = "seconds"

    def __init__(self, *, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float | int) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                number = math.nan
                self.fail(self._allowed(value), param, ctx)
        if not math.isfinite(number) or not self.minimum <= number <= self.maximum:
            self.fail(self._allowed(value), param, ctx)
        return number

    def _allowed(self, value: object) -> str:
        return f"allowed: a finite number of seconds from {self.minimum:g} to {self.maximum:g}; got {str(value)!r}"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "SECONDS"
