"""The moto support module's day-two behaviour: change sets, updates that apply the new properties, deletes in
dependency order (``tests/e2e/moto_cloudformation.py``), in-process moto, one scenario in a child process.

The support module patches moto process-wide (its template parser, CloudFormation backend and bucket-policy
check), so the scenario runs in a child Python and reports what moto holds after each step as JSON; the tests
assert on that report. Without the support module's day-two part, the update leaves the old lifecycle and Bucket
Key flag, the stack delete fails with "must detach all policies first", and a second stack's change set of the
same name is found instead of the stack's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHANGE_SET = "cdk-deploy-change-set"
#: The SSM parameter a CDK stack's BootstrapVersion parameter names (its type is AWS::SSM::Parameter::Value).
BOOTSTRAP_PATH = "/cdk-bootstrap/hnb659fds/version"


def _template(
    *, expiration: int, bucket_key: bool, document_action: str, emails: list[str], topic: str = "day-two-topic"
) -> str:
    resources: dict[str, Any] = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": "day-two-role",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
            },
        },
        "Policy": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Roles": [{"Ref": "Role"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": document_action, "Resource": "*"}],
                },
            },
        },
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": "day-two-bucket",
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                            "BucketKeyEnabled": bucket_key,
                        }
                    ]
                },
                "LifecycleConfiguration": {
                    "Rules": [{"Id": "expire", "Status": "Enabled", "ExpirationInDays": expiration}]
                },
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": topic}},
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "Topic"},
                        }
                    ],
                },
            },
        },
    }
    for index, email in enumerate(emails):
        resources[f"Subscription{index}"] = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": email},
        }
    return json.dumps(
        {
            "Parameters": {
                "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": BOOTSTRAP_PATH}
            },
            "Resources": resources,
        }
    )


def _deploy(cfn: Any, stack: str, template: str, kind: str) -> dict[str, Any]:
    """Deploy as the pinned CDK CLI does: delete the old change set blindly, create one, describe it, execute it."""
    if kind == "UPDATE":
        cfn.delete_change_set(StackName=stack, ChangeSetName=CHANGE_SET)
    created = cfn.create_change_set(
        StackName=stack,
        ChangeSetName=CHANGE_SET,
        ChangeSetType=kind,
        TemplateBody=template,
        Parameters=[{"ParameterKey": "BootstrapVersion", "UsePreviousValue": True}] if kind == "UPDATE" else [],
    )
    described = cfn.describe_change_set(StackName=stack, ChangeSetName=CHANGE_SET)
    cfn.execute_change_set(StackName=stack, ChangeSetName=CHANGE_SET)
    status = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {
        "described_id": described["ChangeSetId"],
        "created_id": created["Id"],
        "status": status["StackStatus"],
        "reason": status.get("StackStatusReason"),
        "events": [e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]],
    }


def _state(session: Any) -> dict[str, Any]:
    s3, iam, sns = session.client("s3"), session.client("iam"), session.client("sns")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    state: dict[str, Any] = {"buckets": buckets, "roles": [r["RoleName"] for r in iam.list_roles()["Roles"]]}
    if "day-two-bucket" in buckets:
        state["expiration"] = [
            r["Expiration"]["Days"] for r in s3.get_bucket_lifecycle_configuration(Bucket="day-two-bucket")["Rules"]
        ]
        (rule,) = s3.get_bucket_encryption(Bucket="day-two-bucket")["ServerSideEncryptionConfiguration"]["Rules"]
        state["bucket_key"] = rule.get("BucketKeyEnabled", False)
    policies = iam.list_policies(Scope="Local")["Policies"]
    state["policies"] = len(policies)
    if policies:
        (policy,) = policies
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        document = version["PolicyVersion"]["Document"]
        state["policy_actions"] = [
            s["Action"] for s in (document if isinstance(document, dict) else json.loads(document))["Statement"]
        ]
        state["policy_roles"] = [
            r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=policy["Arn"])["PolicyRoles"]
        ]
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    state["topics"] = [t.rsplit(":", 1)[-1] for t in topics]
    if topics:
        state["subscribers"] = sorted(
            s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topics[0])["Subscriptions"]
        )
        state["topic_policy_principals"] = [
            s["Principal"]
            for s in json.loads(sns.get_topic_attributes(TopicArn=topics[0])["Attributes"]["Policy"])["Statement"]
        ]
    return state


def scenario() -> dict[str, Any]:
    """First deploy, an update, a change set name shared by two stacks, a failing update, a stack delete."""
    sys.path.insert(0, str(REPO))
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    import tests.e2e.moto_cloudformation  # noqa: F401  (installs the support module)

    report: dict[str, Any] = {}
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        session.client("ssm").put_parameter(Name=BOOTSTRAP_PATH, Value="21", Type="String")
        cfn = session.client("cloudformation")
        first = _template(expiration=2557, bucket_key=True, document_action="s3:GetObject", emails=["a@example.com"])
        report["create"] = _deploy(cfn, "day-two", first, "CREATE")
        report["after_create"] = _state(session)
        other = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}})
        report["other_create"] = _deploy(cfn, "day-two-other", other, "CREATE")
        second = _template(
            expiration=3650, bucket_key=False, document_action="s3:PutObject", emails=["a@example.com", "b@example.com"]
        )
        report["update"] = _deploy(cfn, "day-two", second, "UPDATE")
        report["after_update"] = _state(session)
        try:
            cfn.describe_change_set(StackName="day-two", ChangeSetName=CHANGE_SET)
            report["change_set_after_execute"] = "still there"
        except ClientError as error:
            report["change_set_after_execute"] = error.response["Error"]["Code"]
        named = {
            "Parameters": json.loads(first)["Parameters"],
            "Resources": {
                "Named": {
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {
                        "ManagedPolicyName": "day-two-named",
                        "Description": "first",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                        },
                    },
                }
            },
        }
        _deploy(cfn, "day-two-named", json.dumps(named), "CREATE")
        named["Resources"]["Named"]["Properties"]["Description"] = "second"
        report["custom_named_replacement"] = _deploy(cfn, "day-two-named", json.dumps(named), "UPDATE")
        cfn.delete_stack(StackName="day-two-named")
        renamed = _template(
            expiration=3650,
            bucket_key=False,
            document_action="s3:PutObject",
            emails=["a@example.com", "b@example.com"],
            topic="day-two-topic-renamed",
        )
        report["rename"] = _deploy(cfn, "day-two", renamed, "UPDATE")
        report["after_rename"] = _state(session)
        broken = json.loads(renamed)
        broken["Resources"]["Subscription1"]["Properties"]["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:missing"
        report["failed_update"] = _deploy(cfn, "day-two", json.dumps(broken), "UPDATE")
        cfn.delete_stack(StackName="day-two")
        deleted = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "day-two"]
        report["delete"] = {s["StackName"]: s["StackStatus"] for s in deleted}
        report["after_delete"] = _state(session)
        # What the deleted stack's record names (ebtrail-verify import-map reads it), then moto again.
        resources = cfn.list_stack_resources(StackName=deleted[0]["StackId"])["StackResourceSummaries"]
        report["deleted_stack_resources"] = sorted(r["LogicalResourceId"] for r in resources)
        report["after_listing_deleted"] = _state(session)
        # The redeploy: the kept bucket imported into a new stack of the same name, then everything deployed.
        bucket_only = json.loads(renamed)
        bucket_only["Resources"] = {"Bucket": bucket_only["Resources"]["Bucket"]}
        cfn.create_change_set(
            StackName="day-two",
            ChangeSetName="import",
            ChangeSetType="IMPORT",
            TemplateBody=json.dumps(bucket_only),
            ResourcesToImport=[
                {
                    "ResourceType": "AWS::S3::Bucket",
                    "LogicalResourceId": "Bucket",
                    "ResourceIdentifier": {"BucketName": "day-two-bucket"},
                }
            ],
        )
        cfn.execute_change_set(StackName="day-two", ChangeSetName="import")
        report["import"] = cfn.describe_stacks(StackName="day-two")["Stacks"][0]["StackStatus"]
        report["redeploy"] = _deploy(cfn, "day-two", renamed, "UPDATE")
        report["after_redeploy"] = _state(session)
    return report


@cache
def _report() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__], capture_output=True, text=True, timeout=240, check=False, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_first_deploy_through_a_change_set_creates_what_the_template_says() -> None:
    report = _report()
    assert report["create"]["status"] == "CREATE_COMPLETE"
    assert report["after_create"]["expiration"] == [2557]
    assert report["after_create"]["bucket_key"] is True
    assert report["after_create"]["policy_roles"] == ["day-two-role"]
    assert report["after_create"]["subscribers"] == ["a@example.com"]


def test_a_change_set_is_found_by_its_stack_and_name() -> None:
    """Two stacks of one account and region with a change set named alike (the CDK CLI names every one
    ``cdk-deploy-change-set``): each stack's own is described and executed."""
    report = _report()
    assert report["other_create"]["status"] == "CREATE_COMPLETE"
    assert report["update"]["described_id"] == report["update"]["created_id"]
    assert report["change_set_after_execute"] == "ChangeSetNotFound"


