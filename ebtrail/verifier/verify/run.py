"""One verification, start to finish: read the trail, open the channels, make the call, wait, clean up.

:func:`run` never raises for AWS errors (they become problems in the result) and always cleans up: the
application, the queue and the subscription, also on Ctrl-C (``KeyboardInterrupt``), after which the result's
outcome is ``interrupted``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

import boto3

from ebtrail.verifier.aws import (
    AWS_ERRORS,
    Clients,
    MissingRegionError,
    describe_error,
    is_transient,
    trail_argument_problem,
)
from ebtrail.verifier.clock import Clock, RateLimiter, SystemClock
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.signals import SignalGuard, signal_name, signum_of
from ebtrail.verifier.trail_info import read_trail
from ebtrail.verifier.verify.channels.base import Arrival, Channel, State
from ebtrail.verifier.verify.channels.event_history import EventHistoryChannel
from ebtrail.verifier.verify.channels.logfiles import LogFileScanner
from ebtrail.verifier.verify.channels.s3 import S3Channel
from ebtrail.verifier.verify.channels.sns import SnsChannel, topic_region
from ebtrail.verifier.verify.probe import Probe, ProbeCall, ProbeError
from ebtrail.verifier.verify.report import ChannelReport, Outcome, VerificationResult

DEFAULT_TIMEOUT = 900.0
SKEW_WARNING = timedelta(minutes=1)


@dataclass(frozen=True)
class Settings:
    """Timing of a verification. Tests shrink the intervals and use a fake :class:`~ebtrail.verifier.clock.Clock`."""

    timeout: float = DEFAULT_TIMEOUT
    s3_interval: float = 10.0
    #: The SNS channel long-polls its queue for ``sns_wait_seconds`` at every poll.
    sns_interval: float = 0.0
    sns_wait_seconds: int = 1
    event_history_interval: float = 15.0
    #: ``LookupEvents`` allows 2 requests per second per account and region.
    lookup_min_interval: float = 0.5
    #: Clock-skew margin: files delivered up to this long before the call are read too.
    margin: timedelta = timedelta(minutes=2)


@dataclass
class Progress:
    """What the live display shows."""

    phase: str
    timeout: float
    started: float | None  # monotonic time of the call
    channels: dict[str, ChannelReport] = field(default_factory=dict)
    application_name: str | None = None
    request_id: str | None = None


ProgressCallback = Callable[[Progress], None]


def _report(channels: list[Channel]) -> dict[str, ChannelReport]:
    return {
        ch.name: ChannelReport(
            name=ch.name,
            state=str(ch.state),
            detail=ch.detail,
            seconds_to_arrival=round(ch.arrival.seconds, 3) if ch.arrival else None,
            polls=ch.polls,
        )
        for ch in channels
    }


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
    deadline = call_mono + timeout
    next_due = {ch.name: call_mono for ch in channels}

    def since_call() -> float:
        return clock.monotonic() - call_mono

    confirmation: Arrival | None = None
    while confirmation is None:
        for ch in channels:
            now = clock.monotonic()
            if not ch.active or now < next_due[ch.name] or now >= deadline:
                continue
            arrival = ch.poll(call, since_call, deadline - now)
            next_due[ch.name] = clock.monotonic() + ch.interval
            if on_poll:
                on_poll()
            if arrival is not None and arrival.log_file is not None:
                confirmation = arrival
                break
        if confirmation is not None:
            break
        active = [ch for ch in channels if ch.active]
        now = clock.monotonic()
        if not active or now >= deadline:
            break
        if not any(ch.name in ("s3", "sns") for ch in active):
            break  # event history alone cannot confirm delivery
        delay = min(*(next_due[ch.name] for ch in active), deadline) - now
        if delay > 0:
            clock.sleep(delay)
    if confirmation is not None:
        for ch in channels:
            if ch.active:
                ch.poll(call, since_call, 0.0)
    for ch in channels:
        ch.stop()
    return confirmation


def run(  # noqa: PLR0911 - every early way out returns the result, cleanup runs in ``finally``
    session: boto3.Session,
    trail: str,
    region: str | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    on_progress: ProgressCallback | None = None,
    guard: SignalGuard | None = None,
) -> VerificationResult:
    """Verify once. An interruption (Ctrl-C, or SIGTERM/SIGHUP turned into
    :class:`~verifier.signals.Interrupted` by ``guard``) ends the wait; cleanup then runs shielded from a
    further first signal, and ``guard.leftovers`` lists what is not cleaned up yet at any moment."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    findings = Findings()
    result = VerificationResult(outcome=Outcome.MISCONFIGURED, findings=findings, timeout=settings.timeout)
    progress = Progress(phase="reading the trail", timeout=settings.timeout, started=None)
    start_mono = clock.monotonic()

    def show(phase: str | None = None) -> None:
        if phase:
            progress.phase = phase
        progress.channels = _report(channels)
        if on_progress:
            on_progress(progress)

    channels: list[Channel] = []
    probe: Probe | None = None
    sns_channel: SnsChannel | None = None

    def leftovers() -> list[str]:
        out = probe.leftovers(result.region or "") if probe else []
        return out + (sns_channel.leftovers() if sns_channel else [])

    if guard is not None:
        guard.leftovers = leftovers
    try:
        argument_problem = trail_argument_problem(trail)
        if argument_problem:
            findings.problem(argument_problem)
            return result
        try:
            clients = Clients.create(session, region, trail)
        except MissingRegionError as exc:
            findings.problem(str(exc))
            return result
        result.region = clients.region
        show()
        try:
            account = clients.account_id()
        except AWS_ERRORS as exc:
            described = describe_error("sts", "GetCallerIdentity", exc)
            if is_transient(exc):
                findings.outage(described)
                result.outcome = Outcome.UNREACHABLE
            else:
                findings.problem(f"cannot identify the caller (credentials?): {described}")
            return result
        result.account = account
        read = read_trail(clients, trail, account)
        result.trail = read.trail
        for w in read.warnings:
            findings.warn(w)
        for p in read.problems:
            findings.problem(p)
        for u in read.unreachable:
            findings.outage(u)
        if read.trail is None or read.problems or read.unreachable:
            if not read.problems and read.unreachable:
                result.outcome = Outcome.UNREACHABLE
            return result
        info = read.trail

        s3 = clients.s3()
        scanner = LogFileScanner(s3, findings, info.kms_key_id, info.partition)
        sns_region = topic_region(info.topic_arn, clients.region)
        sns_channel = SnsChannel(
            sns=clients.sns(sns_region),
            sqs=clients.sqs(sns_region),
            trail=info,
            account=account,
            region=clients.region,
            scanner=scanner,
            findings=findings,
            clock=clock,
            interval=settings.sns_interval,
            wait_seconds=settings.sns_wait_seconds,
            margin=settings.margin,
        )
        channels = [
            sns_channel,
            S3Channel(
                s3=s3,
                trail=info,
                account=account,
                region=clients.region,
                scanner=scanner,
                findings=findings,
                clock=clock,
                interval=settings.s3_interval,
                margin=settings.margin,
            ),
            EventHistoryChannel(
                cloudtrail=clients.event_history(),
                findings=findings,
                clock=clock,
                limiter=RateLimiter(clock, settings.lookup_min_interval),
                interval=settings.event_history_interval,
                margin=settings.margin,
            ),
        ]
        show("subscribing a temporary queue to the delivery topic")
        sns_channel.open(clock.now())
        result.cleanup.queue_deleted = False if sns_channel.queue_url else None
        result.cleanup.unsubscribed = False if sns_channel.subscription_arn else None

        show("calling elasticbeanstalk:CreateApplication")
        probe = Probe(clients.elasticbeanstalk(), clock)
        try:
            call = probe.create()
        except ProbeError as exc:
            if exc.transient:
                findings.outage(str(exc))
                result.outcome = Outcome.UNREACHABLE
            else:
                findings.problem(str(exc))
            return result
        finally:
            result.cleanup.application_deleted = False if probe.application_name else None
        call_mono = clock.monotonic()
        result.call = call
        skew = call.skew_seconds
        if skew is not None and abs(skew) > SKEW_WARNING.total_seconds():
            findings.warn(
                f"this machine's clock differs from AWS's by {skew:+.0f}s (server Date header); the search window "
                f"starts {settings.margin.total_seconds():.0f}s before the earlier of the two"
            )
        progress.started = call_mono
        progress.application_name = call.application_name
        progress.request_id = call.request_id
        show("waiting for the record")

        confirmation = wait_for_record(channels, call, call_mono, clock=clock, timeout=settings.timeout, on_poll=show)
        result.confirmation = confirmation
        history = next((ch.arrival for ch in channels if ch.name == "event_history" and ch.arrival), None)
        result.history = history
        result.outcome = _verdict(confirmation, channels, findings)
        return result
    except KeyboardInterrupt as exc:
        result.interrupt(signum_of(exc))
        return result
    finally:
        with guard.shield() if guard else nullcontext():
            if result.outcome == Outcome.INTERRUPTED:
                for ch in channels:
                    ch.stop(f"stopped by {signal_name(result.signal)}")
            _cleanup(result, probe, sns_channel, findings, show)
            if guard is not None and guard.received is not None and result.outcome != Outcome.INTERRUPTED:
                result.interrupt(guard.received)  # the signal came during cleanup: cleanup finished first
            result.channels = _report(channels)
            result.elapsed = clock.monotonic() - start_mono
            if guard is not None:
                guard.hold()  # the caller prints the report next: a signal now only sets the exit code


