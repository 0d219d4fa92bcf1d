"""Strict rule kinds, by name: the code behind a contract's declarative ``strict`` list.

A kind becomes one of two things (``Rule``):

* an **overlay**: a JSON Schema each value at the rule's ``at`` pointers must meet
  (``minimum``, ``int64``, ``min-length``, ``min-items``). The
  checker places every overlay in one schema, judged by the same engine as the official
  schema (jsonschema-rs), and reads each finding from the engine's error;
* a **Python check**, for what JSON Schema cannot say: per-branch sums (``sum-equals``),
  names unique by a key (``unique``: ``uniqueItems`` would point at the list, not at the
  repeated item a person must fix), duplicate object keys (the parser sees
  them, the engine never does), ISO-8601 date-times with an offset (``format: date-time``
  is RFC 3339, which refuses ``12:30+00:00`` and ``,5`` fractions), and ``int64`` over a
  whole document. ``check(document, context)`` gives ``(parts, detail)`` findings.

Locations are pointer patterns: ``/stats/*/total_*`` where a segment may hold shell-style
wildcards. ``*`` matches object keys and array indices alike; any other wildcard matches
object keys only (an overlay cannot select array items by a pattern on their index).
"""

from __future__ import annotations

import fnmatch
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .datetimes import parse_iso_datetime
from .model import StrictRule
from .pointers import Parts, parts_from_pointer

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Finding = tuple[Parts, str]


class Context:
    """What a Python check may need beyond the document: the objects that had duplicate keys."""

    __slots__ = ("duplicates",)

    def __init__(self, duplicates: list[tuple[dict[str, Any], list[str]]] | None = None) -> None:
        self.duplicates = duplicates if duplicates is not None else []


Check = Callable[[Any, Context], list[Finding]]


@dataclass(frozen=True)
class Rule:
    """A strict rule ready to run: exactly one of ``overlay`` (a JSON Schema for each value at
    ``patterns``) and ``check`` (Python findings). ``says`` phrases an overlay finding from the
    offending value where the engine's message would quote the overlay's machinery."""

    patterns: tuple[str, ...] = ()
    overlay: dict[str, Any] | None = None
    check: Check | None = None
    says: Callable[[Any], str] | None = None


# -- pointer patterns -------------------------------------------------------------


class PointerPattern:
    """A JSON Pointer whose segments may hold ``*`` / ``?`` / ``[...]`` wildcards."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.segments: list[tuple[str, re.Pattern[str] | None]] = [
            (part, re.compile(fnmatch.translate(part)) if any(c in part for c in "*?[") else None)
            for part in parts_from_pointer(pattern)]

    def select(self, document: Any) -> list[tuple[Parts, Any]]:  # noqa: C901 - runs per value per payload: a helper per step would add a call for each
        """Every (parts, value) in ``document`` that the pattern matches, in document order
        (one level at a time: each step keeps the order of the one before)."""
        found: list[tuple[Parts, Any]] = [((), document)]
        for literal, rx in self.segments:
            step: list[tuple[Parts, Any]] = []
            for parts, value in found:
                t = type(value)
                if t is dict:
                    if rx is None:
                        if literal in value:
                            step.append((parts + (literal,), value[literal]))
                    elif literal == "*":
                        step.extend([(parts + (key,), item) for key, item in value.items()])
                    else:
                        step.extend([(parts + (key,), item) for key, item in value.items() if rx.match(key)])
                elif t is list:
                    if rx is None:
                        if literal.isdigit() and int(literal) < len(value):
                            step.append((parts + (int(literal),), value[int(literal)]))
                    elif literal == "*":
                        step.extend([(parts + (i,), item) for i, item in enumerate(value)])
            if not step:
                return step
            found = step
        return found

    def matches(self, parts: Parts) -> bool:
        """Whether a concrete path is one the pattern selects."""
        if len(parts) != len(self.segments):
            return False
        for part, (literal, rx) in zip(parts, self.segments):
            if rx is None:
                if str(part) != literal:
                    return False
            elif type(part) is int and literal != "*":
                return False
            elif not rx.match(str(part)):
                return False
        return True


def overlay_at(pattern: str, leaf: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema that applies ``leaf`` at every place ``pattern`` selects."""
    schema: dict[str, Any] = leaf
    for literal, rx in reversed(PointerPattern(pattern).segments):
        if rx is None:
            step: dict[str, Any] = {"properties": {literal: schema}}
            if literal.isdigit() and literal == str(int(literal)):
                step["items"] = [True] * int(literal) + [schema]
            schema = step
        elif literal == "*":
            schema = {"additionalProperties": schema, "items": schema}
        else:
            schema = {"patternProperties": {_glob_to_ecma(literal): schema}}
    return schema


