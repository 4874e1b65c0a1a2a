"""The config reference, read from the pydantic model: each field's dotted path, type, default, allowed values and
description (``Field(description=...)`` on the field), for every topology type of :data:`TOPOLOGY_TYPES`.

A field that several topologies share with the same description is one row; a field a topology narrows to its
own meaning (``trail.members`` is a member's trail in ``accounts``, a member to project in ``organization``) is a
row per meaning, marked with the topologies it belongs to. ``topology`` itself is the union's discriminator: its
row lists the union's members.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from deployment.config import DEFAULT_TOPOLOGY, TOPOLOGY_TYPES
from deployment.config.formats import Allowed


class MissingDescriptionError(Exception):
    """A config field without ``Field(description=...)``: the reference cannot be written without it."""


@dataclass
class Row:
    """One line of the reference."""

    path: str
    type: str
    default: str
    allowed: str
    description: str
    topologies: list[str] = field(default_factory=list)
    #: A table whose keys are the user's (``tags``): any key under it is a valid config path.
    free_form: bool = False


@dataclass(frozen=True)
class Shape:
    """A type, in the reference's words, and the model to descend into (a table or a list of tables)."""

    name: str
    allowed: str = ""
    model: type[BaseModel] | None = None
    list_of_tables: bool = False
    free_form: bool = False


def _constraints(metadata: Sequence[Any], unit: str) -> list[str]:
    words = []
    low = next((m.ge for m in metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, Le)), None)
    if low is not None and high is not None:
        words.append(f"{low} to {high}")
    elif low is not None:
        words.append(f"at least {low}")
    elif high is not None:
        words.append(f"at most {high}")
    words += [f"at least {_count(m.min_length, unit)}" for m in metadata if isinstance(m, MinLen)]
    words += [f"at most {_count(m.max_length, unit)}" for m in metadata if isinstance(m, MaxLen)]
    return words


def _count(number: int, unit: str) -> str:
    """``1 entry``, ``40 entries``, ``256 characters``."""
    if number == 1:
        unit = unit.removesuffix("ies") + "y" if unit.endswith("ies") else unit.removesuffix("s")
    return f"{number} {unit}"


def _format_words(metadata: Sequence[Any]) -> list[str]:
    """The words of a format (:class:`Allowed`, directly or as the validator itself)."""
    words = []
    for item in metadata:
        if isinstance(item, Allowed):
            words.append(item.allowed)
        elif isinstance(item, AfterValidator) and isinstance(item.func, Allowed):
            words.append(item.func.allowed)
    return words


def _flatten(annotation: Any, metadata: Sequence[Any]) -> tuple[Any, list[Any]]:
    """``Annotated[T, ...]`` (any depth) to ``T`` and all of its metadata, pydantic's ``FieldInfo`` unpacked."""
    found = list(metadata)
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        for item in extra:
            found += item.metadata if isinstance(item, FieldInfo) else [item]
    return annotation, found


_SCALARS: dict[Any, str] = {str: "string", int: "integer", bool: "boolean", date: "date"}


def shape_of(annotation: Any, metadata: Sequence[Any] = ()) -> Shape:  # noqa: PLR0911 (one return per kind of type)
    """What a field of this annotation looks like in TOML."""
    annotation, metadata = _flatten(annotation, metadata)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        present = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(present) != 1:
            raise TypeError(f"cannot describe the union {annotation!r}")
        return shape_of(present[0], metadata)
    if origin is Literal:
        return Shape("string", ", ".join(f"`{_toml(v)}`" for v in get_args(annotation)))
    if origin is tuple:
        item = shape_of(get_args(annotation)[0])
        allowed = "; ".join(filter(None, [item.allowed, *_constraints(metadata, "entries")]))
        if item.model is not None:
            return Shape("list of tables", allowed, item.model, list_of_tables=True)
        return Shape(f"list of {item.name}s", allowed)
    if origin is dict:
        key, value = (shape_of(arg) for arg in get_args(annotation))
        allowed = "; ".join(
            filter(
                None,
                [
                    f"keys: {key.allowed}" if key.allowed else "",
                    f"values: {value.allowed}" if value.allowed else "",
                    *_constraints(metadata, "entries"),
                ],
            )
        )
        return Shape(f"table of {key.name}s to {value.name}s", allowed, free_form=True)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Shape("table", model=annotation)
    if annotation in _SCALARS:
        unit = "characters" if annotation is str else ""
        words = _format_words(metadata) + _constraints(metadata, unit)
        if annotation is date:
            words.append("a TOML date such as 2026-01-01, without quotes")
        return Shape(_SCALARS[annotation], "; ".join(w.strip() for w in words))
    raise TypeError(f"cannot describe the type {annotation!r}")


def _toml(value: Any) -> str:
    """A default as it would be written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int | date):
        return str(value.isoformat() if isinstance(value, date) else value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, BaseModel):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.model_dump(exclude_defaults=False).items()) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _default(info: FieldInfo, shape: Shape) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "none"
    if shape.model is not None and not shape.list_of_tables:
        return "see its fields"
    return f"`{_toml(value)}`"


def _rows_of(model: type[BaseModel], prefix: str) -> Iterator[Row]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if path == "topology":
            continue
        if not info.description:
            raise MissingDescriptionError(f"{model.__module__}.{model.__qualname__}.{name} ({path}) has no description")
        shape = shape_of(info.annotation, info.metadata)
        yield Row(path, shape.name, _default(info, shape), shape.allowed, info.description, free_form=shape.free_form)
        if shape.model is not None:
            yield from _rows_of(shape.model, f"{path}[]." if shape.list_of_tables else f"{path}.")


def _topology_row() -> Row:
    first = next(iter(TOPOLOGY_TYPES.values()))
    description = first.model_fields["topology"].description or ""
    allowed = ", ".join(f"`{_toml(name)}`" for name in TOPOLOGY_TYPES)
    return Row("topology", "string", f"`{_toml(DEFAULT_TOPOLOGY)}`", allowed, description, list(TOPOLOGY_TYPES))


def reference_rows() -> list[Row]:
    """Every row of the reference, in the model's order, one per (path, meaning)."""
    rows: dict[tuple[str, str, str, str, str], Row] = {}
    topology = _topology_row()
    for name, model in TOPOLOGY_TYPES.items():
        for row in _rows_of(model, ""):
            key = (row.path, row.type, row.default, row.allowed, row.description)
            rows.setdefault(key, row).topologies.append(name)
    return [topology, *rows.values()]


def _cell(text: str) -> str:
    """Table-cell text: ``|`` escaped; outside code spans ``<``/``>`` as entities (not HTML), ``*`` not emphasis."""
    parts = text.replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")
    return "`".join(parts)


def markdown() -> str:
    """The reference: a table per top-level section, in the model's order."""
    rows = reference_rows()
    sections: dict[str, list[Row]] = {}
    for row in rows:
        head = row.path.split(".")[0] if "." in row.path or row.type == "table" else ""
        sections.setdefault(head, []).append(row)
    out: list[str] = []
    for head, section in sections.items():
        out += ["", f"### `{head}`" if head else "### Top level", ""]
        out += ["| field | type | default | allowed | description |", "|---|---|---|---|---|"]
        for row in section:
            where = ""
            if row.topologies != list(TOPOLOGY_TYPES):
                where = "<br>*" + ", ".join(row.topologies) + " only*"
            out.append(
                f"| `{row.path}`{where} | {row.type} | {row.default} | {_cell(row.allowed) or '-'} | "
                f"{_cell(row.description)}. |"
            )
    return "\n".join(out).strip("\n")
