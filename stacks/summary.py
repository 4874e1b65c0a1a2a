"""``python -m stacks.summary cdk.out [--verbose]``: what ``make synth`` prints after ``cdk synth``, on one screen.

The stacks with their accounts and regions; for the log archive, what its lifecycle does to a log file, how
far back Athena can see, and a warning when Object Lock is on; e-mail subscriptions, which count only once
confirmed; one line on what a second trail recording management events costs (for an app that creates one);
the compliance result (cdk-nag has already passed, or synth would have failed; its acknowledgments are counted,
each listed in cdk.out/ and with ``--verbose``, ``make synth VERBOSE=1``), cfn-lint over every template, linted
for the region the stack deploys to, and the preflight's verdict (``ebtrail-verify preflight --assembly``:
CloudTrail's own bucket, key and topic policy checks, evaluated offline) with the hop preflight (every
service-to-resource wire the templates make, counted per kind). Exits 1 on any cfn-lint error or
warning and when the preflight does not pass.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from cfnlint.api import ManualArgs, lint_file

from ebtrail.constructs.athena_queries import LONGEST_LOOKBACK_DAYS
from ebtrail.core.lifecycle import LifecyclePlan
from ebtrail.core.names import ADOPTED_TRAIL_METADATA, VERIFIER_NAME_SUFFIX
from ebtrail.core.pricing import PAID_MANAGEMENT_EVENTS
from ebtrail.core.regions import partition_of
from ebtrail.verifier.cloud_assembly import AssemblyError, read_stack_artifacts
from ebtrail.verifier.preflight.assembly import trails_from_assembly
from ebtrail.verifier.preflight.hops import counts, hops_from_assembly, kind_verdicts
from ebtrail.verifier.preflight.hops import overall as hops_overall
from ebtrail.verifier.preflight.run import PreflightExit, overall_exit, preflight_trail, verdict_word

#: Id of the log bucket's lifecycle rule (ebtrail.constructs.log_bucket): how the summary finds the log bucket.
LOG_BUCKET_RULE_ID = "ArchiveAndExpireLogFiles"

#: The file in the cloud assembly that lists every acknowledged cdk-nag finding with its reason.
ACKNOWLEDGED_FILE = "acknowledged-findings.txt"

OBJECT_LOCK_WARNING = (
    "WARNING: archive.object_lock is set. S3 requires Content-MD5 or another checksum on every upload into a "
    "bucket with default retention, and AWS does not document that CloudTrail sends one. Run "
    "`make verify TRAIL=<trail>` right after the first deploy: it proves that log files arrive."
)


@dataclass
class StackSummary:
    """One synthesized stack."""

    artifact_id: str
    stack_name: str
    account: str
    region: str
    template: Path
    resources: int
    acknowledgments: list[tuple[str, str, str]] = field(default_factory=list)  # (path, rule, reason)


def read_stacks(cloud_assembly: Path) -> list[StackSummary]:
    """Every CloudFormation stack in the cloud assembly, with its acknowledged cdk-nag rules (the one reader,
    :mod:`ebtrail.verifier.cloud_assembly`)."""
    stacks = []
    for artifact in read_stack_artifacts(cloud_assembly):
        summary = StackSummary(
            artifact_id=artifact.artifact_id,
            stack_name=artifact.name,
            account=artifact.account,
            region=artifact.region,
            template=artifact.template_path,
            resources=len(artifact.template.get("Resources", {})),
        )
        for path, entries in artifact.metadata.items():
            summary.acknowledgments.extend(
                (path, rule.removeprefix("Annotation::"), reason)
                for entry in entries
                if entry["type"] == "aws:cdk:acknowledged-rules"
                for rule, reason in entry["data"].items()
            )
        stacks.append(summary)
    return stacks


def archive_lines(template: dict[str, Any]) -> list[str]:
    """What the log archive does to log files: lifecycle, Athena's window, Object Lock (none for other stacks)."""
    lines: list[str] = []
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {}) if resource.get("Type") == "AWS::S3::Bucket" else {}
        lifecycle = properties.get("LifecycleConfiguration", {})
        if not any(rule.get("Id") == LOG_BUCKET_RULE_ID for rule in lifecycle.get("Rules", [])):
            continue
        plan = LifecyclePlan.from_template(lifecycle)
        lines.append(f"    lifecycle: {plan.describe()}")
        if any(r.get("Type") == "AWS::Glue::Table" for r in template["Resources"].values()):
            lines.append(f"    {plan.describe_athena()}")
            window = plan.athena_window_all_files
            if window is not None and window <= LONGEST_LOOKBACK_DAYS:
                lines.append(
                    f"    WARNING: the saved queries look back {LONGEST_LOOKBACK_DAYS} days, but files of 128 KB or "
                    f"more leave Athena's reach after {window}: their answers will be incomplete without an error"
                )
        if properties.get("ObjectLockConfiguration", {}).get("Rule"):
            lines.append(f"    {OBJECT_LOCK_WARNING}")
    return lines


