"""Two cloud assemblies compared, stack by stack (matched by stack name): what CloudFormation would add, delete and
replace, and what each replacement means for the record.

A resource is replaced when its type changes, when a create-only property (:mod:`.schemas`) changes, or when a
create-only property refers (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``) to a resource that is replaced: its value is the
new resource's name or ARN, known only during the deploy (an e-mail subscription's ``TopicArn`` when its topic is
replaced). A logical ID that disappears while one of the same type appears in the same stack is a replacement too
(CloudFormation sees a delete and an add; the resource is new either way).

What a replacement means here, by what the resource does:

* ``record``: the trail (a new trail, a new ARN, a new digest chain; the old one is denied by the archive's
  policies unless they still name it: ``trail.previous_names``) and the buckets (log files land in a new bucket;
  the old one is kept with what it holds).
* ``notify``: topics and subscriptions: every subscriber must confirm again, and until they do, alerts reach no
  one.
* ``delivery``: keys, key aliases (the trails name the log key by its alias), log groups and roles: a delivery
  path is lost until the new one exists.

A replacement or logical-ID change of any of these is *guarded*: ``changes`` exits 1 unless ``--allow`` names it.
A plain delete is guarded only for ``record`` (deleting a trail or bucket ends the record); other deletes are
listed.

A replacement of a resource, of any type, whose custom name (:func:`.schemas.custom_name_property`) stays the same
is *impossible*: "You can't perform an update that causes a custom-named resource to be replaced. If you must
replace the resource, specify a new name" ("CloudFormation resource custom naming", CloudFormation Template
Reference); the deploy fails with "CloudFormation cannot update a stack when a custom-named resource requires
replacing" and rolls back. ``changes`` exits 1 for it whatever ``--allow`` says, and says what to do: rename the
resource or remove its custom name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ebtrail.core.cloudtrail_layout import key_prefix, logs_root
from ebtrail.verifier.changes.assembly import AssemblyStack
from ebtrail.verifier.changes.schemas import custom_name_property, schema_of

#: ``update`` is listed only for an in-place update that opens a gap (a trail's new ``S3KeyPrefix``).
Action = Literal["add", "delete", "replace", "update"]
Category = Literal["record", "notify", "delivery"]

CATEGORIES: dict[str, Category] = {
    "AWS::CloudTrail::Trail": "record",
    "AWS::S3::Bucket": "record",
    "AWS::SNS::Topic": "notify",
    "AWS::SNS::Subscription": "notify",
    "AWS::KMS::Key": "delivery",
    "AWS::KMS::Alias": "delivery",
    "AWS::Logs::LogGroup": "delivery",
    "AWS::IAM::Role": "delivery",
}

#: Resource types whose changes never matter here (the CDK's version metadata).
IGNORED_TYPES = frozenset({"AWS::CDK::Metadata"})

_MISSING = object()


@dataclass(frozen=True)
class Change:
    stack: str
    logical_id: str
    resource_type: str
    action: Action
    #: Why: the create-only properties that changed, the replaced resource referred to, the logical-ID change.
    reason: str
    #: What it means here (empty for a resource of no category).
    meaning: str = ""
    category: Category | None = None
    #: A replacement (or record delete) that makes ``changes`` exit 1 unless allowed.
    guarded: bool = False
    allowed: bool = False
    #: A replacement CloudFormation refuses (the custom name stays): why, and what to do. ``--allow`` cannot
    #: accept it.
    impossible: str = ""

    def matches(self, token: str) -> bool:
        """``--allow`` tokens: ``all``, a category, a resource type, a logical ID or ``<stack>/<logical ID>``."""
        return token in ("all", self.category, self.resource_type, self.logical_id, f"{self.stack}/{self.logical_id}")

    def to_json(self) -> dict[str, Any]:
        return {
            "logical_id": self.logical_id,
            "type": self.resource_type,
            "action": self.action,
            "reason": self.reason,
            "meaning": self.meaning,
            "category": self.category,
            "guarded": self.guarded,
            "allowed": self.allowed,
            "impossible": self.impossible,
        }


@dataclass
class StackChanges:
    stack: str
    #: ``new`` (not deployed yet), ``gone`` (not in the new assembly: a deploy leaves it alone) or ``changed``.
    status: Literal["new", "gone", "changed"] = "changed"
    changes: list[Change] = field(default_factory=list)

    def of(self, action: Action) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": self.status,
            **{action: [c.to_json() for c in self.of(action)] for action in ("add", "delete", "replace", "update")},
        }


def compare(before: list[AssemblyStack], after: list[AssemblyStack], allow: Iterable[str] = ()) -> list[StackChanges]:
    """Every stack of ``after`` (and those only in ``before``), with its changes."""
    tokens = [t for t in allow if t]
    old = {stack.name: stack for stack in before}
    new = {stack.name: stack for stack in after}
    results: list[StackChanges] = []
    for name, stack in new.items():
        if name not in old:
            adds = [
                Change(name, lid, str(r.get("Type")), "add", "new stack")
                for lid, r in stack.resources.items()
                if r.get("Type") not in IGNORED_TYPES
            ]
            results.append(StackChanges(name, "new", adds))
            continue
        changes = _stack_changes(old[name], stack, after)
        results.append(StackChanges(name, "changed", [_allowed(c, tokens) for c in changes]))
    results += [StackChanges(name, "gone") for name in old if name not in new]
    return results


def guarded(results: list[StackChanges]) -> list[Change]:
    return [c for r in results for c in r.changes if c.guarded]


def impossible(results: list[StackChanges]) -> list[Change]:
    """The replacements CloudFormation refuses (a custom name that stays): no ``--allow`` accepts them."""
    return [c for r in results for c in r.changes if c.impossible]


def refused(results: list[StackChanges]) -> list[Change]:
    """The guarded changes no ``--allow`` token names, and the impossible ones: ``changes`` exits 1 when there is
    any."""
    return [c for r in results for c in r.changes if (c.guarded and not c.allowed) or c.impossible]


def _allowed(change: Change, tokens: list[str]) -> Change:
    if not change.guarded or not any(change.matches(t) for t in tokens):
        return change
    return Change(**{**change.__dict__, "allowed": True})


def _stack_changes(before: AssemblyStack, after: AssemblyStack, assembly: list[AssemblyStack]) -> list[Change]:
    old = {k: v for k, v in before.resources.items() if v.get("Type") not in IGNORED_TYPES}
    new = {k: v for k, v in after.resources.items() if v.get("Type") not in IGNORED_TYPES}
    reasons = _replacement_reasons(old, new)
    deleted = [lid for lid in old if lid not in new]
    added = [lid for lid in new if lid not in old]
    renamed = _renamed(old, new, deleted, added)
    changes = [
        Change(after.name, lid, str(new[lid].get("Type")), "add", "new logical ID")
        for lid in added
        if lid not in renamed.values()
    ]
    changes += [_deletion(before, after, assembly, lid, old[lid], renamed=renamed) for lid in deleted]
    for lid, reason in reasons.items():
        change = _replacement(after.name, lid, str(new[lid].get("Type")), reason)
        kept_name = _kept_custom_name(old[lid], new[lid], reasons.keys())
        changes.append(Change(**{**change.__dict__, "impossible": kept_name}) if kept_name else change)
    for lid in sorted((old.keys() & new.keys()) - reasons.keys()):
        if new[lid].get("Type") == "AWS::CloudTrail::Trail":
            changes += _prefix_change(after.name, lid, old[lid], new[lid], assembly)
    return [_with_meaning(c, before, assembly, (old, new)) for c in changes]


def _replacement_reasons(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    """Why each resource in both templates is replaced (by logical ID), for those that are."""
    reasons: dict[str, str] = {}
    for lid in old.keys() & new.keys():
        reason = _replacement_reason(old[lid], new[lid])
        if reason:
            reasons[lid] = reason
    # A create-only property that refers to a replaced resource changes with it: repeat until nothing new.
    grew = True
    while grew:
        grew = False
        for lid in sorted((old.keys() & new.keys()) - reasons.keys()):
            referred = _replaced_references(new[lid], reasons.keys())
            if referred:
                reasons[lid] = f"{referred} refers to replaced {_refs_of(new[lid], reasons.keys(), referred)}"
                grew = True
    return reasons


def _renamed(old: dict[str, Any], new: dict[str, Any], deleted: list[str], added: list[str]) -> dict[str, str]:
    """A logical ID that changed: a delete and an add of the same type in one stack (old ID -> new ID)."""
    renamed: dict[str, str] = {}
    for lid in deleted:
        kind = old[lid].get("Type")
        partner = next((a for a in added if new[a].get("Type") == kind and a not in renamed.values()), None)
        if partner is not None and kind in CATEGORIES:
            renamed[lid] = partner
    return renamed


def _deletion(
    before: AssemblyStack,
    after: AssemblyStack,
    assembly: list[AssemblyStack],
    lid: str,
    resource: dict[str, Any],
    *,
    renamed: dict[str, str],
) -> Change:
    """A resource no longer in the new template: deleted, or replaced under its new logical ID."""
    kind = str(resource.get("Type"))
    category = CATEGORIES.get(kind)
    if lid in renamed:
        reason = f"logical ID changed to {renamed[lid]} (CloudFormation deletes {lid} and creates the new one)"
        return _replacement(after.name, renamed[lid], kind, reason)
    meaning = _meaning(before, assembly, resource, None) if category == "record" else ""
    return Change(after.name, lid, kind, "delete", "not in the new template", meaning, category, category == "record")


def _kept_custom_name(old: dict[str, Any], new: dict[str, Any], replaced: Iterable[str]) -> str:
    """Why CloudFormation refuses to replace this resource (its custom name is the same in both templates, and
    refers to nothing replaced), with what to do; empty when it does not."""
    prop = custom_name_property(str(new.get("Type")))
    if prop is None or old.get("Type") != new.get("Type"):
        return ""
    before, after = _at(old.get("Properties", {}), prop), _at(new.get("Properties", {}), prop)
    if after is _MISSING or before != after or set(references(after)) & set(replaced):
        return ""
    shown = after if isinstance(after, str) else json.dumps(after)
    return (
        f"CloudFormation cannot replace a custom-named resource under the same name ({prop} {shown}): the update "
        f"fails and rolls back; give it a new {prop} in this deploy, or remove the custom name and let "
        "CloudFormation name it"
    )


def _replacement(stack: str, logical_id: str, kind: str, reason: str) -> Change:
    category = CATEGORIES.get(kind)
    return Change(stack, logical_id, kind, "replace", reason, "", category, category is not None)


def _with_meaning(
    change: Change,
    before: AssemblyStack,
    assembly: list[AssemblyStack],
    resources: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
) -> Change:
    old, new = resources
    if change.action != "replace" or change.category is None:
        return change
    previous = old.get(change.logical_id) or next(
        (r for lid, r in old.items() if lid not in new and r.get("Type") == change.resource_type), {}
    )
    meaning = _meaning(before, assembly, previous, new.get(change.logical_id))
    kept = previous.get("UpdateReplacePolicy") in ("Retain", "Snapshot")
    fate = "the old one is kept (UpdateReplacePolicy)" if kept else "CloudFormation deletes the old one"
    return Change(**{**change.__dict__, "meaning": f"{meaning} ({fate})" if meaning else fate})


def _prefix_change(
    stack: str, logical_id: str, old: dict[str, Any], new: dict[str, Any], assembly: list[AssemblyStack]
) -> list[Change]:
    """A trail updated to a new ``S3KeyPrefix``: the archive's bucket policy, updated first, must still let it write
    under the old prefix until then (``archive.previous_key_prefixes``), or the trail is denied meanwhile."""
    before = old.get("Properties", {}).get("S3KeyPrefix") or ""
    after = new.get("Properties", {}).get("S3KeyPrefix") or ""
    if before == after or not isinstance(before, str):
        return []
    reason = f"S3KeyPrefix changes from {before or '(none)'!r} to {after or '(none)'!r}"
    if _bucket_policies_allow(assembly, key_prefix(before)):
        meaning = (
            "no gap: the bucket policy still allows the old prefix (archive.previous_key_prefixes) until "
            "CloudFormation has updated the trail; remove it and deploy again afterwards"
        )
        return [Change(stack, logical_id, "AWS::CloudTrail::Trail", "update", reason, meaning, "record", False)]
    meaning = (
        "a gap in the record: the archive's bucket policy, updated first, lets CloudTrail write only under the "
        "new prefix, so the trail is denied until CloudFormation has updated it; set "
        f'archive.previous_key_prefixes = ["{before}"] for this deploy'
    )
    return [Change(stack, logical_id, "AWS::CloudTrail::Trail", "update", reason, meaning, "record", True)]


def _bucket_policies_allow(assembly: list[AssemblyStack], prefix: str) -> bool:
    """Whether a bucket policy of the assembly names ``<bucket>/[<prefix>/]AWSLogs/`` (as a joined ARN or literal;
    ``prefix`` in the inside form)."""
    path = re.escape(f"/{logs_root(prefix)}")
    pattern = re.compile(rf'(?:"|:::[^/"]+){path}')
    return any(
        resource.get("Type") == "AWS::S3::BucketPolicy" and pattern.search(json.dumps(resource))
        for stack in assembly
        for resource in stack.resources.values()
    )


def _replacement_reason(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old.get("Type") != new.get("Type"):
        return f"type changed from {old.get('Type')}"
    schema = schema_of(str(new.get("Type")))
    if schema is None:
        return ""
    before, after = old.get("Properties", {}), new.get("Properties", {})
    changed = [path for path in schema.replacing if _at(before, path) != _at(after, path)]
    return f"create-only {', '.join(changed)} changed" if changed else ""


def _at(properties: Any, path: str) -> Any:
    """The value at a schema path (``A/B``, ``A/*/B``) of a resource's properties, or a marker for missing."""
    node: Any = properties
    parts = path.split("/")
    for index, part in enumerate(parts):
        if part == "*":
            if not isinstance(node, list):
                return _MISSING
            rest = "/".join(parts[index + 1 :])
            return [_at(item, rest) if rest else item for item in node]
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _replaced_references(resource: dict[str, Any], replaced: Iterable[str]) -> str:
    """The first create-only property of ``resource`` whose value refers to a replaced logical ID."""
    schema = schema_of(str(resource.get("Type")))
    if schema is None:
        return ""
    targets = set(replaced)
    for path in schema.replacing:
        value = _at(resource.get("Properties", {}), path)
        if value is not _MISSING and set(references(value)) & targets:
            return path
    return ""


def _refs_of(resource: dict[str, Any], replaced: Iterable[str], path: str) -> str:
    return ", ".join(sorted(set(references(_at(resource.get("Properties", {}), path))) & set(replaced)))


def references(value: Any) -> Iterator[str]:
    """Logical IDs a value refers to (``Ref``, ``Fn::GetAtt``, ``${X}`` and ``${X.Attr}`` in ``Fn::Sub``)."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                yield arg
            elif key == "Fn::GetAtt":
                yield str(arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                yield from (m.split(".", 1)[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", str(text)))
                if isinstance(arg, list) and len(arg) > 1:
                    yield from references(arg[1])
            else:
                yield from references(arg)


def _trail_arn(stack: AssemblyStack, resource: dict[str, Any]) -> str | None:
    name = resource.get("Properties", {}).get("TrailName")
    if not isinstance(name, str):
        return None
    return f"arn:{stack.partition}:cloudtrail:{stack.region}:{stack.account}:trail/{name}"


def _policies_name(assembly: list[AssemblyStack], arn: str) -> bool:
    """Whether the new assembly's bucket or key policies still name the trail ARN (``trail.previous_names``)."""
    for stack in assembly:
        for resource in stack.resources.values():
            if resource.get("Type") in ("AWS::S3::BucketPolicy", "AWS::KMS::Key") and arn in json.dumps(resource):
                return True
    return False


#: What a replacement of a resource of each type means here (the trail's depends on the archive's policies).
MEANINGS: dict[str, str] = {
    "AWS::S3::Bucket": (
        "a new bucket: log files written from now on land in it; the old bucket is kept (DeletionPolicy Retain) "
        "with what it holds, outside the stack"
    ),
    "AWS::SNS::Topic": (
        "a new topic: every subscriber must confirm again (SNS sends a new confirmation e-mail); until they do, "
        "what the topic publishes reaches no one"
    ),
    "AWS::SNS::Subscription": "{endpoint} must confirm the new subscription; until then it receives nothing",
    "AWS::KMS::Key": (
        "a lost delivery path: whatever encrypts with this key fails until every policy names the new one; data "
        "encrypted with the old key needs the old key to be read"
    ),
    "AWS::KMS::Alias": (
        "a lost delivery path: whatever names the key by this alias (a trail names the log key so) fails until "
        "it names the new alias"
    ),
    "AWS::Logs::LogGroup": "a lost delivery path: events go to a new log group from now on",
    "AWS::IAM::Role": "a lost delivery path: policies naming the old role's ARN do not trust the new one",
}


def _meaning(
    before: AssemblyStack, assembly: list[AssemblyStack], old: dict[str, Any], new: dict[str, Any] | None
) -> str:
    kind = str(old.get("Type") or (new or {}).get("Type"))
    if kind == "AWS::CloudTrail::Trail":
        return _trail_meaning(before, assembly, old)
    endpoint = (new or old).get("Properties", {}).get("Endpoint", "?")
    return MEANINGS.get(kind, "").replace("{endpoint}", str(endpoint))


def _trail_meaning(before: AssemblyStack, assembly: list[AssemblyStack], old: dict[str, Any]) -> str:
    arn = _trail_arn(before, old)
    name = old.get("Properties", {}).get("TrailName", "?")
    ends = "the old trail's digest chain ends; `ebtrail-verify integrity` proves the new trail from its first digest"
    if arn and _policies_name(assembly, arn):
        return (
            f"no gap: the archive's policies still allow the old trail {name} (trail.previous_names), so it "
            f"delivers until CloudFormation has created the new one and deleted it; {ends}; remove "
            "trail.previous_names and deploy again once the old trail is gone"
        )
    return (
        f"a gap in the record: the archive's policies name only the new trail, so the old trail {name} is denied "
        "from the moment the archive stack is updated until the new trail exists (CloudTrail does not document "
        f'whether it delivers again what it was denied); set trail.previous_names = ["{name}"] for this '
        f"deploy; {ends}"
    )
