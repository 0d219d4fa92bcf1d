"""The OpenAPI export: valid for openapi-spec-validator, loadable by schemathesis, faithful to the contracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from tests.conftest import CliRun, run_in_process
from woowup_contract import load_registry
from woowup_contract.ecma import ECMA_DOT
from woowup_contract.ecma import for_engine as ecma_explicit_pattern
from woowup_contract.openapi import build_openapi, convert_schema


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi(load_registry())


def _op(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return document["paths"][path][method]


def _param(op: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in op["parameters"] if p["name"] == name)


def _as_written(node: Any) -> Any:
    """A schema with each pattern as the contract writes it and the x- metadata gone."""
    if isinstance(node, dict):
        out = {k: _as_written(v) for k, v in node.items() if not k.startswith("x-")}
        if "x-pattern-verbatim" in node:
            out["pattern"] = node["x-pattern-verbatim"]
        return out
    if isinstance(node, list):
        return [_as_written(v) for v in node]
    return node


def test_the_document_passes_openapi_spec_validator(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any problem


def test_the_document_loads_in_schemathesis_with_the_three_operations(document: dict[str, Any]) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config())
    labels = sorted(r.ok().label for r in schema.get_all_operations())
    assert labels == ["GET /apiv3/stats", "GET /v1/logs", "POST /v1/log"]
    drawn: list[Any] = []

    @given(schema["/v1/log"]["POST"].as_strategy())
    @settings(max_examples=3, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def draw(case: Any) -> None:
        drawn.append(case.body)

    draw()
    assert drawn and all({"files", "processingtime", "stats"} <= set(b) for b in drawn)


def test_both_servers_top_level_and_one_per_operation(document: dict[str, Any]) -> None:
    assert {s["url"] for s in document["servers"]} == {"https://connectors.woowup.com", "https://api.woowup.com"}
    assert _op(document, "/v1/log", "post")["servers"] == [{"url": "https://connectors.woowup.com"}]
    assert _op(document, "/v1/logs", "get")["servers"] == [{"url": "https://connectors.woowup.com"}]
    assert _op(document, "/apiv3/stats", "get")["servers"] == [{"url": "https://api.woowup.com"}]


def test_security_bearer_for_connectors_and_the_raw_key_basic_convention_for_apiv3(
        document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"
    assert schemes["bearer"]["x-provenance"] == "documented"
    raw = schemes["basicRawKey"]
    assert (raw["type"], raw["in"], raw["name"]) == ("apiKey", "header", "Authorization")
    assert "raw key" in raw["description"] and "NOT base64" in raw["description"]
    assert raw["x-provenance"] == "convention"
    assert _op(document, "/v1/log", "post")["security"] == [{"bearer": []}]
    assert _op(document, "/apiv3/stats", "get")["security"] == [{"basicRawKey": []}, {"bearer": []}]
    assert _op(document, "/apiv3/stats", "get")["x-auth"]["provenance"] == "convention"


def test_parameters_keep_types_defaults_limits_enums_and_formats(document: dict[str, Any]) -> None:
    logs = _op(document, "/v1/logs", "get")
    assert _param(logs, "page")["schema"] == {"type": "integer", "minimum": 0, "default": 0}
    assert _param(logs, "limit")["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
    assert _param(logs, "entity")["schema"]["enum"] == ["customers", "purchases", "products", "branches"]
    assert _param(logs, "from")["schema"] == {"type": "string", "format": "date"}
    assert all(p["in"] == "query" and p["required"] is False and "x-provenance" in p for p in logs["parameters"])
    stats = _op(document, "/apiv3/stats", "get")
    assert {p["name"] for p in stats["parameters"]} == {"from", "to", "branch"}


def test_request_and_response_schemas_come_from_the_contracts(document: dict[str, Any]) -> None:
    record = document["components"]["schemas"]["connectors.log-record"]
    published = json.loads((Path(__file__).parents[1] / "fixtures/published/log-record.schema.json").read_text())
    # draft-07 → 3.1: $schema, $id and the empty definitions go, patterns are spelled out (the verbatim one
    # kept beside); everything else is the published schema
    assert _as_written(record) == {k: v for k, v in published.items() if k not in ("$schema", "$id", "definitions")}
    processingtime = record["properties"]["processingtime"]
    assert processingtime["pattern"] == "^([^\\n\\r\\u2028\\u2029]*)$"
    assert processingtime["x-pattern-verbatim"] == "^(.*)$"
    post = _op(document, "/v1/log", "post")
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/connectors.log-record"}
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["allOf"][0] == {"$ref": "#/components/schemas/connectors.log-record"}
    assert ok["allOf"][1]["required"] == ["createtime"]
    stats_ok = _op(document, "/apiv3/stats", "get")["responses"]["200"]["content"]["application/json"]["schema"]
    # the bare body or the API v3 envelope around it
    assert stats_ok["anyOf"][0] == {"$ref": "#/components/schemas/apiv3.account-stats.200"}
    assert stats_ok["anyOf"][1]["properties"]["payload"] == stats_ok["anyOf"][0]


def test_error_responses_use_the_apiv3_error_envelope_and_429_has_retry_after(document: dict[str, Any]) -> None:
    post = _op(document, "/v1/log", "post")
    assert sorted(post["responses"]) == ["200", "400", "403", "413", "415", "429", "500", "502", "503", "504"]
    for path, method in (("/v1/logs", "get"), ("/apiv3/stats", "get")):
        assert sorted(_op(document, path, method)["responses"]) == [
            "200", "400", "403", "429", "500", "502", "503", "504"]
    for status in ("400", "403", "413", "415", "429", "500", "502", "503", "504"):
        media = post["responses"][status]["content"]["application/json"]
        assert media["schema"] == {"$ref": "#/components/schemas/apiv3.error"}
    retry = post["responses"]["429"]["headers"]["Retry-After"]
    assert retry["required"] is True and retry["schema"] == {"type": "integer", "minimum": 0}
    assert document["components"]["schemas"]["apiv3.error"]["required"] == ["payload", "message", "code"]
    assert post["responses"]["413"]["x-provenance"] == "assumption"
    assert post["responses"]["403"]["x-provenance"] == "convention"
    assert post["responses"]["504"]["x-provenance"] == "assumption"
    # no status a missing key never gets: WoowUp answers 403, and the operation says so
    assert "401" not in post["responses"]
    assert "A missing or invalid key is answered 403 (convention), not 401." in post["description"]


def _media(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every request and response media-type object of the document."""
    out = []
    for ops in document["paths"].values():
        for op in ops.values():
            bodies = [op["requestBody"]] if "requestBody" in op else []
            bodies += list(op["responses"].values())
            out += [m for b in bodies for m in b.get("content", {}).values()]
    return out


