"""The schema walk: a contract's JSON schema flattened (allOf) and compiled to a Node tree, plus shared JSON helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

from hypothesis.strategies import SearchStrategy

from ..pointers import pointer_from_parts
from ._values import StrategyError

# -- schema → nodes ---------------------------------------------------------------------------------

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples",
                          "definitions", "readOnly", "writeOnly", "format", "contentMediaType"})
_HANDLED = frozenset({"type", "properties", "required", "items", "pattern", "allOf", "enum", "minimum",
                      "maximum", "minLength", "maxLength", "minItems", "maxItems", "additionalProperties",
                      "uniqueItems"})
_JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")

Loc = tuple[str, ...]  # a schema location: property names, "*" for array items


@dataclass
class Node:
    """One location of a schema, with the constraints the generator honours there."""

    loc: Loc
    types: tuple[str, ...] = ()
    properties: dict[str, Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    items: Node | None = None
    pattern: str | None = None
    enum: tuple[Any, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int = 0
    max_length: int | None = None
    min_items: int = 0
    max_items: int | None = None
    closed: bool = False
    unique: bool = False

    @property
    def name(self) -> str:
        """The property this value sits under (an array item: its array's name)."""
        for part in reversed(self.loc):
            if part != "*":
                return part
        return ""

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.properties.values():
            yield from child.walk()
        if self.items is not None:
            yield from self.items.walk()

    def at(self, loc: Loc) -> Node:
        """The node at schema location ``loc`` under this one (the location must exist)."""
        node = self
        for part in loc:
            if part == "*":
                assert node.items is not None
                node = node.items
            else:
                node = node.properties[part]
        return node


def _merge(a: Mapping[str, Any], b: Mapping[str, Any], where: str) -> dict[str, Any]:
    """allOf of two object schemas as one schema (what the endpoint contracts use)."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties":
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[key] = props
        elif key == "required":
            out[key] = list(out[key]) + [n for n in value if n not in out[key]]
        elif key == "type":
            left = {out[key]} if isinstance(out[key], str) else set(out[key])
            right = {value} if isinstance(value, str) else set(value)
            both = [t for t in _JSON_TYPES if t in left & right]
            if not both:
                raise StrategyError(f"allOf at {where or '/'} asks for types {out[key]!r} and {value!r} at once")
            out[key] = both[0] if len(both) == 1 else both
        elif key in _ANNOTATIONS or out[key] == value:
            continue
        else:
            raise StrategyError(f"cannot generate from allOf at {where or '/'}: both branches set {key!r}")
    return out


def _flatten(schema: Any, where: str) -> dict[str, Any]:
    if schema is True or schema == {}:
        return {}
    if not isinstance(schema, Mapping):
        raise StrategyError(f"cannot generate from the schema at {where or '/'}: {schema!r}")
    schema = dict(schema)
    for sub in schema.pop("allOf", ()):
        schema = _merge(schema, _flatten(sub, where), where)
    return schema


def compile_schema(schema: Any, loc: Loc = ()) -> Node:
    """The Node tree of ``schema``; a keyword the generator cannot honour raises StrategyError naming it."""
    where = pointer_from_parts(loc)
    s = _flatten(schema, where)
    for key in s:
        if key not in _HANDLED and key not in _ANNOTATIONS:
            raise StrategyError(f"cannot generate from keyword {key!r} at {where or '/'}")
    node = Node(loc)
    types = s.get("type")
    if types is not None:
        node.types = (types,) if isinstance(types, str) else tuple(types)
    node.properties = {name: compile_schema(sub, loc + (name,)) for name, sub in (s.get("properties") or {}).items()}
    node.required = tuple(s.get("required", ()))
    if "items" in s:
        if not isinstance(s["items"], (Mapping, bool)):
            raise StrategyError(f"cannot generate from tuple items at {where or '/'}")
        node.items = compile_schema(s["items"], loc + ("*",))
    node.pattern = s.get("pattern")
    if "enum" in s:
        node.enum = tuple(s["enum"])
    node.minimum, node.maximum = s.get("minimum"), s.get("maximum")
    node.min_length, node.max_length = s.get("minLength", 0), s.get("maxLength")
    node.min_items, node.max_items = s.get("minItems", 0), s.get("maxItems")
    extra = s.get("additionalProperties", True)
    if extra not in (True, False, {}):
        raise StrategyError(f"cannot generate from an additionalProperties schema at {where or '/'}")
    node.closed = extra is False
    node.unique = bool(s.get("uniqueItems", False))
    return node


def is_single_line(pattern: str | None) -> bool:
    """Whether ``pattern`` only says "one line" (the official schema's ``^(.*)$``), or there is none."""
    return pattern in (None, "^(.*)$", "^.*$")


def json_type(value: Any) -> str:
    """The narrowest JSON Schema type of a parsed value (``5.0`` is an integer, a bool is not)."""
    t = type(value)
    if t is dict:
        return "object"
    if t is list:
        return "array"
    if t is str:
        return "string"
    if t is bool:
        return "boolean"
    if value is None:
        return "null"
    if t is int or (t is float and value.is_integer()):
        return "integer"
    return "number"


def allowed(types: Sequence[str], value: Any) -> bool:
    """Whether ``value`` fits a ``type`` keyword's list (an empty list allows anything)."""
    kind = json_type(value)
    return not types or kind in types or (kind == "integer" and "number" in types)


# -- JSON values shared by the builder and the mutations ------------------------------------------

Draw = Callable[[SearchStrategy[Any]], Any]


def freeze(value: Any) -> str:
    """A hashable key equal for equal JSON values of the same Python type (for uniqueness)."""
    return json.dumps(value, sort_keys=True) + type(value).__name__


def json_copy(document: Any) -> Any:
    """A deep copy of a JSON document (a mutation changes the copy, never the drawn base)."""
    return json.loads(json.dumps(document))
