"""CloudFormation support for moto 5.2.5, so that ebtrail's stacks deploy to ``moto_server`` faithfully.

Stock moto's CloudFormation skips every resource type it does not know with a warning and still reports
``CREATE_COMPLETE``, crashes on a tagged ``AWS::KMS::Key`` and applies only the encryption and tags of an
``AWS::S3::Bucket``. Importing this module (``tests/e2e/moto_launcher.py`` does, before moto's server starts)
closes those gaps, each through moto's own backend calls, the ones its API handlers make:

* registers ``AWS::CloudTrail::Trail`` (``create_trail``, ``put_event_selectors``, ``put_insight_selectors``,
  ``start_logging``), ``AWS::Logs::MetricFilter`` (``put_metric_filter``), ``AWS::CloudWatch::Alarm``
  (``put_metric_alarm``), ``AWS::KinesisFirehose::DeliveryStream`` (``create_delivery_stream``),
  ``AWS::Organizations::Policy`` (``create_policy``, ``attach_policy``; the organization must exist),
  ``AWS::S3::BucketPolicy`` (``put_bucket_policy``), ``AWS::SNS::TopicPolicy`` (``set_topic_attribute
  Policy``), ``AWS::SNS::Subscription`` (``subscribe``), ``AWS::Glue::Database``/``Table``
  (``create_database``/``create_table``), ``AWS::Athena::WorkGroup``/``NamedQuery``
  (``create_work_group``/``create_named_query``), each a direct subclass of moto's
  ``CloudFormationModel``, which is how moto's template parser finds a type (``get_model_map``);
* replaces ``AWS::KMS::Key``: CloudFormation's tags (``Key``/``Value``) are converted to the
  ``TagKey``/``TagValue`` moto's ``create_key`` expects (stock moto raises ``KeyError: 'TagKey'``, an HTTP 500
  the SDK retries into a false success), and the key policy is stored as the JSON text ``GetKeyPolicy``
  returns;
* replaces ``AWS::S3::Bucket``: after moto's own creation (name, encryption, tags) it applies versioning,
  the S3 Bucket Key, the public access block, object ownership, the lifecycle rules, Object Lock and server
  access logging;
* makes moto's bucket-policy enforcement see a request over TLS: moto evaluates a stored bucket policy
  without any request context and ignores the ``Bool`` operator, so the TLS-only ``Deny`` (``Bool
  aws:SecureTransport = false``) matched every object request. The policy is evaluated with the preflight's
  IAM evaluator and the context ``aws:SecureTransport = true`` instead (the SDK speaks HTTPS to AWS; only the
  emulator endpoint is plain HTTP); an explicit ``Deny`` still refuses the request.

Deletion removes what creation made; update is replace. Anything this module cannot apply raises, so the
stack fails instead of deploying something else than the template says. The e2e run also checks moto's log
for "No Moto CloudFormation support" and that every template resource exists in the stack.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from moto.athena.models import athena_backends
from moto.awslambda.models import lambda_backends
from moto.cloudformation import parsing
from moto.cloudtrail.models import cloudtrail_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.firehose.models import firehose_backends
from moto.glue.models import glue_backends
from moto.kms.models import Key, kms_backends
from moto.logs.models import logs_backends
from moto.organizations.models import organizations_backends
from moto.s3.models import FakeBucket, s3_backends
from moto.scheduler.models import scheduler_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.utils import get_partition

from ebtrail.verifier.preflight.policy import PolicyError, Principal, Request, Verdict, evaluate

#: Types this module registers or replaces (the e2e run compares this with the templates' types).
SUPPORTED_TYPES: set[str] = set()


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


class Where(NamedTuple):
    """The account and region CloudFormation deploys a resource in."""

    account: str
    region: str


#: A resource's ``Properties`` in the template, with intrinsic functions already resolved by moto.
Props = dict[str, Any]


class _Created:
    """moto's ``CloudFormationModel`` protocol implemented once; a model states its ``CFN_TYPE`` (and the
    ``NAME_PROPERTY`` whose value names the resource, if any) and implements :meth:`create` and :meth:`delete`
    with moto's own backend calls.

    A mixin: moto finds models through ``CloudFormationModel.__subclasses__()``, which lists *direct*
    subclasses only, so every model below names ``CloudFormationModel`` as a base itself."""

    CFN_TYPE: str
    #: The property that names the resource (``TrailName``, ...); moto passes its value, or a generated name,
    #: to :meth:`create` as ``resource_name``. Empty: the type has no name property.
    NAME_PROPERTY = ""

    def __init__(self, physical_id: str, attributes: dict[str, str] | None = None) -> None:
        self.physical_id = physical_id
        self.attributes = attributes or {}

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        """Create the resource through moto's backend; return its physical ID (``Ref``) and attributes."""
        raise NotImplementedError

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        """Delete what :meth:`create` made; ``resource_name`` is the physical ID it returned."""
        raise NotImplementedError

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.CFN_TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> _Created:
        return cls.create(Where(account_id, region_name), resource_name, cloudformation_json.get("Properties", {}))

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        cls.delete(Where(account_id, region_name), resource_name, cloudformation_json.get("Properties", {}))

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> _Created:
        """Update is replace: delete the old resource, create the new one."""
        cls.delete_from_cloudformation_json(
            original_resource.physical_resource_id, cloudformation_json, account_id, region_name
        )
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)


