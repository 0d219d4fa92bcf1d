"""The builder: Node tree → Hypothesis strategy, scalar fields decoded from one byte block per object."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Sequence

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..ecma import matcher, python_regex
from ..model import StrictRule
from ..rules import INT64_MAX, INT64_MIN
from ._data import (
    ANY_JSON,
    CODES,
    MESSAGES,
    ODD_STRINGS,
    ODD_TIMES,
    WORDS,
    decode_branch,
    decode_connector,
    decode_file,
    decode_time,
)
from ._rules import Plan, Rules, Sum
from ._schema import Draw, Node, freeze, is_single_line, json_copy

MAX_BRANCHES = 50  # per ``per_branches`` list: the "0–50 branches" a retailer has


# -- building strategies from nodes -----------------------------------------------------------------


def _pick(words: Sequence[str], b: bytes) -> str:
    """One of ``words``, chosen by the first byte."""
    return words[b[0] % len(words)]


class Builder:
    """Node → strategy under one profile and one plan.

    Why bytes: a Hypothesis choice costs tens of microseconds, and a record
    has dozens of scalar fields. So the scalar fields of an object (and the
    presence of its optional keys) are decoded from one fixed-size byte
    block, one choice per object instead of one or two per field. Every
    decoder maps zero bytes to the simplest value (0, the first name, the
    base date, key absent) and grows with the bytes, so shrinking towards
    zero bytes still gives small, readable records.
    """

    def __init__(self, rules: Rules, strict: bool, plan: Plan, bound: int | None = None) -> None:
        self.rules = rules  # the strict rules of the profile (none under "official")
        self.strict = strict
        self.plan = plan
        self.bound = bound  # the parts of a per-branch sum stay at or under it, so totals fit 64 bits

    def value(self, node: Node) -> SearchStrategy[Any]:
        leaf = self.leaf(node)
        if leaf is not None:
            width, decode = leaf
            return st.binary(min_size=width, max_size=width).map(decode)
        types = node.types
        if types == ("object",):
            return self._object(node)
        if types == ("array",):
            return self._array(node)
        if types == ("string",):
            assert node.pattern is not None
            return st.from_regex(python_regex(node.pattern))
        return st.one_of([self.value(_retyped(node, t)) for t in types if not (t == "number" and "integer" in types)])

    # leaves: (width in bytes, decoder) --------------------------------------------------------

    def leaf(self, node: Node) -> Leaf | None:
        if node.enum is not None:
            options = node.enum
            return 1, lambda b: options[b[0] % len(options)]
        if not node.types:
            return 1, lambda b: json_copy(ANY_JSON[b[0] % len(ANY_JSON)])
        if len(node.types) != 1:
            return None
        t = node.types[0]
        if t == "integer":
            return self._integer(node)
        if t == "number":
            width, decode = self._integer(node)
            lo, hi = node.minimum, node.maximum
            return width + 1, lambda b: _clamp(decode(b[1:]) + (b[0] % 100) / 100 if b[0] >= 128 else decode(b[1:]),
                                                lo, hi)
        if t == "boolean":
            return 1, lambda b: bool(b[0] & 1)
        if t == "null":
            return 0, lambda b: None
        if t == "string":
            return self._string(node)
        return None

    def _integer(self, node: Node) -> Leaf:
        loc = node.loc
        lo = node.minimum
        hi = node.maximum
        strict_bounds = False
        for rule in self.rules.at("minimum", loc):
            bound = rule.options["minimum"]
            lo = bound if lo is None else max(lo, bound)
            strict_bounds = True
        if self.rules.int64(loc):
            lo = INT64_MIN if lo is None else max(lo, INT64_MIN)
            hi = INT64_MAX if hi is None else min(hi, INT64_MAX)
            strict_bounds = True
        if self.bound is not None:
            hi = self.bound if hi is None else min(hi, self.bound)
        lo_i = None if lo is None else (int(lo) if lo == int(lo) else int(lo) + 1)
        hi_i = None if hi is None else int(hi)
        floor = 0 if lo_i is None else max(lo_i, 0)
        top = INT64_MAX if hi_i is None else hi_i
        if floor > top:
            floor = lo_i if lo_i is not None else top
        scale = 10_000_000 if "revenue" in node.name else 5000
        edges = tuple(v for v in dict.fromkeys((floor, 0, 1, 2**31 - 1, 2**31, 2**53, top)) if floor <= v <= top)
        odd = not self.strict and not strict_bounds and lo is None and hi is None and self.bound is None
        negative = lo_i is not None and lo_i < 0
        span = top - floor

        def decode(b: bytes) -> int | float:
            mode = b[0]
            x = int.from_bytes(b[1:3], "big") / 65535
            if mode < 224:  # most counts are small, and 0 is common (failed counts usually are)
                return floor + min(span, int(x ** 4 * scale))
            if mode < 240:  # any magnitude up to the top
                return floor + min(span, int(2 ** (x * span.bit_length())) - 1)
            if mode < 248 or not (odd or negative):
                return edges[int.from_bytes(b[1:3], "big") % len(edges)]
            n = int.from_bytes(b[1:3], "big")
            if negative and not odd:
                return max(lo_i, -1 - n) if lo_i is not None else -1 - n  # negative: lo_i is set
            # the official schema allows these; a real API may not like them (see profile="strict")
            return (-1 - n, 2**63 + n * 7919, float(n % 5000))[mode % 3]

        return 3, decode

    def _string(self, node: Node) -> Leaf | None:
        loc, name = node.loc, node.name
        datetime_rule = bool(self.rules.at("datetime", loc))
        non_blank = bool(self.rules.at("min-length", loc)) or node.min_length > 0
        tame = self.strict or datetime_rule or non_blank
        if not is_single_line(node.pattern):
            assert node.pattern is not None
            return _vocabulary(node.pattern, name)
        width, decode, odd = _realistic_string(name, datetime_rule, non_blank)
        decode = _within_length(decode, node.min_length, node.max_length)
        if tame:
            return width, decode

        def decode_official(b: bytes) -> str:
            if b[0] >= 232:  # now and then what the official schema allows but nobody should send
                return odd[b[-1] % len(odd)]
            return decode(b[1:])

        return width + 1, decode_official

    # objects ----------------------------------------------------------------------------------

    def _flat(self, node: Node) -> Leaf | None:
        """(width, decoder) for a value made of scalars only: a leaf, or an object of leaves."""
        leaf = self.leaf(node)
        if leaf is not None or node.types != ("object",):
            return leaf
        width, build, has_complex = self._object_layout(node)
        return None if has_complex else (width, lambda b: build(b, None))

    def _object(self, node: Node) -> SearchStrategy[Any]:
        width, build, has_complex = self._object_layout(node)
        chunk = st.binary(min_size=width, max_size=width)
        if not has_complex:
            return chunk.map(lambda b: build(b, None))

        @st.composite
        def draw_object(draw: Draw) -> dict[str, Any]:
            return build(draw(chunk), draw)

        return draw_object()

    def _object_layout(self, node: Node) -> tuple[int, Callable[[bytes, Draw | None], dict[str, Any]], bool]:
        strict = self.strict
        sums = self.rules.sums_at(node.loc) if strict else _possible_sums(node)
        bounds = {s.parts: INT64_MAX // max(1, self._max_items(node.properties[s.parts])) for s in sums} \
            if strict else {}
        order = list(node.properties) + [n for n in node.required if n not in node.properties]
        extras = self._extras(node)
        fields = [f for f in (self._field(node, name, bounds) for name in order) if f is not None]
        fields.extend((k, False, leaf, None) for k, leaf in extras)
        width, build = _object_decoder(fields, sums, fix_sums=strict)
        return width, build, any(strategy is not None for *_, strategy in fields)

    def _extras(self, node: Node) -> list[tuple[str, Leaf]]:
        """Keys a real connector adds to the record beside the schema's (the official schema allows them)."""
        if self.strict or node.loc or node.closed:
            return []
        return [(k, leaf) for k, leaf in (("connector", (1, decode_connector)),
                                          ("version", (1, lambda b: "1.4.2"))) if k not in node.properties]

    def _field(self, node: Node, name: str, bounds: dict[str, int]) -> Field | None:
        """How property ``name`` of ``node`` is drawn (``None``: the plan leaves it out)."""
        child = node.properties.get(name)
        loc = node.loc + (name,)
        needed = name in node.required or loc in self.plan.present
        if loc in self.plan.empty:
            return (name, True, (0, lambda b: []), None) if needed else None
        if child is None:
            return name, needed, (1, lambda b: WORDS[b[0] % len(WORDS)]), None
        leaf = self.leaf(child)
        if leaf is not None:
            return name, needed, leaf, None
        if name in bounds:
            return name, needed, None, self._array(child, item_bound=bounds[name])
        return name, needed, None, self.value(child)

    # arrays -----------------------------------------------------------------------------------

    def _max_items(self, node: Node) -> int:
        if node.max_items is not None:
            return node.max_items
        if "*" in node.loc:
            return 5  # lists inside the items of a list (records of a page) stay short: a page stays small
        name = node.name
        if name == "per_branches" or name == "branches":
            return MAX_BRANCHES
        if name == "files":
            return 12
        if not node.loc:
            return 25  # a page of GET /v1/logs
        return 10

    def _array(self, node: Node, *, item_bound: int | None = None) -> SearchStrategy[Any]:
        items = node.items if node.items is not None else Node(node.loc + ("*",))
        builder = self if item_bound is None else Builder(self.rules, self.strict, self.plan, item_bound)
        lo = max(node.min_items, self.plan.items_at_least(node.loc))
        for rule in self.rules.at("min-items", node.loc):
            lo = max(lo, int(rule.options["min"]))
        hi = max(lo, self._max_items(node))
        unique_key: Any = None
        unique_plain = node.unique
        for rule in self.rules.at("unique", node.loc):
            key = rule.options.get("key")
            if key is None:
                unique_plain = True
            else:
                unique_key = key
        unique_by: Callable[[Any], Any] | None = None
        if unique_key is not None:
            unique_by = lambda item, k=unique_key: item.get(k) if type(item) is dict else freeze(item)  # noqa: E731
        elif unique_plain:
            unique_by = freeze
        flat = builder._flat(items)
        if flat is None:
            unique: dict[str, Any] = {"unique_by": unique_by} if unique_by is not None else {}
            return st.lists(builder.value(items), min_size=lo, max_size=hi, **unique)
        return _flat_list(flat, lo, hi, unique_by, big=hi >= 20 and bool(node.loc) and "*" not in node.loc)


