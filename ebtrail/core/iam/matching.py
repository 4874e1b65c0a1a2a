"""IAM's wildcard matching, written once: ``ArnLike``/``ArnEquals`` and the ``*``/``?`` patterns of
``Action``, ``Resource`` and ``StringLike``. Every other module asks here (tests/package/test_facts_once.py checks
that no other module defines an ARN or wildcard matcher, glob-matches an ARN, or turns ``*`` into a regex).

The rules, from the IAM User Guide:

* "IAM JSON policy elements: Condition operators", Amazon Resource Name (ARN) condition operators
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN):
  ``ArnEquals`` and ``ArnLike`` are the same case-sensitive match: "each of the six colon-delimited components
  of the ARN is checked separately and each can include multi-character match wildcards (*) or single-character
  match wildcards (?)". A wildcard never spans a colon between components, so a pattern or a value that does not
  have six components matches nothing (there are no six components to check; it is not compared as a plain
  string). The sixth component, the resource, keeps its own colons (``log-group:name:*``).
* "IAM JSON policy elements: Action" / "Resource" and the string condition operators (``StringLike``): ``*`` any
  run of characters (also none), ``?`` exactly one; no other character is special (no ``[...]`` sets as in a
  shell glob).
* "IAM policy elements: Variables and tags", special characters: ``${*}``, ``${?}`` and ``${$}`` stand for a
  literal ``*``, ``?`` and ``$``. :data:`LITERAL_STAR` and :data:`LITERAL_QUESTION` are what the condition code
  substitutes for the first two, so that the matchers here treat them as plain characters.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: ``${*}`` and ``${?}`` after substitution: control characters no ARN or name contains, matched literally.
LITERAL_STAR, LITERAL_QUESTION = "\x01", "\x02"

#: The number of colon-delimited components of an ARN (``arn:partition:service:region:account:resource``).
ARN_COMPONENTS = 6


@lru_cache(maxsize=4096)
def wildcard_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``pattern`` as a regular expression: ``*`` any run of characters, ``?`` one character, nothing else
    special (use with ``fullmatch``)."""
    special = {"*": ".*", "?": ".", LITERAL_STAR: re.escape("*"), LITERAL_QUESTION: re.escape("?")}
    regex = "".join(special.get(c) or re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*``/``?`` match of a whole value (``Action`` with ``ignore_case``, ``Resource``, ``StringLike``)."""
    return wildcard_regex(pattern, ignore_case).fullmatch(value) is not None


def wildcard_alternation(patterns: list[str], *, ignore_case: bool) -> re.Pattern[str]:
    """One regular expression that matches what any of ``patterns`` matches (nothing for no patterns)."""
    return re.compile(
        "|".join(f"(?:{wildcard_regex(p, ignore_case).pattern})" for p in patterns) or "(?!)",
        re.DOTALL | (re.IGNORECASE if ignore_case else 0),
    )


def literal_head(pattern: str) -> str:
    """The beginning of ``pattern`` before its first wildcard (or policy variable): every match starts with it."""
    return re.split(r"[*?$]", pattern, maxsplit=1)[0]


def arn_like(pattern: str, arn: str) -> bool:
    """IAM's ``ArnLike`` (and ``ArnEquals``): each of the six colon-delimited components matched on its own,
    case-sensitively, with ``*`` and ``?`` wildcards inside a component. Fewer than six components on either
    side match nothing (see the module docstring for the page)."""
    pattern_parts = pattern.split(":", ARN_COMPONENTS - 1)
    arn_parts = arn.split(":", ARN_COMPONENTS - 1)
    if len(pattern_parts) != ARN_COMPONENTS or len(arn_parts) != ARN_COMPONENTS:
        return False
    return all(wildcard_match(p, v) for p, v in zip(pattern_parts, arn_parts, strict=True))


__all__ = [
    "ARN_COMPONENTS",
    "LITERAL_QUESTION",
    "LITERAL_STAR",
    "arn_like",
    "literal_head",
    "wildcard_alternation",
    "wildcard_match",
    "wildcard_regex",
]
