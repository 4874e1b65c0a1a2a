"""DeliveryCanary in the synthesized fixture configs: schedule, function, roles, log group, alarms, archive grants,
and the Lambda bundle (contents, determinism, importable from the bundle alone)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import FileSystem

import ebtrail
from deployment.config import OrganizationConfig
from ebtrail.constructs import lambda_bundle
from ebtrail.constructs.lambda_bundle import stage_bundle
from ebtrail.core import canary as facts
from ebtrail.core import lambda_asset
from tests.cdk.policy_helpers import log_bucket_policy, log_key_policy, only_resource, resources_of_type, statement
from tests.cdk.synth_cache import Synthesized
from tests.verifier.integrity_fixtures import SigningKey

TRAIL_NAME = "ebtrail-beanstalk-audit"
ACCOUNT = "111111111111"
FUNCTION_ARN = {"Fn::GetAtt": [Any, "Arn"]}


def flat(value: Any) -> Any:
    """Conditions with one-element lists written as scalars (IAM reads them the same)."""
    if isinstance(value, dict):
        return {k: flat(v) for k, v in value.items()}
    if isinstance(value, list) and len(value) == 1:
        return flat(value[0])
    return value


def trail_template(result: Synthesized, account: str = ACCOUNT) -> dict[str, Any]:
    [name] = [n for n in result.templates if n.endswith(f"trail-{account}")]
    template: dict[str, Any] = result.json(name)
    return template


def ref_id(value: dict[str, Any]) -> str:
    """The logical ID of a ``Ref`` or ``Fn::GetAtt``."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def logical_id(template: dict[str, Any], resource_type: str, prefix: str = "DeliveryCanary") -> str:
    [found] = [k for k in resources_of_type(template, resource_type) if k.startswith(prefix)]
    return str(found)


@pytest.fixture(scope="module")
def trail(default: Synthesized) -> dict[str, Any]:
    return trail_template(default)


def test_schedule_runs_the_function_every_hour_with_a_dead_letter_queue(trail: dict[str, Any]) -> None:
    props = only_resource(trail, "AWS::Scheduler::Schedule")["Properties"]
    assert props["ScheduleExpression"] == "rate(60 minutes)"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["State"] == "ENABLED"
    target = props["Target"]
    assert ref_id(target["Arn"]) == logical_id(trail, "AWS::Lambda::Function")
    assert ref_id(target["DeadLetterConfig"]["Arn"]) == logical_id(trail, "AWS::SQS::Queue")
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 600, "MaximumRetryAttempts": 3}
    assert 600 < 60 * 60  # a delivery retried for 10 minutes cannot overlap the next run