def test_an_update_applies_the_new_properties() -> None:
    after = _report()["after_update"]
    assert _report()["update"]["status"] == "UPDATE_COMPLETE"
    assert after["expiration"] == [3650]
    assert after["bucket_key"] is False
    assert after["policy_actions"] == ["s3:PutObject"]
    assert after["policy_roles"] == ["day-two-role"]
    # The topic is updated in place: its subscriptions and policy stay, the new subscriber is added.
    assert after["subscribers"] == ["a@example.com", "b@example.com"]
    assert after["topic_policy_principals"] == [{"Service": "events.amazonaws.com"}]


def test_a_changed_create_only_property_replaces_the_resource_and_what_refers_to_it() -> None:
    """A new ``TopicName`` (create-only in the resource schema) is a new topic; the subscriptions and the topic
    policy, whose resolved ``TopicArn`` changed, follow it; the old topic is deleted."""
    report = _report()
    assert report["rename"]["status"] == "UPDATE_COMPLETE"
    after = report["after_rename"]
    assert after["topics"] == ["day-two-topic-renamed"]
    assert after["subscribers"] == ["a@example.com", "b@example.com"]
    assert after["topic_policy_principals"] == [{"Service": "events.amazonaws.com"}]


def test_a_custom_named_resource_that_needs_replacing_fails_the_update_as_on_aws() -> None:
    """A managed policy's ``Description`` is create-only; with its ``ManagedPolicyName`` kept, CloudFormation
    refuses the update (moto replaced the policy, or failed on the duplicate name)."""
    failed = _report()["custom_named_replacement"]
    assert failed["status"] == "UPDATE_FAILED"
    (reason,) = [r for r in failed["events"] if r and r.startswith("Named ")]
    assert "CloudFormation cannot update a stack when a custom-named resource requires replacing" in reason
    assert "day-two-named" in reason


