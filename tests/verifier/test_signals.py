"""SIGINT, SIGTERM and SIGHUP against a real ``moto_server``: at every moment of a run the verifier cleans up what
it created, reports, and exits 130, 143 or 129; a second signal aborts at once and names what is left.

The signal is sent while the proxy holds one AWS operation, so each moment is exact, not a matter of timing:
before the Elastic Beanstalk call (its Subscribe was carried out by moto but its answer never arrives), while
waiting (a ReceiveMessage of the SNS channel), during cleanup (DeleteApplication, after the timeout).
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator

import boto3
import pytest

from tests.verifier.moto_server import (
    NOTHING_LEFT,
    TRAIL,
    HoldingProxy,
    deploy_trail,
    leftovers,
    moto_server,
    start_command,
    start_verifier,
)

SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
#: Seconds before a test gives up on a verifier process that should have reached a point or ended: a guard against a
#: hang, not a timing bound. The verifier starts in about 1 s on an idle machine (most of it importing boto3) but
#: several times that on a loaded 2-core one, with three runs side by side and moto_server sharing the cores.
HANG_GUARD = 120


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[tuple[str, boto3.Session]]:
    with moto_server() as endpoint:
        yield endpoint, deploy_trail(endpoint)


@pytest.fixture
def proxy(moto_endpoint: tuple[str, boto3.Session]) -> Iterator[HoldingProxy]:
    endpoint, session = moto_endpoint
    assert leftovers(session, endpoint) == NOTHING_LEFT
    proxy = HoldingProxy(endpoint)
    yield proxy
    proxy.close()


def _finish(process: subprocess.Popen[str]) -> tuple[int, dict[str, object], str]:
    stdout, stderr = process.communicate(timeout=HANG_GUARD)
    assert "Traceback" not in stderr, stderr
    return process.returncode, json.loads(stdout), stderr


# The three moments: the operation held when the signal is sent, and how the proxy holds it.
MOMENTS = {
    # before the call: moto made the subscription, the verifier never learns its ARN
    "before the call": ("Subscribe", {"forward_first": True}, "60"),
    # while waiting: the first poll of the SNS channel after the call
    "while waiting": ("ReceiveMessage", {"drop": True}, "60"),
    # during cleanup: the run timed out; DeleteApplication is on its way
    "during cleanup": ("DeleteApplication", {}, "1"),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_signal_cleans_up_reports_and_exits_with_its_code(
    moto_endpoint: tuple[str, boto3.Session], moment: str
) -> None:
    """One run per signal, side by side (each behind its own proxy), at the same moment."""
    endpoint, session = moto_endpoint
    assert leftovers(session, endpoint) == NOTHING_LEFT
    operation, how, timeout = MOMENTS[moment]
    proxies = [HoldingProxy(endpoint) for _ in SIGNALS]
    try:
        holds = [proxy.hold(operation, **how) for proxy in proxies]
        processes = [start_verifier(proxy.endpoint, "--timeout", timeout, "--json") for proxy in proxies]
        for hold, process, proxy, (signum, _) in zip(holds, processes, proxies, SIGNALS, strict=True):
            assert hold.reached.wait(timeout=HANG_GUARD), f"the verifier never called {operation}: {proxy.seen}"
            process.send_signal(signum)
            if moment == "during cleanup":
                hold.release.set()  # cleanup goes on after a first signal: let DeleteApplication through
        results = [_finish(process) for process in processes]
    finally:
        for proxy in proxies:
            proxy.close()

    for (signum, exit_code), (code, out, _) in zip(SIGNALS, results, strict=True):
        assert code == exit_code
        assert out["outcome"] == "interrupted"
        assert out["exit_code"] == exit_code
        assert out["signal"] == signal.Signals(signum).name
        cleanup = out["cleanup"]
        assert isinstance(cleanup, dict)
        assert cleanup["queue_deleted"] is True
        assert cleanup["unsubscribed"] is True
        assert cleanup["application_deleted"] is (None if moment == "before the call" else True)
        channels = out["channels"]
        assert isinstance(channels, dict)
        assert all(ch["state"] != "waiting" for ch in channels.values()), channels
    assert leftovers(session, endpoint) == NOTHING_LEFT


def test_a_signal_during_the_call_deletes_the_application_the_answer_never_named(
    moto_endpoint: tuple[str, boto3.Session], proxy: HoldingProxy
) -> None:
    endpoint, session = moto_endpoint
    hold = proxy.hold("CreateApplication", forward_first=True)
    process = start_verifier(proxy.endpoint, "--timeout", "60", "--json")

    assert hold.reached.wait(timeout=HANG_GUARD), proxy.seen
    assert leftovers(session, endpoint)["applications"], "moto created the application"
    process.send_signal(signal.SIGTERM)
    code, out, _ = _finish(process)

    assert code == 143
    assert leftovers(session, endpoint) == NOTHING_LEFT
    assert out["cleanup"] == {"application_deleted": True, "queue_deleted": True, "unsubscribed": True}


def test_a_second_signal_aborts_at_once_and_names_what_is_left(
    moto_endpoint: tuple[str, boto3.Session], proxy: HoldingProxy
) -> None:
    endpoint, session = moto_endpoint
    waiting = proxy.hold("ReceiveMessage", drop=True)
    deleting = proxy.hold("DeleteApplication", drop=True)  # AWS never answers the cleanup
    process = start_verifier(proxy.endpoint, "--timeout", "60", "--json")

    assert waiting.reached.wait(timeout=HANG_GUARD), proxy.seen
    process.send_signal(signal.SIGTERM)
    assert deleting.reached.wait(timeout=HANG_GUARD), proxy.seen
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=HANG_GUARD)
    deleting.release.set()

    assert process.returncode == 143  # the first signal's code
    assert "Traceback" not in stderr
    assert "aborted by a second signal (SIGINT)" in stderr
    out = json.loads(stdout)
    assert out["outcome"] == "aborted"
    left = leftovers(session, endpoint)
    named = "\n".join(out["left_behind"])
    for kind in ("applications", "queues", "subscriptions"):
        assert len(left[kind]) == 1, left
        name = left[kind][0].rsplit("/", 1)[-1]  # a queue URL names the host it was created through
        assert name in named
        assert name in stderr
    _delete(session, endpoint, left)


def test_sighup_without_json_prints_the_interrupted_summary(
    moto_endpoint: tuple[str, boto3.Session], proxy: HoldingProxy
) -> None:
    endpoint, session = moto_endpoint
    hold = proxy.hold("ReceiveMessage", drop=True)
    process = start_verifier(proxy.endpoint, "--timeout", "60")

    assert hold.reached.wait(timeout=HANG_GUARD), proxy.seen
    process.send_signal(signal.SIGHUP)
    stdout, stderr = process.communicate(timeout=HANG_GUARD)

    assert process.returncode == 129
    assert "Traceback" not in stderr
    assert "INTERRUPTED by SIGHUP; resources cleaned up (exit 129)" in " ".join(stdout.split())
    assert "waiting" not in stdout
    assert leftovers(session, endpoint) == NOTHING_LEFT


def _delete(session: boto3.Session, endpoint: str, left: dict[str, list[str]]) -> None:
    for name in left["applications"]:
        session.client("elasticbeanstalk", endpoint_url=endpoint).delete_application(ApplicationName=name)
    for arn in left["subscriptions"]:
        session.client("sns", endpoint_url=endpoint).unsubscribe(SubscriptionArn=arn)
    for url in left["queues"]:
        session.client("sqs", endpoint_url=endpoint).delete_queue(QueueUrl=url)


@pytest.mark.parametrize(("signum", "exit_code"), SIGNALS[:2])
def test_integrity_json_prints_its_object_when_interrupted(
    proxy: HoldingProxy, signum: signal.Signals, exit_code: int
) -> None:
    """As ``verify --json`` does: one JSON object with the signal and its exit code, which the process exits with."""
    hold = proxy.hold("GetTrail", drop=True)
    process = start_command(proxy.endpoint, "integrity", "--trail", TRAIL, "--since", "2026-01-01", "--json")

    assert hold.reached.wait(timeout=HANG_GUARD), proxy.seen
    process.send_signal(signum)
    code, out, stderr = _finish(process)

    assert code == exit_code
    assert out["exit_code"] == exit_code and out["signal"] == signum.name and out["ok"] is False
    assert out["errors"] == [f"interrupted by {signum.name}: integrity check not finished (it creates nothing)"]
    assert stderr == ""


def test_integrity_without_json_says_it_was_interrupted(proxy: HoldingProxy) -> None:
    hold = proxy.hold("GetTrail", drop=True)
    process = start_command(proxy.endpoint, "integrity", "--trail", TRAIL, "--since", "2026-01-01")

    assert hold.reached.wait(timeout=HANG_GUARD), proxy.seen
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=HANG_GUARD)

    assert process.returncode == 130
    assert stdout == ""
    assert stderr.strip() == "interrupted by SIGINT: integrity check not finished (it creates nothing)"
