"""What the archive's lifecycle does to a log file, what it costs (bench/lifecycle_cost.py), how far back Athena can
see, and what ``make synth``'s summary says about it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.lifecycle_cost import MEDIAN_FILE_BYTES, SIZES_BYTES, cost_per_file, table
from deployment.config import Lifecycle, Transition
from ebtrail.constructs.athena_queries import ALL_QUERIES, LONGEST_LOOKBACK_DAYS
from ebtrail.core.lifecycle import SMALL_OBJECT_LIMIT_BYTES, LifecyclePlan
from stacks.summary import (
    ACKNOWLEDGED_FILE,
    OBJECT_LOCK_WARNING,
    archive_lines,
    read_stacks,
    subscription_lines,
    trail_cost_lines,
)
from stacks.summary import main as summary_main
from tests.cdk.synth_cache import Synthesized
from tests.fixtures.paths import FIXTURE_CONFIGS

#: The lifecycle ebtrail shipped before issue 8.
OLD_DEFAULT = LifecyclePlan(
    transitions=(("STANDARD_IA", 30), ("GLACIER", 90), ("DEEP_ARCHIVE", 180)), expiration_days=2557
)
DEFAULT = LifecyclePlan.from_config(Lifecycle())


def test_default_rules_never_cost_more_than_no_transitions_at_any_size() -> None:
    rows = table(DEFAULT, files=1_000_000)
    assert [row.size for row in rows] == list(SIZES_BYTES)
    assert MEDIAN_FILE_BYTES in SIZES_BYTES and SIZES_BYTES[0] == 2 * 1024 and SIZES_BYTES[-1] == 1024 * 1024
    for row in rows:
        assert row.with_rules <= row.no_transitions * (1 + 1e-9), row
    median = next(row for row in rows if row.size == MEDIAN_FILE_BYTES)
    assert median.with_rules == pytest.approx(median.no_transitions)  # the median file stays in STANDARD
    assert [row.ratio < 0.5 for row in rows if row.size >= SMALL_OBJECT_LIMIT_BYTES] == [True] * 4


def test_archiving_small_files_would_cost_more_than_keeping_them() -> None:
    """Why the 128 KB minimum is kept: transition requests and the 40 KB Glacier overhead outweigh the savings."""
    retention = 2557
    keep = cost_per_file(LifecyclePlan((), retention), MEDIAN_FILE_BYTES, retention)
    archive_all = cost_per_file(OLD_DEFAULT, MEDIAN_FILE_BYTES, retention, honour_minimum_size=False)
    assert archive_all > 5 * keep


def test_cost_model_prices_the_glacier_overhead_and_transition_requests() -> None:
    plan = LifecyclePlan((("DEEP_ARCHIVE", 0),), 30)
    size = 1024 * 1024
    # 1 month: (1 MB + 32 KB) at DEEP_ARCHIVE's rate, 8 KB at STANDARD's, plus one transition request.
    expected = (size + 32 * 1024) / 1024**3 * 0.00099 + 8 * 1024 / 1024**3 * 0.023 + 0.05 / 1000
    assert cost_per_file(plan, size, 30) == pytest.approx(expected)


def test_small_files_transition_nowhere_and_stay_queryable() -> None:
    assert DEFAULT.transitions_for(SMALL_OBJECT_LIMIT_BYTES - 1) == ()
    assert DEFAULT.transitions_for(SMALL_OBJECT_LIMIT_BYTES) == (("GLACIER_IR", 90), ("DEEP_ARCHIVE", 365))
    assert DEFAULT.athena_window_days(8 * 1024) == 2557
    assert DEFAULT.athena_window_days(SMALL_OBJECT_LIMIT_BYTES) == 365


def test_default_athena_window_is_longer_than_every_saved_query_looks_back() -> None:
    """S3 moves a file once it is N days old and the first day folder a query reads holds files up to one day older
    than its look-back, so the window must be strictly longer. The old default (GLACIER at 90 days against the
    90-day "who terminated" query) was not."""
    assert LONGEST_LOOKBACK_DAYS == 90
    window = DEFAULT.athena_window_all_files
    assert window is not None and window > LONGEST_LOOKBACK_DAYS
    assert OLD_DEFAULT.athena_window_all_files == 90


def test_each_saved_query_reads_the_days_it_declares() -> None:
    for query in ALL_QUERIES:
        assert re.findall(r"day >= date_format\(current_timestamp - INTERVAL '(\d+)' DAY", query.sql) == [
            str(query.lookback_days)
        ], query.name


def test_summary_says_what_the_lifecycle_does_and_how_far_athena_sees(default: Synthesized) -> None:
    assert archive_lines(default.archive_json) == [
        "    lifecycle: files >= 128 KB: GLACIER_IR at 90 d, DEEP_ARCHIVE at 365 d, deleted at 2557 d; "
        "smaller files (most CloudTrail files): stay in STANDARD, deleted at 2557 d",
        "    Athena can query the last 365 days (files under 128 KB: all 2557 days); older files of 128 KB or more "
        "are in GLACIER/DEEP_ARCHIVE, which Athena skips without an error",
    ]
    assert archive_lines(default.json("ebtrail-trail-111111111111")) == []


def test_summary_warns_when_the_window_is_shorter_than_the_saved_queries(
    synthesized: Callable[[str], Synthesized],
) -> None:
    template = synthesized("default.toml").archive_json
    bucket = next(
        r
        for r in template["Resources"].values()
        if "LifecycleConfiguration" in r.get("Properties", {})
        and r["Properties"]["LifecycleConfiguration"]["Rules"][0]["Id"] == "ArchiveAndExpireLogFiles"
    )
    rule = bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]
    original = rule["Transitions"]
    try:
        rule["Transitions"] = [{"StorageClass": "GLACIER", "TransitionInDays": 90}]
        lines = archive_lines(template)
    finally:
        rule["Transitions"] = original
    assert any("WARNING: the saved queries look back 90 days" in line for line in lines)


@pytest.mark.parametrize("config_file", FIXTURE_CONFIGS)
def test_object_lock_warning_exactly_when_object_lock_is_set(
    config_file: str, synthesized: Callable[[str], Synthesized]
) -> None:
    result = synthesized(config_file)
    lines = archive_lines(result.archive_json)
    assert (f"    {OBJECT_LOCK_WARNING}" in lines) == (result.config.archive.object_lock is not None)
    assert not any("WARNING: the saved queries" in line for line in lines), "fixture configs keep the window"


def test_config_transitions_reach_the_template(synthesized: Callable[[str], Synthesized]) -> None:
    result = synthesized("single-account.toml")
    bucket = next(
        r["Properties"]["LifecycleConfiguration"]
        for r in result.archive_json["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket" and r["Properties"].get("BucketName", "").startswith("acme-audit-logs-")
    )
    assert LifecyclePlan.from_template(bucket) == LifecyclePlan.from_config(result.config.archive.lifecycle)
    assert Transition(storage_class="GLACIER_IR", days=90) in result.config.archive.lifecycle.transitions


def test_summary_says_an_email_subscription_counts_only_once_confirmed(
    synthesized: Callable[[str], Synthesized],
) -> None:
    """Issue 17, item 6: the CIS alarms need a confirmed subscriber (Security Hub CloudWatch.1-.14)."""
    stack = "ebtrail-trail-111111111111"
    [line] = subscription_lines(stack, synthesized("all-features.toml").json(stack))
    assert "platform-team@example.com, security-team@example.com" in line
    assert "Security Hub CloudWatch.1-.14" in line
    assert "only once each address confirms" in line
    # default.toml: a delivery-topic address, no CIS alarms.
    [line] = subscription_lines(stack, synthesized("default.toml").json(stack))
    assert "only once each address confirms" in line and "Security Hub" not in line
    assert subscription_lines(stack, {"Resources": {}}) == []


def test_summary_says_a_second_management_trail_is_billed(synthesized: Callable[[str], Synthesized]) -> None:
    """Issue 19: a topology that creates a trail points to the adoption topology and to ``ebtrail-verify trails``."""
    for name in ("default.toml", "organization.toml"):
        result = synthesized(name)
        [line] = trail_cost_lines([result.json(stack.stack_name) for stack in result.built.stacks])
        assert "2nd trail of management events in an account is billed ($2.00/100,000 events, 2026-12-07)" in line
        assert "`ebtrail-verify trails --config FILE`" in line and 'topology = "adopted"' in line
    # A data-events-only trail (management events off, as next to an adopted trail) and no trail: no line.
    data_only = {
        "Type": "AWS::CloudTrail::Trail",
        "Properties": {"EventSelectors": [{"IncludeManagementEvents": False, "DataResources": []}]},
    }
    assert trail_cost_lines([{"Resources": {"DataTrail": data_only}}]) == []
    assert trail_cost_lines([{"Resources": {}}]) == []
    advanced = {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
    managed = {"Type": "AWS::CloudTrail::Trail", "Properties": {"AdvancedEventSelectors": [advanced]}}
    assert len(trail_cost_lines([{"Resources": {"Trail": managed}}])) == 1


#: What the issue allows the default config's summary (issue 21: "a summary that fits a screen").
SCREEN_LINES = 25


def test_default_summary_fits_a_screen_and_names_every_verdict(
    default: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    assembly = Path(default.built.app.synth().directory)
    assert summary_main([str(assembly)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) <= SCREEN_LINES, "\n".join(lines)
    verdicts = {
        "cdk-nag": "  cdk-nag AwsSolutions + NIST 800-53 R5: 0 unacknowledged findings, ",
        "cfn-lint": "  cfn-lint: 0 finding(s)",
        "preflight": "  preflight (CloudTrail's bucket, key and topic policy checks): pass, 1 trail(s), ",
        "hop preflight": "  hop preflight (every service-to-resource wire): pass, ",
    }
    assert {name: any(line.startswith(start) for line in lines) for name, start in verdicts.items()} == dict.fromkeys(
        verdicts, True
    )
    # The acknowledged findings are counted, not listed: each one is in the file the summary names.
    listed = (assembly / ACKNOWLEDGED_FILE).read_text().splitlines()
    acknowledged = {ack for stack in read_stacks(assembly) for ack in stack.acknowledgments}
    assert len(listed) == len(acknowledged) > 0
    assert any(line.endswith(f", {len(listed)} acknowledged") for line in lines)
    assert not any(line in lines for line in (f"    {ack}" for ack in listed))
    assert any(str(assembly / ACKNOWLEDGED_FILE) in line for line in lines)


def test_verbose_summary_lists_every_acknowledged_finding_with_its_reason(
    default: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    assembly = Path(default.built.app.synth().directory)
    assert summary_main([str(assembly), "--verbose"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for path, rule, reason in {ack for stack in read_stacks(assembly) for ack in stack.acknowledgments}:
        assert f"    {rule} at {path}: {reason}" in lines


#: The comment in front of the sample summary a page shows; the fenced block after it is checked below.
SAMPLE_MARKER = "<!-- make synth sample"


def sample_summary(text: str) -> list[str]:
    """The lines of the fenced block that follows :data:`SAMPLE_MARKER`."""
    start = text.index("```\n", text.index(SAMPLE_MARKER)) + len("```\n")
    return text[start : text.index("\n```", start)].splitlines()


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_the_sample_summary_is_what_make_synth_prints_for_the_default_config(
    page: str, default: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    assembly = Path(default.built.app.synth().directory)
    assert summary_main([str(assembly)]) == 0
    printed = capsys.readouterr().out.replace(str(assembly), "cdk.out").splitlines()
    shown = sample_summary((Path(__file__).resolve().parents[2] / page).read_text())
    assert shown == printed, f"{page}: paste the summary `make synth` prints now:\n" + "\n".join(printed)
