"""Lifecycle defaults once (issue 18, "each fact once": the defaults were written in the config model, the
construct and the README): :data:`ebtrail.core.lifecycle.DEFAULTS` is the one place their numbers are written.

* A source scan with ``ast``: outside that module, no class field of a lifecycle setting has a literal default,
  no ``Transition``/``StorageTransition`` is made of a literal age, and no S3 lifecycle rule is written with a
  literal ``Duration.days(N)`` of a default's number.
* The config model's defaults and the library props' defaults are the module's (so reading it is what they do).
* The defaults satisfy S3's lifecycle constraints (the config's own rules say so).
* No documentation page states a default in its prose: the generated parts (``python -m tools.docs_gen``: the
  config reference, docs/lifecycle.md's table) and ``make synth``'s checked sample are the only places.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

from deployment.config import AccessLogs, Athena, Lifecycle
from deployment.config.rules import lifecycle_problems
from ebtrail.constructs.athena_archive import AthenaArchiveProps
from ebtrail.constructs.existing_archive_athena import ExistingArchiveAthenaProps
from ebtrail.constructs.log_archive import AthenaOptions, LifecycleRules, LogArchiveProps
from ebtrail.core.lifecycle import DEFAULTS, LifecycleDefaults
from tools import docs_gen

REPO_ROOT = Path(__file__).resolve().parents[2]
THE_MODULE = REPO_ROOT / "ebtrail" / "core" / "lifecycle.py"

#: Class fields that hold a lifecycle setting, wherever they are declared (config model or props).
LIFECYCLE_FIELDS = {
    "transitions",
    "expiration_days",
    "noncurrent_version_expiration_days",
    "abort_incomplete_multipart_upload_days",
    "access_log_retention_days",
    "results_expiration_days",
}
#: The same, for a field whose name is shared with settings that are not lifecycle rules (CloudWatch Logs'
#: ``retention_days``): (class, field).
LIFECYCLE_CLASS_FIELDS = {("AccessLogs", "retention_days"), ("AccessLogBucketProps", "retention_days")}
#: ``s3.LifecycleRule`` / ``s3.Transition`` keywords whose value is a duration.
RULE_DURATIONS = {
    "expiration",
    "transition_after",
    "noncurrent_version_expiration",
    "abort_incomplete_multipart_upload_after",
}
TRANSITION_TYPES = {"Transition", "StorageTransition"}


def default_numbers(defaults: LifecycleDefaults = DEFAULTS) -> set[int]:
    """Every number of the defaults (days)."""
    numbers = {days for _, days in defaults.transitions}
    for field in dataclasses.fields(defaults):
        value = getattr(defaults, field.name)
        if isinstance(value, int) and not isinstance(value, bool):
            numbers.add(value)
    return numbers


def _int_constants(node: ast.AST) -> list[int]:
    return [
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool)
    ]


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _is_duration_days(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _called_name(node) == "days" and _int_constants(node) != []


def lifecycle_literals_in(source: str, filename: str = "<source>") -> list[str]:
    """Every place in ``source`` that writes a lifecycle default down again, as ``file:line what``."""
    numbers = default_numbers()
    found = []
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value):
                    continue
                name = item.target.id
                if (name in LIFECYCLE_FIELDS or (node.name, name) in LIFECYCLE_CLASS_FIELDS) and _int_constants(
                    item.value
                ):
                    found.append(f"{filename}:{item.lineno} literal default of {node.name}.{name}")
        elif isinstance(node, ast.Call) and _called_name(node) in TRANSITION_TYPES:
            values = [*node.args, *(k.value for k in node.keywords)]
            if any(_int_constants(value) for value in values):
                found.append(f"{filename}:{node.lineno} {_called_name(node)} of a literal age")
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in RULE_DURATIONS and _is_duration_days(keyword.value):
                    literal = set(_int_constants(keyword.value)) & numbers
                    if literal:
                        found.append(f"{filename}:{node.lineno} {keyword.arg}=Duration.days({min(literal)})")
    return found


def source_files() -> list[Path]:
    return [
        REPO_ROOT / "app.py",
        *sorted((REPO_ROOT / "ebtrail").rglob("*.py")),
        *sorted((REPO_ROOT / "deployment").rglob("*.py")),
        *sorted((REPO_ROOT / "stacks").rglob("*.py")),
        *sorted((REPO_ROOT / "examples").rglob("*.py")),
    ]


def test_no_module_but_lifecycle_writes_down_a_lifecycle_default() -> None:
    found = [
        fact
        for path in source_files()
        if path != THE_MODULE
        for fact in lifecycle_literals_in(path.read_text(), str(path.relative_to(REPO_ROOT)))
    ]
    assert found == [], "lifecycle defaults come from ebtrail.core.lifecycle.DEFAULTS only:\n" + "\n".join(found)


def test_the_scan_finds_the_old_defaults() -> None:
    """The code this replaced (the config model's and the construct's own copies), each form of it caught."""
    old_model = (
        "class Lifecycle(StrictModel):\n"
        "    transitions: tuple[Transition, ...] = Field(\n"
        "        default=(Transition(storage_class='GLACIER_IR', days=90),), description='...')\n"
        "    expiration_days: Days | None = Field(default=2557, description='...')\n"
        "class AccessLogs(StrictModel):\n"
        "    retention_days: Days = Field(default=365, description='...')\n"
    )
    assert [fact.split(" ", 1)[1] for fact in lifecycle_literals_in(old_model)] == [
        "literal default of Lifecycle.transitions",
        "literal default of Lifecycle.expiration_days",
        "literal default of AccessLogs.retention_days",
        "Transition of a literal age",
    ]
    old_props = (
        "class LifecycleRules:\n"
        "    transitions: tuple[StorageTransition, ...] = (StorageTransition('GLACIER_IR', 90),)\n"
        "    noncurrent_version_expiration_days: int = 30\n"
        "class AthenaOptions:\n"
        "    results_expiration_days: int = 30\n"
    )
    assert len(lifecycle_literals_in(old_props)) == 4
    old_rule = "s3.LifecycleRule(id='Archive', expiration=Duration.days(2557))\n"
    assert lifecycle_literals_in(old_rule) == ["<source>:1 expiration=Duration.days(2557)"]
    # Not lifecycle defaults: a CloudWatch Logs retention, a one-day rule of a results bucket, a KMS window.
    others = (
        "class CloudWatchLogsOptions:\n"
        "    retention_days: int = 365\n"
        "rule = s3.LifecycleRule(noncurrent_version_expiration=Duration.days(1))\n"
        "key = kms.Key(self, 'K', pending_window=Duration.days(30))\n"
    )
    assert lifecycle_literals_in(others) == []


def _field_default(model: Any, name: str) -> Any:
    return model.model_fields[name].default


def _prop_default(props: type[Any], name: str) -> Any:
    [field] = [f for f in dataclasses.fields(props) if f.name == name]
    return field.default


def test_the_config_model_and_the_props_default_to_the_one_module() -> None:
    transitions = DEFAULTS.transitions
    lifecycle = Lifecycle()
    assert tuple((t.storage_class, t.days) for t in lifecycle.transitions) == transitions
    assert lifecycle.expiration_days == DEFAULTS.expiration_days
    assert lifecycle.noncurrent_version_expiration_days == DEFAULTS.noncurrent_version_expiration_days
    assert lifecycle.abort_incomplete_multipart_upload_days == DEFAULTS.abort_incomplete_multipart_upload_days
    assert _field_default(AccessLogs, "retention_days") == DEFAULTS.access_log_retention_days
    assert _field_default(Athena, "results_expiration_days") == DEFAULTS.athena_results_expiration_days

    rules = LifecycleRules()
    assert tuple((t.storage_class, t.days) for t in rules.transitions) == transitions
    assert (rules.expiration_days, rules.noncurrent_version_expiration_days) == (
        DEFAULTS.expiration_days,
        DEFAULTS.noncurrent_version_expiration_days,
    )
    assert rules.abort_incomplete_multipart_upload_days == DEFAULTS.abort_incomplete_multipart_upload_days
    assert _prop_default(LogArchiveProps, "lifecycle") == rules
    assert _prop_default(LogArchiveProps, "access_log_retention_days") == DEFAULTS.access_log_retention_days
    assert _prop_default(ExistingArchiveAthenaProps, "access_log_retention_days") == DEFAULTS.access_log_retention_days
    for props in (AthenaOptions, AthenaArchiveProps):
        assert _prop_default(props, "results_expiration_days") == DEFAULTS.athena_results_expiration_days


def test_the_generated_table_names_real_config_fields_and_props() -> None:
    """docs/lifecycle.md's table (``tools.docs_gen.LIFECYCLE_FIELDS``) covers every default, and each config
    field it names has that default."""
    assert set(docs_gen.LIFECYCLE_FIELDS) == {f.name for f in dataclasses.fields(LifecycleDefaults)}
    models = {"archive.lifecycle": Lifecycle(), "archive.access_logs": AccessLogs()}
    for name, (config_field, _) in docs_gen.LIFECYCLE_FIELDS.items():
        section, _, field = config_field.rpartition(".")
        value = getattr(models[section], field) if section in models else _field_default(Athena, field)
        if name == "transitions":
            value = tuple((t.storage_class, t.days) for t in value)
        assert value == getattr(DEFAULTS, name), config_field


def test_the_defaults_satisfy_s3s_lifecycle_constraints() -> None:
    """Minimum ages, the waterfall, and no early-deletion charge (S3 User Guide, "Transitioning objects using
    Amazon S3 Lifecycle"), checked by the config's own rules without accept_early_deletion_charge."""
    assert lifecycle_problems(Lifecycle(), "archive.lifecycle") == []
    assert not Lifecycle().accept_early_deletion_charge


#: Words of a passage about a lifecycle rule.
_LIFECYCLE_WORDS = re.compile(
    r"lifecycle|expire|expiration|GLACIER|DEEP_ARCHIVE|STANDARD_IA|ONEZONE_IA|noncurrent|multipart|access log|"
    r"query results",
    re.IGNORECASE,
)
#: The sample of ``make synth``'s summary a page shows (tests/cdk/test_lifecycle_and_summary.py checks it).
_SYNTH_SAMPLE = re.compile(r"<!-- make synth sample.*?\n```\n.*?\n```", re.DOTALL)


def _days_pattern() -> re.Pattern[str]:
    written = {form for n in default_numbers() for form in (str(n), f"{n:,}")}
    return re.compile(r"\b(" + "|".join(sorted(written, key=len, reverse=True)) + r")\s*(?:days?|d)\b")


def lifecycle_defaults_in_prose(text: str) -> list[str]:
    """Passages (paragraphs, or table rows) of a page's hand-written text that name a lifecycle rule and a
    default's number of days; the generated parts and the checked ``make synth`` sample are left out."""
    days = _days_pattern()
    text = _SYNTH_SAMPLE.sub("", docs_gen._BLOCK.sub("", text))
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        passages = paragraph.splitlines() if paragraph.lstrip().startswith("|") else [paragraph]
        for passage in passages:
            flat = " ".join(passage.split())
            if _LIFECYCLE_WORDS.search(flat) and (match := days.search(flat)):
                found.append(f"{match.group(0)!r} in: {flat[:160]}")
    return found


def test_no_page_repeats_a_lifecycle_default_in_its_prose() -> None:
    found = [
        f"{page.relative_to(REPO_ROOT)}: {passage}"
        for page in docs_gen.pages()
        for passage in lifecycle_defaults_in_prose(page.read_text())
    ]
    assert found == [], "link to docs/lifecycle.md#the-defaults (generated) instead:\n" + "\n".join(found)


def test_the_prose_scan_finds_the_old_sentences() -> None:
    """The sentences this replaced (integrity-sweep.md, deploy.md, alerts-and-athena.md), each caught; a number
    of days that is not about a lifecycle rule is not."""
    old = [
        "Digests and log files in GLACIER or DEEP_ARCHIVE (the default lifecycle moves files of 128 KB or\n"
        "more there after 365 days) must be restored first.",
        "| Athena results bucket | saved query results; they expire by their lifecycle (30 days) |",
        "Athena skips log files in GLACIER and DEEP_ARCHIVE.\n`make synth` prints the window "
        '("Athena can query the last 365 days" by default).',
        "Defaults: GLACIER_IR at 90 days, DEEP_ARCHIVE at 365, deletion after 2,557 days (7 years).",
    ]
    assert [len(lifecycle_defaults_in_prose(text)) for text in old] == [1, 1, 1, 1]
    generated = (
        "<!-- generated: lifecycle-defaults -->\n| 2557 days | expiration |\n<!-- end generated: lifecycle-defaults -->"
    )
    assert lifecycle_defaults_in_prose(generated) == []
    assert (
        lifecycle_defaults_in_prose("If a deleted stack's record is gone (CloudFormation keeps it for 90 days)") == []
    )
