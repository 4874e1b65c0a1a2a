"""``ebtrail-verify trails`` against moto (in-process): zero, one and two trails recording management events, an
organization trail, the config's own trail, stopped and data-only trails, and bad input; the organization trail
seen from a member account (which moto does not emulate: its shadow trails stay in their own account) and the
estimate from event history (moto has no LookupEvents) with botocore's Stubber."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner, Result

from ebtrail.core.pricing import PAID_MANAGEMENT_EVENTS
from ebtrail.verifier.aws import Clients
from ebtrail.verifier.cli import cli
from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.trails import check
from ebtrail.verifier.trails.check import Status, decide
from ebtrail.verifier.trails.coverage import Coverage, coverage_from_selectors
from ebtrail.verifier.trails.inventory import TrailCache
from ebtrail.verifier.trails.plan import plan_from_data
from ebtrail.verifier.trails.rate import Sample, sample

ACCOUNT = "123456789012"  # moto's
REGION = "us-east-1"
BUCKET = "existing-trail-logs"

SINGLE_ACCOUNT = f"""
[archive]
account = "{ACCOUNT}"
region = "{REGION}"
[trail]
name = "ebtrail-beanstalk-audit"
account = "{ACCOUNT}"
home_region = "{REGION}"
"""


@pytest.fixture
def run(moto: None, tmp_path: Path) -> Callable[..., Result]:
    def invoke(*args: str, config: str | None = None) -> Result:
        argv = ["trails", *args]
        if config is not None:
            path = tmp_path / "config.toml"
            path.write_text(config)
            argv += ["--config", str(path)]
        return CliRunner().invoke(cli, argv, prog_name="ebtrail-verify")

    return invoke


def make_trail(name: str, *, region: str = REGION, multi_region: bool = True, **kwargs: Any) -> str:
    s3 = boto3.client("s3", region_name=REGION)
    if BUCKET not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=BUCKET)
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    arn = cloudtrail.create_trail(Name=name, S3BucketName=BUCKET, IsMultiRegionTrail=multi_region, **kwargs)["TrailARN"]
    cloudtrail.start_logging(Name=name)
    return str(arn)


def as_json(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.output)
    return data


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {r["region"]: r["status"] for account in data["accounts"] for r in account["regions"]}


# --- zero, one, two trails ----------------------------------------------------------------------------------


def test_no_trail_and_a_config_is_the_free_first_copy(run: Callable[..., Result]) -> None:
    result = run("--region", REGION, "--json", config=SINGLE_ACCOUNT)
    assert result.exit_code == ExitCode.NO_PAID_COPY, result.output
    data = as_json(result)
    assert data["verdict"] == "NO_PAID_COPY"
    region = data["accounts"][0]["regions"][0]
    assert (region["copies_now"], region["copies_after_deploy"], region["config_trail"]) == (0, 1, "new")
    assert data["price"] == {
        "usd_per_100k_events": 2.0,
        "as_of": PAID_MANAGEMENT_EVENTS.as_of,
        "source": PAID_MANAGEMENT_EVENTS.source,
    }


def test_no_trail_says_so_in_words(run: Callable[..., Result]) -> None:
    result = run("--region", REGION)
    assert result.exit_code == 0
    assert "No trail records management events in the accounts and regions checked." in result.output


def test_one_trail_without_config_is_no_paid_copy(run: Callable[..., Result]) -> None:
    make_trail("aws-controltower-BaselineCloudTrail")
    result = run("--region", REGION)
    assert result.exit_code == 0, result.output
    assert "aws-controltower-BaselineCloudTrail" in result.output
    assert "no paid copy" in result.output and result.output.rstrip().endswith("trails: NO_PAID_COPY")


def test_one_trail_and_a_config_that_creates_one_adds_a_paid_copy(run: Callable[..., Result]) -> None:
    make_trail("aws-controltower-BaselineCloudTrail")
    result = run("--region", REGION, "--region", "eu-west-1", config=SINGLE_ACCOUNT)
    assert result.exit_code == ExitCode.PAID_COPY, result.output
    rows = [line for line in result.output.splitlines() if "adds a paid copy" in line and "│" in line]
    assert len(rows) == 2 and "us-east-1" in rows[0] and "eu-west-1" in rows[1]  # multi-region: both regions
    assert 'topology = "adopted"' in " ".join(result.output.split())
    assert "$2.00 per 100,000 events" in result.output  # the dated price, even without an estimate (no LookupEvents)
    assert "trails: PAID_COPY" in result.output


def test_two_trails_already_pay_a_second_copy_without_any_config(run: Callable[..., Result]) -> None:
    make_trail("first")
    make_trail("second", region="eu-west-1", multi_region=False)
    data = as_json(run("--region", REGION, "--region", "eu-west-1", "--json"))
    assert data["exit_code"] == 1
    # The single-region trail in eu-west-1 is a second copy there only.
    assert statuses(data) == {REGION: "FREE", "eu-west-1": "EXISTS"}


def test_read_only_beside_write_only_is_no_second_copy(run: Callable[..., Result]) -> None:
    make_trail("reads")
    boto3.client("cloudtrail", region_name=REGION).put_event_selectors(
        TrailName="reads", EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]
    )
    make_trail("writes")
    boto3.client("cloudtrail", region_name=REGION).put_event_selectors(
        TrailName="writes", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    )
    result = run("--region", REGION, "--json")
    assert result.exit_code == 0 and statuses(as_json(result)) == {REGION: "FREE"}
    # A config that records writes only still copies the writes: paid.
    write_only = SINGLE_ACCOUNT.replace(
        'home_region = "us-east-1"', 'home_region = "us-east-1"\nmanagement_events = "WriteOnly"'
    )
    assert run("--region", REGION, config=write_only).exit_code == 1


def test_a_data_events_only_trail_is_no_copy(run: Callable[..., Result]) -> None:
    make_trail("data-only")
    boto3.client("cloudtrail", region_name=REGION).put_event_selectors(
        TrailName="data-only",
        AdvancedEventSelectors=[
            {
                "Name": "Beanstalk bundles",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ],
            }
        ],
    )
    data = as_json(run("--region", REGION, "--json", config=SINGLE_ACCOUNT))
    assert data["exit_code"] == 0
    assert data["accounts"][0]["regions"][0]["management_trails"] == []


def test_a_stopped_trail_is_no_copy(run: Callable[..., Result]) -> None:
    make_trail("stopped")
    boto3.client("cloudtrail", region_name=REGION).stop_logging(Name="stopped")
    assert run("--region", REGION, config=SINGLE_ACCOUNT).exit_code == 0


def test_the_configs_own_trail_is_not_a_second_copy_of_itself(run: Callable[..., Result]) -> None:
    make_trail("ebtrail-beanstalk-audit")
    data = as_json(run("--region", REGION, "--json", config=SINGLE_ACCOUNT))
    assert data["exit_code"] == 0
    assert data["accounts"][0]["regions"][0]["config_trail"] == "deployed"
    make_trail("someone-elses")
    data = as_json(run("--region", REGION, "--json", config=SINGLE_ACCOUNT))
    assert (data["exit_code"], statuses(data)) == (1, {REGION: "EXISTS"})


def test_a_config_for_another_account_adds_nothing_here(run: Callable[..., Result]) -> None:
    make_trail("existing")
    other = SINGLE_ACCOUNT.replace(ACCOUNT, "111111111111")
    data = as_json(run("--region", REGION, "--json", config=other))
    assert data["exit_code"] == 0
    assert data["accounts"][0]["regions"][0]["config_trail"] is None


def test_an_adopting_config_creates_no_management_trail(run: Callable[..., Result]) -> None:
    make_trail("aws-controltower-BaselineCloudTrail")
    result = run("--region", REGION, config='topology = "adopted"\n')
    assert result.exit_code == 0, result.output
    assert "topology adopted creates no trail recording management events" in " ".join(result.output.split())


# --- organization trails ------------------------------------------------------------------------------------


def test_an_organization_trail_and_an_organization_config(run: Callable[..., Result]) -> None:
    organization = boto3.client("organizations", region_name=REGION).create_organization(FeatureSet="ALL")
    org_id = organization["Organization"]["Id"]
    make_trail("aws-controltower-BaselineCloudTrail", IsOrganizationTrail=True)
    config = f"""
