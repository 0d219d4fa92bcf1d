"""Strict rule kinds, by name: the code behind a contract's declarative ``strict`` list.

Each kind turns a ``StrictRule`` into a ``CompiledRule``: called as
``(document, context) → [(parts, message)]`` it gives the findings; its quick
verdicts (a gate on the selected values, and an overlay JSON Schema a compiled
validator can check) only ever vouch that it finds nothing. Locations use
pointer patterns: ``/stats/*/total_*`` where a segment may hold shell-style
wildcards, matching object keys and array indices alike; ``compile_selector``
turns a set of them into one generated walk.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from .draft7 import Parts, parts_from_pointer
from .model import StrictRule

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Finding = tuple[Parts, str]


class Context:
    """What a rule may need beyond the document: objects that had duplicate keys, and the
    values already selected per pattern set (shared by the rules that look at the same places)."""

    __slots__ = ("duplicates", "selected", "document")

    def __init__(self, duplicates: list[tuple[dict[str, Any], list[str]]] | None = None) -> None:
        self.duplicates = duplicates if duplicates is not None else []
        self.selected: dict[tuple[str, ...], list[Any]] = {}
        self.document: Any = None

    def values(self, patterns: list[PointerPattern]) -> list[Any]:
        key = tuple(p.pattern for p in patterns)
        found = self.selected.get(key)
        if found is None:
            found = [v for p in patterns for v in p.values(self.document)]
            self.selected[key] = found
        return found


RuleFn = Callable[[Any, Context], list[Finding]]
Gate = Callable[[list[Any], Context], bool]


class CompiledRule:
    """A strict rule ready to run.

    ``rule(document, ctx)`` gives its findings: the one source of pointers and
    messages. ``gate``, when the kind has one, is a quick verdict on the values
    the rule's ``patterns`` select (all of them in one list): True promises that
    the rule finds nothing there; False only means "look closer". Valid payloads,
    the common case, pay for the gate alone.
    """

    __slots__ = ("run", "patterns", "gate", "overlay")

    def __init__(self, run: RuleFn, patterns: tuple[str, ...] = (), gate: Gate | None = None,
                 overlay: dict[str, Any] | None = None) -> None:
        self.run = run
        self.patterns = patterns
        self.gate = gate
        # a JSON Schema every selected value meets when the rule finds nothing there (and
        # only then): lets a compiled validator give the gate's verdict
        self.overlay = overlay

    def __call__(self, document: Any, ctx: Context) -> list[Finding]:
        return self.run(document, ctx)


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



# -- one walk for many patterns -----------------------------------------------------
# A contract's rules look at a handful of places (/processingtime, /stats/*/total_*,
# ...). Walking the document once per pattern costs more than the rules themselves,
# so the patterns of a scope are merged into a trie and compiled into one Python
# function that walks the document once and returns the values of every pattern.


class _Node:
    __slots__ = ("children", "ends")

    def __init__(self) -> None:
        self.children: dict[tuple[int, str], _Node] = {}
        self.ends: list[int] = []


def compile_selector(patterns: list[str]) -> Callable[[Any], list[list[Any]]]:
    """``select(document)`` → one list per pattern: the values ``PointerPattern(p).values`` gives
    (the same values; the order may differ where patterns share a wildcard)."""
    root = _Node()
    for index, pattern in enumerate(patterns):
        node = root
        for op, arg, _ in PointerPattern(pattern)._ops:
            node = node.children.setdefault((op, arg), _Node())
        node.ends.append(index)
    namespace: dict[str, Any] = {"_M": _MISSING_VALUE}
    lines = ["def select(v0):"]
    lines += [f"    r{i} = []" for i in range(len(patterns))]
    _emit(root, 0, 1, lines, namespace)
    lines.append("    return [" + ", ".join(f"r{i}" for i in range(len(patterns))) + "]")
    exec(compile("\n".join(lines), f"<selector {patterns!r}>", "exec"), namespace)
    return namespace["select"]


_MISSING_VALUE = object()


def _emit(node: _Node, depth: int, indent: int, lines: list[str], namespace: dict[str, Any]) -> None:
    pad = "    " * indent
    var, child = f"v{depth}", f"v{depth + 1}"
    for index in node.ends:
        lines.append(f"{pad}r{index}.append({var})")
    if not node.children:
        return
    literals = [(arg, sub) for (op, arg), sub in node.children.items() if op == _LITERAL]
    wild = [(op, arg, sub) for (op, arg), sub in node.children.items() if op != _LITERAL]
    only_any = all(op == _ANY for op, _, _ in wild)  # no key to look at: iterate the values alone
    lines.append(f"{pad}t{depth} = type({var})")
    lines.append(f"{pad}if t{depth} is dict:")
    for arg, sub in literals:
        lines.append(f"{pad}    {child} = {var}.get({arg!r}, _M)")
        lines.append(f"{pad}    if {child} is not _M:")
        _emit(sub, depth + 1, indent + 2, lines, namespace)
    if wild:
        lines.append(f"{pad}    for {child} in {var}.values():" if only_any
                     else f"{pad}    for k{depth}, {child} in {var}.items():")
        _emit_wild(wild, depth, indent + 2, lines, namespace)
    digit_literals = [(arg, sub) for arg, sub in literals if arg.isdigit()]
    if digit_literals or wild:
        lines.append(f"{pad}elif t{depth} is list:")
        for arg, sub in digit_literals:
            lines.append(f"{pad}    if {int(arg)} < len({var}):")
            lines.append(f"{pad}        {child} = {var}[{int(arg)}]")
            _emit(sub, depth + 1, indent + 2, lines, namespace)
        if wild:
            if only_any:
                lines.append(f"{pad}    for {child} in {var}:")
            else:
                lines.append(f"{pad}    for i{depth}, {child} in enumerate({var}):")
                lines.append(f"{pad}        k{depth} = str(i{depth})")
            _emit_wild(wild, depth, indent + 2, lines, namespace)


def _emit_wild(wild: list[tuple[int, str, _Node]], depth: int, indent: int, lines: list[str],
               namespace: dict[str, Any]) -> None:
    pad = "    " * indent
    for op, arg, sub in wild:
        if op == _ANY:
            _emit(sub, depth + 1, indent, lines, namespace)
            continue
        if op == _PREFIX:
            lines.append(f"{pad}if k{depth}.startswith({arg!r}):")
        else:
            name = f"rx{len(namespace)}"
            namespace[name] = re.compile(fnmatch.translate(arg))
            lines.append(f"{pad}if {name}.match(k{depth}):")
        _emit(sub, depth + 1, indent + 1, lines, namespace)


def _patterns(rule: StrictRule) -> list[PointerPattern]:
    return [PointerPattern(p) for p in rule.options.get("at", ())]


# -- kinds ------------------------------------------------------------------------

Factory = Callable[[StrictRule], CompiledRule]
KINDS: dict[str, Factory] = {}


def kind(name: str) -> Callable[[Factory], Factory]:
    def register(fn: Factory) -> Factory:
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


def _values_at(patterns: list[PointerPattern], doc: Any, ctx: Context) -> list[Any]:
    return ctx.values(patterns) if ctx.document is doc else [v for p in patterns for v in p.values(doc)]


def _per_value(rule: StrictRule, all_ok: Callable[[list[Any]], bool],
               bad: Callable[[Any], str | None], overlay: dict[str, Any] | None = None,
               judged: tuple[type, ...] | None = None) -> CompiledRule:
    """A rule on each value at ``at``: ``all_ok`` on the bare values first (the fast path);
    only when it fails, walk again with pointers and ask ``bad`` about each value.

    ``judged``: the only types ``bad`` ever objects to. When the values mix in others
    (a string where the schema wants a number: the schema reports that), ``all_ok``
    judges the values of those types alone instead of giving up.
    """
    patterns = _patterns(rule)

    def ok(values: list[Any]) -> bool:
        try:
            return all_ok(values)
        except TypeError:
            if judged is None:
                return False
        mine = [v for v in values if type(v) in judged]
        try:
            return not mine or all_ok(mine)
        except TypeError:
            return False

    def run(doc: Any, ctx: Context) -> list[Finding]:
        values = _values_at(patterns, doc, ctx)
        if not values or ok(values):
            return []
        out = []
        for pattern in patterns:
            for parts, value in pattern.select(doc):
                why = bad(value)
                if why is not None:
                    out.append((parts, why))
        return out

    def gate(values: list[Any], ctx: Context) -> bool:
        return not values or ok(values)

    return CompiledRule(run, tuple(p.pattern for p in patterns), gate, overlay)


def _is_number(x: Any) -> bool:
    t = type(x)
    return t is int or t is float


@kind("datetime")
def _datetime(rule: StrictRule) -> CompiledRule:
    def bad(value: Any) -> str | None:
        if type(value) is str and parse_iso_datetime(value) is None:
            return f"{value!r} is not an ISO-8601 date-time with an offset"
        return None

    return _per_value(rule, lambda values: all(bad(v) is None for v in values), bad)


@kind("minimum")
def _minimum(rule: StrictRule) -> CompiledRule:
    bound = rule.options["minimum"]

    def bad(value: Any) -> str | None:
        if _is_number(value) and value < bound:
            return f"{value!r} is less than {bound}"
        return None

    return _per_value(rule, lambda values: min(values) >= bound, bad, {"minimum": bound}, judged=(int, float))


def _outside_int64(value: Any) -> str | None:
    t = type(value)
    if (t is int or (t is float and value == value and abs(value) != float("inf") and value.is_integer())) \
            and not INT64_MIN <= value <= INT64_MAX:
        return f"{value!r} does not fit a signed 64-bit integer"
    return None


@kind("int64")
def _int64(rule: StrictRule) -> CompiledRule:
    if "at" in rule.options:
        return _per_value(rule, lambda values: INT64_MIN <= min(values) and max(values) <= INT64_MAX,
                          _outside_int64, {"minimum": INT64_MIN, "maximum": INT64_MAX}, judged=(int, float))

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

    return CompiledRule(run)  # the whole document: no quicker verdict than the walk itself


@kind("sum-equals")
def _sum_equals(rule: StrictRule) -> CompiledRule:
    each = PointerPattern(rule.options["each"])
    list_key = rule.options["parts"]
    fields = tuple(rule.options["fields"])

    def mismatches(entity: Any) -> Iterator[tuple[str, Any, Any]]:
        """(field, what the parts add up to, the total) where they differ; figures of the wrong
        type are the schema's to report, so an entity or field with one is not summed."""
        if type(entity) is not dict:
            return
        items = entity.get(list_key)
        if type(items) is not list or not items or set(map(type, items)) != {dict}:
            return
        for name in fields:
            total = entity.get(name)
            if type(total) is not int and not (type(total) is float and total.is_integer()):
                continue
            parts_values = [i.get(name) for i in items]
            try:
                added = sum(parts_values)
            except TypeError:  # a missing figure, a string: not numbers
                continue
            if added == total:
                continue
            kinds = set(map(type, parts_values))
            if not kinds <= {int, float} or (float in kinds and not all(type(v) is int or v.is_integer()
                                                                       for v in parts_values)):
                continue
            yield name, added, total

    def run(doc: Any, ctx: Context) -> list[Finding]:
        out = []
        for parts, entity in each.select(doc):
            for name, added, total in mismatches(entity):
                out.append((parts + (name,), f"{list_key} add up to {added:g} for {name}, but {name} is {total:g}"
                            if isinstance(added, float) or isinstance(total, float) else
                            f"{list_key} add up to {added} for {name}, but {name} is {total}"))
        return out

    def gate(entities: list[Any], ctx: Context) -> bool:
        return not any(True for entity in entities for _ in mismatches(entity))

    return CompiledRule(run, (each.pattern,), gate)


