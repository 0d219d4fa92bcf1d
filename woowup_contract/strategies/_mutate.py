"""The mutation catalogue: one entry per constraint of a schema tree, the plan each needs, and how each is applied."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from hypothesis import strategies as st

from ..ecma import matcher
from ..pointers import pointer_from_parts
from ..rules import INT64_MAX, PointerPattern, parse_iso_datetime
from ._data import ODD_TIMES
from ._rules import Plan, Rules, plan_for
from ._schema import Draw, Loc, Node, allowed, freeze, is_single_line, json_copy, json_type
from ._values import Mutation, StrategyError


# -- the catalogue ---------------------------------------------------------------------------------


def catalogue(root: Node, rules: Rules, *, strict: bool) -> Iterator[Mutation]:
    """Every entry: each node's schema constraints, then (``strict``) each strict rule wherever it applies."""
    for node in root.walk():
        yield from _schema_entries(node)
    if not strict:
        return
    for node in root.walk():
        yield from _strict_scalar_entries(node, rules)
        yield from _strict_array_entries(node, rules)
    for s in rules.sums:
        for name in s.fields:
            loc = s.entity + (name,)
            ptr = pointer_from_parts(loc)
            yield Mutation(ptr, s.rule.id, f"{ptr} differs from the sum of {s.parts}", "strict-sum", loc)
    yield from _duplicate_entries(root, rules)


def _schema_entries(node: Node) -> Iterator[Mutation]:
    ptr = pointer_from_parts(node.loc)
    shown = ptr or "the document"
    if node.types and type_breakers(node):
        yield Mutation(ptr, "type", f"{shown} is not of type {'/'.join(node.types)}", "type", node.loc)
    if node.pattern is not None and pattern_breakers(node.pattern):
        what = "holds a line break" if is_single_line(node.pattern) else f"does not match {node.pattern}"
        yield Mutation(ptr, "pattern", f"{shown} {what}", "pattern", node.loc)
    if node.enum is not None:
        yield Mutation(ptr, "enum", f"{shown} is not one of the enum values", "enum", node.loc)
    for kw, bound in (("minimum", node.minimum), ("maximum", node.maximum)):
        if bound is not None and set(node.types) <= {"integer", "number"}:
            yield Mutation(ptr, kw, f"{shown} is beyond its {kw} {bound}", kw, node.loc, bound)
    for name in node.required:
        child = node.loc + (name,)
        yield Mutation(pointer_from_parts(child), "required", f"{shown} lacks {name!r}", "required", child)


def _strict_scalar_entries(node: Node, rules: Rules) -> Iterator[Mutation]:
    loc, ptr = node.loc, pointer_from_parts(node.loc)
    ints = "integer" in node.types
    for rule in rules.at("datetime", loc):
        yield Mutation(ptr, rule.id, f"{ptr} is a date-time without ISO-8601 form or offset", "strict-datetime", loc)
    for rule in rules.at("minimum", loc) if ints else ():
        yield Mutation(ptr, rule.id, f"{ptr} is negative", "strict-minimum", loc)
    for rule in rules.int64(loc) if ints else ():
        yield Mutation(ptr, rule.id, f"{ptr} does not fit a signed 64-bit integer", "strict-int64", loc)
    for rule in rules.at("min-length", loc) if "string" in node.types else ():
        yield Mutation(ptr, rule.id, f"{ptr} is empty or blank", "strict-min-length", loc)


def _strict_array_entries(node: Node, rules: Rules) -> Iterator[Mutation]:
    if node.items is None:
        return
    loc, ptr = node.loc, pointer_from_parts(node.loc)
    for rule in rules.at("min-items", loc):
        yield Mutation(ptr, rule.id, f"{ptr} has too few items", "strict-min-items", loc)
    for rule in rules.at("unique", loc):
        key = rule.options.get("key")
        where = loc + ("*", key) if key else loc + ("*",)
        what = f"the same {key}" if key else "the same value"
        yield Mutation(pointer_from_parts(where), rule.id, f"two items of {ptr} have {what}", "strict-unique", where)


def _duplicate_entries(root: Node, rules: Rules) -> Iterator[Mutation]:
    """One repeated key per object in the scope of each no-duplicate-keys rule."""
    for prefix, rule in rules.scoped:
        if rule.kind != "no-duplicate-keys":
            continue
        scope = PointerPattern(prefix)
        for node in root.walk():
            in_scope = scope.matches(node.loc[:len(scope.segments)])
            if "object" not in node.types or not node.properties or not in_scope:
                continue
            key = node.required[0] if node.required else next(iter(node.properties))
            loc = node.loc + (key,)
            ptr = pointer_from_parts(loc)
            yield Mutation(ptr, rule.id, f"{pointer_from_parts(node.loc) or 'the document'} has the key "
                           f"{key!r} twice", "strict-duplicate", loc)


