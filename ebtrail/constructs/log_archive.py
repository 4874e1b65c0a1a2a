"""The log archive as one construct a platform team adds to a stack of its own: key, buckets, policies, Athena.

Plain values in (names, accounts, retention days, principals), never ebtrail's config model; the app's stacks
build the same construct from a config (``deployment.plan``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from aws_cdk import Annotations, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.aws_kms import CfnKey
from aws_cdk.aws_s3 import CfnBucket
from constructs import Construct, IConstruct

from ebtrail.constructs.access_log_bucket import AccessLogBucket, AccessLogBucketProps
from ebtrail.constructs.athena_archive import AthenaArchive, AthenaArchiveProps
from ebtrail.constructs.cloudtrail_bucket_policy import CloudTrailBucketPolicy, CloudTrailBucketPolicyProps
from ebtrail.constructs.log_bucket import LogBucket, LogBucketProps
from ebtrail.constructs.log_key import LogEncryptionKey, LogEncryptionKeyProps, log_key_statements
from ebtrail.constructs.log_reader_access import LogReaderAccess, LogReaderAccessProps
from ebtrail.constructs.policy_size import (
    KMS_KEY_POLICY_LIMIT,
    S3_BUCKET_POLICY_LIMIT,
    PolicySize,
    PolicySizeValidation,
    plain_document,
    policy_bytes,
)
from ebtrail.constructs.verifier_read_access import VerifierReadAccess, VerifierReadAccessProps
from ebtrail.core import cloudtrail_layout as layout
from ebtrail.core.lifecycle import DEFAULTS as LIFECYCLE
from ebtrail.core.names import ArchiveNames, TrailTarget

ATHENA_TABLE = "cloudtrail_logs"
#: The library's way out of an oversized bucket or key policy: every writer (and every reader, verifier and canary
#: of another account) adds statements, while an organization trail writes under one.
ARCHIVE_POLICY_SIZE_MESSAGE = (
    "S3 and KMS would refuse it during the deploy; use fewer writers (LogArchiveProps.writers, reader_principals, "
    "remote_verifiers, remote_canaries) or an organization trail"
)
S3_ACCESS_LOGS_WITH_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


@dataclass(frozen=True)
class StorageTransition:
    """Move current log files to ``storage_class`` once they are ``days`` old (S3 lifecycle Transition).

    ``storage_class``: ``STANDARD_IA``, ``INTELLIGENT_TIERING``, ``ONEZONE_IA``, ``GLACIER_IR``, ``GLACIER`` or
    ``DEEP_ARCHIVE``.
    """

    storage_class: str
    days: int


@dataclass(frozen=True)
class LifecycleRules:
    """The log bucket's lifecycle. Defaults: :data:`ebtrail.core.lifecycle.DEFAULTS`, the same as ebtrail's config
    (``deployment.config.Lifecycle``; the why is on the defaults), transitions for files of 128 KB or more only;
    ``expiration_days`` ``None`` keeps the files. Not checked here against S3's minimum storage durations: the
    config does that."""

    transitions: tuple[StorageTransition, ...] = tuple(
        StorageTransition(storage_class, days) for storage_class, days in LIFECYCLE.transitions
    )
    expiration_days: int | None = LIFECYCLE.expiration_days
    noncurrent_version_expiration_days: int = LIFECYCLE.noncurrent_version_expiration_days
    abort_incomplete_multipart_upload_days: int = LIFECYCLE.abort_incomplete_multipart_upload_days


@dataclass(frozen=True)
class Retention:
    """Default Object Lock retention: ``mode`` ``GOVERNANCE`` or ``COMPLIANCE``, for ``days``."""

    mode: str
    days: int


@dataclass(frozen=True)
class AthenaOptions:
    """Athena over the archive: Glue table with partition projection, a workgroup, saved queries."""

    #: Accounts whose log files the table covers (the ``account`` partition's values).
    accounts: Sequence[str]
    #: First day of the ``day`` projection (the first day the trail delivered).
    projection_start: date
    #: ``o-...`` when an organization trail writes to the archive.
    organization_id: str | None = None
    #: Days query results are kept.
    results_expiration_days: int = LIFECYCLE.athena_results_expiration_days


@dataclass(frozen=True)
class LogArchiveProps:
    """What the archive needs: its names and the trails that write to it; everything else has a default."""

    #: Names of the archive's resources (prefix, account, region, partition of the archive).
    names: ArchiveNames
    #: Every trail that writes to the archive (account, home region, name).
    writers: Sequence[TrailTarget]
    #: ``""`` or ``"<key prefix>/"``, the part in front of ``AWSLogs/``.
    log_prefix: str = ""
    #: Prefixes (same form) the trails wrote under before: the bucket policy still lets them write there.
    previous_log_prefixes: Sequence[str] = ()
    lifecycle: LifecycleRules = LifecycleRules()
    #: Default Object Lock retention. Default: no Object Lock.
    object_lock: Retention | None = None
    #: Days S3 server access logs of the archive are kept.
    access_log_retention_days: int = LIFECYCLE.access_log_retention_days
    #: Role or user ARNs, of any account, that may read and decrypt log files: named in the bucket policy
    #: (:class:`~ebtrail.constructs.log_reader_access.LogReaderAccess`) and the key policy. They need an IAM grant
    #: in their own account too; :meth:`LogArchive.grant_read_logs` gives one to a principal of a stack in this app.
    reader_principals: Sequence[str] = ()
    #: Trails whose account's verifier role (``<prefix>-beanstalk-verifier``) reads its own log files across
    #: accounts: named in the bucket and key policies. Default: none.
    remote_verifiers: Sequence[TrailTarget] = ()
    #: Trails whose account's delivery canary role (``<prefix>-delivery-canary``) reads its own log files across
    #: accounts and resolves the log key's alias: named in the bucket and key policies. Default: none.
    remote_canaries: Sequence[TrailTarget] = ()
    #: Athena over the archive. Default: none.
    athena: AthenaOptions | None = None
    #: What the error says to shorten when the bucket or key policy is over S3's 20 KB or KMS's 32 KB limit (synthesis
    #: fails then; the size and limit come first). Default: :data:`ARCHIVE_POLICY_SIZE_MESSAGE`, in this class's
    #: props; an app names its own config fields.
    policy_size_message: str = ARCHIVE_POLICY_SIZE_MESSAGE


class LogArchive(Construct):
    """The CloudTrail log archive: KMS key, log bucket, access-log bucket, CloudTrail's bucket policy, and
    optionally cross-account verifier reads and Athena. Every part is documented on its own construct
    (:class:`LogEncryptionKey`, :class:`LogBucket`, :class:`AccessLogBucket`, :class:`CloudTrailBucketPolicy`,
    :class:`VerifierReadAccess`, :class:`AthenaArchive`).

    Trails in other stacks and accounts refer to it by :attr:`names` (bucket name, key alias ARN), never by a
    CloudFormation reference. The bucket and key policies are measured at synth time (``node.add_validation``):
    S3 and KMS would otherwise refuse an oversized policy halfway through a deploy.

    To use a bucket and key someone else owns, see :meth:`from_existing`.
    """

    def __init__(self, scope: Construct, construct_id: str, props: LogArchiveProps) -> None:
        super().__init__(scope, construct_id)
        # Server access logs through the target bucket's policy, not the LogDeliveryWrite ACL that
        # BucketOwnerEnforced buckets refuse. An app made by ``cdk init`` sets this flag in cdk.json; setting it
        # here (before any child exists) keeps the archive deployable in an app without it.
        self.node.set_context(S3_ACCESS_LOGS_WITH_BUCKET_POLICY, True)
        names = props.names
        self.names = names
        self.log_prefix = props.log_prefix
        canary_roles = [writer.canary_role_arn(names.prefix) for writer in props.remote_canaries]
        self.log_key = LogEncryptionKey(
            self,
            "LogKey",
            LogEncryptionKeyProps(
                alias=names.log_key_alias,
                writers=list(props.writers),
                reader_principals=[
                    *props.reader_principals,
                    *(writer.verifier_role_arn(names.prefix) for writer in props.remote_verifiers),
                    *canary_roles,
                ],
                key_describers=canary_roles,
            ),
        )
        self.access_logs = AccessLogBucket(
            self,
            "AccessLogBucket",
            AccessLogBucketProps(bucket_name=names.access_log_bucket, retention_days=props.access_log_retention_days),
        )
        self.log_bucket = LogBucket(
            self,
            "LogBucket",
            LogBucketProps(
                bucket_name=names.log_bucket,
                encryption_key=self.log_key.key,
                access_log_bucket=self.access_logs.bucket,
                lifecycle=props.lifecycle,
                object_lock=props.object_lock,
            ),
        )
        self.bucket_policy = CloudTrailBucketPolicy(
            self,
            "CloudTrailBucketPolicy",
            CloudTrailBucketPolicyProps(
                bucket=self.log_bucket.bucket,
                writers=list(props.writers),
                log_prefix=props.log_prefix,
                previous_log_prefixes=tuple(props.previous_log_prefixes),
            ),
        )
        if props.remote_verifiers:
            VerifierReadAccess(
                self,
                "VerifierReadAccess",
                VerifierReadAccessProps(
                    bucket=self.log_bucket.bucket,
                    writers=list(props.remote_verifiers),
                    name_prefix=names.prefix,
                    log_prefix=props.log_prefix,
                ),
            )
        if props.reader_principals:
            # The key grant (AllowNamedLogReadersDecrypt) alone lets another account's reader decrypt nothing it
            # can fetch: the bucket policy must let it read too.
            LogReaderAccess(
                self,
                "LogReaderAccess",
                LogReaderAccessProps(
                    bucket=self.log_bucket.bucket,
                    reader_principals=props.reader_principals,
                    log_prefix=props.log_prefix,
                ),
            )
        if props.remote_canaries:
            VerifierReadAccess(
                self,
                "CanaryReadAccess",
                VerifierReadAccessProps(
                    bucket=self.log_bucket.bucket,
                    writers=list(props.remote_canaries),
                    name_prefix=names.prefix,
                    log_prefix=props.log_prefix,
                    reader="Canary",
                ),
            )
        self.athena: AthenaArchive | None = None
        self.query_results_key: kms.Key | None = None
        if props.athena is not None:
            self.query_results_key, self.athena = athena_with_results_key(
                self,
                names,
                props.athena,
                log_bucket_name=names.log_bucket,
                log_prefix=props.log_prefix,
                access_log_bucket=self.access_logs.bucket,
                key_description="Encrypts Athena query results over the ebtrail archive",
            )
        self.node.add_validation(PolicySizeValidation(self._measured_policies, props.policy_size_message))

    @property
    def bucket(self) -> s3.IBucket:
        return self.log_bucket.bucket

    @property
    def key(self) -> kms.IKey:
        return self.log_key.key

    @property
    def trail_prerequisites(self) -> tuple[IConstruct, ...]:
        """What ``CreateTrail`` checks here (bucket policy, key): a trail in the same stack depends on them."""
        policy = self.log_bucket.bucket.policy
        return (self.log_key.key, *((policy,) if policy is not None else ()))

    def policy_sizes(self) -> dict[str, int]:
        """Bytes of the log bucket policy and the log key policy, as S3 and KMS will count them."""
        bucket = self.log_bucket.bucket
        cfn_bucket = bucket.node.default_child
        cfn_key = self.log_key.key.node.default_child
        assert isinstance(cfn_bucket, CfnBucket) and isinstance(cfn_key, CfnKey) and bucket.policy is not None
        stack = Stack.of(self)
        arns = {stack.get_logical_id(cfn_bucket): self.names.log_bucket_arn}
        return {
            "bucket_policy": policy_bytes(stack, bucket.policy.document, arns),
            "key_policy": policy_bytes(stack, cfn_key.key_policy, arns),
        }

    def _measured_policies(self) -> list[PolicySize]:
        sizes = self.policy_sizes()
        return [
            PolicySize("log bucket policy", sizes["bucket_policy"], S3_BUCKET_POLICY_LIMIT),
            PolicySize("log key policy", sizes["key_policy"], KMS_KEY_POLICY_LIMIT),
        ]

    def grant_read_logs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` list and read the archive's log and digest files and decrypt them with the log key.

        Read-only on the ``[prefix/]AWSLogs/`` folder (``s3:GetObject*``, ``s3:List*``, ``s3:GetBucket*``) and
        ``kms:Decrypt`` on the log key, through aws-cdk-lib's ``grant_read``: an IAM policy for a principal of
        this account; for another account's principal the bucket and key policies name it as well.
        """
        return self.log_bucket.bucket.grant_read(grantee, layout.logs_objects_pattern(self.log_prefix))

    def grant_athena_query(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run Athena queries over the archive in its workgroup and read the results.

        Follows "Example workgroup policies" (Athena User Guide, example-policies-workgroup) for the workgroup
        actions and "Configure access to databases and tables in the AWS Glue Data Catalog" (Athena User
        Guide, fine-grained-access-to-glue-resources) for the Glue reads, which need the catalog, the database
        and the table. Also :meth:`grant_read_logs` (Athena reads the files as the caller) and read/write on
        the results bucket and its key.
        """
        if self.athena is None:
            raise ValueError("grant_athena_query needs an archive with Athena (LogArchiveProps.athena)")
        stack = Stack.of(self)
        names = self.names
        workgroup = f"arn:{names.partition}:athena:{names.region}:{names.account}:workgroup/{names.athena_workgroup}"
        glue = f"arn:{names.partition}:glue:{names.region}:{names.account}"
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "athena:StartQueryExecution",
                "athena:StopQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:GetQueryResultsStream",
                "athena:BatchGetQueryExecution",
                "athena:ListQueryExecutions",
                "athena:GetNamedQuery",
                "athena:BatchGetNamedQuery",
                "athena:ListNamedQueries",
                "athena:GetWorkGroup",
            ],
            resource_arns=[workgroup],
            scope=stack,
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
            resource_arns=[
                f"{glue}:catalog",
                f"{glue}:database/{names.athena_database}",
                f"{glue}:table/{names.athena_database}/{ATHENA_TABLE}",
            ],
            scope=stack,
        )
        self.grant_read_logs(grantee)
        self.athena.results_bucket.grant_read_write(grantee, "results/*")
        return grant

    @staticmethod
    def from_existing(scope: Construct, construct_id: str, props: ExistingArchiveProps) -> ExistingLogArchive:
        """Use a log bucket and key that already exist (another team's, another stack's)."""
        return ExistingLogArchive(scope, construct_id, props)


@dataclass(frozen=True)
class ExistingArchiveProps:
    """A bucket and key someone else owns, and the trails that will write to them."""

    bucket_name: str
    #: ARN of the key (``arn:...:kms:<region>:<account>:key/<id>``) or of its alias.
    key_arn: str
    writers: Sequence[TrailTarget]
    #: Partition of the bucket (``aws``, ``aws-cn``, ``aws-us-gov``).
    partition: str = "aws"
    #: ``""`` or ``"<key prefix>/"``.
    log_prefix: str = ""
    #: Role or user ARNs that may read and decrypt log files (added to the printed bucket- and key-policy statements).
    reader_principals: Sequence[str] = ()


class ExistingLogArchive(Construct):
    """An archive bucket and key that this app does not own.

    CloudFormation can add a statement to neither: a bucket has one policy document (an ``AWS::S3::BucketPolicy``
    here would replace the owner's), and a key policy belongs to its ``AWS::KMS::Key``. So the statements
    CloudTrail needs are *printed* for the owner (a synth-time info message, and :meth:`owner_policies`), the
    same statements :class:`LogArchive` applies to its own bucket and key. ``CreateTrail`` fails until the
    owner has applied them, loudly, never silently.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ExistingArchiveProps) -> None:
        super().__init__(scope, construct_id)
        self.log_prefix = props.log_prefix
        self.bucket = s3.Bucket.from_bucket_attributes(
            self, "Bucket", bucket_arn=f"arn:{props.partition}:s3:::{props.bucket_name}"
        )
        self.key = kms.Key.from_key_arn(self, "Key", props.key_arn)
        self.bucket_name = props.bucket_name
        self.key_arn = props.key_arn
        self._partition = props.partition
        # An imported bucket keeps the statements to itself: CloudTrailBucketPolicy builds them all the same.
        self._bucket_statements = CloudTrailBucketPolicy(
            self,
            "CloudTrailBucketPolicy",
            CloudTrailBucketPolicyProps(bucket=self.bucket, writers=list(props.writers), log_prefix=props.log_prefix),
        )
        self._key_statements = log_key_statements(props.writers, props.reader_principals)
        self._reader_statements: list[iam.PolicyStatement] = []
        if props.reader_principals:
            readers = LogReaderAccess(
                self,
                "LogReaderAccess",
                LogReaderAccessProps(
                    bucket=self.bucket, reader_principals=props.reader_principals, log_prefix=props.log_prefix
                ),
            )
            self._reader_statements = [readers.read, readers.list]
        Annotations.of(self).add_info(
            f"ebtrail: the owner of bucket {props.bucket_name} and key {props.key_arn} must add these statements "
            f"before the trail is created:\n{json.dumps(self.owner_policies(), indent=2)}"
        )

    @property
    def trail_prerequisites(self) -> tuple[IConstruct, ...]:
        """Nothing to wait for in this app: the owner applies the policies."""
        return ()

    def owner_policies(self) -> dict[str, Any]:
        """The bucket-policy and key-policy statements CloudTrail needs, as plain JSON for the owner."""
        stack = Stack.of(self)
        account = stack.account
        refs = {"AWS::Partition": self._partition}
        if not Token.is_unresolved(account):
            refs["AWS::AccountId"] = account
        statements = [self._bucket_statements.acl_check, *self._bucket_statements.writes, *self._reader_statements]
        return {
            "bucket_policy_statements": [plain_document(stack, s.to_statement_json(), refs) for s in statements],
            "key_policy_statements": [plain_document(stack, s.to_statement_json(), refs) for s in self._key_statements],
        }

    def grant_read_logs(self, grantee: iam.IGrantable) -> iam.Grant:
        """IAM grants for ``grantee`` to read and decrypt the log files (the owner's policies must allow it too)."""
        grant = self.bucket.grant_read(grantee, layout.logs_objects_pattern(self.log_prefix))
        self.key.grant_decrypt(grantee)
        return grant


def athena_with_results_key(
    scope: Construct,
    names: ArchiveNames,
    options: AthenaOptions,
    *,
    log_bucket_name: str,
    log_prefix: str,
    access_log_bucket: s3.IBucket,
    key_description: str,
) -> tuple[kms.Key, AthenaArchive]:
    """Athena over a trail's files (ebtrail's archive or an adopted trail's bucket) and the key of its query
    results, retained like every key that encrypts records (results are reproducible, the key's loss is not)."""
    results_key = kms.Key(
        scope,
        "QueryResultsKey",
        alias=names.athena_results_key_alias,
        description=key_description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    athena = AthenaArchive(
        scope,
        "Athena",
        AthenaArchiveProps(
            database_name=names.athena_database,
            table_name=ATHENA_TABLE,
            workgroup_name=names.athena_workgroup,
            log_bucket_name=log_bucket_name,
            log_prefix=log_prefix,
            accounts=list(options.accounts),
            organization_id=options.organization_id,
            results_bucket_name=names.athena_results_bucket,
            encryption_key=results_key,
            projection_start=options.projection_start,
            access_log_bucket=access_log_bucket,
            results_expiration_days=options.results_expiration_days,
        ),
    )
    return results_key, athena
