"""The bad-input corpus of the deployment config: each case is refused with exit 2, its one clear message (the
field path and what is allowed) and no traceback. In-process through the loader ``app.py`` uses
(:func:`deployment.config.load_or_exit`), so a case costs milliseconds; ``test_through_the_app`` runs one
through ``python app.py`` (tests/test_makefile.py one through ``make synth`` and the pinned ``cdk synth``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from deployment.config import load_or_exit
from tests.bad_inputs.corpus import assert_refused
from tests.fixtures.paths import CONFIG_FIXTURES

REPO_ROOT = Path(__file__).resolve().parents[2]
VALID = (CONFIG_FIXTURES / "default.toml").read_text(encoding="utf-8")

#: The sections of the default fixture a case replaces or extends (the fixture itself is valid).
GOOD = {
    "archive": '[archive]\naccount = "111111111111"\nregion = "us-east-1"\n',
    "trail": '[trail]\naccount = "111111111111"\nhome_region = "us-east-1"\nname = "ebtrail-audit"\n',
}


def toml(*, top: str = "", archive: str = "", trail: str = "", extra: str = "") -> str:
    """A config built from good sections with ``archive``/``trail`` lines added to theirs."""
    return f"{top}\n{GOOD['archive']}{archive}\n{GOOD['trail']}{trail}\n{extra}\n"


CASES: list[tuple[str, str, str]] = [
    # (id, TOML text, the one message)
    # --- loose types: strict mode, "allowed ...; got ..."
    (
        "alerts-enabled-off",
        toml(extra='[alerts]\nenabled = "off"'),
        "alerts.enabled: allowed: true or false, without quotes; got 'off' (a string)",
    ),
    (
        "athena-enabled-zero",
        toml(extra="[athena]\nenabled = 0"),
        "athena.enabled: allowed: true or false, without quotes; got 0 (a whole number)",
    ),
    (
        "expiration-days-string",
        toml(extra='[archive.lifecycle]\nexpiration_days = "2557"'),
        "archive.lifecycle.expiration_days: allowed: a whole number, without quotes; got '2557' (a string)",
    ),
    (
        "retention-days-float",
        toml(extra="[archive.access_logs]\nretention_days = 365.0"),
        "archive.access_logs.retention_days: allowed: a whole number, without quotes; got 365.0 (a decimal number)",
    ),
    (
        "transition-days-bool",
        toml(extra='[archive.lifecycle]\ntransitions = [{storage_class = "GLACIER_IR", days = true}]'),
        "archive.lifecycle.transitions[0].days: allowed: a whole number, without quotes; got true (a boolean)",
    ),
    (
        "account-as-number",
        '[archive]\naccount = 111111111111\nregion = "us-east-1"\n' + GOOD["trail"],
        "archive.account: allowed: a string in quotes; got 111111111111 (a whole number)",
    ),
    (
        "projection-start-string",
        toml(extra='[athena]\nprojection_start = "2026-01-01"'),
        "athena.projection_start: allowed: a TOML date such as 2026-01-01, without quotes; got '2026-01-01' (a string)",
    ),
    (
        "emails-not-a-list",
        toml(trail='notification_emails = "ops@example.com"'),
        "trail.notification_emails: allowed: a list in square brackets; got 'ops@example.com' (a string)",
    ),
    ("tags-not-a-table", toml(top='tags = "team=platform"'), "tags: allowed: a table; got 'team=platform' (a string)"),
    (
        "verifier-enabled-string",
        toml(extra='[verifier]\nenabled = "true"'),
        "verifier.enabled: allowed: true or false, without quotes; got 'true' (a string)",
    ),
    (
        "early-deletion-flag-int",
        toml(extra="[archive.lifecycle]\naccept_early_deletion_charge = 1"),
        "accept_early_deletion_charge: allowed: true or false, without quotes; got 1 (a whole number)",
    ),
    (
        "trail-name-number",
        GOOD["archive"] + '[trail]\naccount = "111111111111"\nhome_region = "us-east-1"\nname = 5\n',
        "trail.name: allowed: a string in quotes; got 5 (a whole number)",
    ),
    (
        "tag-value-number",
        toml(extra="[tags]\nteam = 7"),
        "tags.team: allowed: a string in quotes; got 7 (a whole number)",
    ),
    (
        "archive-not-a-table",
        'archive = "central"\n' + GOOD["trail"],
        "archive: allowed: a table; got 'central' (a string)",
    ),
    # --- names that pass CloudTrail but not S3, and formats
    (
        "prefix-xn",
        toml(top='name_prefix = "xn--audit"'),
        "(bucket names start with the prefix; reserved: xn--, sthree-, amzn-s3-demo-); got 'xn--audit'",
    ),
    ("prefix-sthree", toml(top='name_prefix = "sthree-audit"'), "does not start with 'sthree-', which S3 reserves"),
    (
        "prefix-amzn-demo",
        toml(top='name_prefix = "amzn-s3-demo-logs"'),
        "does not start with 'amzn-s3-demo-', which S3 reserves",
    ),
    (
        "prefix-too-long",
        toml(top='name_prefix = "abcdefghijklmnopqrstu"'),
        "allowed: 3 to 20 lowercase letters, digits or '-', starting with a letter; got 'abcdefghijklmnopqrstu'",
    ),
    ("prefix-uppercase", toml(top='name_prefix = "EbTrail"'), "got 'EbTrail'"),
    (
        "trail-name-double-dot",
        toml(trail='name = "audit..trail"').replace('name = "ebtrail-audit"\n', ""),
        "trail.name: allowed: 3 to 128 letters, digits",
    ),
    (
        "trail-name-space",
        toml(trail='name = "audit trail"').replace('name = "ebtrail-audit"\n', ""),
        "got 'audit trail'",
    ),
    (
        "account-short",
        '[archive]\naccount = "1234"\nregion = "us-east-1"\n' + GOOD["trail"],
        "archive.account: allowed: a 12-digit AWS account ID written as a string",
    ),
    (
        "region-unknown",
        '[archive]\naccount = "111111111111"\nregion = "us-east-9"\n' + GOOD["trail"],
        "unknown region 'us-east-9'",
    ),
    ("key-prefix-awslogs", toml(archive='key_prefix = "AWSLogs/x"'), "must not start with 'AWSLogs/'"),
    (
        "alert-action-lowercase",
        toml(extra='[alerts]\nactions = ["terminateEnvironment"]'),
        "alerts.actions[0]: allowed: an Elastic Beanstalk API action such as UpdateEnvironment; got 'terminate",
    ),
    ("tag-key-aws", toml(extra='[tags]\n"aws:owner" = "me"'), "allowed: 1 to 128 characters, not starting with 'aws:'"),
    (
        "email-malformed",
        toml(trail='notification_emails = ["ops"]'),
        "allowed: an e-mail address such as platform-team@example.com",
    ),
    (
        "management-events-unknown",
        toml(trail='management_events = "Some"'),
        "trail.management_events: allowed: 'All', 'ReadOnly' or 'WriteOnly'; got 'Some'",
    ),
    ("unknown-key", toml(top='name_prefx = "x"'), "name_prefx: unknown field"),
    ("archive-missing", GOOD["trail"], "archive: required field is missing"),
    # --- meaning
    (
        "read-only-unacknowledged",
        toml(trail='management_events = "ReadOnly"'),
        "or add trail.acknowledge_no_beanstalk_writes = true to record reads only on purpose; got 'ReadOnly'",
    ),
    (
        "acknowledgment-without-read-only",
        toml(trail="acknowledge_no_beanstalk_writes = true"),
        "trail.acknowledge_no_beanstalk_writes: only used with trail.management_events = 'ReadOnly'",
    ),
    (
        "topology-accounts-with-trail-account",
        toml(top='topology = "accounts"'),
        "trail.account: not used by the accounts topology",
    ),
    (
        "topology-unknown",
        toml(top='topology = "acounts"'),
        "topology: allowed: 'single-account', 'accounts', 'organization' or 'adopted'; got 'acounts'",
    ),
    (
        "single-account-without-home-region",
        toml().replace('home_region = "us-east-1"\n', ""),
        "trail.home_region: the single-account topology needs the trail's home region, such as us-east-1",
    ),
    (
        "single-account-with-organization",
        toml(
            extra='[organization]\nid = "o-a1b2c3d4e5"\nmanagement_account = "333333333333"\nhome_region = "us-east-1"'
        ),
        "organization: not used by the single-account topology; remove it",
    ),
    (
        "accounts-member-without-home-region",
        'topology = "accounts"\n' + GOOD["archive"] + '[[trail.members]]\naccount = "333333333333"\n',
        "trail.members[0].home_region: the accounts topology needs each member's home region",
    ),
    (
        "organization-without-table",
        'topology = "organization"\n' + GOOD["archive"] + '[trail]\nname = "ebtrail-audit"\n',
        "organization: the organization topology needs an [organization] table (id, management_account, home_region)",
    ),
    (
        "expiration-before-transition",
        toml(
            extra='[archive.lifecycle]\ntransitions = [{storage_class = "GLACIER", days = 400}]\nexpiration_days = 300'
        ),
        "must be after the last transition (GLACIER at 400 days); got 300",
    ),
    (
        "object-lock-longer-than-expiration",
        toml(
            extra='[archive.lifecycle]\nexpiration_days = 2557\n[archive.object_lock]\nmode = "GOVERNANCE"\ndays = 3000'
        ),
        "retention (3000 days) must not be longer than",
    ),
    (
        "home-region-other-partition",
        toml(trail="").replace('home_region = "us-east-1"', 'home_region = "cn-north-1"'),
        "trail.home_region: must be in the archive's partition (aws); got cn-north-1",
    ),
]


FILE_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "directory": (lambda tmp: tmp, "a directory; allowed: a TOML file such as config/default.toml"),
    "missing-file": (lambda tmp: tmp / "absent.toml", "no such file; allowed: a TOML file"),
    "binary": (
        lambda tmp: _write(tmp / "b.toml", bytes(range(256)) * 4),
        "not UTF-8 text (byte 0x80 at offset 128); allowed: a TOML file, which is UTF-8",
    ),
    "latin-1": (
        lambda tmp: _write(tmp / "l.toml", (VALID + '\n[tags]\nowner = "Zoë"\n').encode("latin-1")),
        "not UTF-8 text (byte 0xeb",
    ),
    "nul-bytes": (lambda tmp: _write(tmp / "n.toml", b'name_prefix = "a\x00b"\n'), "not valid TOML: "),
    "syntax-error": (lambda tmp: _write(tmp / "s.toml", b"[archive\naccount = 1\n"), "not valid TOML: "),
    "empty-path": (lambda tmp: Path(""), "a directory; allowed: a TOML file"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _refused(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        load_or_exit(path)
    out = capsys.readouterr()
    return int(stopped.value.code or 0), out.out, out.err


@pytest.mark.parametrize(("case_id", "text", "message"), CASES, ids=[c[0] for c in CASES])
def test_refused(case_id: str, text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"{case_id}.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = _refused(path, capsys)
    assert_refused(code, out, err, 2, message)
    assert err.startswith(f"error: {path}: ")


@pytest.mark.parametrize("case_id", list(FILE_CASES))
def test_a_file_that_is_not_toml_is_one_line(
    case_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make, message = FILE_CASES[case_id]
    code, out, err = _refused(make(tmp_path), capsys)
    assert_refused(code, out, err, 2, message)
    assert len(err.splitlines()) == 1, err


def test_a_flood_of_problems_is_capped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """10 MB of unknown keys used to print every one of 113,945 problems; now the first 50 and a count."""
    path = tmp_path / "flood.toml"
    path.write_text(VALID + "".join(f"unknown_{i} = 1\n" for i in range(5000)), encoding="utf-8")
    code, out, err = _refused(path, capsys)
    assert_refused(code, out, err, 2, "... and 4,950 more (the first 50 are shown)")
    assert "5,000 problem(s)" in err
    assert len(err.splitlines()) == 52


def test_read_only_is_accepted_when_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "read-only.toml"
    path.write_text(toml(trail='management_events = "ReadOnly"\nacknowledge_no_beanstalk_writes = true'))
    assert load_or_exit(path).trail.management_events == "ReadOnly"


@pytest.mark.cli
def test_through_the_app(tmp_path: Path) -> None:
    """The real process: ``python app.py`` exits 2 with one line for a directory (``cdk synth`` and ``make synth``
    through the CLI: tests/test_makefile.py)."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"config": str(tmp_path)})}
    app = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert_refused(app.returncode, app.stdout, app.stderr, 2, "a directory; allowed: a TOML file")
    assert app.stderr.count("\n") == 1


@pytest.mark.cli
def test_an_oversized_guardrails_policy_through_the_app(tmp_path: Path) -> None:
    """A config that validates but whose service control policy would be over AWS Organizations' limit: the
    guardrails construct's own size validation, reported by ``python app.py`` on the config field, exit 2, no
    traceback (issue 18: one check, in the construct, worded by the app)."""
    roles = ", ".join(f'"arn:aws:iam::222222222222:role/deployment-role-number-{n:03}"' for n in range(30))
    config = tmp_path / "guardrails.toml"
    config.write_text(
        (CONFIG_FIXTURES / "all-features.toml")
        .read_text(encoding="utf-8")
        .replace("exempt_roles = [", f"exempt_roles = [{roles}, ", 1),
        encoding="utf-8",
    )
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"config": str(config)})}
    app = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert_refused(
        app.returncode,
        app.stdout,
        app.stderr,
        2,
        "organization.guardrails.exempt_roles: guardrails service control policy:",
    )
    assert "shorten organization.guardrails.exempt_roles (fewer patterns" in app.stderr
