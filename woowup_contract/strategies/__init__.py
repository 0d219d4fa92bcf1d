"""Hypothesis strategies built from the contracts: valid and labelled-invalid payloads.

Connector teams use these to test their own code with realistic WoowUp data,
and to test that it rejects exactly what the API rejects::

    from hypothesis import given
    from woowup_contract.strategies import payloads, invalid_payloads

    @given(payloads(profile="strict"))
    def test_my_serializer_round_trips(record): ...

    @given(invalid_payloads())
    def test_my_client_refuses(bad):   # bad.payload, bad.violations
        ...

Every public function takes keyword-only options and returns a strategy that
is built lazily: an unknown contract id, an unknown profile or a contract the
generator cannot handle fails when the test runs (with a ``StrategyError``
naming the contract), never at import or collection time.

The strategies are written from the contract's schema and strict rules (not
from a generic JSON Schema generator): that is what lets them honour the
strict rules (per-branch sums, ISO date-times, unique branch names), label
each invalid payload with the violations the checker will report, and draw
realistic values (branch names with accents, ``customers-2026_11_20.csv``,
counts with 0 and 64-bit edge values) that shrink to small, readable cases.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..draft7 import LINE_TERMINATORS, ecma_regex, pointer_from_parts
from ..loader import ContractError, Registry, UnknownContract, load_registry
from ..model import Contract, Envelope, ExpectedViolation, Parameter, StrictRule
from ..rules import INT64_MAX, INT64_MIN, PointerPattern, parse_iso_datetime

__all__ = [
    "InvalidPayload",
    "InvalidQuery",
    "Mutation",
    "StrategyError",
    "account_stats",
    "invalid_payloads",
    "invalid_query_params",
    "log_lists",
    "log_responses",
    "mutations",
    "payloads",
    "query_params",
    "response_bodies",
]

DEFAULT_CONTRACT = "connectors.log-record"
MAX_BRANCHES = 50  # per ``per_branches`` list: the "0–50 branches" a retailer has
_PROFILES = ("official", "strict")


class StrategyError(ValueError):
    """The strategy cannot be built: unknown contract or profile, or a contract the generator cannot handle."""


# -- public value types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One constraint of a contract and how to break it: an entry of the catalogue.

    ``pointer`` is a pointer pattern (``*`` stands for any array index) of
    where the violation is reported, ``rule`` the rule the checker reports
    (a schema keyword such as ``type``/``pattern``/``required``, or a strict
    rule id), ``description`` what the broken payload does.
    """

    pointer: str
    rule: str
    description: str
    _kind: str = field(default="", repr=False, compare=False)
    _loc: tuple[str, ...] = field(default=(), repr=False, compare=False)
    _extra: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class InvalidPayload:
    """A payload that breaks one catalogue entry, with the violations the checker reports for it.

    ``violations`` holds ``(pointer, rule)`` pairs (``ExpectedViolation``),
    concrete pointers this time. ``text`` is the JSON text to send or write:
    the only place a duplicate-key violation exists (``payload`` is the
    parsed document, where the repeated key collapses).
    """

    payload: Any
    violations: tuple[ExpectedViolation, ...]
    mutation: Mutation
    _duplicate: tuple[tuple[Any, ...], str] | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.to_json()

    def to_json(self, *, ensure_ascii: bool = False, indent: int | None = None) -> str:
        """The JSON text (a duplicate-key payload is always written compact, its repeated key included)."""
        if self._duplicate is None:
            return json.dumps(self.payload, ensure_ascii=ensure_ascii, indent=indent)
        return _dumps_with_duplicate(self.payload, *self._duplicate, ensure_ascii=ensure_ascii)


@dataclass(frozen=True)
class InvalidQuery:
    """Query parameters where one parameter breaks its contract (``violations`` point at ``/NAME``)."""

    params: dict[str, Any]
    violations: tuple[ExpectedViolation, ...]
    description: str


# -- public strategies -----------------------------------------------------------------------------


