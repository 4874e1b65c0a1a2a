"""What every channel has in common: a state, polling with error classification, and the arrival it reports."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ebtrail.verifier.aws import (
    AWS_ERRORS,
    describe_denied,
    describe_error,
    error_message,
    is_access_denied,
    is_not_implemented,
    is_transient,
)
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.verify.probe import ProbeCall


class State(StrEnum):
    WAITING = "waiting"
    ARRIVED = "arrived"
    UNAVAILABLE = "unavailable"
    STOPPED = "not seen"


@dataclass(frozen=True)
class LogFileRef:
    bucket: str
    key: str

    def as_dict(self) -> dict[str, str]:
        return {"bucket": self.bucket, "key": self.key}


@dataclass(frozen=True)
class Arrival:
    channel: str
    seconds: float
    record: dict[str, Any]
    matched_by: str
    log_file: LogFileRef | None


class ChannelUnavailableError(Exception):
    """Raised inside a channel to take it out of the run with a reason."""

    def __init__(self, reason: str, *, problem: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problem = problem


#: What a poll may raise that takes the channel out or is retried (an emulator raises NotImplementedError).
_POLL_ERRORS: tuple[type[Exception], ...] = (*AWS_ERRORS, NotImplementedError)

#: Consecutive unexpected failures after which a channel gives up.
MAX_CONSECUTIVE_FAILURES = 5


class Channel(ABC):
    """A source of evidence that the record arrived. ``interval``: seconds between polls."""

    name: str = "channel"
    label: str = "channel"

    def __init__(self, findings: Findings, interval: float) -> None:
        self.findings = findings
        self.interval = interval
        self.state = State.WAITING
        self.detail = "waiting"
        self.polls = 0
        self.arrival: Arrival | None = None
        self._failures = 0
        #: The channel was taken out because AWS could not be reached (connection, throttling, 5xx).
        self.unreachable = False
        #: (service, operation) of the call in progress, for errors that do not carry it.
        self.current: tuple[str, str] = (self.name, "?")

    @property
    def active(self) -> bool:
        return self.state == State.WAITING

    @abstractmethod
    def _poll(self, call: ProbeCall, budget: float) -> Arrival | None:
        """One look for the record (``seconds`` of the arrival is filled in by :meth:`poll`);
        ``budget``: seconds left before the timeout."""

    def poll(self, call: ProbeCall, since_call: Callable[[], float], budget: float) -> Arrival | None:
        """Poll once; errors are classified (access denied and unimplemented operations take the channel
        out, other errors are retried at the next poll). ``since_call``: seconds since the call, now."""
        if not self.active:
            return None
        self.polls += 1
        try:
            arrival = self._poll(call, budget)
        except ChannelUnavailableError as exc:
            self.mark_unavailable(exc.reason, problem=exc.problem)
            return None
        except _POLL_ERRORS as exc:
            service, op = self._service_and_operation(exc)
            if is_access_denied(exc):
                self.mark_unavailable(describe_denied(service, op, exc, self._resource_for(op)), problem=True)
            elif is_not_implemented(exc):
                self.mark_unavailable(f"the endpoint does not implement {service} {op} ({error_message(exc)})")
            else:
                self._failures += 1
                self.detail = f"retrying after: {describe_error(service, op, exc)}"
                if self._failures >= MAX_CONSECUTIVE_FAILURES:
                    self.unreachable = is_transient(exc)
                    self.mark_unavailable(
                        f"gave up after {self._failures} failures: {describe_error(service, op, exc)}"
                    )
            return None
        self._failures = 0
        if arrival is not None:
            arrival = replace(arrival, seconds=since_call())
            self.arrival = arrival
            self.state = State.ARRIVED
            self.detail = f"arrived after {arrival.seconds:.1f}s"
        return arrival

    def mark_unavailable(self, reason: str, *, problem: bool = False) -> None:
        self.state = State.UNAVAILABLE
        self.detail = reason
        text = f"{self.label} channel unavailable: {reason}"
        if problem:
            self.findings.problem(text)
        else:
            self.findings.warn(text)

    def stop(self, reason: str | None = None) -> None:
        """End the channel's wait (the record arrived elsewhere, the timeout, or an interruption)."""
        if self.state == State.WAITING:
            self.state = State.STOPPED
            if reason:
                self.detail = f"{reason} after {self.polls} poll(s)"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the channel created (always called)."""

    def _service_and_operation(self, exc: BaseException) -> tuple[str, str]:
        op = str(getattr(exc, "operation_name", "") or "")
        if op and op != self.current[1]:
            return self.current[0], op
        return self.current

    def _resource_for(self, operation: str) -> str | None:
        return None
