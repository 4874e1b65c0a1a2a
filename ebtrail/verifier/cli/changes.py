"""``ebtrail-verify changes`` (what a deploy would replace) and ``ebtrail-verify import-map`` (the way back over what
a teardown kept). Both read cloud assemblies as JSON: no aws-cdk-lib, no Node."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from ebtrail.verifier.changes.assembly import AssemblyStack, read_assembly
from ebtrail.verifier.changes.compare import StackChanges, compare, guarded, impossible, refused
from ebtrail.verifier.changes.schemas import schema_source
from ebtrail.verifier.cloud_assembly import AssemblyError
from ebtrail.verifier.exit_codes import ExitCode

CHANGES_EPILOG = """
\b
Exit codes:
  0  nothing that records or notifies is replaced (or each such
     replacement is named by --allow)
  1  a trail, bucket, topic, subscription, key, alias, log group or
     role would be replaced (or a trail or bucket deleted), or a
     custom-named resource would be replaced under the same name
     (CloudFormation refuses that; --allow cannot accept it)
  2  bad input: an assembly that cannot be read, a bad option
  3  with --from-deployed: AWS could not be reached
"""


def _tokens(values: tuple[str, ...]) -> list[str]:
    return [token for value in values for token in re.split(r"[,\s]+", value) if token]


@click.command(
    "changes",
    epilog=CHANGES_EPILOG,
    help=(
        "Compare two synthesized cloud assemblies and list, per stack, what CloudFormation would add, delete and "
        "replace (from the resource schemas' create-only properties), and what each replacement means here: a gap "
        "in the record (the trail), subscribers who must confirm again (topics, subscriptions), a lost delivery "
        "path (keys, log groups, roles). Offline, or --from-deployed to compare with the deployed templates."
    ),
)
@click.option(
    "--from",
    "from_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The assembly deployed now (a cdk.out of the current config).",
)
@click.option(
    "--to",
    "to_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The assembly to deploy (a cdk.out of the changed config).",
)
@click.option(
    "--from-deployed",
    is_flag=True,
    help="Instead of --from: each stack's deployed template (CloudFormation GetTemplate, needs credentials).",
)
@click.option("--profile", default=None, help="With --from-deployed: the AWS profile (default: boto3 chain).")
@click.option(
    "--allow",
    multiple=True,
    help=(
        "A guarded replacement to accept (repeatable, or comma-separated): a logical ID, <stack>/<logical ID>, a "
        "resource type (AWS::SNS::Topic), a category (record, notify, delivery) or 'all'."
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def changes(
    *,
    from_dir: Path | None,
    to_dir: Path,
    from_deployed: bool,
    profile: str | None,
    allow: tuple[str, ...],
    as_json: bool,
) -> None:
    if (from_dir is None) == (not from_deployed):
        raise click.UsageError("give exactly one of --from DIR or --from-deployed")
    problems: list[str] = []
    code = ExitCode.PROVEN
    results: list[StackChanges] = []
    try:
        after = read_assembly(to_dir)
        before = read_assembly(from_dir) if from_dir is not None else _deployed(after, profile)
    except AssemblyError as exc:
        problems.append(str(exc))
        code = ExitCode.UNDECIDED
    except _UnreachableError as exc:
        problems.append(str(exc))
        code = ExitCode.UNREACHABLE
    else:
        if not after:
            problems.append(f"no CloudFormation stack in {to_dir}")
            code = ExitCode.UNDECIDED
        results = compare(before, after, _tokens(allow))
        if code == ExitCode.PROVEN and refused(results):
            code = ExitCode.DISPROVEN
    if as_json:
        click.echo(json.dumps(_json(results, problems, code), indent=2))
    else:
        for line in problems:
            click.echo(f"error: {line}", err=True)
        click.echo(format_changes(results, code))
    raise click.exceptions.Exit(int(code))


class _UnreachableError(Exception):
    pass


def _deployed(after: list[AssemblyStack], profile: str | None) -> list[AssemblyStack]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from ebtrail.verifier.changes.deployed import DeployedReadError, deployed_stacks, session_for

    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        return deployed_stacks(after, session_for(session))
    except (DeployedReadError, BotoCoreError, ClientError) as exc:
        raise _UnreachableError(f"cannot read the deployed templates: {exc}") from exc


def _json(results: list[StackChanges], problems: list[str], code: ExitCode) -> dict[str, Any]:
    return {
        "verdict": _verdict(results, code),
        "exit_code": int(code),
        "guarded": len(guarded(results)),
        "refused": len(refused(results)),
        "impossible": len(impossible(results)),
        "schemas": schema_source(),
        "problems": problems,
        "stacks": [r.to_json() for r in results],
    }


def _verdict(results: list[StackChanges], code: ExitCode) -> str:
    if code == ExitCode.PROVEN:
        return "SAFE"
    if code != ExitCode.DISPROVEN:
        return "UNDECIDED"
    return "IMPOSSIBLE" if impossible(results) else "REPLACES"


def format_changes(results: list[StackChanges], code: ExitCode) -> str:
    lines: list[str] = []
    for result in results:
        if result.status == "gone":
            lines.append(f"{result.stack}: not in the new assembly (a deploy leaves it as it is)")
            continue
        counts = ", ".join(f"{len(result.of(a))} to {a}" for a in ("add", "delete", "replace"))
        if result.of("update"):
            counts += f", {len(result.of('update'))} update(s) that matter"
        lines.append(f"{result.stack}{' (new stack)' if result.status == 'new' else ''}: {counts}")
        if result.status == "new":
            continue
        for change in sorted(result.changes, key=lambda c: ("replace", "update", "delete", "add").index(c.action)):
            mark = " !!" if change.impossible else " (allowed)" if change.allowed else " !" if change.guarded else ""
            lines.append(f"  {change.action.upper()}{mark} {change.logical_id} {change.resource_type}: {change.reason}")
            if change.meaning:
                lines.append(f"      {change.meaning}")
            if change.impossible:
                lines.append(f"      {change.impossible}")
    cannot = impossible(results)
    stop = [c for c in refused(results) if not c.impossible]
    if cannot:
        lines.append(
            f"changes: {len(cannot)} replacement(s) CloudFormation refuses (marked !!: a custom-named resource "
            "replaced under the same name); rename each or remove its custom name, --allow cannot accept them"
        )
    if code == ExitCode.DISPROVEN and stop:
        categories = ",".join(sorted({str(c.category) for c in stop}))
        lines.append(
            f"changes: {len(stop)} replacement(s) of what records or notifies (marked !); to deploy them anyway, "
            f"name them: --allow {categories} (make deploy ALLOW_REPLACE={categories}), or the logical IDs above"
        )
    elif code == ExitCode.PROVEN:
        lines.append(f"changes: nothing that records or notifies is replaced ({len(guarded(results))} allowed)")
    else:
        lines.append("changes: undecided")
    return "\n".join(lines)


IMPORT_EPILOG = """
\b
Exit codes:
  0  every kept resource of the new templates is mapped (or nothing to do)
  1  a kept resource has no deleted predecessor to import: the deploy
     would create it again (a fixed-name bucket then fails)
  2  bad input
  3  AWS could not be reached
