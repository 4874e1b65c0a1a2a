"""``ebtrail-verify preflight``: CloudTrail's own policy checks, before ``CreateTrail`` runs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import boto3
import click
from botocore.exceptions import BotoCoreError

from ebtrail.verifier.cloud_assembly import AssemblyError
from ebtrail.verifier.preflight.assembly import trails_from_assembly
from ebtrail.verifier.preflight.deployed import trail_from_account
from ebtrail.verifier.preflight.hops import HopReport, counts, hops_from_assembly, kind_verdicts
from ebtrail.verifier.preflight.hops import overall as hops_overall
from ebtrail.verifier.preflight.reader_requests import reader_checks
from ebtrail.verifier.preflight.run import PreflightExit, TrailReport, overall_exit, preflight_trail, verdict_word

EPILOG = """
\b
Exit codes:
  0  every request CloudTrail makes would be allowed, every negative denied
     (with --assembly: and every request along every service-to-resource hop)
  1  a request would fail (each line names the request, the resource and
     the statement that denied it, or that no statement allows it), or a
     negative would be allowed
  2  nothing failed, but something cannot be evaluated: an unreadable or
     missing policy, an operator the evaluator does not implement, a
     missing permission to read a policy, a bad option
"""


def _organization_id(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"o-[a-z0-9]{10,32}", value):
        raise click.BadParameter(f"an organization ID is o- and 10-32 lowercase letters or digits; got {value!r}")
    return value


@click.command(
    "preflight",
    epilog=EPILOG,
    help=(
        "Evaluate the bucket policy, log key policy, delivery topic policy and topic key policy of each trail "
        "against the exact requests CloudTrail makes (GetBucketAcl, PutObject of log and digest files in every "
        "region, GenerateDataKey with the trail's encryption context, DescribeKey, Publish, the topic key) and "
        "the ones that must stay denied (another account's trail, another account's folder, no ACL, no TLS), "
        "with an IAM policy evaluator. Offline over a cloud assembly (--assembly cdk.out) or over a deployed "
        "trail's policies (--trail). With --assembly, also every service-to-resource hop the templates wire "
        "(alarm -> topic, rule -> topic or Firehose, Scheduler -> Lambda, Lambda -> its queue, CloudTrail -> "
        "CloudWatch Logs, log group -> key, Firehose -> bucket and key), each request with the context the "
        "service sends, against the trust, role, resource and key policies that decide it."
    ),
)
@click.option(
    "--assembly",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A synthesized cloud assembly (cdk.out): every trail in it, offline.",
)
@click.option("--trail", default=None, help="Name or ARN of a deployed trail: its policies as they are now.")
@click.option("--region", default=None, help="Region of the trail (default: the ARN's, or the boto3 chain's).")
@click.option("--profile", default=None, help="AWS profile (default: boto3 chain).")
@click.option(
    "--organization-id",
    default=None,
    callback=_organization_id,
    help="Organization ID of an organization trail (default: the template's metadata, or DescribeOrganization).",
)
@click.option(
    "--archive-role-arn",
    default=None,
    help=(
        "With --trail: a role in the log archive's account to read the bucket and log key policies through "
        "(S3 GetBucketPolicy and KMS GetKeyPolicy do not work across accounts)."
    ),
)
@click.option(
    "--readers",
    default=None,
    metavar="PREFIX",
    help=(
        "Also check that the bucket and key policies let the proof layer's roles of the trail's account "
        "(<PREFIX>-delivery-canary, <PREFIX>-beanstalk-verifier) read their own log files: for an adopted trail "
        "whose bucket is in another account, whether its owner applied the statements make synth printed."
    ),
)
@click.option(
    "--readers-account",
    default=None,
    metavar="ACCOUNT",
    help="With --readers: the account the proof layer runs in (trail.proof_account; default: the trail's).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def preflight(
    *,
    assembly: Path | None,
    trail: str | None,
    region: str | None,
    profile: str | None,
    organization_id: str | None,
    archive_role_arn: str | None,
    as_json: bool,
    readers: str | None = None,
    readers_account: str | None = None,
) -> None:
    if (assembly is None) == (trail is None):
        raise click.UsageError("give exactly one of --assembly DIR or --trail NAME_OR_ARN")
    started = time.perf_counter()
    reports: list[TrailReport] = []
    hops: list[HopReport] = []
    errors: list[str] = []
    if assembly is not None:
        try:
            subjects = trails_from_assembly(assembly, organization_id)
            hops = hops_from_assembly(assembly)
        except AssemblyError as exc:
            subjects, errors = [], [str(exc)]
        if not subjects and not errors:
            errors.append(f"no AWS::CloudTrail::Trail in {assembly}")
    else:
        assert trail is not None
        try:
            session = boto3.Session(profile_name=profile) if profile else boto3.Session()
            subjects = [trail_from_account(session, trail, region, organization_id, archive_role_arn)]
        except BotoCoreError as exc:
            subjects, errors = [], [f"cannot start a boto3 session: {exc}"]
    reports = [preflight_trail(subject, reader_checks(subject, readers) if readers else ()) for subject in subjects]
    code = PreflightExit.CANNOT_EVALUATE if errors else combined_exit(overall_exit(reports), hops_overall(hops))
    seconds = time.perf_counter() - started
    if as_json:
        click.echo(
            json.dumps(
                {
                    "verdict": verdict_word(code),
                    "exit_code": int(code),
                    "requests": sum(len(r.results) for r in reports),
                    "seconds": round(seconds, 3),
                    "problems": errors,
                    "trails": [r.to_json() for r in reports],
                    "hop_verdict": verdict_word(hops_overall(hops)),
                    "hop_counts": counts(hops),
                    "hop_requests": sum(len(h.results) for h in hops),
                    "hops": [h.to_json() for h in hops],
                },
                indent=2,
            )
        )
    else:
        for line in errors:
            click.echo(f"error: {line}", err=True)
        for report in reports:
            click.echo(format_report(report))
        if assembly is not None:
            click.echo(format_hops(hops))
        requests = sum(len(r.results) for r in reports)
        click.echo(
            f"preflight: {verdict_word(code)} ({len(reports)} trail(s), {requests} CloudTrail requests evaluated "
            f"in {seconds:.2f} s)"
        )
    raise click.exceptions.Exit(int(code))


#: Findings printed per trail (a wrong path fails once per region; --json has them all).
MAX_LINES = 12


def format_report(report: TrailReport) -> str:
    trail = report.trail
    lines = [f"{trail.arn} ({trail.source}): {verdict_word(report.exit_code)}, {len(report.results)} requests"]
    findings = [f"  FAIL {r.explain()}" for r in report.failures]
    findings += [f"  CANNOT EVALUATE {r.explain()}" for r in report.unknown]
    lines += findings[:MAX_LINES]
    if len(findings) > MAX_LINES:
        lines.append(f"  ... and {len(findings) - MAX_LINES} more (--json lists every request)")
    lines += [f"  CANNOT EVALUATE {problem}" for problem in report.problems]
    return "\n".join(lines)


def combined_exit(*codes: PreflightExit) -> PreflightExit:
    """A failure anywhere fails; else anything unevaluable makes the whole run unevaluable."""
    for code in (PreflightExit.FAIL, PreflightExit.CANNOT_EVALUATE):
        if code in codes:
            return code
    return PreflightExit.PASS


def format_hops(hops: list[HopReport]) -> str:
    """The hops: their verdict and count per kind, then each failing or unevaluable request."""
    verdicts = kind_verdicts(hops)
    requests = sum(len(h.results) for h in hops)
    lines = [f"hops: {verdict_word(hops_overall(hops))}, {len(hops)} hop(s), {requests} requests"]
    lines += [f"  {kind}: {count} ({verdicts[kind]})" for kind, count in counts(hops).items()]
    findings = [
        f"  {h.kind} {h.source}: {line}" for h in hops if h.exit_code is not PreflightExit.PASS for line in h.lines()
    ]
    lines += findings[:MAX_LINES]
    if len(findings) > MAX_LINES:
        lines.append(f"  ... and {len(findings) - MAX_LINES} more (--json lists every request)")
    return "\n".join(lines)
