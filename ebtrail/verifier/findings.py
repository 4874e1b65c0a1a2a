"""What a verification found besides the record: misconfigurations (exit 2), outages (exit 3) and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Findings:
    #: Misconfigurations, missing permissions: the run exits 2 unless the record was confirmed anyway.
    problems: list[str] = field(default_factory=list)
    #: AWS could not be reached or kept failing after botocore's retries (connection errors, throttling,
    #: 5xx): no verdict, exit 3 unless a misconfiguration or the record was found anyway.
    unreachable: list[str] = field(default_factory=list)
    #: Skipped objects, channels an endpoint does not implement, retries that gave up ...
    warnings: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def outage(self, text: str) -> None:
        if text not in self.unreachable:
            self.unreachable.append(text)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)
