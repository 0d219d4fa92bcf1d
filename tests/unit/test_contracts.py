"""The bundled contracts hold exactly what WoowUp publishes, and pin where the page contradicts itself.

The facts come from ``tests/fixtures/published/``: verbatim copies of the page's
blocks. A contract that drifts from them, or an example whose pinned verdict
no longer holds, fails here.
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from woowup_contract.checker import Checker
from woowup_contract.lint import example_problems
from woowup_contract.loader import Registry, load_registry
from woowup_contract.model import PROVENANCES, Contract, ExpectedViolation

PUBLISHED = Path(__file__).resolve().parents[1] / "fixtures" / "published"
REPO = Path(__file__).resolve().parents[2]
BUNDLED = load_registry()  # for parametrize ids; tests use the ``registry`` fixture

PER_BRANCH_DRIFT = {
    ("/stats/customers/per_branches/0/total_created", "required"),
    ("/stats/customers/per_branches/0/total_updated", "required"),
    ("/stats/customers/per_branches/0/total_failed", "required"),
}

# (published block, contract, example name)
PUBLISHED_EXAMPLES = [
    ("log-record.response-200.json", "connectors.log-record", "response-200"),
    ("log-record.request-body.json", "connectors.log-record", "request-body"),
    ("list-logs.response-200.json", "connectors.list-logs", "response-200"),
    ("account-stats.response-200.txt", "apiv3.account-stats", "response-200"),
]


def published(name: str) -> str:
    return (PUBLISHED / name).read_text(encoding="utf-8")


def example(registry: Registry, contract_id: str, name: str) -> Any:
    matches = [e for e in registry.get(contract_id).examples if e.name == name]
    assert len(matches) == 1, f"{contract_id} has {len(matches)} examples named {name}"
    return matches[0]


# -- the official schema ----------------------------------------------------------


def test_embedded_schema_equals_the_published_json_schema(registry: Registry) -> None:
    schema = registry.get("connectors.log-record").schema
    assert schema is not None
    assert schema.document == json.loads(published("log-record.schema.json"))
    assert (schema.provenance, schema.dialect) == ("official", "draft-07")


def test_schema_text_is_the_published_block_verbatim() -> None:
    """Not only equal once parsed: the contract file holds the page's block character for character."""
    text = (REPO / "contracts" / "connectors.log-record.yaml").read_text(encoding="utf-8")
    assert textwrap.indent(published("log-record.schema.json"), "    ") in text


def test_published_schema_fixture_is_the_draft07_schema_the_page_names() -> None:
    document = json.loads(published("log-record.schema.json"))
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert document["required"] == ["files", "processingtime", "stats"]
    branch = document["properties"]["stats"]["properties"]["customers"]["properties"]["per_branches"]["items"]
    assert branch["required"] == ["branch", "total_created", "total_updated", "total_failed"]


# -- the documented examples ------------------------------------------------------


@pytest.mark.parametrize(("block", "contract_id", "name"), PUBLISHED_EXAMPLES,
                         ids=[f"{c}:{n}" for _, c, n in PUBLISHED_EXAMPLES])
def test_example_raw_text_is_exactly_as_published(registry: Registry, block: str, contract_id: str,
                                                  name: str) -> None:
    ex = example(registry, contract_id, name)
    assert ex.raw == published(block)
    assert ex.provenance == "documented"


def test_account_stats_example_is_published_invalid_json_and_kept_so() -> None:
    text = published("account-stats.response-200.txt")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert '"total_invoice_items": 600,\n\t\t}' in text


@pytest.mark.parametrize(
    ("contract_id", "name"),
    [(c.id, e.name) for c in BUNDLED for e in c.examples],
    ids=[f"{c.id}:{e.name}" for c in BUNDLED for e in c.examples],
)
def test_every_example_keeps_its_pinned_verdict(registry: Registry, contract_id: str, name: str) -> None:
    contract = registry.get(contract_id)
    assert example_problems(registry, contract, example(registry, contract_id, name)) == []