topology = "organization"
[organization]
id = "{org_id}"
management_account = "{ACCOUNT}"
home_region = "{REGION}"
[trail]
name = "ebtrail-org-audit"
"""
    data = as_json(run("--region", REGION, "--json", config=config))
    assert data["exit_code"] == 1
    account = data["accounts"][0]
    assert account["organization_id"] == org_id
    assert account["trails"][0]["is_organization_trail"] is True
    assert account["regions"][0]["status"] == "ADDS"


def _member_clients(selectors_denied: bool) -> tuple[Clients, list[Stubber]]:
    """A member account (333333333333) that sees the management account's organization trail as a shadow trail."""
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    clients = Clients(session, REGION)
    client = clients.cloudtrail(REGION)
    stub = Stubber(client)
    org_arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/aws-controltower-BaselineCloudTrail"
    stub.add_response(
        "describe_trails",
        {
            "trailList": [
                {
                    "Name": "aws-controltower-BaselineCloudTrail",
                    "TrailARN": org_arn,
                    "HomeRegion": REGION,
                    "IsMultiRegionTrail": True,
                    "IsOrganizationTrail": True,
                }
            ]
        },
        {"includeShadowTrails": True},
    )
    if selectors_denied:
        stub.add_client_error("get_event_selectors", "AccessDeniedException", "not authorized", 400)
    else:
        stub.add_response(
            "get_event_selectors",
            {"TrailARN": org_arn, "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]},
            {"TrailName": org_arn},
        )
    stub.add_response("get_trail_status", {"IsLogging": True}, {"Name": org_arn})
    stub.activate()
    return clients, [stub]


@pytest.mark.parametrize("selectors_denied", [False, True])
def test_an_organization_trail_seen_from_a_member_account(aws_env: None, selectors_denied: bool) -> None:
    clients, stubs = _member_clients(selectors_denied)
    seen = TrailCache(clients, "333333333333").region(REGION)
    for stub in stubs:
        stub.assert_no_pending_responses()
    assert seen.error is None and len(seen.trails) == 1
    trail = seen.trails[0]
    assert trail.is_organization and trail.account == "111111111111"
    assert trail.coverage == Coverage(read=True, write=True)
    assert bool(trail.notes) is selectors_denied  # "assumed all management events" when unreadable
    plan = plan_from_data(tomllike_single("333333333333"))
    verdict = decide("333333333333", REGION, seen.trails, plan, plan.trail_for("333333333333", None))
    assert (verdict.status, verdict.copies_now, verdict.copies_after) == (Status.ADDS, 1, 2)


def tomllike_single(account: str) -> dict[str, Any]:
    return {"trail": {"name": "ebtrail-beanstalk-audit", "account": account, "home_region": REGION}}


def test_an_unreadable_trail_of_the_own_account_cannot_be_told(aws_env: None) -> None:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    clients = Clients(session, REGION)
    stub = Stubber(clients.cloudtrail(REGION))
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/mine"
    stub.add_response("describe_trails", {"trailList": [{"Name": "mine", "TrailARN": arn, "HomeRegion": REGION}]})
    stub.add_client_error("get_event_selectors", "AccessDeniedException", "not authorized", 400)
    stub.add_response("get_trail_status", {"IsLogging": True})
    stub.activate()
    seen = TrailCache(clients, ACCOUNT).region(REGION)
    verdict = decide(ACCOUNT, REGION, seen.trails, None, None)
    assert verdict.status is Status.UNKNOWN
    assert "missing permission cloudtrail:GetEventSelectors" in verdict.problems[0]


# --- selectors ----------------------------------------------------------------------------------------------


def test_advanced_selectors_for_management_events() -> None:
    answer = {
        "AdvancedEventSelectors": [
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["false"]},
                    {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
                ]
            },
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]},
        ]
    }
    coverage = coverage_from_selectors(answer)
    assert coverage == Coverage(read=False, write=True, excluded_sources=frozenset({"kms.amazonaws.com"}))
    assert not coverage.records(read_only=False, source="kms.amazonaws.com")
    assert coverage.records(read_only=False, source="elasticbeanstalk.amazonaws.com")
    assert coverage_from_selectors({"EventSelectors": [{"IncludeManagementEvents": False}]}).records_any is False
    assert coverage_from_selectors({}) == Coverage(read=True, write=True)  # CloudTrail's default


