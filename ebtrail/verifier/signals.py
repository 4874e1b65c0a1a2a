"""How the verifier ends when it is told to stop: SIGINT (Ctrl-C), SIGTERM (a CI job cancel, ``timeout``, a
container stop) and SIGHUP (a closed terminal) are handled alike.

The first signal raises :class:`Interrupted` in the main thread (a ``KeyboardInterrupt``, so every ``finally`` runs
and the verification cleans up what it created), unless cleanup is already running: then it is only recorded and
cleanup goes on. A second signal does not wait for anything: the abort handler prints what is left to delete by
hand and the process exits at once. The exit code is the shell's convention, 128 + the first signal's number:
130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any, NoReturn

#: The signals that end a run with cleanup.
HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_code_for(signum: int) -> int:
    """The shell's exit code for a process ended by ``signum``: 128 + its number."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class Interrupted(KeyboardInterrupt):
    """Raised by the first signal; a ``KeyboardInterrupt`` so that code that already cleans up on Ctrl-C
    cleans up on SIGTERM and SIGHUP too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


def signum_of(exc: BaseException) -> int:
    """The signal behind an interruption (a plain ``KeyboardInterrupt`` is Ctrl-C)."""
    return exc.signum if isinstance(exc, Interrupted) else int(signal.SIGINT)


class SignalGuard:
    """Installs the handlers for SIGINT, SIGTERM and SIGHUP while active (a context manager).

    ``on_abort(signum)`` is called on the second signal and must not return (it prints what is left and
    exits). ``leftovers`` is set by the code that creates resources: it lists what would be left behind now.
    """

    def __init__(self, on_abort: Callable[[int], NoReturn]) -> None:
        self.on_abort = on_abort
        self.received: int | None = None
        self.leftovers: Callable[[], list[str]] = list
        #: A live display (rich ``Live``) to stop before the abort message is printed.
        self.live: Any = None
        self._shielded = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> SignalGuard:
        for sig in HANDLED:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)

    @property
    def exit_code(self) -> int | None:
        return exit_code_for(self.received) if self.received is not None else None

    @contextmanager
    def shield(self) -> Iterator[None]:
        """Inside, a first signal is recorded but does not interrupt (cleanup, printing the report)."""
        self._shielded += 1
        try:
            yield
        finally:
            self._shielded -= 1

    def hold(self) -> None:
        """From now on a first signal is only recorded (the run is over; what follows prints its report)."""
        self._shielded += 1

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Inside, a first signal interrupts again (a wait that created nothing, such as the integrity check)."""
        shielded, self._shielded = self._shielded, 0
        try:
            yield
        finally:
            self._shielded = shielded

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            if not self._shielded:
                raise Interrupted(signum)
            return
        self.on_abort(signum)