@pytest.mark.parametrize("name", ["response-200", "request-body"])
def test_log_record_examples_fail_with_exactly_the_per_branch_drift(registry: Registry, name: str) -> None:
    ex = example(registry, "connectors.log-record", name)
    assert ex.verdict == "invalid"
    assert {(v.pointer, v.rule) for v in ex.violations} == PER_BRANCH_DRIFT
    result = Checker(registry).check_text(ex.raw, name)
    assert not result.valid
    assert {(v.pointer, v.rule) for v in result.errors} == PER_BRANCH_DRIFT
    hints = {v.pointer.rsplit("/", 1)[1]: v.hint for v in result.errors}
    assert hints == {
        "total_created": "rename created to total_created (the documented example uses the wrong key)",
        "total_updated": "rename updated to total_updated (the documented example uses the wrong key)",
        "total_failed": "rename failed to total_failed (the documented example uses the wrong key)",
    }


def test_list_logs_example_fails_with_the_same_drift_inside_the_array(registry: Registry) -> None:
    ex = example(registry, "connectors.list-logs", "response-200")
    result = Checker(registry, "connectors.list-logs").check_text(ex.raw)
    assert {(v.pointer, v.rule) for v in result.errors} == {("/0" + p, r) for p, r in PER_BRANCH_DRIFT}
    assert all(v.hint and v.hint.startswith("rename") for v in result.errors)


def test_account_stats_example_is_pinned_unparseable_at_the_trailing_comma(registry: Registry) -> None:
    ex = example(registry, "apiv3.account-stats", "response-200")
    assert ex.verdict == "unparseable"
    result = Checker(registry, "apiv3.account-stats").check_text(ex.raw)
    assert [(v.pointer, v.rule, v.line, v.column) for v in result.errors] == [("", "parse", 13, 3)]
    assert "trailing comma" in result.errors[0].message


class TestExampleProblemsCanFail:
    """example_problems is what lint and the tests above rely on: it must notice a broken pin."""

    def test_a_wrong_verdict_is_reported(self, registry: Registry) -> None:
        contract = registry.get("connectors.log-record")
        ex = dataclasses.replace(example(registry, contract.id, "request-body"), verdict="valid")
        assert "pinned valid, but it is invalid" in example_problems(registry, contract, ex)

    def test_an_unpinned_violation_is_reported(self, registry: Registry) -> None:
        contract = registry.get("connectors.log-record")
        ex = example(registry, contract.id, "request-body")
        ex = dataclasses.replace(ex, violations=ex.violations[:2])
        problems = example_problems(registry, contract, ex)
        assert problems == ["violation /stats/customers/per_branches/0/total_failed [required] is not pinned"]

    def test_a_pinned_violation_that_does_not_occur_is_reported(self, registry: Registry) -> None:
        contract = registry.get("connectors.log-record")
        ex = example(registry, contract.id, "request-body")
        ex = dataclasses.replace(ex, violations=ex.violations + (ExpectedViolation("/files", "type"),))
        assert example_problems(registry, contract, ex) == ["pinned violation /files [type] does not occur"]

    def test_a_moved_position_is_reported(self, registry: Registry) -> None:
        contract = registry.get("connectors.log-record")
        ex = example(registry, contract.id, "request-body")
        first = dataclasses.replace(ex.violations[0], line=1, column=1)
        ex = dataclasses.replace(ex, violations=(first,) + ex.violations[1:])
        problems = example_problems(registry, contract, ex)
        assert problems == [f"{first.pointer} [required] pinned at 1:1, found at 10:5"]


# -- provenance -------------------------------------------------------------------


def _provenances(contract: Contract) -> list[tuple[str, str]]:
    """(element, provenance) for every element of a contract that must carry one."""
    out: list[tuple[str, str]] = []
    if contract.schema is not None:
        out.append(("schema", contract.schema.provenance))
    out += [(f"example {e.name}", e.provenance) for e in contract.examples]
    out += [(f"drift {d.id}", d.provenance) for d in contract.drift]
    out += [(f"strict {r.id}", r.provenance) for r in contract.strict]
    if contract.endpoint is not None:
        e = contract.endpoint
        out.append(("endpoint", e.provenance))
        if e.auth is not None:
            out.append(("auth", e.auth.provenance))
        out += [(f"parameter {p.name}", p.provenance) for p in e.parameters]
        for r in e.responses:
            out.append((f"response {r.status}", r.provenance))
            if r.envelope is not None:
                out.append((f"response {r.status} envelope", r.envelope.provenance))
    return out


@pytest.mark.parametrize("contract_id", [c.id for c in BUNDLED])
def test_every_element_carries_a_known_provenance(registry: Registry, contract_id: str) -> None:
    elements = _provenances(registry.get(contract_id))
    assert elements, "a contract without elements"
    assert [(name, p) for name, p in elements if p not in PROVENANCES] == []


