"""Strict rules located on the schema tree (Rules, Sum) and plans of what a base document must hold (Plan)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ..model import StrictRule
from ..rules import PointerPattern
from ._schema import Loc, Node
from ._values import StrategyError

# -- strict rules, located ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sum:
    """A sum-equals rule resolved against the schema: entity location, parts key, summed fields."""

    rule: StrictRule
    entity: Loc
    parts: str
    fields: tuple[str, ...]


class Rules:
    """Where each strict rule applies, in terms of schema locations (``*`` = any index)."""

    SUPPORTED = ("datetime", "minimum", "int64", "sum-equals", "min-length", "min-items", "unique",
                 "no-duplicate-keys")

    def __init__(self, scoped: Sequence[tuple[str, StrictRule]], root: Node) -> None:
        self.scoped = list(scoped)
        self._at: list[tuple[StrictRule, list[PointerPattern]]] = []
        self._int64: list[tuple[StrictRule, PointerPattern]] = []
        self.sums: list[Sum] = []
        nodes = list(root.walk())
        for prefix, rule in scoped:
            if rule.kind not in self.SUPPORTED:
                raise StrategyError(f"strict rule {rule.id!r} has kind {rule.kind!r}, which the generator does not "
                                    f"know (known: {', '.join(self.SUPPORTED)})")
            if rule.kind == "int64":
                self._int64.append((rule, PointerPattern(prefix)))
                continue
            if rule.kind == "no-duplicate-keys":
                continue  # a generated dict cannot repeat a key
            if rule.kind == "sum-equals":
                each = PointerPattern(prefix + rule.options["each"])
                key = rule.options["parts"]
                for node in nodes:
                    if not each.matches(node.loc) or key not in node.properties:
                        continue
                    items = node.properties[key].items
                    if items is None:
                        continue
                    fields = tuple(f for f in rule.options["fields"] if f in node.properties and f in items.properties)
                    if fields:
                        self.sums.append(Sum(rule, node.loc, key, fields))
                continue
            self._at.append((rule, [PointerPattern(prefix + p) for p in rule.options.get("at", ())]))

    def at(self, kind: str, loc: Loc) -> list[StrictRule]:
        return [rule for rule, patterns in self._at if rule.kind == kind and any(p.matches(loc) for p in patterns)]

    def int64(self, loc: Loc) -> list[StrictRule]:
        return [rule for rule, prefix in self._int64 if prefix.matches(loc[:len(prefix.segments)])]

    def total_of(self, loc: Loc) -> Sum | None:
        """The sum this location is the total of (``entity/field``)."""
        for s in self.sums:
            if loc[:-1] == s.entity and loc[-1] in s.fields:
                return s
        return None

    def part_of(self, loc: Loc) -> Sum | None:
        """The sum this location is a part of (``entity/parts/*/field``)."""
        for s in self.sums:
            if loc[:-3] == s.entity and loc[-3:-1] == (s.parts, "*") and loc[-1] in s.fields:
                return s
        return None

    def sums_at(self, loc: Loc) -> list[Sum]:
        return [s for s in self.sums if s.entity == loc]


# -- plans: what a base document must contain for a mutation to apply -----------------------------


@dataclass(frozen=True)
class Plan:
    """What a base document must hold: locations present, arrays with at least n items, arrays left empty."""

    present: frozenset[Loc] = frozenset()
    min_items: tuple[tuple[Loc, int], ...] = ()
    empty: frozenset[Loc] = frozenset()

    def items_at_least(self, loc: Loc) -> int:
        return max((n for where, n in self.min_items if where == loc), default=0)


def plan_for(loc: Loc, *, min_items: Mapping[Loc, int] | None = None, empty: Iterable[Loc] = ()) -> Plan:
    """The plan that puts a value at ``loc`` (each array on the way gets an item), plus the extras asked for."""
    present = {loc[:i] for i in range(1, len(loc) + 1)}
    needs = {loc[:i]: 1 for i in range(len(loc)) if loc[i] == "*"}
    for where, n in (min_items or {}).items():
        needs[where] = max(needs.get(where, 0), n)
        present |= {where[:i] for i in range(1, len(where) + 1)}
    return Plan(frozenset(present), tuple(sorted(needs.items())), frozenset(empty))


NO_PLAN = Plan()