def payloads(contract: str = DEFAULT_CONTRACT, *, profile: str = "official",
             registry: Registry | None = None) -> SearchStrategy[Any]:
    """JSON documents valid under ``contract`` and ``profile`` — what ``validate --contract`` accepts.

    ``profile="official"`` covers what the published schema allows, odd corners
    included (negative counts, integers beyond 64 bits, ``5.0``, duplicate or
    empty names, extra keys), mostly with realistic values. ``profile="strict"``
    also satisfies every strict rule: per-branch figures add up to the totals,
    counts are non-negative 64-bit integers, ``processingtime`` is ISO-8601 with
    an offset, branch and file names are non-empty and unique. For an endpoint
    contract the document is its payload (``POST /v1/log``: the request body;
    ``GET /v1/logs``: the 200 array; ``/apiv3/stats``: the 200 body, bare or
    enveloped). ``registry`` uses your own contracts (``load_registry([...])``).
    """
    return st.deferred(lambda: _engine(registry, contract, profile, "payload").valid())


def invalid_payloads(contract: str = DEFAULT_CONTRACT, *, profile: str = "official",
                     registry: Registry | None = None,
                     only: Iterable[Mutation] | None = None) -> SearchStrategy[InvalidPayload]:
    """``InvalidPayload`` values: each breaks one catalogue entry (see ``mutations``) and nothing else.

    ``.violations`` are the (pointer, rule) pairs the checker reports as errors
    under ``profile`` — usually one; two where one change necessarily breaks
    two rules (a line break in ``processingtime`` is also not ISO-8601 under
    ``strict``). ``only`` restricts the draw to some catalogue entries.
    """
    chosen = tuple(only) if only is not None else None
    return st.deferred(lambda: _engine(registry, contract, profile, "payload").invalid(chosen))


def mutations(contract: str = DEFAULT_CONTRACT, *, profile: str = "official",
              registry: Registry | None = None) -> tuple[Mutation, ...]:
    """The catalogue ``invalid_payloads`` draws from: one entry per constraint of the contract.

    Every ``type`` and ``pattern`` at every location of the schema, every
    ``required`` name (plus ``enum``/``minimum``/``maximum`` where the schema
    has them), and under ``profile="strict"`` every strict rule at every
    location it applies to. Raises ``StrategyError`` for an unknown contract.
    """
    return _engine(registry, contract, profile, "payload").catalogue


def response_bodies(contract: str, status: str = "200", *, profile: str = "official",
                    envelope: bool | None = None, registry: Registry | None = None) -> SearchStrategy[Any]:
    """Bodies of an endpoint contract's response ``status``, valid under ``profile``.

    ``envelope``: for a response the API v3 envelope may wrap, ``True`` always
    wraps it, ``False`` never, ``None`` (default) draws both.
    """
    return st.deferred(lambda: _engine(registry, contract, profile, ("response", str(status))).valid(envelope))


def log_responses(*, profile: str = "official", registry: Registry | None = None) -> SearchStrategy[Any]:
    """The 200 body of ``POST /v1/log``: the stored record, with the server-set ``createtime``."""
    return response_bodies("connectors.post-log", "200", profile=profile, registry=registry)


def log_lists(*, profile: str = "official", registry: Registry | None = None) -> SearchStrategy[Any]:
    """The 200 body of ``GET /v1/logs``: an array of stored records (0 to 25, the default page)."""
    return response_bodies("connectors.list-logs", "200", profile=profile, registry=registry)


def account_stats(*, envelope: bool | None = None, profile: str = "official",
                  registry: Registry | None = None) -> SearchStrategy[Any]:
    """The 200 body of ``GET /apiv3/stats``, bare or in the API v3 envelope (see ``response_bodies``)."""
    return response_bodies("apiv3.account-stats", "200", profile=profile, envelope=envelope, registry=registry)


def query_params(contract: str, *, registry: Registry | None = None) -> SearchStrategy[dict[str, Any]]:
    """Valid query parameters of an endpoint contract: a dict, each optional parameter present or not.

    Integers come as ``int`` (within the contract's limits), dates as
    ``YYYY-MM-DD``, enums from the enum; pass the dict to your HTTP client.
    """
    return st.deferred(lambda: _query_engine(registry, contract).valid())


def invalid_query_params(contract: str, *, registry: Registry | None = None) -> SearchStrategy[InvalidQuery]:
    """Query parameters where exactly one parameter breaks its contract (type, limits, enum, date format).

    Fails at draw time for an endpoint whose parameters have nothing to break.
    """
    return st.deferred(lambda: _query_engine(registry, contract).invalid())


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


# -- realistic vocabulary ---------------------------------------------------------------------------