@kind("min-length")
def _min_length(rule: StrictRule) -> CompiledRule:
    least = rule.options["min"]

    def bad(value: Any) -> str | None:
        if type(value) is str and len(value.strip()) < least:
            return f"{value!r} is empty or blank"
        return None

    # at least one character str.strip() keeps: an ECMA-262 class of everything but its whitespace
    overlay = {"pattern": _NOT_STRIPPED} if least == 1 else None
    return _per_value(rule, lambda values: min(map(len, map(str.strip, values))) >= least, bad, overlay,
                      judged=(str,))


@kind("min-items")
def _min_items(rule: StrictRule) -> CompiledRule:
    least = rule.options["min"]

    def bad(value: Any) -> str | None:
        if type(value) is list and len(value) < least:
            return f"has {len(value)} item(s), at least {least} expected"
        return None

    overlay = {"minItems": least} if type(least) is int and least >= 0 else None
    return _per_value(rule, lambda values: all(bad(v) is None for v in values), bad, overlay)


@kind("unique")
def _unique(rule: StrictRule) -> CompiledRule:
    patterns = _patterns(rule)
    key = rule.options.get("key")

    def gate(values: list[Any], ctx: Context) -> bool:
        for value in values:
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
        if gate(_values_at(patterns, doc, ctx), ctx):
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

    # uniqueItems tells strings apart exactly as a set does, and only strings are compared without a key
    return CompiledRule(run, tuple(p.pattern for p in patterns), gate, {"uniqueItems": True} if key is None else None)


