"""Printing the result to stdout when its reader may have gone away (``ebtrail-verify ... --json | head -c 10``).

A closed pipe makes a write raise ``BrokenPipeError``. Python's documentation ("Note on SIGPIPE",
https://docs.python.org/3/library/signal.html#note-on-sigpipe) advises pointing stdout at ``os.devnull`` so that
no later write, and not the interpreter's final flush, raises it again, and exiting without a traceback. The run
then ends as it would have: its exit code still carries the verdict (the docs' example exits 1, which here would
say "disproven"). Without this, click turns the error into exit 1 or 0, whatever the verdict was.
"""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console


def silence_stdout() -> None:
    """From now on stdout writes go to ``os.devnull`` (the reader closed the pipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def echo(text: str) -> None:
    """``click.echo`` to stdout (it flushes), quietly nothing more once the reader has closed the pipe."""
    try:
        click.echo(text)
    except BrokenPipeError:
        silence_stdout()


class StdoutConsole(Console):
    """A rich console (stdout unless ``file`` is given) that goes quiet on a closed pipe instead of exiting 1,
    rich's default."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        silence_stdout()