def subscription_lines(stack_name: str, template: dict[str, Any]) -> list[str]:
    """The e-mail subscriptions of a stack's topics, and that each counts only once confirmed.

    SNS sends each address a confirmation message; until it is confirmed the subscription is pending and receives
    nothing. With the CIS metric filters in the stack, Security Hub's CloudWatch.1 to .14 need a subscriber on
    their alarms' topic ("Security Hub controls for Amazon CloudWatch"): a pending one does not make them pass.
    """
    resources = template.get("Resources", {}).values()
    emails = sorted(
        str(r["Properties"]["Endpoint"])
        for r in resources
        if r.get("Type") == "AWS::SNS::Subscription" and r.get("Properties", {}).get("Protocol") == "email"
    )
    if not emails:
        return []
    cis = any(r.get("Type") == "AWS::Logs::MetricFilter" for r in resources)
    why = " and Security Hub CloudWatch.1-.14 count it" if cis else ""
    return [
        f"    NOTE: {stack_name}: e-mail subscriptions ({', '.join(sorted(set(emails)))}) receive alerts{why} only "
        "once each address confirms AWS's subscription message (SNS delivers nothing to a pending subscription)"
    ]


def verifier_lines(stacks: list[StackSummary]) -> list[str]:
    """A warning for each trail account whose verifier can prove nothing: its policy exists but no role does,
    so the archive in another account names no principal of it, and the S3 and SNS channels cannot read the
    log file. (The single-account topology needs no such grant: the archive is in the verifier's account.)"""
    archive_accounts = {stack.account for stack in stacks if stack.stack_name.endswith("-log-archive")}
    lines = []
    for stack in stacks:
        if stack.stack_name.endswith("-log-archive") or stack.account in archive_accounts:
            continue
        resources = json.loads(stack.template.read_text())["Resources"].values()
        has_policy = any(
            r["Type"] == "AWS::IAM::ManagedPolicy"
            and str(r["Properties"].get("ManagedPolicyName", "")).endswith(VERIFIER_NAME_SUFFIX)
            for r in resources
        )
        has_role = any(
            r["Type"] == "AWS::IAM::Role" and str(r["Properties"].get("RoleName", "")).endswith(VERIFIER_NAME_SUFFIX)
            for r in resources
        )
        if has_policy and not has_role:
            lines.append(
                f"    WARNING: {stack.stack_name}: no verifier.assumed_by, so the archive grants this account's "
                "verifier nothing: it cannot read the log files and can prove nothing. Set verifier.assumed_by."
            )
    return lines


def records_management_events(trail: dict[str, Any]) -> bool:
    """Whether an ``AWS::CloudTrail::Trail`` resource records management events: no selectors (CloudTrail's
    default), a basic selector without ``IncludeManagementEvents: false``, or an advanced selector whose
    ``eventCategory`` equals ``Management``."""
    properties = trail.get("Properties", {})
    basic = properties.get("EventSelectors") or []
    advanced = properties.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return True
    if any(selector.get("IncludeManagementEvents", True) is not False for selector in basic):
        return True
    return any(
        field.get("Field") == "eventCategory" and "Management" in (field.get("Equals") or [])
        for selector in advanced
        for field in selector.get("FieldSelectors") or []
    )


