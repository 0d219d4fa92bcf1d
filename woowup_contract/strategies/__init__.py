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

from typing import Any, Iterable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..loader import Registry
from ._build import MAX_BRANCHES as MAX_BRANCHES
from ._data import BRANCH_NAMES as BRANCH_NAMES
from ._engines import _engine, _query_engine
from ._values import InvalidPayload, InvalidQuery, Mutation, StrategyError

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
