"""Each AWS fact once: regions and partitions live in :mod:`ebtrail.core.regions` alone (issue 18, "each fact
once"; issue 17 item 10: ``partition_of`` in the preflight guessed ``aws`` for us-isof-south-1), and IAM's
``ArnLike`` and wildcard matching in :mod:`ebtrail.core.iam.matching` alone (issue 18: the config's ``arn_like``
and the preflight's ``_arn_like`` disagreed).

A source scan with ``ast`` (nothing imported but the regions module, which the scan compares against): outside
that module, no string constant is a region name, a partition name other than ``aws``, or a region-name prefix
used to guess a partition (``"cn-"``, ``"us-gov-"``), and nothing calls botocore's region and partition APIs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ebtrail.core import regions
from ebtrail.core.regions import known_regions, partitions

REPO_ROOT = Path(__file__).resolve().parents[2]
THE_MODULE = REPO_ROOT / "ebtrail" / "core" / "regions.py"

#: botocore's region/partition lookups: only the one module asks botocore.
BOTOCORE_REGION_APIS = {
    "get_available_regions",
    "get_available_partitions",
    "get_partition_for_region",
    "get_available_endpoints",
    "load_data",
    "get_data",
}
ENDPOINT_DATA_NAMES = {"endpoints", "endpoints.json", "partitions", "partitions.json"}


def _region_prefixes() -> set[str]:
    """``us-``, ``us-gov-``, ``cn-``, ``us-isof-`` ...: every leading part of a region name, with its dash."""
    out = set()
    for region in known_regions():
        parts = region.split("-")
        out |= {"-".join(parts[:i]) + "-" for i in range(1, len(parts))}
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants (prose may name regions as examples)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def region_facts_in(source: str, filename: str = "<source>") -> list[str]:
    """Every place in ``source`` that writes down a region or partition fact, as ``file:line what``."""
    regions = set(known_regions())
    foreign_partitions = set(partitions()) - {"aws"}  # "aws" is the default partition and a common word
    prefixes = _region_prefixes()
    tree = ast.parse(source, filename=filename)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            value = node.value
            if value in regions:
                found.append(f"{filename}:{node.lineno} region {value!r}")
            elif value in foreign_partitions:
                found.append(f"{filename}:{node.lineno} partition {value!r}")
            elif value in prefixes:
                found.append(f"{filename}:{node.lineno} region prefix {value!r} (a guess at a partition)")
            elif value in ENDPOINT_DATA_NAMES:
                found.append(f"{filename}:{node.lineno} botocore data {value!r}")
        elif isinstance(node, ast.Attribute) and node.attr in BOTOCORE_REGION_APIS:
            found.append(f"{filename}:{node.lineno} calls botocore's {node.attr}")
    return found


def source_files() -> list[Path]:
    return [
        REPO_ROOT / "app.py",
        *sorted((REPO_ROOT / "ebtrail").rglob("*.py")),
        *sorted((REPO_ROOT / "stacks").rglob("*.py")),
    ]


def facts_outside(the_module: Path, files: list[Path], finder: Callable[[str, str], list[str]]) -> list[str]:
    """What ``finder`` reports in every file of ``files`` but ``the_module`` (each scan below runs the same way)."""
    return [
        fact
        for path in files
        if path != the_module
        for fact in finder(path.read_text(), str(path.relative_to(REPO_ROOT)))
    ]


def test_no_module_but_regions_writes_down_a_region_or_partition() -> None:
    found = facts_outside(THE_MODULE, source_files(), region_facts_in)
    assert found == [], "regions and partitions come from ebtrail.core.regions only:\n" + "\n".join(found)


def test_the_scan_finds_the_old_guess_and_the_old_lists() -> None:
    """The code this replaced, each form of it caught (so the scan above can fail)."""
    old_guess = (
        "def partition_of(region):\n"
        "    if region.startswith('cn-'):\n"
        "        return 'aws-cn'\n"
        "    if region.startswith('us-gov-'):\n"
        "        return 'aws-us-gov'\n"
        "    return 'aws'\n"
    )
    assert len(region_facts_in(old_guess)) == 4
    old_list = "ORGANIZATIONS_REGION = {'aws': 'us-east-1', 'aws-cn': 'cn-northwest-1'}\n"
    assert len(region_facts_in(old_list)) == 3
    old_lookup = "regions = boto3.session.Session().get_available_regions('cloudtrail', partition_name=p)\n"
    assert region_facts_in(old_lookup) == ["<source>:1 calls botocore's get_available_regions"]
    docstring_only = 'def f():\n    """A region such as us-east-1."""\n'
    assert region_facts_in(docstring_only) == []


def test_the_one_module_knows_every_partition_and_the_iso_regions() -> None:
    assert {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"} <= set(partitions())
    assert regions.partition_of("us-isof-south-1") == "aws-iso-f"
    assert regions.partition_of("eu-isoe-west-1") == "aws-iso-e"
    assert regions.partition_of("cn-north-1") == "aws-cn"
    assert regions.partition_of("us-gov-west-1") == "aws-us-gov"
    # a region botocore does not list yet: its partition from the partition's regionRegex
    assert regions.partition_of("us-isof-north-7") == "aws-iso-f"
    assert regions.partition_of("ap-nowhere-9") == "aws"
    assert regions.dns_suffix("aws-cn") == "amazonaws.com.cn"
    assert regions.dns_suffix("aws-iso-f") == "csp.hci.ic.gov"
    assert regions.organizations_region("aws") == "us-east-1"
    assert regions.organizations_region("aws-cn") == "cn-northwest-1"
    assert regions.organizations_region("aws-us-gov") == "us-gov-west-1"
    assert "us-isof-south-1" in regions.cloudtrail_regions("aws-iso-f")
    with pytest.raises(regions.UnknownRegionError, match="not a region"):
        regions.partition_of("mars-1")


# ---------------------------------------------------------------------------------------------------------
# ArnLike and IAM's wildcards: ebtrail.core.iam.matching alone

THE_MATCHER = REPO_ROOT / "ebtrail" / "core" / "iam" / "matching.py"
#: A function named as an ARN or wildcard matcher (``arn_like``, ``_arn_like``, ``arn_matches``, ``_wildcard``,
#: ``wildcard_match``); not a builder of a condition such as ``source_arn_equals``.
MATCHER_NAME = re.compile(r"_*(arn_?like|arn_?match(es)?|wildcard(_?match(es)?|_?regex)?|glob_?match)", re.IGNORECASE)
GLOB_FUNCTIONS = {"fnmatch", "fnmatchcase", "translate", "filter"}


def _mentions_arns(tree: ast.AST) -> bool:
    """The module writes an ARN (a string or f-string that starts with ``arn:``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("arn:"):
            return True
    return False


def _glob_uses(tree: ast.AST) -> list[ast.Call]:
    """``fnmatch.fnmatch(...)``, ``fnmatchcase(...)`` after ``from fnmatch import ...`` and the like."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "fnmatch"
        for alias in node.names
    }
    found: list[ast.Call] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        module_call = (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "fnmatch"
        )
        imported_call = isinstance(func, ast.Name) and func.id in imported and func.id in GLOB_FUNCTIONS
        if module_call or imported_call:
            found.append(node)
    return found


def arn_matchers_in(source: str, filename: str = "<source>") -> list[str]:
    """Every place in ``source`` that matches ARNs or IAM wildcards itself, as ``file:line what``: a function
    named as a matcher, glob matching (``fnmatch``) in a module that handles ARNs (a glob is ArnLike without its
    per-component rule), or ``*`` turned into the regular expression ``.*``."""
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and MATCHER_NAME.fullmatch(node.name):
            found.append(f"{filename}:{node.lineno} defines {node.name}")
        elif isinstance(node, ast.Constant) and node.value in (".*", ".+"):
            found.append(f"{filename}:{node.lineno} turns a wildcard into the regex {node.value!r}")
    if _mentions_arns(tree):
        found += [f"{filename}:{node.lineno} glob-matches (fnmatch) in a module of ARNs" for node in _glob_uses(tree)]
    return found


def matcher_scan_files() -> list[Path]:
    """The source, the repository's tools and the tests (a test that globs an ARN checks the wrong rule)."""
    return [
        *source_files(),
        *sorted((REPO_ROOT / "deployment").rglob("*.py")),
        *sorted((REPO_ROOT / "tools").rglob("*.py")),
        *sorted(path for path in (REPO_ROOT / "tests").rglob("*.py") if path != Path(__file__).resolve()),
    ]


def test_no_module_but_matching_matches_arns_or_wildcards() -> None:
    found = facts_outside(THE_MATCHER, matcher_scan_files(), arn_matchers_in)
    assert found == [], "ArnLike and IAM's wildcards come from ebtrail.core.iam.matching only:\n" + "\n".join(found)


def test_the_scan_finds_both_old_arn_likes() -> None:
    """The two copies this replaced (deployment/config/guardrails.py and ebtrail/verifier/preflight/policy.py)."""
    config_copy = (
        "import fnmatch\n"
        "ROLE = 'arn:aws:iam::111111111111:role/x'\n"
        "def arn_like(pattern, arn):\n"
        "    return all(fnmatch.fnmatchcase(a, p) for p, a in zip(pattern.split(':', 5), arn.split(':', 5)))\n"
    )
    assert [f.split(" ", 1)[1] for f in arn_matchers_in(config_copy)] == [
        "defines arn_like",
        "glob-matches (fnmatch) in a module of ARNs",
    ]
    preflight_copy = (
        "import re\n"
        "def _wildcard(pattern):\n"
        "    return re.compile(''.join({'*': '.*', '?': '.'}.get(c) or re.escape(c) for c in pattern))\n"
        "def _arn_like(pattern, value):\n"
        "    return pattern == value\n"
    )
    assert len(arn_matchers_in(preflight_copy)) == 3
    test_glob = (
        "from fnmatch import fnmatchcase\nARN = 'arn:aws:cloudwatch:us-east-1:1:alarm:'\nfnmatchcase(ARN + 'a', 'p*')\n"
    )
    assert len(arn_matchers_in(test_glob)) == 1
    file_glob = "import fnmatch\nfnmatch.fnmatch('METADATA', '*.dist-info/*')\n"
    assert arn_matchers_in(file_glob) == []


# --- CloudTrail's S3 layout -----------------------------------------------------------------------------------------

LAYOUT_MODULE = REPO_ROOT / "ebtrail" / "core" / "cloudtrail_layout.py"
#: Pieces of CloudTrail's key and log stream names ("Finding your CloudTrail log files", "CloudTrail digest file
#: structure"): a string constant holding one of them, with no space in it (prose has spaces, key fragments and
#: patterns do not), writes the layout down a second time.
LAYOUT_TOKENS = ("AWSLogs", "CloudTrail-Digest", "CloudTrail/", "_CloudTrail_", "_backfill", ".json.gz")
#: String methods that, applied to a key prefix with "/", convert between its two forms.
_SLASH_METHODS = {"strip", "rstrip", "lstrip", "removesuffix", "removeprefix"}


def _names_a_prefix(node: ast.AST) -> bool:
    """``prefix``, ``props.log_prefix``, ``info.prefix``...: a name or attribute that holds a key prefix (not a list
    of ``..._prefixes``)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        return _names_a_prefix(node.args[0])  # env.get(ENV_PREFIX, "")
    if isinstance(node, ast.Name):
        name = node.id.lower()
    elif isinstance(node, ast.Attribute):
        name = node.attr.lower()
    else:
        return False
    return "prefix" in name and not name.endswith("prefixes")


def _empty(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ("", None)


def _prefix_conversion(node: ast.AST) -> str | None:
    """What converts a key prefix between ``None``/``"p"`` and ``""``/``"p/"`` in ``node``, if anything does."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _SLASH_METHODS
        and _names_a_prefix(node.func.value)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == "/"
    ):
        return f"{node.func.attr}('/') of a key prefix"
    if isinstance(node, ast.IfExp) and _names_a_prefix(node.test) and (_empty(node.orelse) or _empty(node.body)):
        return "a key prefix converted by a conditional expression"
    if (
        isinstance(node, ast.BoolOp)
        and isinstance(node.op, ast.Or)
        and _empty(node.values[-1])
        and any(_names_a_prefix(v) for v in node.values[:-1])
    ):
        return "a key prefix converted by `or`"
    return None