_PLACES = (
    "Shopping Unicenter", "Palermo", "Belgrano", "Recoleta", "Caballito", "Córdoba Centro", "Nueva Córdoba",
    "Rosario Norte", "Mendoza", "San Martín", "Bahía Blanca", "Mar del Plata", "La Plata", "Tucumán", "Neuquén",
    "Salta", "Punta Carretas", "Montevideo Centro", "Pocitos", "Ñuñoa", "Providencia", "Viña del Mar",
    "Bogotá Norte", "Medellín", "Polanco", "Guadalajara", "São Paulo", "Florianópolis", "Asunción",
    "Lima Miraflores", "Quito", "Alto Palermo", "Abasto", "Paseo Alcorta", "Galerías Pacífico", "Portal Rosario",
    "Depósito Central", "Tienda Online", "Villa Crespo", "Núñez",
)
_PREFIXES = ("", "Sucursal ", "Local ", "Tienda ", "Outlet ")
BRANCH_NAMES: tuple[str, ...] = tuple(p + place for p in _PREFIXES for place in _PLACES)
_FILE_KINDS = ("customers", "purchases", "products", "branches", "stock", "prices", "clientes", "ventas")
_FILE_EXTS = ("csv", "csv", "txt", "json", "xml")
_FILE_ODD = ("Ventas Córdoba {d}.csv", "export ({n}).csv", "clientes_ñandú_{d}.csv", "{k} {d}.CSV",
             "{k}/{d}/{k}.csv")
_BASE_DAY = date(2026, 11, 20)
_OFFSETS = ("+00:00", "-03:00", "Z", "-05:00", "+01:00", "+05:30", "-04:00")
_ODD_TIMES = ("2019-03-12 12:30:00", "12/03/2019 12:30", "2019-03-12T12:30:00", "1552393800", "2019-03-12",
              "", "yesterday")
_MESSAGES = ("Invalid API key", "Bad request", "Too many requests", "Not found", "Internal error",
             "The parameter limit must be between 1 and 100", "ok")
_CODES = ("bad_request", "forbidden", "too_many_request", "not_found", "internal_error", "method_not_allowed",
          "ok")
_CONNECTORS = ("vtex", "tiendanube", "shopify", "magento", "custom")
# what the official schema allows in a single-line string but a careful connector would not send
_ODD_STRINGS = ("", " ", "Sucursal #1 (vieja)", "東京 Ginza", "Café \"La Única\"", "tab\there", "back\\slash",
                "\u00a0Palermo", "emoji 🛒", "NULL", "\x00", "a" * 300)
_WORDS = ("Shopping Unicenter", "", "ok", "Córdoba", "ñandú", "São Paulo", "東京", "a b", "42", "x")


def _file_name(kind: str, days: int, ext: str, odd: int) -> str:
    d = _BASE_DAY + timedelta(days=days)
    if odd < 0:
        return f"{kind}-{d.year}_{d.month:02}_{d.day:02}.{ext}"
    return _FILE_ODD[odd].format(d=d.isoformat(), n=days % 7 + 1, k=kind)


def _iso(seconds: int, offset: str, fraction: str) -> str:
    t = datetime(2026, 11, 20, 12, 30) + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + fraction + offset


_SINGLE_LINE = st.text(st.characters(exclude_characters=LINE_TERMINATORS, exclude_categories=("Cs",)),
                       max_size=24)
_ANY_JSON: tuple[Any, ...] = ([], {}, None, {"errors": []}, "", 0)
_BRANCHES = st.sampled_from(BRANCH_NAMES)


def _dumps_with_duplicate(document: Any, at: tuple[Any, ...], key: str, *, ensure_ascii: bool = False) -> str:
    """JSON text of ``document`` where the object at ``at`` repeats ``key`` (same value)."""
    def dump(value: Any, here: tuple[Any, ...]) -> str:
        if type(value) is dict:
            items = [f"{json.dumps(k, ensure_ascii=ensure_ascii)}: {dump(v, here + (k,))}" for k, v in value.items()]
            if here == at:
                items.append(f"{json.dumps(key, ensure_ascii=ensure_ascii)}: {dump(value[key], here + (key,))}")
            return "{" + ", ".join(items) + "}"
        if type(value) is list:
            return "[" + ", ".join(dump(v, here + (i,)) for i, v in enumerate(value)) + "]"
        return json.dumps(value, ensure_ascii=ensure_ascii)

    return dump(document, ())


# -- schema → nodes ---------------------------------------------------------------------------------

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples",
                          "definitions", "readOnly", "writeOnly", "format", "contentMediaType"})
