"""`woowup-contract check --format github|sarif` against a broken API on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from check_fake_api import FAST, FakeApi

from woowup_contract.cli import main

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif" / "sarif-2.1.0-rtm.5.json"


def sarif_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_check_writes_github_annotations_and_sarif(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    # a local --base-url: no --rate-limit needed, it is not paced as WoowUp is
    with FakeApi(defects={"wrong-types"}) as api:
        code, out, err = cli(capsys, "check", "--base-url", api.base_url, "--api-key", api.api_key, *FAST,
                             "--format", fmt)
    assert code == 1, err
    assert api.api_key not in out
    if fmt == "github":
        lines = [ln for ln in out.splitlines() if ln.startswith("::error ")]
        assert lines and all("file=GET /v1/logs" in ln for ln in lines), out
        assert any("title=woowup-contract response_schema_conformance::" in ln for ln in lines), out
    else:
        log = json.loads(out)
        assert not list(sarif_validator().iter_errors(log))
        results = log["runs"][0]["results"]
        assert {r["ruleId"] for r in results} == {"response_schema_conformance"}, results
        assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "GET%20/v1/logs"


def test_check_quiet_keeps_the_failures_and_the_closing_line(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeApi(defects={"wrong-types"}) as api:
        code, out, err = cli(capsys, "check", "--base-url", api.base_url, "--api-key", api.api_key, *FAST, "-q")
    assert code == 1, err
    lines = out.splitlines()
    assert not any(ln.startswith(("woowup-contract check:", "OPERATION")) for ln in lines), out
    assert lines[0].startswith("GET /v1/logs: ") and "[response_schema_conformance]" in lines[0], out
    assert any(" passed, 1 failed, " in ln for ln in lines[-1:]), out
    assert "hint" not in out and err == ""
