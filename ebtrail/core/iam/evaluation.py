"""An IAM policy evaluator for resource-based policies (bucket, key and topic policies), pure Python.

It answers one question: would this resource policy allow this request? It follows AWS's documented
logic, page by page:

* "Policy evaluation logic" (IAM User Guide,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
  every statement that applies is considered, order does not matter; an explicit ``Deny`` wins; otherwise
  any ``Allow`` allows; otherwise the request is implicitly denied. A service principal such as
  ``cloudtrail.amazonaws.com`` has no identity policy, so the resource policy alone decides.
* Conditions: :mod:`ebtrail.core.iam.conditions` ("IAM JSON policy elements: Condition operators");
  wildcards and ``ArnLike``: :mod:`ebtrail.core.iam.matching`.
* "IAM JSON policy elements: Principal", ``Action``/``NotAction``, ``Resource``/``NotResource``: ``*`` and
  ``?`` wildcards; actions case-insensitive, resources case-sensitive; ``"*"`` and ``{"AWS": "*"}`` mean
  every principal.

Three-valued: an operator it does not implement (``BinaryEquals``, anything unknown), a policy variable it
cannot substitute or a value it cannot parse makes that condition *unknown*; a decision that depends on an
unknown condition is :attr:`Verdict.CANNOT_EVALUATE`, never a pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from ebtrail.core.iam.conditions import ContextValue, PolicyError, as_list, conditions_hold, lookup
from ebtrail.core.iam.matching import literal_head, wildcard_alternation


class Verdict(StrEnum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "not allowed"
    CANNOT_EVALUATE = "cannot evaluate"


@dataclass(frozen=True)
class Principal:
    """Who makes the request: ``Service`` (``cloudtrail.amazonaws.com``) or ``AWS`` (an IAM ARN)."""

    kind: str
    identifier: str

    @property
    def account(self) -> str | None:
        if self.kind != "AWS":
            return None
        parts = self.identifier.split(":")
        return parts[4] if len(parts) > 5 else None


@dataclass(frozen=True)
class Request:
    """One API request as IAM sees it: principal, action, resource and request context."""

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    #: The statements that decided: the denying ones, the allowing ones, or the unevaluable ones.
    statements: tuple[str, ...] = ()
    #: Why the decision could not be made (unknown operator ...), when it could not.
    reasons: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOWED


def statement_label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    effect = statement.get("Effect", "?")
    return f"{effect} statement {sid!r}" if sid else f"{effect} statement #{index + 1} (no Sid)"


def statements_of(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = policy.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(s, Mapping) for s in raw):
        raise PolicyError("the policy has no Statement list")
    return raw


def evaluate(policy: Mapping[str, Any], request: Request) -> Decision:
    """Deny wins, then Allow, then implicit deny; unknown conditions make the answer unknown."""
    return compile_policy(policy).evaluate(request)


def compile_policy(policy: Mapping[str, Any]) -> CompiledPolicy:
    """The policy checked and compiled once (cached by its canonical JSON: trails share their bucket policy)."""
    return _compile_cached(json.dumps(policy, sort_keys=True, default=str))


@lru_cache(maxsize=256)
def _compile_cached(canonical: str) -> CompiledPolicy:
    return CompiledPolicy(json.loads(canonical))


@dataclass(frozen=True)
class _Statement:
    effect: str
    label: str
    raw: Mapping[str, Any]
    #: One regular expression for all of Action (or NotAction), and whether it is NotAction.
    actions: re.Pattern[str]
    not_action: bool
    resources: re.Pattern[str]
    not_resource: bool
    conditions: Mapping[str, Any]
    #: The literal beginnings of the Resource patterns (before any wildcard): a cheap first test.
    resource_heads: tuple[str, ...]

    def matches_action(self, action: str) -> bool:
        return (self.actions.fullmatch(action) is not None) != self.not_action

    def matches_resource(self, resource: str) -> bool:
        if not self.not_resource and not resource.startswith(self.resource_heads):
            return False
        return (self.resources.fullmatch(resource) is not None) != self.not_resource


class _Candidates:
    """The statements for one (principal, action), indexed by the literal beginning of their resources, so
    that a request for one account's folder is not tested against every other account's statement."""

    def __init__(self, statements: list[_Statement]) -> None:
        self.order = {id(s): i for i, s in enumerate(statements)}
        self.always: list[_Statement] = []
        self.by_head: dict[int, dict[str, list[_Statement]]] = {}
        for statement in statements:
            if statement.not_resource or "" in statement.resource_heads:
                self.always.append(statement)
                continue
            for head in set(statement.resource_heads):
                self.by_head.setdefault(len(head), {}).setdefault(head, []).append(statement)

    def for_resource(self, resource: str) -> list[_Statement]:
        found = {id(s): s for s in self.always}
        for length, heads in self.by_head.items():
            for statement in heads.get(resource[:length], ()):
                found[id(statement)] = statement
        return sorted(found.values(), key=lambda s: self.order[id(s)])


class CompiledPolicy:
    """A validated policy whose Action/Resource patterns are compiled, with statements indexed by
    (principal, action): CloudTrail's requests repeat few of those, so most statements are skipped at once."""

    def __init__(self, policy: Mapping[str, Any]) -> None:
        self.statements: list[_Statement] = []
        for index, statement in enumerate(statements_of(policy)):
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise PolicyError(f"statement #{index + 1}: Effect must be Allow or Deny, got {effect!r}")
            if "Action" not in statement and "NotAction" not in statement:
                raise PolicyError(f"statement #{index + 1}: needs Action or NotAction")
            if "Resource" not in statement and "NotResource" not in statement:
                raise PolicyError(f"statement #{index + 1}: needs Resource or NotResource")
            if "Principal" in statement:
                _check_principal_block(statement["Principal"])
            if "NotPrincipal" in statement:
                _check_principal_block(statement["NotPrincipal"])
            conditions = statement.get("Condition", {})
            if not isinstance(conditions, Mapping) or not all(isinstance(b, Mapping) for b in conditions.values()):
                raise PolicyError(f"statement #{index + 1}: Condition must map operators to key/value objects")
            not_action = "Action" not in statement
            not_resource = "Resource" not in statement
            self.statements.append(
                _Statement(
                    effect=str(effect),
                    label=statement_label(statement, index),
                    raw=statement,
                    actions=wildcard_alternation(
                        [str(a) for a in as_list(statement["NotAction" if not_action else "Action"])], ignore_case=True
                    ),
                    not_action=not_action,
                    resources=wildcard_alternation(
                        [str(r) for r in as_list(statement["NotResource" if not_resource else "Resource"])],
                        ignore_case=False,
                    ),
                    not_resource=not_resource,
                    conditions=conditions,
                    resource_heads=tuple(
                        literal_head(str(p)) for p in as_list(statement["NotResource" if not_resource else "Resource"])
                    ),
                )
            )
        self._by_principal_action: dict[tuple[Principal, str], _Candidates] = {}

    def _candidates(self, principal: Principal, action: str) -> _Candidates:
        key = (principal, action)
        found = self._by_principal_action.get(key)
        if found is None:
            found = _Candidates(
                [s for s in self.statements if _principal_matches(s.raw, principal) and s.matches_action(action)]
            )
            self._by_principal_action[key] = found
        return found

    def evaluate(self, request: Request, *, modelled: Callable[[str], bool] | None = None) -> Decision:
        """``modelled`` (optional) says which condition keys the request model knows: a statement whose decision
        would depend on a key that is neither in the request nor known to be absent is unknown (a request
        modelled from a service's documentation cannot claim that an undocumented key is missing)."""
        denies: list[str] = []
        allows: list[str] = []
        unknown_deny: list[str] = []
        unknown_allow: list[str] = []
        reasons: list[str] = []
        for statement in self._candidates(request.principal, request.action).for_resource(request.resource):
            if not statement.matches_resource(request.resource):
                continue
            conditions, unmodelled = statement.conditions, []
            if modelled is not None:
                unmodelled = sorted(
                    str(key)
                    for block in conditions.values()
                    for key in block
                    if lookup(request.context, str(key)) is None and not modelled(str(key))
                )
                # Judge the rest: only a condition false without the unmodelled keys rules the statement out.
                conditions = {
                    op: kept
                    for op, block in conditions.items()
                    if (kept := {k: v for k, v in block.items() if str(k) not in unmodelled})
                }
            applies, why = conditions_hold(conditions, request.context)
            if applies is False:
                continue
            if unmodelled:
                applies = None
                why = [*why, f"condition key {', '.join(unmodelled)} is not modelled for this request"]
            deny = statement.effect == "Deny"
            if applies is None:
                (unknown_deny if deny else unknown_allow).append(statement.label)
                reasons.extend(f"{statement.label}: {reason}" for reason in why)
            else:
                (denies if deny else allows).append(statement.label)
        if denies:
            return Decision(Verdict.EXPLICIT_DENY, tuple(denies))
        if unknown_deny:
            return Decision(Verdict.CANNOT_EVALUATE, tuple(unknown_deny), tuple(reasons))
        if allows:
            return Decision(Verdict.ALLOWED, tuple(allows))
        if unknown_allow:
            return Decision(Verdict.CANNOT_EVALUATE, tuple(unknown_allow), tuple(reasons))
        return Decision(Verdict.IMPLICIT_DENY)


