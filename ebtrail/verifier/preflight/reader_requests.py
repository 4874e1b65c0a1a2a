"""The proof layer's reads of a trail's log files, for ``preflight --trail ... --readers PREFIX``: whether the owner of
an adopted trail's bucket and key policies applied the statements ``make synth`` printed.

The canary's and the verifier's roles (``<prefix>-delivery-canary``, ``<prefix>-beanstalk-verifier``) run in the
trail's account. When the bucket is in another account (AWS Control Tower's log archive account), S3 and KMS allow
them only if the resource policy names them, whatever their IAM policy says ("Policy evaluation logic",
cross-account requests, IAM User Guide): so each request below must be allowed by the bucket or key policy alone,
and the same roles must not read another account's folder. For a bucket in the trail's own account the IAM policy
is enough and these checks do not apply.
"""

from __future__ import annotations

from ebtrail.core.cloudtrail_layout import log_folder
from ebtrail.core.iam import ContextValue, Principal, Request
from ebtrail.core.names import VERIFIER_NAME_SUFFIX, canary_role_name
from ebtrail.verifier.preflight.cloudtrail_requests import (
    MEMBER_STAND_IN,
    Check,
    CheckList,
    TrailSubject,
    log_file_key,
)


def reader_roles(trail: TrailSubject, name_prefix: str, account: str | None = None) -> list[str]:
    """The role ARNs of the proof layer in ``account`` (default: the trail's)."""
    base = f"arn:{trail.partition}:iam::{account or trail.account}:role/"
    return [base + canary_role_name(name_prefix), base + f"{name_prefix}{VERIFIER_NAME_SUFFIX}"]


def reader_checks(trail: TrailSubject, name_prefix: str, account: str | None = None) -> list[Check]:
    """GetObject of the reader account's own log file (``account``, default the trail's: an organization trail's
    proof layer may run in a member account), ListBucket of its folder and (SSE-KMS) Decrypt through S3, for each
    reader role; GetObject of another account's folder must stay denied."""
    out = CheckList()
    reader_account = account or trail.account
    org = trail.organization_id if trail.is_organization_trail else None
    bucket_arn = f"arn:{trail.partition}:s3:::{trail.bucket}"
    for role_arn in reader_roles(trail, name_prefix, reader_account):
        who = Principal("AWS", role_arn)
        role = role_arn.rsplit("/", 1)[1]
        tls: dict[str, ContextValue] = {"aws:PrincipalArn": role_arn, "aws:SecureTransport": "true"}
        own_key = log_file_key(trail.prefix, reader_account, trail.home_region, org)
        out.add(
            "bucket policy",
            f"{role}: GetObject own log file",
            Request(who, "s3:GetObject", f"{bucket_arn}/{own_key}", tls),
        )
        listing = {**tls, "s3:prefix": log_folder(trail.prefix, reader_account, trail.home_region, org)}
        out.add("bucket policy", f"{role}: ListBucket own folder", Request(who, "s3:ListBucket", bucket_arn, listing))
        other_key = log_file_key(trail.prefix, MEMBER_STAND_IN, trail.home_region, org)
        out.add(
            "bucket policy",
            f"{role}: GetObject another account's log file",
            Request(who, "s3:GetObject", f"{bucket_arn}/{other_key}", tls),
            must_allow=False,
        )
        if trail.kms_key_arn is not None:
            context: dict[str, ContextValue] = {
                "aws:PrincipalArn": role_arn,
                "kms:ViaService": f"s3.{trail.home_region}.amazonaws.com",
                "kms:EncryptionContext:aws:cloudtrail:arn": trail.arn,
            }
            out.add(
                "log key policy", f"{role}: Decrypt a log file", Request(who, "kms:Decrypt", trail.kms_key_arn, context)
            )
    return out.checks
