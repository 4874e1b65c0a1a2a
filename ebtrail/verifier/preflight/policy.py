"""An IAM policy evaluator for resource-based policies (bucket, key and topic policies), pure Python.

It answers one question: would this resource policy allow this request? It follows AWS's documented
logic, page by page:

* "Policy evaluation logic" (IAM User Guide,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
  every statement that applies is considered, order does not matter; an explicit ``Deny`` wins; otherwise
  any ``Allow`` allows; otherwise the request is implicitly denied. A service principal such as
  ``cloudtrail.amazonaws.com`` has no identity policy, so the resource policy alone decides.
* "IAM JSON policy elements: Condition operators"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  a key missing from the request makes a condition false, except for the negated operators
  (``StringNotEquals``, ``ArnNotLike`` ...), which are then true; ``...IfExists`` is true when the key is
  missing; ``Null`` tests presence. Several values for one key are ORed; several keys and operators are ANDed.
  ``ArnEquals``/``ArnLike`` compare each of the six colon-separated ARN parts with ``*``/``?`` wildcards.
* "Single-valued vs. multivalued context keys"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
  ``ForAnyValue:`` is true when at least one request value matches (false when the key is missing);
  ``ForAllValues:`` when every request value matches (true when the key is missing or empty).
* "IAM JSON policy elements: Principal", ``Action``/``NotAction``, ``Resource``/``NotResource``: ``*`` and
  ``?`` wildcards; actions case-insensitive, resources case-sensitive; ``"*"`` and ``{"AWS": "*"}`` mean
  every principal.

Three-valued: an operator it does not implement (``BinaryEquals``, anything unknown), a policy variable it
cannot substitute or a value it cannot parse makes that condition *unknown*; a decision that depends on an
unknown condition is :attr:`Verdict.CANNOT_EVALUATE`, never a pass.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
#: ``${*}`` and ``${?}`` are a literal ``*`` and ``?``: kept as control characters the wildcard code escapes.
_STAR, _QUESTION = "\x01", "\x02"
_ESCAPES = {"*": _STAR, "?": _QUESTION, "$": "$"}

#: A request-context value: one string, or several for a multivalued key.
ContextValue = str | list[str]


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


class PolicyError(ValueError):
    """The policy document is not a valid IAM policy (missing Effect, wrong types ...)."""


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


def _alternation(patterns: list[Any], *, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(
        "|".join(f"(?:{_wildcard(str(p), ignore_case).pattern})" for p in patterns) or "(?!)",
        re.DOTALL | (re.IGNORECASE if ignore_case else 0),
    )


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
                    actions=_alternation(
                        _as_list(statement["NotAction" if not_action else "Action"]), ignore_case=True
                    ),
                    not_action=not_action,
                    resources=_alternation(
                        _as_list(statement["NotResource" if not_resource else "Resource"]), ignore_case=False
                    ),
                    not_resource=not_resource,
                    conditions=conditions,
                    resource_heads=tuple(
                        re.split(r"[*?$]", str(p), maxsplit=1)[0]
                        for p in _as_list(statement["NotResource" if not_resource else "Resource"])
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
                    if _lookup(request.context, str(key)) is None and not modelled(str(key))
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


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _check_principal_block(block: Any) -> None:
    if block != "*" and not isinstance(block, Mapping):
        raise PolicyError(f"Principal must be '*' or an object, got {block!r}")


def _principal_in(block: Any, principal: Principal) -> bool:
    if block == "*":
        return True
    if not isinstance(block, Mapping):
        raise PolicyError(f"Principal must be '*' or an object, got {block!r}")
    for kind, values in block.items():
        for value in _as_list(values):
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


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``*`` any run of characters, ``?`` one character, nothing else special."""
    special = {"*": ".*", "?": ".", _STAR: re.escape("*"), _QUESTION: re.escape("?")}
    regex = "".join(special.get(c) or re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


# ---------------------------------------------------------------------------------------------------------
# Conditions


class _UnknownConditionError(Exception):
    """A condition that cannot be evaluated; the message says why."""


_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "ArnNotEquals",
    "ArnNotLike",
    "NotIpAddress",
}
_POSITIVE_OF = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NotIpAddress": "IpAddress",
}


def conditions_hold(
    conditions: Mapping[str, Any], context: Mapping[str, ContextValue]
) -> tuple[bool | None, list[str]]:
    """AND over every operator and key. False beats unknown: one false condition decides."""
    unknown: list[str] = []
    for operator, block in conditions.items():
        if not isinstance(block, Mapping):
            raise PolicyError(f"Condition {operator} must map keys to values")
        for key, values in block.items():
            try:
                if not _condition(str(operator), str(key), _as_list(values), context):
                    return False, []
            except _UnknownConditionError as exc:
                unknown.append(f"{operator} {key}: {exc}")
    if unknown:
        return None, unknown
    return True, []


