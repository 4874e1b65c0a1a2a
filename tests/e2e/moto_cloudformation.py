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

* replaces ``AWS::Logs::LogGroup``: moto's, plus the ``KmsKeyId`` moto drops (it reads ``kmsKeyId``).

Day two (updates and deletes, ``make e2e``'s update, rename, destroy and redeploy steps). Each gap of moto
5.2.5 below is worked around here, following CloudFormation's documented behaviour (pages "Update behaviors of
stack resources", "DeletionPolicy attribute", "UpdateReplacePolicy attribute", "ExecuteChangeSet"):

* **Change sets.** moto finds a change set by name across every stack of the account and region (the CDK
  CLI names every one ``cdk-deploy-change-set``, so the archive and trail stacks' collide), keeps executed
  change sets, and fails ``DeleteChangeSet`` of one that is not there (the CLI deletes its old one blindly
  before an update: ``Stack with id cdk-deploy-change-set does not exist``). Here change sets are found by
  ARN or by stack and name, a missing one is ``ChangeSetNotFound`` (a no-op for ``DeleteChangeSet``), and
  executing one deletes every change set of the stack, as AWS does.
* **UsePreviousValue of an SSM parameter type** (the CDK's ``BootstrapVersion``): moto passes the previous
  resolved value ("21") and looks it up as an SSM path (``'NoneType' object has no attribute 'value'``; with
  ``--method=direct``, ``KeyError: 'BootstrapVersion'``). Here the previous path is used, as on AWS.
* **Updates.** moto diffs the raw template (a resource whose Ref or GetAtt inputs changed is not updated),
  applies changes in dictionary order with silent retries, drops a resource whose type has no update and still
  says ``UPDATE_COMPLETE``, keeps the old stack template and outputs after a change set, and deletes removed
  resources even under ``DeletionPolicy: Retain``. Here ``ResourceMap.update`` creates and updates in
  dependency order (``DependsOn``, ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``), updates a resource when its
  properties *with intrinsics resolved* differ, then removes what the new template lacks in reverse dependency
  order, keeping what ``DeletionPolicy`` keeps. A type with no update fails the stack.
* **Updates in place** where moto replaces or ignores: ``AWS::S3::Bucket`` (moto's update applied only encryption
  and tags: the issue's old lifecycle and Bucket Key flag), ``AWS::KMS::Key`` (policy, rotation, description),
  ``AWS::IAM::Role`` (moto's changed only the description: trust policy, inline policies, session duration),
  ``AWS::IAM::ManagedPolicy`` (moto has none: a new default version, the roles attached), ``AWS::SNS::Topic`` (moto
  deletes and recreates it, losing its subscriptions and policy), ``AWS::Logs::LogGroup`` (none in moto),
  ``AWS::Glue::Database``/``Table``. A change of a create-only property (a name, say) is a replacement: the new
  resource first, the old one deleted afterwards, and a resource under ``UpdateReplacePolicy: Retain`` is kept; a
  custom-named resource whose identity (the schema's ``primaryIdentifier``) stays fails the update with
  CloudFormation's message ("CloudFormation resource custom naming"), where moto replaced it. Which properties
  replace a resource comes from the CloudFormation resource schemas cfn-lint ships (``createOnlyProperties``), not
  from a hand-made list; a registered type of this module whose other properties change is replaced the same way
  unless it updates in place (Glue) or moto returns the same resource (``put_*`` calls that overwrite, ``subscribe``
  of the same endpoint).
* **Deletes.** moto's ``ResourceMap.delete`` tries every resource in any order; ``AWS::IAM::ManagedPolicy`` has
  no delete in moto, so its roles can never go ("must detach all policies first", and moto's retries leave the
  IAM roles behind); a failed delete raised out of the request (an HTTP 500) after moto had already forgotten
  the stack. Here resources go in reverse dependency order, a managed policy is detached from its roles and
  deleted, an Organizations policy is detached from its targets first, Athena's ``DeleteNamedQuery`` (missing
  from moto) removes the query from moto's table, and a failure ends the stack in ``DELETE_FAILED`` with a
  reason naming the resource.
* **A failed change set** raised out of ``ExecuteChangeSet`` (an HTTP 500 the SDK retries, the stack left in
  ``UPDATE_IN_PROGRESS``, the CLI waiting). Here the stack ends in ``CREATE_FAILED``/``UPDATE_FAILED`` with an
  event naming the resource and the error (the CLI prints it), the traceback goes to moto's log (which
  ``make e2e`` checks), and nothing is rolled back (moto has no rollback; the e2e run fails the step).

* **Import** (the redeploy over what ``cdk destroy`` kept, "Import existing resources into a CloudFormation
  stack"). moto has no IMPORT change set: it made one a CREATE (a second stack of the same name when the stack
  exists) and created the resources anew (``BucketAlreadyExists``). Here ``ResourcesToImport`` is kept with the
  change set, and executing it adopts each named bucket, key or log group from moto's backend into the stack
  (``IMPORT_COMPLETE``); a template that would create anything else fails. A stack delete keeps what it
  retained in the deleted stack's record (``ListStackResources`` of its ID names it, which ``ebtrail-verify
  import-map`` reads); moto's ``ListStackResources`` iterated its lazy resource map, which *created* every
  resource not there, so listing a deleted stack re-created what the delete had deleted.

Not worked around (the e2e run does not depend on them): a deleted stack's resources are listed as
``CREATE_COMPLETE`` (moto hard-codes it; AWS says ``DELETE_SKIPPED`` for a retained one); ``ManagedPolicyArns`` of
an ``AWS::IAM::Role`` are not attached by moto; stack exports are not refreshed after an update (ebtrail's stacks
have none); resource-level stack events are not written (only the stack's own).

Anything this module cannot apply raises, so the stack fails instead of deploying something else than the
template says. The e2e run also checks moto's log for "No Moto CloudFormation support" and that every template
resource exists in the stack.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import traceback
from collections.abc import Callable
from typing import Any, NamedTuple

from moto.athena.models import athena_backends
from moto.awslambda.models import lambda_backends
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError
from moto.cloudtrail.models import cloudtrail_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult, EmptyResult
from moto.firehose.models import firehose_backends
from moto.glue.models import glue_backends
from moto.kms.models import Key, kms_backends
from moto.logs.models import LogGroup as MotoLogGroup
from moto.logs.models import logs_backends
from moto.organizations.models import organizations_backends
from moto.s3.cloud_formation import cfn_to_api_encryption
from moto.s3.models import FakeBucket, s3_backends
from moto.scheduler.models import scheduler_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.tagging_service import TaggingService
from moto.utilities.utils import get_partition

from ebtrail.core.iam import PolicyError, Principal, Request, Verdict, evaluate

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
        """Update is replacement, unless the model updates in place (:meth:`update_in_place`): the new resource
        first, then the old one deleted (the old one first only when both have the same name)."""
        updated = cls.update_in_place(
            original_resource, cloudformation_json.get("Properties", {}), Where(account_id, region_name)
        )
        if updated is not None:
            return updated
        old_id = original_resource.physical_resource_id
        if new_resource_name == old_id:  # the new resource needs the old one's name: the old one goes first
            cls.delete_from_cloudformation_json(old_id, cloudformation_json, account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        created = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        if created.physical_resource_id != old_id:  # moto's put/subscribe calls may return the same resource
            cls.delete_from_cloudformation_json(old_id, cloudformation_json, account_id, region_name)
        return created

    @classmethod
    def update_in_place(cls, original: _Created, props: Props, where: Where) -> _Created | None:
        """Apply new properties to ``original`` and return it, or ``None`` for a replacement (the default)."""
        return None


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

    @classmethod
    def update_in_place(cls, original: _Created, props: Props, where: Where) -> _Created | None:
        database_input = props["DatabaseInput"]
        if database_input["Name"] != original.physical_id:
            return None
        glue_backends[where.account][where.region].update_database(database_input["Name"], database_input)
        return original


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

    @classmethod
    def update_in_place(cls, original: _Created, props: Props, where: Where) -> _Created | None:
        table_input = props["TableInput"]
        if f"{props['DatabaseName']}|{table_input['Name']}" != original.physical_id:
            return None
        glue_backends[where.account][where.region].update_table(props["DatabaseName"], table_input["Name"], table_input)
        return original


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
        # moto has no DeleteNamedQuery: the query goes from the backend's own table.
        athena_backends[where.account][where.region].named_queries.pop(resource_name, None)


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
        backend = organizations_backends[where.account][get_partition(where.region)]
        for target in backend.list_targets_for_policy(PolicyId=resource_name)["Targets"]:
            backend.detach_policy(PolicyId=resource_name, TargetId=target["TargetId"])  # CloudFormation detaches first
        backend.delete_policy(PolicyId=resource_name)


@_register
class LogGroupModel(CloudFormationModel):
    """``AWS::Logs::LogGroup``: moto's own, plus the ``KmsKeyId`` moto drops (it reads ``kmsKeyId``)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "LogGroupName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Logs::LogGroup"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return MotoLogGroup.has_cfn_attr(attr)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> MotoLogGroup:
        group = MotoLogGroup.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name
        )
        group.kms_key_id = cloudformation_json.get("Properties", {}).get("KmsKeyId")
        return group

    def is_created(self) -> bool:
        return True


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
        original_resource.key_rotation_status = _flag(props.get("EnableKeyRotation", False))
        original_resource.enabled = _flag(props.get("Enabled", True))
        original_resource.description = props.get("Description", "")
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


def _apply_bucket(bucket: FakeBucket, props: Props, backend: Any) -> None:
    """Every bucket property ebtrail sets, on creation and on update alike (an absent property is removed, as
    CloudFormation does on update)."""
    name = bucket.name
    if props.get("BucketEncryption"):
        backend.put_bucket_encryption(name, cfn_to_api_encryption(props["BucketEncryption"]))
        encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        if encryption.get("BucketKeyEnabled") is not None and bucket.encryption:
            # moto's translation of BucketEncryption drops the S3 Bucket Key setting.
            bucket.encryption["Rule"]["BucketKeyEnabled"] = str(_flag(encryption["BucketKeyEnabled"])).lower()
    if "Tags" in props:
        backend.put_bucket_tagging(name, TaggingService().flatten_tag_list(props["Tags"]))
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
    elif bucket.rules:
        backend.delete_bucket_lifecycle(name)
    if props.get("LoggingConfiguration"):
        _set_logging(bucket, props["LoggingConfiguration"], backend)


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
        _apply_bucket(
            bucket, cloudformation_json.get("Properties", {}), s3_backends[account_id][get_partition(region_name)]
        )
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
        """In place (every property ebtrail sets but the name is updatable without replacement; a new name is a
        replacement, see ``_update_one``)."""
        props = cloudformation_json.get("Properties", {})
        _apply_bucket(original_resource, props, s3_backends[account_id][get_partition(region_name)])
        return original_resource  # type: ignore[no-any-return]

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


# --- Day two: updates, change sets and deletes --------------------------------------------------------------------
#
# moto 5.2.5's ResourceMap.update diffs the *raw* template (a resource whose Ref/GetAtt inputs changed is not
# updated), applies Modify and Remove in dictionary order with silent retries, drops a resource whose type has no
# update (the stack says UPDATE_COMPLETE and keeps the old one), and deletes resources with DeletionPolicy Retain on
# update. ResourceMap.delete tries every resource in arbitrary order and ignores DeletionPolicy values other than
# exactly "Retain". The replacements below follow CloudFormation's documented order ("Update behaviors of stack
# resources"; "DeletionPolicy attribute"): create and update in dependency order, compare properties with the
# intrinsic functions resolved, clean up removed resources last in reverse dependency order, and keep what
# DeletionPolicy / UpdateReplacePolicy Retain keeps.

#: DeletionPolicy values under which CloudFormation keeps the resource (and its physical data).
_KEPT = {"Retain", "RetainExceptOnCreate", "Snapshot"}


def _references(value: Any, names: set[str]) -> set[str]:
    """The logical IDs in ``names`` that ``value`` refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and item in names:
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) else str(item).split(".", 1)[0]
                if target in names:
                    found.add(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found |= {m.split(".", 1)[0] for m in re.findall(r"\$\{([^}!]+)\}", text)} & names
                if isinstance(item, list):
                    found |= _references(item[1], names)
            else:
                found |= _references(item, names)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item, names)
    return found


def _dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical IDs, each after everything it depends on (DependsOn and references)."""
    names = set(resources)
    depends: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        explicit = resource.get("DependsOn", [])
        explicit = [explicit] if isinstance(explicit, str) else explicit
        depends[logical_id] = (set(explicit) & names) | _references(resource, names) - {logical_id}
    ordered: list[str] = []
    done: set[str] = set()

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if logical_id in done:
            return
        if logical_id in path:
            raise ValueError(f"circular dependency: {' -> '.join((*path, logical_id))}")
        for dependency in sorted(depends[logical_id]):
            visit(dependency, (*path, logical_id))
        done.add(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id, ())
    return ordered


class ResourceFailedError(Exception):
    """One resource could not be created, updated or deleted; the message names it (the stack's status reason)."""


def _resolved_properties(resource_map: Any, resource_json: dict[str, Any]) -> Any:
    return parsing.clean_json(copy.deepcopy(resource_json.get("Properties", {})), resource_map)


def _is_active(resource_map: Any, resource_json: dict[str, Any]) -> bool:
    condition = resource_json.get("Condition")
    return not condition or bool(resource_map.lazy_condition_map[condition])


def _previous_ssm_paths(resource_map: Any, template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters for an update, with ``UsePreviousValue`` of an SSM parameter type (the CDK's
    ``BootstrapVersion``) meaning the previous parameter *path*, as on AWS: moto's CreateChangeSet passes the
    previous *resolved* value ("21"), which it then looks up in SSM as a path (``'NoneType' object has no
    attribute 'value'``)."""
    slots = template.get("Parameters", {})
    fixed = dict(parameters)
    for key, value in parameters.items():
        ssm = str(slots.get(key, {}).get("Type", "")).startswith("AWS::SSM::Parameter::")
        if ssm and value == resource_map.resolved_parameters.get(key):
            if key in resource_map.input_parameters and resource_map.input_parameters[key] != value:
                fixed[key] = resource_map.input_parameters[key]
            else:
                del fixed[key]  # the previous value was the default path
    return fixed


def _update_resource_map(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """``ResourceMap.update`` as CloudFormation orders it (see the comment above)."""
    old_json: dict[str, Any] = dict(self._resource_json_map)
    old_props = {
        logical_id: _resolved_properties(self, resource_json)
        for logical_id, resource_json in old_json.items()
        if logical_id in self._parsed_resources
    }
    self._template = template
    if parameters:
        self.input_parameters = _previous_ssm_paths(self, template, parameters)
    self.load_mapping()
    self.load_parameters()
    self.load_conditions()
    new_json: dict[str, Any] = template["Resources"]
    self._resource_json_map = new_json
    for logical_id in _dependency_order(new_json):
        resource_json = new_json[logical_id]
        if not _is_active(self, resource_json):
            continue
        try:
            if logical_id not in self._parsed_resources:
                _ = self[logical_id]  # moto's lazy map creates the resource on first access
                continue
            if old_json[logical_id]["Type"] != resource_json["Type"]:
                raise ValueError(f"type changed from {old_json[logical_id]['Type']}: not supported on moto")
            if _resolved_properties(self, resource_json) == old_props[logical_id]:
                continue
            self._parsed_resources[logical_id] = _update_one(
                self, logical_id, resource_json, old_json[logical_id], old_props[logical_id]
            )
        except Exception as error:
            raise ResourceFailedError(
                f"{logical_id} ({resource_json['Type']}): {type(error).__name__}: {error}"
            ) from error
    removed = [
        logical_id
        for logical_id in old_json
        if logical_id in self._parsed_resources
        and (logical_id not in new_json or not _is_active(self, new_json[logical_id]))
    ]
    for logical_id in reversed(_dependency_order(old_json)):
        if logical_id in removed:
            _delete_one(self, logical_id, old_json[logical_id])


#: Name properties moto does not declare (its ``cloudformation_name_type`` is empty for these types).
_NAME_PROPERTIES = {"AWS::IAM::ManagedPolicy": "ManagedPolicyName"}


@functools.cache
def _schema(resource_type: str) -> dict[str, Any]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema: dict[str, Any] = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return schema


def _top_level(paths: list[str]) -> set[str]:
    return {path.split("/")[2] for path in paths if path.startswith("/properties/")}


def _same_identity(resource_type: str, props: dict[str, Any], old_props: dict[str, Any]) -> bool:
    """Whether the replacement would have the old resource's identity: every property of the schema's
    ``primaryIdentifier`` that a template sets is unchanged (a metric filter with its name but in a new log
    group is a new filter); for an identifier the service makes up (a managed policy's ARN), the custom name."""
    schema = _schema(resource_type)
    settable = _top_level(schema.get("primaryIdentifier", [])) - _top_level(schema.get("readOnlyProperties", []))
    if settable:
        return all(p in props and props.get(p) == old_props.get(p) for p in settable)
    name = _NAME_PROPERTIES.get(resource_type) or parsing.resource_name_property_from_type(resource_type)
    return bool(name) and name in props and props.get(name) == old_props.get(name)


@functools.cache
def _create_only(resource_type: str) -> tuple[str, ...]:
    """The type's create-only properties (a change replaces the resource), from the CloudFormation resource
    schemas cfn-lint ships ("Resource type schema": ``createOnlyProperties``)."""
    return tuple(sorted(_top_level(_schema(resource_type).get("createOnlyProperties", []))))


def _update_one(
    resource_map: Any, logical_id: str, resource_json: dict[str, Any], old_json: dict[str, Any], old_props: Any
) -> Any:
    """Update one resource: a replacement when a create-only property changed, else in place (the support
    module's updater for the type, or moto's)."""
    resource_class, resolved, new_name = parsing.parse_resource_and_generate_name(
        logical_id, resource_json, resource_map
    )
    original = resource_map._parsed_resources[logical_id]
    account, region = resource_map._account_id, resource_map._region_name
    kind = resource_json["Type"]
    props = resolved.get("Properties", {})
    if any(props.get(p) != old_props.get(p) for p in _create_only(kind)):
        if _same_identity(kind, props, old_props):
            # "CloudFormation resource custom naming": "You can't perform an update that causes a custom-named
            # resource to be replaced. If you must replace the resource, specify a new name." (moto replaced it.)
            name = props.get(_NAME_PROPERTIES.get(kind) or parsing.resource_name_property_from_type(kind) or "")
            raise ValueError(
                "CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename "
                f"{name} and update the stack again. (create-only properties changed: "
                f"{[p for p in _create_only(kind) if props.get(p) != old_props.get(p)]})"
            )
        # The replacement first, then the old one (kept when its UpdateReplacePolicy says so, as on AWS).
        updated = resource_class.create_from_cloudformation_json(
            new_name, resolved, account, region, LogicalId=logical_id, ResourceType=kind
        )
        if old_json.get("UpdateReplacePolicy") not in _KEPT:
            deleter = _DELETERS.get(kind)
            if deleter is not None:
                deleter(original, old_json, account, region)
            else:
                resource_map._delete_resource(original, old_json)
    elif (updater := _UPDATERS.get(kind)) is not None:
        updated = updater(original, new_name, resolved, account, region)
    elif hasattr(resource_class.update_from_cloudformation_json, "__isabstractmethod__"):
        raise NotImplementedError("moto has no update for this type and the support module none either")
    else:
        updated = resource_class.update_from_cloudformation_json(
            original_resource=original,
            new_resource_name=new_name,
            cloudformation_json=resolved,
            account_id=account,
            region_name=region,
        )
    updated.cf_resource_type = kind
    updated.logical_resource_id = logical_id
    return updated


def _delete_one(
    resource_map: Any, logical_id: str, resource_json: dict[str, Any], *, stack_deleted: bool = False
) -> None:
    """Delete one resource, or leave it when its DeletionPolicy keeps it: an update forgets it (it is no longer
    the stack's), a stack delete keeps it in the deleted stack's record (``ListStackResources`` of the deleted
    stack's ID names it, as on AWS, which ``ebtrail-verify import-map`` reads)."""
    kept = resource_json.get("DeletionPolicy") in _KEPT
    parsed = resource_map._parsed_resources.get(logical_id)
    if not kept and parsed is not None and not isinstance(parsed, str):
        try:
            deleter = _DELETERS.get(resource_json["Type"])
            if deleter is not None:
                deleter(parsed, resource_json, resource_map._account_id, resource_map._region_name)
            else:
                resource_map._delete_resource(parsed, resource_json)
        except Exception as error:
            raise ResourceFailedError(
                f"{logical_id} ({resource_json['Type']}): {type(error).__name__}: {error}"
            ) from error
    if not (kept and stack_deleted):
        resource_map._parsed_resources.pop(logical_id, None)


def _delete_resource_map(self: Any) -> None:
    """``ResourceMap.delete``: reverse dependency order, keeping what DeletionPolicy keeps; the first failure
    stops the delete and names the resource (CloudFormation's DELETE_FAILED)."""
    resources: dict[str, Any] = self._resource_json_map
    for logical_id in reversed(_dependency_order(resources)):
        _delete_one(self, logical_id, resources[logical_id], stack_deleted=True)


def _stack_resources(self: Any) -> list[Any]:
    """``Stack.stack_resources``: the resources the stack holds. moto's iterates its lazy map, which *creates*
    every resource not there: ``ListStackResources`` of a deleted stack re-created everything the delete had
    deleted."""
    parsed = self.resource_map._parsed_resources
    return [parsed[logical_id] for logical_id in self.resource_map._resource_json_map if logical_id in parsed]


#: How ``ResourcesToImport`` identifies an existing resource (the primary identifier of the type's resource
#: schema), and where moto holds it.
_IMPORTABLE: dict[str, tuple[str, Callable[[str, str, str], Any]]] = {
    "AWS::S3::Bucket": (
        "BucketName",
        lambda account, region, name: s3_backends[account][get_partition(region)].buckets[name],
    ),
    "AWS::KMS::Key": ("KeyId", lambda account, region, key_id: kms_backends[account][region].keys[key_id]),
    "AWS::Logs::LogGroup": ("LogGroupName", lambda account, region, name: logs_backends[account][region].groups[name]),
}


def _import_resources(
    resource_map: Any, template: dict[str, Any], parameters: dict[str, Any], to_import: list[dict[str, Any]]
) -> None:
    """An IMPORT change set (moto has none and created the resources anew: ``BucketAlreadyExists``): each
    resource of ``ResourcesToImport`` is adopted from moto's backend by its identifier; the template may hold
    nothing else new ("Import existing resources into a CloudFormation stack": an import creates nothing)."""
    account, region = resource_map._account_id, resource_map._region_name
    resources: dict[str, Any] = template["Resources"]
    for item in to_import:
        logical_id, kind = item["LogicalResourceId"], item["ResourceType"]
        if kind not in _IMPORTABLE:
            raise ResourceFailedError(
                f"{logical_id} ({kind}): import of this type is not supported by the support module"
            )
        key, find = _IMPORTABLE[kind]
        identifier = dict(item["ResourceIdentifier"])[key]
        if resources.get(logical_id, {}).get("Type") != kind:
            raise ResourceFailedError(f"{logical_id} ({kind}): not in the import template with that type")
        try:
            adopted = find(account, region, identifier)
        except KeyError:
            raise ResourceFailedError(f"{logical_id} ({kind}): no resource {identifier} to import") from None
        adopted.cf_resource_type, adopted.logical_resource_id = kind, logical_id
        resource_map._parsed_resources[logical_id] = adopted
    resource_map._template = template
    if parameters:
        resource_map.input_parameters = _previous_ssm_paths(resource_map, template, parameters)
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()
    resource_map._resource_json_map = resources
    created = [lid for lid in resources if lid not in resource_map._parsed_resources]
    if created:
        raise ResourceFailedError(f"an import change set creates nothing, but the template adds {created}")


def _update_role(original: Any, new_name: str, resolved: dict[str, Any], account: str, region: str) -> Any:
    """``AWS::IAM::Role`` in place (moto's update changes only the description, and reads the session duration
    from ``RoleDescription``): trust policy, description, session duration, inline policies."""
    props = resolved["Properties"]
    document = props["AssumeRolePolicyDocument"]
    original.assume_role_policy_document = _json_text(document)
    original.description = props.get("Description", "")
    original.max_session_duration = props.get("MaxSessionDuration", 3600)
    original.policies = {}
    for policy in props.get("Policies", []):
        original.put_policy(policy["PolicyName"], policy["PolicyDocument"])
    return original


def _policy_roles(backend: Any, policy_arn: str) -> set[str]:
    return {role.name for role in backend.roles.values() if policy_arn in role.managed_policies}


def _update_managed_policy(original: Any, new_name: str, resolved: dict[str, Any], account: str, region: str) -> Any:
    """``AWS::IAM::ManagedPolicy`` (moto has no update): a new default version, and the roles attached as the
    template says now. Users and groups are refused (ebtrail attaches roles only)."""
    from moto.iam.models import iam_backends

    props = resolved["Properties"]
    if props.get("Users") or props.get("Groups"):
        raise NotImplementedError("Users and Groups of a managed policy are not supported by the support module")
    backend = iam_backends[account][get_partition(region)]
    document = json.dumps(props["PolicyDocument"])
    current = next(v for v in original.versions if v.is_default).document
    if json.loads(document) != json.loads(current):
        for version in [v for v in original.versions if not v.is_default]:
            backend.delete_policy_version(original.arn, version.version_id)
        backend.create_policy_version(original.arn, document, set_as_default=True)
    attached, wanted = _policy_roles(backend, original.arn), set(props.get("Roles", []))
    for role in sorted(attached - wanted):
        backend.detach_role_policy(original.arn, role)
    for role in sorted(wanted - attached):
        backend.attach_role_policy(original.arn, role)
    return original


def _delete_managed_policy(parsed: Any, resource_json: dict[str, Any], account: str, region: str) -> None:
    """``AWS::IAM::ManagedPolicy`` (moto has no delete, so the roles it is attached to can never be deleted:
    "must detach all policies first"): detach it from every role, then delete it."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account][get_partition(region)]
    for role in sorted(_policy_roles(backend, parsed.arn)):
        backend.detach_role_policy(parsed.arn, role)
    backend.delete_policy(parsed.arn)


def _update_topic(original: Any, new_name: str, resolved: dict[str, Any], account: str, region: str) -> Any:
    """``AWS::SNS::Topic`` in place (moto deletes and recreates it, which drops its subscriptions and policy):
    key, display name."""
    props = resolved["Properties"]
    original.kms_master_key_id = props.get("KmsMasterKeyId", "")
    original.display_name = props.get("DisplayName", "")
    return original


def _update_log_group(original: Any, new_name: str, resolved: dict[str, Any], account: str, region: str) -> Any:
    """``AWS::Logs::LogGroup`` (moto has no update) in place: retention and key."""
    props = resolved["Properties"]
    original.retention_in_days = props.get("RetentionInDays")
    original.kms_key_id = props.get("KmsKeyId")
    return original


def _update_kms_key(original: Any, new_name: str, resolved: dict[str, Any], account: str, region: str) -> Any:
    return KmsKeyModel.update_from_cloudformation_json(original, new_name, resolved, account, region)


def _updates_in_place(model: Any) -> Any:
    def update(original: Any, new_name: str, resolved: dict[str, Any], account: str, region: str) -> Any:
        return model.update_in_place(original, new_name, resolved, account, region)

    return update


#: Types whose update the support module supplies (moto's is missing or replaces what CloudFormation updates).
_UPDATERS: dict[str, Any] = {
    "AWS::IAM::Role": _update_role,
    "AWS::IAM::ManagedPolicy": _update_managed_policy,
    "AWS::SNS::Topic": _update_topic,
    "AWS::Logs::LogGroup": _update_log_group,
}
#: Types whose delete the support module supplies.
_DELETERS: dict[str, Any] = {"AWS::IAM::ManagedPolicy": _delete_managed_policy}


class _ChangeSetNotFoundError(CloudFormationError):
    code = "ChangeSetNotFound"


def _find_change_set(backend: Any, name_or_arn: str, stack_name: str | None) -> Any:
    """A change set by ARN, or by name within the stack named (moto looks names up across every stack of the
    account and region, so two stacks' ``cdk-deploy-change-set`` collide)."""
    if name_or_arn in backend.change_sets:
        return backend.change_sets[name_or_arn]
    for change_set in backend.change_sets.values():
        if change_set.change_set_name == name_or_arn and stack_name in (
            None,
            "",
            change_set.stack_name,
            change_set.stack_id,
        ):
            return change_set
    return None


def _create_change_set(original: Callable[..., tuple[str, str]]) -> Callable[..., tuple[str, str]]:
    """``CreateChangeSet`` of type IMPORT: moto treats any type but UPDATE as CREATE (a second stack of the same
    name when the stack exists). Here an IMPORT change set is made as an UPDATE of the existing stack or a
    CREATE of a new one, then marked IMPORT; the response handler below attaches ``ResourcesToImport``."""

    def create_change_set(self: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
        if kwargs.get("change_set_type") != "IMPORT":
            return original(self, *args, **kwargs)
        exists = any(s.name == kwargs["stack_name"] for s in self.stacks.values())
        ids = original(self, *args, **{**kwargs, "change_set_type": "UPDATE" if exists else "CREATE"})
        change_set = self.change_sets[ids[0]]
        change_set.change_set_type = "IMPORT"
        change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
        return ids

    return create_change_set


def _create_change_set_response(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def create_change_set(self: Any) -> Any:
        result = original(self)
        change_set = self.cloudformation_backend.change_sets[result.result["Id"]] if hasattr(result, "result") else None
        if change_set is not None:
            change_set.resources_to_import = self._get_param("ResourcesToImport", [])
        return result

    return create_change_set


def _describe_change_set_response(self: Any) -> Any:
    name = self._get_param("ChangeSetName")
    change_set = _find_change_set(self.cloudformation_backend, name, self._get_param("StackName"))
    if change_set is None:
        raise _ChangeSetNotFoundError(f"ChangeSet [{name}] does not exist")
    return ActionResult(change_set)


def _delete_change_set_response(self: Any) -> Any:
    """DeleteChangeSet of a change set that is not there succeeds (the CDK CLI deletes its old one blindly)."""
    backend = self.cloudformation_backend
    change_set = _find_change_set(backend, self._get_param("ChangeSetName"), self._get_param("StackName"))
    if change_set is not None:
        del backend.change_sets[change_set.change_set_id]
    return EmptyResult()


def _execute_change_set_response(self: Any) -> Any:
    backend = self.cloudformation_backend
    name = self._get_param("ChangeSetName")
    change_set = _find_change_set(backend, name, self._get_param("StackName"))
    if change_set is None:
        raise _ChangeSetNotFoundError(f"ChangeSet [{name}] does not exist")
    _execute(backend, change_set)
    return EmptyResult()


def _execute(backend: Any, change_set: Any) -> None:
    """Apply a change set; a resource that fails ends the stack in ``<TYPE>_FAILED`` with a reason naming it
    (moto raised out of the request, an HTTP 500 the SDK retries, and left the stack half-updated in
    ``UPDATE_IN_PROGRESS``). Afterwards every change set of the stack is gone, as on AWS ("After you execute a
    change set, CloudFormation deletes all change sets that are associated with the stack", ExecuteChangeSet)."""
    stack = backend.stacks[change_set.stack_id]
    kind = change_set.change_set_type
    stack._add_stack_event(f"{kind}_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.status = f"{kind}_IN_PROGRESS"
    try:
        if kind == "IMPORT":
            _import_resources(
                stack.resource_map, change_set.template_dict, change_set.parameters, change_set.resources_to_import
            )
        else:
            change_set.apply()
    except Exception as error:
        traceback.print_exc()  # into moto_server's log, which make e2e checks for tracebacks
        reason = str(error) if isinstance(error, ResourceFailedError) else f"{type(error).__name__}: {error}"
        stack._add_stack_event(f"{kind}_FAILED", resource_status_reason=reason)
        stack.status = f"{kind}_FAILED"
        change_set.execution_status = "EXECUTE_FAILED"
    else:
        stack.template = change_set.template
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        if change_set.parameters:
            stack.parameters = change_set.parameters
        stack.output_map = stack._create_output_map()
        stack._add_stack_event(f"{kind}_COMPLETE")
        stack.status = f"{kind}_COMPLETE"
        change_set.execution_status = "EXECUTE_COMPLETE"
    for change_set_id in [k for k, v in backend.change_sets.items() if v.stack_id == stack.stack_id]:
        del backend.change_sets[change_set_id]


def _delete_stack(self: Any, name_or_stack_id: str) -> None:
    """``DeleteStack``: a resource that cannot be deleted ends the stack in ``DELETE_FAILED`` with a reason naming
    it, and the stack stays (moto raised out of the request and had already forgotten the stack)."""
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None
    )
    if stack is None:
        return
    export_names = [export.name for export in stack.exports]
    stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.status = "DELETE_IN_PROGRESS"
    try:
        stack.resource_map.delete()
    except Exception as error:
        traceback.print_exc()  # into moto_server's log, which make e2e checks for tracebacks
        stack._add_stack_event("DELETE_FAILED", resource_status_reason=str(error))
        stack.status = "DELETE_FAILED"
        return
    stack._add_stack_event("DELETE_COMPLETE")
    stack.status = "DELETE_COMPLETE"
    del self.stacks[stack.stack_id]
    self.deleted_stacks[stack.stack_id] = stack
    for export_name in export_names:
        self.exports.pop(export_name, None)
    for change_set_id in [k for k, v in self.change_sets.items() if v.stack_id == stack.stack_id]:
        del self.change_sets[change_set_id]


def _install_day_two() -> None:
    from moto.cloudformation.models import CloudFormationBackend, Stack
    from moto.cloudformation.responses import CloudFormationResponse

    CloudFormationBackend.create_change_set = _create_change_set(CloudFormationBackend.create_change_set)  # type: ignore[method-assign]
    CloudFormationResponse.create_change_set = _create_change_set_response(CloudFormationResponse.create_change_set)  # type: ignore[method-assign,assignment]
    Stack.stack_resources = property(_stack_resources)  # type: ignore[assignment,method-assign]
    parsing.ResourceMap.update = _update_resource_map  # type: ignore[method-assign]
    parsing.ResourceMap.delete = _delete_resource_map  # type: ignore[method-assign]
    CloudFormationBackend.delete_stack = _delete_stack  # type: ignore[method-assign]
    CloudFormationResponse.describe_change_set = _describe_change_set_response  # type: ignore[method-assign]
    CloudFormationResponse.delete_change_set = _delete_change_set_response  # type: ignore[method-assign]
    CloudFormationResponse.execute_change_set = _execute_change_set_response  # type: ignore[method-assign]


def install() -> None:
    """Make moto's template parser see the models above (its model lists are cached on first use)."""
    FakeBucket.get_permission = _bucket_permission  # type: ignore[method-assign]
    _install_day_two()
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    model_map = parsing.get_model_map()
    missing = [t for t in SUPPORTED_TYPES if t not in model_map or model_map[t].__module__ != __name__]
    if missing:
        raise RuntimeError(f"moto did not take the support module's models for {sorted(missing)}")


install()
