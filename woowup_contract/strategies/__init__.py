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

from ._build import MAX_BRANCHES as MAX_BRANCHES
from ._data import BRANCH_NAMES as BRANCH_NAMES
from ._from_contract import (
    DEFAULT_CONTRACT as DEFAULT_CONTRACT,
    account_stats,
    invalid_payloads,
    invalid_query_params,
    log_lists,
    log_responses,
    mutations,
    payloads,
    query_params,
    response_bodies,
)
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
