"""What a refused config reports: :class:`Problem` (a field path and what is allowed) and :class:`ConfigError`.

Its own module because every pass reports through it: the structural pass (loading), the rules that tie fields
together, and each topology's own rules, which live with the topology's type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: where (dotted field path) and what is allowed."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


#: At most this many problems are printed; a count of the others follows (a 10 MB file of unknown keys would
#: otherwise print 10 MB).
MAX_PROBLEMS_SHOWN = 50
#: The path of a problem with the file itself (not readable, not TOML): reported on one line.
FILE = "(file)"


class ConfigError(Exception):
    """A config file that must not be deployed; ``problems`` lists every reason (the message shows the first
    :data:`MAX_PROBLEMS_SHOWN` and counts the rest). A file that cannot be read as TOML is one line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        if len(problems) == 1 and problems[0].path == FILE:
            super().__init__(f"{source}: {problems[0].message}")
            return
        shown = problems[:MAX_PROBLEMS_SHOWN]
        lines = [f"  - {p}" for p in shown]
        if len(problems) > len(shown):
            lines.append(f"  ... and {len(problems) - len(shown):,} more (the first {len(shown)} are shown)")
        joined = "\n".join(lines)
        super().__init__(f"{source}: {len(problems):,} problem(s) in the deployment config:\n{joined}")
