"""``ebtrail-verify changes`` and ``import-map`` on small hand-written assemblies (no aws-cdk-lib), the deployed
templates through moto, and the schema data file against the pinned cfn-lint's schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from ebtrail.verifier.changes.assembly import AssemblyStack, read_assembly, write_assembly
from ebtrail.verifier.changes.schemas import DATA_FILE, schema_of
from ebtrail.verifier.cli import cli
from stacks.resource_schemas import generate, render

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
                   "Resource": "*"}],
}  # fmt: skip


def trail(name: str) -> dict[str, Any]:
    return {"Type": "AWS::CloudTrail::Trail", "Properties": {"TrailName": name, "S3BucketName": "logs"}}


def topic(name: str) -> dict[str, Any]:
    return {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name}}


def subscription(topic_id: str, email: str) -> dict[str, Any]:
    props = {"Protocol": "email", "Endpoint": email, "TopicArn": {"Ref": topic_id}}
    return {"Type": "AWS::SNS::Subscription", "Properties": props}


def assembly(path: Path, resources: dict[str, dict[str, Any]], stack: str = "app-trail") -> Path:
    template = {"Resources": resources}
    write_assembly(path, [AssemblyStack("Trail", stack, ACCOUNT, REGION, template)])
    return path


def run(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["changes", *args, "--json"])
    report: dict[str, Any] = json.loads(result.output)
    return result.exit_code, report


def only_stack(report: dict[str, Any]) -> dict[str, Any]:
    (stack,) = [s for s in report["stacks"] if s["status"] == "changed"]
    found: dict[str, Any] = stack
    return found


def test_the_schema_data_is_what_the_pinned_cfn_lint_ships() -> None:
    """Regenerate with ``python -m stacks.resource_schemas`` after a cfn-lint upgrade."""
    assert DATA_FILE.read_text(encoding="utf-8") == render(generate())


def test_the_schemas_know_what_replaces_ebtrails_resources() -> None:
    checks = {
        "AWS::CloudTrail::Trail": "TrailName",
        "AWS::SNS::Topic": "TopicName",
        "AWS::SNS::Subscription": "TopicArn",
        "AWS::S3::Bucket": "BucketName",
        "AWS::Logs::LogGroup": "LogGroupName",
    }
    for kind, prop in checks.items():
        schema = schema_of(kind)
        assert schema is not None and prop in schema.create_only, kind
    key = schema_of("AWS::KMS::Key")
    assert key is not None and key.primary_identifier == ("KeyId",)
    assert schema_of("Custom::Anything") is None


def test_a_renamed_trail_and_topic_cascade_to_the_subscription(tmp_path: Path) -> None:
    old = assembly(
        tmp_path / "a", {"Trail": trail("old"), "Topic": topic("old-t"), "Sub": subscription("Topic", "a@x.io")}
    )
    new = assembly(
        tmp_path / "b", {"Trail": trail("new"), "Topic": topic("new-t"), "Sub": subscription("Topic", "a@x.io")}
    )
    code, report = run("--from", str(old), "--to", str(new))
    assert code == 1
    replaced = {c["logical_id"]: c for c in only_stack(report)["replace"]}
    assert set(replaced) == {"Trail", "Topic", "Sub"}
    assert replaced["Sub"]["reason"] == "TopicArn refers to replaced Topic"
    assert replaced["Trail"]["category"] == "record" and replaced["Topic"]["category"] == "notify"
    assert "a gap in the record" in replaced["Trail"]["meaning"]


def test_a_changed_logical_id_is_a_replacement(tmp_path: Path) -> None:
    old = assembly(tmp_path / "a", {"TopicA": topic("t")})
    new = assembly(tmp_path / "b", {"TopicB": topic("t")})
    code, report = run("--from", str(old), "--to", str(new))
    assert code == 1
    stack = only_stack(report)
    assert stack["add"] == [] and stack["delete"] == []
    (change,) = stack["replace"]
    assert change["logical_id"] == "TopicB" and "logical ID changed" in change["reason"]


def test_a_deleted_trail_is_guarded_a_removed_subscriber_is_not(tmp_path: Path) -> None:
    old = assembly(tmp_path / "a", {"Topic": topic("t"), "Sub": subscription("Topic", "a@x.io")})
    new = assembly(tmp_path / "b", {"Topic": topic("t")})
    assert run("--from", str(old), "--to", str(new))[0] == 0
    old = assembly(tmp_path / "c", {"Topic": topic("t"), "Trail": trail("a")})
    code, report = run("--from", str(old), "--to", str(new))
    assert code == 1 and only_stack(report)["delete"][0]["guarded"] is True


def test_a_replacement_of_an_unguarded_type_exits_0(tmp_path: Path) -> None:
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q1"}}
    old = assembly(tmp_path / "a", {"Queue": queue})
    new = assembly(tmp_path / "b", {"Queue": {**queue, "Properties": {"QueueName": "q2"}}})
    code, report = run("--from", str(old), "--to", str(new))
    assert code == 0
    (change,) = only_stack(report)["replace"]
    assert change["guarded"] is False and change["reason"] == "create-only QueueName changed"


def managed_policy(description: str, name: str | None = "ebtrail-canary") -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    props: dict[str, Any] = {"Description": description, "PolicyDocument": document}
    if name is not None:
        props["ManagedPolicyName"] = name
    return {"Type": "AWS::IAM::ManagedPolicy", "Properties": props}


def test_a_custom_named_resource_replaced_under_the_same_name_is_impossible(tmp_path: Path) -> None:
    """Description is create-only for AWS::IAM::ManagedPolicy: a new one with the same ManagedPolicyName is what
    CloudFormation refuses ("cannot update a stack when a custom-named resource requires replacing"). The old
    report called it an unguarded replacement and exited 0; the deploy then failed and rolled back."""
    old = assembly(tmp_path / "a", {"Policy": managed_policy("reads the trail")})
    new = assembly(tmp_path / "b", {"Policy": managed_policy("reads the trail and its digests")})
    for allow in ([], ["--allow", "all"]):
        code, report = run("--from", str(old), "--to", str(new), *allow)
        assert (code, report["verdict"], report["impossible"]) == (1, "IMPOSSIBLE", 1)
        (change,) = only_stack(report)["replace"]
        assert change["reason"] == "create-only Description changed"
        assert "ManagedPolicyName ebtrail-canary" in change["impossible"]
        assert "new ManagedPolicyName" in change["impossible"] and "remove the custom name" in change["impossible"]
    text = CliRunner().invoke(cli, ["changes", "--from", str(old), "--to", str(new), "--allow", "all"])
    assert text.exit_code == 1
    assert "REPLACE !! Policy" in text.output and "CloudFormation refuses" in text.output
    # What to do, done: a new name, or no custom name, is a plain replacement again.
    for renamed in (managed_policy("reads the trail and its digests", "ebtrail-canary-v2"), managed_policy("x", None)):
        code, report = run("--from", str(old), "--to", str(assembly(tmp_path / "c", {"Policy": renamed})))
        (change,) = only_stack(report)["replace"]
        assert (code, report["verdict"], change["impossible"]) == (0, "SAFE", "")


def test_a_guarded_type_with_a_kept_custom_name_is_impossible_even_when_allowed(tmp_path: Path) -> None:
    fifo = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts", "FifoTopic": True}}
    old = assembly(tmp_path / "a", {"Topic": topic("alerts")})
    new = assembly(tmp_path / "b", {"Topic": fifo})
    code, report = run("--from", str(old), "--to", str(new), "--allow", "notify")
    (change,) = only_stack(report)["replace"]
    assert (code, change["allowed"], report["verdict"]) == (1, True, "IMPOSSIBLE")
    assert "TopicName alerts" in change["impossible"]


def test_the_custom_name_property_comes_from_the_schemas() -> None:
    from ebtrail.verifier.changes.schemas import custom_name_property

    expected = {
        "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
        "AWS::CloudTrail::Trail": "TrailName",
        "AWS::Logs::MetricFilter": "FilterName",
        "AWS::Glue::Table": "Name",
        "AWS::RDS::DBInstance": "DBInstanceIdentifier",
        "AWS::Lambda::EventInvokeConfig": None,  # FunctionName names the function it configures
        "AWS::Athena::NamedQuery": None,  # identified by NamedQueryId: the name is a label
        "AWS::KMS::Key": None,
        "Custom::Anything": None,
    }
    assert {kind: custom_name_property(kind) for kind in expected} == expected


def test_allow_accepts_a_logical_id_with_its_stack(tmp_path: Path) -> None:
    old = assembly(tmp_path / "a", {"Trail": trail("old")})
    new = assembly(tmp_path / "b", {"Trail": trail("new")})
    assert run("--from", str(old), "--to", str(new), "--allow", "other-stack/Trail")[0] == 1
    code, report = run("--from", str(old), "--to", str(new), "--allow", "app-trail/Trail")
    assert code == 0 and only_stack(report)["replace"][0]["allowed"] is True


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "exactly one of --from DIR or --from-deployed"),
        (["--from", "x", "--from-deployed"], "exactly one of --from DIR or --from-deployed"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], words: str) -> None:
    result = CliRunner().invoke(cli, ["changes", "--to", str(tmp_path), *args])
    assert result.exit_code == 2 and words in result.output


def test_an_unreadable_assembly_exits_2_with_the_path(tmp_path: Path) -> None:
    new = assembly(tmp_path / "b", {"Trail": trail("new")})
    code, report = run("--from", str(tmp_path / "missing"), "--to", str(new))
    assert code == 2 and report["verdict"] == "UNDECIDED"
    assert any("missing/manifest.json" in problem for problem in report["problems"])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{not json")
    assert run("--from", str(tmp_path / "bad"), "--to", str(new))[0] == 2


def test_the_written_assembly_reads_back(tmp_path: Path) -> None:
    stacks = [AssemblyStack("Trail", "app-trail", ACCOUNT, REGION, {"Resources": {"Topic": topic("t")}})]
    write_assembly(tmp_path, stacks)
    assert read_assembly(tmp_path) == stacks


# --- against deployed stacks (moto) -----------------------------------------------------------------------


def _deploy(name: str, resources: dict[str, dict[str, Any]]) -> str:
    client = boto3.client("cloudformation", region_name=REGION)
    stack_id: str = client.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": resources}))["StackId"]
    return stack_id


@pytest.mark.usefixtures("moto")
def test_from_deployed_compares_with_get_template(tmp_path: Path) -> None:
    _deploy("app-trail", {"Topic": topic("old-t")})
    new = assembly(tmp_path / "b", {"Topic": topic("new-t")})
    code, report = run("--from-deployed", "--to", str(new))
    assert code == 1
    assert only_stack(report)["replace"][0]["reason"] == "create-only TopicName changed"


@pytest.mark.usefixtures("moto")
def test_from_deployed_lists_a_stack_not_deployed_as_new(tmp_path: Path) -> None:
    new = assembly(tmp_path / "b", {"Trail": trail("t"), "Topic": topic("t")})
    code, report = run("--from-deployed", "--to", str(new))
    assert code == 0
    (stack,) = report["stacks"]
    assert stack["status"] == "new" and len(stack["add"]) == 2


def test_from_deployed_without_aws_exits_3(tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    new = assembly(tmp_path / "b", {"Topic": topic("t")})
    code, report = run("--from-deployed", "--to", str(new))
    assert code == 3 and "cannot read the deployed templates" in report["problems"][0]


# --- import-map (moto) ------------------------------------------------------------------------------------

KEPT = {
    "LogBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                  "Properties": {"BucketName": "app-logs"}},
    "LogKey": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
               "Properties": {"KeyPolicy": KEY_POLICY}},
    "Topic": topic("t"),
}  # fmt: skip


def import_map(tmp_path: Path, resources: dict[str, dict[str, Any]]) -> tuple[int, dict[str, Any], Path]:
    out = tmp_path / "import"
    result = CliRunner().invoke(
        cli, ["import-map", "--assembly", str(assembly(tmp_path / "new", resources)), "--out", str(out), "--json"]
    )
    report: dict[str, Any] = json.loads(result.output)
    return result.exit_code, report, out


@pytest.mark.usefixtures("moto")
def test_import_map_maps_what_the_deleted_stack_kept(tmp_path: Path) -> None:
    stack_id = _deploy("app-trail", KEPT)
    key_id = boto3.client("cloudformation", region_name=REGION).describe_stack_resource(
        StackName="app-trail", LogicalResourceId="LogKey"
    )["StackResourceDetail"]["PhysicalResourceId"]
    boto3.client("cloudformation", region_name=REGION).delete_stack(StackName="app-trail")
    code, report, out = import_map(tmp_path, KEPT)
    assert code == 0
    (row,) = report["stacks"]
    assert row["deleted_stack_id"] == stack_id and row["unmatched"] == []
    mapping = {"LogBucket": {"BucketName": "app-logs"}, "LogKey": {"KeyId": key_id}}  # the topic is not kept
    assert json.loads((out / "Trail.json").read_text()) == mapping


@pytest.mark.usefixtures("moto")
def test_import_map_names_a_kept_resource_the_deleted_stack_did_not_have(tmp_path: Path) -> None:
    _deploy("app-trail", {"LogBucket": KEPT["LogBucket"]})
    boto3.client("cloudformation", region_name=REGION).delete_stack(StackName="app-trail")
    code, report, _ = import_map(tmp_path, KEPT)
    assert code == 1
    assert report["stacks"][0]["unmatched"] == ["LogKey"]


@pytest.mark.usefixtures("moto")
def test_import_map_has_nothing_to_do_for_a_live_stack_or_a_first_deploy(tmp_path: Path) -> None:
    code, report, out = import_map(tmp_path, KEPT)
    assert code == 0 and report["stacks"][0]["deleted_stack_id"] is None
    assert not list(out.glob("*.json"))
    _deploy("app-trail", KEPT)
    code, report, _ = import_map(tmp_path / "again", KEPT)
    assert code == 0 and report["stacks"][0]["exists"] is True


def test_an_empty_allow_as_make_deploy_passes_it_allows_nothing(tmp_path: Path) -> None:
    """``make deploy`` without ALLOW_REPLACE passes ``--allow ""``."""
    old = assembly(tmp_path / "a", {"Trail": trail("old")})
    new = assembly(tmp_path / "b", {"Trail": trail("new")})
    code, report = run("--from", str(old), "--to", str(new), "--allow", "")
    assert code == 1 and report["refused"] == 1


@pytest.mark.usefixtures("moto")
def test_import_map_reads_another_accounts_deleted_stack_through_its_lookup_role(tmp_path: Path) -> None:
    """An organization's archive stack lives in the log-archive account: its deleted predecessor is found there
    (through the manifest's lookup role, moto gives the role's account), not in the caller's account."""
    archive_account = "222222222222"
    role = f"arn:aws:iam::{archive_account}:role/cdk-hnb659fds-lookup-role-{archive_account}-{REGION}"
    found = boto3.client("sts", region_name=REGION).assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    archive_cfn = boto3.client(
        "cloudformation",
        region_name=REGION,
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
    )
    bucket = {"LogBucket": KEPT["LogBucket"]}
    archive_cfn.create_stack(StackName="app-log-archive", TemplateBody=json.dumps({"Resources": bucket}))
    archive_cfn.delete_stack(StackName="app-log-archive")
    path = tmp_path / "new"
    stack = AssemblyStack("LogArchive", "app-log-archive", archive_account, REGION, {"Resources": bucket}, role)
    write_assembly(path, [stack])
    manifest = json.loads((path / "manifest.json").read_text())  # the lookup role, as the CDK CLI writes it
    manifest["artifacts"]["LogArchive"]["properties"]["lookupRole"] = {"arn": role}
    (path / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "import"
    result = CliRunner().invoke(cli, ["import-map", "--assembly", str(path), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "LogArchive.json").read_text()) == {"LogBucket": {"BucketName": "app-logs"}}
