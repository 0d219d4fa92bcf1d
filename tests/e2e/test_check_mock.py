"""`woowup-contract check` with no --base-url: the embedded mock is started, checked, stopped."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from check_fake_api import FAST, run_check, run_check_process, shown

from woowup_contract.endpoints import CHECKS


def test_check_passes_against_the_embedded_mock_in_text() -> None:
    # a real process, as the Quick start runs it: its exit code and what it writes to each stream
    proc = run_check_process(*FAST)
    assert proc.stderr == "", shown(proc)
    assert proc.returncode == 0, shown(proc)
    assert "(embedded mock, writes allowed)" in proc.stdout, shown(proc)
    for operation in ("GET /v1/logs", "GET /apiv3/stats", "POST /v1/log"):
        for check in CHECKS:
            if check == "stateful_roundtrip" and operation != "POST /v1/log":
                continue
            assert re.search(rf"^{operation} +{check} +\d+ +passed$", proc.stdout, re.M), (operation, check,
                                                                                          shown(proc))
    assert "22 passed, 0 failed, 0 skipped" in proc.stdout, shown(proc)
    assert "records written to the embedded mock (gone when it stops)" in proc.stdout, shown(proc)


def test_check_on_the_embedded_mock_in_json_runs_every_check_and_the_scenario(tmp_path: Path) -> None:
    output = tmp_path / "check.json"
    proc = run_check(*FAST, "--format", "json", "--output", str(output))
    assert proc.returncode == 0, shown(proc)
    assert proc.stdout == "", shown(proc)
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["contract"] == "endpoints" and report["profile"] == "mock"
    assert report["mode"] == "embedded mock" and report["writes"] is True and report["seed"] == 1
    assert {(c["check"], c["status"]) for c in report["checks"]} == {(c, "passed") for c in CHECKS}
    assert [r["source"] for r in report["results"]] == ["GET /apiv3/stats", "GET /v1/logs", "POST /v1/log"]
    assert all(r["valid"] and r["violations"] == [] for r in report["results"])
    assert report["summary"] == {"payloads": 3, "valid": 3, "invalid": 0}
    assert report["records_written"] and all(r["tagged"] for r in report["records_written"])
    assert report["requests"] > 3 * 2 * int(FAST[FAST.index("--max-examples") + 1])  # operations × modes × examples


def test_check_on_the_embedded_mock_in_junit() -> None:
    proc = run_check(*FAST, "--format", "junit")
    assert proc.returncode == 0, shown(proc)
    suite = ET.fromstring(proc.stdout).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "0")
    assert sorted(c.get("name") for c in suite.iter("testcase")) == ["GET /apiv3/stats", "GET /v1/logs",
                                                                     "POST /v1/log"]


def test_the_same_seed_sends_the_same_requests() -> None:
    # one run here and one in a process of its own: a different hash seed, the same requests
    first = json.loads(run_check(*FAST, "--format", "json").stdout)
    second = json.loads(run_check_process(*FAST, "--format", "json").stdout)
    assert first["requests"] == second["requests"]
    assert first["checks"] == second["checks"]
