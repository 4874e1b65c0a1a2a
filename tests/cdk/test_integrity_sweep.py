"""IntegritySweep in the all-features fixture: the state machine's definition (checked by the pinned Amazon States
Language validator), its role and the functions' roles statement by statement, the alarms, and off by default."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ebtrail.constructs.integrity_sweep import IntegritySweepProps, sweep_definition
from ebtrail.core import sweep as facts
from ebtrail.core.iam import arn_like
from ebtrail.core.names import ArchiveNames, SweepNames
from tests.cdk.policy_helpers import only_resource, resources_of_type
from tests.cdk.synth_cache import Synthesized

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
ARCHIVE = "222222222222"
NAME = "ebtrail-integrity-sweep"
BUCKET = f"ebtrail-logs-{ARCHIVE}-us-east-1"
SM_ARN = f"arn:aws:states:us-east-1:{ARCHIVE}:stateMachine:{NAME}"


@pytest.fixture(scope="module")
def archive(synthesized: Any) -> dict[str, Any]:
    result: Synthesized = synthesized("all-features.toml")
    return result.archive_json


@pytest.fixture(scope="module")
def machine(archive: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = only_resource(archive, "AWS::StepFunctions::StateMachine")["Properties"]
    return props


@pytest.fixture(scope="module")
def definition(machine: dict[str, Any]) -> dict[str, Any]:
    """The definition with its substitutions filled in with ARNs of the right shape."""
    text = machine["DefinitionString"]
    assert set(machine["DefinitionSubstitutions"]) == {"BatchFunction", "SummaryFunction", "ResultsBucket"}
    filled = text.replace("${BatchFunction}", f"arn:aws:lambda:us-east-1:{ARCHIVE}:function:{NAME}-batch")
    filled = filled.replace("${SummaryFunction}", f"arn:aws:lambda:us-east-1:{ARCHIVE}:function:{NAME}-summary")
    filled = filled.replace("${ResultsBucket}", f"{NAME}-{ARCHIVE}-us-east-1")
    assert "${" not in filled
    parsed: dict[str, Any] = json.loads(filled)
    return parsed


def flat(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: flat(v) for k, v in value.items()}
    if isinstance(value, list) and len(value) == 1:
        return flat(value[0])
    return value


def policy_of(archive: dict[str, Any], role_prefix: str) -> dict[str, dict[str, Any]]:
    """The managed policy attached to the role whose logical ID starts with ``role_prefix``, by Sid."""
    [role_id] = [k for k in resources_of_type(archive, "AWS::IAM::Role") if k.startswith(role_prefix)]
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of_type(archive, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("Roles") == [{"Ref": role_id}]
    ]
    return {s["Sid"]: s for s in policy["Statement"]}


def role(archive: dict[str, Any], role_prefix: str) -> dict[str, Any]:
    [found] = [v for k, v in resources_of_type(archive, "AWS::IAM::Role").items() if k.startswith(role_prefix)]
    props: dict[str, Any] = found["Properties"]
    return props


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return sorted([value] if isinstance(value, str) else value)


# --- the definition ---------------------------------------------------------------------------------------------


def test_the_definition_is_valid_amazon_states_language(definition: dict[str, Any], tmp_path: Path) -> None:
    assert ASL_VALIDATOR.exists(), "npm ci installs the pinned asl-validator (package.json)"
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    out = subprocess.run([str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    broken = dict(definition, StartAt="NoSuchState")  # the validator does reject a broken definition
    path.write_text(json.dumps(broken))
    out = subprocess.run([str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False)
    assert out.returncode != 0


def test_a_distributed_map_over_the_listing_batched_to_the_checker(definition: dict[str, Any]) -> None:
    sweep = definition["States"]["CheckDigests"]
    assert sweep["Type"] == "Map"
    assert sweep["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": BUCKET, "Prefix.$": "$.prefix"},
    }
    assert sweep["ItemBatcher"] == {"MaxItemsPerBatch": 100, "BatchInput": {"bucket": BUCKET}}
    assert sweep["MaxConcurrency"] == 20  # the fixture's integrity_sweep.max_concurrency
    assert sweep["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    task = sweep["ItemProcessor"]["States"]["CheckBatch"]
    assert task["Parameters"]["FunctionName"].endswith(f":function:{NAME}-batch")
    assert "Lambda.TooManyRequestsException" in task["Retry"][0]["ErrorEquals"]
    assert sweep["ResultWriter"] == {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": f"{NAME}-{ARCHIVE}-us-east-1", "Prefix": facts.RESULTS_PREFIX},
    }
    assert sweep["Next"] == "Summarize"
    summary = definition["States"]["Summarize"]
    assert summary["Parameters"]["Payload"]["ResultWriterDetails.$"] == "$.map.ResultWriterDetails"


def test_state_machine_is_standard_logged_and_uses_its_own_role(
    machine: dict[str, Any], archive: dict[str, Any]
) -> None:
    assert (machine["StateMachineName"], machine["StateMachineType"]) == (NAME, "STANDARD")
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False
    [role_id] = [
        k for k in resources_of_type(archive, "AWS::IAM::Role") if k.startswith("IntegritySweepStateMachineRole")
    ]
    assert machine["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


# --- the roles --------------------------------------------------------------------------------------------------


def test_state_machine_role_trusts_only_this_state_machine(archive: dict[str, Any]) -> None:
    [trust] = role(archive, "IntegritySweepStateMachineRole")["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert flat(trust["Condition"]) == {
        "StringEquals": {"aws:SourceAccount": ARCHIVE},
        "ArnLike": {"aws:SourceArn": f"{SM_ARN}*"},
    }


def test_state_machine_role_has_what_distributed_map_needs_and_no_more(archive: dict[str, Any]) -> None:
    by_sid = policy_of(archive, "IntegritySweepStateMachineRole")
    assert set(by_sid) == {
        "StartChildWorkflows",
        "ManageChildWorkflows",
        "ListDigestKeys",
        "WriteResults",
        "EncryptResults",
        "InvokeCheckers",
        "DeliverExecutionLogs",
    }
    assert (actions(by_sid["StartChildWorkflows"]), by_sid["StartChildWorkflows"]["Resource"]) == (
        ["states:StartExecution"],
        SM_ARN,
    )
    assert actions(by_sid["ManageChildWorkflows"]) == ["states:DescribeExecution", "states:StopExecution"]
    assert by_sid["ManageChildWorkflows"]["Resource"] == f"arn:aws:states:us-east-1:{ARCHIVE}:execution:{NAME}/*"
    listing = by_sid["ListDigestKeys"]
    assert (actions(listing), listing["Resource"]) == (["s3:ListBucket"], f"arn:aws:s3:::{BUCKET}")
    assert flat(listing["Condition"]) == {"StringLike": {"s3:prefix": "org/AWSLogs/*/CloudTrail-Digest/*"}}
    writes = by_sid["WriteResults"]
    assert actions(writes) == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    assert writes["Resource"]["Fn::Join"][1][-1] == "/results/*"
    assert actions(by_sid["EncryptResults"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert by_sid["EncryptResults"]["Resource"]["Fn::GetAtt"][0].startswith("IntegritySweepKey")
    invoke = by_sid["InvokeCheckers"]
    assert actions(invoke) == ["lambda:InvokeFunction"]
    targets = {
        r["Fn::GetAtt"][0] if "Fn::GetAtt" in r else r["Fn::Join"][1][0]["Fn::GetAtt"][0] for r in invoke["Resource"]
    }
    assert {t.split("Function")[0] for t in targets} == {"IntegritySweepBatch", "IntegritySweepSummary"}
    assert by_sid["DeliverExecutionLogs"]["Resource"] == "*"
    assert all(a.startswith("logs:") for a in actions(by_sid["DeliverExecutionLogs"]))
    assert all(s["Effect"] == "Allow" and "NotAction" not in s for s in by_sid.values())


def test_batch_function_reads_the_archive_and_the_public_keys(archive: dict[str, Any]) -> None:
    assert role(archive, "IntegritySweepBatchRole")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    by_sid = policy_of(archive, "IntegritySweepBatchRole")
    assert set(by_sid) == {"ReadDigestAndLogFiles", "DecryptLogFiles", "DigestPublicKeys", "WriteOwnLogGroup"}
    assert (actions(by_sid["ReadDigestAndLogFiles"]), by_sid["ReadDigestAndLogFiles"]["Resource"]) == (
        ["s3:GetObject"],
        f"arn:aws:s3:::{BUCKET}/org/AWSLogs/*",
    )
    assert actions(by_sid["DecryptLogFiles"]) == ["kms:Decrypt"]
    # Through S3 only ("AWS KMS condition keys", kms:ViaService).
    assert flat(by_sid["DecryptLogFiles"]["Condition"]) == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    assert by_sid["DecryptLogFiles"]["Resource"]["Fn::GetAtt"][0].startswith("LogKey")
    assert (actions(by_sid["DigestPublicKeys"]), by_sid["DigestPublicKeys"]["Resource"]) == (
        ["cloudtrail:ListPublicKeys"],
        "*",
    )


def test_summary_function_writes_results_and_its_metrics_only(archive: dict[str, Any]) -> None:
    by_sid = policy_of(archive, "IntegritySweepSummaryRole")
    assert set(by_sid) == {"ReadAndWriteResults", "UseResultsKey", "PublishSweepMetrics", "WriteOwnLogGroup"}
    assert actions(by_sid["ReadAndWriteResults"]) == ["s3:GetObject", "s3:PutObject"]
    assert by_sid["ReadAndWriteResults"]["Resource"]["Fn::Join"][1][-1] == "/results/*"
    assert flat(by_sid["PublishSweepMetrics"]["Condition"]) == {
        "StringEquals": {"cloudwatch:namespace": facts.NAMESPACE}
    }
    fns = {
        f["Properties"]["FunctionName"]: f["Properties"]
        for f in resources_of_type(archive, "AWS::Lambda::Function").values()
        if f["Properties"].get("FunctionName", "").startswith(NAME)
    }
    assert {name: fn["Handler"] for name, fn in fns.items()} == {
        f"{NAME}-batch": facts.BATCH_HANDLER,
        f"{NAME}-summary": facts.SUMMARY_HANDLER,
    }
    assert fns[f"{NAME}-summary"]["Environment"]["Variables"][facts.ENV_SWEEP_NAME] == NAME
    assert all(fn["Architectures"] == ["arm64"] for fn in fns.values())


def test_results_bucket_is_hardened_and_encrypted_with_the_sweeps_key(archive: dict[str, Any]) -> None:
    [bucket] = [
        b
        for b in resources_of_type(archive, "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == f"{NAME}-{ARCHIVE}-us-east-1"
    ]
    assert bucket["DeletionPolicy"] == "Retain"
    sse = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["Properties"]["LoggingConfiguration"]["LogFilePrefix"] == f"s3-access/{NAME}-{ARCHIVE}-us-east-1/"


def test_alarms_to_the_sweeps_topic(archive: dict[str, Any]) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources_of_type(archive, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"].startswith(NAME)
    }
    assert set(alarms) == {f"{NAME}-integrityfailures", f"{NAME}-incomplete", f"{NAME}-executions-failed"}
    failures = alarms[f"{NAME}-integrityfailures"]
    assert (failures["Namespace"], failures["MetricName"], failures["Threshold"]) == (
        facts.NAMESPACE,
        facts.INTEGRITY_FAILURES,
        1,
    )
    assert failures["Dimensions"] == [{"Name": facts.DIMENSION, "Value": NAME}]
    topic_id = next(k for k in resources_of_type(archive, "AWS::SNS::Topic") if k.startswith("IntegritySweep"))
    assert all(a["AlarmActions"] == [{"Ref": topic_id}] == a["OKActions"] for a in alarms.values())
    policy = next(
        p["Properties"]["PolicyDocument"]
        for p in resources_of_type(archive, "AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_id}]
    )
    publish = next(s for s in policy["Statement"] if s.get("Sid") == "AllowCloudWatchAlarmsPublish")
    sweep = SweepNames("ebtrail", ARCHIVE, "us-east-1", "aws")
    pattern = flat(publish["Condition"])["ArnLike"]["aws:SourceArn"]
    assert pattern == sweep.alarm_arn_pattern == f"arn:aws:cloudwatch:us-east-1:{ARCHIVE}:alarm:{NAME}-*"
    # Every alarm of the sweep is named by names.py and matched by the pattern that lets it publish.
    assert set(alarms) == {sweep.alarm_name(s) for s in ("integrityfailures", "incomplete", "executions-failed")}
    arn = f"arn:aws:cloudwatch:us-east-1:{ARCHIVE}:alarm:"
    assert all(arn_like(pattern, arn + name) for name in alarms)


def _props(partition: str, region: str) -> IntegritySweepProps:
    """Props for the definition alone (it reads names and sizes, not the key or the access-log bucket)."""
    return IntegritySweepProps(
        names=SweepNames("ebtrail", ARCHIVE, region, partition),
        archive_bucket_name=f"ebtrail-logs-{ARCHIVE}-{region}",
        log_prefix="",
        log_key=None,  # type: ignore[arg-type]
        access_log_bucket=None,
    )


def _resources(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["Resource"]] if isinstance(value.get("Resource"), str) else []
        return found + [r for v in value.values() for r in _resources(v)]
    if isinstance(value, list):
        return [r for v in value for r in _resources(v)]
    return []


@pytest.mark.parametrize(
    ("partition", "region"), [("aws", "us-east-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")]
)
def test_service_integrations_are_in_the_stacks_partition(partition: str, region: str, tmp_path: Path) -> None:
    definition = sweep_definition(_props(partition, region))
    resources = _resources(definition)
    assert sorted(resources) == sorted(
        f"arn:{partition}:states:::{api}"
        for api in ("s3:listObjectsV2", "lambda:invoke", "s3:putObject", "lambda:invoke")
    )
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition).replace("${", "x"))
    out = subprocess.run([str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_results_bucket_name_fits_s3_with_the_longest_prefix() -> None:
    """A 20-character prefix in ap-southeast-1 made ``<prefix>-integrity-sweep-<account>-<region>`` 64 characters
    (S3 allows 63, "General purpose bucket naming rules"): the short form takes over there, and only there."""
    long = ArchiveNames("p" * 20, ARCHIVE, "ap-southeast-1", "aws").integrity_sweep.results_bucket
    assert long == f"{'p' * 20}-sweep-{ARCHIVE}-ap-southeast-1"
    assert len(long) <= 63
    short = ArchiveNames("ebtrail", ARCHIVE, "ap-southeast-1", "aws").integrity_sweep.results_bucket
    assert short == f"ebtrail-integrity-sweep-{ARCHIVE}-ap-southeast-1"


@pytest.mark.parametrize("config_file", ["default.toml", "organization.toml"])
def test_off_by_default(synthesized: Any, config_file: str) -> None:
    archive = synthesized(config_file).archive_json
    assert not resources_of_type(archive, "AWS::StepFunctions::StateMachine")


def test_no_example_config_turns_the_sweep_on() -> None:
    """tests/e2e's moto CloudFormation must fail on resources it skips; the examples keep the sweep off."""
    for path in (REPO_ROOT / "config").glob("*.toml"):
        assert not re.search(r"^\[integrity_sweep\]", path.read_text(), re.MULTILINE), path
