"""Which document a contract describes: decided once (``Contract.document``), read by the checker and the strategies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from woowup_contract import Checker
from woowup_contract.checker import target_schema
from woowup_contract.generate import collect
from woowup_contract.loader import Registry
from woowup_contract.model import Contract, Endpoint, Response, Schema, Source
from woowup_contract.strategies import StrategyError, payloads, response_bodies


def _registry(*contracts: Contract) -> Registry:
    return Registry(contracts={c.id: c for c in contracts})


def _endpoint_contract(payload: str, *, request_body: Any = None) -> Contract:
    ok = Response("200", "stored", "documented", body={"type": "object", "required": ["id"]})
    endpoint = Endpoint("POST", "connectors", "/v1/things", None, (), request_body, (ok,), "documented", payload)
    return Contract("test.things", "endpoint", "Things", Source("doc", "section", "url"), "things.yaml",
                    endpoint=endpoint, bundled=False)


def test_a_payload_contract_describes_its_own_schema_as_written(registry: Registry) -> None:
    contract = registry.get("connectors.log-record")
    document = contract.document()
    assert contract.schema is not None
    assert document.body == {"$contract": "connectors.log-record"}  # its strict rules apply from the root
    assert document.envelope is None
    assert document.schema(registry.resolve) is contract.schema.document
    assert target_schema(registry, contract) == (contract.schema.document, None)


def test_an_endpoint_contract_describes_the_message_its_payload_names(registry: Registry) -> None:
    post = registry.get("connectors.post-log")
    assert post.endpoint is not None and post.endpoint.payload == "request"
    assert post.document().body == post.endpoint.request_body
    stats = registry.get("apiv3.account-stats")
    response = stats.response("200")
    assert response is not None
    assert stats.document().body == response.body
    assert stats.document().envelope == response.envelope is not None
    assert target_schema(registry, stats) == (registry.resolve(response.body), response.envelope)


def test_a_status_picks_another_response(registry: Registry) -> None:
    post = registry.get("connectors.post-log")
    response = post.response("429")
    assert response is not None
    assert post.document("429").body == response.body
    with pytest.raises(LookupError, match=r"'connectors.post-log' has no response 999 \(it has 200, 400"):
        post.document("999")
    with pytest.raises(LookupError, match="'connectors.log-record' is a payload contract: it has no responses"):
        registry.get("connectors.log-record").document("200")


def test_a_response_without_a_body_describes_any_document() -> None:
    contract = _endpoint_contract("200")
    assert contract.endpoint is not None
    bare = replace(contract, endpoint=replace(contract.endpoint, responses=(Response("200", "ok", "documented"),)))
    assert bare.document().body is True
    checker = Checker(_registry(bare), "test.things")
    assert checker.check_document(["anything", 1]).valid
    assert all(checker.check_document(v).valid for v in collect(payloads("test.things", registry=_registry(bare)), 5, 0))


def test_a_payload_naming_a_missing_response_is_refused_by_name_everywhere() -> None:
    """The checker asserted (an AssertionError, or an AttributeError under ``python -O``); the
    strategies named the problem. Both now refuse with the same message."""
    registry = _registry(_endpoint_contract("404"))
    message = r"'test.things' has no response 404 \(it has 200\)"
    with pytest.raises(LookupError, match=message):
        Checker(registry, "test.things")
    with pytest.raises(StrategyError, match=message):
        collect(payloads("test.things", registry=registry), 1, 0)


def test_a_request_payload_without_a_request_body_is_refused_everywhere() -> None:
    registry = _registry(_endpoint_contract("request"))
    message = "'test.things': payload is 'request' but the endpoint has no request body"
    with pytest.raises(LookupError, match=message):
        Checker(registry, "test.things")
    with pytest.raises(StrategyError, match=message):
        collect(payloads("test.things", registry=registry), 1, 0)


def test_both_read_the_request_body_when_the_payload_is_the_request() -> None:
    registry = _registry(_endpoint_contract("request", request_body={"type": "object", "required": ["name"]}))
    checker = Checker(registry, "test.things")
    drawn = collect(payloads("test.things", registry=registry), 10, 0)
    assert drawn and all("name" in d and checker.check_document(d).valid for d in drawn)
    assert not checker.check_document({}).valid
    stored = collect(response_bodies("test.things", "200", registry=registry), 10, 0)
    assert stored and all("id" in d for d in stored)


def test_a_contract_reference_inside_a_payload_schema_is_not_expanded() -> None:
    """``$contract`` means something in endpoint bodies only. Inside a payload contract's schema
    the checker sees an unknown keyword (it judges the schema as written); the strategies used to
    expand it and draw the other contract there. They now read the same schema, and refuse."""
    inner = Contract("test.inner", "payload", "Inner", Source("doc", "s", "u"), "inner.yaml",
                     schema=Schema("official", "draft-07", {"type": "string"}), bundled=False)
    outer = Contract("test.outer", "payload", "Outer", Source("doc", "s", "u"), "outer.yaml",
                     schema=Schema("official", "draft-07", {"type": "object", "properties": {
                         "name": {"$contract": "test.inner"}}}), bundled=False)
    registry = _registry(inner, outer)
    assert Checker(registry, "test.outer").check_document({"name": 42}).valid
    with pytest.raises(StrategyError, match=r"keyword '\$contract' at /name"):
        collect(payloads("test.outer", registry=registry), 1, 0)
