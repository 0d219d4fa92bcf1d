"""schemathesis' own CLI against the mock, on the exported OpenAPI document exactly as
``woowup-contract contracts openapi`` writes it, with every check schemathesis has.

One check is left out, ``missing_required_header``: for a missing ``Authorization`` header it
demands 401, hard-coded (no setting changes it), while WoowUp's API v3 answers 403 for a
missing or invalid key, which the document declares. The run without the exclusion is here
too, to show that this is the only thing it finds. ``ignored_auth`` still proves that keys
are enforced. Every status the mock can answer is declared for the operation that answers it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from tests.conftest import run_in_process
from woowup_contract.loader import load_registry
from woowup_contract.mock.server import MockServer
from woowup_contract.openapi import build_openapi

OPERATIONS = {("POST", "/v1/log"), ("GET", "/v1/logs"), ("GET", "/apiv3/stats")}


def _export(tmp_path: Path) -> Path:
    """The document as a user gets it: the CLI's own output file, not a Python object."""
    spec = tmp_path / "openapi.json"
    run = run_in_process(["contracts", "openapi", "--output", str(spec)])
    assert run.returncode == 0, run
    return spec


def _schemathesis(spec: Path, mock: MockServer, seed: int, *extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", str(spec), "--url", mock.base_url,
         "-H", f"Authorization: Bearer {mock.api_key}", "--checks", "all", *extra,
         "--seed", str(seed), "--max-examples", "8", "--no-color",
         # a busy machine must not turn into a failure: generation-speed health checks and
         # short request timeouts say nothing about the mock
         "--suppress-health-check", "all", "--request-timeout", "60"],
        capture_output=True, text=True, timeout=300, cwd=spec.parent)
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"


def test_schemathesis_finds_nothing_wrong_with_the_mock(tmp_path: Path) -> None:
    spec = _export(tmp_path)
    with MockServer(load_registry()) as mock:
        output = _schemathesis(spec, mock, 1, "--exclude-checks", "missing_required_header")
        journal = mock.journal()
    assert output.startswith("exit 0\n"), output
    assert "No issues found" in output and "Tested: 3" in output, output
    assert mock.api_key not in output  # schemathesis filters it; the mock never echoes it
    # every operation reached the mock (not the document's WoowUp servers); valid records stored, invalid refused
    assert OPERATIONS <= {(e["method"], e["path"]) for e in journal}
    statuses = {e["status"] for e in journal}
    assert {200, 400, 403, 405} <= statuses and not any(s >= 500 for s in statuses)
    assert any(e["path"] == "/v1/log" and e["valid"] for e in journal)


def test_without_the_exclusion_only_the_401_for_a_missing_key_is_reported(tmp_path: Path) -> None:
    spec = _export(tmp_path)
    with MockServer(load_registry()) as mock:
        output = _schemathesis(spec, mock, 3, "--phases", "coverage")  # where missing headers are tried
    assert output.startswith("exit 1\n"), output
    # one kind of failure in the summary (4.32 words it "ST203 Missing required header accepted",
    # 4.30 "Missing header not rejected"), and the reason below says which
    kinds = set(re.findall(r"^\s+❌ (?:ST\d+ )?([A-Z][^:\n]*): \d+\s*$", output, re.M))
    assert len(kinds) == 1 and "header" in next(iter(kinds)), output
    reasons = set(re.findall(r"Got \d+ when missing required '[^']+' header, expected [\d, ]+", output))
    assert reasons == {"Got 403 when missing required 'Authorization' header, expected 401"}, output


def _provoke(mock: MockServer, method: str, path: str) -> set[int]:
    """Every status the mock answers on this operation: its own refusals and the injected faults."""
    url = mock.base_url + path
    key = {"Authorization": f"Bearer {mock.api_key}"}
    seen: set[int] = set()

    def send(headers: dict[str, str] | None = None, **kwargs: Any) -> None:
        seen.add(requests.request(method, url, headers={**key, **(headers or {})}, timeout=30, **kwargs).status_code)

    seen.add(requests.request(method, url, timeout=30).status_code)  # no key
    send({"Authorization": "Bearer not-the-key"})
    send({"X-Mock-Fault": "teapot"})
    for status in (500, 502, 503, 504, 429):
        send({"X-Mock-Fault": str(status)})
    if method == "POST":
        send(data=b"{", headers={"Content-Type": "application/json"})
        send(data=b"{}", headers={"Content-Type": "text/plain"})
        send(data=b"x" * 2048, headers={"Content-Type": "application/json"})
        send(data=Path(__file__).parents[2].joinpath("examples/payloads/valid/daily-run.json").read_bytes(),
             headers={"Content-Type": "application/json"})
    else:
        send(params={"from": "yesterday"})
        send()
    mock.set_faults(rate_limit="1/min")
    send()
    send()
    mock.clear_faults()
    return seen


def test_every_status_the_mock_answers_is_declared() -> None:
    document = build_openapi(load_registry())
    with MockServer(load_registry(), max_body=1024) as mock:
        for method, path in sorted(OPERATIONS):
            declared = {int(s) for s in document["paths"][path][method.lower()]["responses"]}
            seen = _provoke(mock, method, path)
            assert seen - declared == set(), (method, path)
            assert {200, 400, 403, 429, 500, 502, 503, 504} <= seen
            if method == "POST":
                assert {413, 415} <= seen
            # a method the path does not have gets 405, a path the document does not have 404: neither is an
            # operation of the document, so neither is declared on one
            other = "GET" if method == "POST" else "POST"
            assert other.lower() not in document["paths"][path]
            assert requests.request(other, mock.base_url + path, timeout=30).status_code == 405
        assert "/v1/nothing" not in document["paths"]
        assert requests.get(mock.base_url + "/v1/nothing", timeout=30).status_code == 404