def layout_facts_in(source: str, filename: str = "<source>") -> list[str]:
    """Every place in ``source`` that writes down CloudTrail's S3 layout or converts a key prefix."""
    tree = ast.parse(source, filename=filename)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            value = node.value
            token = next((t for t in LAYOUT_TOKENS if t in value), None)
            if token and " " not in value:
                found.append(f"{filename}:{node.lineno} layout {value!r}")
        conversion = _prefix_conversion(node)
        if conversion:
            found.append(f"{filename}:{getattr(node, 'lineno', 0)} {conversion}")
    return found


def layout_source_files() -> list[Path]:
    return [*source_files(), *sorted((REPO_ROOT / "deployment").rglob("*.py"))]


def test_no_module_but_cloudtrail_layout_writes_down_the_s3_layout() -> None:
    found = facts_outside(LAYOUT_MODULE, layout_source_files(), layout_facts_in)
    assert found == [], "CloudTrail's S3 layout and the key prefix come from ebtrail.core.cloudtrail_layout only:\n" + (
        "\n".join(found)
    )


def test_the_layout_scan_finds_the_old_copies() -> None:
    """Each form the layout and the prefix conversion had before (so the scan above can fail)."""
    old_records = (
        "def log_prefix(prefix):\n    p = (prefix or '').strip('/')\n    return f'{p}/AWSLogs/' if p else 'AWSLogs/'\n"
    )
    assert sorted(layout_facts_in(old_records)) == [
        "<source>:2 a key prefix converted by `or`",
        "<source>:3 layout '/AWSLogs/'",
        "<source>:3 layout 'AWSLogs/'",
    ]
    old_keys = "DIGEST_RE = re.compile(r'(?:^|/)AWSLogs/\\d{12}/CloudTrail-Digest/')\n"
    assert layout_facts_in(old_keys) == ["<source>:1 layout '(?:^|/)AWSLogs/\\\\d{12}/CloudTrail-Digest/'"]
    old_policy = "resources = [f'{props.log_prefix}AWSLogs/*']\nbackfill = key.endswith('_backfill.json.gz')\n"
    assert len(layout_facts_in(old_policy)) == 2
    old_conversions = (
        "a = props.log_prefix.rstrip('/') or None\n"
        "b = f'{info.prefix}/' if info.prefix else ''\n"
        "c = env.get(ENV_PREFIX, '').strip('/') or None\n"
        "d = (info.prefix or None) != expected.prefix\n"
    )
    found = sorted(layout_facts_in(old_conversions))
    assert found == [
        "<source>:1 rstrip('/') of a key prefix",
        "<source>:2 a key prefix converted by a conditional expression",
        "<source>:3 strip('/') of a key prefix",
        "<source>:4 a key prefix converted by `or`",
    ]
    prose = "raise ValueError('must not start with AWSLogs/ (CloudTrail adds it)')\n"
    assert layout_facts_in(prose) == []
