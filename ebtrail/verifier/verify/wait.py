"""The wait for the record: every channel polled at its own interval until a log file holds the record, and the
verdict once the wait is over."""

from __future__ import annotations

from collections.abc import Callable

from ebtrail.verifier.clock import Clock
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.verify.channels.base import Arrival, Channel, State
from ebtrail.verifier.verify.probe import ProbeCall
from ebtrail.verifier.verify.report import Outcome

#: The channels that read log files: only they can confirm delivery (event history shows the call, not a file).
LOG_FILE_CHANNELS = ("s3", "sns")


class _Schedule:
    """When each channel is due next, and the deadline: the state of one wait, so that each round of polling
    and each sleep between rounds is a small method."""

    def __init__(
        self,
        channels: list[Channel],
        call: ProbeCall,
        call_mono: float,
        *,
        clock: Clock,
        timeout: float,
        on_poll: Callable[[], None] | None,
    ) -> None:
        self.channels = channels
        self.call = call
        self.call_mono = call_mono
        self.clock = clock
        self.deadline = call_mono + timeout
        self.on_poll = on_poll
        self.next_due = {ch.name: call_mono for ch in channels}

    def since_call(self) -> float:
        return self.clock.monotonic() - self.call_mono

    def poll_due(self) -> Arrival | None:
        """One round: poll every channel that is due, in order, and stop at the first arrival through a log file
        (the proof; the channels not polled yet get their last look in :meth:`last_round`)."""
        for ch in self.channels:
            now = self.clock.monotonic()
            if not ch.active or now < self.next_due[ch.name] or now >= self.deadline:
                continue
            arrival = ch.poll(self.call, self.since_call, self.deadline - now)
            self.next_due[ch.name] = self.clock.monotonic() + ch.interval
            if self.on_poll:
                self.on_poll()
            if arrival is not None and arrival.log_file is not None:
                return arrival
        return None

    def sleep_until_due(self) -> bool:
        """Sleep until the next channel is due. False when the wait is over instead: the deadline passed, no
        channel is left, or only event history is, which cannot confirm delivery."""
        active = [ch for ch in self.channels if ch.active]
        now = self.clock.monotonic()
        if not active or now >= self.deadline:
            return False
        if not any(ch.name in LOG_FILE_CHANNELS for ch in active):
            return False
        delay = min(*(self.next_due[ch.name] for ch in active), self.deadline) - now
        if delay > 0:
            self.clock.sleep(delay)
        return True

    def last_round(self) -> None:
        """After the confirmation, one last poll of every channel still waiting, so that its seconds_to_arrival
        is filled in when it has the record too."""
        for ch in self.channels:
            if ch.active:
                ch.poll(self.call, self.since_call, 0.0)


def wait_for_record(
    channels: list[Channel],
    call: ProbeCall,
    call_mono: float,
    *,
    clock: Clock,
    timeout: float,
    on_poll: Callable[[], None] | None = None,
) -> Arrival | None:
    """Poll the channels, each at its own interval, until a log-file channel (S3 or SNS) finds the record
    or ``timeout`` seconds after the call. Returns that arrival. After it, every other channel still waiting
    gets one last poll (so that its seconds_to_arrival is filled in when it has it too)."""
    schedule = _Schedule(channels, call, call_mono, clock=clock, timeout=timeout, on_poll=on_poll)
    confirmation = schedule.poll_due()
    while confirmation is None and schedule.sleep_until_due():
        confirmation = schedule.poll_due()
    if confirmation is not None:
        schedule.last_round()
    for ch in channels:
        ch.stop()
    return confirmation


def verdict(confirmation: Arrival | None, channels: list[Channel], findings: Findings) -> Outcome:
    """The outcome once the wait is over: a confirmed record wins, then misconfigurations (exit 2), then outages
    (exit 3: no log-file channel is left and one of them gave up because AWS could not be reached), then the
    timeout."""
    if confirmation is not None:
        return Outcome.ARRIVED
    if findings.problems:
        return Outcome.MISCONFIGURED
    readers = [ch for ch in channels if ch.name in LOG_FILE_CHANNELS]
    if not any(ch.state != State.UNAVAILABLE for ch in readers):
        if any(ch.unreachable for ch in readers):
            for ch in readers:
                if ch.unreachable:
                    findings.outage(f"{ch.label} channel: {ch.detail}")
            return Outcome.UNREACHABLE
        findings.problem("no channel can read log files (S3 and SNS channels are both unavailable)")
        return Outcome.MISCONFIGURED
    return Outcome.TIMEOUT