def plan_of(m: Mutation, rules: Rules) -> Plan:
    """What the base document must hold for ``m`` to apply (the value to break, items beside it)."""
    loc, kind = m.location, m.kind
    if kind in ("strict-minimum", "strict-int64"):
        part = rules.part_of(loc)
        total = rules.total_of(loc)
        if part is not None:
            return plan_for(loc, min_items={part.entity + (part.parts,): 2 if kind == "strict-minimum" else 1})
        if total is not None:
            return plan_for(loc, empty=[total.entity + (total.parts,)])
    if kind == "strict-sum":
        s = rules.total_of(loc)
        assert s is not None
        return plan_for(loc, min_items={s.entity + (s.parts,): 1})
    if kind == "strict-unique":
        array = loc[: len(loc) - (1 if loc[-1] == "*" else 2)]
        return plan_for(loc, min_items={array: 2})
    return plan_for(loc)


# -- applying mutations -----------------------------------------------------------------------------

Applied = tuple[Any, list[tuple[tuple[Any, ...], str]], "tuple[tuple[Any, ...], str] | None"]

_TYPE_SAMPLES: tuple[Any, ...] = (12345.67, "300", None, True, [], {}, 42, 0.5)


def type_breakers(node: Node) -> list[Any]:
    """Replacement values of another JSON type, harmless to every strict rule (positive, 64-bit)."""
    types = node.types
    ordered = list(_TYPE_SAMPLES)
    if "object" in types:
        ordered = [[], "", None, 0] + ordered  # PHP encodes an empty associative array as []
    if "array" in types:
        ordered = [{}, "customers.csv", None] + ordered
    if "string" in types:
        ordered = [20190312, None, ["a.csv"]] + ordered
    out = [v for v in _unique(ordered) if not allowed(node.types, v)]
    # a number beyond minimum/maximum would break those too: keep the label exact
    return [v for v in out if json_type(v) not in ("integer", "number")
            or ((node.minimum is None or v >= node.minimum) and (node.maximum is None or v <= node.maximum))]


