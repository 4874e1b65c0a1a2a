"""Log key format, gzip/JSON reading and matching (ebtrail.verifier.records)."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebtrail.core.cloudtrail_layout import (
    KeyPrefixError,
    LogKey,
    digest_key,
    digest_key_regex,
    digest_key_region,
    digest_key_time,
    is_backfill_digest_key,
    key_prefix,
    log_day_folder,
    log_key,
    log_start_after,
    s3_key_prefix,
)
from ebtrail.verifier.records import (
    NotALogFileError,
    ProbeSignature,
    days_between,
    find_match,
    inflate,
    iter_unique,
    parse_records,
    scan_bytes,
)
from tests.verifier.verify_double import key_for

SIG = ProbeSignature("req-123", "CreateApplication", "ebtrail-verify-20260314T120005Z-abcdef012345")


def rec(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "eventSource": "elasticbeanstalk.amazonaws.com",
        "eventName": "CreateApplication",
        "requestID": "other",
        "eventID": "e1",
        "requestParameters": {"applicationName": "someone-else"},
    }
    base.update(fields)
    return base


times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))
accounts = st.from_regex(r"\A\d{12}\Z")
regions = st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"])
prefixes = st.one_of(st.none(), st.sampled_from(["archive", "a/b", "logs-2026"]))
suffixes = st.from_regex(r"\A[A-Za-z0-9]{16}\Z")
orgs = st.one_of(st.none(), st.just("o-a1b2c3d4e5"))


@settings(max_examples=200, deadline=None)
@given(times, accounts, regions, prefixes, suffixes, orgs)
def test_key_builder_matches_documented_format_and_parses_back(  # noqa: PLR0917 - hypothesis arguments
    when: datetime, account: str, region: str, prefix: str | None, suffix: str, org: str | None
) -> None:
    key = log_key(key_prefix(prefix), account, region, when, suffix, organization_id=org)
    assert key == key_for(account, region, when, suffix, prefix=prefix, org_id=org)
    parsed = LogKey.parse(key)
    assert parsed is not None
    assert (parsed.account, parsed.region, parsed.org_id, parsed.prefix) == (account, region, org, key_prefix(prefix))
    assert parsed.delivered == when.replace(second=0, microsecond=0)
    assert key.startswith(log_day_folder(key_prefix(prefix), account, region, when.date(), org))


trail_names = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{1,20}[A-Za-z0-9]\Z")


@settings(max_examples=200, deadline=None)
@given(times, accounts, regions, prefixes, trail_names, orgs, st.booleans())
def test_digest_key_builder_matches_documented_format_and_parses_back(  # noqa: PLR0917 - hypothesis arguments
    end: datetime, account: str, region: str, prefix: str | None, trail: str, org: str | None, backfill: bool
) -> None:
    """ "CloudTrail digest file structure": ``[prefix/]AWSLogs/[o-id/]<account>/CloudTrail-Digest/<region>/<end day>/
    <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<end>[_backfill].json.gz``, written out by hand."""
    inside = key_prefix(prefix)
    key = digest_key(
        inside,
        account,
        region,
        trail_name=trail,
        home_region="us-east-1",
        end=end,
        organization_id=org,
        backfill=backfill,
    )
    head = f"{prefix}/" if prefix else ""
    folder = f"{org}/{account}" if org else account
    e = end.astimezone(UTC)
    assert key == (
        f"{head}AWSLogs/{folder}/CloudTrail-Digest/{region}/{e:%Y/%m/%d}/{account}_CloudTrail-Digest_{region}_{trail}_"
        f"us-east-1_{e:%Y%m%dT%H%M%S}Z{'_backfill' if backfill else ''}.json.gz"
    )
    assert digest_key_time(key) == end.replace(microsecond=0)
    assert digest_key_region(key) == region
    assert is_backfill_digest_key(key) is backfill
    pattern = digest_key_regex(inside, account, region, trail_name=trail, home_region="us-east-1", organization_id=org)
    assert pattern.match(key)
    assert not digest_key_regex(inside, account, region, trail_name=trail + "x", home_region="us-east-1").match(key)


@given(prefixes)
def test_the_key_prefix_converts_once_each_way(prefix: str | None) -> None:
    inside = key_prefix(prefix)
    assert inside in ("", f"{prefix}/")
    assert s3_key_prefix(inside) == prefix
    assert key_prefix(inside) == inside  # converting an inside prefix again changes nothing


def test_a_prefix_in_the_outside_form_is_refused_where_the_inside_form_belongs() -> None:
    with pytest.raises(KeyPrefixError, match="use key_prefix"):
        log_key("archive", "123456789012", "us-east-1", datetime(2026, 3, 14, tzinfo=UTC), "A" * 16)


@settings(max_examples=300, deadline=None)
@given(times, st.integers(min_value=-3000, max_value=3000), suffixes)
def test_start_after_skips_exactly_the_files_of_earlier_minutes(not_before: datetime, offset: int, suffix: str) -> None:
    delivered = not_before + timedelta(seconds=offset)
    if delivered.date() != not_before.date():
        return  # another day's folder
    folder = log_day_folder("", "123456789012", "us-east-1", not_before.date())
    key = log_key("", "123456789012", "us-east-1", delivered, suffix)
    listed = key > log_start_after(folder, "123456789012", "us-east-1", not_before)
    same_minute_or_later = delivered.replace(second=0, microsecond=0) >= not_before.replace(second=0, microsecond=0)
    assert listed == same_minute_or_later


def test_key_parse_rejects_foreign_names() -> None:
    assert LogKey.parse("AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/14/README.txt") is None
    ok = (
        "AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/14/"
        "123456789012_CloudTrail_us-east-1_20260314T1200Z_abcdefABCDEF0123.json.gz"
    )
    assert LogKey.parse(ok) is not None
    assert LogKey.parse(ok.replace("_us-east-1_", "_eu-west-1_")) is None  # region of name and folder differ
    assert LogKey.parse(ok.replace("CloudTrail/", "CloudTrail-Digest/")) is None
    assert LogKey.parse(ok.replace("20260314T1200Z", "20261314T1200Z")) is None


def test_days_between_crosses_midnight() -> None:
    a = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert days_between(a, a + timedelta(minutes=2)) == [date(2026, 12, 31), date(2027, 1, 1)]
    assert days_between(a, a) == [date(2026, 12, 31)]


def test_inflate_handles_chunks_and_members_and_rejects_garbage() -> None:
    data = gzip.compress(b'{"Records": [') + gzip.compress(b"]}")
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    assert inflate(chunks) == b'{"Records": []}'
    with pytest.raises(NotALogFileError, match="not a gzip"):
        inflate([b"plain text"])
    with pytest.raises(NotALogFileError, match="truncated"):
        inflate([gzip.compress(b"x" * 1000)[:-12]])
    with pytest.raises(NotALogFileError, match="empty"):
        inflate([])
    with pytest.raises(NotALogFileError, match="more than"):
        inflate([gzip.compress(b"0" * 100_000)], limit=1000)
    assert zlib.crc32(inflate([gzip.compress(b"abc")])) == zlib.crc32(b"abc")


def test_scan_requires_a_records_document() -> None:
    with pytest.raises(NotALogFileError):
        scan_bytes(b"<html>", SIG)
    with pytest.raises(NotALogFileError):
        parse_records(b'{"Records": "x"}')
    with pytest.raises(NotALogFileError):
        parse_records(b'{"Records": [1, 2')


def test_match_on_request_id_source_and_name() -> None:
    good = rec(requestID="req-123", eventID="mine")
    assert find_match([rec(), good], SIG) is not None
    assert find_match([rec(requestID="req-123", eventSource="codedeploy.amazonaws.com")], SIG) is None
    assert find_match([rec(requestID="req-123", eventName="DeleteApplication")], SIG) is None
    by_name = rec(requestParameters={"applicationName": SIG.application_name})
    m = find_match([by_name, good], SIG)
    assert m is not None and m.matched_by == "requestID" and m.record["eventID"] == "mine"
    m = find_match([by_name], SIG)
    assert m is not None and m.matched_by == "applicationName"


def test_scan_bytes_skips_parsing_files_without_the_needle() -> None:
    raw = json.dumps({"Records": [rec(), rec(requestID="req-123")]}).encode()
    m = scan_bytes(raw, SIG)
    assert m is not None and m.record["requestID"] == "req-123"
    # no needle: not parsed, so even a broken body after the header is not an error
    assert scan_bytes(b'{"Records": [ broken', SIG) is None


def test_duplicates_are_tolerated() -> None:
    dup = rec(requestID="req-123", eventID="same")
    assert [r["eventID"] for r in iter_unique([dup, dict(dup), rec(eventID="e2")])] == ["same", "e2"]
    m = find_match([dup, dict(dup)], SIG)
    assert m is not None and m.record == dup
