"""The query engine: valid and labelled-invalid query parameters from an endpoint contract."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..model import Contract, ExpectedViolation, Parameter
from ._data import BASE_DAY, BRANCHES, SINGLE_LINE
from ._values import InvalidQuery, StrategyError

# -- query parameters -------------------------------------------------------------------------------


def _day(days: int) -> str:
    return (BASE_DAY + timedelta(days=days)).isoformat()


_DAYS = st.integers(-2500, 400).map(_day)


class QueryEngine:
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
            return BRANCHES
        return SINGLE_LINE.filter(str.strip)

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
