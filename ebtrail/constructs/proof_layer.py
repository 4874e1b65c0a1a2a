"""The proof layer on a trail ebtrail does not own: the delivery canary, Beanstalk change alerts, the verifier's
policy, CIS alarms on the trail's existing log group, and optionally a data-events-only trail.

For a team that already pays for a trail (AWS Control Tower's ``aws-controltower-BaselineCloudTrail``, Landing Zone
Accelerator's, a hand-made one): a second trail recording management events again is billed as a paid copy
($2.00 per 100,000 management events, "AWS CloudTrail pricing"; "About logging in AWS Control Tower" warns of these
duplicate charges). This construct adds everything that proves and watches the trail, and nothing that records.

The bucket and key policies are the owner's: CloudFormation can add a statement to neither (a bucket has one
policy document, a key policy belongs to its ``AWS::KMS::Key``). Every statement the layer needs there is built
here as it would be for ebtrail's own archive and *printed* (a synth-time info message, :meth:`owner_policies`),
as :class:`~ebtrail.constructs.log_archive.ExistingLogArchive` does for CloudTrail's writes. Until the owner applies
them the canary's reads fail loudly (its ``Errors`` and ``ProbeArrived`` alarms), never silently, and
``ebtrail-verify preflight --trail`` says which statement is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ebtrail.constructs.audit_trail import AuditTrail, AuditTrailProps, storage_bucket_arn_prefix
from ebtrail.constructs.cis_alarms import CisAlarms, CisAlarmsProps
from ebtrail.constructs.cloudtrail_bucket_policy import CloudTrailBucketPolicy, CloudTrailBucketPolicyProps
from ebtrail.constructs.delivery_canary import DeliveryCanary
from ebtrail.constructs.log_key import log_key_statements
from ebtrail.constructs.policy_size import plain_document
from ebtrail.constructs.trail import AlertOptions, trail_alerts
from ebtrail.constructs.trail_features import CanaryOptions, canary_props, verifier_props
from ebtrail.constructs.verifier_access import VerifierAccess
from ebtrail.constructs.verifier_read_access import VerifierReadAccess, VerifierReadAccessProps
from ebtrail.core.cis_filters import CIS_FILTERS, beanstalk_filter
from ebtrail.core.names import (
    VERIFIER_NAME_SUFFIX,
    ExistingTrail,
    TrailTarget,
    cloudtrail_metrics_namespace,
    data_events_trail_name,
)

__all__ = ["CanaryOptions", "DataEventsTrailOptions", "TrailProofLayer", "TrailProofLayerProps"]

#: The KMS condition key CloudTrail sets on every log file it encrypts ("Configure AWS KMS key policies for
#: CloudTrail", CloudTrail User Guide): decrypting is allowed for CloudTrail's files only.
CLOUDTRAIL_CONTEXT_KEY = "kms:EncryptionContext:aws:cloudtrail:arn"


@dataclass(frozen=True)
class DataEventsTrailOptions:
    """A data-events-only trail next to the adopted one: management events off, the Elastic Beanstalk storage
    buckets' object writes (``WriteOnly``) or all object calls (``All``) on, to the same bucket and prefix."""

    read_write: Literal["WriteOnly", "All"] = "WriteOnly"


@dataclass(frozen=True)
class TrailProofLayerProps:
    """The trail to prove, and which parts of the layer to add."""

    trail: ExistingTrail
    #: Names the canary's and the verifier's roles and policies (``<prefix>-delivery-canary``,
    #: ``<prefix>-beanstalk-verifier``), the CIS metrics' namespace and the data-events trail.
    name_prefix: str = "ebtrail"
    #: Beanstalk change alerts (also the topic every alarm publishes to). None: no alerts, no canary, no CIS alarms.
    alerts: AlertOptions | None = field(default_factory=AlertOptions)
    canary: CanaryOptions | None = field(default_factory=CanaryOptions)
    #: The verifier's managed policy; ``verifier_assumed_by`` also creates a role that principal may assume.
    verifier: bool = True
    verifier_assumed_by: str | None = None
    #: CIS metric filters and alarms on ``trail.log_group_name`` (when the trail has one).
    cis_alarms: bool = True
    data_events: DataEventsTrailOptions | None = None