"""


@click.command(
    "import-map",
    epilog=IMPORT_EPILOG,
    help=(
        "After `cdk destroy`: write, for each stack of the assembly that does not exist but whose deleted "
        "predecessor kept resources (buckets, keys, log groups), the resource-import mapping `cdk import "
        "<artifact> --resource-mapping <file>` takes, from the deleted stack's own record (CloudFormation "
        "ListStacks, ListStackResources)."
    ),
)
@click.option(
    "--assembly", type=click.Path(file_okay=False, path_type=Path), required=True, help="The synthesized cdk.out."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for <artifact ID>.json, one per stack to import.",
)
@click.option("--profile", default=None, help="AWS profile (default: boto3 chain).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def import_map_command(*, assembly: Path, out_dir: Path, profile: str | None, as_json: bool) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from ebtrail.verifier.changes.deployed import session_for
    from ebtrail.verifier.changes.kept import ImportMap, import_map

    try:
        stacks = read_assembly(assembly)
    except AssemblyError as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(int(ExitCode.UNDECIDED)) from exc
    maps: list[ImportMap] = []
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        # Another account's stack (an organization's archive) through the manifest's lookup role, as `changes`.
        sessions = session_for(session)
        maps = [import_map(stack, sessions(stack)) for stack in stacks]
    except (BotoCoreError, ClientError) as exc:
        click.echo(f"error: cannot read the deleted stacks: {exc}", err=True)
        raise click.exceptions.Exit(int(ExitCode.UNREACHABLE)) from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    for found in maps:
        if found.mapping:
            path = out_dir / f"{found.stack.artifact_id}.json"
            path.write_text(json.dumps(found.mapping, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    # A kept resource the deleted stack does not name would be created again (a fixed-name bucket fails then);
    # a stack without any deleted predecessor is a first deploy.
    missing = [m for m in maps if not m.exists and m.deleted_stack_id and m.unmatched]
    code = ExitCode.DISPROVEN if missing else ExitCode.PROVEN
    if as_json:
        rows = [
            {
                "artifact": m.stack.artifact_id,
                "stack": m.stack.name,
                "exists": m.exists,
                "deleted_stack_id": m.deleted_stack_id,
                "mapping": m.mapping,
                "unmatched": m.unmatched,
            }
            for m in maps
        ]
        click.echo(json.dumps({"exit_code": int(code), "stacks": rows}, indent=2))
    else:
        for m in maps:
            if m.exists:
                click.echo(f"{m.stack.name}: exists, nothing to import (cdk deploy updates it)")
                continue
            if m.deleted_stack_id is None:
                click.echo(f"{m.stack.name}: no deleted stack of this name, a first deploy creates everything")
                continue
            mapped = ", ".join(f"{lid}={next(iter(ids.values()))}" for lid, ids in m.mapping.items()) or "nothing"
            click.echo(f"{m.stack.name} ({m.stack.artifact_id}): import {mapped}")
            if m.unmatched:
                click.echo(f"  not kept by a deleted {m.stack.name}, created new: {', '.join(m.unmatched)}")
    raise click.exceptions.Exit(int(code))
