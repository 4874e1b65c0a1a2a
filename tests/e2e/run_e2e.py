"""``make e2e``: the real CDK CLI deploys every example config to ``moto_server``, and the verifier proves it.

Per config in ``config/*.toml``, each on a fresh ``moto_server`` (with ``moto_cloudformation`` loaded, see
``moto_launcher.py``) on a free port, reached through ``AWS_ENDPOINT_URL=http://localhost:PORT``:

1. ``cdk bootstrap`` every account and region of the config (with that account's credentials, trusting the
   deploying account), then ``cdk deploy --all --require-approval never -c config=...`` with the pinned CLI
   from the deploying account (moto's default account ``123456789012``). moto_server maps credentials to
   accounts by access key: ``sts:AssumeRole`` of any role ARN returns credentials of the role's account, which
   is how the CLI's bootstrap roles reach each account, exactly as on AWS (moto checks no trust policy).
2. Every stack is ``CREATE_COMPLETE`` and holds every resource of its template; moto's log shows no skipped
   type ("No Moto CloudFormation support") and no traceback.
3. What moto holds matches the templates: each trail's settings, status and event selectors; each bucket's
   encryption, versioning, public access block, ownership, lifecycle and Object Lock; the bucket, key and
   topic policies (the template's, intrinsics resolved) and the topics' keys.
4. ``preflight`` over each deployed trail passes.
5. The verifier alone ends with exit 1 after a short timeout (moto delivers no logs); with
   ``bench/verifier_play_cloudtrail.py`` playing CloudTrail it ends with exit 0, for every trail.
6. Nothing is left behind: no ``ebtrail-verify-*`` application or queue, no extra subscription.

7. Day two, for ``DAY_TWO_CONFIGS`` (``--day-two``), on the same moto_server (see :class:`DayTwo` and
   ``day_two.py``): an update (a subscriber, the lifecycle, CloudWatch Logs), a trail rename (archive first, the
   old trail's preflight between the two stacks), ``cdk destroy --all`` (what is kept and what is gone), and a
   redeploy over what was kept (``ebtrail-verify import-map``, ``cdk import``, ``cdk deploy``); each ends with
   checks 2 to 6 against its own templates. A failure names the step.

One line per config (and the day-two notes), then ``e2e: N/N configs deployed and verified in N s`` and
``e2e day 2: K/K steps``. Exit 0 only when every config
passes. moto and every child process are stopped on every way out (failure, Ctrl-C, SIGTERM).

    .venv/bin/python tests/e2e/run_e2e.py [--config config/default.toml ...] [--logs DIR] [--day-two NAME|none]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from deployment.config import OrganizationConfig, load_config  # noqa: E402
from deployment.plan import trail_targets  # noqa: E402
from ebtrail.verifier.preflight.assembly import Resolver, Stack, read_stacks  # noqa: E402
from tests.e2e import adopted_world  # noqa: E402
from tests.e2e import day_two as day_two_configs  # noqa: E402

CDK = REPO / "node_modules" / ".bin" / "cdk"
PYTHON = sys.executable
LAUNCHER = Path(__file__).resolve().parent / "moto_launcher.py"
PLAYER = REPO / "bench" / "verifier_play_cloudtrail.py"
DEPLOYER = "123456789012"  # moto's default account: the credentials `testing` belong to it
#: What moto logs when it skips a resource type.
SKIPPED = ("No Moto CloudFormation support", "not supported by moto's CloudFormation")
#: The one traceback that is expected: moto lacks CloudTrail LookupEvents, which the verifier's event-history
#: channel asks for (it reports that channel unavailable, see docs/verifier.md, the runs against moto_server).
EXPECTED_ERROR = "NotImplementedError: The lookup_events action has not been implemented"
#: The role the run assumes in each account (moto does not require it to exist, AWS would).
E2E_ROLE = "ebtrail-e2e-admin"
ALONE_TIMEOUT = 6
PLAYED_TIMEOUT = 45
#: Configs (by file name) that rehearse day two after their first deploy: update, rename, destroy, redeploy.
DAY_TWO_CONFIGS = ("default.toml", "organization.toml")
#: Seconds the CloudTrail player may take to start and list the applications already there.
PLAYER_READY_TIMEOUT = 60


#: Every child process started (moto servers, the CLI, verifiers, players): stopped on every way out.
CHILDREN: list[subprocess.Popen[Any]] = []
_CHILDREN_LOCK = threading.Lock()


def spawn(command: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Start a child in its own process group (so that stopping it stops what it started) and remember it."""
    process: subprocess.Popen[Any] = subprocess.Popen(command, start_new_session=True, **kwargs)
    with _CHILDREN_LOCK:
        CHILDREN.append(process)
    return process


