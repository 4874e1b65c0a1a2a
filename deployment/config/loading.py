"""Reading a deployment config: the TOML file, pydantic's structural pass rendered in the config's own words, then
the rules (:mod:`deployment.config.rules`). Both passes run before any construct is built.

1. *Structure* (pydantic): types, formats (account IDs, regions, names), allowed values, and which fields the
   config's topology needs or does not use (its type, :mod:`deployment.config.topologies`). Every structural
   problem is reported at once, each with its field path. A field another topology uses reads "not used by the
   <topology> topology; remove it", a missing one the topology needs "the <topology> topology needs ...".
2. *Meaning* (:func:`~deployment.config.rules.semantic_problems`). The archive's lifecycle and retention rules, and
   duplicate member accounts, are also checked when the first pass failed: they are the rules a user is most
   likely to get wrong together with a typo elsewhere.

Either pass raises :class:`~deployment.config.problems.ConfigError`, whose message lists the problems; ``app.py``
prints it and exits 2 without a traceback (:func:`load_or_exit`).
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from deployment.config.model import Lifecycle, ObjectLock, TopologyConfig
from deployment.config.problems import FILE, ConfigError, Problem
from deployment.config.rules import lifecycle_problems, retention_problems, semantic_problems
from deployment.config.topologies import (
    CONFIG_ADAPTER,
    TOPOLOGY_TYPES,
    UNKNOWN_TOPOLOGY,
    DeploymentConfig,
    duplicate_member_problems,
    topology_of,
)

#: What a field of the wrong type allows, in TOML's words (strict mode names Python types).
_ALLOWED_TYPE = {
    "int_type": "a whole number, without quotes",
    "bool_type": "true or false, without quotes",
    "string_type": "a string in quotes",
    "date_type": "a TOML date such as 2026-01-01, without quotes",
    "tuple_type": "a list in square brackets",
    "dict_type": "a table",
    "model_type": "a table",
}


def _shown(value: object, *, with_type: bool = False) -> str:
    """A value as the config's author wrote it in TOML (``true``, ``'2557'``), and with ``with_type`` its TOML type."""
    if isinstance(value, tuple | list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        text, kind = str(value).lower(), "a boolean"
    elif isinstance(value, str):
        text, kind = repr(value), "a string"
    elif isinstance(value, int):
        text, kind = str(value), "a whole number"
    elif isinstance(value, float):
        text, kind = repr(value), "a decimal number"
    else:
        text, kind = str(value), f"a {type(value).__name__}"
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} ({kind})" if with_type else text


def _field_type(annotation: Any, part: str | int) -> Any:
    """The type found at ``part`` (a field name or a list index) inside ``annotation``, or None."""
    if get_origin(annotation) is not None and get_origin(annotation) not in (tuple, dict):
        # Annotated[...] or a union (X | None): look inside each member.
        for inner in get_args(annotation):
            found = _field_type(inner, part)
            if found is not None:
                return found
        return None
    if isinstance(part, int):
        return get_args(annotation)[0] if get_origin(annotation) is tuple else None
    if get_origin(annotation) is dict:
        return get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields:
        return annotation.model_fields[part].annotation
    return None


def declares(model: type[BaseModel], loc: tuple[str | int, ...]) -> bool:
    """Whether ``model`` has a field at ``loc`` (``("trail", "account")``)."""
    current: Any = model
    for part in loc:
        current = _field_type(current, part)
        if current is None:
            return False
    return True


def _dotted(loc: tuple[str | int, ...], *, any_index: bool = False) -> str:
    """``("trail", "members", 3, "home_region")`` as ``trail.members[3].home_region`` (``[]`` with ``any_index``)."""
    path = ".".join(("[]" if any_index else f"[{part}]") if isinstance(part, int) else str(part) for part in loc)
    return path.replace(".[", "[") or "(top level)"


def _problem(item: Mapping[str, Any], topology: type[TopologyConfig] | None) -> Problem | None:
    """One pydantic error in the config's words; ``topology`` is the type the error was found in. None for an
    error that only repeats others: a list long enough but "too short" because its entries failed."""
    loc = item["loc"]
    if item["type"] == "too_short" and len(item["input"]) >= (item.get("ctx") or {}).get("min_length", 0):
        return None
    path = _dotted(loc)
    message = item["msg"].removeprefix("Value error, ")
    kind = item["type"]
    context = item.get("ctx") or {}
    name = topology.model_fields["topology"].default if topology else None
    if kind == "extra_forbidden":
        if topology and any(declares(other, loc) for other in TOPOLOGY_TYPES.values() if other is not topology):
            message = f"not used by the {name} topology; remove it"
        else:
            message = "unknown field; check the spelling against the config reference (docs/config.md)"
    elif kind in ("missing", "too_short") and topology and (what := topology.needs.get(_dotted(loc, any_index=True))):
        message = f"the {name} topology needs {what}"
    elif kind == "missing":
        message = "required field is missing"
    elif kind in _ALLOWED_TYPE:
        message = f"allowed: {_ALLOWED_TYPE[kind]}; got {_shown(item['input'], with_type=True)}"
    elif kind == "literal_error":
        message = f"allowed: {context.get('expected')}; got {_shown(item['input'])}"
    elif kind in ("greater_than_equal", "less_than_equal"):
        bound = "at least" if kind == "greater_than_equal" else "at most"
        limit = context.get("ge", context.get("le"))
        message = f"allowed: {bound} {limit}; got {_shown(item['input'])}"
    elif kind in ("too_long", "string_too_long"):
        message = f"allowed: {message.removeprefix('Value should have ').removeprefix('String should have ')}"
        message = message.split(" after validation")[0]
    elif "got " not in message:
        message = f"{message}; got {_shown(item['input'])}"
    return Problem(path, message)


