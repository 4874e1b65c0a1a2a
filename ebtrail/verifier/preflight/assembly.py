"""Read the trails and their policies from a synthesized cloud assembly (``cdk.out``), offline.

The templates are read as JSON (the verifier never imports aws-cdk-lib). CloudFormation intrinsics are
resolved as far as the policies need: ``Ref`` and ``Fn::GetAtt ... Arn`` of buckets (by ``BucketName``),
topics (by ``TopicName``) and keys (a stand-in ARN ``arn:<partition>:kms:<region>:<account>:key/<logical id>``,
since a key's ID exists only after the deploy; key policies name ``"*"`` as their resource), ``Fn::Join``,
``Fn::Sub`` and the pseudo parameters. Anything else is reported as "cannot evaluate".

Trails are found by type (``AWS::CloudTrail::Trail``) in every stack; the bucket, key (by alias or reference)
and topic they name are looked up across all stacks, their policies (``AWS::S3::BucketPolicy``,
``KeyPolicy``, ``AWS::SNS::TopicPolicy``) with them. An organization trail's organization ID is not a
CloudTrail property: it is read from the trail's ``ebtrail:OrganizationId`` metadata (written by ebtrail's
trail construct) or given with ``--organization-id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ebtrail.core.cloudtrail_layout import key_prefix
from ebtrail.core.regions import UnknownRegionError, dns_suffix, partition_of
from ebtrail.verifier.cloud_assembly import read_stack_artifacts
from ebtrail.verifier.preflight.cloudtrail_requests import TrailSubject

ORGANIZATION_METADATA = "ebtrail:OrganizationId"


class UnresolvableError(Exception):
    """An intrinsic the preflight cannot resolve offline."""


@dataclass(frozen=True)
class Stack:
    name: str
    account: str
    region: str
    resources: dict[str, dict[str, Any]]

    @property
    def partition(self) -> str:
        """From the one region module (botocore's endpoint data); a region of no known partition (an
        environment-agnostic stack) cannot be evaluated, never guessed to be ``aws``."""
        try:
            return partition_of(self.region)
        except UnknownRegionError as exc:
            raise UnresolvableError(f"{self.name}: {exc}") from exc


def read_stacks(cloud_assembly: Path) -> list[Stack]:
    """The stacks of the assembly with their resources (the one reader, :mod:`ebtrail.verifier.cloud_assembly`)."""
    return [
        Stack(artifact.name, artifact.account, artifact.region, dict(artifact.template.get("Resources", {})))
        for artifact in read_stack_artifacts(cloud_assembly)
    ]


class Resolver:
    """Resolves the intrinsics of one stack's template (with the other stacks for cross-stack lookups)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def key_arn(self, logical_id: str) -> str:
        s = self.stack
        return f"arn:{s.partition}:kms:{s.region}:{s.account}:key/{logical_id}"

    def _resource(self, logical_id: str) -> dict[str, Any]:
        resource = self.stack.resources.get(logical_id)
        if resource is None:
            raise UnresolvableError(f"{self.stack.name}: no resource {logical_id}")
        return resource

    def ref(self, name: str) -> str:
        s = self.stack
        pseudo = {
            "AWS::AccountId": s.account,
            "AWS::Region": s.region,
            "AWS::Partition": s.partition,
            "AWS::URLSuffix": dns_suffix(s.partition),
            "AWS::StackName": s.name,
        }
        if name in pseudo:
            return pseudo[name]
        resource = self._resource(name)
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::S3::Bucket" and "BucketName" in props:
            return str(self.resolve(props["BucketName"]))
        if kind == "AWS::SNS::Topic" and "TopicName" in props:
            return f"arn:{s.partition}:sns:{s.region}:{s.account}:{self.resolve(props['TopicName'])}"
        if kind == "AWS::KMS::Key":
            return name  # a key's Ref is its ID
        raise UnresolvableError(f"{self.stack.name}: Ref {name} ({kind}) has no name known before the deploy")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self._resource(logical_id)
        kind = resource.get("Type")
        if attribute == "Arn" and kind == "AWS::S3::Bucket":
            return f"arn:{self.stack.partition}:s3:::{self.ref(logical_id)}"
        if attribute == "Arn" and kind == "AWS::KMS::Key":
            return self.key_arn(logical_id)
        if attribute == "TopicArn" and kind == "AWS::SNS::Topic":
            return self.ref(logical_id)
        raise UnresolvableError(f"{self.stack.name}: Fn::GetAtt {logical_id}.{attribute} ({kind})")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn in ("Ref", "Fn::GetAtt", "Fn::Join", "Fn::Sub"):
                return self._intrinsic(fn, arg)
            if fn.startswith("Fn::") or fn == "Condition":
                raise UnresolvableError(f"{self.stack.name}: {fn} is not resolved offline")
        return {k: self.resolve(v) for k, v in value.items()}

    def _intrinsic(self, fn: str, arg: Any) -> str:
        if fn == "Ref":
            return self.ref(str(arg))
        if fn == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self.get_att(str(logical_id), str(attribute))
        if fn == "Fn::Join":
            separator, parts = arg
            return str(separator).join(str(self.resolve(p)) for p in parts)
        return self._sub(arg)

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))