def _unique(values: Sequence[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for v in values:
        k = freeze(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


_BREAK_LINES = ("\r", "\n", "\r\n", "\u2028", "\u2029")


def pattern_breakers(pattern: str) -> list[str]:
    """Strings that do not match ``pattern`` under ECMA-262 rules (the spec's, and the checker's)."""
    if is_single_line(pattern):
        return ["Palermo\r"]
    try:
        search = matcher(pattern)
    except ValueError:  # jsonschema-rs refuses the pattern: the loader reports it
        return []
    candidates = ["", " ", "Bad-Request", "\n", "ÿ", "0", "A B", "!", "x" * 300, "ok\n"]
    return [c for c in candidates if not search(c)]


def _concrete(document: Any, loc: Loc) -> list[tuple[Any, ...]]:
    """Every concrete path in ``document`` for a schema location (``*`` = each index)."""
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[int, tuple[Any, ...], Any]] = [(0, (), document)]
    while stack:
        depth, parts, value = stack.pop()
        if depth == len(loc):
            found.append(parts)
            continue
        seg = loc[depth]
        if seg == "*":
            if type(value) is list:
                stack.extend((depth + 1, parts + (i,), v) for i, v in reversed(list(enumerate(value))))
        elif type(value) is dict and seg in value:
            stack.append((depth + 1, parts + (seg,), value[seg]))
    return found


def _get(document: Any, parts: Sequence[Any]) -> Any:
    for p in parts:
        document = document[p]
    return document


def _set(document: Any, parts: Sequence[Any], value: Any) -> Any:
    if not parts:
        return value
    _get(document, parts[:-1])[parts[-1]] = value
    return document


def _pick(draw: Draw, document: Any, loc: Loc) -> tuple[Any, ...]:
    options = _concrete(document, loc)
    if not options:
        raise StrategyError(f"internal: no {pointer_from_parts(loc)} in the base document")  # plan guarantees one
    return options[0] if len(options) == 1 else draw(st.sampled_from(options))


def _apply_type(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    node = root.at(m.location)
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    value = draw(st.sampled_from(type_breakers(node)))
    expected = [(parts, "type")]
    if node.enum is not None:
        expected.append((parts, "enum"))
    return _set(doc, parts, json_copy(value)), expected, None


def _apply_pattern(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    node = root.at(m.location)
    assert node.pattern is not None
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    if is_single_line(node.pattern):
        old = _get(doc, parts)
        keep = old if isinstance(old, str) and old.strip() else "Palermo"
        brk = draw(st.sampled_from(_BREAK_LINES))
        # a CRLF file leaves "\r" at the end of its last column; the rest break inside or after
        value = draw(st.sampled_from((keep + brk, keep[:1] + brk + keep[1:] if len(keep) > 1 else brk + keep)))
    else:
        value = draw(st.sampled_from(pattern_breakers(node.pattern)))
    expected = [(parts, "pattern")]
    for rule in rules.at("datetime", m.location):
        expected.append((parts, rule.id))  # a line break is never ISO-8601
    if node.enum is not None and value not in node.enum:
        expected.append((parts, "enum"))
    return _set(doc, parts, value), expected, None


def _apply_enum(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    node = root.at(m.location)
    assert node.enum is not None
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    candidates = [v for v in ("other", "CUSTOMERS", 7) if v not in node.enum and allowed(node.types, v)]
    value = draw(st.sampled_from(candidates))
    return _set(doc, parts, value), [(parts, "enum")], None


def _apply_bound(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    bound = m.bound
    assert bound is not None
    step = draw(st.integers(1, 1000))
    value = (bound - step if isinstance(bound, int) else bound - 0.5) if m.kind == "minimum" else (
        bound + step if isinstance(bound, int) else bound + 0.5)
    return _set(doc, parts, value), [(parts, m.kind)], None


def _apply_required(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    del _get(doc, parts[:-1])[parts[-1]]
    return doc, [(parts, "required")], None


def _apply_datetime(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    value = draw(st.sampled_from(tuple(t for t in ODD_TIMES if parse_iso_datetime(t) is None)))
    return _set(doc, parts, value), [(parts, m.rule)], None


def _apply_minimum(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    k = draw(st.one_of(st.integers(1, 100), st.integers(1, 10**9)))
    part = rules.part_of(m.location)
    if part is not None:
        items = _get(doc, parts[:-2])
        i, name = parts[-2], parts[-1]
        j = 0 if i != 0 else 1
        items[j][name] += items[i][name] + k  # the neighbour takes the difference: the total still adds up
    return _set(doc, parts, -k), [(parts, m.rule)], None


def _apply_int64(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    value = draw(st.one_of(st.integers(INT64_MAX + 1, INT64_MAX + 1000), st.integers(INT64_MAX + 1, 2**70)))
    expected = [(parts, m.rule)]
    part = rules.part_of(m.location)
    doc = _set(doc, parts, value)
    if part is not None:
        # the total must still add up, so it grows past 64 bits too: two findings of the same rule
        entity = parts[:-3]
        total = entity + (parts[-1],)
        _set(doc, total, sum(item[parts[-1]] for item in _get(doc, parts[:-2])))
        expected.append((total, m.rule))
    return doc, expected, None


def _apply_min_length(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    return _set(doc, parts, draw(st.sampled_from(("", " ", "   ")))), [(parts, m.rule)], None


def _apply_min_items(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    least = next(int(r.options["min"]) for r in rules.at("min-items", m.location) if r.id == m.rule)
    return _set(doc, parts, _get(doc, parts)[: least - 1]), [(parts, m.rule)], None


def _apply_unique(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    keyed = m.location[-1] != "*"
    array_loc = m.location[:-2] if keyed else m.location[:-1]
    at = _pick(draw, doc, array_loc)
    items = _get(doc, at)
    j = draw(st.integers(1, len(items) - 1))
    if keyed:
        key = m.location[-1]
        items[j][key] = items[0][key]
        where = at + (j, key)
    else:
        items[j] = items[0]
        where = at + (j,)
    return doc, [(where, m.rule)], None


def _apply_sum(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = json_copy(doc)
    parts = _pick(draw, doc, m.location)
    s = rules.total_of(m.location)
    assert s is not None
    added = sum(item[parts[-1]] for item in _get(doc, parts[:-1] + (s.parts,)))
    delta = draw(st.one_of(st.integers(1, 10), st.integers(1, max(1, min(10**9, INT64_MAX - added)))))
    return _set(doc, parts, added + delta), [(parts, m.rule)], None


def _apply_duplicate(root: Node, rules: Rules, m: Mutation, draw: Draw, doc: Any) -> Applied:
    parts = _pick(draw, doc, m.location)
    return doc, [(parts, m.rule)], (parts[:-1], parts[-1])


APPLY: dict[str, Callable[[Node, Rules, Mutation, Draw, Any], Applied]] = {
    "type": _apply_type,
    "pattern": _apply_pattern,
    "enum": _apply_enum,
    "minimum": _apply_bound,
    "maximum": _apply_bound,
    "required": _apply_required,
    "strict-datetime": _apply_datetime,
    "strict-minimum": _apply_minimum,
    "strict-int64": _apply_int64,
    "strict-min-length": _apply_min_length,
    "strict-min-items": _apply_min_items,
    "strict-unique": _apply_unique,
    "strict-sum": _apply_sum,
    "strict-duplicate": _apply_duplicate,
}
