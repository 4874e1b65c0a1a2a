"""The deployed templates of an assembly's stacks, as an assembly: ``changes --from-deployed`` compares what a
deploy would change with what runs, not with the last ``cdk.out``.

Per stack, CloudFormation ``GetTemplate`` (``TemplateStage=Original``, the template as submitted, which is what
``cdk synth`` wrote) in the stack's region. A stack of another account than the caller's is read through the CDK
bootstrap lookup role the manifest names (read-only, what ``cdk diff`` uses; "Bootstrapping your environment",
AWS CDK Developer Guide). A stack that does not exist is left out: the comparison then lists it as new.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ebtrail.verifier.aws import AWS_ERRORS, describe_error, error_code, error_message
from ebtrail.verifier.changes.assembly import AssemblyStack

SessionFor = Callable[[AssemblyStack], boto3.Session]


class DeployedReadError(Exception):
    """A deployed template could not be read (not "the stack does not exist")."""


def not_found(exc: ClientError) -> bool:
    """CloudFormation answers ``ValidationError`` "Stack with id X does not exist" for a missing stack."""
    return error_code(exc) == "ValidationError" and "does not exist" in error_message(exc)


def session_for(default: boto3.Session) -> SessionFor:
    """The caller's session for stacks of its own account, the stack's lookup role for the others."""
    caller: dict[str, str] = {}

    def get(stack: AssemblyStack) -> boto3.Session:
        if "account" not in caller:
            caller["account"] = default.client("sts", region_name=stack.region or None).get_caller_identity()["Account"]
        if not stack.account or stack.account == caller["account"] or not stack.lookup_role_arn:
            return default
        answer = default.client("sts", region_name=stack.region).assume_role(
            RoleArn=stack.lookup_role_arn, RoleSessionName="ebtrail-changes"
        )
        credentials = answer["Credentials"]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    return get


def deployed_stacks(stacks: list[AssemblyStack], sessions: SessionFor) -> list[AssemblyStack]:
    """The deployed template of each of ``stacks`` that exists, as a stack of the same artifact ID and name."""
    deployed: list[AssemblyStack] = []
    for stack in stacks:
        try:
            client = sessions(stack).client("cloudformation", region_name=stack.region or None)
            answer = client.get_template(StackName=stack.name, TemplateStage="Original")
        except ClientError as exc:
            if not_found(exc):
                continue
            raise DeployedReadError(describe_error("cloudformation", "GetTemplate", exc, stack.name)) from exc
        except AWS_ERRORS as exc:
            raise DeployedReadError(describe_error("cloudformation", "GetTemplate", exc, stack.name)) from exc
        body: Any = answer.get("TemplateBody", {})
        template = json.loads(body) if isinstance(body, str) else dict(body)
        deployed.append(AssemblyStack(stack.artifact_id, stack.name, stack.account, stack.region, template))
    return deployed