_HANDLED = frozenset({"type", "properties", "required", "items", "pattern", "allOf", "enum", "minimum",
                      "maximum", "minLength", "maxLength", "minItems", "maxItems", "additionalProperties",
                      "uniqueItems"})
_JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")

Loc = tuple[str, ...]  # a schema location: property names, "*" for array items


@dataclass
class _Node:
    loc: Loc
    types: tuple[str, ...] = ()
    properties: dict[str, _Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    items: _Node | None = None
    pattern: str | None = None
    enum: tuple[Any, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int = 0
    max_length: int | None = None
    min_items: int = 0
    max_items: int | None = None
    closed: bool = False
    unique: bool = False

    @property
    def name(self) -> str:
        """The property this value sits under (an array item: its array's name)."""
        for part in reversed(self.loc):
            if part != "*":
                return part
        return ""

    def walk(self) -> Iterator[_Node]:
        yield self
        for child in self.properties.values():
            yield from child.walk()
        if self.items is not None:
            yield from self.items.walk()


def _merge(a: Mapping[str, Any], b: Mapping[str, Any], where: str) -> dict[str, Any]:
    """allOf of two object schemas as one schema (what the endpoint contracts use)."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties":
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[key] = props
        elif key == "required":
            out[key] = list(out[key]) + [n for n in value if n not in out[key]]
        elif key == "type":
            left = {out[key]} if isinstance(out[key], str) else set(out[key])
            right = {value} if isinstance(value, str) else set(value)
            both = [t for t in _JSON_TYPES if t in left & right]
            if not both:
                raise StrategyError(f"allOf at {where or '/'} asks for types {out[key]!r} and {value!r} at once")
            out[key] = both[0] if len(both) == 1 else both
        elif key in _ANNOTATIONS or out[key] == value:
            continue
        else:
            raise StrategyError(f"cannot generate from allOf at {where or '/'}: both branches set {key!r}")
    return out


def _flatten(schema: Any, where: str) -> dict[str, Any]:
    if schema is True or schema == {}:
        return {}
    if not isinstance(schema, Mapping):
        raise StrategyError(f"cannot generate from the schema at {where or '/'}: {schema!r}")
    schema = dict(schema)
    for sub in schema.pop("allOf", ()):
        schema = _merge(schema, _flatten(sub, where), where)
    return schema


def _compile(schema: Any, loc: Loc = ()) -> _Node:
    where = pointer_from_parts(loc)
    s = _flatten(schema, where)
    for key in s:
        if key not in _HANDLED and key not in _ANNOTATIONS:
            raise StrategyError(f"cannot generate from keyword {key!r} at {where or '/'}")
    node = _Node(loc)
    types = s.get("type")
    if types is not None:
        node.types = (types,) if isinstance(types, str) else tuple(types)
    node.properties = {name: _compile(sub, loc + (name,)) for name, sub in (s.get("properties") or {}).items()}
    node.required = tuple(s.get("required", ()))
    if "items" in s:
        if not isinstance(s["items"], (Mapping, bool)):
            raise StrategyError(f"cannot generate from tuple items at {where or '/'}")
        node.items = _compile(s["items"], loc + ("*",))
    node.pattern = s.get("pattern")
    if "enum" in s:
        node.enum = tuple(s["enum"])
    node.minimum, node.maximum = s.get("minimum"), s.get("maximum")
    node.min_length, node.max_length = s.get("minLength", 0), s.get("maxLength")
    node.min_items, node.max_items = s.get("minItems", 0), s.get("maxItems")
    extra = s.get("additionalProperties", True)
    if extra not in (True, False, {}):
        raise StrategyError(f"cannot generate from an additionalProperties schema at {where or '/'}")
    node.closed = extra is False
    node.unique = bool(s.get("uniqueItems", False))
    return node


def _is_single_line(pattern: str | None) -> bool:
    return pattern in (None, "^(.*)$", "^.*$")


def _json_type(value: Any) -> str:
    t = type(value)
    if t is dict:
        return "object"
    if t is list:
        return "array"
    if t is str:
        return "string"
    if t is bool:
        return "boolean"
    if value is None:
        return "null"
    if t is int or (t is float and value.is_integer()):
        return "integer"
    return "number"


def _allowed(types: Sequence[str], value: Any) -> bool:
    kind = _json_type(value)
    return not types or kind in types or (kind == "integer" and "number" in types)


# -- strict rules, located ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sum:
    """A sum-equals rule resolved against the schema: entity location, parts key, summed fields."""

    rule: StrictRule
    entity: Loc
    parts: str
    fields: tuple[str, ...]


class _Rules:
    """Where each strict rule applies, in terms of schema locations (``*`` = any index)."""

    SUPPORTED = ("datetime", "minimum", "int64", "sum-equals", "min-length", "min-items", "unique",
                 "no-duplicate-keys")

    def __init__(self, scoped: Sequence[tuple[str, StrictRule]], root: _Node) -> None:
        self.scoped = list(scoped)
        self._at: list[tuple[StrictRule, list[PointerPattern]]] = []
        self._int64: list[tuple[StrictRule, PointerPattern]] = []
        self.sums: list[_Sum] = []
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
                        self.sums.append(_Sum(rule, node.loc, key, fields))
                continue
            self._at.append((rule, [PointerPattern(prefix + p) for p in rule.options.get("at", ())]))

    def at(self, kind: str, loc: Loc) -> list[StrictRule]:
        return [rule for rule, patterns in self._at if rule.kind == kind and any(p.matches(loc) for p in patterns)]

    def int64(self, loc: Loc) -> list[StrictRule]:
        return [rule for rule, prefix in self._int64 if prefix.matches(loc[:len(prefix.segments)])]

    def total_of(self, loc: Loc) -> _Sum | None:
        """The sum this location is the total of (``entity/field``)."""
        for s in self.sums:
            if loc[:-1] == s.entity and loc[-1] in s.fields:
                return s
        return None

    def part_of(self, loc: Loc) -> _Sum | None:
        """The sum this location is a part of (``entity/parts/*/field``)."""
        for s in self.sums:
            if loc[:-3] == s.entity and loc[-3:-1] == (s.parts, "*") and loc[-1] in s.fields:
                return s
        return None

    def sums_at(self, loc: Loc) -> list[_Sum]:
        return [s for s in self.sums if s.entity == loc]


# -- plans: what a base document must contain for a mutation to apply -----------------------------


@dataclass(frozen=True)
class _Plan:
    present: frozenset[Loc] = frozenset()
    min_items: tuple[tuple[Loc, int], ...] = ()
    empty: frozenset[Loc] = frozenset()

    def items_at_least(self, loc: Loc) -> int:
        return max((n for where, n in self.min_items if where == loc), default=0)


def _plan_for(loc: Loc, *, min_items: Mapping[Loc, int] | None = None, empty: Iterable[Loc] = ()) -> _Plan:
    present = {loc[:i] for i in range(1, len(loc) + 1)}
    needs = {loc[:i]: 1 for i in range(len(loc)) if loc[i] == "*"}
    for where, n in (min_items or {}).items():
        needs[where] = max(needs.get(where, 0), n)
        present |= {where[:i] for i in range(1, len(where) + 1)}
    return _Plan(frozenset(present), tuple(sorted(needs.items())), frozenset(empty))


_NO_PLAN = _Plan()


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


# -- building strategies from nodes -----------------------------------------------------------------


class _Builder:
    """Node → strategy under one profile and one plan.

    Why bytes: a Hypothesis choice costs tens of microseconds, and a record
    has dozens of scalar fields. So the scalar fields of an object (and the
    presence of its optional keys) are decoded from one fixed-size byte
    block, one choice per object instead of one or two per field. Every
    decoder maps zero bytes to the simplest value (0, the first name, the
    base date, key absent) and grows with the bytes, so shrinking towards
    zero bytes still gives small, readable records.
    """

    def __init__(self, engine: _Engine, plan: _Plan, bound: int | None = None) -> None:
        self.engine = engine
        self.rules = engine.rules
        self.strict = engine.strict
        self.plan = plan
        self.bound = bound  # the parts of a per-branch sum stay at or under it, so totals fit 64 bits

    def value(self, node: _Node) -> SearchStrategy[Any]:
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
            return st.from_regex(ecma_regex(node.pattern))
        return st.one_of([self.value(_retyped(node, t)) for t in types if not (t == "number" and "integer" in types)])

    # leaves: (width in bytes, decoder) --------------------------------------------------------

    def leaf(self, node: _Node) -> _Leaf | None:
        if node.enum is not None:
            options = node.enum
            return 1, lambda b: options[b[0] % len(options)]
        if not node.types:
            return 1, lambda b: _copy(_ANY_JSON[b[0] % len(_ANY_JSON)])
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

    def _integer(self, node: _Node) -> _Leaf:
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
                return max(lo_i, -1 - n)  # type: ignore[arg-type]
            # the official schema allows these; a real API may not like them (see profile="strict")
            return (-1 - n, 2**63 + n * 7919, float(n % 5000))[mode % 3]

        return 3, decode

    def _string(self, node: _Node) -> _Leaf | None:
        loc, name = node.loc, node.name
        datetime_rule = bool(self.rules.at("datetime", loc))
        non_blank = bool(self.rules.at("min-length", loc)) or node.min_length > 0
        tame = self.strict or datetime_rule or non_blank
        pattern = node.pattern
        if not _is_single_line(pattern):
            assert pattern is not None
            rx = ecma_regex(pattern)
            vocabulary = {"message": _MESSAGES, "code": _CODES}.get(name, ())
            fits = tuple(v for v in vocabulary if rx.search(v))
            if not fits:
                return None  # drawn with st.from_regex
            return 1, lambda b: fits[b[0] % len(fits)]
        if datetime_rule or name in ("processingtime", "createtime", "processedtime"):
            width, decode, odd = 4, _decode_time, _ODD_TIMES
        elif name == "files":
            width, decode, odd = 4, _decode_file, _ODD_STRINGS
        elif name == "branch":
            width, decode, odd = 2, _decode_branch, _ODD_STRINGS
        elif name in ("message", "code"):
            words = _MESSAGES if name == "message" else _CODES
            width, decode, odd = 1, (lambda b, w=words: w[b[0] % len(w)]), _ODD_STRINGS
        else:
            pool = _WORDS if not non_blank else tuple(w for w in _WORDS if w.strip())
            width, decode, odd = 1, (lambda b, w=pool: w[b[0] % len(w)]), _ODD_STRINGS
        lo, hi = node.min_length, node.max_length
        if lo or hi is not None:
            inner = decode
            pad = "x" * lo

            def decode(b: bytes, inner: Callable[[bytes], str] = inner) -> str:
                s = inner(b)
                s = s if len(s) >= lo else s + pad[len(s):]
                return s if hi is None else s[:hi]
        if tame:
            return width, decode

        def decode_official(b: bytes) -> str:
            if b[0] >= 232:  # now and then what the official schema allows but nobody should send
                return odd[b[-1] % len(odd)]
            return decode(b[1:])

        return width + 1, decode_official

    # objects ----------------------------------------------------------------------------------

    def _flat(self, node: _Node) -> _Leaf | None:
        """(width, decoder) for a value made of scalars only: a leaf, or an object of leaves."""
        leaf = self.leaf(node)
        if leaf is not None or node.types != ("object",):
            return leaf
        width, build, has_complex = self._object_layout(node)
        return None if has_complex else (width, lambda b: build(b, None))

    def _object(self, node: _Node) -> SearchStrategy[Any]:
        width, build, has_complex = self._object_layout(node)
        chunk = st.binary(min_size=width, max_size=width)
        if not has_complex:
            return chunk.map(lambda b: build(b, None))

        @st.composite
        def draw_object(draw: Draw) -> dict[str, Any]:
            return build(draw(chunk), draw)

        return draw_object()

    def _object_layout(self, node: _Node) -> tuple[int, Callable[[bytes, Draw | None], dict[str, Any]], bool]:
        plan, strict = self.plan, self.strict
        sums = self.rules.sums_at(node.loc) if strict else _possible_sums(node)
        bounds = {s.parts: INT64_MAX // max(1, self._max_items(node.properties[s.parts])) for s in sums} \
            if strict else {}
        order = list(node.properties) + [n for n in node.required if n not in node.properties]
        extras: list[tuple[str, _Leaf]] = []
        if not strict and not node.loc and not node.closed:
            extras = [(k, leaf) for k, leaf in (("connector", (1, _decode_connector)),
                                                ("version", (1, lambda b: "1.4.2"))) if k not in node.properties]
        fields: list[tuple[str, bool, _Leaf | None, SearchStrategy[Any] | None]] = []
        for name in order:
            child = node.properties.get(name)
            loc = node.loc + (name,)
            needed = name in node.required or loc in plan.present
            if loc in plan.empty:
                if not needed:
                    continue
                fields.append((name, True, (0, lambda b: []), None))
                continue
            if child is None:
                fields.append((name, needed, (1, lambda b: _WORDS[b[0] % len(_WORDS)]), None))
                continue
            leaf = self.leaf(child)
            if leaf is not None:
                fields.append((name, needed, leaf, None))
            elif name in bounds:
                fields.append((name, needed, None, self._array(child, item_bound=bounds[name])))
            else:
                fields.append((name, needed, None, self.value(child)))
        fields.extend((k, False, leaf, None) for k, leaf in extras)
        optional = [i for i, f in enumerate(fields) if not f[1]]
        flags = len(optional) + (1 if sums and not strict else 0)
        head = (flags + 7) // 8
        width = head + sum(f[2][0] for f in fields if f[2] is not None)
        has_complex = any(f[3] is not None for f in fields)

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
            if strict or (sums and b[(flags - 1) // 8] >> ((flags - 1) % 8) & 1):
                for s in sums:
                    _fix_sums(out, s.parts, s.fields)
            return out

        return width, build, has_complex

    # arrays -----------------------------------------------------------------------------------

    def _max_items(self, node: _Node) -> int:
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

    def _array(self, node: _Node, *, item_bound: int | None = None) -> SearchStrategy[Any]:
        items = node.items if node.items is not None else _Node(node.loc + ("*",))
        builder = self if item_bound is None else _Builder(self.engine, self.plan, item_bound)
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
            unique_by = lambda item, k=unique_key: item.get(k) if type(item) is dict else _freeze(item)  # noqa: E731
        elif unique_plain:
            unique_by = _freeze
        flat = builder._flat(items)
        if flat is None:
            return st.lists(builder.value(items), min_size=lo, max_size=hi,
                            **({"unique_by": unique_by} if unique_by is not None else {}))
        return _flat_list(flat, lo, hi, unique_by, big=hi >= 20 and bool(node.loc) and "*" not in node.loc)


_Leaf = tuple[int, Callable[[bytes], Any]]


def _flat_list(flat: _Leaf, lo: int, hi: int, unique_by: Callable[[Any], Any] | None, *,
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


def _retyped(node: _Node, t: str) -> _Node:
    from dataclasses import replace

    return replace(node, types=(t,))


def _clamp(value: float, lo: float | None, hi: float | None) -> float:
    if lo is not None and value < lo:
        return lo
    if hi is not None and value > hi:
        return hi
    return value


def _decode_time(b: bytes) -> str:
    back = int.from_bytes(b[0:3], "big") * 15  # seconds before the base time, up to eight years
    offset = _OFFSETS[b[3] % len(_OFFSETS)]
    fraction = ("", "", "", "", "", ".123456", ".000", ".5")[b[3] // 32]
    return _iso(-back, offset, fraction)


def _decode_file(b: bytes) -> str:
    kind = _FILE_KINDS[b[0] % len(_FILE_KINDS)]
    days = -(int.from_bytes(b[1:3], "big") % 2500)
    style = b[3]
    if style < 232:
        return _file_name(kind, days, _FILE_EXTS[style % len(_FILE_EXTS)], -1)
    return _file_name(kind, days, "csv", style % len(_FILE_ODD))


def _decode_branch(b: bytes) -> str:
    return BRANCH_NAMES[int.from_bytes(b, "big") % len(BRANCH_NAMES)]


def _decode_connector(b: bytes) -> str:
    return _CONNECTORS[b[0] % len(_CONNECTORS)]


def _possible_sums(node: _Node) -> list[_Sum]:
    """In the official profile: the per_branches lists whose figures may be made to add up (realism)."""
    items = node.properties.get("per_branches")
    if items is None or items.items is None:
        return []
    fields = tuple(f for f in node.properties if f.startswith("total_") and f in items.items.properties)
    return [_Sum(StrictRule("", "", "warning", "", "assumption"), node.loc, "per_branches", fields)] if fields else []


def _fix_sums(entity: dict[str, Any], parts: str, fields: Sequence[str]) -> None:
    items = entity.get(parts)
    if type(items) is not list or not items or not all(type(i) is dict for i in items):
        return
    for name in fields:
        if name in entity and all(type(i.get(name)) is int for i in items) and type(entity[name]) is int:
            entity[name] = sum(i[name] for i in items)


# -- applying mutations -----------------------------------------------------------------------------

Draw = Callable[[SearchStrategy[Any]], Any]
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


def _freeze(value: Any) -> str:
    return json.dumps(value, sort_keys=True) + type(value).__name__


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
        rx = ecma_regex(pattern)
    except re.error:
        return []
    candidates = ["", " ", "Bad-Request", "\n", "ÿ", "0", "A B", "!", "x" * 300, "ok\n"]
    return [c for c in candidates if rx.search(c) is None]


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


def _copy(document: Any) -> Any:
    return json.loads(json.dumps(document))


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


# -- query parameters -------------------------------------------------------------------------------


def _day(days: int) -> str:
    return (_BASE_DAY + timedelta(days=days)).isoformat()


_DAYS = st.integers(-2500, 400).map(_day)


class _QueryEngine:
    """Valid and invalid query parameters from an endpoint contract's parameter list."""

    def __init__(self, contract: Contract) -> None:
        assert contract.endpoint is not None
        self.contract = contract
        self.params = tuple(p for p in contract.endpoint.parameters if p.location == "query")

    def _value(self, p: Parameter) -> SearchStrategy[Any]:
        if p.enum is not None:
            return st.sampled_from(p.enum)
        if p.type == "integer":
            lo = p.minimum if p.minimum is not None else 0
            hi = p.maximum if p.maximum is not None else lo + 10_000
            edges = [v for v in dict.fromkeys((p.default, lo, hi)) if v is not None and lo <= v <= hi]
            return st.one_of(st.integers(lo, min(hi, lo + 30)), st.sampled_from(edges), st.integers(lo, hi))
        if p.type == "boolean":
            return st.booleans()
        if p.format == "date" or p.name in ("from", "to"):
            return _DAYS
        if p.name == "branch":
            return _BRANCHES
        return _SINGLE_LINE.filter(str.strip)

    def valid(self) -> SearchStrategy[dict[str, Any]]:
        required = {p.name: self._value(p) for p in self.params if p.required}
        optional = {p.name: self._value(p) for p in self.params if not p.required}
        order = [p.name for p in self.params]

        def finish(params: dict[str, Any]) -> dict[str, Any]:
            out = {k: params[k] for k in order if k in params}
            if isinstance(out.get("from"), str) and isinstance(out.get("to"), str) and out["from"] > out["to"]:
                out["from"], out["to"] = out["to"], out["from"]
            return out

        return st.fixed_dictionaries(required, optional=optional).map(finish)

    def breakers(self, p: Parameter) -> list[tuple[str, Any, str]]:
        """(rule, value, description) for every way to break ``p``."""
        out: list[tuple[str, Any, str]] = []
        if p.type == "integer":
            for v in ("abc", "1.5", "", "ten"):
                out.append(("type", v, f"{p.name} is not a whole number"))
            if p.minimum is not None:
                out.append(("minimum", p.minimum - 1, f"{p.name} is below its minimum {p.minimum}"))
                out.append(("minimum", p.minimum - 1000, f"{p.name} is below its minimum {p.minimum}"))
            if p.maximum is not None:
                out.append(("maximum", p.maximum + 1, f"{p.name} is above its maximum {p.maximum}"))
                out.append(("maximum", p.maximum * 10, f"{p.name} is above its maximum {p.maximum}"))
        if p.enum is not None:
            for v in ("other", p.enum[0].upper(), p.enum[0].rstrip("s"), ""):
                if v not in p.enum:
                    out.append(("enum", v, f"{p.name} is not one of {', '.join(p.enum)}"))
        if p.format == "date":
            for v in ("2026-13-01", "20/11/2026", "2026-11-20T00:00:00", "yesterday", "2026-02-30"):
                out.append(("format", v, f"{p.name} is not a YYYY-MM-DD date"))
        return out

    def invalid(self) -> SearchStrategy[InvalidQuery]:
        options = [(p, rule, value, what) for p in self.params for rule, value, what in self.breakers(p)]
        if not options:
            raise StrategyError(f"{self.contract.id!r} has no query parameter with a constraint to break")
        valid = self.valid()
        order = [p.name for p in self.params]

        def build(pair: tuple[dict[str, Any], tuple[Parameter, str, Any, str]]) -> InvalidQuery:
            params, (p, rule, value, what) = pair
            params = dict(params)
            params[p.name] = value
            params = {k: params[k] for k in order if k in params}
            return InvalidQuery(params, (ExpectedViolation("/" + p.name, rule),), what)

        return st.tuples(valid, st.sampled_from(options)).map(build)
