"""Strict rule kinds, by name: the code behind a contract's declarative ``strict`` list.

Each kind turns a ``StrictRule`` into a function ``(document, context) →
[(parts, message)]``. Locations use pointer patterns: ``/stats/*/total_*``
where a segment may hold shell-style wildcards, matching object keys and
array indices alike.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from .draft7 import Parts, parts_from_pointer
from .model import StrictRule

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Finding = tuple[Parts, str]


@dataclass
class Context:
    """What a rule may need beyond the document: objects that had duplicate keys."""

    duplicates: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)


RuleFn = Callable[[Any, Context], list[Finding]]


# -- pointer patterns -------------------------------------------------------------


class PointerPattern:
    """A JSON Pointer whose segments may hold ``*`` / ``?`` / ``[...]`` wildcards."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.segments: list[tuple[str, re.Pattern[str] | None]] = []
        for part in parts_from_pointer(pattern):
            if any(c in part for c in "*?["):
                self.segments.append((part, re.compile(fnmatch.translate(part))))
            else:
                self.segments.append((part, None))

    def select(self, document: Any) -> Iterator[tuple[Parts, Any]]:
        """Every (parts, value) in ``document`` that the pattern matches."""
        stack: list[tuple[int, Parts, Any]] = [(0, (), document)]
        segments = self.segments
        while stack:
            depth, parts, value = stack.pop()
            if depth == len(segments):
                yield parts, value
                continue
            literal, rx = segments[depth]
            t = type(value)
            if t is dict:
                if rx is None:
                    if literal in value:
                        stack.append((depth + 1, parts + (literal,), value[literal]))
                else:
                    for key in reversed(list(value)):
                        if rx.match(key):
                            stack.append((depth + 1, parts + (key,), value[key]))
            elif t is list:
                if rx is None:
                    if literal.isdigit() and int(literal) < len(value):
                        i = int(literal)
                        stack.append((depth + 1, parts + (i,), value[i]))
                else:
                    for i in range(len(value) - 1, -1, -1):
                        if rx.match(str(i)):
                            stack.append((depth + 1, parts + (i,), value[i]))

    def matches(self, parts: Parts) -> bool:
        if len(parts) != len(self.segments):
            return False
        for part, (literal, rx) in zip(parts, self.segments):
            text = str(part)
            if rx is None:
                if text != literal:
                    return False
            elif not rx.match(text):
                return False
        return True


def _is_int(x: Any) -> bool:
    t = type(x)
    return t is int or (t is float and x.is_integer())


def _patterns(rule: StrictRule) -> list[PointerPattern]:
    return [PointerPattern(p) for p in rule.options.get("at", ())]


# -- kinds ------------------------------------------------------------------------

KINDS: dict[str, Callable[[StrictRule], RuleFn]] = {}


def kind(name: str) -> Callable[[Callable[[StrictRule], RuleFn]], Callable[[StrictRule], RuleFn]]:
    def register(fn: Callable[[StrictRule], RuleFn]) -> Callable[[StrictRule], RuleFn]:
        KINDS[name] = fn
        return fn

    return register


_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:(Z)|([+-])(\d{2}):?(\d{2}))\Z"
)


def parse_iso_datetime(text: str) -> datetime | None:
    """ISO-8601 date-time with an offset (``Z`` or ``±hh:mm``); None when it is not one."""
    m = _ISO_DATETIME.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = m.groups()
    try:
        offset = timedelta(0)
        if not zulu:
            if int(oh) > 23 or int(om) > 59:
                return None
            offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro,
                        tzinfo=timezone(offset))
    except ValueError:
        return None


@kind("datetime")
def _datetime(rule: StrictRule) -> RuleFn:
    patterns = _patterns(rule)

    def run(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                if type(value) is str and parse_iso_datetime(value) is None:
                    out.append((parts, f"{value!r} is not an ISO-8601 date-time with an offset"))
        return out

    return run


@kind("minimum")
def _minimum(rule: StrictRule) -> RuleFn:
    patterns = _patterns(rule)
    bound = rule.options["minimum"]

    def run(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                t = type(value)
                if (t is int or t is float) and value < bound:
                    out.append((parts, f"{value!r} is less than {bound}"))
        return out

    return run


@kind("int64")
def _int64(rule: StrictRule) -> RuleFn:
    def run(doc: Any, ctx: Context) -> list[Finding]:
        out: list[Finding] = []
        stack: list[tuple[Parts, Any]] = [((), doc)]
        while stack:
            parts, value = stack.pop()
            t = type(value)
            if t is dict:
                stack.extend((parts + (k,), v) for k, v in value.items())
            elif t is list:
                stack.extend((parts + (i,), v) for i, v in enumerate(value))
            elif (t is int or (t is float and value == value and abs(value) != float("inf") and value.is_integer())) \
                    and not INT64_MIN <= value <= INT64_MAX:
                out.append((parts, f"{value!r} does not fit a signed 64-bit integer"))
        out.sort()
        return out

    return run


@kind("sum-equals")
def _sum_equals(rule: StrictRule) -> RuleFn:
    each = PointerPattern(rule.options["each"])
    list_key = rule.options["parts"]
    fields = tuple(rule.options["fields"])

    def run(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for parts, entity in each.select(doc):
            if type(entity) is not dict:
                continue
            items = entity.get(list_key)
            if type(items) is not list or not items or not all(type(i) is dict for i in items):
                continue
            for name in fields:
                total = entity.get(name)
                if not _is_int(total) or not all(_is_int(i.get(name)) for i in items):
                    continue
                added = sum(i[name] for i in items)
                if added != total:
                    out.append((parts + (name,), f"{list_key} add up to {added:g} for {name}, but {name} is {total:g}"
                                if isinstance(added, float) or isinstance(total, float) else
                                f"{list_key} add up to {added} for {name}, but {name} is {total}"))
        return out

    return run


@kind("min-length")
def _min_length(rule: StrictRule) -> RuleFn:
    patterns = _patterns(rule)
    least = rule.options["min"]

    def run(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                if type(value) is str and len(value.strip()) < least:
                    out.append((parts, f"{value!r} is empty or blank"))
        return out

    return run


@kind("min-items")
def _min_items(rule: StrictRule) -> RuleFn:
    patterns = _patterns(rule)
    least = rule.options["min"]

    def run(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                if type(value) is list and len(value) < least:
                    out.append((parts, f"has {len(value)} item(s), at least {least} expected"))
        return out

    return run


@kind("unique")
def _unique(rule: StrictRule) -> RuleFn:
    patterns = _patterns(rule)
    key = rule.options.get("key")

    def run(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                if type(value) is not list:
                    continue
                seen: dict[Any, int] = {}
                for i, item in enumerate(value):
                    if key is not None:
                        if type(item) is not dict or type(item.get(key)) is not str:
                            continue
                        name = item[key]
                        where = parts + (i, key)
                    else:
                        if type(item) is not str:
                            continue
                        name = item
                        where = parts + (i,)
                    if name in seen:
                        out.append((where, f"{name!r} already appears at index {seen[name]}"))
                    else:
                        seen[name] = i
        return out

    return run


@kind("no-duplicate-keys")
def _no_duplicate_keys(rule: StrictRule) -> RuleFn:
    def run(doc: Any, ctx: Context) -> list[Finding]:
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

    return run


def compile_rule(rule: StrictRule) -> RuleFn:
    try:
        factory = KINDS[rule.kind]
    except KeyError:
        raise ValueError(f"unknown strict rule kind {rule.kind!r}") from None
    return factory(rule)
