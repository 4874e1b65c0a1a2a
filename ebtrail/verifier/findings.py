"""What a verification found besides the record: misconfigurations (exit 2) and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Findings:
    #: Misconfigurations, missing permissions: the run exits 2 unless the record was confirmed anyway.
    problems: list[str] = field(default_factory=list)
    #: Skipped objects, channels an endpoint does not implement, retries that gave up ...
    warnings: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)