def test_a_failed_update_names_the_resource_and_does_not_report_success() -> None:
    failed = _report()["failed_update"]
    assert failed["status"] == "UPDATE_FAILED"
    assert any(reason and reason.startswith("Subscription1 (AWS::SNS::Subscription)") for reason in failed["events"])


def test_a_stack_delete_detaches_policies_first_and_keeps_what_is_retained() -> None:
    report = _report()
    assert report["delete"] == {"day-two": "DELETE_COMPLETE"}
    after = report["after_delete"]
    assert "day-two-role" not in after["roles"]
    assert after["policies"] == 0
    assert after["topics"] == []
    assert after["buckets"] == ["day-two-bucket"]  # DeletionPolicy: Retain


def test_a_deleted_stack_names_what_it_kept_and_listing_it_creates_nothing() -> None:
    report = _report()
    assert report["deleted_stack_resources"] == ["Bucket"]
    assert report["after_listing_deleted"] == report["after_delete"]


def test_a_kept_bucket_is_imported_and_the_redeploy_completes() -> None:
    """Without IMPORT change sets moto created the bucket anew (``BucketAlreadyExists``)."""
    report = _report()
    assert report["import"] == "IMPORT_COMPLETE"
    assert report["redeploy"]["status"] == "UPDATE_COMPLETE"
    after = report["after_redeploy"]
    assert after["buckets"] == ["day-two-bucket"]
    assert after["expiration"] == [3650]
    assert "day-two-role" in after["roles"]
    assert after["subscribers"] == ["a@example.com", "b@example.com"]


if __name__ == "__main__":
    print(json.dumps(scenario(), default=str))