Leaf = tuple[int, Callable[[bytes], Any]]  # a scalar: (width in bytes, decoder)
# a property: (name, always present, its leaf or else its strategy)
Field = tuple[str, bool, Leaf | None, SearchStrategy[Any] | None]


def _vocabulary(pattern: str, name: str) -> Leaf | None:
    """A multi-line pattern's leaf: the realistic words that match it (``None``: drawn with st.from_regex)."""
    search = matcher(pattern)
    vocabulary = {"message": MESSAGES, "code": CODES}.get(name, ())
    fits = tuple(v for v in vocabulary if search(v))
    if not fits:
        return None
    return 1, lambda b: fits[b[0] % len(fits)]


def _realistic_string(name: str, datetime_rule: bool, non_blank: bool
                      ) -> tuple[int, Callable[[bytes], Any], tuple[str, ...]]:
    """(width, decoder, odd values the official schema allows) for a single-line string, by its name."""
    if datetime_rule or name in ("processingtime", "createtime", "processedtime"):
        return 4, decode_time, ODD_TIMES
    if name == "files":
        return 4, decode_file, ODD_STRINGS
    if name == "branch":
        return 2, decode_branch, ODD_STRINGS
    if name in ("message", "code"):
        return 1, partial(_pick, MESSAGES if name == "message" else CODES), ODD_STRINGS
    pool = WORDS if not non_blank else tuple(w for w in WORDS if w.strip())
    return 1, partial(_pick, pool), ODD_STRINGS


