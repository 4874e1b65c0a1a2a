"""The result of a verification: exit code, the ``--json`` object and the human-readable summary."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ebtrail.core.beanstalk import EVENT_SOURCE
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.signals import exit_code_for, signal_name
from ebtrail.verifier.trail_info import TrailInfo
from ebtrail.verifier.verify.channels.base import Arrival, State
from ebtrail.verifier.verify.probe import ProbeCall

CHANNEL_NAMES = ("s3", "sns", "event_history")
CHANNEL_LABELS = {"s3": "S3 log folder", "sns": "SNS notification", "event_history": "Event history"}


class Outcome(StrEnum):
    ARRIVED = "arrived"
    TIMEOUT = "timeout"
    MISCONFIGURED = "misconfigured"
    UNREACHABLE = "unreachable"
    INTERRUPTED = "interrupted"


@dataclass
class ChannelReport:
    name: str
    state: str
    detail: str
    seconds_to_arrival: float | None = None
    polls: int = 0


@dataclass
class Cleanup:
    application_deleted: bool | None = None  # None: no application was created
    queue_deleted: bool | None = None  # None: no queue was created
    unsubscribed: bool | None = None


@dataclass
class VerificationResult:
    outcome: Outcome
    region: str | None = None
    account: str | None = None
    trail: TrailInfo | None = None
    call: ProbeCall | None = None
    confirmation: Arrival | None = None  # the first arrival through a log file (S3 or SNS)
    history: Arrival | None = None  # the event-history arrival, if any
    channels: dict[str, ChannelReport] = field(default_factory=dict)
    findings: Findings = field(default_factory=Findings)
    cleanup: Cleanup = field(default_factory=Cleanup)
    timeout: float = 0.0
    elapsed: float = 0.0
    #: The signal that interrupted the run (SIGINT, SIGTERM, SIGHUP), when the outcome is ``interrupted``.
    signal: int = int(signal.SIGINT)
    #: The step of the run (``verify.run.Step``) that ended it early: by a finding, an interruption or an error;
    #: None when every step ran. Not part of the JSON output.
    stopped_in: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None

    @property
    def exit_code(self) -> int:
        if self.outcome == Outcome.INTERRUPTED:
            return exit_code_for(self.signal)
        return {
            Outcome.ARRIVED: ExitCode.ARRIVED,
            Outcome.TIMEOUT: ExitCode.TIMEOUT,
            Outcome.MISCONFIGURED: ExitCode.MISCONFIGURED,
            Outcome.UNREACHABLE: ExitCode.UNREACHABLE,
        }[self.outcome]

    def interrupt(self, signum: int) -> None:
        self.outcome = Outcome.INTERRUPTED
        self.signal = signum

    @property
    def record(self) -> dict[str, Any] | None:
        if self.confirmation:
            return self.confirmation.record
        return self.history.record if self.history else None

    def problems(self) -> list[str]:
        out = list(self.findings.problems)
        if self.outcome == Outcome.TIMEOUT:
            seen = (
                f"; event history shows the call (after {self.history.seconds:.0f}s), so CloudTrail saw it but "
                "has not delivered a log file yet (delivery takes about 5 minutes on average, with no maximum)"
                if self.history
                else ""
            )
            out.append(f"no log file holding the record arrived within {self.timeout:g}s{seen}")
        if self.outcome == Outcome.UNREACHABLE:
            out.extend(f"could not reach AWS: {text}" for text in self.findings.unreachable)
        if self.outcome == Outcome.INTERRUPTED:
            when = "after the record arrived" if self.confirmed else "before the record arrived"
            out.append(f"interrupted by {signal_name(self.signal)} {when}")
        return out

    def to_json(self) -> dict[str, Any]:
        c = self.confirmation
        return {
            "confirmed": self.confirmed,
            "outcome": str(self.outcome),
            "exit_code": int(self.exit_code),
            "signal": signal_name(self.signal) if self.outcome == Outcome.INTERRUPTED else None,
            "request_id": self.call.request_id if self.call else None,
            "event_name": self.call.event_name if self.call else None,
            "event_source": EVENT_SOURCE,
            "application_name": self.call.application_name if self.call else None,
            "called_at": self.call.called_at.isoformat() if self.call else None,
            "region": self.region,
            "account": self.account,
            "trail": self.trail.as_dict() if self.trail else None,
            "log_file": c.log_file.as_dict() if c and c.log_file else None,
            "matched_by": c.matched_by if c else (self.history.matched_by if self.history else None),
            "record": self.record,
            "seconds_to_arrival": {
                name: (self.channels[name].seconds_to_arrival if name in self.channels else None)
                for name in CHANNEL_NAMES
            },
            "channels": {
                name: {"state": ch.state, "detail": ch.detail, "polls": ch.polls} for name, ch in self.channels.items()
            },
            "problems": self.problems(),
            "warnings": list(self.findings.warnings),
            "cleanup": {
                "application_deleted": self.cleanup.application_deleted,
                "queue_deleted": self.cleanup.queue_deleted,
                "unsubscribed": self.cleanup.unsubscribed,
            },
            "elapsed_seconds": round(self.elapsed, 3),
        }


_STATE_STYLE = {
    State.WAITING: "yellow",
    State.ARRIVED: "green",
    State.UNAVAILABLE: "red",
    State.STOPPED: "dim",
}


def channel_table(channels: dict[str, ChannelReport]) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("channel")
    table.add_column("state")
    table.add_column("arrival", justify="right")
    table.add_column("detail", overflow="fold")
    for name in CHANNEL_NAMES:
        ch = channels.get(name)
        if ch is None:
            continue
        style = _STATE_STYLE.get(State(ch.state), "")
        secs = f"{ch.seconds_to_arrival:.1f}s" if ch.seconds_to_arrival is not None else "-"
        table.add_row(CHANNEL_LABELS[name], Text(ch.state, style=style), secs, ch.detail)
    return table


def _cleanup_words(result: VerificationResult) -> str:
    cl = result.cleanup
    done = [ok for ok in (cl.application_deleted, cl.queue_deleted, cl.unsubscribed) if ok is not None]
    if not done:
        return "nothing had been created"
    return "resources cleaned up" if all(done) else "cleanup FAILED (see below)"


def summary(result: VerificationResult) -> RenderableType:
    """The readable summary printed without ``--json``."""
    headline = {
        Outcome.ARRIVED: ("ARRIVED", "green", "the Elastic Beanstalk call was recorded and its log file delivered"),
        Outcome.TIMEOUT: ("TIMEOUT", "yellow", "no log file holding the record arrived before the timeout"),
        Outcome.MISCONFIGURED: ("MISCONFIGURED", "red", "the trail or the verifier's permissions are misconfigured"),
        Outcome.UNREACHABLE: ("UNREACHABLE", "yellow", "could not reach AWS; no verdict (retry later)"),
        Outcome.INTERRUPTED: ("INTERRUPTED", "red", f"by {signal_name(result.signal)}; {_cleanup_words(result)}"),
    }[result.outcome]
    parts: list[RenderableType] = [
        Text.assemble((f"{headline[0]} ", f"bold {headline[1]}"), headline[2], f" (exit {int(result.exit_code)})")
    ]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    if result.trail:
        t = result.trail
        facts.add_row("trail", f"{t.arn}{' (organization)' if t.organization else ''}")
        facts.add_row("bucket", f"s3://{t.bucket}/{t.prefix}")
    if result.account or result.region:
        caller = [f"account {result.account}" if result.account else "account unknown", f"region {result.region}"]
        facts.add_row("caller", ", ".join(caller) if result.region else caller[0])
    if result.call:
        facts.add_row("call", f"{result.call.event_name} {result.call.application_name}")
        facts.add_row("request id", result.call.request_id)
        facts.add_row("called at", result.call.called_at.isoformat(timespec="seconds"))
    c = result.confirmation
    if c and c.log_file:
        facts.add_row("log file", f"s3://{c.log_file.bucket}/{c.log_file.key}")
        facts.add_row("matched by", c.matched_by)
        rec = c.record
        facts.add_row(
            "record",
            f"eventTime {rec.get('eventTime')}, eventID {rec.get('eventID')}, "
            f"user {(rec.get('userIdentity') or {}).get('arn')}, from {rec.get('sourceIPAddress')}",
        )
    cl = result.cleanup
    if cl.application_deleted is not None or cl.queue_deleted is not None:
        facts.add_row(
            "cleanup",
            ", ".join(
                f"{what}: {'done' if ok else 'FAILED'}"
                for what, ok in (
                    ("application deleted", cl.application_deleted),
                    ("queue deleted", cl.queue_deleted),
                    ("unsubscribed", cl.unsubscribed),
                )
                if ok is not None
            ),
        )
    parts.append(facts)
    if result.channels:
        parts.append(channel_table(result.channels))
    problems = result.problems()
    if problems:
        parts.append(Text("problems:", style="bold red"))
        parts.extend(Text(f"  - {p}") for p in problems)
    if result.findings.warnings:
        parts.append(Text("warnings:", style="bold yellow"))
        parts.extend(Text(f"  - {w}") for w in result.findings.warnings)
    return Panel(Group(*parts), title="ebtrail verify", expand=False)
