"""Whole-request decisions for the hop preflight: a role's trust and identity policies, and how they combine
with a resource or key policy, on top of the resource-policy evaluator (:mod:`policy`).

AWS's rules, from "Policy evaluation logic" and "Cross-account policy evaluation logic" (IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):

* an explicit ``Deny`` in any policy that applies wins;
* a role calling a resource in **another account** needs an ``Allow`` in its identity policy **and** in the
  resource policy; in **its own account**, the stacks grant their roles through identity policies, so the
  identity policy must allow and the resource policy must not deny (a grant only in a same-account resource
  policy is reported as not allowed: the side that fails loudly rather than silently);
* a KMS key is used only if its key policy allows it ("Key policies in AWS KMS",
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html): directly, or through the account
  root (then the identity policy must allow too) - the evaluator already lets an account's root principal stand
  for every principal of that account, so "key policy allows and identity policy allows" is the rule.

An identity policy has no ``Principal`` (it applies to the identity that carries it) and a trust policy no
``Resource`` (it is the role): both are completed here so the resource-policy evaluator can judge them.
Anything that cannot be judged (a managed policy outside the assembly, an unknown operator ...) is
:attr:`Verdict.CANNOT_EVALUATE`, never a pass.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ebtrail.core.iam import (
    Decision,
    PolicyError,
    Principal,
    Request,
    Verdict,
    compile_policy,
    statements_of,
)


@dataclass(frozen=True)
class Role:
    """An IAM role of the assembly: its ARN (None when CloudFormation names it), trust and identity policies."""

    logical_id: str
    account: str
    arn: str | None
    trust_policy: Mapping[str, Any] | None
    identity_policies: tuple[Mapping[str, Any], ...] = ()
    #: Policies attached to the role that the assembly does not hold (AWS managed policies ...): they can only
    #: add permissions, so they matter when the others do not allow.
    unreadable: tuple[str, ...] = ()
    #: Policies of the assembly that could not be read (an unresolved intrinsic): nothing can be judged.
    problems: tuple[str, ...] = ()
    partition: str = "aws"

    @property
    def principal(self) -> Principal:
        """The role as a request's principal (a stand-in ARN when the name is only known after the deploy)."""
        return Principal("AWS", self.arn or f"arn:{self.partition}:iam::{self.account}:role/<{self.logical_id}>")

    def context(self) -> dict[str, str]:
        """Global keys every request of this role carries ("AWS global condition context keys", IAM)."""
        return {"aws:PrincipalArn": self.principal.identifier, "aws:PrincipalAccount": self.account}


def _labelled(decision: Decision, policy: str) -> Decision:
    reasons = decision.reasons
    if decision.verdict is Verdict.IMPLICIT_DENY and not reasons:
        reasons = ("no statement allows it",)
    return replace(
        decision,
        statements=tuple(f"{policy}: {s}" for s in decision.statements),
        reasons=tuple(f"{policy}: {r}" for r in reasons),
    )


#: Condition keys whose absence the hop requests assert when they do not carry them: the keys AWS documents for
#: these requests (each request sets those it sends). Any other key a statement depends on makes it unknown, so a
#: policy conditioned on, say, ``aws:SourceOrgID`` or ``aws:SourceVpc`` is "cannot evaluate" rather than judged
#: on a guess.
MODELLED_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SecureTransport",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "kms:ViaService",
        "kms:ResourceAliases",
        "s3:x-amz-acl",
        "sts:ExternalId",
    )
)


def modelled(key: str) -> bool:
    """Whether the hop requests know if ``key`` is sent (encryption contexts are documented per service)."""
    lowered = key.lower()
    return lowered in MODELLED_KEYS or lowered.startswith("kms:encryptioncontext:")


def unknown(reason: str) -> Decision:
    return Decision(Verdict.CANNOT_EVALUATE, reasons=(reason,))


def resource_decision(policy: Mapping[str, Any] | None, request: Request, name: str) -> Decision:
    """The request against one resource, key or trust policy; a missing or invalid policy cannot be judged."""
    if policy is None:
        return unknown(f"{name}: not available")
    try:
        return _labelled(compile_policy(policy).evaluate(request, modelled=modelled), name)
    except PolicyError as exc:
        return unknown(f"{name}: not a valid policy: {exc}")


def trust_decision(role: Role, request: Request) -> Decision:
    """``sts:AssumeRole`` by a service against the role's trust policy (its resource is the role itself)."""
    if role.trust_policy is None:
        return unknown(f"trust policy of {role.logical_id}: not available")
    try:
        statements = [dict(s) for s in statements_of(role.trust_policy)]
    except PolicyError as exc:
        return unknown(f"trust policy of {role.logical_id}: {exc}")
    for statement in statements:
        if "Resource" not in statement and "NotResource" not in statement:
            statement["Resource"] = "*"
    return resource_decision({"Statement": statements}, request, f"trust policy of {role.logical_id}")


