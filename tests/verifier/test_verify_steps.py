"""The steps of ``verify.run`` one by one: whichever step an interruption or an unexpected error ends the run in,
what the run created is deleted, nothing else is, and the result (or the error's note) names the step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from ebtrail.core.permissions import RESOURCE_PREFIX
from ebtrail.verifier.verify.report import Outcome, VerificationResult
from ebtrail.verifier.verify.run import Settings, Step, Verification
from tests.verifier.verify_double import REGION, TRAIL, CloudTrailDouble, Deployment, FakeClock, deny, deploy

NOTHING_LEFT: dict[str, list[str]] = {"applications": [], "queues": [], "subscriptions": []}

#: Each step and its method, in the order of the run.
STEP_METHODS = {
    Step.ARGUMENTS: "_check_arguments",
    Step.CALLER: "_identify_caller",
    Step.TRAIL: "_read_trail",
    Step.CHANNELS: "_open_channels",
    Step.CALL: "_make_call",
    Step.WAIT: "_wait",
}
#: What exists once each step is done (the cleanup flags of the result: None, nothing of that kind was created).
CREATED_BY = {
    Step.ARGUMENTS: (None, None, None),
    Step.CALLER: (None, None, None),
    Step.TRAIL: (None, None, None),
    Step.CHANNELS: (None, True, True),
    Step.CALL: (True, True, True),
    Step.WAIT: (True, True, True),
}


def verify(dep: Deployment, clock: FakeClock, settings: Settings) -> VerificationResult:
    return Verification(dep.session, TRAIL, REGION, settings=settings, clock=clock).run()


def fail_after(monkeypatch: pytest.MonkeyPatch, step: Step, error: BaseException) -> None:
    """Make ``step`` raise ``error`` once it has done its work (what it creates exists)."""
    original: Callable[..., Any] = getattr(Verification, STEP_METHODS[step])

    def failing(self: Verification, *args: Any) -> Any:
        original(self, *args)
        raise error

    monkeypatch.setattr(Verification, STEP_METHODS[step], failing)


def cleanup_flags(result: VerificationResult) -> tuple[bool | None, bool | None, bool | None]:
    c = result.cleanup
    return c.application_deleted, c.queue_deleted, c.unsubscribed


def test_the_steps_are_listed_in_the_order_of_the_run() -> None:
    assert list(STEP_METHODS) == [s for s in Step if s != Step.CLEANUP]


@pytest.mark.parametrize("step", list(STEP_METHODS))
def test_an_interruption_at_the_end_of_each_step_deletes_what_the_run_created(
    monkeypatch: pytest.MonkeyPatch, session: boto3.Session, clock: FakeClock, fast: Settings, step: Step
) -> None:
    dep = deploy(session)
    CloudTrailDouble(dep, clock, delay=60).install()
    fail_after(monkeypatch, step, KeyboardInterrupt())

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.INTERRUPTED
    assert result.stopped_in == step
    assert cleanup_flags(result) == CREATED_BY[step]
    assert dep.leftovers() == NOTHING_LEFT
    assert all(ch.state != "waiting" for ch in result.channels.values()), result.channels


@pytest.mark.parametrize("step", list(STEP_METHODS))
def test_an_unexpected_error_in_each_step_is_raised_after_cleanup_and_names_its_step(
    monkeypatch: pytest.MonkeyPatch, session: boto3.Session, clock: FakeClock, fast: Settings, step: Step
) -> None:
    dep = deploy(session)
    CloudTrailDouble(dep, clock, delay=60).install()
    fail_after(monkeypatch, step, RuntimeError("a bug"))

    with pytest.raises(RuntimeError, match="a bug") as raised:
        verify(dep, clock, fast)

    assert f"ebtrail-verify verify failed in step {step.value!r}" in "".join(raised.value.__notes__)
    assert dep.leftovers() == NOTHING_LEFT


@pytest.mark.parametrize(
    ("event", "step"),
    [
        ("after-call.sqs.CreateQueue", Step.CHANNELS),
        ("after-call.sns.Subscribe", Step.CHANNELS),
        ("after-call.elastic-beanstalk.CreateApplication", Step.CALL),
    ],
)
def test_an_interruption_that_cuts_off_the_answer_of_a_create_still_deletes_what_it_created(
    session: boto3.Session, clock: FakeClock, fast: Settings, event: str, step: Step
) -> None:
    """AWS carried out the request but the run never read the answer (no URL, ARN or request id): cleanup
    finds the resource by repeating the idempotent call, or by its name."""
    dep = deploy(session)

    cut: list[str] = []

    def cut_off(**kwargs: Any) -> None:
        """The first answer only: cleanup repeats the call to learn what to delete."""
        if not cut:
            cut.append(event)
            assert dep.leftovers() != NOTHING_LEFT, "AWS created it"
            raise KeyboardInterrupt

    session.events.register(event, cut_off, unique_id="cut-off")

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.INTERRUPTED
    assert result.stopped_in == step
    assert result.call is None
    assert cut == [event]
    assert dep.leftovers() == NOTHING_LEFT


def test_the_run_deletes_only_what_it_created(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    """Another run's queue, subscription and application carry the same prefix: they are left alone."""
    dep = deploy(session)
    other_app = f"{RESOURCE_PREFIX}20260101T000000Z-0123456789ab"
    dep.eb.create_application(ApplicationName=other_app, Description="another run's probe")
    other_queue = dep.sqs.create_queue(QueueName=f"{RESOURCE_PREFIX}20260101T000000Z-cafe")["QueueUrl"]
    other_arn = dep.sqs.get_queue_attributes(QueueUrl=other_queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    dep.sns.subscribe(TopicArn=dep.topic_arn, Protocol="sqs", Endpoint=other_arn)
    before = dep.leftovers()
    CloudTrailDouble(dep, clock, delay=60).install()

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.ARRIVED
    assert result.stopped_in is None
    assert cleanup_flags(result) == (True, True, True)
    assert dep.leftovers() == before


#: A denied operation, the step it ends the run in, and the cleanup flags then.
DENIALS = {
    ("sts", "GetCallerIdentity"): (Step.CALLER, (None, None, None)),
    ("cloudtrail", "GetTrail"): (Step.TRAIL, (None, None, None)),
    # the application's name was chosen before the call: cleanup looked for it and found none
    ("elastic-beanstalk", "CreateApplication"): (Step.CALL, (True, True, True)),
}


@pytest.mark.parametrize("denied", list(DENIALS))
def test_a_finding_that_ends_the_run_names_its_step(
    session: boto3.Session, clock: FakeClock, fast: Settings, denied: tuple[str, str]
) -> None:
    dep = deploy(session)
    deny(session, *denied)
    step, created = DENIALS[denied]

    result = verify(dep, clock, fast)

    assert result.outcome == Outcome.MISCONFIGURED
    assert result.stopped_in == step
    assert cleanup_flags(result) == created
    assert dep.leftovers() == NOTHING_LEFT


def test_a_failed_deletion_does_not_keep_the_rest_from_being_deleted(
    session: boto3.Session, clock: FakeClock, fast: Settings
) -> None:
    dep = deploy(session)
    CloudTrailDouble(dep, clock, delay=60).install()
    deny(session, "elastic-beanstalk", "DeleteApplication")

    result = verify(dep, clock, fast)

    assert cleanup_flags(result) == (False, True, True)
    assert any("delete ebtrail-verify-" in p and "by hand" in p for p in result.findings.problems)
    assert dep.leftovers() == {**NOTHING_LEFT, "applications": [result.call.application_name if result.call else ""]}


def test_a_timeout_runs_every_step(session: boto3.Session, clock: FakeClock, fast: Settings) -> None:
    dep = deploy(session)

    result = verify(dep, clock, Settings(**{**fast.__dict__, "timeout": 30.0}))

    assert result.outcome == Outcome.TIMEOUT
    assert result.stopped_in is None
    assert dep.leftovers() == NOTHING_LEFT