def test_examples_hold_only_what_passes_the_contract_the_rest_goes_aside(document: dict[str, Any]) -> None:
    # mock servers (Prism) serve `examples`: a documented example that fails the contract must not be there
    media = _media(document)
    assert [e for m in media for e in m.get("examples", {}).values() if e["x-verdict"] != "valid"] == []
    assert sum(len(m.get("examples", {})) for m in media) == 4  # response-200-fixed, forbidden on each 403
    post = _op(document, "/v1/log", "post")
    request = post["requestBody"]["content"]["application/json"]
    assert "examples" not in request
    example = request["x-invalid-examples"]["request-body"]
    assert example["x-provenance"] == "documented" and example["x-verdict"] == "invalid"
    assert "FAILS the contract" in example["summary"]
    assert example["value"]["stats"]["customers"]["per_branches"][0]["created"] == 200
    ok = post["responses"]["200"]["content"]["application/json"]
    assert "examples" not in ok and "response-200" in ok["x-invalid-examples"]
    forbidden = post["responses"]["403"]["content"]["application/json"]["examples"]["forbidden"]
    assert forbidden["value"]["code"] == "forbidden" and forbidden["x-provenance"] == "convention"
    stats = _op(document, "/apiv3/stats", "get")["responses"]["200"]["content"]["application/json"]
    assert list(stats["examples"]) == ["response-200-fixed"]  # the published one is not JSON
    assert stats["examples"]["response-200-fixed"]["x-provenance"] == "assumption"
    aside = stats["x-unparseable-examples"]
    assert [a["name"] for a in aside] == ["response-200"] and aside[0]["x-provenance"] == "documented"
    assert '"total_invoice_items": 600,\n\t\t}' in aside[0]["raw"]


