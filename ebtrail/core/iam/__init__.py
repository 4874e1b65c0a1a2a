"""IAM, pure Python and written once: the wildcard and ``ArnLike`` matching (:mod:`.matching`), the condition
operators (:mod:`.conditions`) and the resource-policy evaluator (:mod:`.evaluation`).

In the bottom layer so that every user asks the same code: the config rules (a guardrail's exempt roles against
the deployment role), the preflight (would this bucket, key or topic policy let CloudTrail deliver?), the e2e run
and the tests' behaviour checks. Standard library only.
"""

from __future__ import annotations

from ebtrail.core.iam.conditions import ContextValue, PolicyError, implemented_operators
from ebtrail.core.iam.evaluation import (
    CompiledPolicy,
    Decision,
    Principal,
    Request,
    Verdict,
    compile_policy,
    evaluate,
    statement_label,
    statements_of,
)
from ebtrail.core.iam.matching import arn_like, wildcard_match

__all__ = [
    "CompiledPolicy",
    "ContextValue",
    "Decision",
    "PolicyError",
    "Principal",
    "Request",
    "Verdict",
    "arn_like",
    "compile_policy",
    "evaluate",
    "implemented_operators",
    "statement_label",
    "statements_of",
    "wildcard_match",
]
