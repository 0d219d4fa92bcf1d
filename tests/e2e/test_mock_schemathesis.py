"""A schemathesis run against the mock, from the OpenAPI document of the contracts, with
every check schemathesis has: no failures.

Two adjustments, both about schemathesis rather than the mock:

- ``pattern: ^(.*)$`` is ECMA-262 in the contracts (``.`` matches no ``\\r``, U+2028 or
  U+2029), but schemathesis generates strings with Python's ``re``, where ``.`` does; the
  mock, following the spec, would reject its "valid" ``"\\r"``. The document handed to
  schemathesis spells the same language out as ``^[^\\n\\r\\u2028\\u2029]*$``, which both
  regex dialects read alike.
- ``missing_required_header`` is left out: it insists on 401 for a missing Authorization
  header, while WoowUp's API v3 answers 403 (the convention the contracts record). That
  keys are enforced at all is still checked, by ``ignored_auth``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from woowup_contract.loader import load_registry
from woowup_contract.mock.server import MockServer
from woowup_contract.openapi import build_openapi

ECMA_SINGLE_LINE = "^[^\n\r\u2028\u2029]*$"


def ecma_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ECMA_SINGLE_LINE if k == "pattern" and v == "^(.*)$" else ecma_patterns(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [ecma_patterns(v) for v in node]
    return node


def document_for(base_url: str) -> dict[str, Any]:
    """The contracts' OpenAPI document, aimed at the mock only (no real WoowUp host left in it)."""
    doc = ecma_patterns(build_openapi(load_registry()))
    doc["servers"] = [{"url": base_url}]
    for operations in doc["paths"].values():
        for operation in operations.values():
            operation.pop("servers", None)
    assert "woowup.com" not in json.dumps(doc["servers"]) + json.dumps(
        [op.get("servers") for ops in doc["paths"].values() for op in ops.values()])
    return doc


def test_schemathesis_finds_nothing_wrong_with_the_mock(tmp_path: Path) -> None:
    with MockServer(load_registry()) as mock:
        spec = tmp_path / "openapi.json"
        spec.write_text(json.dumps(document_for(mock.base_url)))
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", str(spec), "--url", mock.base_url,
             "--header", f"Authorization: Bearer {mock.api_key}", "--checks", "all",
             "--exclude-checks", "missing_required_header", "--max-examples", "40", "--seed", "20261127",
             "--phases", "examples,coverage,fuzzing,stateful", "--no-color",
             # a busy CI machine must not turn into a failure: generation-speed health checks
             # and short request timeouts say nothing about the mock
             "--suppress-health-check", "all", "--request-timeout", "60"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
        journal = mock.journal()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No issues found" in output, output
    assert mock.api_key not in output  # schemathesis filters it; the mock never echoes it
    # every operation was exercised, valid records were stored, invalid ones refused
    seen = {(e["method"], e["path"]) for e in journal}
    assert {("POST", "/v1/log"), ("GET", "/v1/logs"), ("GET", "/apiv3/stats")} <= seen
    statuses = {e["status"] for e in journal}
    assert {200, 400, 403, 405} <= statuses and not any(s >= 500 for s in statuses)
    assert any(e["path"] == "/v1/log" and e["valid"] for e in journal)