def trail_cost_lines(templates: list[dict[str, Any]]) -> list[str]:
    """One line when the app creates a trail recording management events: CloudTrail bills every copy after the
    first in an account and region (AWS CloudTrail pricing), so beside an existing trail it is a paid copy."""
    if not any(
        resource.get("Type") == "AWS::CloudTrail::Trail" and records_management_events(resource)
        for template in templates
        for resource in template.get("Resources", {}).values()
    ):
        return []
    price = PAID_MANAGEMENT_EVENTS
    return [
        f"  COST: a 2nd trail of management events in an account is billed (${price.usd_per_100k:.2f}/100,000 events, "
        f'{price.as_of}): run `ebtrail-verify trails --config FILE`; or adopt it (topology = "adopted")'
    ]


def lint(stack: StackSummary) -> list[str]:
    """cfn-lint findings (errors, warnings and informational) for one template, as readable lines, without the
    findings of :func:`partition_gap_locations`."""
    matches: list[Any] = lint_file(stack.template, config=ManualArgs(regions=[stack.region]))
    gaps = partition_gap_locations(matches, partition_of(stack.region))
    return [f"{stack.template.name}: {match}" for match in matches if (match.rule.id, match.linenumber) not in gaps]


@cache
def cfn_lint_knows_principals_of(partition: str) -> bool:
    """Whether cfn-lint's IAM policy schema accepts an account principal ARN of ``partition``. Its principal
    patterns name three partitions (``^arn:(aws|aws-cn|aws-us-gov):iam::...``), so every resource policy in an ISO
    partition fails rule E3512 although IAM accepts it there."""
    schema = json.loads((files("cfnlint.data.schemas.other.iam") / "policy.json").read_text())
    patterns: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str) and ":iam::" in pattern:
                patterns.append(pattern)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    principal = f"arn:{partition}:iam::111111111111:root"
    return not patterns or any(re.search(pattern, principal) for pattern in patterns)


def partition_gap_locations(matches: list[Any], partition: str) -> set[tuple[str, int]]:
    """(rule, line) of the E3512 findings that are cfn-lint's schema gap, not a policy error: in a partition whose
    principals cfn-lint does not know, every E3512 finding at a line where one of them names a principal ARN of
    that partition (cfn-lint reports the one principal against each of its alternatives, some without the ARN)."""
    if cfn_lint_knows_principals_of(partition):
        return set()
    return {
        (str(m.rule.id), int(m.linenumber))
        for m in matches
        if m.rule.id == "E3512" and f"'arn:{partition}:iam::" in str(m.message)
    }