def test_every_served_example_passes_the_validator(document: dict[str, Any]) -> None:
    from woowup_contract.checker import Checker

    registry = load_registry()
    checked = 0
    for ops in document["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                for media in response.get("content", {}).values():
                    for name, example in media.get("examples", {}).items():
                        contract = op["x-contract"] if status.startswith("2") else "apiv3.error"
                        assert Checker(registry, contract).check_document(example["value"]).valid, name
                        checked += 1
    assert checked == 4


ECMA_SAMPLES = ["", "a", "ab", "a.b", "axb", "\r", "a\rb", "\u2028", "x\u2029", "\t", "é", ".", "[", "\\"]


@pytest.mark.parametrize("pattern", ["^(.*)$", "a.b", "^[.]x$", "^\\.$", "^[a-z_]+$", "^[\\].]$", "(?:.|\\.)+"])
def test_spelled_out_patterns_keep_the_ecma_language_and_python_re_reads_them_alike(pattern: str) -> None:
    import re

    import regress

    spelled = ecma_explicit_pattern(pattern)
    original, translated = regress.Regex(pattern), regress.Regex(spelled)
    for sample in ECMA_SAMPLES:
        ecma = original.find(sample) is not None
        assert (translated.find(sample) is not None) == ecma, (pattern, sample)
        assert (re.search(spelled, sample) is not None) == ecma, (pattern, sample)


def test_dots_in_classes_and_escapes_stay_and_python_re_reads_the_verbatim_pattern_otherwise() -> None:
    import re

    assert ecma_explicit_pattern("^(.*)$") == f"^({ECMA_DOT}*)$"
    assert ecma_explicit_pattern("^[.]\\..$") == f"^[.]\\.{ECMA_DOT}$"
    assert ecma_explicit_pattern("^[a-z_]+$") == "^[a-z_]+$"
    assert re.search("^(.*)$", "\r")  # the divergence the spelling removes: Python's `.` takes \r
    assert convert_schema({"type": "string", "pattern": "^[a-z_]+$"}) == {"type": "string", "pattern": "^[a-z_]+$"}
    assert convert_schema({"pattern": "a.b"}) == {"pattern": f"a{ECMA_DOT}b", "x-pattern-verbatim": "a.b"}


def test_provenance_and_drift_travel_with_the_operations(document: dict[str, Any]) -> None:
    for path, method in (("/v1/log", "post"), ("/v1/logs", "get"), ("/apiv3/stats", "get")):
        op = _op(document, path, method)
        assert op["x-provenance"] in ("official", "documented", "convention", "assumption")
        assert all("x-provenance" in r for r in op["responses"].values())
        assert op["externalDocs"]["url"].startswith("https://woowup-docs.gitbook.io/")
    drift = {d["id"] for d in _op(document, "/v1/log", "post")["x-drift"]}
    assert {"per-branch-customer-keys", "processing-time-name", "revenue-integer"} <= drift


def test_draft07_keywords_are_translated_to_the_openapi_31_dialect() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#", "$id": "http://example.com/root.json",
        "definitions": {"name": {"type": "string", "pattern": "^[a-z]+$"}},
        "type": "object",
        "properties": {
            "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": False},
            "name": {"$ref": "#/definitions/name"},
            "$id": {"type": "string"},
        },
        "dependencies": {"a": ["b"], "c": {"required": ["d"]}},
        "enum_like": {"enum": [{"$schema": "kept, it is data"}]},
    }
    out = convert_schema(schema, "my.contract")
    assert "$schema" not in out and "$id" not in out
    assert out["properties"]["pair"] == {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}],
                                         "items": False}
    assert out["properties"]["name"] == {"$ref": "#/components/schemas/my.contract/definitions/name"}
    assert out["definitions"]["name"]["pattern"] == "^[a-z]+$"
    assert out["properties"]["$id"] == {"type": "string"}  # a property named $id is not the keyword
    assert out["dependentRequired"] == {"a": ["b"]} and out["dependentSchemas"] == {"c": {"required": ["d"]}}
    assert out["enum_like"]["enum"] == [{"$schema": "kept, it is data"}]


def _cli(*args: str) -> CliRun:
    return run_in_process(["contracts", "openapi", *args])


def test_the_cli_writes_json_by_default_and_yaml_by_suffix_or_option(tmp_path: Path,
                                                                    document: dict[str, Any]) -> None:
    proc = _cli()
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == document
    target = tmp_path / "woowup.yaml"
    proc = _cli("--output", str(target))
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == document
    proc = _cli("--format", "yaml")
    assert proc.stdout.startswith("openapi: 3.1.0\n")
    assert yaml.safe_load(proc.stdout) == document


def test_the_cli_says_when_it_cannot_write(tmp_path: Path) -> None:
    proc = _cli("--output", str(tmp_path / "missing" / "dir" / "api.json"))
    assert proc.returncode == 2
    assert "cannot write" in proc.stderr and "Traceback" not in proc.stderr


def test_a_user_endpoint_contract_is_exported_too(tmp_path: Path) -> None:
    (tmp_path / "acme.health.yaml").write_text(
        "format: woowup-contract/1\nid: acme.health\nkind: endpoint\ntitle: Health (GET /health)\n"
        "source: {doc: Acme, section: Health, url: 'https://acme.example/docs'}\n"
        "endpoint:\n  provenance: assumption\n  method: GET\n  host: https://acme.example\n  path: /health\n"
        "  parameters: []\n  payload: '200'\n  responses:\n"
        "    - {status: '200', provenance: assumption, description: up, body: {type: object}}\n",
        encoding="utf-8")
    doc = build_openapi(load_registry([tmp_path]))
    validate(doc)
    health = _op(doc, "/health", "get")
    assert health["servers"] == [{"url": "https://acme.example"}] and "security" not in health
    assert {s["url"] for s in doc["servers"]} >= {"https://acme.example"}