# --- the estimate -------------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _events(count: int, *, read_only: bool, start: datetime, step: timedelta) -> list[dict[str, Any]]:
    return [
        {
            "EventId": f"e{i}",
            "EventName": "DescribeApplications" if read_only else "CreateApplication",
            "ReadOnly": "true" if read_only else "false",
            "EventSource": "elasticbeanstalk.amazonaws.com",
            "EventTime": start - i * step,
        }
        for i in range(count)
    ]


def test_the_estimate_from_a_complete_hour_of_event_history(aws_env: None) -> None:
    client = boto3.client("cloudtrail", region_name=REGION)
    stub = Stubber(client)
    stub.add_response(
        "lookup_events",
        {"Events": _events(50, read_only=True, start=NOW, step=timedelta(seconds=30)), "NextToken": "t"},
        {"StartTime": NOW - timedelta(hours=1), "EndTime": NOW, "MaxResults": 50},
    )
    stub.add_response(
        "lookup_events",
        {"Events": _events(30, read_only=False, start=NOW - timedelta(minutes=25), step=timedelta(seconds=60))},
        {"StartTime": NOW - timedelta(hours=1), "EndTime": NOW, "MaxResults": 50, "NextToken": "t"},
    )
    with stub:
        taken = sample(client, NOW, max_pages=10)
    assert isinstance(taken, Sample) and taken.complete and taken.seconds == 3600 and taken.pages == 2
    # One existing trail of all management events; the config adds a second of all: every event is a paid copy.
    verdict = check.RegionVerdict(ACCOUNT, REGION, Status.ADDS, planned="new")
    existing = make_seen(Coverage(read=True, write=True))
    verdict.recording = [existing]
    plan = plan_from_data(tomllike_single(ACCOUNT))
    estimate = check.estimate(verdict, plan, taken)
    assert estimate.added_events == pytest.approx(80 * 730)  # 80 events in the hour, 730 hours a month
    assert estimate.existing_events == 0
    assert PAID_MANAGEMENT_EVENTS.cost(estimate.added_events) == pytest.approx(80 * 730 / 100_000 * 2.00)
    # A WriteOnly config copies only the 30 writes.
    write_only = plan_from_data({"trail": {**tomllike_single(ACCOUNT)["trail"], "management_events": "WriteOnly"}})
    assert check.estimate(verdict, write_only, taken).added_events == pytest.approx(30 * 730)