@kind("no-duplicate-keys")
def _no_duplicate_keys(rule: StrictRule) -> CompiledRule:
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

    return CompiledRule(run, (), lambda values, ctx: not ctx.duplicates)


# What str.strip() removes (every c with chr(c).isspace()), as an ECMA-262 class; a test keeps it true.
_NOT_STRIPPED = ("[^\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029"
                 "\\u202f\\u205f\\u3000]")


def overlay_at(pattern: str, leaf: dict[str, Any]) -> dict[str, Any] | None:
    """A JSON Schema that applies ``leaf`` at every place ``pattern`` selects (objects' keys and
    arrays' indices alike), or None where JSON Schema cannot say which places those are."""
    schema: dict[str, Any] = leaf
    for op, arg, _ in reversed(PointerPattern(pattern)._ops):
        if op == _LITERAL:
            step: dict[str, Any] = {"properties": {arg: schema}}
            if arg.isdigit():
                if arg != str(int(arg)) or int(arg) > 1000:
                    return None
                step["items"] = [True] * int(arg) + [schema]
            schema = step
        elif op == _ANY:
            schema = {"additionalProperties": schema, "items": schema}
        elif op == _PREFIX and not arg.isdigit():  # no array index starts with a non-digit
            schema = {"patternProperties": {"^" + "".join("\\" + c if c in _ECMA_SYNTAX else c for c in arg): schema}}
        else:
            return None
    return schema


