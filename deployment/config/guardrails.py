"""The guardrails' rule: a service control policy must not lock the archive's own deployment role out.

A module of its own because it is the one rule that needs IAM's matching (:func:`ebtrail.core.iam.arn_like`, the
same ``ArnLike`` the preflight evaluates policies with) and CDK's bootstrap role names;
:class:`~deployment.config.topologies.OrganizationConfig`, the only topology with guardrails, calls it.
"""

from __future__ import annotations

from deployment.config.model import Archive, Organization
from deployment.config.problems import Problem
from ebtrail.core.iam import arn_like


def archive_deployment_role_arn(archive: Archive, qualifier: str) -> str:
    """The role CloudFormation acts as when it deploys the log-archive stack: the CDK bootstrap's CloudFormation
    execution role of the archive account and region (``cdk-<qualifier>-cfn-exec-role-<account>-<region>``).
    It is the principal that calls ``PutBucketPolicy`` and ``PutKeyPolicy`` on the log bucket and key."""
    name = f"cdk-{qualifier}-cfn-exec-role-{archive.account}-{archive.region}"
    return f"arn:{archive.partition}:iam::{archive.account}:role/{name}"


def guardrail_problems(archive: Archive, organization: Organization) -> list[Problem]:
    """A guardrail that would lock out the deployment role, or that could protect nothing.

    *Locking out the deployment role* means: the service control policy denies ``s3:PutBucketPolicy``,
    ``kms:PutKeyPolicy`` (and deleting bucket and key) to every principal of the archive account except the
    exempt roles. CloudFormation changes the bucket and key policies as the archive account's CDK execution
    role (:func:`archive_deployment_role_arn`). If no exempt pattern matches that role, every later
    ``cdk deploy`` that touches those policies (a new member account, a new reader, a new feature) fails with
    AccessDenied, and nothing in the archive account can repair it: only detaching the policy in the management
    account would. So such a guardrail is refused before anything is deployed.
    """
    guardrails, path = organization.guardrails, "organization.guardrails"
    if guardrails is None:
        return []
    problems: list[Problem] = []
    if archive.account == organization.management_account:
        problems.append(
            Problem(
                path,
                "service control policies never restrict the management account, where this archive is; "
                "allowed only with the archive in a member account",
            )
        )
    role = archive_deployment_role_arn(archive, guardrails.bootstrap_qualifier)
    if not any(arn_like(pattern, role) for pattern in guardrails.exempt_roles):
        problems.append(
            Problem(
                f"{path}.exempt_roles",
                f"none matches {role}, the role CloudFormation uses to deploy the log-archive stack; the policy "
                "would deny it PutBucketPolicy and PutKeyPolicy and lock every later deploy out of the archive. "
                "Add it (or a pattern that matches it), or set bootstrap_qualifier to the archive account's",
            )
        )
    return problems