def finish(process: subprocess.Popen[Any], timeout: float) -> int:
    """Wait for a child; past the timeout stop it (and its group) and raise."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        raise


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stop_all() -> None:
    with _CHILDREN_LOCK:
        children = list(CHILDREN)
    for process in children:
        stop(process)


class StepFailedError(Exception):
    """A step disagreed; the message says which and how."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Moto:
    """One moto_server process (its own process group, so that stopping it stops everything it started)."""

    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = spawn([PYTHON, str(LAUNCHER), "-p", str(self.port)], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StepFailedError(
                    f"moto_server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("localhost", self.port), timeout=1):
                return
            time.sleep(0.2)
        raise StepFailedError("moto_server did not start within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def problems(self) -> list[str]:
        """Skipped resource types, and the last line of every traceback but the expected one."""
        lines = self.log.read_text(errors="replace").splitlines()
        found = [line.strip() for line in lines if any(p in line for p in SKIPPED)]
        in_traceback = False
        for line in lines:
            if line.startswith("Traceback"):
                in_traceback = True
            elif in_traceback and line and not line[0].isspace():
                in_traceback = False
                if line.strip() != EXPECTED_ERROR:
                    found.append(line.strip())
        return found


class Accounts:
    """Credentials of every account on one moto_server: the deployer's, and each account's through AssumeRole."""

    def __init__(self, moto: Moto) -> None:
        self.moto = moto
        self._credentials: dict[str, dict[str, str]] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            PATH=f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}",
            AWS_ENDPOINT_URL=self.moto.endpoint,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            CDK_DISABLE_VERSION_CHECK="true",
            CDK_DISABLE_CLI_TELEMETRY="true",
            JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
            PYTHONPATH=str(REPO),
        )
        return env

    def credentials(self, account: str) -> dict[str, str]:
        if account == DEPLOYER:
            return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        if account not in self._credentials:
            sts = boto3.client(
                "sts",
                region_name="us-east-1",
                endpoint_url=self.moto.endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            role = f"arn:aws:iam::{account}:role/{E2E_ROLE}"
            found = sts.assume_role(RoleArn=role, RoleSessionName="ebtrail-e2e")["Credentials"]
            self._credentials[account] = {
                "AWS_ACCESS_KEY_ID": found["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": found["SecretAccessKey"],
                "AWS_SESSION_TOKEN": found["SessionToken"],
            }
        return self._credentials[account]

    def env(self, account: str, region: str) -> dict[str, str]:
        return {**self.base_env(), **self.credentials(account), "AWS_REGION": region, "AWS_DEFAULT_REGION": region}

    def session(self, account: str, region: str) -> boto3.Session:
        c = self.credentials(account)
        return boto3.Session(
            aws_access_key_id=c["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=c["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=c.get("AWS_SESSION_TOKEN"),
            region_name=region,
        )

    def client(self, service: str, account: str, region: str) -> Any:
        key = (service, account, region)
        if key not in self._clients:
            self._clients[key] = self.session(account, region).client(service, endpoint_url=self.moto.endpoint)  # type: ignore[call-overload]
        return self._clients[key]


def run(command: list[str], env: dict[str, str], log: Path, *, cwd: Path, timeout: float = 180) -> None:
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        code = finish(spawn(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT), timeout)
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise StepFailedError(f"{' '.join(command[:3])} ... exited with {code}:\n{tail}")


@dataclass
class ConfigResult:
    name: str
    seconds: float = 0.0
    stacks: int = 0
    resources: int = 0
    trails: int = 0
    preflight_requests: int = 0
    preflight_seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    #: Day-two steps rehearsed (0: first deploy only) and passed (the first deploy is the first step).
    day_two_steps: int = 0
    day_two_passed: int = 0
    #: What a day-two step observed (what the old trail sees during a rename, what the destroy kept).
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def step(result: ConfigResult, name: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        result.steps[name] = result.steps.get(name, 0.0) + time.monotonic() - start


def bootstrap(accounts: Accounts, environments: set[tuple[str, str]], scratch: Path, log: Path) -> None:
    """One ``cdk bootstrap`` per account (all its regions), concurrently, each with its own credentials."""
    by_account: dict[str, list[str]] = {}
    for account, region in sorted(environments):
        by_account.setdefault(account, []).append(region)
    processes = []
    for account, regions in by_account.items():
        command = [
            str(CDK),
            "bootstrap",
            *[f"aws://{account}/{region}" for region in regions],
            "--trust",
            DEPLOYER,
            "--cloudformation-execution-policies",
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ]
        account_log = log.with_name(f"bootstrap-{account}.log")
        out = account_log.open("wb")
        process = spawn(
            command, env=accounts.env(account, regions[0]), cwd=scratch, stdout=out, stderr=subprocess.STDOUT
        )
        processes.append((command, account_log, out, process))
    failures = []
    for command, account_log, out, process in processes:
        try:
            code = finish(process, 180)
        finally:
            out.close()
        if code != 0:
            tail = "\n".join(account_log.read_text(errors="replace").splitlines()[-10:])
            failures.append(f"{' '.join(command[:3])} exited with {code}:\n{tail}")
    if failures:
        raise StepFailedError("\n".join(failures))


def check_stacks(accounts: Accounts, stacks: list[Stack]) -> int:
    """Every stack complete, every template resource created (nothing skipped). Returns the resource count."""
    total = 0
    for stack in stacks:
        cfn = accounts.client("cloudformation", stack.account, stack.region)
        status = cfn.describe_stacks(StackName=stack.name)["Stacks"][0]["StackStatus"]
        if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise StepFailedError(f"stack {stack.name}: {status}")
        deployed = {
            r["LogicalResourceId"]: r
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack.name)
            for r in page["StackResourceSummaries"]
        }
        missing = sorted(set(stack.resources) - set(deployed))
        if missing:
            types = sorted({stack.resources[m]["Type"] for m in missing})
            raise StepFailedError(f"stack {stack.name}: resources not created: {missing} ({types})")
        incomplete = [k for k, r in deployed.items() if not r.get("PhysicalResourceId")]
        if incomplete:
            raise StepFailedError(f"stack {stack.name}: resources without a physical ID: {incomplete}")
        total += len(stack.resources)
    return total


def _physical_ids(accounts: Accounts, stack: Stack) -> dict[str, str]:
    cfn = accounts.client("cloudformation", stack.account, stack.region)
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack.name)
        for r in page["StackResourceSummaries"]
    }


def _same(what: str, deployed: Any, expected: Any) -> None:
    if deployed != expected:
        raise StepFailedError(f"{what}: moto holds {deployed!r}, the template says {expected!r}")


def _policy(text: str | bytes) -> Any:
    return json.loads(text)


def check_state(accounts: Accounts, stacks: list[Stack]) -> None:
    """What moto holds, compared with the templates (intrinsics resolved by the preflight's resolver)."""
    key_arns: dict[str, str] = {}
    for stack in stacks:
        ids = _physical_ids(accounts, stack)
        kms = accounts.client("kms", stack.account, stack.region)
        for logical_id, resource in stack.resources.items():
            if resource["Type"] == "AWS::KMS::Key":
                metadata = kms.describe_key(KeyId=ids[logical_id])["KeyMetadata"]
                key_arns[Resolver(stack).key_arn(logical_id)] = metadata["Arn"]
    for stack in stacks:
        resolver, ids = Resolver(stack), _physical_ids(accounts, stack)

        def resolved(value: Any, resolver: Resolver = resolver) -> Any:
            text = json.dumps(resolver.resolve(value))
            for stand_in, arn in key_arns.items():
                text = text.replace(stand_in, arn)
            return json.loads(text)

        for logical_id, resource in stack.resources.items():
            kind, props = resource["Type"], resource.get("Properties", {})
            where = f"{stack.name}/{logical_id}"
            if kind == "AWS::CloudTrail::Trail":
                # The fields compared below (a log group's ARN, say, exists only after the deploy).
                compared = ("TrailName", "S3BucketName", "S3KeyPrefix", "KMSKeyId", "SnsTopicName")
                _check_trail(
                    accounts, stack, where, {**props, **{k: resolved(props[k]) for k in compared if k in props}}
                )
            elif kind == "AWS::S3::Bucket":
                _check_bucket(accounts, stack, where, ids[logical_id], resolved(props))
            elif kind == "AWS::S3::BucketPolicy":
                s3 = accounts.client("s3", stack.account, stack.region)
                bucket = resolved(props["Bucket"])
                _same(
                    f"{where} policy",
                    _policy(s3.get_bucket_policy(Bucket=bucket)["Policy"]),
                    resolved(props["PolicyDocument"]),
                )
            elif kind == "AWS::KMS::Key":
                kms = accounts.client("kms", stack.account, stack.region)
                policy = kms.get_key_policy(KeyId=ids[logical_id], PolicyName="default")["Policy"]
                _same(f"{where} key policy", _policy(policy), resolved(props["KeyPolicy"]))
                rotation = kms.get_key_rotation_status(KeyId=ids[logical_id])["KeyRotationEnabled"]
                _same(f"{where} rotation", rotation, bool(props.get("EnableKeyRotation", False)))
            elif kind == "AWS::SNS::TopicPolicy":
                sns = accounts.client("sns", stack.account, stack.region)
                for topic in resolved(props["Topics"]):
                    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
                    _same(
                        f"{where} policy of {topic}", _policy(attributes["Policy"]), resolved(props["PolicyDocument"])
                    )
            elif kind == "AWS::SNS::Topic" and "KmsMasterKeyId" in props:
                sns = accounts.client("sns", stack.account, stack.region)
                attributes = sns.get_topic_attributes(TopicArn=ids[logical_id])["Attributes"]
                _same(f"{where} key", attributes.get("KmsMasterKeyId"), resolved(props["KmsMasterKeyId"]))


def _check_trail(accounts: Accounts, stack: Stack, where: str, props: dict[str, Any]) -> None:
    cloudtrail = accounts.client("cloudtrail", stack.account, stack.region)
    name = props["TrailName"]
    trail = cloudtrail.get_trail(Name=name)["Trail"]
    expected = {
        "S3BucketName": props["S3BucketName"],
        "S3KeyPrefix": props.get("S3KeyPrefix"),
        "KmsKeyId": props.get("KMSKeyId"),
        "SnsTopicName": props.get("SnsTopicName"),
        "IsMultiRegionTrail": bool(props.get("IsMultiRegionTrail", False)),
        "IsOrganizationTrail": bool(props.get("IsOrganizationTrail", False)),
        "LogFileValidationEnabled": bool(props.get("EnableLogFileValidation", False)),
        "IncludeGlobalServiceEvents": bool(props.get("IncludeGlobalServiceEvents", True)),
    }
    _same(f"{where} settings", {k: trail.get(k) for k in expected}, expected)
    _same(f"{where} logging", cloudtrail.get_trail_status(Name=name)["IsLogging"], bool(props.get("IsLogging")))
    found = cloudtrail.get_event_selectors(TrailName=name)
    if "AdvancedEventSelectors" in props:
        _same(f"{where} advanced event selectors", found.get("AdvancedEventSelectors"), props["AdvancedEventSelectors"])
    if props.get("InsightSelectors"):
        insights = cloudtrail.get_insight_selectors(TrailName=name).get("InsightSelectors")
        _same(f"{where} insight selectors", insights, props["InsightSelectors"])
    selectors = found.get("EventSelectors", [])
    wanted = [
        {"ReadWriteType": s["ReadWriteType"], "IncludeManagementEvents": s["IncludeManagementEvents"]}
        for s in props.get("EventSelectors", [])
    ]
    _same(
        f"{where} event selectors",
        [{k: s.get(k) for k in ("ReadWriteType", "IncludeManagementEvents")} for s in selectors],
        wanted,
    )


def _check_bucket(accounts: Accounts, stack: Stack, where: str, name: str, props: dict[str, Any]) -> None:
    s3 = accounts.client("s3", stack.account, stack.region)
    if "BucketEncryption" in props:
        (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        (wanted,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        default = rule["ApplyServerSideEncryptionByDefault"]
        _same(
            f"{where} encryption", default.get("SSEAlgorithm"), wanted["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        )
        _same(
            f"{where} KMS key",
            default.get("KMSMasterKeyID"),
            wanted["ServerSideEncryptionByDefault"].get("KMSMasterKeyID"),
        )
        _same(f"{where} bucket key", rule.get("BucketKeyEnabled", False), bool(wanted.get("BucketKeyEnabled", False)))
    if "VersioningConfiguration" in props:
        _same(
            f"{where} versioning",
            s3.get_bucket_versioning(Bucket=name).get("Status"),
            props["VersioningConfiguration"]["Status"],
        )
    if "PublicAccessBlockConfiguration" in props:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        _same(
            f"{where} public access block",
            block,
            {k: bool(v) for k, v in props["PublicAccessBlockConfiguration"].items()},
        )
    if "OwnershipControls" in props:
        rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
        _same(f"{where} ownership", rules, props["OwnershipControls"]["Rules"])
    if "LifecycleConfiguration" in props:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        got = [
            (
                r.get("ID"),
                r["Status"],
                r.get("Expiration", {}).get("Days"),
                [(t["Days"], t["StorageClass"]) for t in r.get("Transitions", [])],
            )
            for r in rules
        ]
        want = [
            (
                r.get("Id"),
                r["Status"],
                r.get("ExpirationInDays"),
                [(t["TransitionInDays"], t["StorageClass"]) for t in r.get("Transitions", [])],
            )
            for r in props["LifecycleConfiguration"]["Rules"]
        ]
        _same(f"{where} lifecycle", got, want)
    if props.get("ObjectLockEnabled"):
        lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
        got = lock.get("Rule", {}).get("DefaultRetention", {})
        want = props["ObjectLockConfiguration"].get("Rule", {}).get("DefaultRetention", {})
        # moto answers an absent period as 0.
        _same(
            f"{where} object lock",
            [got.get(k) or 0 for k in ("Mode", "Days", "Years")],
            [want.get(k) or 0 for k in ("Mode", "Days", "Years")],
        )


def preflight_trail(
    accounts: Accounts, config: Any, target: Any, log: Path, extra: tuple[str, ...] = ()
) -> tuple[int, dict[str, Any]]:
    """``ebtrail-verify preflight --trail`` over one trail, as an engineer would run it: its exit and report.
    ``extra``: more options (an adopted trail's ``--readers``)."""
    command = [PYTHON, "-m", "ebtrail.verifier", "preflight", "--trail", target.arn, "--json", *extra]
    if config.archive.account != target.account:
        # The archive's bucket and key policies are readable only from its own account.
        command += ["--archive-role-arn", f"arn:aws:iam::{config.archive.account}:role/{E2E_ROLE}"]
    if config.organization_id:
        # moto has no organization; the ID is the config's (on AWS: DescribeOrganization).
        command += ["--organization-id", config.organization_id]
    env = accounts.env(target.account, target.home_region)
    process = spawn(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        stop(process)
        raise
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(command)}\n{stdout}{stderr}")
    try:
        report = json.loads(stdout)
    except ValueError as exc:
        raise StepFailedError(f"preflight --trail {target.arn}: exit {process.returncode}: {stderr[-500:]}") from exc
    return process.returncode, report


def preflight_failures(report: dict[str, Any]) -> list[str]:
    (trail,) = report["trails"]
    return [str(line) for line in (trail["failures"] + trail["cannot_evaluate"])[:5] + trail["problems"]]


def check_preflight(
    accounts: Accounts, config: Any, result: ConfigResult, log: Path, extra: tuple[str, ...] = ()
) -> None:
    """``ebtrail-verify preflight --trail`` over each deployed trail passes (and the trail ebtrail adds beside an
    adopted one)."""
    for target in [*trail_targets(config), *adopted_world.extra_trails(config)]:
        code, report = preflight_trail(accounts, config, target, log, extra)
        result.preflight_requests += int(report["requests"])
        result.preflight_seconds += float(report["seconds"])
        if code != 0:
            raise StepFailedError(
                f"preflight --trail {target.arn}: {report['verdict']} (exit {code}): {preflight_failures(report)}"
            )


def verify(accounts: Accounts, target: Any, timeout: float, log: Path) -> int:
    env = accounts.env(target.account, target.home_region)
    command = [PYTHON, "-m", "ebtrail.verifier", "verify", "--trail", target.arn, "--timeout", str(timeout), "--json"]
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        return finish(spawn(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT), timeout + 120)


def check_verifier(accounts: Accounts, config: Any, log: Path) -> None:
    targets = trail_targets(config)
    alone = verify(accounts, targets[0], ALONE_TIMEOUT, log)
    if alone != 1:
        raise StepFailedError(f"verifier alone on {targets[0].arn}: exit {alone}, expected 1 (no log file can arrive)")
    organization_id = config.organization_id
    for target in targets:
        command = [
            PYTHON,
            str(PLAYER),
            "--trail",
            target.arn,
            "--region",
            target.home_region,
            "--delay",
            "1",
            "--wait",
            str(PLAYED_TIMEOUT),
        ]
        if organization_id:
            command += ["--organization-id", organization_id]
        player_log = log.with_name(f"player-{target.account}.log")
        with player_log.open("wb") as out:
            player = spawn(
                command,
                env=accounts.env(target.account, target.home_region),
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_ready(player, player_log)
                code = verify(accounts, target, PLAYED_TIMEOUT, log)
                played = finish(player, PLAYED_TIMEOUT)
            finally:
                stop(player)
        if code != 0 or played != 0:
            raise StepFailedError(
                f"verifier with the CloudTrail player on {target.arn}: exit {code} (player {played}), expected 0; "
                f"player: {player_log.read_text(errors='replace').strip()[-300:]}"
            )


def wait_until_ready(player: subprocess.Popen[Any], player_log: Path) -> None:
    """Wait for the player's ``ready:`` line: it snapshots the applications already there, so a verifier started
    before that (on a loaded machine) would have its probe application counted as old and never played."""
    deadline = time.monotonic() + PLAYER_READY_TIMEOUT
    while time.monotonic() < deadline:
        if "ready:" in player_log.read_text(errors="replace"):
            return
        if player.poll() is not None:
            break
        time.sleep(0.2)
    raise StepFailedError(
        f"CloudTrail player not ready after {PLAYER_READY_TIMEOUT} s (exit {player.poll()}): "
        f"{player_log.read_text(errors='replace').strip()[-300:]}"
    )


def _declared_subscriptions(stacks: list[Stack], target: Any) -> int:
    """Subscriptions the templates put on the trail's delivery topic."""
    count = 0
    for stack in stacks:
        if (stack.account, stack.region) != (target.account, target.home_region):
            continue
        topics = {
            logical_id
            for logical_id, r in stack.resources.items()
            if r["Type"] == "AWS::SNS::Topic" and r["Properties"].get("TopicName") == target.delivery_topic_name
        }
        count += sum(
            1
            for r in stack.resources.values()
            if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["TopicArn"] in [{"Ref": t} for t in topics]
        )
    return count


def check_nothing_left(accounts: Accounts, config: Any, stacks: list[Stack]) -> None:
    for target in trail_targets(config):
        eb = accounts.client("elasticbeanstalk", target.account, target.home_region)
        apps = [a["ApplicationName"] for a in eb.describe_applications()["Applications"]]
        left = [a for a in apps if a.startswith("ebtrail-verify-")]
        sqs = accounts.client("sqs", target.account, target.home_region)
        left += sqs.list_queues(QueueNamePrefix="ebtrail-verify-").get("QueueUrls", [])
        if config.existing_trail is not None:  # an adopted trail's topic (if any) is its owner's
            if left:
                raise StepFailedError(f"left behind in {target.account}/{target.home_region}: {left}")
            continue
        sns = accounts.client("sns", target.account, target.home_region)
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=target.delivery_topic_arn)["Subscriptions"]
        declared = _declared_subscriptions(stacks, target)
        left += [s["SubscriptionArn"] for s in subscriptions if s["Protocol"] != "email"]
        if left or len(subscriptions) != declared:
            raise StepFailedError(
                f"left behind in {target.account}/{target.home_region}: {left} "
                f"({len(subscriptions)} subscriptions, {declared} declared)"
            )


def with_moto_organization(accounts: Accounts, config_path: Path, config: Any, scratch: Path) -> Path:
    """An organization config, with the organization moto creates in the management account.

    On AWS the organization exists before the deploy, and its IDs are the ones in the config. moto makes up its
    own organization and root IDs, so the run creates the organization in the management account
    (``CreateOrganization``) and deploys a copy of the config with moto's organization ID and root ID in place of
    the example ones (guardrail targets ``r-...``); everything else is the example config as written.
    """
    if not isinstance(config, OrganizationConfig):
        return config_path
    management = config.organization.management_account
    organizations = accounts.client("organizations", management, config.organization.home_region)
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    text = config_path.read_text().replace(f'"{config.organization.id}"', f'"{organization["Id"]}"')
    guardrails = config.organization.guardrails
    for target in guardrails.targets if guardrails else ():
        if not str(target).startswith("r-"):
            raise StepFailedError(f"guardrail target {target}: only the organization root exists on moto")
        text = text.replace(f'"{target}"', f'"{root}"')
    copy = scratch / config_path.name
    copy.write_text(text)
    return copy


#: Seconds one ``cdk deploy`` or ``cdk destroy`` may take (the update of the largest stack takes ~30 s idle).
DEPLOY_TIMEOUT = 300
#: The construct ID of the log-archive stack (stacks.app_builder), by which ``cdk deploy`` selects it.
ARCHIVE_STACK_ID = "LogArchive"
#: DeletionPolicy values under which CloudFormation keeps a resource on stack delete.
KEPT_POLICIES = ("Retain", "RetainExceptOnCreate", "Snapshot")


def _exists(accounts: Accounts, stack: Stack, kind: str, physical_id: str) -> bool | None:
    """Whether moto still holds a resource of this type (``None``: a type the run does not probe)."""
    client = partial(accounts.client, account=stack.account, region=stack.region)
    probes: dict[str, Callable[[], Any]] = {
        "AWS::S3::Bucket": lambda: client("s3").head_bucket(Bucket=physical_id),
        "AWS::KMS::Key": lambda: client("kms").describe_key(KeyId=physical_id),
        "AWS::Logs::LogGroup": lambda: next(
            g
            for g in client("logs").describe_log_groups(logGroupNamePrefix=physical_id)["logGroups"]
            if g["logGroupName"] == physical_id
        ),
        "AWS::CloudTrail::Trail": lambda: client("cloudtrail").get_trail(Name=physical_id),
        "AWS::IAM::Role": lambda: client("iam").get_role(RoleName=physical_id),
        "AWS::IAM::ManagedPolicy": lambda: client("iam").get_policy(PolicyArn=physical_id),
        "AWS::SNS::Topic": lambda: client("sns").get_topic_attributes(TopicArn=physical_id),
        "AWS::Lambda::Function": lambda: client("lambda").get_function(FunctionName=physical_id),
        "AWS::SQS::Queue": lambda: client("sqs").get_queue_attributes(QueueUrl=physical_id),
    }
    if kind not in probes:
        return None
    try:
        probes[kind]()
    except (ClientError, StopIteration):
        return False
    return True


class DayTwo:
    """The day-two steps after a first deploy, each on the same moto_server, each ending with the run's checks
    (what moto holds matches the new templates, preflight, the verifier with the CloudTrail player)."""

    def __init__(self, context: Context, deployed_config: Path, stacks: list[Stack]) -> None:
        self.context = context
        self.accounts, self.result, self.log_dir, self.scratch = (
            context.accounts,
            context.result,
            context.log_dir,
            context.scratch,
        )
        self.config_path = deployed_config
        self.stacks = stacks
        #: The last assembly deployed (destroy and redeploy use the rename's, which saves two syntheses).
        self.assembly = context.scratch / "cdk.out-deploy"

    def _next_config(self, name: str, data: dict[str, Any]) -> Path:
        self.config_path = day_two_configs.write(data, self.scratch / f"{name}-{self.config_path.name}")
        return self.config_path

    def update(self) -> None:
        """A subscriber added, another lifecycle, CloudWatch Logs on: an update in place of the deployed stacks."""
        path = self._next_config("update", day_two_configs.updated(day_two_configs.read(self.config_path)))
        self.stacks = deploy_and_check(self.context, path, "update")
        self.assembly = self.scratch / "cdk.out-update"

    def rename(self) -> None:
        """The trail renamed. The archive stack is deployed first, alone, as ``cdk deploy --all`` orders it; the
        preflight then says whether the old trail, still running, may still deliver (with ``trail.previous_names``
        it must); then every stack, and the old trail must be gone."""
        before = load_config(self.config_path)
        keep_previous = "previous_names" in type(before.trail).model_fields
        data = day_two_configs.renamed(day_two_configs.read(self.config_path), keep_previous=keep_previous)
        path = self._next_config("rename", data)
        assembly = self.scratch / "cdk.out-rename"
        with step(self.result, "rename archive first"):
            # The CLI selects stacks by construct ID: the archive stack's is stacks.app_builder's "LogArchive".
            cdk_deploy(self.accounts, path, assembly, self.log_dir / "rename-archive.log", ARCHIVE_STACK_ID)
        for old in trail_targets(before):
            code, report = preflight_trail(self.accounts, before, old, self.log_dir / "rename-old-trail-preflight.log")
            seen = "may deliver" if code == 0 else f"is refused ({preflight_failures(report)[:1]})"
            self.result.notes.append(
                f"old trail {old.name} after the archive update, before the trail update: {seen}"
                + ("" if keep_previous else " (no trail.previous_names in this config model)")
            )
            if keep_previous and code != 0:
                raise StepFailedError(
                    f"with trail.previous_names the old trail {old.arn} must still deliver: {report['verdict']}"
                )
        self.stacks = deploy_and_check(self.context, path, "rename", synthesized=assembly)
        self.assembly = assembly
        for old in trail_targets(before):
            cloudtrail = self.accounts.client("cloudtrail", old.account, old.home_region)
            left = [t["Name"] for t in cloudtrail.describe_trails()["trailList"] if t["Name"] == old.name]
            if left:
                raise StepFailedError(f"the old trail {old.arn} is still there after the rename")

    def destroy(self) -> None:
        """``cdk destroy --all``: every stack gone; every resource its DeletionPolicy keeps still there, every
        other resource the run can probe gone."""
        config = load_config(self.config_path)
        kept: list[tuple[Stack, str, str, str]] = []
        deleted: list[tuple[Stack, str, str, str]] = []
        for stack in self.stacks:
            ids = _physical_ids(self.accounts, stack)
            for logical_id, resource in stack.resources.items():
                entry = (stack, logical_id, resource["Type"], ids[logical_id])
                if _exists(self.accounts, stack, resource["Type"], ids[logical_id]) is None:
                    continue
                if not _exists(self.accounts, stack, resource["Type"], ids[logical_id]):
                    raise StepFailedError(f"before the destroy, {stack.name}/{logical_id} cannot be found in moto")
                (kept if resource.get("DeletionPolicy") in KEPT_POLICIES else deleted).append(entry)
        run(
            [*cdk_command("destroy", self.config_path, self.assembly, synthesized=True), "--all", "--force"],
            self.accounts.env(DEPLOYER, config.archive.region),
            self.log_dir / "destroy.log",
            cwd=REPO,
            timeout=DEPLOY_TIMEOUT,
        )
        for stack in self.stacks:
            cfn = self.accounts.client("cloudformation", stack.account, stack.region)
            alive = [
                s
                for s in cfn.list_stacks()["StackSummaries"]
                if s["StackName"] == stack.name and s["StackStatus"] != "DELETE_COMPLETE"
            ]
            if alive:
                status, reason = alive[0]["StackStatus"], alive[0].get("StackStatusReason")
                raise StepFailedError(f"stack {stack.name} after cdk destroy: {status}: {reason}")
        lost = [f"{s.name}/{lid} ({kind})" for s, lid, kind, pid in kept if not _exists(self.accounts, s, kind, pid)]
        left = [f"{s.name}/{lid} ({kind})" for s, lid, kind, pid in deleted if _exists(self.accounts, s, kind, pid)]
        if lost or left:
            raise StepFailedError(
                f"after cdk destroy: kept resources gone: {lost}; deleted resources still there: {left}"
            )
        counts = Counter(kind.split("::")[-1] for _, _, kind, _ in kept)
        self.result.notes.append(
            "destroy kept "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
            + f"; {len(deleted)} probed resources deleted"
        )

    def redeploy(self) -> None:
        """The same config again over what the destroy kept, the README's way back (``make redeploy``):
        ``ebtrail-verify import-map`` maps each kept bucket, key and log group to its new stack, ``cdk import``
        adopts them (archive first), then ``cdk deploy --all`` creates the rest; then every check of the run."""
        config = load_config(self.config_path)
        env = self.accounts.env(DEPLOYER, config.archive.region)
        mappings = self.scratch / "import"
        command = [
            PYTHON,
            "-m",
            "ebtrail.verifier",
            "import-map",
            "--assembly",
            str(self.assembly),
            "--out",
            str(mappings),
        ]
        with step(self.result, "redeploy import"):
            run([*command, "--json"], env, self.log_dir / "redeploy-import-map.log", cwd=REPO, timeout=120)
            imported = 0
            for mapping in sorted(mappings.glob("*.json")):
                imported += len(json.loads(mapping.read_text()))
                run(
                    [
                        *cdk_command("import", self.config_path, self.assembly, synthesized=True),
                        mapping.stem,
                        "--resource-mapping",
                        str(mapping),
                        "--force",
                    ],
                    env,
                    self.log_dir / "redeploy-import.log",
                    cwd=REPO,
                    timeout=DEPLOY_TIMEOUT,
                )
        self.result.notes.append(f"redeploy imported {imported} kept resource(s) before the deploy")
        self.stacks = deploy_and_check(self.context, self.config_path, "redeploy", synthesized=self.assembly)


def cdk_command(action: str, config_path: Path, assembly: Path, *, synthesized: bool) -> list[str]:
    """``cdk <action>`` of the config, synthesizing into ``assembly``, or (``synthesized``) of the assembly
    already there, which saves a synthesis (most of a deploy's CPU time)."""
    source = ["--app", str(assembly)] if synthesized else ["-c", f"config={config_path.resolve()}", "-o", str(assembly)]
    return [str(CDK), action, *source]


def cdk_deploy(
    accounts: Accounts, config_path: Path, assembly: Path, log: Path, *stacks: str, synthesized: bool = False
) -> None:
    """``cdk deploy`` of every stack (or only ``stacks``, without their dependencies), within a bound."""
    config = load_config(config_path)
    selection = [*stacks, "--exclusively"] if stacks else ["--all"]
    run(
        [
            *cdk_command("deploy", config_path, assembly, synthesized=synthesized),
            *selection,
            "--require-approval",
            "never",
            "--progress",
            "events",
        ],
        accounts.env(DEPLOYER, config.archive.region),
        log,
        cwd=REPO,
        timeout=DEPLOY_TIMEOUT,
    )


@dataclass
class Context:
    """One config's run: its moto_server, the accounts on it, the result being written, its logs and scratch."""

    accounts: Accounts
    moto: Moto
    result: ConfigResult
    log_dir: Path
    scratch: Path
    #: What existed before ebtrail (an adopted trail's world, :mod:`tests.e2e.adopted_world`); None otherwise.
    world: Any = None


def deploy_and_check(context: Context, config_path: Path, name: str, *, synthesized: Path | None = None) -> list[Stack]:
    """One deploy of every stack, then every check of the run: the stacks as templated, what moto holds, the
    preflight, the verifier alone and with the CloudTrail player, nothing left behind, no problem in moto's log.
    ``name`` is the step (``deploy`` for the first deploy, which keeps its per-phase timings); ``synthesized``
    an assembly of the config already synthesized."""
    accounts, moto, result, log_dir = context.accounts, context.moto, context.result, context.log_dir
    config = load_config(config_path)
    prefix = "" if name == "deploy" else f"{name}-"
    assembly = synthesized or context.scratch / f"cdk.out-{name}"
    with step(result, "deploy" if name == "deploy" else f"{name} deploy"):
        cdk_deploy(accounts, config_path, assembly, log_dir / f"{prefix}deploy.log", synthesized=bool(synthesized))
    adopted_world.apply_owner_statements(accounts, context.world, assembly)
    stacks = read_stacks(assembly)
    with step(result, "compare" if name == "deploy" else f"{name} checks"):
        resources = check_stacks(accounts, stacks)
        check_state(accounts, stacks)
    if name == "deploy":
        result.stacks, result.trails, result.resources = len(stacks), len(trail_targets(config)), resources
    with step(result, "preflight") if name == "deploy" else contextlib.nullcontext():
        extra = tuple(adopted_world.preflight_arguments(context.world))
        check_preflight(accounts, config, result, log_dir / f"{prefix}preflight.log", extra)
    with step(result, "verifier") if name == "deploy" else step(result, f"{name} checks"):
        check_verifier(accounts, config, log_dir / f"{prefix}verify.log")
    check_nothing_left(accounts, config, stacks)
    adopted_world.check_unchanged(accounts, context.world)
    problems = moto.problems()
    if problems:
        raise StepFailedError(f"moto logged {len(problems)} problem(s): {problems[:5]}")
    return stacks


def run_config(config_path: Path, logs: Path, *, day_two: bool = False) -> ConfigResult:
    result = ConfigResult(config_path.name, day_two_steps=len(day_two_configs.STEPS) if day_two else 0)
    started = time.monotonic()
    log_dir = logs / config_path.stem
    log_dir.mkdir(parents=True, exist_ok=True)
    moto = Moto(log=log_dir / "moto.log")
    current = "deploy"
    try:
        config = load_config(config_path)
        with tempfile.TemporaryDirectory(prefix="ebtrail-e2e-") as scratch_dir:
            scratch = Path(scratch_dir)
            moto.start()
            accounts = Accounts(moto)
            deployed_config = with_moto_organization(accounts, config_path, config, scratch)
            # An adopted trail: first what Control Tower (or its owner) would have, then ebtrail on top.
            deployed_config, world = adopted_world.prepare(accounts, deployed_config, config, scratch)
            config = load_config(deployed_config)
            targets = trail_targets(config)
            environments = {(config.archive.account, config.archive.region)}
            environments |= {(t.account, t.home_region) for t in targets}
            with step(result, "bootstrap"):
                bootstrap(accounts, environments, scratch, log_dir / "bootstrap.log")
            context = Context(accounts, moto, result, log_dir, scratch, world)
            stacks = deploy_and_check(context, deployed_config, "deploy")
            if day_two:
                result.day_two_passed = 1
                rehearsal = DayTwo(context, deployed_config, stacks)
                for current in day_two_configs.STEPS[1:]:
                    with step(result, current):
                        getattr(rehearsal, current)()
                    result.day_two_passed += 1
    except (StepFailedError, subprocess.TimeoutExpired) as exc:
        result.error = f"step {current}: {exc}"
    except Exception as exc:  # a boto3 or parsing error is a failed step too, with its type
        result.error = f"step {current}: {type(exc).__name__}: {exc}"
    finally:
        moto.stop()
        result.seconds = time.monotonic() - started
    return result


def describe(result: ConfigResult) -> str:
    notes = "".join(f"\ne2e: {result.name}: {note}" for note in result.notes)
    if result.day_two_steps:
        notes += f"\ne2e: {result.name}: day 2: {result.day_two_passed}/{result.day_two_steps} steps"
    if result.error:
        return f"e2e: {result.name}: FAILED after {result.seconds:.0f} s: {result.error}{notes}"
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result.steps.items())
    return (
        f"e2e: {result.name}: ok in {result.seconds:.0f} s ({steps}): {result.stacks} stacks, {result.resources} "
        f"resources as templated; {result.trails} trail(s); preflight pass ({result.preflight_requests} requests, "
        f"{result.preflight_seconds:.2f} s); verifier alone exit 1, with the player exit 0; nothing left behind"
        f"{notes}"
    )


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, action="append", help="config file(s) (default: config/*.toml)")
    parser.add_argument("--logs", type=Path, default=None, help="keep the logs here (default: a temporary folder)")
    parser.add_argument("--jobs", type=int, default=3, help="configs deployed at once, each on its own moto_server")
    parser.add_argument(
        "--day-two",
        action="append",
        metavar="NAME",
        help=f"config file names that rehearse day two (default: {', '.join(DAY_TWO_CONFIGS)}); 'none' for none",
    )
    args = parser.parse_args(argv)
    day_two = set(args.day_two or DAY_TWO_CONFIGS) - {"none"}
    signal.signal(signal.SIGTERM, _terminate)
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[name]  # never a real profile, credentials or endpoint
    os.environ.update(
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true"
    )
    configs = args.config or sorted((REPO / "config").glob("*.toml"))
    logs = args.logs or Path(tempfile.mkdtemp(prefix="ebtrail-e2e-logs-"))
    started = time.monotonic()
    results = []
    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        # The day-two configs first: they take the longest, and the others fill the remaining workers.
        ordered = sorted(configs, key=lambda c: c.name not in day_two)
        futures = [
            pool.submit(run_config, config_path, logs, day_two=config_path.name in day_two) for config_path in ordered
        ]
        for future in as_completed(futures):
            result = future.result()
            print(describe(result), flush=True)
            results.append(result)
    finally:
        stop_all()  # also on Ctrl-C and SIGTERM: no moto_server, CLI or verifier outlives the run
        pool.shutdown(wait=True, cancel_futures=True)
    passed = sum(1 for r in results if r.error is None)
    print(f"e2e: {passed}/{len(configs)} configs deployed and verified in {time.monotonic() - started:.0f} s")
    rehearsed = [r for r in results if r.day_two_steps]
    if rehearsed:
        steps_passed, steps = sum(r.day_two_passed for r in rehearsed), sum(r.day_two_steps for r in rehearsed)
        print(
            f"e2e day 2: {steps_passed}/{steps} steps ({len(day_two_configs.STEPS)} steps x {len(rehearsed)} configs)"
        )
    if passed == len(configs) and args.logs is None:
        shutil.rmtree(logs, ignore_errors=True)
    elif passed != len(configs):
        print(f"e2e: logs in {logs}", file=sys.stderr)
    return 0 if passed == len(configs) else 1


if __name__ == "__main__":
    sys.exit(main())
