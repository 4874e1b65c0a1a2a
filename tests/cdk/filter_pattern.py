"""A small evaluator of CloudWatch Logs JSON filter patterns, for testing metric filters on sample records.

It implements the part of the syntax of "Using filter patterns to match terms in JSON log events"
(CloudWatch Logs User Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html)
that the CIS patterns use: ``{ ... }`` around expressions ``$.a.b = value`` and ``$.a.b != value`` (value
quoted or bare, ``*`` as a wildcard), ``$.a.b NOT EXISTS``, ``&&``, ``||`` and parentheses. A selector that
names a missing property makes ``=`` and ``!=`` false (no value to compare). Anything else is refused with
an error, so a pattern the evaluator does not understand cannot pass a test by accident.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\)) | (?P<and>&&) | (?P<or>\|\|) |
        (?P<ne>!=) | (?P<eq>=) |
        (?P<notexists>NOT\s+EXISTS\b) |
        (?P<selector>\$(?:\.[A-Za-z0-9_-]+)+) |
        (?P<quoted>"(?:[^"\\]|\\.)*") |
        (?P<bare>[^\s()&|=!"]+)
    )""",
    re.VERBOSE,
)


def _tokens(body: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    body = body.strip()
    while position < len(body):
        match = _TOKEN.match(body, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read filter pattern at {body[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(body) and body[position].isspace():
            position += 1
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def take(self, kind: str) -> str:
        if self.peek() != kind:
            raise ValueError(f"expected {kind} at token {self.index} of {self.tokens}")
        value = self.tokens[self.index][1]
        self.index += 1
        return value

    def expression(self) -> Any:
        node = self.conjunction()
        while self.peek() == "or":
            self.take("or")
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> Any:
        node = self.term()
        while self.peek() == "and":
            self.take("and")
            node = ("and", node, self.term())
        return node

    def term(self) -> Any:
        if self.peek() == "open":
            self.take("open")
            node = self.expression()
            self.take("close")
            return node
        selector = self.take("selector")
        operator = self.peek()
        if operator == "notexists":
            self.take("notexists")
            return ("notexists", selector)
        if operator not in ("eq", "ne"):
            raise ValueError(f"unsupported operator after {selector}: {operator}")
        self.take(operator)
        value = self.take("quoted")[1:-1] if self.peek() == "quoted" else self.take("bare")
        return (operator, selector, value)


def parse(pattern: str) -> Any:
    """The expression tree of a JSON filter pattern ``{ ... }``."""
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not a JSON filter pattern: {pattern!r}")
    parser = _Parser(_tokens(text[1:-1]))
    tree = parser.expression()
    if parser.index != len(parser.tokens):
        raise ValueError(f"unexpected text after token {parser.index} in {pattern!r}")
    return tree


_MISSING = object()


def _lookup(record: dict[str, Any], selector: str) -> Any:
    value: Any = record
    for part in selector.split(".")[1:]:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _equals(actual: Any, expected: str) -> bool:
    if actual is None or isinstance(actual, (dict, list)):
        return False
    text = str(actual).lower() if isinstance(actual, bool) else str(actual)
    if "*" in expected:
        return fnmatch.fnmatchcase(text, expected)
    return text == expected


def _evaluate(node: Any, record: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "and":
        return _evaluate(node[1], record) and _evaluate(node[2], record)
    if kind == "or":
        return _evaluate(node[1], record) or _evaluate(node[2], record)
    value = _lookup(record, node[1])
    if kind == "notexists":
        return value is _MISSING
    if value is _MISSING:
        return False
    return _equals(value, node[2]) if kind == "eq" else not _equals(value, node[2])


def matches(pattern: str, record: dict[str, Any]) -> bool:
    """Whether a CloudTrail record (one CloudWatch Logs event) matches the JSON filter pattern."""
    return _evaluate(parse(pattern), record)