def _structure_problems(error: ValidationError, data: object) -> list[Problem]:
    """pydantic's errors for ``data``. An error inside a topology's type is located under the type's tag, which
    is not part of the config's field path."""
    problems = []
    for item in error.errors(include_url=False):
        topology = TOPOLOGY_TYPES.get(str(item["loc"][0])) if item["loc"] else None
        if item["type"] == UNKNOWN_TOPOLOGY:
            problems += _unknown_topology_problems(data)
            continue
        problem = _problem({**item, "loc": item["loc"][1:]} if topology else item, topology)
        problems += [problem] if problem else []
    return problems


def _unknown_topology_problems(data: object) -> list[Problem]:
    """A ``topology`` no type has, and the problems the config has whatever its topology: those found in it as
    every topology's type alike (so a typo elsewhere is still reported with it)."""
    if not isinstance(data, dict):
        return [Problem("(top level)", f"allowed: a table; got {_shown(data)}")]
    names = [f"'{name}'" for name in TOPOLOGY_TYPES]
    allowed = f"{', '.join(names[:-1])} or {names[-1]}"
    problems = [Problem("topology", f"allowed: {allowed}; got {_shown(data.get('topology'))}")]
    found_as: list[list[Problem]] = []
    for name, topology in TOPOLOGY_TYPES.items():
        try:
            topology.model_validate({**data, "topology": name})
        except ValidationError as error:
            found_as.append([p for item in error.errors(include_url=False) if (p := _problem(item, topology))])
        else:
            found_as.append([])
    return problems + [problem for problem in found_as[0] if all(problem in other for other in found_as[1:])]


def _as_toml_values(data: object) -> object:
    """TOML arrays arrive as lists; the model's lists are tuples (frozen), and strict mode takes tuples only."""
    if isinstance(data, list):
        return tuple(_as_toml_values(item) for item in data)
    if isinstance(data, dict):
        return {key: _as_toml_values(value) for key, value in data.items()}
    return data


def _problems_despite(data: object) -> list[Problem]:
    """The rules checked even when another part of the config failed its structural checks, on the sections
    that are themselves well-formed: the archive's lifecycle and retention, and duplicate member accounts."""
    return _archive_problems_despite(data) + _member_problems_despite(data)


def _archive_problems_despite(data: object) -> list[Problem]:
    try:
        archive = data["archive"]  # type: ignore[index]
        lifecycle = Lifecycle.model_validate(archive.get("lifecycle", {}))
        lock = archive.get("object_lock")
        object_lock = ObjectLock.model_validate(lock) if lock is not None else None
    except (TypeError, KeyError, AttributeError, ValidationError):
        return []
    return lifecycle_problems(lifecycle, "archive.lifecycle") + retention_problems(lifecycle, object_lock)


def _member_problems_despite(data: object) -> list[Problem]:
    topology = TOPOLOGY_TYPES.get(topology_of(data) or "")
    if topology is None or not declares(topology, ("trail", "members")):
        return []
    try:
        members = data["trail"]["members"]  # type: ignore[index]
        accounts = [member.get("account") for member in members]
    except (TypeError, KeyError, AttributeError):
        return []
    return duplicate_member_problems([account for account in accounts if isinstance(account, str)])


def parse_config(data: object, source: str = "config") -> DeploymentConfig:
    """Validate already-parsed data; raise :class:`ConfigError` listing every problem."""
    data = _as_toml_values(data)
    try:
        config = CONFIG_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise ConfigError(source, _structure_problems(error, data) + _problems_despite(data)) from None
    problems = semantic_problems(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def load_config(path: str | Path) -> DeploymentConfig:
    """Read and validate a TOML deployment config. A path that is not a readable UTF-8 TOML file (a directory, a
    binary or Latin-1 file, no permission) is one problem on one line."""
    path = Path(path)

    def refuse(message: str) -> ConfigError:
        return ConfigError(str(path), [Problem(FILE, message)])

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise refuse("no such file; allowed: a TOML file such as config/default.toml") from None
    except IsADirectoryError:
        raise refuse("a directory; allowed: a TOML file such as config/default.toml") from None
    except UnicodeDecodeError as error:
        raise refuse(
            f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); allowed: a TOML file, "
            "which is UTF-8 (save a Latin-1 file as UTF-8)"
        ) from None
    except OSError as error:
        raise refuse(f"cannot be read ({error.strerror or error}); allowed: a readable TOML file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        first_line = str(error).splitlines()[0] if str(error) else "syntax error"
        raise refuse(f"not valid TOML: {first_line}") from None
    return parse_config(data, str(path))


def load_or_exit(path: str | Path) -> DeploymentConfig:
    """:func:`load_config`, or print the problems to stderr and exit with status 2 (no traceback)."""
    try:
        return load_config(path)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