def test_the_page_bound_scales_the_events_seen_over_the_time_they_span(aws_env: None) -> None:
    client = boto3.client("cloudtrail", region_name=REGION)
    stub = Stubber(client)
    # 50 events over the newest 10 minutes, more pages left: 300 an hour.
    events = _events(50, read_only=False, start=NOW, step=timedelta(seconds=600 / 49))
    stub.add_response("lookup_events", {"Events": events, "NextToken": "more"})
    with stub:
        taken = sample(client, NOW, max_pages=1)
    assert isinstance(taken, Sample) and not taken.complete
    assert taken.seconds == pytest.approx(600)
    assert taken.per_hour(lambda _read_only, _source: 1) == pytest.approx(300)
    assert "page bound" in taken.describe()


def test_the_estimate_appears_in_the_output(run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    make_trail("aws-controltower-BaselineCloudTrail")
    taken = Sample(events=((False, "ec2.amazonaws.com"),) * 137, seconds=3600, complete=True, pages=3)
    monkeypatch.setattr(check, "sample", lambda _client, _now, _pages: taken)
    result = run("--region", REGION, config=SINGLE_ACCOUNT)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "Estimate: 100,010 paid events/month added ($2.00/month)" in text  # 137 x 730
    assert "as of 2026-12-07" in text and "event history (LookupEvents)" in text


def make_seen(coverage: Coverage) -> Any:
    from ebtrail.verifier.trails.inventory import TrailSeen

    return TrailSeen(
        arn=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/existing",
        name="existing",
        home_region=REGION,
        account=ACCOUNT,
        is_organization=False,
        is_multi_region=True,
        coverage=coverage,
        is_logging=True,
    )


def test_every_region_of_the_partition(run: Callable[..., Result]) -> None:
    make_trail("everywhere")
    make_trail("oregon-only", region="us-west-2", multi_region=False)
    data = as_json(run("--all-regions", "--json"))
    regions = statuses(data)
    assert len(regions) > 15 and "eu-west-1" in regions
    assert regions["us-west-2"] == "EXISTS" and regions["eu-west-1"] == "FREE"
    assert data["exit_code"] == 1


# --- bad input ----------------------------------------------------------------------------------------------


def test_bad_input_names_every_option_at_once(run: Callable[..., Result]) -> None:
    result = run("--region", "mars-1", "--all-regions", config='[trail]\naccount = "12"\n')
    assert result.exit_code == ExitCode.UNDECIDED
    assert "Traceback" not in result.output
    for words in (
        "--region and --all-regions",
        "--region: allowed: a region name such as us-east-1; got 'mars-1'",
        "trail.account: allowed: a 12-digit account ID; got '12'",
        "trail.home_region: allowed: a region name; missing",
    ):
        assert words in result.output, words


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ('topology = "galaxy"\n', "topology: allowed: single-account, accounts, organization, adopted; got 'galaxy'"),
        ("not = [toml\n", "is not TOML"),
        ('topology = "accounts"\n[trail]\nmembers = []\n', "trail.members: allowed: at least one"),
        ('topology = "organization"\n', "organization: allowed: a [organization] table; it is missing"),
        (
            SINGLE_ACCOUNT.replace('name = "ebtrail-beanstalk-audit"', 'management_events = "Some"'),
            "trail.management_events: allowed: All, ReadOnly, WriteOnly; got 'Some'",
        ),
    ],
)
def test_a_bad_config_is_refused_naming_the_field(run: Callable[..., Result], config: str, words: str) -> None:
    result = run("--region", REGION, "--json", config=config)
    assert result.exit_code == 2
    data = as_json(result)
    assert data["verdict"] == "BAD_INPUT" and any(words in p for p in data["problems"]), data


