"""A pytest plugin for ``bench/suite_bench.py``: the CPU seconds each test costs, its subprocesses included.

Wall time on a shared machine says little; CPU seconds do not depend on the load. The cost of a test is read
from /proc as the CPU time of the worker's whole process tree (the jsii Node kernel, moto_server, ``cdk synth``
and every other child; reaped children count in their parent's ``cutime``/``cstime``) before and after it, setup
and teardown included. Linux only. Written, one JSON object per worker, to ``$EBTRAIL_SUITE_CPU_DIR``.

    .venv/bin/python -m pytest -p bench.suite_cpu ...
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path

import pytest

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        pass
    return found


def tree_cpu(pid: int | None = None) -> float:
    """CPU seconds (user and system) of ``pid`` and all its descendants, alive or reaped."""
    total = 0
    pending = [os.getpid() if pid is None else pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of proc(5), 11-14 after the command name.
        total += sum(int(value) for value in fields[11:15])
        pending += _children(current)
    return total / _TICKS


class _Recorder:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.costs: dict[str, float] = {}
        self.start = tree_cpu()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None]:
        before = tree_cpu()
        yield
        self.costs[item.nodeid] = self.costs.get(item.nodeid, 0.0) + tree_cpu() - before

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        total = tree_cpu() - self.start
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / f"{worker}.json").write_text(json.dumps({"total": total, "tests": self.costs}, indent=0))


def pytest_configure(config: pytest.Config) -> None:
    out = os.environ.get("EBTRAIL_SUITE_CPU_DIR")
    if out:
        config.pluginmanager.register(_Recorder(Path(out)), "ebtrail-suite-cpu")