def test_scheduler_role_trusts_only_this_accounts_default_group_and_may_only_invoke(trail: dict[str, Any]) -> None:
    schedule = only_resource(trail, "AWS::Scheduler::Schedule")["Properties"]
    role = trail["Resources"][ref_id(schedule["Target"]["RoleArn"])]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert flat(trust["Condition"]) == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnEquals": {"aws:SourceArn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/default"},
    }
    [policy] = [
        p["Properties"]
        for p in resources_of_type(trail, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("Roles") == [{"Ref": ref_id(schedule["Target"]["RoleArn"])}]
    ]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(by_sid) == {"InvokeCanary", "SendFailedInvocations"}
    assert by_sid["InvokeCanary"]["Action"] == "lambda:InvokeFunction"
    assert ref_id(by_sid["InvokeCanary"]["Resource"]) == logical_id(trail, "AWS::Lambda::Function")
    assert by_sid["SendFailedInvocations"]["Action"] == "sqs:SendMessage"


def test_function_python_arm64_timeout_shorter_than_period_no_reserved_concurrency(trail: dict[str, Any]) -> None:
    fn = only_resource(trail, "AWS::Lambda::Function")["Properties"]
    assert fn["Runtime"].startswith("python3.")
    assert fn["Architectures"] == ["arm64"]
    assert fn["Handler"] == facts.HANDLER == "ebtrail.lambdas.canary.handler"
    assert fn["Timeout"] < 60 * 60 and fn["Timeout"] < 15 * 60  # shorter than any allowed period
    assert "ReservedConcurrentExecutions" not in fn
    assert ref_id(fn["DeadLetterConfig"]["TargetArn"]) == logical_id(trail, "AWS::SQS::Queue")
    assert fn["Environment"]["Variables"] == {
        facts.ENV_TRAIL_ARN: f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{TRAIL_NAME}",
        facts.ENV_BUCKET: f"ebtrail-logs-{ACCOUNT}-us-east-1",
        facts.ENV_PREFIX: "beanstalk",
        facts.ENV_KMS_KEY: f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/ebtrail/cloudtrail-logs",
        facts.ENV_ORGANIZATION: "false",
        facts.ENV_MAX_DELIVERY_MINUTES: "30",
        facts.ENV_INTEGRITY_WINDOW_MINUTES: "70",  # the period and 10 minutes of overlap
    }
    invoke_config = only_resource(trail, "AWS::Lambda::EventInvokeConfig")["Properties"]
    assert invoke_config["MaximumRetryAttempts"] == 0  # a retry would make a second probe in the period
    queue = only_resource(trail, "AWS::SQS::Queue")["Properties"]
    assert queue["SqsManagedSseEnabled"] is True


def test_role_is_rendered_from_the_canary_permissions(trail: dict[str, Any]) -> None:
    fn = only_resource(trail, "AWS::Lambda::Function")["Properties"]
    role_id = ref_id(fn["Role"])
    role = trail["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert role["RoleName"] == "ebtrail-delivery-canary"
    [policy] = [
        p["Properties"]
        for p in resources_of_type(trail, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("Roles") == [{"Ref": role_id}]
    ]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert list(by_sid) == [g.sid for g in facts.CANARY_PERMISSIONS] + ["WriteOwnLogGroup", "SendFailedRuns"]
    for group in facts.CANARY_PERMISSIONS:
        actions = by_sid[group.sid]["Action"]
        assert sorted([actions] if isinstance(actions, str) else actions) == sorted(group.actions)
    assert flat(by_sid["PublishCanaryMetrics"]["Condition"]) == {
        "StringEquals": {"cloudwatch:namespace": "ebtrail/Canary"}
    }
    assert by_sid["PublishCanaryMetrics"]["Resource"] == "*"
    # The hourly integrity check: CloudTrail's public keys (no resource-level permission); digests are read
    # under ReadLogFiles (the trail's AWSLogs/ prefix holds CloudTrail-Digest/).
    assert (by_sid["DigestPublicKeys"]["Action"], by_sid["DigestPublicKeys"]["Resource"]) == (
        "cloudtrail:ListPublicKeys",
        "*",
    )
    assert "Condition" not in by_sid["DigestPublicKeys"]
    assert by_sid["ProbeApplication"]["Resource"] == (
        f"arn:aws:elasticbeanstalk:*:{ACCOUNT}:application/ebtrail-verify-*"
    )
    assert flat(by_sid["ListLogPrefix"]["Condition"]) == {"StringLike": {"s3:prefix": "beanstalk/AWSLogs/*"}}
    for sid in ("DecryptLogFiles", "DescribeLogKey"):
        assert by_sid[sid]["Resource"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"
        assert flat(by_sid[sid]["Condition"]["ForAnyValue:StringEquals"]) == {
            "kms:ResourceAliases": "alias/ebtrail/cloudtrail-logs"
        }
    assert by_sid["WriteOwnLogGroup"]["Resource"] == (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{TRAIL_NAME}-canary:*"
    )
    # no inline default policy next to the managed one: every grant is above
    assert not [k for k in resources_of_type(trail, "AWS::IAM::Policy") if k.startswith("DeliveryCanary")]
    # the verifier's SNS channel and event history are not the canary's
    assert not {"NotificationQueue", "SubscribeDeliveryTopic", "EventHistory"} & set(by_sid)


def test_log_group_encrypted_with_its_own_key_and_retention(trail: dict[str, Any]) -> None:
    group = only_resource(trail, "AWS::Logs::LogGroup", id_prefix="DeliveryCanary")
    props = group["Properties"]
    assert props["LogGroupName"] == f"/aws/lambda/{TRAIL_NAME}-canary"
    assert props["RetentionInDays"] == 365
    assert group["DeletionPolicy"] == "Retain"
    key_id = ref_id(props["KmsKeyId"])
    key = trail["Resources"][key_id]
    assert key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True
    logs = statement(key["Properties"]["KeyPolicy"], "AllowCloudWatchLogsForTheCanaryLogGroup")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert flat(logs["Condition"]) == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{TRAIL_NAME}-canary"
            )
        }
    }
    fn = only_resource(trail, "AWS::Lambda::Function")["Properties"]
    assert fn["LoggingConfig"]["LogGroup"] == {"Ref": logical_id(trail, "AWS::Logs::LogGroup")}


EXPECTED_ALARMS = {
    # name suffix: (metric, statistic, operator, threshold, periods, missing data)
    "probe-arrived": ("ProbeArrived", "Minimum", "LessThanThreshold", 1, 1, "notBreaching"),
    "canary-ran": ("CanaryRan", "Sum", "LessThanThreshold", 1, 2, "missing"),
    "trail-logging": ("TrailLogging", "Minimum", "LessThanThreshold", 1, 1, "ignore"),
    "config-drift": ("ConfigDrift", "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
    "delivery-errors": ("DeliveryErrors", "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
    # The hourly integrity check: a modified or missing file, a region's digest overdue.
    "integrity-failures": ("IntegrityFailures", "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
    "digests-late": ("DigestsLate", "Maximum", "GreaterThanOrEqualToThreshold", 1, 1, "ignore"),
}


def test_alarms_on_the_canary_metrics_to_the_alert_topic(trail: dict[str, Any]) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources_of_type(trail, "AWS::CloudWatch::Alarm").values()
    }
    topic_id = logical_id(trail, "AWS::SNS::Topic", "BeanstalkAlerts")
    for suffix, (metric, stat, operator, threshold, periods, missing) in EXPECTED_ALARMS.items():
        alarm = alarms[f"{TRAIL_NAME}-canary-{suffix}"]
        assert alarm["Namespace"] == "ebtrail/Canary"
        assert alarm["MetricName"] == metric
        assert alarm["Dimensions"] == [{"Name": "TrailName", "Value": TRAIL_NAME}]
        assert alarm["Statistic"] == stat
        assert alarm["Period"] == 3600
        assert alarm["ComparisonOperator"] == operator
        assert alarm["Threshold"] == threshold
        assert alarm["EvaluationPeriods"] == periods == alarm["DatapointsToAlarm"]
        assert alarm["TreatMissingData"] == missing
        assert alarm["AlarmActions"] == [{"Ref": topic_id}] == alarm["OKActions"]
        # only the heartbeat notifies on INSUFFICIENT_DATA (a dead canary; ebtrail.core.canary.ALARM_RULES)
        assert alarm.get("InsufficientDataActions") == ([{"Ref": topic_id}] if suffix == "canary-ran" else None)
        assert len(alarm["AlarmDescription"]) > 100  # says what to do
    errors = alarms[f"{TRAIL_NAME}-canary-errors"]
    assert errors["Namespace"] == "AWS/Lambda" and errors["MetricName"] == "Errors"
    assert errors["TreatMissingData"] == "notBreaching"


def test_alert_topic_lets_only_the_canary_alarms_publish(trail: dict[str, Any]) -> None:
    policy = only_resource(trail, "AWS::SNS::TopicPolicy", id_prefix="BeanstalkAlerts")["Properties"]
    publish = statement(policy["PolicyDocument"], "AllowCloudWatchAlarmsPublish")
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert flat(publish["Condition"]) == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{TRAIL_NAME}-*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    key = only_resource(trail, "AWS::KMS::Key", id_prefix="BeanstalkAlerts")["Properties"]
    use = statement(key["KeyPolicy"], "AllowCloudWatchAlarmsToEncryptedTopic")
    assert use["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(use["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_schedule_waits_for_the_trail(trail: dict[str, Any]) -> None:
    [schedule_id] = resources_of_type(trail, "AWS::Scheduler::Schedule")
    trail_id = logical_id(trail, "AWS::CloudTrail::Trail", "AuditTrail")
    assert trail_id in trail["Resources"][schedule_id]["DependsOn"]


def test_organization_canary_runs_in_the_management_account_and_reads_the_organization_path(
    synthesized: Callable[[str], Synthesized],
) -> None:
    result = synthesized("organization.toml")
    assert isinstance(result.config, OrganizationConfig)
    management = result.config.organization
    trail = trail_template(result, management.management_account)
    env = only_resource(trail, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert env[facts.ENV_ORGANIZATION] == "true"
    archive = result.archive_json
    role = f"arn:aws:iam::{management.management_account}:role/ebtrail-delivery-canary"
    read = statement(log_bucket_policy(archive), f"AllowCanaryRead{management.management_account}")
    assert flat(read["Condition"]) == {"ArnEquals": {"aws:PrincipalArn": role}}
    assert read["Resource"]["Fn::Join"][1][-1].endswith(f"AWSLogs/{management.id}/{management.management_account}/*")
    describe = statement(log_key_policy(archive), "AllowCanariesDescribeKey")
    assert describe["Action"] == "kms:DescribeKey"
    assert flat(describe["Condition"]) == {"ArnEquals": {"aws:PrincipalArn": role}}
    decrypt = statement(log_key_policy(archive), "AllowNamedLogReadersDecrypt")
    principals = decrypt["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    assert role in ([principals] if isinstance(principals, str) else principals)


def test_single_account_archive_needs_no_canary_grants(default: Synthesized) -> None:
    sids = [s.get("Sid", "") for s in log_bucket_policy(default.archive_json)["Statement"]]
    assert not [sid for sid in sids if sid.startswith("AllowCanary")]


# --- the bundle -----------------------------------------------------------------------------------------------


def staged_asset(result: Synthesized) -> Path:
    fn = only_resource(trail_template(result), "AWS::Lambda::Function")
    asset_hash = fn["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    directory = Path(result.built.app.synth().directory) / f"asset.{asset_hash}"
    assert directory.is_dir()
    return directory


def module_source(package_dir: Path, module: str) -> Path | None:
    """The file of an ebtrail module (its ``__init__.py`` for a package), relative to ebtrail's directory."""
    inner = module.split(".")[1:]
    candidates = [Path(*inner, "__init__.py")] + ([Path(*inner[:-1], f"{inner[-1]}.py")] if inner else [])
    return next((relative for relative in candidates if (package_dir / relative).is_file()), None)


def is_ebtrail(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] == "ebtrail"


def import_closure(roots: list[str]) -> set[str]:
    """Every ebtrail module ``roots`` import, transitively, read from the sources with ``ast`` (nothing imported):
    ``import ebtrail...`` and ``from ebtrail... import`` anywhere (lazy imports inside functions too), a submodule
    named in ``from package import module``, and the packages on the way to each (Python runs their ``__init__``)."""
    package_dir = Path(ebtrail.__file__).resolve().parent
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        parts = module.split(".")
        for name in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
            if name in seen or module_source(package_dir, name) is None:
                continue
            seen.add(name)
            source = module_source(package_dir, name)
            assert source is not None
            for node in ast.walk(ast.parse((package_dir / source).read_text())):
                if isinstance(node, ast.Import):
                    todo += [a.name for a in node.names if is_ebtrail(a.name)]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and is_ebtrail(node.module or ""):
                    todo += [f"{node.module}", *(f"{node.module}.{a.name}" for a in node.names)]
    return seen


def handler_modules() -> list[str]:
    return sorted({handler.rsplit(".", 1)[0] for handler in lambda_asset.HANDLERS})


def test_the_handlers_are_the_canarys_and_the_sweeps() -> None:
    assert handler_modules() == ["ebtrail.lambdas.canary", "ebtrail.lambdas.sweep"]


def test_the_bundle_holds_exactly_the_handlers_import_closure_and_the_two_libraries(default: Synthesized) -> None:
    """No more (no CLI, preflight, change report, constructs), no fewer (nothing the handlers import is missing)."""
    asset = staged_asset(default)
    files = sorted(str(p.relative_to(asset)) for p in asset.rglob("*") if p.is_file())
    package_dir = Path(ebtrail.__file__).resolve().parent
    closure = import_closure(handler_modules())
    expected = {f"ebtrail/{module_source(package_dir, module)}" for module in closure}
    assert {f for f in files if f.startswith("ebtrail/")} == expected
    assert sorted(lambda_asset.MODULES) == sorted(closure), "the include list is the handlers' import closure"
    assert len(lambda_asset.MODULES) == len(set(lambda_asset.MODULES))
    # The closure leaves out what the handlers do not run.
    assert not [f for f in files if f.startswith(("ebtrail/constructs/", "ebtrail/verifier/cli/"))]
    assert "ebtrail/verifier/verify/run.py" not in files and "ebtrail/verifier/preflight/__init__.py" not in files
    # The pure-Python RSA verifier and its DER decoder, with their licences (the Lambda runtime lacks both).
    assert "rsa/pkcs1.py" in files and "pyasn1/codec/der/decoder.py" in files
    assert "rsa-4.9.1.dist-info/LICENSE" in files
    assert [f for f in files if f.startswith("pyasn1-") and "LICENSE" in f]
    assert all(f.startswith(("ebtrail/", "rsa/", "pyasn1/", "rsa-", "pyasn1-")) for f in files), files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or "/." in f or f.startswith(".")]


def test_a_stale_include_list_fails_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lambda_bundle, "MODULES", (*lambda_asset.MODULES, "ebtrail.lambdas.gone"))
    with pytest.raises(FileNotFoundError, match=r"names ebtrail\.lambdas\.gone"):
        stage_bundle(tmp_path / "bundle")


def test_the_handler_imports_from_the_bundle_alone(default: Synthesized, tmp_path: Path) -> None:
    """Python isolated from the checkout (``-I``) with the bundle first on its path, and the libraries the Lambda
    Python runtime lacks made unimportable."""
    asset = staged_asset(default)
    key = SigningKey.generate()
    signature = key.sign_hex(b"m")
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(asset)!r})\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'click', 'rich', 'cryptography', 'aws_cdk', 'constructs', 'pydantic',"
        " 'jsii', 'cdk_nag'}:\n"
        "            raise ImportError(name + ' is not in the Lambda runtime')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib\n"
        f"for handler in {list(lambda_asset.HANDLERS)!r}:\n"
        "    module, function = handler.rsplit('.', 1)\n"
        "    m = importlib.import_module(module)\n"
        f"    assert m.__file__.startswith({str(asset)!r}), m.__file__\n"
        "    assert callable(getattr(m, function)), handler\n"
        # Every ebtrail module imported comes from the bundle (none from the checkout).
        f"stray = [n for n, m in sys.modules.items() if n.startswith('ebtrail') and getattr(m, '__file__', None)"
        f" and not m.__file__.startswith({str(asset)!r})]\n"
        "assert not stray, stray\n"
        # The integrity check's signature code runs from the bundle's own rsa and pyasn1, not the checkout's.
        "import ebtrail.verifier.integrity.pure_rsa as pure_rsa, ebtrail.lambdas.canary_integrity, rsa, pyasn1\n"
        f"for mod in (pure_rsa, rsa, pyasn1): assert mod.__file__.startswith({str(asset)!r}), mod.__file__\n"
        # ... and verifies a real SHA256withRSA signature there.
        f"der, sig = bytes.fromhex({key.der.hex()!r}), bytes.fromhex({signature!r})\n"
        "assert pure_rsa.verify_der_signature(der, sig, b'm') and not pure_rsa.verify_der_signature(der, sig, b'x')\n"
        "assert 'cryptography' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_asset_hash_is_the_same_for_a_copy_of_the_package_elsewhere(tmp_path: Path) -> None:
    """The hash depends on the included files' paths and contents only, not on where the checkout is, its
    bytecode or its tool caches (the snapshots mask it; this proves it is stable across machines)."""
    package_dir = Path(ebtrail.__file__).resolve().parent
    copy = tmp_path / "elsewhere"
    shutil.copytree(package_dir, copy / package_dir.name, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / package_dir.name / "verifier" / "__pycache__").mkdir(exist_ok=True)
    (copy / package_dir.name / "verifier" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"machine-specific")
    (copy / package_dir.name / ".mypy_cache").mkdir()
    (copy / package_dir.name / ".mypy_cache" / "junk").write_text("machine-specific")
    here = stage_bundle(tmp_path / "here", package_dir)
    there = stage_bundle(tmp_path / "there", copy / package_dir.name)
    assert FileSystem.fingerprint(str(here)) == FileSystem.fingerprint(str(there))
    (copy / package_dir.name / "verifier" / "cli" / "verify.py").write_text("# not in the asset\n")
    unrelated = stage_bundle(tmp_path / "unrelated", copy / package_dir.name)
    assert FileSystem.fingerprint(str(unrelated)) == FileSystem.fingerprint(str(here)), "the CLI is not in the asset"
    (copy / package_dir.name / "lambdas" / "canary.py").write_text("# changed\n")
    changed = stage_bundle(tmp_path / "changed", copy / package_dir.name)
    assert FileSystem.fingerprint(str(changed)) != FileSystem.fingerprint(str(here))


def test_canary_enabled_false_leaves_no_canary() -> None:
    import copy
    import tomllib

    from aws_cdk.assertions import Template

    from deployment.config import parse_config
    from deployment.plan import plan
    from stacks.app_builder import build_app
    from tests.fixtures.paths import CONFIG_FIXTURES

    data = tomllib.loads((CONFIG_FIXTURES / "default.toml").read_text())
    data = copy.deepcopy(data) | {"canary": {"enabled": False}}
    built = build_app(plan(parse_config(data, "test.toml")), compliance=False)
    [trail] = built.trails
    template = Template.from_stack(trail).to_json()
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {"AWS::Scheduler::Schedule", "AWS::Lambda::Function", "AWS::CloudWatch::Alarm"}
    assert trail.canary is None


def test_organization_canary_compares_the_organization_with_the_projected_accounts(
    synthesized: Callable[[str], Synthesized],
) -> None:
    """Issue 17 item 11: the organization canary gets the Athena table's accounts, may list the organization's
    (ListAccounts has no resource-level permission: Resource *, acknowledged) and alarms on the difference."""
    result = synthesized("organization.toml")
    assert isinstance(result.config, OrganizationConfig)
    management = result.config.organization.management_account
    trail = trail_template(result, management)
    env = only_resource(trail, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert env[facts.ENV_PROJECTED_ACCOUNTS] == ",".join(sorted(result.config.logging_accounts()))
    [table] = [
        t["Properties"]["TableInput"]
        for t in resources_of_type(result.archive_json, "AWS::Glue::Table").values()
        if t["Properties"]["TableInput"]["Name"] == "cloudtrail_logs"
    ]
    projected = table["Parameters"]["projection.account.values"]
    assert projected.split(",") == env[facts.ENV_PROJECTED_ACCOUNTS].split(",")  # the same accounts, one source
    fn = only_resource(trail, "AWS::Lambda::Function")["Properties"]
    [policy] = [
        p["Properties"]
        for p in resources_of_type(trail, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("Roles") == [{"Ref": ref_id(fn["Role"])}]
    ]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert by_sid["ListOrganizationAccounts"]["Action"] == "organizations:ListAccounts"
    assert by_sid["ListOrganizationAccounts"]["Resource"] == "*"
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources_of_type(trail, "AWS::CloudWatch::Alarm").values()
    }
    alarm = alarms["ebtrail-org-beanstalk-audit-canary-unprojected-accounts"]
    assert alarm["MetricName"] == "UnprojectedAccounts"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["Threshold"] == 1
    topic_id = logical_id(trail, "AWS::SNS::Topic", "BeanstalkAlerts")
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_other_topologies_do_not_list_the_organization(trail: dict[str, Any]) -> None:
    statements = [
        s
        for p in resources_of_type(trail, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert not [s for s in statements if "organizations:ListAccounts" in str(s.get("Action"))]
    names = [a["Properties"]["AlarmName"] for a in resources_of_type(trail, "AWS::CloudWatch::Alarm").values()]
    assert not [n for n in names if n.endswith("unprojected-accounts")]