def test_a_missing_config_file_and_an_unknown_profile(run: Callable[..., Result], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["trails", "--config", str(tmp_path / "nope.toml"), "--profile", "nobody", "--region", REGION]
    )
    assert result.exit_code == 2
    assert "--config: cannot read" in result.output
    assert "--profile: The config profile (nobody) could not be found" in result.output


def test_the_trails_exit_codes_are_the_shared_ones() -> None:
    assert ExitCode["NO_PAID_COPY"] is ExitCode.PROVEN
    assert ExitCode["PAID_COPY"] is ExitCode.DISPROVEN
    assert ExitCode["CANNOT_TELL"] is ExitCode.UNDECIDED
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 130]


def test_one_profile_per_account(run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--profile`` is repeatable: each is one account (here a moto role in account 111111111111 and moto's own)."""
    make_trail("existing")  # in moto's account only
    role = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn="arn:aws:iam::111111111111:role/Audit", RoleSessionName="trails"
    )["Credentials"]
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[own]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        f"[member]\naws_access_key_id = {role['AccessKeyId']}\naws_secret_access_key = {role['SecretAccessKey']}\n"
        f"aws_session_token = {role['SessionToken']}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    member_config = SINGLE_ACCOUNT.replace(ACCOUNT, "111111111111")
    data = as_json(run("--profile", "own", "--profile", "member", "--region", REGION, "--json", config=member_config))
    accounts = {a["account"]: a for a in data["accounts"]}
    assert set(accounts) == {ACCOUNT, "111111111111"} and data["exit_code"] == 0
    assert accounts["111111111111"]["regions"][0]["config_trail"] == "new"
    assert accounts[ACCOUNT]["regions"][0]["copies_now"] == 1
    data = as_json(run("--profile", "own", "--profile", "member", "--region", REGION, "--json", config=SINGLE_ACCOUNT))
    assert data["exit_code"] == 1 and data["accounts"][0]["regions"][0]["status"] == "ADDS"


def test_an_accounts_config_adds_a_copy_in_the_member_that_has_a_trail(run: Callable[..., Result]) -> None:
    make_trail("existing")
    config = f"""
topology = "accounts"
[trail]
name = "ebtrail-beanstalk-audit"
[[trail.members]]
account = "{ACCOUNT}"
home_region = "eu-west-1"
[[trail.members]]
account = "444444444444"
home_region = "us-east-1"
"""
    data = as_json(run("--region", REGION, "--json", config=config))
    assert data["exit_code"] == 1 and data["config"]["topology"] == "accounts"
    assert data["accounts"][0]["regions"][0]["status"] == "ADDS"


def test_the_deploy_guide_and_the_reference_quote_the_dated_price() -> None:
    """The price lives in ebtrail/core/pricing.py; the prose that quotes it must change with it."""
    root = Path(__file__).resolve().parents[2]
    price = f"${PAID_MANAGEMENT_EVENTS.usd_per_100k:.2f} per"
    for page in (root / "docs" / "deploy.md", root / "docs" / "trails.md"):
        text = " ".join(page.read_text().split())
        assert price in text and PAID_MANAGEMENT_EVENTS.as_of in text, page
    # The cost example of both pages: 1,000,000 events in a second copy.
    assert PAID_MANAGEMENT_EVENTS.cost(1_000_000) == pytest.approx(20.00)