def _register(cls: type[CloudFormationModel]) -> type[CloudFormationModel]:
    SUPPORTED_TYPES.add(cls.cloudformation_type())
    return cls


@_register
class BucketPolicyModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::S3::BucketPolicy"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        backend = s3_backends[where.account][get_partition(where.region)]
        backend.put_bucket_policy(props["Bucket"], _json_text(props["PolicyDocument"]).encode())
        return cls(props["Bucket"])

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        s3_backends[where.account][get_partition(where.region)].delete_bucket_policy(resource_name)


@_register
class TopicPolicyModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::SNS::TopicPolicy"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        backend = sns_backends[where.account][where.region]
        for topic_arn in props["Topics"]:
            backend.set_topic_attribute(topic_arn, "policy", _json_text(props["PolicyDocument"]))
        return cls(resource_name)

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        return None  # the topic keeps moto's default policy when the topic itself stays


@_register
class SubscriptionModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::SNS::Subscription"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        topic_arn = props["TopicArn"]
        backend = sns_backends[where.account][topic_arn.split(":")[3]]
        subscription = backend.subscribe(topic_arn, props["Endpoint"], props["Protocol"])
        return cls(subscription.arn)

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        sns_backends[where.account][resource_name.split(":")[3]].unsubscribe(resource_name)


@_register
class TrailModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::CloudTrail::Trail"
    NAME_PROPERTY = "TrailName"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        backend = cloudtrail_backends[where.account][where.region]
        trail = backend.create_trail(
            name=resource_name,
            bucket_name=props["S3BucketName"],
            s3_key_prefix=props.get("S3KeyPrefix"),  # type: ignore[arg-type]
            sns_topic_name=props.get("SnsTopicName"),  # type: ignore[arg-type]
            is_global=_flag(props.get("IncludeGlobalServiceEvents", True)),
            is_multi_region=_flag(props.get("IsMultiRegionTrail", False)),
            log_validation=_flag(props.get("EnableLogFileValidation", False)),
            is_org_trail=_flag(props.get("IsOrganizationTrail", False)),
            cw_log_group_arn=props.get("CloudWatchLogsLogGroupArn"),  # type: ignore[arg-type]
            cw_role_arn=props.get("CloudWatchLogsRoleArn"),  # type: ignore[arg-type]
            kms_key_id=props.get("KMSKeyId"),  # type: ignore[arg-type]
            tags_list=props.get("Tags", []),
        )
        if props.get("EventSelectors") or props.get("AdvancedEventSelectors"):
            backend.put_event_selectors(
                trail_name=resource_name,
                event_selectors=props.get("EventSelectors"),  # type: ignore[arg-type]
                advanced_event_selectors=props.get("AdvancedEventSelectors"),  # type: ignore[arg-type]
            )
        if props.get("InsightSelectors"):
            backend.put_insight_selectors(resource_name, props["InsightSelectors"])
        if _flag(props.get("IsLogging", False)):
            backend.start_logging(resource_name)
        return cls(resource_name, {"Arn": trail.arn, "SnsTopicArn": trail.topic_arn or ""})

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        cloudtrail_backends[where.account][where.region].delete_trail(resource_name)