@dataclass(frozen=True)
class Located:
    """A resource found in some stack."""

    stack: Stack
    logical_id: str

    @property
    def resource(self) -> dict[str, Any]:
        return self.stack.resources[self.logical_id]

    @property
    def resolver(self) -> Resolver:
        return Resolver(self.stack)


class Assembly:
    def __init__(self, stacks: list[Stack]) -> None:
        self.stacks = stacks
        # Trails share one bucket (and key): resolve each policy once.
        self._bucket_policies: dict[str, tuple[dict[str, Any] | None, str | None]] = {}

    def of_type(self, kind: str) -> list[Located]:
        return [
            Located(stack, logical_id)
            for stack in self.stacks
            for logical_id, resource in stack.resources.items()
            if resource.get("Type") == kind
        ]

    def _named(self, kind: str, prop: str, name: str) -> Located | None:
        for found in self.of_type(kind):
            try:
                if found.resolver.resolve(found.resource.get("Properties", {}).get(prop)) == name:
                    return found
            except UnresolvableError:
                continue
        return None

    def bucket(self, bucket_name: str) -> Located | None:
        """The bucket of the assembly named ``bucket_name`` (None: not in the assembly)."""
        return self._named("AWS::S3::Bucket", "BucketName", bucket_name)

    def bucket_policy(self, bucket_name: str) -> tuple[dict[str, Any] | None, str | None]:
        """(policy, problem). A bucket in the assembly without a policy has the empty policy."""
        if bucket_name not in self._bucket_policies:
            self._bucket_policies[bucket_name] = self._bucket_policy(bucket_name)
        return self._bucket_policies[bucket_name]

    def _bucket_policy(self, bucket_name: str) -> tuple[dict[str, Any] | None, str | None]:
        bucket = self._named("AWS::S3::Bucket", "BucketName", bucket_name)
        if bucket is None:
            return None, f"bucket policy: bucket {bucket_name} is not in the assembly (use --trail after deploying)"
        for found in self.of_type("AWS::S3::BucketPolicy"):
            if found.stack is not bucket.stack:
                continue
            try:
                props = found.resolver.resolve(found.resource.get("Properties", {}))
            except UnresolvableError as exc:
                return None, f"bucket policy of {bucket_name}: {exc}"
            if props.get("Bucket") == bucket_name:
                return dict(props.get("PolicyDocument", {})), None
        return {"Version": "2012-10-17", "Statement": []}, None

    def key(self, key_id: str, near: Stack) -> tuple[str | None, dict[str, Any] | None, str | None]:
        """(key ARN, key policy, problem) for a key named by alias name/ARN, key ARN or stand-in ARN."""
        alias = re.search(r"(alias/.+)$", key_id)
        if alias:
            for found in self.of_type("AWS::KMS::Alias"):
                props = found.resource.get("Properties", {})
                try:
                    name = found.resolver.resolve(props.get("AliasName"))
                    target = found.resolver.resolve(props.get("TargetKeyId"))
                except UnresolvableError:
                    continue
                region_ok = not key_id.startswith("arn:") or key_id.split(":")[3] == found.stack.region
                account_ok = not key_id.startswith("arn:") or key_id.split(":")[4] == found.stack.account
                if name == alias.group(1) and region_ok and account_ok:
                    return self.key(str(target), found.stack)
            return None, None, f"key {key_id}: no such alias in the assembly"
        logical_id = key_id.rsplit("/", 1)[-1]
        stack = (
            next((s for s in self.stacks if s.account == key_id.split(":")[4]), near)
            if key_id.startswith("arn:")
            else near
        )
        for candidate in (stack, *self.stacks):
            resource = candidate.resources.get(logical_id)
            if resource and resource.get("Type") == "AWS::KMS::Key":
                try:
                    policy = Resolver(candidate).resolve(resource.get("Properties", {}).get("KeyPolicy"))
                except UnresolvableError as exc:
                    return None, None, f"key policy of {logical_id}: {exc}"
                return Resolver(candidate).key_arn(logical_id), policy, None
        return None, None, f"key {key_id} is not in the assembly"

    def topic(self, name_or_arn: str, near: Stack) -> tuple[Located | None, str]:
        name = name_or_arn.rsplit(":", 1)[-1]
        for found in self.of_type("AWS::SNS::Topic"):
            props = found.resource.get("Properties", {})
            try:
                if found.resolver.resolve(props.get("TopicName")) != name:
                    continue
            except UnresolvableError:
                continue
            if name_or_arn.startswith("arn:") or found.stack is near:
                return found, found.resolver.ref(found.logical_id)
        return None, ""

    def topic_policy(self, topic: Located) -> dict[str, Any]:
        for found in self.of_type("AWS::SNS::TopicPolicy"):
            if found.stack is not topic.stack:
                continue
            topics = found.resource.get("Properties", {}).get("Topics", [])
            if {"Ref": topic.logical_id} in topics:
                return dict(found.resolver.resolve(found.resource["Properties"]["PolicyDocument"]))
        return {"Version": "2012-10-17", "Statement": []}

    def trails(self, organization_id: str | None = None) -> list[TrailSubject]:
        trail_resources = self.of_type("AWS::CloudTrail::Trail")
        facts = [self._trail_facts(found, organization_id) for found in trail_resources]
        # Accounts of every trail writing to a bucket: one trail's folder is not another's.
        by_bucket: dict[str, set[str]] = {}
        for subject in facts:
            by_bucket.setdefault(subject.bucket, set()).add(subject.account)
        return [_replace(s, other_writers=tuple(sorted(by_bucket.get(s.bucket, set()) - {s.account}))) for s in facts]

    def _trail_facts(self, found: Located, organization_id: str | None) -> TrailSubject:
        stack, resolver = found.stack, found.resolver
        problems: list[str] = []
        props = found.resource.get("Properties", {})
        try:
            partition = stack.partition
        except UnresolvableError as exc:  # an environment-agnostic stack: the partition is never guessed
            return _unreadable_trail(found, "unknown", exc)
        try:
            name = str(resolver.resolve(props.get("TrailName", found.logical_id)))
            bucket = str(resolver.resolve(props["S3BucketName"]))
            prefix_value = resolver.resolve(props.get("S3KeyPrefix"))
        except (UnresolvableError, KeyError) as exc:
            return _unreadable_trail(found, partition, exc)
        arn = f"arn:{partition}:cloudtrail:{stack.region}:{stack.account}:trail/{name}"
        is_org = _truthy(props.get("IsOrganizationTrail"))
        org_id = organization_id or found.resource.get("Metadata", {}).get(ORGANIZATION_METADATA)
        if is_org and not org_id:
            problems.append(
                f"trail {name} is an organization trail but its organization ID is unknown: pass --organization-id"
            )
        bucket_policy, problem = self.bucket_policy(bucket)
        problems += [problem] if problem else []
        kms_arn = key_policy = None
        if props.get("KMSKeyId") is not None:
            try:
                kms_arn, key_policy, problem = self.key(str(resolver.resolve(props["KMSKeyId"])), stack)
            except UnresolvableError as exc:
                problem = f"log key policy: {exc}"
            problems += [problem] if problem else []
        topic_arn = topic_policy = topic_key_arn = topic_key_policy = None
        topic_ref = props.get("SnsTopicName")
        if topic_ref is not None:
            try:
                topic, topic_arn = self.topic(str(resolver.resolve(topic_ref)), stack)
            except UnresolvableError as exc:
                topic, problem = None, f"topic policy: {exc}"
                problems.append(problem)
            if topic is None:
                problems.append(f"topic policy: topic {topic_ref} is not in the assembly")
                topic_arn = None
            else:
                topic_policy = self.topic_policy(topic)
                master = topic.resource.get("Properties", {}).get("KmsMasterKeyId")
                if master is not None:
                    try:
                        topic_key_arn, topic_key_policy, problem = self.key(
                            str(topic.resolver.resolve(master)), topic.stack
                        )
                    except UnresolvableError as exc:
                        problem = f"topic key policy: {exc}"
                    problems += [problem] if problem else []
        return TrailSubject(
            arn=arn,
            home_region=stack.region,
            multi_region=_truthy(props.get("IsMultiRegionTrail")),
            bucket=bucket,
            prefix=key_prefix(prefix_value if isinstance(prefix_value, str) else None),
            organization_id=org_id,
            is_organization_trail=is_org,
            kms_key_arn=kms_arn,
            topic_arn=topic_arn,
            topic_key_arn=topic_key_arn,
            bucket_policy=bucket_policy,
            key_policy=key_policy,
            topic_policy=topic_policy,
            topic_key_policy=topic_key_policy,
            unreadable=tuple(problems),
            source="assembly",
        )


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _replace(subject: TrailSubject, **changes: Any) -> TrailSubject:
    from dataclasses import replace

    return replace(subject, **changes)


def trails_from_assembly(cloud_assembly: Path, organization_id: str | None = None) -> list[TrailSubject]:
    return Assembly(read_stacks(cloud_assembly)).trails(organization_id)


def _unreadable_trail(found: Located, partition: str, exc: Exception) -> TrailSubject:
    """A trail whose name, bucket or partition cannot be read offline: "cannot evaluate", never a pass."""
    stack = found.stack
    return TrailSubject(
        arn=f"arn:{partition}:cloudtrail:{stack.region}:{stack.account}:trail/{found.logical_id}",
        home_region=stack.region,
        multi_region=False,
        bucket="?",
        prefix="",
        unreadable=(f"trail {found.logical_id} in {stack.name}: {exc}",),
    )