def acknowledgment_lines(stacks: list[StackSummary], cloud_assembly: Path, verbose: bool) -> list[str]:
    """cdk-nag's verdict with the acknowledged findings counted by rule; each one with its resource and reason goes
    to :data:`ACKNOWLEDGED_FILE` in the assembly, and into the summary when ``verbose``. (Listing them every time
    was 11 of the default config's lines, the same each run.)"""
    acknowledgments = sorted({ack for stack in stacks for ack in stack.acknowledgments})
    listed = [f"{rule} at {path}: {reason}" for path, rule, reason in acknowledgments]
    (cloud_assembly / ACKNOWLEDGED_FILE).write_text("".join(f"{line}\n" for line in listed))
    by_rule = Counter(rule.split("[", 1)[0] for _, rule, _ in acknowledgments)
    counted = ", ".join(f"{rule} {count}" for rule, count in sorted(by_rule.items()))
    lines = [f"  cdk-nag AwsSolutions + NIST 800-53 R5: 0 unacknowledged findings, {len(acknowledgments)} acknowledged"]
    if not acknowledgments:
        return lines
    lines.append(f"    by rule: {counted}")
    if verbose:
        return lines + [f"    {line}" for line in listed]
    return [*lines, f"    each with its reason: {cloud_assembly / ACKNOWLEDGED_FILE} (or make synth VERBOSE=1)"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args
    positional = [arg for arg in args if arg != "--verbose"]
    cloud_assembly = Path(positional[0] if positional else "cdk.out")
    stacks = read_stacks(cloud_assembly)
    print(f"Synthesized {len(stacks)} stack(s) into {cloud_assembly}/:")
    templates = []
    for stack in stacks:
        print(
            f"  {stack.stack_name:<40} account {stack.account}  region {stack.region:<15} {stack.resources} resources"
        )
        template = json.loads(stack.template.read_text())
        templates.append(template)
        for line in archive_lines(template) + subscription_lines(stack.stack_name, template):
            print(line)
    for line in trail_cost_lines(templates):
        print(line)
    for line in verifier_lines(stacks):
        print(line)
    findings = [line for stack in stacks for line in lint(stack)]
    print("Compliance:")
    for line in acknowledgment_lines(stacks, cloud_assembly, verbose):
        print(line)
    print(f"  cfn-lint: {len(findings)} finding(s)")
    for line in findings:
        print(f"    {line}")
    adopted = [
        json.loads(stack.template.read_text()).get("Metadata", {}).get(ADOPTED_TRAIL_METADATA) for stack in stacks
    ]
    preflight = print_preflight(cloud_assembly, [a for a in adopted if a])
    return 1 if findings or preflight is not PreflightExit.PASS else 0


def print_preflight(cloud_assembly: Path, adopted: list[dict[str, str]] | None = None) -> PreflightExit:
    """The preflight over the assembly: one verdict line, then each failing or unevaluable request.

    An adopted trail's bucket and key policies are their owner's, not in the assembly: a trail delivering to
    such a bucket (the data-events-only trail) is left to ``preflight --trail`` after the deploy, and the
    summary says which command checks the owner statements."""
    adopted = adopted or []
    owned_elsewhere = {a["Bucket"] for a in adopted}
    for a in adopted:
        print(
            f"  adopted trail {a['Trail']}: bucket {a['Bucket']} and its key are their owner's; apply the owner "
            "statements printed by the synth (INFO ebtrail: ...), deploy, then run 'ebtrail-verify preflight "
            f"--trail {a['Trail']} --readers {a['ReadersPrefix']}"
            + (f" --readers-account {a['ReadersAccount']}" if a["ReadersAccount"] != a["Trail"].split(":")[4] else "")
            + "'"
        )
    try:
        trails = [t for t in trails_from_assembly(cloud_assembly) if t.bucket not in owned_elsewhere]
        reports = [preflight_trail(trail) for trail in trails]
    except AssemblyError as exc:
        print(f"  preflight: cannot evaluate: {exc}")
        return PreflightExit.CANNOT_EVALUATE
    if not reports and adopted:
        return PreflightExit.PASS
    code = overall_exit(reports)
    requests = sum(len(report.results) for report in reports)
    print(
        f"  preflight (CloudTrail's bucket, key and topic policy checks): {verdict_word(code)}, "
        f"{len(reports)} trail(s), {requests} requests"
    )
    for report in reports:
        for line in [r.explain() for r in report.failures + report.unknown] + report.problems:
            print(f"    {report.trail.name}: {line}")
    hop_code = print_hops(cloud_assembly)
    return code if code is not PreflightExit.PASS else hop_code


def print_hops(cloud_assembly: Path) -> PreflightExit:
    """The hop preflight: every service-to-resource wire of the templates, its count and verdict per kind."""
    try:
        hops = hops_from_assembly(cloud_assembly)
    except AssemblyError as exc:
        print(f"  hop preflight: cannot evaluate: {exc}")
        return PreflightExit.CANNOT_EVALUATE
    code = hops_overall(hops)
    requests = sum(len(hop.results) for hop in hops)
    print(
        f"  hop preflight (every service-to-resource wire): {verdict_word(code)}, {len(hops)} hop(s), "
        f"{requests} requests"
    )
    verdicts = kind_verdicts(hops)
    for kind, count in counts(hops).items():
        print(f"    {kind}: {count} ({verdicts[kind]})")
    for hop in hops:
        for line in hop.lines():
            print(f"    {hop.kind} {hop.source}: {line}")
    return code


if __name__ == "__main__":
    sys.exit(main())