def test_provenance_says_where_each_fact_comes_from(registry: Registry) -> None:
    record = registry.get("connectors.log-record")
    assert record.schema is not None and record.schema.provenance == "official"
    stats = registry.get("apiv3.account-stats").endpoint
    assert stats is not None
    ok = next(r for r in stats.responses if r.status == "200")
    assert ok.provenance == "documented"  # derived from the example: no schema is published
    assert ok.envelope is not None and ok.envelope.provenance == "convention"
    assert stats.auth is not None and stats.auth.provenance == "convention"  # the page lists no header
    post = registry.get("connectors.post-log").endpoint
    assert post is not None and post.auth is not None and post.auth.provenance == "documented"
    error = registry.get("apiv3.error")
    assert error.schema is not None and error.schema.provenance == "convention"


# -- the documentation drift ------------------------------------------------------


def drift(registry: Registry, contract_id: str, drift_id: str) -> Any:
    matches = [d for d in registry.get(contract_id).drift if d.id == drift_id]
    assert len(matches) == 1, f"{contract_id} pins no drift {drift_id}"
    return matches[0]


def test_drift_created_vs_total_created(registry: Registry) -> None:
    d = drift(registry, "connectors.log-record", "per-branch-customer-keys")
    assert "created" in d.documented and "total_created" in d.official


def test_drift_processedtime_is_what_the_body_table_says(registry: Registry) -> None:
    d = drift(registry, "connectors.log-record", "processing-time-name")
    assert (d.field, d.documented) == ("processingtime", "processedtime")
    table = published("log-record.body-table.md")
    assert re.search(r"^\| processedtime +\| string", table, re.M)
    assert "processingtime" not in table
    assert '"processingtime"' in published("log-record.request-body.json")


def test_drift_iso8601_prose_vs_pattern(registry: Registry) -> None:
    d = drift(registry, "connectors.log-record", "processing-time-format")
    assert "ISO-8601" in d.documented and "^(.*)$" in d.official
    assert "DateTime ISO-8601" in published("log-record.body-table.md")
    schema = json.loads(published("log-record.schema.json"))
    assert schema["properties"]["processingtime"] == {"type": "string", "pattern": "^(.*)$"}


def test_drift_integer_revenue(registry: Registry) -> None:
    d = drift(registry, "connectors.log-record", "revenue-integer")
    assert d.field == "stats.purchases.total_revenue" and "integer" in d.official
    schema = json.loads(published("log-record.schema.json"))
    assert schema["properties"]["stats"]["properties"]["purchases"]["properties"]["total_revenue"] == {
        "type": "integer"}


def test_drift_createtime_is_server_set(registry: Registry) -> None:
    d = drift(registry, "connectors.log-record", "createtime")
    assert d.field == "createtime"
    assert '"createtime"' in published("log-record.response-200.json")
    assert "createtime" not in published("log-record.schema.json")


def test_drift_stats_example_not_json(registry: Registry) -> None:
    d = drift(registry, "apiv3.account-stats", "stats-example-not-json")
    assert "trailing comma" in d.documented


def test_every_drift_entry_has_all_its_fields(registry: Registry) -> None:
    for contract in registry:
        for d in contract.drift:
            empty = [f.name for f in dataclasses.fields(d) if not getattr(d, f.name)]
            assert empty == [], f"{contract.id} drift {d.id}"


# -- apiv3.account-stats: a schema derived from the example -----------------------


def fixed_stats_example() -> str:
    """The published example with its one trailing comma removed."""
    text, n = re.subn(r",(\s*})", r"\1", published("account-stats.response-200.txt"))
    assert n == 1
    return text


def test_derived_stats_schema_requires_every_field_of_the_example(registry: Registry) -> None:
    endpoint = registry.get("apiv3.account-stats").endpoint
    assert endpoint is not None
    body = next(r for r in endpoint.responses if r.status == "200").body
    assert body is not None
    document = json.loads(fixed_stats_example())
    assert set(body["required"]) == set(document)
    assert set(body["properties"]["per_branches"]["items"]["required"]) == set(document["per_branches"][0])


def test_derived_stats_schema_accepts_the_fixed_example_bare(registry: Registry) -> None:
    result = Checker(registry, "apiv3.account-stats").check_text(fixed_stats_example(), "stats.json")
    assert result.valid, result.violations
    assert result.violations == ()
    assert result.envelope == "bare"