# ---------------------------------------------------------------------------------------------------------
# Principal, Action, Resource


def _check_principal_block(block: Any) -> None:
    if block != "*" and not isinstance(block, Mapping):
        raise PolicyError(f"Principal must be '*' or an object, got {block!r}")


def _principal_in(block: Any, principal: Principal) -> bool:
    if block == "*":
        return True
    if not isinstance(block, Mapping):
        raise PolicyError(f"Principal must be '*' or an object, got {block!r}")
    for kind, values in block.items():
        for value in as_list(values):
            if kind == "AWS" and value == "*":
                return True
            if kind != principal.kind:
                continue
            if kind == "Service" and str(value).lower() == principal.identifier.lower():
                return True
            if kind == "AWS" and _aws_principal_matches(str(value), principal):
                return True
            if kind not in ("Service", "AWS") and value == principal.identifier:
                return True
    return False


def _aws_principal_matches(value: str, principal: Principal) -> bool:
    # An account ID or its root ARN stands for every principal of that account.
    if re.fullmatch(r"\d{12}", value):
        return principal.account == value
    if value.endswith(":root"):
        return principal.account == value.split(":")[4]
    return value == principal.identifier


def _principal_matches(statement: Mapping[str, Any], principal: Principal) -> bool:
    if "Principal" in statement:
        return _principal_in(statement["Principal"], principal)
    if "NotPrincipal" in statement:
        return not _principal_in(statement["NotPrincipal"], principal)
    # A resource policy statement without a principal is invalid; it applies to nobody.
    return False


__all__ = [
    "ContextValue",
    "Decision",
    "PolicyError",
    "Principal",
    "Request",
    "Verdict",
    "compile_policy",
    "evaluate",
    "statement_label",
    "statements_of",
]
