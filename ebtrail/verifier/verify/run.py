"""One verification, start to finish, in steps around one object that owns what the run creates.

:func:`run` never raises for AWS errors (they become problems in the result) and always cleans up: the
application, the queue and the subscription, also on Ctrl-C (``KeyboardInterrupt``), after which the result's
outcome is ``interrupted``.

The steps are methods of :class:`Verification`, in this order (:class:`Step` names them): check the trail and
region, identify the caller, read the trail, open the channels, make the call, wait for the record. A step that
ends the run raises :class:`RunEndedError` after recording why in the findings; whichever way the run ends (a verdict,
a finding, an interruption, an unexpected error), :meth:`Verification.clean_up` deletes what the run created and
nothing else: the probe and the SNS channel are known to the object only once the step that creates them has
started creating them, and each deletes only what carries this run's name and nonce.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import NoReturn

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
from ebtrail.verifier.trail_info import TrailInfo, read_trail
from ebtrail.verifier.verify.channels.base import Channel
from ebtrail.verifier.verify.channels.event_history import EventHistoryChannel
from ebtrail.verifier.verify.channels.logfiles import LogFileScanner
from ebtrail.verifier.verify.channels.s3 import S3Channel
from ebtrail.verifier.verify.channels.sns import SnsChannel, topic_region
from ebtrail.verifier.verify.probe import Probe, ProbeCall, ProbeError
from ebtrail.verifier.verify.report import ChannelReport, Outcome, VerificationResult
from ebtrail.verifier.verify.wait import verdict, wait_for_record

DEFAULT_TIMEOUT = 900.0
SKEW_WARNING = timedelta(minutes=1)
#: Rounds of cleanup: a Ctrl-C during one (without a signal guard) starts the next, so that one retry is left.
CLEANUP_ROUNDS = 3


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


class Step(StrEnum):
    """The steps of a run, in order; the result's ``stopped_in`` and an unexpected error's note name them."""

    ARGUMENTS = "check the trail and region"
    CALLER = "identify the caller"
    TRAIL = "read the trail"
    CHANNELS = "open the channels"
    CALL = "make the call"
    WAIT = "wait for the record"
    CLEANUP = "clean up"


class RunEndedError(Exception):
    """Raised by a step that ends the run early; the findings and the result's outcome say why."""


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