def _lookup(context: Mapping[str, ContextValue], key: str) -> ContextValue | None:
    # Condition key names are case-insensitive; their values are not (unless the operator says so).
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


def _condition(operator: str, key: str, policy_values: list[Any], context: Mapping[str, ContextValue]) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, _, operator = operator.partition(":")
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise _UnknownConditionError(f"unknown set operator {qualifier}")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    base = operator.removesuffix("IfExists") if if_exists else operator
    value = _lookup(context, key)
    if base == "Null":
        if qualifier or if_exists:
            raise _UnknownConditionError("Null takes no qualifier")
        wanted = _bool(policy_values)
        return (value is None) == wanted
    if base not in _POSITIVE_OF and base not in _MATCHERS:
        raise _UnknownConditionError(f"operator {operator} is not implemented by the preflight")
    negated = base in _NEGATED
    matcher = _MATCHERS[_POSITIVE_OF.get(base, base)]
    patterns = [_substitute(str(v), context) for v in policy_values]

    def one(request_value: str) -> bool:
        hit = any(matcher(pattern, request_value) for pattern in patterns)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        values = _as_list(value)
        return all(one(v) for v in values)
    if qualifier == "ForAnyValue":
        values = _as_list(value)
        return any(one(v) for v in values)
    if value is None:
        return if_exists or negated
    if isinstance(value, list):
        # A multivalued key needs a set operator; without one AWS's result is not documented for every
        # operator, so do not guess.
        raise _UnknownConditionError(
            f"{key} has several values in the request but {operator} has no ForAnyValue/ForAllValues"
        )
    return one(value)


def _bool(values: list[Any]) -> bool:
    if len(values) != 1 or str(values[0]).lower() not in ("true", "false"):
        raise _UnknownConditionError(f"expected true or false, got {values!r}")
    return str(values[0]).lower() == "true"


def _substitute(pattern: str, context: Mapping[str, ContextValue]) -> str:
    """Policy variables (``${aws:SourceAccount}``, ``${*}``, ``${?}``, ``${$}``) from the request context."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _ESCAPES:
            return _ESCAPES[name]
        default = None
        if "," in name:  # ${key, 'default'}
            name, _, default_text = name.partition(",")
            default = default_text.strip().strip("'")
            name = name.strip()
        value = _lookup(context, name)
        if isinstance(value, str):
            return value
        if value is None and default is not None:
            return default
        raise _UnknownConditionError(f"policy variable ${{{name}}} has no single value in the request")

    return _VARIABLE.sub(replace, pattern)


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return wildcard_match(pattern, value, ignore_case=ignore_case)


def _literal(pattern: str) -> str:
    """The pattern for the Equals operators: escaped ``${*}``/``${?}`` are plain characters there."""
    return pattern.replace(_STAR, "*").replace(_QUESTION, "?")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise _UnknownConditionError(f"not a number: {text!r}") from exc


def _date(text: str) -> datetime:
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError as exc:
        raise _UnknownConditionError(f"not a date: {text!r}") from exc


def _arn_like(pattern: str, value: str) -> bool:
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return pattern == value
    return all(_like(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _ip(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError as exc:
        raise _UnknownConditionError(f"not an IP address or range: {pattern!r} / {value!r}") from exc


_MATCHERS: dict[str, Any] = {
    "StringEquals": lambda p, v: _literal(p) == v,
    "StringEqualsIgnoreCase": lambda p, v: _literal(p).lower() == v.lower(),
    "StringLike": _like,
    "NumericEquals": lambda p, v: _number(p) == _number(v),
    "NumericLessThan": lambda p, v: _number(v) < _number(p),
    "NumericLessThanEquals": lambda p, v: _number(v) <= _number(p),
    "NumericGreaterThan": lambda p, v: _number(v) > _number(p),
    "NumericGreaterThanEquals": lambda p, v: _number(v) >= _number(p),
    "DateEquals": lambda p, v: _date(v) == _date(p),
    "DateLessThan": lambda p, v: _date(v) < _date(p),
    "DateLessThanEquals": lambda p, v: _date(v) <= _date(p),
    "DateGreaterThan": lambda p, v: _date(v) > _date(p),
    "DateGreaterThanEquals": lambda p, v: _date(v) >= _date(p),
    "Bool": lambda p, v: _literal(p).lower() == v.lower(),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "IpAddress": _ip,
}


def implemented_operators() -> Sequence[str]:
    """Every base operator the evaluator implements (each also with ``IfExists`` and the set qualifiers)."""
    return sorted([*_MATCHERS, *_POSITIVE_OF, "Null"])


__all__ = [
    "ContextValue",
    "Decision",
    "PolicyError",
    "Principal",
    "Request",
    "Verdict",
    "evaluate",
    "implemented_operators",
    "wildcard_match",
]
