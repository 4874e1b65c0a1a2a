"""What every refusal in the bad-input corpus must look like: the documented exit code, the one clear message
(present, and only once), and no traceback."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    """One bad input: ``args`` (command line), ``env`` (variables set, or removed with None), the exit code and a
    fragment of the message that must appear exactly once in the output."""

    id: str
    args: tuple[str, ...]
    exit_code: int
    message: str
    env: dict[str, str | None] = field(default_factory=dict)


def assert_refused(exit_code: int, stdout: str, stderr: str, case_exit: int, message: str) -> None:
    output = stdout + stderr
    assert exit_code == case_exit, f"exit {exit_code}, expected {case_exit}:\n{output}"
    assert "Traceback" not in output, output
    flat = " ".join(output.split())  # a console may wrap a long line anywhere
    assert flat.count(" ".join(message.split())) == 1, f"{message!r} expected once in:\n{output}"