class Verification:
    """One run: its result, its progress, and the only owner of what it creates (the SNS channel's queue and
    subscription, the probe's application), which :meth:`clean_up` deletes whichever way the run ends."""

    def __init__(
        self,
        session: boto3.Session,
        trail: str,
        region: str | None = None,
        *,
        settings: Settings | None = None,
        clock: Clock | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.session = session
        self.trail = trail
        self.region = region
        self.settings = settings or Settings()
        self.clock = clock or SystemClock()
        self.on_progress = on_progress
        self.findings = Findings()
        self.result = VerificationResult(
            outcome=Outcome.MISCONFIGURED, findings=self.findings, timeout=self.settings.timeout
        )
        self.progress = Progress(phase="reading the trail", timeout=self.settings.timeout, started=None)
        self.step: Step | None = None
        self.channels: list[Channel] = []
        #: What the run creates, once the step that creates it has begun (cleanup deletes only these).
        self.sns: SnsChannel | None = None
        self.probe: Probe | None = None
        self._start_mono = self.clock.monotonic()

    # --- the run --------------------------------------------------------------------------------------------

    def run(self, guard: SignalGuard | None = None) -> VerificationResult:
        """Run the steps, then clean up whatever happened. An interruption (Ctrl-C, or SIGTERM/SIGHUP turned
        into :class:`~ebtrail.verifier.signals.Interrupted` by ``guard``) ends the run with the outcome
        ``interrupted``; an unexpected error is raised after cleanup, with a note naming its step."""
        if guard is not None:
            guard.leftovers = self.leftovers
        try:
            self._steps()
        except RunEndedError:
            self.result.stopped_in = self.step
        except KeyboardInterrupt as exc:
            self.result.stopped_in = self.step
            self.result.interrupt(signum_of(exc))
        except Exception as exc:
            self.result.stopped_in = self.step
            exc.add_note(f"ebtrail-verify verify failed in step {str(self.step or 'before the first step')!r}")
            raise
        finally:
            self._end(guard)
        return self.result

    def _steps(self) -> None:
        """The steps in order, each given what the earlier ones found."""
        clients = self._check_arguments()
        account = self._identify_caller(clients)
        trail = self._read_trail(clients, account)
        self._open_channels(clients, account, trail)
        call, call_mono = self._make_call(clients)
        self._wait(call, call_mono)

    def _enter(self, step: Step) -> None:
        self.step = step

    def _stop(self, problem: str) -> NoReturn:
        """End the run as misconfigured (exit 2) with ``problem``."""
        self.findings.problem(problem)
        raise RunEndedError(problem)

    def _unreachable(self, outage: str) -> NoReturn:
        """End the run without a verdict (exit 3): AWS could not be reached."""
        self.findings.outage(outage)
        self.result.outcome = Outcome.UNREACHABLE
        raise RunEndedError(outage)

    def show(self, phase: str | None = None) -> None:
        """Tell the live display (if any) the phase and the channels' states."""
        if phase:
            self.progress.phase = phase
        self.progress.channels = _report(self.channels)
        if self.on_progress:
            self.on_progress(self.progress)

    # --- the steps ------------------------------------------------------------------------------------------

    def _check_arguments(self) -> Clients:
        """A malformed trail name or no region is the caller's mistake (exit 2), told before any request."""
        self._enter(Step.ARGUMENTS)
        problem = trail_argument_problem(self.trail)
        if problem:
            self._stop(problem)
        try:
            clients = Clients.create(self.session, self.region, self.trail)
        except MissingRegionError as exc:
            self._stop(str(exc))
        self.result.region = clients.region
        self.show()
        return clients

    def _identify_caller(self, clients: Clients) -> str:
        """The caller's account decides which log files are its own; failing here means no credentials (exit 2)
        or no AWS (exit 3), and it is the cheapest call that tells the two apart."""
        self._enter(Step.CALLER)
        try:
            account = clients.account_id()
        except AWS_ERRORS as exc:
            described = describe_error("sts", "GetCallerIdentity", exc)
            if is_transient(exc):
                self._unreachable(described)
            self._stop(f"cannot identify the caller (credentials?): {described}")
        self.result.account = account
        return account

    def _read_trail(self, clients: Clients, account: str) -> TrailInfo:
        """Read and diagnose the trail before anything is created: a trail that cannot deliver the record
        (missing, not logging, wrong selectors) ends the run with nothing to clean up."""
        self._enter(Step.TRAIL)
        read = read_trail(clients, self.trail, account)
        self.result.trail = read.trail
        for w in read.warnings:
            self.findings.warn(w)
        for p in read.problems:
            self.findings.problem(p)
        for u in read.unreachable:
            self.findings.outage(u)
        if read.trail is None or read.problems or read.unreachable:
            if not read.problems and read.unreachable:
                self.result.outcome = Outcome.UNREACHABLE
            raise RunEndedError(self.step)
        return read.trail

    def _open_channels(self, clients: Clients, account: str, trail: TrailInfo) -> None:
        """Subscribe the temporary queue before the call, so that the notification of the call's log file
        cannot be missed. The SNS channel is owned from here on: a queue or subscription cut short by a signal
        is still found and removed by cleanup."""
        self._enter(Step.CHANNELS)
        self.sns, self.channels = self._channels(clients, account, trail)
        self.show("subscribing a temporary queue to the delivery topic")
        self.sns.open(self.clock.now())
        self.result.cleanup.queue_deleted = False if self.sns.queue_url else None
        self.result.cleanup.unsubscribed = False if self.sns.subscription_arn else None

    def _make_call(self, clients: Clients) -> tuple[ProbeCall, float]:
        """Make the Elastic Beanstalk call whose record is looked for. The probe is owned before the request
        is sent: an interrupted CreateApplication may still create the application, which cleanup then finds."""
        self._enter(Step.CALL)
        self.show("calling elasticbeanstalk:CreateApplication")
        self.probe = probe = Probe(clients.elasticbeanstalk(), self.clock)
        try:
            call = probe.create()
        except ProbeError as exc:
            if exc.transient:
                self._unreachable(str(exc))
            self._stop(str(exc))
        finally:
            self.result.cleanup.application_deleted = False if probe.application_name else None
        call_mono = self.clock.monotonic()
        self.result.call = call
        self._warn_about_skew(call)
        return call, call_mono

    def _warn_about_skew(self, call: ProbeCall) -> None:
        """A clock far from AWS's shifts the search window: say so (the window starts at the earlier clock)."""
        skew = call.skew_seconds
        if skew is not None and abs(skew) > SKEW_WARNING.total_seconds():
            self.findings.warn(
                f"this machine's clock differs from AWS's by {skew:+.0f}s (server Date header); the search window "
                f"starts {self.settings.margin.total_seconds():.0f}s before the earlier of the two"
            )

    def _wait(self, call: ProbeCall, call_mono: float) -> None:
        """Wait for a log file holding the record (the proof of delivery), then give the verdict."""
        self._enter(Step.WAIT)
        self.progress.started = call_mono
        self.progress.application_name = call.application_name
        self.progress.request_id = call.request_id
        self.show("waiting for the record")
        confirmation = wait_for_record(
            self.channels, call, call_mono, clock=self.clock, timeout=self.settings.timeout, on_poll=self.show
        )
        self.result.confirmation = confirmation
        self.result.history = next(
            (ch.arrival for ch in self.channels if ch.name == "event_history" and ch.arrival), None
        )
        self.result.outcome = verdict(confirmation, self.channels, self.findings)

    def _channels(self, clients: Clients, account: str, trail: TrailInfo) -> tuple[SnsChannel, list[Channel]]:
        """The three channels, not opened yet: the SNS one (which creates the queue and subscription when opened),
        S3 and event history. S3 and SNS share one log-file scanner, so that a file is read once."""
        s3 = clients.s3()
        scanner = LogFileScanner(s3, self.findings, trail.kms_key_id, trail.partition)
        sns_region = topic_region(trail.topic_arn, clients.region)
        sns = SnsChannel(
            sns=clients.sns(sns_region),
            sqs=clients.sqs(sns_region),
            trail=trail,
            account=account,
            region=clients.region,
            scanner=scanner,
            findings=self.findings,
            clock=self.clock,
            interval=self.settings.sns_interval,
            wait_seconds=self.settings.sns_wait_seconds,
            margin=self.settings.margin,
        )
        s3_channel = S3Channel(
            s3=s3,
            trail=trail,
            account=account,
            region=clients.region,
            scanner=scanner,
            findings=self.findings,
            clock=self.clock,
            interval=self.settings.s3_interval,
            margin=self.settings.margin,
        )
        history = EventHistoryChannel(
            cloudtrail=clients.event_history(),
            findings=self.findings,
            clock=self.clock,
            limiter=RateLimiter(self.clock, self.settings.lookup_min_interval),
            interval=self.settings.event_history_interval,
            margin=self.settings.margin,
        )
        return sns, [sns, s3_channel, history]

    # --- the end, whichever way the run ends ----------------------------------------------------------------

    def _end(self, guard: SignalGuard | None) -> None:
        """Clean up shielded from a further first signal, then complete the result. A signal that came during
        cleanup interrupts the run only now, after cleanup finished; from here on (the caller prints the
        report) a signal only sets the exit code."""
        with guard.shield() if guard else nullcontext():
            if self.result.outcome == Outcome.INTERRUPTED:
                for ch in self.channels:
                    ch.stop(f"stopped by {signal_name(self.result.signal)}")
            self.clean_up()
            if guard is not None and guard.received is not None and self.result.outcome != Outcome.INTERRUPTED:
                self.result.stopped_in = self.result.stopped_in or Step.CLEANUP
                self.result.interrupt(guard.received)
            self.result.channels = _report(self.channels)
            self.result.elapsed = self.clock.monotonic() - self._start_mono
            if guard is not None:
                guard.hold()

    def clean_up(self) -> None:
        """Delete the application, unsubscribe and delete the queue: only what this run created, each at most
        once (both are safe to repeat). A Ctrl-C during cleanup does not stop it: the round starts again."""
        for _ in range(CLEANUP_ROUNDS):
            try:
                self._delete_application()
                self._remove_queue()
                self.show("done")
                return
            except KeyboardInterrupt as exc:
                self.result.stopped_in = self.result.stopped_in or Step.CLEANUP
                self.result.interrupt(signum_of(exc))

    def _delete_application(self) -> None:
        """The probe's application, if the call may have created it (the probe refuses anything not its own)."""
        probe = self.probe
        if probe is None or not probe.application_name:
            return
        self.show("cleaning up: deleting the application")
        problem = probe.cleanup()
        if problem:
            self.findings.problem(problem)
        self.result.cleanup.application_deleted = probe.deleted

    def _remove_queue(self) -> None:
        """The SNS channel's subscription and queue, if it created them (it also recovers an interrupted
        CreateQueue or Subscribe)."""
        sns = self.sns
        if sns is None:
            return
        self.show("cleaning up: unsubscribing and deleting the queue")
        sns.close()
        if sns.queue_url:
            self.result.cleanup.queue_deleted = sns.queue_deleted
        if sns.subscription_arn:
            self.result.cleanup.unsubscribed = sns.unsubscribed

    def leftovers(self) -> list[str]:
        """What the run created and has not deleted yet, with the commands that delete it (for an abort)."""
        out = self.probe.leftovers(self.result.region or "") if self.probe else []
        return out + (self.sns.leftovers() if self.sns else [])


def run(
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
    verification = Verification(session, trail, region, settings=settings, clock=clock, on_progress=on_progress)
    return verification.run(guard)
