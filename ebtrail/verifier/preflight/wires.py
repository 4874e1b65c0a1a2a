"""What the hop preflight reads from the cloud assembly besides trails: names and ARNs of every resource a wire
can point at, roles with their trust and identity policies, queue policies and key aliases.

Resource ARNs follow each service's ARN format ("Actions, resources, and condition keys for <service>",
Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/) and the
``Fn::GetAtt``/``Ref`` return values of the CloudFormation resource reference
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html):
a log group's ``Arn`` ends in ``:*``, a queue's ``Ref`` is its URL. A resource that CloudFormation names at
deploy time has no ARN here: a wire to it is followed by logical ID (``Ref``/``Fn::GetAtt``), and a policy
that would have to name it cannot be evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ebtrail.core.regions import dns_suffix
from ebtrail.verifier.preflight.access import Role
from ebtrail.verifier.preflight.assembly import Assembly, Located, Resolver, Stack, UnresolvableError


@dataclass(frozen=True)
class _Named:
    """A resource type whose name property is known before the deploy: its Ref and its Arn from the name."""

    prop: str
    ref: Callable[[Stack, str, Mapping[str, Any]], str]
    arn: Callable[[Stack, str, Mapping[str, Any]], str]


def _arn(service: str, resource: str, *, regional: bool = True) -> Callable[[Stack, str, Mapping[str, Any]], str]:
    def build(stack: Stack, name: str, props: Mapping[str, Any]) -> str:
        region = stack.region if regional else ""
        return f"arn:{stack.partition}:{service}:{region}:{stack.account}:{resource.format(name=name, **props)}"

    return build


def _name(_stack: Stack, name: str, _props: Mapping[str, Any]) -> str:
    return name


def _role_arn(stack: Stack, name: str, props: Mapping[str, Any]) -> str:
    path = str(props.get("Path", "/")).lstrip("/")
    return f"arn:{stack.partition}:iam::{stack.account}:role/{path}{name}"


def _queue_url(stack: Stack, name: str, _props: Mapping[str, Any]) -> str:
    return f"https://sqs.{stack.region}.{dns_suffix(stack.partition)}/{stack.account}/{name}"


def _rule_arn(stack: Stack, name: str, props: Mapping[str, Any]) -> str:
    bus = props.get("EventBusName")
    path = f"rule/{bus}/{name}" if isinstance(bus, str) and bus != "default" else f"rule/{name}"
    return f"arn:{stack.partition}:events:{stack.region}:{stack.account}:{path}"


def _schedule_arn(stack: Stack, name: str, props: Mapping[str, Any]) -> str:
    group = props.get("GroupName", "default")
    return f"arn:{stack.partition}:scheduler:{stack.region}:{stack.account}:schedule/{group}/{name}"


NAMED: dict[str, _Named] = {
    "AWS::IAM::Role": _Named("RoleName", _name, _role_arn),
    "AWS::Lambda::Function": _Named("FunctionName", _name, _arn("lambda", "function:{name}")),
    "AWS::SQS::Queue": _Named("QueueName", _queue_url, _arn("sqs", "{name}")),
    "AWS::Logs::LogGroup": _Named("LogGroupName", _name, _arn("logs", "log-group:{name}:*")),
    "AWS::KinesisFirehose::DeliveryStream": _Named(
        "DeliveryStreamName", _name, _arn("firehose", "deliverystream/{name}")
    ),
    "AWS::Events::Rule": _Named("Name", _name, _rule_arn),
    "AWS::CloudWatch::Alarm": _Named("AlarmName", _name, _arn("cloudwatch", "alarm:{name}")),
    "AWS::Scheduler::Schedule": _Named("Name", _name, _schedule_arn),
}


class WireResolver(Resolver):
    """The preflight's resolver, knowing the names and ARNs of the resource types wires point at."""

    def _named(self, logical_id: str) -> tuple[_Named, str, Mapping[str, Any]]:
        resource = self._resource(logical_id)
        kind, props = resource.get("Type", ""), resource.get("Properties", {})
        named = NAMED.get(kind)
        if named is None or named.prop not in props:
            raise UnresolvableError(f"{self.stack.name}: {logical_id} ({kind}) has no name known before the deploy")
        return named, str(self.resolve(props[named.prop])), props

    def ref(self, name: str) -> str:
        try:
            return super().ref(name)
        except UnresolvableError:
            if self.stack.resources.get(name, {}).get("Type") not in NAMED:
                raise
        named, value, props = self._named(name)
        return named.ref(self.stack, value, props)

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return super().get_att(logical_id, attribute)
        except UnresolvableError:
            if self.stack.resources.get(logical_id, {}).get("Type") not in NAMED:
                raise
        named, value, props = self._named(logical_id)
        if attribute == "Arn":
            return named.arn(self.stack, value, props)
        if attribute in (named.prop, "Name", "TopicName", "QueueName"):
            return value
        raise UnresolvableError(f"{self.stack.name}: Fn::GetAtt {logical_id}.{attribute}")


def resolver(stack: Stack) -> WireResolver:
    return WireResolver(stack)


def props(found: Located) -> dict[str, Any]:
    return dict(found.resource.get("Properties", {}))