def _within_length(decode: Callable[[bytes], Any], lo: int, hi: int | None) -> Callable[[bytes], Any]:
    """``decode``, its strings padded to ``minLength`` and cut at ``maxLength``."""
    if not lo and hi is None:
        return decode
    pad = "x" * lo

    def fit(b: bytes) -> str:
        s = decode(b)
        s = s if len(s) >= lo else s + pad[len(s):]
        return s if hi is None else s[:hi]

    return fit


def _object_decoder(fields: list[Field], sums: Sequence[Sum], *, fix_sums: bool
                    ) -> tuple[int, Callable[[bytes, Draw | None], dict[str, Any]]]:
    """(width, build) of an object: a head of presence bits, then each leaf's bytes; other values drawn.

    The last presence bit (official profile, where sums apply) says whether the
    per-branch figures are made to add up; ``fix_sums`` makes them always add up.
    """
    optional = [i for i, f in enumerate(fields) if not f[1]]
    flags = len(optional) + (1 if sums and not fix_sums else 0)
    head = (flags + 7) // 8
    width = head + sum(f[2][0] for f in fields if f[2] is not None)

    def build(b: bytes, draw: Draw | None) -> dict[str, Any]:
        present = [True] * len(fields)
        for bit, i in enumerate(optional):
            present[i] = bool(b[bit // 8] >> (bit % 8) & 1)
        out: dict[str, Any] = {}
        at = head
        for i, (name, _, leaf, strategy) in enumerate(fields):
            if leaf is not None:
                w, decode = leaf
                if present[i]:
                    out[name] = decode(b[at:at + w])
                at += w
            elif present[i]:
                assert draw is not None and strategy is not None
                out[name] = draw(strategy)
        # official: the per-branch figures add up in about half the records (realistic, not required)
        if fix_sums or (sums and b[(flags - 1) // 8] >> ((flags - 1) % 8) & 1):
            for s in sums:
                _fix_sums(out, s.parts, s.fields)
        return out

    return width, build


def _flat_list(flat: Leaf, lo: int, hi: int, unique_by: Callable[[Any], Any] | None, *,
               big: bool) -> SearchStrategy[list[Any]]:
    """A list of scalar-only items, one choice per item: its first byte says whether the list goes on.

    About five items on average (the list stops when that byte is under 43);
    when the first byte is 250 or more, a long list (a retailer with 40–50 branches):
    then only a zero byte stops it. Lowering a byte to zero ends the list
    there, so shrinking shortens lists like Hypothesis' own.
    """
    width, decode = flat
    chunk = st.binary(min_size=width + 1, max_size=width + 1)

    @st.composite
    def draw_list(draw: Draw) -> list[Any]:
        out: list[Any] = []
        seen: set[Any] = set()
        stop_below = 43
        for attempt in range(hi * 3 + 10):
            if len(out) >= hi:
                break
            b = draw(chunk)
            if attempt == 0 and big and b[0] >= 250:
                stop_below = 1
            if len(out) >= lo and b[0] < stop_below:
                break
            value = decode(b[1:])
            if unique_by is not None:
                key = unique_by(value)
                if key in seen:
                    continue  # a repeated name: draw another, as st.lists(unique_by=...) does
                seen.add(key)
            out.append(value)
        assume(len(out) >= lo)
        return out

    return draw_list()


def _retyped(node: Node, t: str) -> Node:
    from dataclasses import replace

    return replace(node, types=(t,))


def _clamp(value: float, lo: float | None, hi: float | None) -> float:
    if lo is not None and value < lo:
        return lo
    if hi is not None and value > hi:
        return hi
    return value


def _possible_sums(node: Node) -> list[Sum]:
    """In the official profile: the per_branches lists whose figures may be made to add up (realism)."""
    items = node.properties.get("per_branches")
    if items is None or items.items is None:
        return []
    fields = tuple(f for f in node.properties if f.startswith("total_") and f in items.items.properties)
    return [Sum(StrictRule("", "", "warning", "", "assumption"), node.loc, "per_branches", fields)] if fields else []


def _fix_sums(entity: dict[str, Any], parts: str, fields: Sequence[str]) -> None:
    items = entity.get(parts)
    if type(items) is not list or not items or not all(type(i) is dict for i in items):
        return
    for name in fields:
        if name in entity and all(type(i.get(name)) is int for i in items) and type(entity[name]) is int:
            entity[name] = sum(i[name] for i in items)
