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
    # values per pattern set, shared by the rules that look at the same places
    selected: dict[tuple[str, ...], list[Any]] = field(default_factory=dict)

    def values(self, patterns: list[PointerPattern]) -> list[Any]:
        key = tuple(p.pattern for p in patterns)
        found = self.selected.get(key)
        if found is None:
            found = [v for p in patterns for v in p.values(self.document)]
            self.selected[key] = found
        return found

    document: Any = None


RuleFn = Callable[[Any, Context], list[Finding]]


# -- pointer patterns -------------------------------------------------------------


_LITERAL, _ANY, _PREFIX, _GLOB = range(4)


class PointerPattern:
    """A JSON Pointer whose segments may hold ``*`` / ``?`` / ``[...]`` wildcards."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.segments: list[tuple[str, re.Pattern[str] | None]] = []
        # the same segments as plain operations for values(): the fast path without parts
        self._ops: list[tuple[int, str, re.Pattern[str] | None]] = []
        for part in parts_from_pointer(pattern):
            if any(c in part for c in "*?["):
                rx = re.compile(fnmatch.translate(part))
                self.segments.append((part, rx))
                if part == "*":
                    self._ops.append((_ANY, part, None))
                elif part.endswith("*") and not any(c in part[:-1] for c in "*?["):
                    self._ops.append((_PREFIX, part[:-1], rx))
                else:
                    self._ops.append((_GLOB, part, rx))
            else:
                self.segments.append((part, None))
                self._ops.append((_LITERAL, part, None))

    def values(self, document: Any) -> list[Any]:
        """The matched values only, level by level: what valid payloads pay for."""
        current = [document]
        for op, arg, rx in self._ops:
            found: list[Any] = []
            for value in current:
                t = type(value)
                if t is dict:
                    if op == _LITERAL:
                        if arg in value:
                            found.append(value[arg])
                    elif op == _ANY:
                        found.extend(value.values())
                    elif op == _PREFIX:
                        found.extend([v for k, v in value.items() if k.startswith(arg)])
                    else:
                        found.extend([v for k, v in value.items() if rx.match(k)])  # type: ignore[union-attr]
                elif t is list:
                    if op == _ANY:
                        found.extend(value)
                    elif op == _LITERAL:
                        if arg.isdigit() and int(arg) < len(value):
                            found.append(value[int(arg)])
                    else:
                        found.extend([v for i, v in enumerate(value) if rx.match(str(i))])  # type: ignore[union-attr]
            if not found:
                return found
            current = found
        return current

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


def _per_value(rule: StrictRule, all_ok: Callable[[list[Any]], bool],
               bad: Callable[[Any], str | None]) -> RuleFn:
    """A rule on each value at ``at``: ``all_ok`` on the bare values first (the fast path);
    only when it fails, walk again with pointers and ask ``bad`` about each value."""
    patterns = _patterns(rule)

    def run(doc: Any, ctx: Context) -> list[Finding]:
        values = ctx.values(patterns) if ctx.document is doc else [v for p in patterns for v in p.values(doc)]
        if not values:
            return []
        try:
            if all_ok(values):
                return []
        except TypeError:
            pass  # mixed types: the schema reports those; look value by value
        out = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                why = bad(value)
                if why is not None:
                    out.append((parts, why))
        return out

    return run


def _is_number(x: Any) -> bool:
    t = type(x)
    return t is int or t is float


@kind("datetime")
def _datetime(rule: StrictRule) -> RuleFn:
    def bad(value: Any) -> str | None:
        if type(value) is str and parse_iso_datetime(value) is None:
            return f"{value!r} is not an ISO-8601 date-time with an offset"
        return None

    return _per_value(rule, lambda values: all(bad(v) is None for v in values), bad)


@kind("minimum")
def _minimum(rule: StrictRule) -> RuleFn:
    bound = rule.options["minimum"]

    def bad(value: Any) -> str | None:
        if _is_number(value) and value < bound:
            return f"{value!r} is less than {bound}"
        return None

    return _per_value(rule, lambda values: min(values) >= bound, bad)


def _outside_int64(value: Any) -> str | None:
    t = type(value)
    if (t is int or (t is float and value == value and abs(value) != float("inf") and value.is_integer())) \
            and not INT64_MIN <= value <= INT64_MAX:
        return f"{value!r} does not fit a signed 64-bit integer"
    return None


@kind("int64")
def _int64(rule: StrictRule) -> RuleFn:
    if "at" in rule.options:
        return _per_value(rule, lambda values: INT64_MIN <= min(values) and max(values) <= INT64_MAX,
                          _outside_int64)

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
            else:
                why = _outside_int64(value)
                if why is not None:
                    out.append((parts, why))
        out.sort(key=lambda f: [str(p) for p in f[0]])
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
            if type(items) is not list or not items or set(map(type, items)) != {dict}:
                continue
            for name in fields:
                total = entity.get(name)
                if type(total) is not int and not (type(total) is float and total.is_integer()):
                    continue
                parts_values = [i.get(name) for i in items]
                kinds = set(map(type, parts_values))
                if not kinds <= {int, float} or (float in kinds and not all(type(v) is int or v.is_integer() for v in parts_values)):
                    continue
                added = sum(parts_values)
                if added != total:
                    out.append((parts + (name,), f"{list_key} add up to {added:g} for {name}, but {name} is {total:g}"
                                if isinstance(added, float) or isinstance(total, float) else
                                f"{list_key} add up to {added} for {name}, but {name} is {total}"))
        return out

    return run


@kind("min-length")
def _min_length(rule: StrictRule) -> RuleFn:
    least = rule.options["min"]

    def bad(value: Any) -> str | None:
        if type(value) is str and len(value.strip()) < least:
            return f"{value!r} is empty or blank"
        return None

    return _per_value(rule, lambda values: min(map(len, map(str.strip, values))) >= least, bad)


@kind("min-items")
def _min_items(rule: StrictRule) -> RuleFn:
    least = rule.options["min"]

    def bad(value: Any) -> str | None:
        if type(value) is list and len(value) < least:
            return f"has {len(value)} item(s), at least {least} expected"
        return None

    return _per_value(rule, lambda values: all(bad(v) is None for v in values), bad)


@kind("unique")
def _unique(rule: StrictRule) -> RuleFn:
    patterns = _patterns(rule)
    key = rule.options.get("key")

    def all_unique(doc: Any) -> bool:
        for pattern in patterns:
            for value in pattern.values(doc):
                if type(value) is not list:
                    continue
                if key is not None:
                    names = [i.get(key) for i in value if type(i) is dict]
                else:
                    names = value
                try:
                    if len(set(names)) != len(names):
                        return False
                except TypeError:  # unhashable items: look closer
                    return False
        return True

    def run(doc: Any, ctx: Context) -> list[Finding]:
        if all_unique(doc):
            return []
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
