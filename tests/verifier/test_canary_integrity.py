"""The canary's hourly integrity check against signed chains in moto S3 (ListPublicKeys stubbed).

moto stamps every object with the real time as ``LastModified``; the runs here happen ten days later on a fake
clock, so "delivered since the previous run" is decided by the digests' key times (as for CloudTrail's own files,
whose key time is at most minutes before their delivery). :func:`new_digests` is tested on ``LastModified`` alone.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from ebtrail.core.canary import CANARY_RAN, DIGEST_OVERDUE, DIGESTS_LATE, INTEGRITY_CHECKED, INTEGRITY_FAILURES
from ebtrail.core.cloudtrail_layout import key_prefix
from ebtrail.lambdas.canary_integrity import IntegrityRun, IntegrityScope, check_integrity, new_digests
from ebtrail.verifier.integrity.keys import Location
from ebtrail.verifier.integrity.model import Status
from tests.verifier.integrity_fixtures import (
    ACCOUNT,
    BUCKET,
    ORG_ID,
    PREFIX,
    REGION,
    TRAIL,
    Digest,
    SigningKey,
    StubbedClients,
    TrailWriter,
)

OTHER_REGION = "eu-west-1"
# Ten days after moto's LastModified stamps (the real time), on the hour plus a minute.
NOW = (datetime.now(UTC) + timedelta(days=10)).replace(minute=1, second=0, microsecond=0)
WINDOW = timedelta(minutes=70)


@pytest.fixture
def session(moto: None) -> boto3.Session:
    session = boto3.Session(region_name=REGION)
    session.client("s3").create_bucket(Bucket=BUCKET)
    return session


def clients_for(session: boto3.Session, *keys: SigningKey, regions: tuple[str, ...] = (REGION,)) -> StubbedClients:
    clients = StubbedClients(session)
    for region in regions:
        clients.add_public_keys(*keys, region=region)
    return clients


def scope(*, organization: bool = False, multi_region: bool = True) -> IntegrityScope:
    return IntegrityScope(
        trail_name=TRAIL,
        home_region=REGION,
        account=ACCOUNT,
        bucket=BUCKET,
        prefix=key_prefix(PREFIX),
        organization=organization,
        multi_region=multi_region,
        window=WINDOW,
    )


def chain(writer: TrailWriter, hours: int, *, end: datetime = NOW, logs: int = 2) -> list[list[tuple[str, str]]]:
    """``hours`` hourly digests, the last one ending 15 minutes before ``end``, each listing ``logs`` log files."""
    periods = []
    previous: Digest | None = writer.digests[-1] if writer.digests else None
    for hour in range(hours, 0, -1):
        start = end - timedelta(minutes=15) - timedelta(hours=hour)
        period = [writer.put_log(start + timedelta(minutes=5 + 20 * i)) for i in range(logs)]
        previous = writer.put_digest(start, period, previous=previous)
        periods.append(period)
    return periods


def failures(run: IntegrityRun) -> dict[str, Status]:
    return {f.key: f.status for r in run.regions for f in r.failures}


def test_an_intact_hour_checks_the_new_digest_its_link_and_its_log_files(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    writer = TrailWriter(s3=s3, key=signing_key)
    chain(writer, 3, logs=3)
    run = check_integrity(clients_for(session, signing_key), scope(), NOW)
    assert run.problems == []
    [region] = run.regions
    # Only the digest delivered since the previous run (70 minutes), and the 3 log files it lists.
    assert (region.region, region.digests, region.log_files, region.late) == (REGION, 1, 3, False)
    assert dict(run.metrics()) == {INTEGRITY_FAILURES: 0.0, INTEGRITY_CHECKED: 4.0, DIGESTS_LATE: 0.0}


@pytest.mark.parametrize("tamper", ["log modified", "log deleted", "previous digest deleted", "digest modified"])
def test_tampering_since_the_previous_run_is_an_integrity_failure(
    session: boto3.Session, s3: Any, signing_key: SigningKey, tamper: str
) -> None:
    writer = TrailWriter(s3=s3, key=signing_key)
    periods = chain(writer, 3)
    newest, previous = writer.digests[-1], writer.digests[-2]
    log_key = periods[-1][0][0]
    expected: dict[str, Status]
    if tamper == "log modified":
        s3.put_object(Bucket=BUCKET, Key=log_key, Body=gzip.compress(b'{"Records": []}'))
        expected = {log_key: Status.MODIFIED}
    elif tamper == "log deleted":
        s3.delete_object(Bucket=BUCKET, Key=log_key)
        expected = {log_key: Status.MISSING}
    elif tamper == "previous digest deleted":
        s3.delete_object(Bucket=BUCKET, Key=previous.key)
        expected = {previous.key: Status.MISSING}
    else:
        body = dict(newest.body, logFiles=[])  # the attacker drops a log file from the list; cannot re-sign
        s3.put_object(
            Bucket=BUCKET,
            Key=newest.key,
            Body=gzip.compress(json.dumps(body).encode()),
            Metadata={"signature": newest.signature, "signature-algorithm": "SHA256withRSA"},
        )
        expected = {newest.key: Status.MODIFIED}
    run = check_integrity(clients_for(session, signing_key), scope(), NOW)
    assert failures(run) == expected
    assert dict(run.metrics())[INTEGRITY_FAILURES] == 1.0


def test_a_digest_deleted_inside_the_window_is_found_through_the_next_ones_link(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    writer = TrailWriter(s3=s3, key=signing_key)
    chain(writer, 4)
    s3.delete_object(Bucket=BUCKET, Key=writer.digests[-2].key)
    run = check_integrity(
        clients_for(session, signing_key), IntegrityScope(**{**vars(scope()), "window": timedelta(hours=3)}), NOW
    )
    assert failures(run) == {writer.digests[-2].key: Status.MISSING}


def test_key_rotation_and_a_backfill_digest_are_not_failures(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    rotated = SigningKey.generate()
    writer = TrailWriter(s3=s3, key=signing_key)
    chain(writer, 2, end=NOW - timedelta(hours=1))  # the previous run's
    start = NOW - timedelta(minutes=75)
    logs = [writer.put_log(start + timedelta(minutes=5))]
    writer.put_digest(start, logs, previous=writer.digests[-1], signer=rotated)
    late_log = writer.put_log(NOW - timedelta(minutes=100))
    writer.put_digest(
        NOW - timedelta(minutes=90), [late_log], backfill_generated=NOW - timedelta(minutes=20), signer=rotated
    )
    run = check_integrity(clients_for(session, signing_key, rotated), scope(), NOW)
    assert run.problems == []
    assert failures(run) == {}
    [region] = run.regions
    assert (region.digests, region.log_files) == (2, 2)  # the hourly one and the backfill one, a log file each


def test_every_region_folder_of_the_trail_is_checked_and_a_silent_one_is_late(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    chain(TrailWriter(s3=s3, key=signing_key), 2)
    other = TrailWriter(s3=s3, key=signing_key, region=OTHER_REGION)
    chain(other, 2, end=NOW - timedelta(hours=3))  # stopped three hours ago
    run = check_integrity(clients_for(session, signing_key, regions=(REGION, OTHER_REGION)), scope(), NOW)
    by_region = {r.region: r for r in run.regions}
    assert set(by_region) == {REGION, OTHER_REGION}
    assert (by_region[REGION].late, by_region[OTHER_REGION].late) == (False, True)
    assert by_region[OTHER_REGION].digests == 0
    assert dict(run.metrics())[DIGESTS_LATE] == 1.0
    single = check_integrity(clients_for(session, signing_key), scope(multi_region=False), NOW)
    assert [r.region for r in single.regions] == [REGION]


def test_a_new_trail_without_digests_is_not_late_and_an_organization_folder_is_found(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    fresh = check_integrity(clients_for(session), scope(organization=True), NOW)
    assert (fresh.problems, fresh.regions, dict(fresh.metrics())[DIGESTS_LATE]) == ([], [], 0.0)
    assert fresh.notes
    writer = TrailWriter(s3=s3, key=signing_key, org_id=ORG_ID)
    periods = chain(writer, 2)
    s3.delete_object(Bucket=BUCKET, Key=periods[-1][1][0])
    run = check_integrity(clients_for(session, signing_key), scope(organization=True), NOW)
    assert failures(run) == {periods[-1][1][0]: Status.MISSING}
    assert f"AWSLogs/{ORG_ID}/{ACCOUNT}/CloudTrail-Digest/" in str(run.regions[0].failures[0].digest)


def late_at(session: boto3.Session, key: SigningKey, now: datetime, started: datetime | None) -> tuple[bool, ...]:
    """Whether each region of a run at ``now`` is late, for a trail that last started logging at ``started``."""
    run = check_integrity(
        clients_for(session, key, regions=(REGION, OTHER_REGION)),
        IntegrityScope(**{**vars(scope()), "logging_started": started}),
        now,
    )
    assert run.problems == []
    return tuple(r.late for r in run.regions)


def test_after_a_rename_only_the_new_trails_own_digests_count_from_its_start(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    """The folders exist (the old name wrote them until the rename), the new name has no digest yet: not late
    while the trail has logged for less than DIGEST_OVERDUE, late after it (issue 17 item 7: a deploy must not
    alarm). The old behaviour paged on the first run."""
    old_name = TrailWriter(s3=s3, key=signing_key, trail="ebtrail-old-name")
    chain(old_name, 3)  # delivered until 15 minutes ago, in the home region folder
    renamed = NOW - timedelta(minutes=10)
    assert late_at(session, signing_key, NOW, renamed) == (False,)
    assert late_at(session, signing_key, NOW, None) == (True,)  # without a start time: the old verdict
    assert late_at(session, signing_key, renamed + DIGEST_OVERDUE + timedelta(minutes=5), renamed) == (True,)
    # Its first own digest, an hour after the rename: judged by that digest again.
    own = TrailWriter(s3=s3, key=signing_key)
    chain(own, 1, end=renamed + timedelta(hours=1, minutes=15))
    assert late_at(session, signing_key, renamed + timedelta(hours=2), renamed) == (False,)


def test_after_a_redeploy_under_the_same_name_the_old_digests_do_not_make_it_late(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    """Destroyed five hours ago (its newest digest ended then), deployed again 20 minutes ago under the same name,
    in both region folders: late only once the new trail has logged for longer than DIGEST_OVERDUE."""
    chain(TrailWriter(s3=s3, key=signing_key), 2, end=NOW - timedelta(hours=5))
    chain(TrailWriter(s3=s3, key=signing_key, region=OTHER_REGION), 2, end=NOW - timedelta(hours=5))
    redeployed = NOW - timedelta(minutes=20)
    assert late_at(session, signing_key, NOW, redeployed) == (False, False)
    assert late_at(session, signing_key, NOW, None) == (True, True)
    assert late_at(session, signing_key, NOW + timedelta(hours=2), redeployed) == (True, True)


def test_a_home_folder_never_written_is_late_once_the_trail_has_logged_longer_than_overdue(
    session: boto3.Session,
) -> None:
    started = NOW - timedelta(minutes=30)
    assert late_at(session, SigningKey.generate(), NOW, started) == (False,)
    assert late_at(session, SigningKey.generate(), NOW, None) == (False,)  # unknown start: only noted
    later = started + DIGEST_OVERDUE + timedelta(minutes=1)
    assert late_at(session, SigningKey.generate(), later, started) == (True,)


def test_the_canary_reads_start_logging_time_from_get_trail_status() -> None:
    from ebtrail.verifier.trail_info import TrailInfo

    trail = TrailInfo.from_arn(f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}", bucket=BUCKET)
    started = datetime(2026, 3, 14, 11, 0, tzinfo=UTC)
    assert trail.with_status({"IsLogging": True, "StartLoggingTime": started}).logging_started == started
    assert trail.with_status({"IsLogging": True}).logging_started is None


def test_an_unknown_public_key_is_a_problem_of_the_run_not_a_failure(
    session: boto3.Session, s3: Any, signing_key: SigningKey
) -> None:
    chain(TrailWriter(s3=s3, key=signing_key), 2)
    run = check_integrity(clients_for(session, SigningKey.generate()), scope(), NOW)
    assert failures(run) == {}
    assert run.problems and "public key not found" in run.problems[0]


def test_new_digests_uses_last_modified_as_well_as_the_key_time() -> None:
    location = Location(BUCKET, key_prefix(PREFIX), None, ACCOUNT, REGION)
    pattern = location.digest_key_regex(TRAIL, REGION)
    old = location.digest_key(TRAIL, REGION, NOW - timedelta(hours=5))
    recent = location.digest_key(TRAIL, REGION, NOW - timedelta(minutes=30))
    backfill = location.digest_key(TRAIL, REGION, NOW - timedelta(hours=9), backfill=True)
    other_trail = location.digest_key("other", REGION, NOW - timedelta(minutes=30))
    items = [
        {"Key": old, "LastModified": NOW - timedelta(hours=5)},
        {"Key": recent, "LastModified": NOW - timedelta(minutes=29)},
        {"Key": backfill, "LastModified": NOW - timedelta(minutes=10)},  # delivered late: new
        {"Key": other_trail, "LastModified": NOW},
    ]
    keys, newest = new_digests(items, pattern, NOW, WINDOW)
    assert keys == [backfill, recent]
    assert newest == NOW.replace(second=0) - timedelta(minutes=30)


def test_the_window_comes_from_the_functions_environment_and_the_metrics_reach_the_report() -> None:
    from ebtrail.core.canary import ENV_BUCKET, ENV_INTEGRITY_WINDOW_MINUTES, ENV_TRAIL_ARN
    from ebtrail.lambdas.canary import CanaryConfigError, CanaryReport, CanarySettings

    env = {ENV_TRAIL_ARN: f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}", ENV_BUCKET: BUCKET}
    assert CanarySettings.from_environment(env).integrity_window == timedelta(minutes=70)
    settings = CanarySettings.from_environment(env | {ENV_INTEGRITY_WINDOW_MINUTES: "25"})
    assert settings.integrity_window == timedelta(minutes=25)
    with pytest.raises(CanaryConfigError, match=ENV_INTEGRITY_WINDOW_MINUTES):
        CanarySettings.from_environment(env | {ENV_INTEGRITY_WINDOW_MINUTES: "soon"})
    report = CanaryReport(trail_name=TRAIL, at=NOW, integrity=IntegrityRun())
    assert {d["MetricName"]: d["Value"] for d in report.metric_data()} == {
        CANARY_RAN: 1.0,  # the heartbeat every run publishes (issue 17 item 7)
        INTEGRITY_FAILURES: 0.0,
        INTEGRITY_CHECKED: 0.0,
        DIGESTS_LATE: 0.0,
    }


def test_requests_of_one_run_for_the_cost_model(session: boto3.Session, s3: Any, signing_key: SigningKey) -> None:
    """The README's cost per trail counts these: per region and run, one LIST of its digests (plus one LIST of the
    region folders per run), GETs of the new digest, of the previous one and of each log file it lists."""
    writer = TrailWriter(s3=s3, key=signing_key)
    chain(writer, 3, logs=12)
    clients = clients_for(session, signing_key)
    calls: list[str] = []
    clients.s3().meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    run = check_integrity(clients, scope(), NOW)
    assert (run.failures, run.checked) == (0, 13)
    assert Counter(calls) == {"ListObjectsV2": 2, "GetObject": 1 + 1 + 12}


@pytest.mark.parametrize(
    "case",
    ["valid", "log modified", "log deleted", "digest modified", "digest deleted", "backfill", "rotation", "gap"],
)
def test_the_canary_gives_the_verdicts_of_an_integrity_run(
    session: boto3.Session, s3: Any, signing_key: SigningKey, case: str
) -> None:
    """Over a window holding the whole chain, the canary's failures are exactly those of ``verify_integrity``."""
    from ebtrail.verifier.integrity import TrailInfo, verify_integrity
    from tests.verifier.verify_double import FakeClock

    rotated = SigningKey.generate()
    writer = TrailWriter(s3=s3, key=signing_key)
    periods = chain(writer, 5, logs=3)
    d = writer.digests
    if case == "log modified":
        s3.put_object(Bucket=BUCKET, Key=periods[2][0][0], Body=gzip.compress(b'{"Records": []}'))
    elif case == "log deleted":
        s3.delete_object(Bucket=BUCKET, Key=periods[3][1][0])
    elif case == "digest modified":
        metadata = s3.head_object(Bucket=BUCKET, Key=d[2].key)["Metadata"]
        body = gzip.compress(json.dumps(dict(d[2].body, logFiles=[])).encode())
        s3.put_object(Bucket=BUCKET, Key=d[2].key, Body=body, Metadata=metadata)
    elif case == "digest deleted":
        s3.delete_object(Bucket=BUCKET, Key=d[1].key)
    elif case == "backfill":
        late = writer.put_log(NOW - timedelta(hours=3, minutes=30))
        writer.put_digest(NOW - timedelta(hours=4), [late], backfill_generated=NOW - timedelta(hours=1))
    elif case == "rotation":
        start = NOW - timedelta(minutes=15)
        writer.put_digest(start, [writer.put_log(start + timedelta(minutes=2))], previous=d[-1], signer=rotated)
    elif case == "gap":  # logging stopped for two hours, then a new chain
        start = NOW + timedelta(hours=1, minutes=45)
        writer.put_digest(start, [writer.put_log(start + timedelta(minutes=2))], previous=None)
    now = NOW + timedelta(hours=3)
    canary = check_integrity(
        clients_for(session, signing_key, rotated),
        IntegrityScope(**{**vars(scope()), "window": timedelta(hours=9)}),
        now,
    )
    clients = StubbedClients(session)
    clients.add_public_keys(signing_key, rotated)
    report = verify_integrity(
        session,
        TrailInfo.from_arn(f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}", bucket=BUCKET, prefix=PREFIX),
        since=NOW - timedelta(hours=7),
        region=REGION,
        clients=clients,
        clock=FakeClock(now),
    )
    expected = {f.key: f.status for f in report.files if f.status in (Status.MODIFIED, Status.MISSING)}
    assert failures(canary) == expected
    assert bool(expected) is (case in ("log modified", "log deleted", "digest modified", "digest deleted"))
    assert canary.problems == []