def test_derived_stats_schema_accepts_the_enveloped_form(registry: Registry) -> None:
    wrapped = {"payload": json.loads(fixed_stats_example()), "message": "ok", "code": "ok"}
    result = Checker(registry, "apiv3.account-stats").check_text(json.dumps(wrapped, indent=2))
    assert result.valid, result.violations
    assert result.envelope == "enveloped"
    assert result.to_dict()["envelope"] == "enveloped"


def test_enveloped_stats_violations_point_inside_the_envelope(registry: Registry) -> None:
    body = json.loads(fixed_stats_example())
    del body["per_branches"][0]["total_revenue"]
    body["total_customers"] = "100"
    text = json.dumps({"payload": body, "message": "ok", "code": "ok"}, indent=2)
    result = Checker(registry, "apiv3.account-stats").check_text(text)
    assert result.envelope == "enveloped"
    assert {(v.pointer, v.rule) for v in result.errors} == {
        ("/payload/per_branches/0/total_revenue", "required"),
        ("/payload/total_customers", "type"),
    }
    # the missing member points at its parent object, the wrong type at the value
    positions = {v.rule: (v.line, v.column) for v in result.errors}
    lines = text.splitlines()
    assert lines[positions["type"][0] - 1][positions["type"][1] - 1:].startswith('"100"')
    assert lines[positions["required"][0] - 1][positions["required"][1] - 1] == "{"


def test_bare_stats_with_a_missing_total_is_invalid(registry: Registry) -> None:
    body = json.loads(fixed_stats_example())
    del body["total_revenue"]
    result = Checker(registry, "apiv3.account-stats").check_document(body)
    assert result.envelope == "bare"
    assert [(v.pointer, v.rule) for v in result.errors] == [("/total_revenue", "required")]


# -- endpoint facts the page states -----------------------------------------------


@pytest.mark.parametrize(("contract_id", "method", "host", "path", "schemes"), [
    ("connectors.post-log", "POST", "https://connectors.woowup.com", "/v1/log", ("bearer",)),
    ("connectors.list-logs", "GET", "https://connectors.woowup.com", "/v1/logs", ("bearer",)),
    ("apiv3.account-stats", "GET", "https://api.woowup.com", "/apiv3/stats", ("basic-raw-key", "bearer")),
])
def test_endpoint_method_host_path_and_auth(registry: Registry, contract_id: str, method: str, host: str,
                                            path: str, schemes: tuple[str, ...]) -> None:
    endpoint = registry.get(contract_id).endpoint
    assert endpoint is not None
    assert (endpoint.method, endpoint.host, endpoint.path) == (method, host, path)
    assert endpoint.auth is not None and endpoint.auth.schemes == schemes
    assert endpoint.auth.header == "Authorization"


def test_list_logs_parameters_as_documented(registry: Registry) -> None:
    endpoint = registry.get("connectors.list-logs").endpoint
    assert endpoint is not None
    params = {p.name: p for p in endpoint.parameters}
    assert set(params) == {"entity", "page", "limit", "from", "to"}
    assert params["entity"].enum == ("customers", "purchases", "products", "branches")
    assert (params["page"].default, params["page"].minimum) == (0, 0)
    assert (params["limit"].default, params["limit"].minimum, params["limit"].maximum) == (25, 1, 100)
    assert params["from"].format == params["to"].format == "date"
    assert all(p.location == "query" for p in params.values())


def test_account_stats_parameters_as_documented(registry: Registry) -> None:
    endpoint = registry.get("apiv3.account-stats").endpoint
    assert endpoint is not None
    assert {(p.name, p.type, p.location) for p in endpoint.parameters} == {
        ("from", "string", "query"), ("to", "string", "query"), ("branch", "string", "query")}


def test_post_log_checks_the_request_body_against_the_record(registry: Registry) -> None:
    endpoint = registry.get("connectors.post-log").endpoint
    assert endpoint is not None
    assert endpoint.payload == "request"
    assert endpoint.request_body == {"$contract": "connectors.log-record"}
    ok = registry.get("connectors.post-log").response("200")
    assert ok is not None and ok.body is not None
    resolved = registry.resolve(ok.body)
    assert resolved["allOf"][1]["required"] == ["createtime"]
    record_schema = json.loads(published("log-record.schema.json"))
    assert resolved["allOf"][0] == {k: v for k, v in record_schema.items()
                                    if k not in ("$schema", "$id", "definitions")}