def _glob_to_ecma(glob: str) -> str:
    """A shell-style segment as an anchored ECMA-262 pattern (what fnmatch.translate is for Python).

    A trailing ``*`` becomes an open end (``total_*`` is ``^total_``, not ``^total_[\\s\\S]*$``): the
    same keys, and the engine tests a plain prefix much faster."""
    stem = glob.rstrip("*")
    if stem != glob and stem:
        return _glob_to_ecma(stem)[:-1]
    out, i = ["^"], 0
    while i < len(glob):
        ch = glob[i]
        if ch == "*":
            out.append("[\\s\\S]*")
        elif ch == "?":
            out.append("[\\s\\S]")
        elif ch == "[" and glob.find("]", i + (3 if glob[i + 1: i + 2] == "!" else 2)) != -1:
            start = i + (2 if glob[i + 1: i + 2] == "!" else 1)
            close = glob.index("]", start + 1)  # as in fnmatch, a ] first in the class is literal
            body = "".join("\\" + c if c in "\\]^-" and not (c == "-" and 0 < j < close - start - 1) else c
                           for j, c in enumerate(glob[start:close]))
            out.append("[" + ("^" if start == i + 2 else "") + body + "]")
            i = close
        else:
            out.append("\\" + ch if ch in _ECMA_SYNTAX else ch)
        i += 1
    return "".join(out) + "$"


_ECMA_SYNTAX = set("\\^$.|?*+()[]{}/")


# -- kinds ------------------------------------------------------------------------

Factory = Callable[[StrictRule], Rule]
KINDS: dict[str, Factory] = {}


def kind(name: str) -> Callable[[Factory], Factory]:
    def register(fn: Factory) -> Factory:
        KINDS[name] = fn
        return fn

    return register


def compile_rule(rule: StrictRule) -> Rule:
    try:
        factory = KINDS[rule.kind]
    except KeyError:
        raise ValueError(f"unknown strict rule kind {rule.kind!r}") from None
    return factory(rule)


def _at(rule: StrictRule) -> tuple[str, ...]:
    return tuple(rule.options.get("at", ()))


@kind("datetime")
def _datetime(rule: StrictRule) -> Rule:
    patterns = [PointerPattern(p) for p in _at(rule)]

    def check(doc: Any, ctx: Context) -> list[Finding]:
        return [(parts, f"{value!r} is not an ISO-8601 date-time with an offset")
                for pattern in patterns for parts, value in pattern.select(doc)
                if type(value) is str and parse_iso_datetime(value) is None]

    return Rule(_at(rule), check=check)


@kind("minimum")
def _minimum(rule: StrictRule) -> Rule:
    return Rule(_at(rule), overlay={"minimum": rule.options["minimum"]})


def _outside_int64(value: Any) -> str | None:
    t = type(value)
    if (t is int or (t is float and value == value and abs(value) != float("inf") and value.is_integer())) \
            and not INT64_MIN <= value <= INT64_MAX:
        return f"{value!r} does not fit a signed 64-bit integer"
    return None


@kind("int64")
def _int64(rule: StrictRule) -> Rule:
    if "at" in rule.options:  # no number outside the bounds is a fraction: the bounds say it all
        return Rule(_at(rule), overlay={"minimum": INT64_MIN, "maximum": INT64_MAX},
                    says=lambda value: f"{value!r} does not fit a signed 64-bit integer")

    def check(doc: Any, ctx: Context) -> list[Finding]:
        out: list[Finding] = []
        stack: list[tuple[Parts, Any]] = [((), doc)]
        while stack:
            parts, value = stack.pop()
            t = type(value)
            if t is dict:
                stack.extend((parts + (k,), v) for k, v in value.items())
            elif t is list:
                stack.extend((parts + (i,), v) for i, v in enumerate(value))
            else:
                why = _outside_int64(value)
                if why is not None:
                    out.append((parts, why))
        out.sort(key=lambda f: [str(p) for p in f[0]])
        return out

    return Rule(check=check)


def _whole_numbers(values: list[Any]) -> bool:
    """Whether parts that did not add up are all ints or whole floats (anything else, a bool
    or 2.5, is the schema's to report): looked at only once a sum is off."""
    kinds = set(map(type, values))
    if not kinds <= {int, float}:
        return False
    return float not in kinds or all(type(v) is int or v.is_integer() for v in values)


