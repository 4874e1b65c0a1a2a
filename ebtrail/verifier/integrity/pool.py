"""A bounded pool of worker threads for the integrity check's S3 reads.

Why not ``concurrent.futures.ThreadPoolExecutor``: its threads are joined when the interpreter exits, so after a
Ctrl-C or SIGTERM the process would wait for every request in flight (up to botocore's read timeout) before it
could print its report. These threads are daemons, and :meth:`Pool.map` keeps at most ``2 x workers`` items in
flight, so memory does not grow with the number of items however many there are.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STOP = object()


class _Task(Generic[T, R]):
    __slots__ = ("fn", "item", "results")

    def __init__(self, fn: Callable[[T], R], item: T, results: queue.SimpleQueue[tuple[T, Any, BaseException | None]]):
        self.fn = fn
        self.item = item
        self.results = results


class Pool:
    """``workers`` daemon threads (started on first use); ``workers <= 1`` runs everything in the caller's thread."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """``(item, fn(item))`` for every item, in the order they finish. An exception raised by ``fn`` is raised
        here (the other items in flight are abandoned); so is a KeyboardInterrupt while waiting."""
        if self.workers == 1:
            for item in items:
                yield item, fn(item)
            return
        self._start()
        results: queue.SimpleQueue[tuple[T, Any, BaseException | None]] = queue.SimpleQueue()
        source = iter(items)
        in_flight = 0
        exhausted = False
        while True:
            while not exhausted and in_flight < 2 * self.workers:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                self._tasks.put(_Task(fn, item, results))
                in_flight += 1
            if in_flight == 0:
                return
            item, value, error = results.get()
            in_flight -= 1
            if error is not None:
                raise error
            yield item, value

    def close(self) -> None:
        """Stop the threads once they finish what they are doing (never waits for them)."""
        while True:
            try:
                self._tasks.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._tasks.put(_STOP)
        self._threads = []

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _start(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"integrity-{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is _STOP:
                return
            try:
                task.results.put((task.item, task.fn(task.item), None))
            except BaseException as exc:
                task.results.put((task.item, None, exc))
