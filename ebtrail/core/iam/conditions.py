"""IAM's condition operators for :mod:`ebtrail.core.iam.evaluation`: one condition block judged against a request
context, three-valued (true, false, or unknown with the reason).

"IAM JSON policy elements: Condition operators"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
a key missing from the request makes a condition false, except for the negated operators (``StringNotEquals``,
``ArnNotLike`` ...), which are then true; ``...IfExists`` is true when the key is missing; ``Null`` tests
presence. Several values for one key are ORed; several keys and operators are ANDed. ``ArnEquals``/``ArnLike``
are :func:`ebtrail.core.iam.matching.arn_like`.
"Single-valued vs. multivalued context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
``ForAnyValue:`` is true when at least one request value matches (false when the key is missing);
``ForAllValues:`` when every request value matches (true when the key is missing or empty).
An operator it does not implement (``BinaryEquals``, anything unknown), a policy variable it cannot substitute
or a value it cannot parse makes that condition *unknown*.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ebtrail.core.iam.matching import LITERAL_QUESTION, LITERAL_STAR, arn_like, wildcard_match

#: A request-context value: one string, or several for a multivalued key.
ContextValue = str | list[str]

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
#: ``${*}`` and ``${?}`` are a literal ``*`` and ``?`` (the matchers' escapes), ``${$}`` a ``$``.
_ESCAPES = {"*": LITERAL_STAR, "?": LITERAL_QUESTION, "$": "$"}


class PolicyError(ValueError):
    """The policy document is not a valid IAM policy (missing Effect, wrong types ...)."""


def as_list(value: Any) -> list[Any]:
    """A policy element's value as a list: IAM allows one value or a list of them."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


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
                if not _condition(str(operator), str(key), as_list(values), context):
                    return False, []
            except _UnknownConditionError as exc:
                unknown.append(f"{operator} {key}: {exc}")
    if unknown:
        return None, unknown
    return True, []


def lookup(context: Mapping[str, ContextValue], key: str) -> ContextValue | None:
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
    value = lookup(context, key)
    if base == "Null":
        if qualifier or if_exists:
            raise _UnknownConditionError("Null takes no qualifier")
        wanted = _bool(policy_values)
        return (value is None) == wanted
    if base not in _POSITIVE_OF and base not in _MATCHERS:
        raise _UnknownConditionError(f"operator {operator} is not implemented by the evaluator")
    negated = base in _NEGATED
    matcher = _MATCHERS[_POSITIVE_OF.get(base, base)]
    patterns = [_substitute(str(v), context) for v in policy_values]

    def one(request_value: str) -> bool:
        hit = any(matcher(pattern, request_value) for pattern in patterns)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        values = as_list(value)
        return all(one(v) for v in values)
    if qualifier == "ForAnyValue":
        values = as_list(value)
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
        value = lookup(context, name)
        if isinstance(value, str):
            return value
        if value is None and default is not None:
            return default
        raise _UnknownConditionError(f"policy variable ${{{name}}} has no single value in the request")

    return _VARIABLE.sub(replace, pattern)


def _literal(pattern: str) -> str:
    """The pattern for the Equals operators: escaped ``${*}``/``${?}`` are plain characters there."""
    return pattern.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")


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


def _ip(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError as exc:
        raise _UnknownConditionError(f"not an IP address or range: {pattern!r} / {value!r}") from exc


_MATCHERS: dict[str, Any] = {
    "StringEquals": lambda p, v: _literal(p) == v,
    "StringEqualsIgnoreCase": lambda p, v: _literal(p).lower() == v.lower(),
    "StringLike": wildcard_match,
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
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "IpAddress": _ip,
}


def implemented_operators() -> Sequence[str]:
    """Every base operator the evaluator implements (each also with ``IfExists`` and the set qualifiers)."""
    return sorted([*_MATCHERS, *_POSITIVE_OF, "Null"])


__all__ = [
    "ContextValue",
    "PolicyError",
    "as_list",
    "conditions_hold",
    "implemented_operators",
    "lookup",
]
