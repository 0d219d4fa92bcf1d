"""The documented strategies: one function per kind of document, keyword-only options, built at draw time."""

from __future__ import annotations

from typing import Any, Iterable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..loader import Registry
from ._engines import engine_for, query_engine_for
from ._values import InvalidPayload, InvalidQuery, Mutation

DEFAULT_CONTRACT = "connectors.log-record"


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
    return st.deferred(lambda: engine_for(registry, contract, profile).valid())


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
    return st.deferred(lambda: engine_for(registry, contract, profile).invalid(chosen))


def mutations(contract: str = DEFAULT_CONTRACT, *, profile: str = "official",
              registry: Registry | None = None) -> tuple[Mutation, ...]:
    """The catalogue ``invalid_payloads`` draws from: one entry per constraint of the contract.

    Every ``type`` and ``pattern`` at every location of the schema, every
    ``required`` name (plus ``enum``/``minimum``/``maximum`` where the schema
    has them), and under ``profile="strict"`` every strict rule at every
    location it applies to. Raises ``StrategyError`` for an unknown contract.
    """
    return engine_for(registry, contract, profile).catalogue


def response_bodies(contract: str, status: str = "200", *, profile: str = "official",
                    envelope: bool | None = None, registry: Registry | None = None) -> SearchStrategy[Any]:
    """Bodies of an endpoint contract's response ``status``, valid under ``profile``.

    ``envelope``: for a response the API v3 envelope may wrap, ``True`` always
    wraps it, ``False`` never, ``None`` (default) draws both.
    """
    return st.deferred(lambda: engine_for(registry, contract, profile, str(status)).valid(envelope))


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
    return st.deferred(lambda: query_engine_for(registry, contract).valid())


def invalid_query_params(contract: str, *, registry: Registry | None = None) -> SearchStrategy[InvalidQuery]:
    """Query parameters where exactly one parameter breaks its contract (type, limits, enum, date format).

    Fails at draw time for an endpoint whose parameters have nothing to break.
    """
    return st.deferred(lambda: query_engine_for(registry, contract).invalid())
