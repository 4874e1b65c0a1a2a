"""The requests CloudTrail makes for a trail, and the ones that must stay denied.

From the CloudTrail User Guide:

* "Amazon S3 bucket policy for CloudTrail"
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html):
  ``s3:GetBucketAcl`` on the bucket; ``s3:PutObject`` of log and digest files under
  ``[prefix/]AWSLogs/<account>/`` with ``s3:x-amz-acl = bucket-owner-full-control``, as
  ``cloudtrail.amazonaws.com`` with ``aws:SourceArn`` (the trail) and ``aws:SourceAccount``. An organization
  trail writes ``AWSLogs/<o-id>/<account>/`` for the management and every member account, and ``CreateTrail``
  checks ``AWSLogs/<management account>/`` as well ("Prepare for creating a trail for your organization").
* "Configure AWS KMS key policies for CloudTrail"
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html):
  ``kms:GenerateDataKey*`` with the encryption context ``aws:cloudtrail:arn`` = the trail, and
  ``kms:DescribeKey``.
* "Amazon SNS topic policy for CloudTrail"
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html):
  ``sns:Publish``; an encrypted topic's key must allow ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (documented
  without ``aws:SourceArn``, so that request is modelled without it).

Log and digest file names are :mod:`ebtrail.core.cloudtrail_layout`'s.
Every region of the trail's partition is checked for a multi-region trail (botocore's endpoint data names
them), the home region for a single-region one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ebtrail.core import cloudtrail_layout as layout
from ebtrail.core.iam import Principal, Request
from ebtrail.core.regions import cloudtrail_regions

CLOUDTRAIL = Principal("Service", "cloudtrail.amazonaws.com")
#: A time and unique string for the sample file names (the policies must not depend on them).
_AT = datetime(2026, 11, 27, 12, 5, tzinfo=UTC)
_UNIQUE = "EXAMPLE000000000"
#: Another organization member's account, for organization trails (any member's folder must be writable).
MEMBER_STAND_IN = "210987654321"
#: Accounts used for "another account" negatives, the first not among the known ones is taken.
_FOREIGN_CANDIDATES = ("999988887777", "888877776666", "777766665555")


@dataclass(frozen=True)
class TrailSubject:
    """What the preflight knows about one trail and the four policies it needs.

    A policy is ``None`` when there is nothing to evaluate (no KMS key, no topic); it is in
    :attr:`unreadable` when it exists but could not be read.
    """

    arn: str
    home_region: str
    multi_region: bool
    bucket: str
    #: The key prefix in the inside form, ``""`` or ``"<prefix>/"``.
    prefix: str
    organization_id: str | None = None
    is_organization_trail: bool = False
    kms_key_arn: str | None = None
    topic_arn: str | None = None
    topic_key_arn: str | None = None
    bucket_policy: dict[str, Any] | None = None
    key_policy: dict[str, Any] | None = None
    topic_policy: dict[str, Any] | None = None
    topic_key_policy: dict[str, Any] | None = None
    #: Accounts of the other trails writing to the same bucket (their folders are not this trail's).
    other_writers: tuple[str, ...] = ()
    #: Why a policy could not be read or the trail could not be described: each makes the run exit 2.
    unreadable: tuple[str, ...] = ()
    #: Where the facts came from: ``assembly`` or ``deployed``.
    source: str = "assembly"

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def partition(self) -> str:
        return self.arn.split(":")[1]

    @property
    def name(self) -> str:
        return self.arn.split(":trail/", 1)[1]


@dataclass(frozen=True)
class Check:
    """One request against one policy, and whether CloudTrail needs it allowed (or it must stay denied)."""

    policy: str  # "bucket policy", "log key policy", "topic policy", "topic key policy"
    label: str
    request: Request
    must_allow: bool


@dataclass
class CheckList:
    checks: list[Check] = field(default_factory=list)

    def add(self, policy: str, label: str, request: Request, *, must_allow: bool = True) -> None:
        self.checks.append(Check(policy, label, request, must_allow))


def _context(trail: TrailSubject, *, tls: bool = True, source_account: str | None = None) -> dict[str, str]:
    return {
        "aws:SourceArn": trail.arn,
        "aws:SourceAccount": source_account or trail.account,
        "aws:SecureTransport": "true" if tls else "false",
    }


def _foreign_account(trail: TrailSubject) -> str:
    known = {trail.account, *trail.other_writers}
    return next(a for a in _FOREIGN_CANDIDATES if a not in known)


def _foreign_trail(trail: TrailSubject) -> TrailSubject:
    """The same trail name in another account: a confused deputy that must be refused everywhere."""
    account = _foreign_account(trail)
    arn = f"arn:{trail.partition}:cloudtrail:{trail.home_region}:{account}:trail/{trail.name}"
    return TrailSubject(arn=arn, home_region=trail.home_region, multi_region=True, bucket=trail.bucket, prefix="")


def log_file_key(prefix: str, account: str, region: str, organization_id: str | None = None) -> str:
    """A sample log file key of ``account`` (:func:`ebtrail.core.cloudtrail_layout.log_key`)."""
    return layout.log_key(prefix, account, region, _AT, _UNIQUE, organization_id=organization_id)


def digest_file_key(prefix: str, account: str, region: str, trail: TrailSubject, organization_id: str | None) -> str:
    """A sample digest file key of ``account`` (:func:`ebtrail.core.cloudtrail_layout.digest_key`)."""
    return layout.digest_key(
        prefix,
        account,
        region,
        trail_name=trail.name,
        home_region=trail.home_region,
        end=_AT,
        organization_id=organization_id,
    )


def log_folders(trail: TrailSubject) -> list[tuple[str, str | None]]:
    """``(account, organization ID)`` of the folders the trail delivers to."""
    if trail.is_organization_trail:
        org = trail.organization_id
        if org is None:  # reported as a problem: the organization folders cannot be checked
            return [(trail.account, None)]
        return [(trail.account, org), (MEMBER_STAND_IN, org)]
    return [(trail.account, None)]


def bucket_checks(trail: TrailSubject, out: CheckList) -> None:
    bucket_arn = f"arn:{trail.partition}:s3:::{trail.bucket}"
    objects = f"{bucket_arn}/"
    ok = _context(trail)
    acl = {**ok, "s3:x-amz-acl": "bucket-owner-full-control"}
    policy = "bucket policy"
    out.add(policy, "GetBucketAcl (ACL check)", Request(CLOUDTRAIL, "s3:GetBucketAcl", bucket_arn, ok))
    regions = cloudtrail_regions(trail.partition) if trail.multi_region else (trail.home_region,)
    if trail.home_region not in regions:
        regions = (*regions, trail.home_region)
    for account, org in log_folders(trail):
        for region in regions:
            for kind, key in (
                ("log file", log_file_key(trail.prefix, account, region, org)),
                ("digest file", digest_file_key(trail.prefix, account, region, trail, org)),
            ):
                out.add(policy, f"PutObject {kind} ({region})", Request(CLOUDTRAIL, "s3:PutObject", objects + key, acl))
    if trail.is_organization_trail:
        # CreateTrail of an organization trail also checks the management account's own folder.
        key = log_file_key(trail.prefix, trail.account, trail.home_region)
        out.add(
            policy, "PutObject AWSLogs/<management>/ check", Request(CLOUDTRAIL, "s3:PutObject", objects + key, acl)
        )
    # Negatives: they must stay denied.
    own_key = log_file_key(trail.prefix, trail.account, trail.home_region, log_folders(trail)[0][1])
    foreign = _foreign_trail(trail)
    out.add(
        policy,
        "PutObject by another account's trail",
        Request(
            CLOUDTRAIL,
            "s3:PutObject",
            objects + own_key,
            {**_context(foreign), "s3:x-amz-acl": "bucket-owner-full-control"},
        ),
        must_allow=False,
    )
    others = list(trail.other_writers) or [_foreign_account(trail)]
    for other in others:
        key = log_file_key(trail.prefix, other, trail.home_region)
        out.add(
            policy,
            f"PutObject into another account's folder AWSLogs/{other}/",
            Request(CLOUDTRAIL, "s3:PutObject", objects + key, acl),
            must_allow=False,
        )
    out.add(
        policy,
        "PutObject without the bucket-owner-full-control ACL",
        Request(CLOUDTRAIL, "s3:PutObject", objects + own_key, ok),
        must_allow=False,
    )
    out.add(
        policy,
        "PutObject without TLS",
        Request(CLOUDTRAIL, "s3:PutObject", objects + own_key, {**acl, "aws:SecureTransport": "false"}),
        must_allow=False,
    )


def log_key_checks(trail: TrailSubject, out: CheckList) -> None:
    if trail.kms_key_arn is None:
        return
    policy = "log key policy"
    context_key = "kms:EncryptionContext:aws:cloudtrail:arn"
    ok = {**_context(trail), context_key: trail.arn}
    key = trail.kms_key_arn
    out.add(policy, "GenerateDataKey (log file encryption)", Request(CLOUDTRAIL, "kms:GenerateDataKey", key, ok))
    out.add(policy, "DescribeKey", Request(CLOUDTRAIL, "kms:DescribeKey", key, _context(trail)))
    foreign = _foreign_trail(trail)
    out.add(
        policy,
        "GenerateDataKey for another account's trail",
        Request(CLOUDTRAIL, "kms:GenerateDataKey", key, {**_context(foreign), context_key: foreign.arn}),
        must_allow=False,
    )
    out.add(
        policy,
        "GenerateDataKey without CloudTrail's encryption context",
        Request(CLOUDTRAIL, "kms:GenerateDataKey", key, _context(trail)),
        must_allow=False,
    )


def topic_checks(trail: TrailSubject, out: CheckList) -> None:
    if trail.topic_arn is None:
        return
    policy = "topic policy"
    out.add(
        policy, "Publish (delivery notification)", Request(CLOUDTRAIL, "sns:Publish", trail.topic_arn, _context(trail))
    )
    foreign = _foreign_trail(trail)
    out.add(
        policy,
        "Publish by another account's trail",
        Request(CLOUDTRAIL, "sns:Publish", trail.topic_arn, _context(foreign)),
        must_allow=False,
    )
    out.add(
        policy,
        "Publish without TLS",
        Request(CLOUDTRAIL, "sns:Publish", trail.topic_arn, _context(trail, tls=False)),
        must_allow=False,
    )
    if trail.topic_key_arn is None:
        return
    # CloudTrail's guide documents this KMS request without aws:SourceArn (and the SNS guide says that key is
    # not supported there for service publishers): the request is modelled without it, so a topic key policy
    # that requires it fails here instead of failing every notification silently after the deploy.
    key_policy = "topic key policy"
    bare = {"aws:SecureTransport": "true"}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        label = f"{action.split(':')[1]} (encrypted topic)"
        out.add(key_policy, label, Request(CLOUDTRAIL, action, trail.topic_key_arn, bare))


def checks_for(trail: TrailSubject) -> list[Check]:
    out = CheckList()
    bucket_checks(trail, out)
    log_key_checks(trail, out)
    topic_checks(trail, out)
    return out.checks