@_register
class GlueDatabaseModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::Glue::Database"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        database_input = props["DatabaseInput"]
        glue_backends[where.account][where.region].create_database(database_input["Name"], database_input)
        return cls(database_input["Name"])

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        glue_backends[where.account][where.region].delete_database(resource_name)


@_register
class GlueTableModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::Glue::Table"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        table_input = props["TableInput"]
        glue_backends[where.account][where.region].create_table(props["DatabaseName"], table_input["Name"], table_input)
        return cls(f"{props['DatabaseName']}|{table_input['Name']}")

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        database, _, table = resource_name.partition("|")
        glue_backends[where.account][where.region].delete_table(database, table)


@_register
class AthenaWorkGroupModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::Athena::WorkGroup"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        created = athena_backends[where.account][where.region].create_work_group(
            name=resource_name,
            configuration=props.get("WorkGroupConfiguration", {}),
            description=props.get("Description", ""),
            tags=props.get("Tags", []),
        )
        if created is None:
            raise ValueError(f"Athena workgroup {resource_name} already exists")
        return cls(resource_name)

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        athena_backends[where.account][where.region].delete_work_group(resource_name)


@_register
class AthenaNamedQueryModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::Athena::NamedQuery"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        query_id = athena_backends[where.account][where.region].create_named_query(
            name=props.get("Name", resource_name),
            description=props.get("Description", ""),
            database=props["Database"],
            query_string=props["QueryString"],
            workgroup=props.get("WorkGroup", "primary"),
        )
        return cls(query_id)

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        athena_backends[where.account][where.region].delete_named_query(resource_name)  # type: ignore[attr-defined]


@_register
class MetricFilterModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::Logs::MetricFilter"
    NAME_PROPERTY = "FilterName"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        transformations = [
            {k[0].lower() + k[1:]: v for k, v in t.items()} for t in props["MetricTransformations"]
        ]  # moto's API handler passes the JSON request's camelCase keys
        logs_backends[where.account][where.region].put_metric_filter(
            resource_name,
            props["FilterPattern"],
            props["LogGroupName"],
            transformations,  # type: ignore[arg-type]
        )
        return cls(f"{props['LogGroupName']}|{resource_name}")

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        log_group, _, name = resource_name.partition("|")
        logs_backends[where.account][where.region].delete_metric_filter(name, log_group)


@_register
class AlarmModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        alarm = cloudwatch_backends[where.account][where.region].put_metric_alarm(
            name=resource_name,
            namespace=props.get("Namespace"),  # type: ignore[arg-type]
            metric_name=props.get("MetricName"),  # type: ignore[arg-type]
            comparison_operator=props["ComparisonOperator"],
            evaluation_periods=int(props["EvaluationPeriods"]),
            period=int(props["Period"]) if "Period" in props else None,  # type: ignore[arg-type]
            threshold=float(props["Threshold"]) if "Threshold" in props else None,  # type: ignore[arg-type]
            statistic=props.get("Statistic"),  # type: ignore[arg-type]
            description=props.get("AlarmDescription"),  # type: ignore[arg-type]
            dimensions=props.get("Dimensions", []),
            alarm_actions=props.get("AlarmActions", []),
            ok_actions=props.get("OKActions", []),
            insufficient_data_actions=props.get("InsufficientDataActions", []),
            datapoints_to_alarm=props.get("DatapointsToAlarm"),
            unit=props.get("Unit"),
            actions_enabled=_flag(props.get("ActionsEnabled", True)),
            treat_missing_data=props.get("TreatMissingData"),
            tags=props.get("Tags", []),
        )
        return cls(resource_name, {"Arn": alarm.alarm_arn})

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        cloudwatch_backends[where.account][where.region].delete_alarms([resource_name])


