"""The payload engine (_Engine: catalogue, valid and invalid strategies per contract) and the engine caches."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..pointers import pointer_from_parts
from ..loader import ContractError, Registry, UnknownContract, load_registry
from ..model import Contract, Envelope, ExpectedViolation, StrictRule
from ..rules import PointerPattern
from ._build import _Builder
from ._mutate import _APPLY, _pattern_breakers, _type_breakers
from ._query import _QueryEngine
from ._rules import _NO_PLAN, _Plan, _plan_for, _Rules
from ._schema import Loc, _compile, _is_single_line, _Node
from ._values import InvalidPayload, Mutation, StrategyError

_PROFILES = ("official", "strict")


# -- registry and engine cache ------------------------------------------------------------------------

_default: list[Registry] = []
_engines: dict[tuple[Any, ...], Any] = {}


def _registry(registry: Registry | None) -> Registry:
    if registry is not None:
        return registry
    if not _default:
        _default.append(load_registry())
    return _default[0]


def _engine(registry: Registry | None, contract_id: str, profile: str, target: Any) -> _Engine:
    reg = _registry(registry)
    key = (id(reg), contract_id, profile, target)
    cached = _engines.get(key)
    if cached is not None and cached.registry is reg:
        return cached
    if profile not in _PROFILES:
        raise StrategyError(f"unknown profile {profile!r}: use 'official' or 'strict'")
    try:
        engine = _Engine(reg, contract_id, profile, target)
    except UnknownContract as exc:
        raise StrategyError(f"cannot generate payloads: {exc}") from None
    except ContractError as exc:
        raise StrategyError(f"cannot generate payloads for {contract_id!r}: broken contract: {exc}") from None
    _engines[key] = engine
    return engine


def _query_engine(registry: Registry | None, contract_id: str) -> _QueryEngine:
    reg = _registry(registry)
    try:
        contract = reg.get(contract_id)
    except UnknownContract as exc:
        raise StrategyError(f"cannot generate query parameters: {exc}") from None
    if contract.endpoint is None:
        raise StrategyError(f"{contract_id!r} is a payload contract; query parameters belong to endpoint contracts "
                            f"({', '.join(c.id for c in reg if c.endpoint is not None)})")
    return _QueryEngine(contract)


# -- the engine -----------------------------------------------------------------------------------


class _Engine:
    """Valid and invalid strategies for one (contract, profile, target), compiled once."""

    def __init__(self, registry: Registry, contract_id: str, profile: str, target: Any) -> None:
        self.registry = registry
        self.contract: Contract = registry.get(contract_id)
        self.profile = profile
        self.strict = profile == "strict"
        body, self.envelope = self._target(target)
        self.root = _compile(registry.resolve(body))
        scoped: list[tuple[str, StrictRule]] = []
        for prefix, embedded in registry.embedded_contracts(body):
            scoped.extend((prefix, rule) for rule in embedded.strict)
        self.rules = _Rules(scoped if self.strict else [], self.root)
        self._strategies: dict[_Plan, SearchStrategy[Any]] = {}
        self.catalogue: tuple[Mutation, ...] = tuple(self._catalogue())

    def _target(self, target: Any) -> tuple[Any, Envelope | None]:
        contract = self.contract
        endpoint = contract.endpoint
        if target == "payload":
            if contract.schema is not None:
                return {"$contract": contract.id}, None
            assert endpoint is not None
            if endpoint.payload == "request":
                return endpoint.request_body, None
            target = ("response", endpoint.payload)
        if endpoint is None:
            raise StrategyError(f"{contract.id!r} is a payload contract: it has no responses (use payloads())")
        status = target[1]
        response = contract.response(status)
        if response is None:
            known = ", ".join(r.status for r in endpoint.responses)
            raise StrategyError(f"{contract.id!r} has no response {status} (it has {known})")
        return (response.body if response.body is not None else {}), response.envelope

    # -- valid documents ------------------------------------------------------------------------

    def valid(self, envelope: bool | None = None) -> SearchStrategy[Any]:
        return self._wrap(self.base(_NO_PLAN), envelope).map(lambda pair: pair[0])

    def base(self, plan: _Plan) -> SearchStrategy[Any]:
        strategy = self._strategies.get(plan)
        if strategy is None:
            strategy = self._strategies[plan] = _Builder(self, plan).value(self.root)
        return strategy

    def _wrap(self, body: SearchStrategy[Any], envelope: bool | None) -> SearchStrategy[tuple[Any, str]]:
        """(document, pointer prefix): the body, or the body in the API v3 envelope."""
        env = self.envelope
        if env is None or envelope is False:
            if env is not None and env.required:
                raise StrategyError(f"{self.contract.id!r} requires the API v3 envelope")
            return body.map(lambda b: (b, ""))
        key = env.key

        def wrapped(b: Any, message: str) -> tuple[Any, str]:
            return {key: b, "message": message, "code": "ok"}, "/" + key

        enveloped = st.builds(wrapped, body, st.sampled_from(("ok", "Stats retrieved", "")))
        if envelope is True or env.required:
            return enveloped
        return st.one_of(body.map(lambda b: (b, "")), enveloped)

    # -- the catalogue -------------------------------------------------------------------------

    def _catalogue(self) -> Iterator[Mutation]:
        for node in self.root.walk():
            ptr = pointer_from_parts(node.loc)
            shown = ptr or "the document"
            if node.types:
                if _type_breakers(node):
                    yield Mutation(ptr, "type", f"{shown} is not of type {'/'.join(node.types)}", "type", node.loc)
            if node.pattern is not None and _pattern_breakers(node.pattern):
                what = "holds a line break" if _is_single_line(node.pattern) else f"does not match {node.pattern}"
                yield Mutation(ptr, "pattern", f"{shown} {what}", "pattern", node.loc)
            if node.enum is not None:
                yield Mutation(ptr, "enum", f"{shown} is not one of the enum values", "enum", node.loc)
            for kw, bound in (("minimum", node.minimum), ("maximum", node.maximum)):
                if bound is not None and set(node.types) <= {"integer", "number"}:
                    yield Mutation(ptr, kw, f"{shown} is beyond its {kw} {bound}", kw, node.loc, bound)
            for name in node.required:
                child = node.loc + (name,)
                yield Mutation(pointer_from_parts(child), "required", f"{shown} lacks {name!r}", "required", child)
        if self.strict:
            yield from self._strict_catalogue()

    def _strict_catalogue(self) -> Iterator[Mutation]:
        rules = self.rules
        for node in self.root.walk():
            loc, ptr = node.loc, pointer_from_parts(node.loc)
            ints = "integer" in node.types
            for rule in rules.at("datetime", loc):
                yield Mutation(ptr, rule.id, f"{ptr} is a date-time without ISO-8601 form or offset",
                               "strict-datetime", loc)
            for rule in rules.at("minimum", loc) if ints else ():
                yield Mutation(ptr, rule.id, f"{ptr} is negative", "strict-minimum", loc)
            for rule in rules.int64(loc) if ints else ():
                yield Mutation(ptr, rule.id, f"{ptr} does not fit a signed 64-bit integer", "strict-int64", loc)
            for rule in rules.at("min-length", loc) if "string" in node.types else ():
                yield Mutation(ptr, rule.id, f"{ptr} is empty or blank", "strict-min-length", loc)
            for rule in rules.at("min-items", loc) if node.items is not None else ():
                yield Mutation(ptr, rule.id, f"{ptr} has too few items", "strict-min-items", loc)
            for rule in rules.at("unique", loc) if node.items is not None else ():
                key = rule.options.get("key")
                where = loc + ("*", key) if key else loc + ("*",)
                what = f"the same {key}" if key else "the same value"
                yield Mutation(pointer_from_parts(where), rule.id, f"two items of {ptr} have {what}", "strict-unique",
                               where)
        for s in rules.sums:
            for name in s.fields:
                loc = s.entity + (name,)
                ptr = pointer_from_parts(loc)
                yield Mutation(ptr, s.rule.id, f"{ptr} differs from the sum of {s.parts}", "strict-sum", loc)
        for prefix, rule in rules.scoped:
            if rule.kind != "no-duplicate-keys":
                continue
            scope = PointerPattern(prefix)
            for node in self.root.walk():
                in_scope = scope.matches(node.loc[:len(scope.segments)])
                if "object" not in node.types or not node.properties or not in_scope:
                    continue
                key = node.required[0] if node.required else next(iter(node.properties))
                loc = node.loc + (key,)
                ptr = pointer_from_parts(loc)
                yield Mutation(ptr, rule.id, f"{pointer_from_parts(node.loc) or 'the document'} has the key "
                               f"{key!r} twice", "strict-duplicate", loc)

    # -- invalid documents ---------------------------------------------------------------------

    def invalid(self, only: tuple[Mutation, ...] | None) -> SearchStrategy[InvalidPayload]:
        catalogue = self.catalogue
        if only is not None:
            wanted = set((m.pointer, m.rule, m.description) for m in only)
            catalogue = tuple(m for m in catalogue if (m.pointer, m.rule, m.description) in wanted)
            if not catalogue:
                raise StrategyError("none of the mutations asked for is in the catalogue of "
                                    f"{self.contract.id!r} under profile {self.profile!r}")
        if not catalogue:
            raise StrategyError(f"{self.contract.id!r} has no constraint to break")
        per_mutation = [self._invalid_for(m) for m in catalogue]
        return st.one_of(per_mutation) if len(per_mutation) > 1 else per_mutation[0]

    def _invalid_for(self, m: Mutation) -> SearchStrategy[InvalidPayload]:
        plan = self._plan(m)
        base = self._wrap(self.base(plan), None)
        apply = _APPLY[m._kind]
        engine = self

        @st.composite
        def draw_invalid(draw: Callable[[SearchStrategy[Any]], Any]) -> InvalidPayload:
            document, prefix = draw(base)
            body = document[self.envelope.key] if prefix else document  # type: ignore[union-attr]
            body, expected, duplicate = apply(engine, m, draw, body)
            if prefix:
                document = dict(document)
                document[self.envelope.key] = body  # type: ignore[union-attr]
                expected = [((self.envelope.key,) + parts, rule)  # type: ignore[union-attr]
                            for parts, rule in expected]
                if duplicate is not None:
                    duplicate = ((self.envelope.key,) + duplicate[0], duplicate[1])  # type: ignore[union-attr]
            else:
                document = body
            violations = tuple(ExpectedViolation(pointer_from_parts(parts), rule) for parts, rule in expected)
            return InvalidPayload(document, violations, m, duplicate)

        return draw_invalid()

    def _plan(self, m: Mutation) -> _Plan:
        loc = m._loc
        kind = m._kind
        rules = self.rules
        if kind in ("strict-minimum", "strict-int64"):
            part = rules.part_of(loc)
            total = rules.total_of(loc)
            if part is not None:
                return _plan_for(loc, min_items={part.entity + (part.parts,): 2 if kind == "strict-minimum" else 1})
            if total is not None:
                return _plan_for(loc, empty=[total.entity + (total.parts,)])
        if kind == "strict-sum":
            s = rules.total_of(loc)
            assert s is not None
            return _plan_for(loc, min_items={s.entity + (s.parts,): 1})
        if kind == "strict-unique":
            array = loc[: len(loc) - (1 if loc[-1] == "*" else 2)]
            return _plan_for(loc, min_items={array: 2})
        return _plan_for(loc)

    def node_at(self, loc: Loc) -> _Node:
        node = self.root
        for part in loc:
            if part == "*":
                assert node.items is not None
                node = node.items
            else:
                node = node.properties[part]
        return node