def _verdict(confirmation: Arrival | None, channels: list[Channel], findings: Findings) -> Outcome:
    """The outcome once the wait is over: a confirmed record wins, then misconfigurations (exit 2), then outages
    (exit 3: no log-file channel is left and one of them gave up because AWS could not be reached), then the
    timeout."""
    if confirmation is not None:
        return Outcome.ARRIVED
    if findings.problems:
        return Outcome.MISCONFIGURED
    readers = [ch for ch in channels if ch.name in ("s3", "sns")]
    if not any(ch.state != State.UNAVAILABLE for ch in readers):
        if any(ch.unreachable for ch in readers):
            for ch in readers:
                if ch.unreachable:
                    findings.outage(f"{ch.label} channel: {ch.detail}")
            return Outcome.UNREACHABLE
        findings.problem("no channel can read log files (S3 and SNS channels are both unavailable)")
        return Outcome.MISCONFIGURED
    return Outcome.TIMEOUT


def _cleanup(
    result: VerificationResult,
    probe: Probe | None,
    sns_channel: SnsChannel | None,
    findings: Findings,
    show: Callable[[str | None], None],
) -> None:
    """Delete the application, unsubscribe and delete the queue. A Ctrl-C during cleanup does not stop it."""
    for _ in range(3):  # one retry round if interrupted again
        try:
            if probe is not None and probe.application_name:
                show("cleaning up: deleting the application")
                problem = probe.cleanup()
                if problem:
                    findings.problem(problem)
                result.cleanup.application_deleted = probe.deleted
            if sns_channel is not None:
                show("cleaning up: unsubscribing and deleting the queue")
                sns_channel.close()
                if sns_channel.queue_url:
                    result.cleanup.queue_deleted = sns_channel.queue_deleted
                if sns_channel.subscription_arn:
                    result.cleanup.unsubscribed = sns_channel.unsubscribed
            show("done")
            return
        except KeyboardInterrupt as exc:
            result.interrupt(signum_of(exc))
            continue