class TrailProofLayer(Construct):
    """Canary, alerts, verifier policy, CIS alarms and an optional data-events trail, on an existing trail; deploy
    it in the trail's account and home region (where its log group is, and where ``GetTrail`` answers for it)."""

    def __init__(self, scope: Construct, construct_id: str, props: TrailProofLayerProps) -> None:
        super().__init__(scope, construct_id)
        existing = props.trail
        target = existing.target
        # The canary, verifier and alerts run in the proof account (the trail's unless ExistingTrail.proof_account).
        proof = existing.proof_target
        self.existing = existing
        self._props = props
        prefix = props.name_prefix

        self.alerts = trail_alerts(self, target, props.alerts)

        reading = existing.log_reading
        self.verifier_access: VerifierAccess | None = None
        if props.verifier:
            self.verifier_access = VerifierAccess(
                self,
                "VerifierAccess",
                verifier_props(
                    name=f"{prefix}{VERIFIER_NAME_SUFFIX}",
                    partition=target.partition,
                    account=proof.account,
                    reading=reading,
                    delivery_topic_arn=None,
                    assumed_by=props.verifier_assumed_by,
                ),
            )

        self.canary: DeliveryCanary | None = None
        if props.canary is not None and self.alerts is not None:
            self.alerts.allow_cloudwatch_alarms(target.alarm_name_prefix)
            self.canary = DeliveryCanary(
                self,
                "DeliveryCanary",
                canary_props(
                    target,
                    account=proof.account,
                    reading=reading,
                    options=props.canary,
                    alarm_topic=self.alerts.topic,
                    name_prefix=prefix,
                ),
            )

        self.cis_alarms: CisAlarms | None = None
        # The metric filters must be in the log group's account: the trail's.
        in_log_group_account = proof.account == target.account
        if (
            props.cis_alarms
            and existing.log_group_name
            and in_log_group_account
            and self.alerts is not None
            and props.alerts is not None
        ):
            self.alerts.allow_cloudwatch_alarms(target.alarm_name_prefix)
            # The trail's own log group, imported by name: the metric filters are new resources on it, the log
            # group itself (its retention, its key, its delivery role) stays its owner's.
            log_group = logs.LogGroup.from_log_group_name(self, "TrailLogGroup", existing.log_group_name)
            self.cis_alarms = CisAlarms(
                self,
                "CisAlarms",
                CisAlarmsProps(
                    log_group=log_group,
                    topic=self.alerts.topic,
                    filters=(*CIS_FILTERS, beanstalk_filter(tuple(props.alerts.actions))),
                    trail_name=target.name,
                    namespace=cloudtrail_metrics_namespace(prefix),
                ),
            )

        self.data_events_trail: AuditTrail | None = None
        self.data_events_target: TrailTarget | None = None
        if props.data_events is not None:
            self.data_events_target = data_target = TrailTarget(
                account=target.account,
                home_region=target.home_region,
                name=data_events_trail_name(prefix),
                partition=target.partition,
                organization_id=target.organization_id,
            )
            self.data_events_trail = AuditTrail(
                self,
                "DataEventsTrail",
                AuditTrailProps(
                    trail_name=data_target.name,
                    bucket_name=existing.bucket,
                    kms_key_id=existing.kms_key_arn,
                    sns_topic_name=None,
                    log_prefix=existing.log_prefix,
                    is_organization_trail=data_target.organization_id is not None,
                    organization_id=data_target.organization_id,
                    # Every region's storage buckets, of every account, as ebtrail's own trail records them (one
                    # prefix per partition: issue 17 item 5; storage_bucket_arn_prefix says why the account is not
                    # pinned).
                    data_event_arn_prefixes=(storage_bucket_arn_prefix(target.partition),),
                    data_events_read_write=props.data_events.read_write,
                    log_bucket_arn=existing.bucket_arn,
                    record_management_events=False,
                ),
            )

        self._bucket_statements = self._owner_bucket_statements()
        self._key_statements = self._owner_key_statements() if existing.kms_key_arn else []
        if not self._bucket_statements and not self._key_statements:
            return
        Annotations.of(self).add_info(
            f"ebtrail: the owner of bucket {existing.bucket}"
            + (f" and key {existing.kms_key_arn}" if existing.kms_key_arn else "")
            + f" must add these statements for the proof layer of trail {target.arn}:\n"
            + json.dumps(self.owner_policies(), indent=2)
        )

    @property
    def reader_roles(self) -> list[str]:
        """The roles of this layer that read the log files: the canary's and the verifier's (when there)."""
        target, prefix = self.existing.proof_target, self._props.name_prefix
        roles = []
        if self.canary is not None:
            roles.append(target.canary_role_arn(prefix))
        if self.verifier_access is not None:
            roles.append(target.verifier_role_arn(prefix))
        return roles

    def _owner_bucket_statements(self) -> list[iam.PolicyStatement]:
        existing, target = self.existing, self.existing.proof_target
        # Imported: add_to_resource_policy keeps the statements to the constructs that build them.
        bucket = s3.Bucket.from_bucket_attributes(self, "OwnerBucket", bucket_arn=existing.bucket_arn)
        statements: list[iam.PolicyStatement] = []
        readers: tuple[tuple[Literal["Canary", "Verifier"], bool], ...] = (
            ("Canary", self.canary is not None),
            ("Verifier", self.verifier_access is not None),
        )
        for reader, present in readers:
            if present:
                access = VerifierReadAccess(
                    self,
                    f"{reader}OwnerReadStatements",
                    VerifierReadAccessProps(
                        bucket=bucket,
                        writers=[target],
                        name_prefix=self._props.name_prefix,
                        log_prefix=existing.log_prefix,
                        reader=reader,
                    ),
                )
                statements += access.statements
        if self.data_events_target is not None:
            writes = CloudTrailBucketPolicy(
                self,
                "DataEventsTrailOwnerStatements",
                CloudTrailBucketPolicyProps(
                    bucket=bucket, writers=[self.data_events_target], log_prefix=existing.log_prefix
                ),
            )
            statements += [writes.acl_check, *writes.writes]
        return statements

    def _owner_key_statements(self) -> list[iam.PolicyStatement]:
        existing = self.existing
        statements: list[iam.PolicyStatement] = []
        if self.data_events_target is not None:
            statements += [
                s for s in log_key_statements([self.data_events_target]) if str(s.sid).startswith("AllowCloudTrail")
            ]
        named = log_key_statements(
            [],
            reader_principals=self.reader_roles,
            key_describers=[existing.proof_target.canary_role_arn(self._props.name_prefix)] if self.canary else [],
        )
        statements += [s for s in named if s.sid in ("AllowNamedLogReadersDecrypt", "AllowCanariesDescribeKey")]
        # Athena runs in the bucket's account and reads the files as the caller, through S3 ("Amazon Athena
        # access to encrypted data", Athena User Guide: the caller needs kms:Decrypt on the key): principals of
        # that account, for CloudTrail's files only.
        partition = existing.target.partition
        statements.append(
            iam.PolicyStatement(
                sid="AllowArchiveAccountDecryptLogs",
                principals=[iam.ArnPrincipal(f"arn:{partition}:iam::{existing.bucket_account}:root")],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={"Null": {CLOUDTRAIL_CONTEXT_KEY: "false"}},
            )
        )
        return statements

    def owner_policies(self) -> dict[str, Any]:
        """The bucket-policy and key-policy statements the layer needs from their owner, as plain JSON."""
        stack = Stack.of(self)
        proof = self.existing.proof_target
        refs = {"AWS::Partition": proof.partition, "AWS::AccountId": proof.account}
        return {
            "bucket_policy_statements": [
                plain_document(stack, s.to_statement_json(), refs) for s in self._bucket_statements
            ],
            "key_policy_statements": [plain_document(stack, s.to_statement_json(), refs) for s in self._key_statements],
        }