@_register
class DeliveryStreamModel(_Created, CloudFormationModel):
    CFN_TYPE = "AWS::KinesisFirehose::DeliveryStream"
    NAME_PROPERTY = "DeliveryStreamName"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        arn = firehose_backends[where.account][where.region].create_delivery_stream(
            region=where.region,
            delivery_stream_name=resource_name,
            delivery_stream_type=props.get("DeliveryStreamType", "DirectPut"),
            kinesis_stream_source_configuration=props.get("KinesisStreamSourceConfiguration"),  # type: ignore[arg-type]
            delivery_stream_encryption_configuration_input=props.get("DeliveryStreamEncryptionConfigurationInput"),  # type: ignore[arg-type]
            s3_destination_configuration=props.get("S3DestinationConfiguration"),  # type: ignore[arg-type]
            extended_s3_destination_configuration=props.get("ExtendedS3DestinationConfiguration"),  # type: ignore[arg-type]
            redshift_destination_configuration=props.get("RedshiftDestinationConfiguration"),  # type: ignore[arg-type]
            elasticsearch_destination_configuration=props.get("ElasticsearchDestinationConfiguration"),  # type: ignore[arg-type]
            splunk_destination_configuration=props.get("SplunkDestinationConfiguration"),  # type: ignore[arg-type]
            http_endpoint_destination_configuration=props.get("HttpEndpointDestinationConfiguration"),  # type: ignore[arg-type]
            snowflake_destination_configuration=props.get("SnowflakeDestinationConfiguration"),  # type: ignore[arg-type]
            iceberg_destination_configuration=props.get("IcebergDestinationConfiguration"),  # type: ignore[arg-type]
            tags=props.get("Tags", []),
        )
        return cls(resource_name, {"Arn": arn})

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        firehose_backends[where.account][where.region].delete_delivery_stream(resource_name)


@_register
class OrganizationsPolicyModel(_Created, CloudFormationModel):
    """``AWS::Organizations::Policy`` in the management account's organization (which must exist, as on AWS)."""

    CFN_TYPE = "AWS::Organizations::Policy"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        backend = organizations_backends[where.account][get_partition(where.region)]
        policy = backend.create_policy(
            Content=_json_text(props["Content"]),
            Description=props.get("Description", ""),
            Name=props["Name"],
            Type=props["Type"],
            Tags=props.get("Tags", []),
        )["Policy"]["PolicySummary"]
        for target in props.get("TargetIds", []):
            backend.attach_policy(PolicyId=policy["Id"], TargetId=target)
        return cls(policy["Id"], {"Id": policy["Id"], "Arn": policy["Arn"]})

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        organizations_backends[where.account][get_partition(where.region)].delete_policy(PolicyId=resource_name)


