"""The mutation catalogue's machinery: values that break a constraint and the _apply_* functions, by kind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from hypothesis import strategies as st

from ..datetimes import parse_iso_datetime
from ..ecma import matcher
from ..pointers import pointer_from_parts
from ..rules import INT64_MAX
from ._data import _ODD_TIMES
from ._schema import (
    Draw,
    Loc,
    _allowed,
    _copy,
    _freeze,
    _is_single_line,
    _json_type,
    _Node,
)
from ._values import Mutation, StrategyError

if TYPE_CHECKING:
    from ._engines import _Engine


# -- applying mutations -----------------------------------------------------------------------------

Applied = tuple[Any, list[tuple[tuple[Any, ...], str]], "tuple[tuple[Any, ...], str] | None"]

_TYPE_SAMPLES: tuple[Any, ...] = (12345.67, "300", None, True, [], {}, 42, 0.5)


def _type_breakers(node: _Node) -> list[Any]:
    """Replacement values of another JSON type, harmless to every strict rule (positive, 64-bit)."""
    types = node.types
    ordered = list(_TYPE_SAMPLES)
    if "object" in types:
        ordered = [[], "", None, 0] + ordered  # PHP encodes an empty associative array as []
    if "array" in types:
        ordered = [{}, "customers.csv", None] + ordered
    if "string" in types:
        ordered = [20190312, None, ["a.csv"]] + ordered
    out = [v for v in _unique(ordered) if not _allowed(node.types, v)]
    # a number beyond minimum/maximum would break those too: keep the label exact
    return [v for v in out if _json_type(v) not in ("integer", "number")
            or ((node.minimum is None or v >= node.minimum) and (node.maximum is None or v <= node.maximum))]


def _unique(values: Sequence[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for v in values:
        k = _freeze(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


_BREAK_LINES = ("\r", "\n", "\r\n", "\u2028", "\u2029")


def _pattern_breakers(pattern: str) -> list[str]:
    """Strings that do not match ``pattern`` under ECMA-262 rules (the spec's, and the checker's)."""
    if _is_single_line(pattern):
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


def _apply_type(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    node = engine.node_at(m._loc)
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    value = draw(st.sampled_from(_type_breakers(node)))
    expected = [(parts, "type")]
    if node.enum is not None:
        expected.append((parts, "enum"))
    return _set(doc, parts, _copy(value)), expected, None


def _apply_pattern(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    node = engine.node_at(m._loc)
    assert node.pattern is not None
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    if _is_single_line(node.pattern):
        old = _get(doc, parts)
        keep = old if isinstance(old, str) and old.strip() else "Palermo"
        brk = draw(st.sampled_from(_BREAK_LINES))
        # a CRLF file leaves "\r" at the end of its last column; the rest break inside or after
        value = draw(st.sampled_from((keep + brk, keep[:1] + brk + keep[1:] if len(keep) > 1 else brk + keep)))
    else:
        value = draw(st.sampled_from(_pattern_breakers(node.pattern)))
    expected = [(parts, "pattern")]
    for rule in engine.rules.at("datetime", m._loc):
        expected.append((parts, rule.id))  # a line break is never ISO-8601
    if node.enum is not None and value not in node.enum:
        expected.append((parts, "enum"))
    return _set(doc, parts, value), expected, None


def _apply_enum(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    node = engine.node_at(m._loc)
    assert node.enum is not None
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    candidates = [v for v in ("other", "CUSTOMERS", 7) if v not in node.enum and _allowed(node.types, v)]
    value = draw(st.sampled_from(candidates))
    return _set(doc, parts, value), [(parts, "enum")], None


def _apply_bound(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    bound = m._extra
    step = draw(st.integers(1, 1000))
    value = (bound - step if isinstance(bound, int) else bound - 0.5) if m._kind == "minimum" else (
        bound + step if isinstance(bound, int) else bound + 0.5)
    return _set(doc, parts, value), [(parts, m._kind)], None


def _apply_required(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    del _get(doc, parts[:-1])[parts[-1]]
    return doc, [(parts, "required")], None


def _apply_datetime(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    value = draw(st.sampled_from(tuple(t for t in _ODD_TIMES if parse_iso_datetime(t) is None)))
    return _set(doc, parts, value), [(parts, m.rule)], None


def _apply_minimum(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    k = draw(st.one_of(st.integers(1, 100), st.integers(1, 10**9)))
    part = engine.rules.part_of(m._loc)
    if part is not None:
        items = _get(doc, parts[:-2])
        i, name = parts[-2], parts[-1]
        j = 0 if i != 0 else 1
        items[j][name] += items[i][name] + k  # the neighbour takes the difference: the total still adds up
    return _set(doc, parts, -k), [(parts, m.rule)], None


def _apply_int64(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    value = draw(st.one_of(st.integers(INT64_MAX + 1, INT64_MAX + 1000), st.integers(INT64_MAX + 1, 2**70)))
    expected = [(parts, m.rule)]
    part = engine.rules.part_of(m._loc)
    doc = _set(doc, parts, value)
    if part is not None:
        # the total must still add up, so it grows past 64 bits too: two findings of the same rule
        entity = parts[:-3]
        total = entity + (parts[-1],)
        _set(doc, total, sum(item[parts[-1]] for item in _get(doc, parts[:-2])))
        expected.append((total, m.rule))
    return doc, expected, None


def _apply_min_length(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    return _set(doc, parts, draw(st.sampled_from(("", " ", "   ")))), [(parts, m.rule)], None


def _apply_min_items(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    least = next(int(r.options["min"]) for r in engine.rules.at("min-items", m._loc) if r.id == m.rule)
    return _set(doc, parts, _get(doc, parts)[: least - 1]), [(parts, m.rule)], None


def _apply_unique(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    keyed = m._loc[-1] != "*"
    array_loc = m._loc[:-2] if keyed else m._loc[:-1]
    at = _pick(draw, doc, array_loc)
    items = _get(doc, at)
    j = draw(st.integers(1, len(items) - 1))
    if keyed:
        key = m._loc[-1]
        items[j][key] = items[0][key]
        where = at + (j, key)
    else:
        items[j] = items[0]
        where = at + (j,)
    return doc, [(where, m.rule)], None


def _apply_sum(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    doc = _copy(doc)
    parts = _pick(draw, doc, m._loc)
    s = engine.rules.total_of(m._loc)
    assert s is not None
    added = sum(item[parts[-1]] for item in _get(doc, parts[:-1] + (s.parts,)))
    delta = draw(st.one_of(st.integers(1, 10), st.integers(1, max(1, min(10**9, INT64_MAX - added)))))
    return _set(doc, parts, added + delta), [(parts, m.rule)], None


def _apply_duplicate(engine: _Engine, m: Mutation, draw: Draw, doc: Any) -> Applied:
    parts = _pick(draw, doc, m._loc)
    return doc, [(parts, m.rule)], (parts[:-1], parts[-1])


_APPLY: dict[str, Callable[[_Engine, Mutation, Draw, Any], Applied]] = {
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