_ECMA_SYNTAX = set("\\^$.|?*+()[]{}/")
_BY_NAME = ("properties", "patternProperties")
# both bounds hold where the tighter one does
_TIGHTEST: dict[str, Callable[[Any, Any], Any]] = {"minimum": max, "exclusiveMinimum": max, "minItems": max,
                                                   "minLength": max, "maximum": min, "exclusiveMaximum": min}


def merge_overlays(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    """One schema that holds where all of ``schemas`` (from ``overlay_at``) hold, with shared paths
    merged, so a validator walks each place once instead of once per rule."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        merged = _merge(merged, schema)
    return merged


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key in _BY_NAME:
            names = dict(out[key])
            for name, sub in value.items():
                names[name] = _merge(names[name], sub) if name in names else sub
            out[key] = names
        elif key in ("items", "additionalProperties") and type(out[key]) is dict and type(value) is dict:
            out[key] = _merge(out[key], value)
        elif key in _TIGHTEST and _is_number(out[key]) and _is_number(value):
            out[key] = _TIGHTEST[key](out[key], value)
        elif key == "uniqueItems" and type(value) is bool:
            out[key] = out[key] is True or value
        else:  # the same keyword twice (two bounds, positional items): both must hold
            out.setdefault("allOf", []).append({key: value})
    if "additionalProperties" in out and any(k in out for k in _BY_NAME):
        # additionalProperties would skip the names properties and patternProperties list
        every = out.pop("additionalProperties")
        by_pattern = dict(out.get("patternProperties", {}))
        by_pattern[""] = _merge(by_pattern[""], every) if "" in by_pattern else every
        out["patternProperties"] = by_pattern
    return out


def compile_rule(rule: StrictRule) -> CompiledRule:
    try:
        factory = KINDS[rule.kind]
    except KeyError:
        raise ValueError(f"unknown strict rule kind {rule.kind!r}") from None
    return factory(rule)