@_register
class KmsKeyModel(CloudFormationModel):
    """``AWS::KMS::Key`` creating moto's own ``Key`` (so ``Ref``, ``Fn::GetAtt Arn`` and aliases work)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::KMS::Key"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "KeyId")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Key:
        props = cloudformation_json["Properties"]
        tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props.get("Tags", [])]
        key = kms_backends[account_id][region_name].create_key(
            policy=_json_text(props["KeyPolicy"]),
            key_usage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            description=props.get("Description", ""),
            tags=tags,
        )
        key.key_rotation_status = _flag(props.get("EnableKeyRotation", False))
        key.enabled = _flag(props.get("Enabled", True))
        return key

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Key:
        props = cloudformation_json["Properties"]
        backend = kms_backends[account_id][region_name]
        backend.put_key_policy(original_resource.id, _json_text(props["KeyPolicy"]))
        return original_resource  # type: ignore[no-any-return]

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None  # ebtrail retains every key (DeletionPolicy: Retain)

    def is_created(self) -> bool:
        return True


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation ``LifecycleConfiguration.Rules`` item in the shape moto's XML handler passes on."""
    converted: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule["Status"]}
    lifecycle_filter: dict[str, Any] = {}
    if "ObjectSizeGreaterThan" in rule:
        lifecycle_filter["ObjectSizeGreaterThan"] = str(rule["ObjectSizeGreaterThan"])
    if "ObjectSizeLessThan" in rule:
        lifecycle_filter["ObjectSizeLessThan"] = str(rule["ObjectSizeLessThan"])
    if len(lifecycle_filter) > 1:
        lifecycle_filter = {"And": {**lifecycle_filter, "Prefix": rule.get("Prefix", "")}}
    elif not lifecycle_filter:
        lifecycle_filter = {"Prefix": rule.get("Prefix", "")}
    converted["Filter"] = lifecycle_filter
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": str(rule["ExpirationInDays"])}
    transitions = rule.get("Transitions", [])
    if transitions:
        converted["Transition"] = [
            {"Days": str(t["TransitionInDays"]), "StorageClass": t["StorageClass"]} for t in transitions
        ]
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": str(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": str(days)}
    return converted


@_register
class S3BucketModel(CloudFormationModel):
    """``AWS::S3::Bucket``: moto's own creation, then every bucket property ebtrail sets."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "BucketName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::Bucket"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return FakeBucket.has_cfn_attr(attr)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> FakeBucket:
        bucket = FakeBucket.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kw
        )
        props = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        name = bucket.name
        encryption = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [{}])[0]
        if encryption.get("BucketKeyEnabled") is not None and bucket.encryption:
            # moto's translation of BucketEncryption drops the S3 Bucket Key setting.
            bucket.encryption["Rule"]["BucketKeyEnabled"] = str(_flag(encryption["BucketKeyEnabled"])).lower()
        if props.get("VersioningConfiguration"):
            backend.put_bucket_versioning(name, props["VersioningConfiguration"]["Status"])
        if props.get("PublicAccessBlockConfiguration"):
            block = {k: str(_flag(v)).lower() for k, v in props["PublicAccessBlockConfiguration"].items()}
            backend.put_public_access_block(name, block)
        if props.get("OwnershipControls"):
            (rule,) = props["OwnershipControls"]["Rules"]
            backend.put_bucket_ownership_controls(name, rule["ObjectOwnership"])
        if props.get("ObjectLockEnabled"):
            retention = props.get("ObjectLockConfiguration", {}).get("Rule", {}).get("DefaultRetention", {})
            backend.put_object_lock_configuration(
                name,
                lock_enabled=True,
                mode=retention.get("Mode"),
                # moto's own XML handler passes 0 for an absent period (None breaks its default_retention).
                days=int(retention.get("Days", 0)),
                years=int(retention.get("Years", 0)),
            )
        if props.get("LifecycleConfiguration"):
            rules = [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]
            backend.put_bucket_lifecycle(name, rules)
        if props.get("LoggingConfiguration"):
            _set_logging(bucket, props["LoggingConfiguration"], backend)
        return bucket

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> FakeBucket:
        return FakeBucket.update_from_cloudformation_json(  # type: ignore[no-any-return]
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None  # ebtrail retains every bucket (DeletionPolicy: Retain)

    def is_created(self) -> bool:
        return True


def _set_logging(bucket: FakeBucket, logging: dict[str, Any], backend: Any) -> None:
    """Server access logging with moto's checks that S3 makes (the target exists, in the same region), but not
    moto's own check that the target's bucket policy already grants the logging service: S3 does not refuse
    ``PutBucketLogging`` for that, and CloudFormation may create the target's policy (a separate resource with no
    dependency, as aws-cdk-lib writes it) after the source bucket."""
    target = backend.buckets.get(logging["DestinationBucketName"])
    if target is None:
        raise ValueError(f"logging target bucket {logging['DestinationBucketName']} does not exist")
    if target.region_name != bucket.region_name:
        raise ValueError(f"logging target bucket {target.name} is in {target.region_name}, not {bucket.region_name}")
    bucket.logging = {"TargetBucket": target.name, "TargetPrefix": logging.get("LogFilePrefix", "")}


def _bucket_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """Moto's bucket-policy check, evaluated with the request over TLS (see the module docstring)."""
    from moto.iam.access_control import PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    request = Request(
        Principal("AWS", f"arn:aws:iam::{self.account_id}:root"),
        action,
        resource,
        {"aws:SecureTransport": "true"},
    )
    try:
        decision = evaluate(json.loads(self.policy), request)
    except (PolicyError, ValueError):
        return PermissionResult.NEUTRAL
    if decision.verdict is Verdict.EXPLICIT_DENY:
        return PermissionResult.DENIED
    return PermissionResult.PERMITTED if decision.allowed else PermissionResult.NEUTRAL


