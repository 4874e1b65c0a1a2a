"""Archive-side grants that let each trail account's verifier role read its own log files across accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.core import cloudtrail_layout as layout
from ebtrail.core.names import TrailTarget


@dataclass(frozen=True)
class VerifierReadAccessProps:
    """Which verifier roles may read which paths of the log bucket."""

    bucket: s3.IBucket
    writers: list[TrailTarget]
    #: The deployment's name prefix; each trail account's verifier role is ``<prefix>-beanstalk-verifier``.
    name_prefix: str
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str = ""
    #: Which role of each trail account reads: the verifier's (default) or the delivery canary's (``"Canary"``).
    reader: Literal["Verifier", "Canary"] = "Verifier"

    def role_arn(self, writer: TrailTarget) -> str:
        if self.reader == "Canary":
            return writer.canary_role_arn(self.name_prefix)
        return writer.verifier_role_arn(self.name_prefix)


class VerifierReadAccess(Construct):
    """Bucket-policy statements for verifier roles in other accounts than the archive.

    S3 and KMS refuse another account's principal unless the resource policy names it, whatever its IAM
    policy says. Each trail account's verifier role (``<prefix>-beanstalk-verifier``) gets:

    * ``AllowVerifierRead<account>``: ``s3:GetObject`` on that account's own log path only
      (``[prefix/]AWSLogs/<account>/*``, or ``AWSLogs/<o-orgid>/<account>/*`` for an organization trail).
    * ``AllowVerifierList``: ``s3:ListBucket`` limited by ``s3:prefix`` to ``[prefix/]AWSLogs/``.

    The principal is the account root pinned with ``aws:PrincipalArn``, so the policy deploys before the
    role exists. The same statements, ``AllowCanaryRead<account>`` and ``AllowCanaryList``, serve each trail
    account's delivery canary role (``<prefix>-delivery-canary``, ``reader="Canary"``). The log key's
    ``AllowNamedLogReadersDecrypt`` statement names the same roles.
    """

    def __init__(self, scope: Construct, construct_id: str, props: VerifierReadAccessProps) -> None:
        super().__init__(scope, construct_id)
        bucket = props.bucket
        roles = sorted(props.role_arn(writer) for writer in props.writers)
        #: The statements, also for a bucket this app does not own (whose policy ignores them: printed instead).
        self.statements: list[iam.PolicyStatement] = []
        for writer in props.writers:
            self.statements.append(
                iam.PolicyStatement(
                    sid=f"Allow{props.reader}Read{writer.account}",
                    principals=[iam.AccountPrincipal(writer.account)],
                    actions=["s3:GetObject"],
                    resources=[
                        bucket.arn_for_objects(layout.path_objects_pattern(props.log_prefix, writer.verifier_read_path))
                    ],
                    conditions={"ArnEquals": {"aws:PrincipalArn": [props.role_arn(writer)]}},
                )
            )
        self.statements.append(
            iam.PolicyStatement(
                sid=f"Allow{props.reader}List",
                principals=[iam.AccountPrincipal(account) for account in sorted({w.account for w in props.writers})],
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={
                    "ArnEquals": {"aws:PrincipalArn": roles},
                    "StringLike": {"s3:prefix": [layout.logs_objects_pattern(props.log_prefix)]},
                },
            )
        )
        for statement in self.statements:
            bucket.add_to_resource_policy(statement)
