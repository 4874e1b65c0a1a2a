"""Condition keys shared by the bucket, key and topic policies, in one place so they cannot drift."""

from __future__ import annotations

from aws_cdk import Aws, Stack, Token

from ebtrail.core.regions import dns_suffix, partition_of, regional_service_name

#: Global service principals stay ``<service>.amazonaws.com`` in every partition: "Service principals are now
#: globally ``<SERVICE>.amazonaws.com``" (AWS CDK API reference, ``aws_iam.ServicePrincipal`` with
#: ``@aws-cdk/aws-iam:standardizedServicePrincipals``; "AWS JSON policy elements: Principal", IAM User Guide,
#: AWS service principals). Only the regional ones (``logs.<region>...``) carry the partition's DNS suffix:
#: :func:`regional_service`.
CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"
#: Encryption-context key CloudTrail sets on every data key it asks KMS for.
CLOUDTRAIL_CONTEXT_KEY = "kms:EncryptionContext:aws:cloudtrail:arn"


def source_arn_equals(arns: list[str]) -> dict[str, list[str]]:
    """``aws:SourceArn`` pinned to the trails that may act: AWS's confused-deputy protection."""
    return {"aws:SourceArn": sorted(arns)}


def regional_service(service: str, region: str) -> str:
    """``<service>.<region>.<DNS suffix of the region's partition>`` (:func:`ebtrail.core.regions.
    regional_service_name`): the CloudWatch Logs principal of a log group's key policy, a ``kms:ViaService``
    value. A region only known at deploy time (an environment-agnostic stack) takes ``AWS::URLSuffix``."""
    if Token.is_unresolved(region):
        return f"{service}.{region}.{Aws.URL_SUFFIX}"
    return regional_service_name(service, region)


def partition_dns_suffix(partition: str) -> str:
    """The partition's DNS suffix (``${DnsSuffix}`` of :data:`ebtrail.core.permissions.PERMISSIONS`);
    ``AWS::URLSuffix`` for a partition only known at deploy time."""
    return Aws.URL_SUFFIX if Token.is_unresolved(partition) else dns_suffix(partition)


def stack_partition(stack: Stack) -> str:
    """The stack's partition as a plain string wherever its region is known: ``stack.partition`` is a token
    (``AWS::Partition``) in an app without ebtrail's cdk.json, and an ARN made of it cannot name an acknowledged
    cdk-nag finding (an acknowledgment's ID must be a string), so a construct that acknowledges on an ARN takes
    the partition from the region (:func:`ebtrail.core.regions.partition_of`). A region only known at deploy time
    keeps the token."""
    if Token.is_unresolved(stack.partition) and not Token.is_unresolved(stack.region):
        return partition_of(stack.region)
    return stack.partition