@_register
class QueuePolicyModel(_Created, CloudFormationModel):
    """``AWS::SQS::QueuePolicy``: the policy document becomes each queue's ``Policy`` attribute."""

    CFN_TYPE = "AWS::SQS::QueuePolicy"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        backend = sqs_backends[where.account][where.region]
        for queue_url in props["Queues"]:
            backend.set_queue_attributes(queue_url.rsplit("/", 1)[-1], {"Policy": _json_text(props["PolicyDocument"])})
        return cls(resource_name)

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        return None  # the queue goes with its own resource


@_register
class ScheduleModel(_Created, CloudFormationModel):
    """``AWS::Scheduler::Schedule`` through moto's EventBridge Scheduler backend (it runs nothing)."""

    CFN_TYPE = "AWS::Scheduler::Schedule"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        name = props.get("Name") or resource_name
        schedule = scheduler_backends[where.account][where.region].create_schedule(
            description=props.get("Description", ""),
            end_date=props.get("EndDate", ""),
            flexible_time_window=props["FlexibleTimeWindow"],
            group_name=props.get("GroupName", "default"),
            kms_key_arn=props.get("KmsKeyArn", ""),
            name=name,
            schedule_expression=props["ScheduleExpression"],
            schedule_expression_timezone=props.get("ScheduleExpressionTimezone", ""),
            start_date=props.get("StartDate", ""),
            state=props.get("State", "ENABLED"),
            target=props["Target"],
            action_after_completion=props.get("ActionAfterCompletion"),
        )
        return cls(name, {"Arn": schedule.arn})

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        group = props.get("GroupName", "default")
        scheduler_backends[where.account][where.region].delete_schedule(group, resource_name)


@_register
class EventInvokeConfigModel(_Created, CloudFormationModel):
    """``AWS::Lambda::EventInvokeConfig`` through moto's ``PutFunctionEventInvokeConfig``."""

    CFN_TYPE = "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create(cls, where: Where, resource_name: str, props: Props) -> _Created:
        config: dict[str, Any] = {
            key: props[key]
            for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
            if key in props
        }
        lambda_backends[where.account][where.region].put_function_event_invoke_config(props["FunctionName"], config)
        return cls(f"{props['FunctionName']}:{props.get('Qualifier', '$LATEST')}")

    @classmethod
    def delete(cls, where: Where, resource_name: str, props: Props) -> None:
        return None  # goes with the function


def install() -> None:
    """Make moto's template parser see the models above (its model lists are cached on first use)."""
    FakeBucket.get_permission = _bucket_permission  # type: ignore[method-assign]
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    model_map = parsing.get_model_map()
    missing = [t for t in SUPPORTED_TYPES if t not in model_map or model_map[t].__module__ != __name__]
    if missing:
        raise RuntimeError(f"moto did not take the support module's models for {sorted(missing)}")


install()
