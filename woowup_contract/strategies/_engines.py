"""The payload engine (Engine: catalogue, valid and invalid strategies per contract) and the engine caches."""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..loader import ContractError, Registry, UnknownContract, load_registry
from ..model import Contract, ExpectedViolation, StrictRule
from ..pointers import pointer_from_parts
from ._build import Builder
from ._mutate import APPLY, catalogue, plan_of
from ._query import QueryEngine
from ._rules import NO_PLAN, Plan, Rules
from ._schema import compile_schema
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


def engine_for(registry: Registry | None, contract_id: str, profile: str, status: str | None = None) -> Engine:
    """The engine of one document of a contract (``status``: a response instead of its payload), cached."""
    reg = _registry(registry)
    key = (id(reg), contract_id, profile, status)
    cached = _engines.get(key)
    if cached is not None and cached.registry is reg:
        return cached
    if profile not in _PROFILES:
        raise StrategyError(f"unknown profile {profile!r}: use 'official' or 'strict'")
    try:
        engine = Engine(reg, contract_id, profile, status)
    except UnknownContract as exc:
        raise StrategyError(f"cannot generate payloads: {exc}") from None
    except ContractError as exc:
        raise StrategyError(f"cannot generate payloads for {contract_id!r}: broken contract: {exc}") from None
    _engines[key] = engine
    return engine


def query_engine_for(registry: Registry | None, contract_id: str) -> QueryEngine:
    reg = _registry(registry)
    try:
        contract = reg.get(contract_id)
    except UnknownContract as exc:
        raise StrategyError(f"cannot generate query parameters: {exc}") from None
    if contract.endpoint is None:
        raise StrategyError(f"{contract_id!r} is a payload contract; query parameters belong to endpoint contracts "
                            f"({', '.join(c.id for c in reg if c.endpoint is not None)})")
    return QueryEngine(contract)


# -- the engine -----------------------------------------------------------------------------------


class Engine:
    """Valid and invalid strategies for one (contract, profile, document), compiled once."""

    def __init__(self, registry: Registry, contract_id: str, profile: str, status: str | None = None) -> None:
        self.registry = registry
        self.contract: Contract = registry.get(contract_id)
        self.profile = profile
        self.strict = profile == "strict"
        if status is not None and self.contract.endpoint is None:
            raise StrategyError(f"{contract_id!r} is a payload contract: it has no responses (use payloads())")
        try:
            document = self.contract.document(status)
        except LookupError as exc:
            raise StrategyError(str(exc)) from None
        self.envelope = document.envelope
        self.root = compile_schema(document.schema(registry.resolve))
        scoped: list[tuple[str, StrictRule]] = []
        for prefix, embedded in registry.embedded_contracts(document.body):
            scoped.extend((prefix, rule) for rule in embedded.strict)
        self.rules = Rules(scoped if self.strict else [], self.root)
        self._strategies: dict[Plan, SearchStrategy[Any]] = {}
        self.catalogue: tuple[Mutation, ...] = tuple(catalogue(self.root, self.rules, strict=self.strict))

    # -- valid documents ------------------------------------------------------------------------

    def valid(self, envelope: bool | None = None) -> SearchStrategy[Any]:
        return self._wrap(self.base(NO_PLAN), envelope).map(lambda pair: pair[0])

    def base(self, plan: Plan) -> SearchStrategy[Any]:
        strategy = self._strategies.get(plan)
        if strategy is None:
            strategy = self._strategies[plan] = Builder(self.rules, self.strict, plan).value(self.root)
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

    # -- invalid documents ---------------------------------------------------------------------

    def invalid(self, only: tuple[Mutation, ...] | None) -> SearchStrategy[InvalidPayload]:
        entries = self.catalogue
        if only is not None:
            wanted = set((m.pointer, m.rule, m.description) for m in only)
            entries = tuple(m for m in entries if (m.pointer, m.rule, m.description) in wanted)
            if not entries:
                raise StrategyError("none of the mutations asked for is in the catalogue of "
                                    f"{self.contract.id!r} under profile {self.profile!r}")
        if not entries:
            raise StrategyError(f"{self.contract.id!r} has no constraint to break")
        if len(entries) == 1:
            return self._invalid_for(entries[0])
        # the mutation first, then its strategy, built when it is first drawn: building all of them
        # (a whole payload strategy each, some 190 under the strict profile) took a second up front
        built: list[SearchStrategy[InvalidPayload] | None] = [None] * len(entries)

        def strategy_for(i: int) -> SearchStrategy[InvalidPayload]:
            strategy = built[i]
            if strategy is None:
                strategy = built[i] = self._invalid_for(entries[i])
            return strategy

        return st.sampled_from(range(len(entries))).flatmap(strategy_for)

    def _invalid_for(self, m: Mutation) -> SearchStrategy[InvalidPayload]:
        base = self._wrap(self.base(plan_of(m, self.rules)), None)
        apply = APPLY[m.kind]
        root, rules = self.root, self.rules
        key = self.envelope.key if self.envelope is not None else ""

        @st.composite
        def draw_invalid(draw: Callable[[SearchStrategy[Any]], Any]) -> InvalidPayload:
            document, prefix = draw(base)
            body = document[key] if prefix else document
            body, expected, repeated = apply(root, rules, m, draw, body)
            if prefix:
                document = dict(document)
                document[key] = body
                expected = [((key,) + parts, rule) for parts, rule in expected]
                if repeated is not None:
                    repeated = ((key,) + repeated[0], repeated[1])
            else:
                document = body
            violations = tuple(ExpectedViolation(pointer_from_parts(parts), rule) for parts, rule in expected)
            return InvalidPayload(document, violations, m, repeated)

        return draw_invalid()
