"""Evaluate every CloudTrail request of every trail against its policies: the preflight's verdict.

Exit codes: 0 every request CloudTrail needs would be allowed and every negative denied; 1 some request would
fail (a definite finding, reported even when other policies could not be evaluated); 2 nothing failed but
something could not be evaluated (unreadable policy, unsupported operator, missing permission).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ebtrail.core.iam import CompiledPolicy, Decision, PolicyError, Verdict, compile_policy
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.preflight.cloudtrail_requests import Check, TrailSubject, checks_for

#: The verifier's one set of exit codes (PASS, FAIL, CANNOT_EVALUATE are its preflight words).
PreflightExit = ExitCode


@dataclass(frozen=True)
class CheckResult:
    check: Check
    decision: Decision

    @property
    def ok(self) -> bool | None:
        """True: as CloudTrail needs it; False: a finding; None: cannot evaluate."""
        if self.decision.verdict is Verdict.CANNOT_EVALUATE:
            return None
        return self.decision.allowed == self.check.must_allow

    def explain(self) -> str:
        """One line: the request, the resource, and the statement that decided (or that none allows it)."""
        c, d = self.check, self.decision
        head = f"{c.policy}: {c.label}: {c.request.action} on {c.request.resource}"
        if d.verdict is Verdict.CANNOT_EVALUATE:
            return f"{head}: cannot evaluate ({'; '.join(d.reasons)})"
        if c.must_allow:
            if d.verdict is Verdict.EXPLICIT_DENY:
                return f"{head}: denied by {', '.join(d.statements)}"
            if d.verdict is Verdict.IMPLICIT_DENY:
                return f"{head}: no statement allows it"
            return f"{head}: allowed by {', '.join(d.statements)}"
        if d.allowed:
            return f"{head}: must be denied, but {', '.join(d.statements)} allows it"
        return f"{head}: denied ({d.verdict.value})"


@dataclass
class TrailReport:
    trail: TrailSubject
    results: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.ok is False]

    @property
    def unknown(self) -> list[CheckResult]:
        return [r for r in self.results if r.ok is None]

    @property
    def exit_code(self) -> PreflightExit:
        if self.failures:
            return PreflightExit.FAIL
        if self.unknown or self.problems:
            return PreflightExit.CANNOT_EVALUATE
        return PreflightExit.PASS

    def to_json(self) -> dict[str, Any]:
        t = self.trail
        return {
            "trail": t.arn,
            "source": t.source,
            "bucket": t.bucket,
            "prefix": t.prefix,
            "organization_id": t.organization_id,
            "kms_key": t.kms_key_arn,
            "topic": t.topic_arn,
            "topic_key": t.topic_key_arn,
            "requests": len(self.results),
            "verdict": _VERDICT_WORDS[self.exit_code],
            "exit_code": int(self.exit_code),
            "problems": self.problems,
            "failures": [r.explain() for r in self.failures],
            "cannot_evaluate": [r.explain() for r in self.unknown],
            "checks": [
                {
                    "policy": r.check.policy,
                    "request": r.check.label,
                    "action": r.check.request.action,
                    "resource": r.check.request.resource,
                    "must_be": "allowed" if r.check.must_allow else "denied",
                    "verdict": r.decision.verdict.value,
                    "statements": list(r.decision.statements),
                    "ok": r.ok,
                }
                for r in self.results
            ],
        }


_VERDICT_WORDS = {
    PreflightExit.PASS: "pass",
    PreflightExit.FAIL: "fail",
    PreflightExit.CANNOT_EVALUATE: "cannot evaluate",
}

_POLICY_OF = {
    "bucket policy": "bucket_policy",
    "log key policy": "key_policy",
    "topic policy": "topic_policy",
    "topic key policy": "topic_key_policy",
}


def preflight_trail(trail: TrailSubject, extra_checks: Sequence[Check] = ()) -> TrailReport:
    """CloudTrail's requests against the trail's policies, and ``extra_checks`` (the proof layer's reads)."""
    report = TrailReport(trail, problems=list(trail.unreadable))
    compiled: dict[str, CompiledPolicy | None] = {}
    for check in [*checks_for(trail), *extra_checks]:
        if check.policy not in compiled:
            compiled[check.policy] = _compile(trail, check.policy, report)
        policy = compiled[check.policy]
        if policy is not None:
            report.results.append(CheckResult(check, policy.evaluate(check.request)))
    return report


def _compile(trail: TrailSubject, name: str, report: TrailReport) -> CompiledPolicy | None:
    """The policy compiled once per trail; None (and a problem) when it is missing or invalid."""
    policy: dict[str, Any] | None = getattr(trail, _POLICY_OF[name])
    if policy is None:
        if not any(p.startswith(name) for p in report.problems):
            report.problems.append(f"{name}: not available, so it cannot be evaluated")
        return None
    try:
        return compile_policy(policy)
    except PolicyError as exc:
        report.problems.append(f"{name}: not a valid policy: {exc}")
        return None


def overall_exit(reports: list[TrailReport]) -> PreflightExit:
    if not reports:
        return PreflightExit.CANNOT_EVALUATE
    codes = {r.exit_code for r in reports}
    if PreflightExit.FAIL in codes:
        return PreflightExit.FAIL
    if PreflightExit.CANNOT_EVALUATE in codes:
        return PreflightExit.CANNOT_EVALUATE
    return PreflightExit.PASS


def verdict_word(code: PreflightExit) -> str:
    return _VERDICT_WORDS[code]