def _mismatches(entity: Any, list_key: str, getters: list[tuple[str, Callable[[Any], Any]]]
                ) -> Iterator[tuple[str, Any, Any]]:
    """(field, what the parts add up to, the total) where they differ; figures of the wrong
    type are the schema's to report, so an entity or field with one is not summed."""
    if type(entity) is not dict:
        return
    items = entity.get(list_key)
    if type(items) is not list or not items or set(map(type, items)) != {dict}:
        return
    for name, get in getters:
        total = entity.get(name)
        if type(total) is not int and not (type(total) is float and total.is_integer()):
            continue
        try:
            added = sum(map(get, items))
        except (KeyError, TypeError):  # a missing figure, a string: not numbers
            continue
        if added == total:
            continue
        if not _whole_numbers([i[name] for i in items]):
            continue
        yield name, added, total


@kind("sum-equals")
def _sum_equals(rule: StrictRule) -> Rule:
    each = PointerPattern(rule.options["each"])
    list_key = rule.options["parts"]
    fields = tuple(rule.options["fields"])

    getters: list[tuple[str, Callable[[Any], Any]]] = [(name, operator.itemgetter(name)) for name in fields]

    def check(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for parts, entity in each.select(doc):
            for name, added, total in _mismatches(entity, list_key, getters):
                out.append((parts + (name,), f"{list_key} add up to {added:g} for {name}, but {name} is {total:g}"
                            if isinstance(added, float) or isinstance(total, float) else
                            f"{list_key} add up to {added} for {name}, but {name} is {total}"))
        return out

    return Rule((each.pattern,), check=check)


# What str.strip() removes (every c with chr(c).isspace()), as an ECMA-262 class; a test keeps it true.
_NOT_STRIPPED = ("[^\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029"
                 "\\u202f\\u205f\\u3000]")


@kind("min-length")
def _min_length(rule: StrictRule) -> Rule:
    least = int(rule.options["min"])
    # at least ``least`` characters str.strip() keeps, the first and last of them not stripped
    def says(value: Any) -> str:
        return f"{value!r} is empty or blank" if least == 1 else f"{value!r} is shorter than {least} characters"

    if least <= 0:
        return Rule(_at(rule), overlay={})
    if least == 1:
        return Rule(_at(rule), overlay={"pattern": _NOT_STRIPPED}, says=says)
    body = f"{_NOT_STRIPPED}[\\s\\S]{{{least - 2},}}{_NOT_STRIPPED}"
    return Rule(_at(rule), overlay={"pattern": f"^[{_WHITESPACE}]*{body}[{_WHITESPACE}]*$"}, says=says)


_WHITESPACE = _NOT_STRIPPED[2:-1]


@kind("min-items")
def _min_items(rule: StrictRule) -> Rule:
    return Rule(_at(rule), overlay={"minItems": rule.options["min"]})


def _repeats(items: list[Any], key: str | None, parts: Parts) -> Iterator[Finding]:
    """Each string name (an item's ``key``, or the item itself) seen earlier in ``items``: only
    walked for a list whose names are not all distinct."""
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if key is not None:
            if type(item) is not dict or type(item.get(key)) is not str:
                continue
            name, where = item[key], parts + (i, key)
        elif type(item) is str:
            name, where = item, parts + (i,)
        else:
            continue
        if name in seen:
            yield where, f"{name!r} already appears at index {seen[name]}"
        else:
            seen[name] = i


@kind("unique")
def _unique(rule: StrictRule) -> Rule:
    # Python, not uniqueItems: the finding points at each repeated item, not at the whole list
    key = rule.options.get("key")
    patterns = [PointerPattern(p) for p in _at(rule)]

    get = operator.itemgetter(key) if key is not None else None

    def distinct(items: list[Any]) -> bool:
        """A quick yes when no two names can be equal (most lists); False means "look closer"."""
        try:
            names = list(map(get, items)) if get is not None else items
            return len(set(names)) == len(names)
        except (KeyError, TypeError, IndexError):  # an item without the key, an unhashable name
            return False

    def check(doc: Any, ctx: Context) -> list[Finding]:
        out: list[Finding] = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                if type(value) is not list or distinct(value):
                    continue
                out.extend(_repeats(value, key, parts))
        return out

    return Rule(_at(rule), check=check)


@kind("no-duplicate-keys")
def _no_duplicate_keys(rule: StrictRule) -> Rule:
    def check(doc: Any, ctx: Context) -> list[Finding]:
        if not ctx.duplicates:
            return []
        wanted = {id(obj): keys for obj, keys in ctx.duplicates}
        out: list[Finding] = []
        stack: list[tuple[Parts, Any]] = [((), doc)]
        while stack:
            parts, value = stack.pop()
            if type(value) is dict:
                for k in wanted.get(id(value), ()):
                    out.append((parts + (k,), f"key {k!r} appears more than once in the same object"))
                stack.extend((parts + (k,), v) for k, v in value.items())
            elif type(value) is list:
                stack.extend((parts + (i,), v) for i, v in enumerate(value))
        out.sort(key=lambda f: [str(p) for p in f[0]])
        return out

    return Rule(check=check)