class Wires:
    """Lookups over an assembly for the hop preflight (each index built once)."""

    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly
        self._by_arn: dict[str, Located] | None = None

    def arn_of(self, found: Located) -> str | None:
        kind = found.resource.get("Type")
        try:
            if kind == "AWS::SNS::Topic":
                return resolver(found.stack).ref(found.logical_id)
            if kind == "AWS::KMS::Key":
                return resolver(found.stack).key_arn(found.logical_id)
            return resolver(found.stack).get_att(found.logical_id, "Arn")
        except UnresolvableError:
            return None

    def by_arn(self, arn: str) -> Located | None:
        if self._by_arn is None:
            index: dict[str, Located] = {}
            for stack in self.assembly.stacks:
                for logical_id in stack.resources:
                    found = Located(stack, logical_id)
                    resource_arn = self.arn_of(found)
                    if resource_arn:
                        index[resource_arn] = found
                        index.setdefault(resource_arn.removesuffix(":*"), found)
            self._by_arn = index
        return self._by_arn.get(arn)

    def target(self, stack: Stack, value: Any) -> tuple[Located | None, str | None, str | None]:
        """(resource, ARN, problem) of a property naming a resource: by logical ID when it is a Ref/GetAtt of
        this stack (CloudFormation-named resources included), else by the resolved ARN."""
        logical_id = _reference(value)
        if logical_id and logical_id in stack.resources:
            found = Located(stack, logical_id)
            return found, self.arn_of(found), None
        try:
            arn = str(resolver(stack).resolve(value))
        except UnresolvableError as exc:
            return None, None, str(exc)
        return self.by_arn(arn), arn, None

    def role(self, found: Located) -> Role:
        """The role with its trust policy and every identity policy the assembly attaches to it."""
        stack, logical_id, r = found.stack, found.logical_id, resolver(found.stack)
        role_props = props(found)
        problems: list[str] = []
        try:
            trust: Mapping[str, Any] | None = r.resolve(role_props.get("AssumeRolePolicyDocument"))
        except UnresolvableError as exc:
            trust, problems = None, [f"trust policy: {exc}"]
        documents: list[Mapping[str, Any]] = []
        external: list[str] = []
        for inline in role_props.get("Policies", []):
            try:
                documents.append(r.resolve(inline.get("PolicyDocument")))
            except UnresolvableError as exc:
                problems.append(f"inline policy {inline.get('PolicyName')}: {exc}")
        for candidate in stack.resources:
            other = stack.resources[candidate]
            if other.get("Type") not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                continue
            roles = other.get("Properties", {}).get("Roles", [])
            if {"Ref": logical_id} not in roles and not _names_role(r, roles, role_props):
                continue
            try:
                documents.append(r.resolve(other["Properties"]["PolicyDocument"]))
            except UnresolvableError as exc:
                problems.append(f"policy {candidate}: {exc}")
        for managed in role_props.get("ManagedPolicyArns", []):
            policy_id = _reference(managed)
            if policy_id and stack.resources.get(policy_id, {}).get("Type") == "AWS::IAM::ManagedPolicy":
                try:
                    documents.append(r.resolve(stack.resources[policy_id]["Properties"]["PolicyDocument"]))
                except UnresolvableError as exc:
                    problems.append(f"policy {policy_id}: {exc}")
                continue
            try:
                external.append(str(r.resolve(managed)))
            except UnresolvableError as exc:
                problems.append(f"managed policy: {exc}")
        try:
            arn: str | None = r.get_att(logical_id, "Arn")
        except UnresolvableError:
            arn = None
        return Role(
            logical_id=logical_id,
            account=stack.account,
            arn=arn,
            trust_policy=trust,
            identity_policies=tuple(documents),
            unreadable=tuple(external),
            problems=tuple(p for p in problems if not p.startswith("trust")),
            partition=stack.partition,
        )

    def queue_policy(self, queue: Located) -> tuple[Mapping[str, Any] | None, str | None]:
        """(policy, problem): the queue's ``AWS::SQS::QueuePolicy``; None (no problem) when it has none."""
        for found in self.assembly.of_type("AWS::SQS::QueuePolicy"):
            if found.stack is queue.stack and {"Ref": queue.logical_id} in props(found).get("Queues", []):
                try:
                    return dict(resolver(found.stack).resolve(props(found)["PolicyDocument"])), None
                except UnresolvableError as exc:
                    return None, f"queue policy: {exc}"
        return None, None

    def key_aliases(self, key: Located) -> list[str]:
        """Alias names of a key (``kms:ResourceAliases`` of a request that uses it)."""
        names = []
        for found in self.assembly.of_type("AWS::KMS::Alias"):
            if found.stack is not key.stack:
                continue
            target = props(found).get("TargetKeyId")
            if _reference(target) == key.logical_id:
                try:
                    names.append(str(resolver(found.stack).resolve(props(found)["AliasName"])))
                except UnresolvableError:
                    continue
        return sorted(names)

    def key(self, stack: Stack, value: Any) -> tuple[Located | None, str | None, Mapping[str, Any] | None, str | None]:
        """(key, key ARN, key policy, problem) of a property naming a key by reference, ARN or alias."""
        logical_id = _reference(value)
        if logical_id and stack.resources.get(logical_id, {}).get("Type") == "AWS::KMS::Key":
            key_id = resolver(stack).key_arn(logical_id)
        else:
            try:
                key_id = str(resolver(stack).resolve(value))
            except UnresolvableError as exc:
                return None, None, None, f"key: {exc}"
        arn, policy, problem = self.assembly.key(key_id, stack)
        if arn is None:
            return None, None, None, problem
        found = self.by_arn(arn)
        return found, arn, policy, problem


def _reference(value: Any) -> str | None:
    """The logical ID of ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, ...]}``."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref" and isinstance(arg, str):
            return arg
        if fn == "Fn::GetAtt":
            return str(arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0])
    return None


def _names_role(r: Resolver, roles: list[Any], role_props: Mapping[str, Any]) -> bool:
    name = role_props.get("RoleName")
    if name is None:
        return False
    try:
        return r.resolve(name) in [r.resolve(x) for x in roles if not isinstance(x, Mapping)]
    except UnresolvableError:
        return False