def identity_decision(role: Role, request: Request) -> Decision:
    """The request against every identity policy of the role (statements of several policies are ORed)."""
    if role.problems:
        return unknown(f"role policy of {role.logical_id}: {'; '.join(role.problems)}")
    statements: list[dict[str, Any]] = []
    try:
        for document in role.identity_policies:
            for statement in statements_of(document):
                completed = copy.deepcopy(dict(statement))
                completed["Principal"] = {"AWS": role.principal.identifier}
                statements.append(completed)
    except PolicyError as exc:
        return unknown(f"role policy of {role.logical_id}: {exc}")
    name = f"role policy of {role.logical_id}"
    if statements:
        decision = resource_decision({"Statement": statements}, request, name)
    else:
        decision = Decision(Verdict.IMPLICIT_DENY, reasons=(f"{name}: the role has no identity policy",))
    if decision.verdict is Verdict.IMPLICIT_DENY and role.unreadable:
        attached = ", ".join(role.unreadable)
        return unknown(f"{name}: not allowed by the policies in the assembly; also attached: {attached}")
    return decision


def must_not_deny(decision: Decision) -> Decision:
    """A same-account resource policy only needs not to deny: its silence is not a refusal."""
    if decision.verdict in (Verdict.ALLOWED, Verdict.IMPLICIT_DENY):
        return Decision(Verdict.ALLOWED, decision.statements)
    return decision


def all_of(decisions: Iterable[Decision]) -> Decision:
    """Every policy must allow. A definite refusal beats an unknown (the request fails either way)."""
    found = list(decisions)
    for verdict in (Verdict.EXPLICIT_DENY, Verdict.IMPLICIT_DENY, Verdict.CANNOT_EVALUATE):
        hits = [d for d in found if d.verdict is verdict]
        if hits:
            return Decision(
                verdict,
                tuple(s for d in hits for s in d.statements),
                tuple(r for d in hits for r in d.reasons),
            )
    return Decision(Verdict.ALLOWED, tuple(s for d in found for s in d.statements))


def role_to_resource(
    role: Role,
    request: Request,
    resource_policy: Mapping[str, Any] | None,
    *,
    resource_account: str,
    policy_name: str,
    key: bool = False,
) -> Decision:
    """A role's request to a resource: identity policy, plus the resource (or key) policy as AWS combines them."""
    identity = identity_decision(role, request)
    if resource_policy is None and not key and resource_account == role.account:
        return identity  # no resource policy in the same account: the identity policy decides
    resource = resource_decision(resource_policy, request, policy_name)
    if key or resource_account != role.account:
        return all_of([identity, resource])
    return all_of([identity, must_not_deny(resource)])


@dataclass(frozen=True)
class Uncertain:
    """Context keys a service may or may not send: AWS does not document them for this request."""

    keys: Mapping[str, str]
    why: str


def with_uncertain(judge: Callable[[Request], Decision], request: Request, uncertain: Uncertain | None) -> Decision:
    """Judge the request with and without the undocumented keys: a policy that depends on them cannot be
    evaluated (it works only if the service sends what AWS does not promise)."""
    bare = judge(request)
    if uncertain is None:
        return bare
    full = judge(replace(request, context={**request.context, **uncertain.keys}))
    if bare.allowed == full.allowed:
        return bare
    return Decision(
        Verdict.CANNOT_EVALUATE,
        full.statements,
        (f"allowed only when the request carries {', '.join(sorted(uncertain.keys))}: {uncertain.why}",),
    )


@dataclass
class Judged:
    """One evaluated request of a hop: which policies, what was asked, whether it must be allowed."""

    policy: str
    label: str
    request: Request
    decision: Decision
    must_allow: bool = True

    @property
    def ok(self) -> bool | None:
        if self.decision.verdict is Verdict.CANNOT_EVALUATE:
            return None
        return self.decision.allowed == self.must_allow

    def explain(self) -> str:
        head = f"{self.policy}: {self.label}: {self.request.action} on {self.request.resource}"
        d = self.decision
        if d.verdict is Verdict.CANNOT_EVALUATE:
            return f"{head}: cannot evaluate ({'; '.join(d.reasons)})"
        if self.must_allow:
            if d.verdict is Verdict.EXPLICIT_DENY:
                return f"{head}: denied by {', '.join(d.statements)}"
            if d.verdict is Verdict.IMPLICIT_DENY:
                return f"{head}: not allowed ({'; '.join(d.reasons) or 'no statement allows it'})"
            return f"{head}: allowed by {', '.join(d.statements)}"
        if d.allowed:
            return f"{head}: must be denied, but {', '.join(d.statements)} allows it"
        return f"{head}: denied ({d.verdict.value})"
