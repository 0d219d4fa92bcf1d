"""A sample connector repository for the plugin's pytester runs.

What a connector team has: an ini with the plugin's lines, an ``out/`` folder the
connector wrote (valid and invalid records, a JSONL batch with a bad line, an API v3
error body), JSON files that are not payloads, and a Python test using the fixtures.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "payloads"

INI = """\
[pytest]
woowup_payloads =
    out/*.json
    out/*.jsonl
    out/errors/*.json
woowup_payload_contracts =
    out/errors/*.json = apiv3.error
"""

RECORD: dict[str, Any] = {
    "files": ["customers-2026_11_21.csv"],
    "processingtime": "2026-11-21T03:15:00+00:00",
    "stats": {"customers": {"total_created": 10, "total_updated": 0, "total_failed": 0}},
}


def line(**changes: Any) -> str:
    record = json.loads(json.dumps(RECORD))
    record.update(changes)
    return json.dumps(record)


# line 1 valid, line 2 blank, line 3 a fractional revenue, line 4 valid with a strict finding,
# line 5 not JSON
BATCH = "\n".join([
    line(),
    "",
    line(stats={"purchases": {"total_created": 1, "total_updated": 0, "total_failed": 0,
                              "total_revenue": 12345.67, "total_invoice_items": 2, "per_branches": []}}),
    line(processingtime="yesterday"),
    '{"files": [',
]) + "\n"



def batch_item(number: int) -> str:
    """The node id of BATCH's line ``number``: named for the line's content, not its place."""
    text = BATCH.split("\n")[number - 1]
    return "out/batch.jsonl::payload-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


CONNECTOR_TEST = '''\
import json

import pytest

from woowup_contract.plugin import PayloadInvalid


def test_the_connector_builds_a_valid_record(woowup_validate):
    record = {"files": ["a.csv"], "processingtime": "2026-11-21T03:15:00+00:00",
              "stats": {"customers": {"total_created": 1, "total_updated": 0, "total_failed": 0}}}
    result = woowup_validate(record)
    assert result.valid and not result.warnings


def test_the_validator_names_every_violation(woowup_validate):
    with pytest.raises(PayloadInvalid) as info:
        woowup_validate(json.dumps({"files": "a.csv", "stats": {}}))
    assert isinstance(info.value, AssertionError)
    message = str(info.value)
    assert '/files: "a.csv" is not of type "array" [type]' in message
    assert '/processingtime: "processingtime" is a required property [required]' in message


def test_the_connector_posts_its_record(woowup_api, woowup_mock):
    record = json.load(open("out/daily-run.json", encoding="utf-8"))
    response = woowup_api.post("/v1/log", json=record)
    assert response.status_code == 200, response.text
    assert [r["processingtime"] for r in woowup_mock.records()] == [record["processingtime"]]
'''

# The run that proves the entry point leaves out the installed plugins it does not need: each one
# costs start-up time in every process, and schemathesis' alone is most of it.
LEAN = ("-p", "no:schemathesis", "-p", "no:anyio", "-p", "no:randomly")

EXPECTED_NODEIDS = {
    "out/daily-run.json::payload",
    "out/documented-example.json::payload",
    batch_item(1),
    batch_item(3),
    batch_item(4),
    batch_item(5),
    "out/errors/forbidden.json::payload",
    "tests/test_connector.py::test_the_connector_builds_a_valid_record",
    "tests/test_connector.py::test_the_validator_names_every_violation",
    "tests/test_connector.py::test_the_connector_posts_its_record",
}
EXPECTED_FAILED = {
    "out/documented-example.json::payload",
    batch_item(3),
    batch_item(5),
}


def make_connector_repo(pytester: pytest.Pytester, ini: str = INI) -> Path:
    root = pytester.path
    (root / "pytest.ini").write_text(ini, encoding="utf-8")
    out = root / "out"
    (out / "errors").mkdir(parents=True)
    (out / "daily-run.json").write_bytes((EXAMPLES / "valid" / "daily-run.json").read_bytes())
    (out / "documented-example.json").write_bytes((EXAMPLES / "invalid" / "documented-example.json").read_bytes())
    (out / "batch.jsonl").write_text(BATCH, encoding="utf-8")
    (out / "errors" / "forbidden.json").write_text(
        '{"payload": [], "message": "Invalid API key", "code": "forbidden"}\n', encoding="utf-8")
    (out / "notes.txt").write_text("not a payload\n", encoding="utf-8")
    (root / "config").mkdir()
    (root / "config" / "settings.json").write_text('{"not": "a payload"}\n', encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_connector.py").write_text(CONNECTOR_TEST, encoding="utf-8")
    return root


def collected(result: pytest.RunResult) -> set[str]:
    """Node ids printed by ``--collect-only -q``."""
    return {ln for ln in result.outlines if "::" in ln and not ln.startswith(("ERROR", "FAILED"))}


def junit_outcomes(path: Path) -> dict[str, str]:
    """``{"out/a.json::payload": "passed" | "failed" | "error" | "skipped"}`` from a JUnit file."""
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
        outcomes[junit_nodeid(case)] = outcome
    return outcomes


def junit_nodeid(case: ET.Element) -> str:
    """Undo JUnit's dotted classname: ``out.batch.jsonl`` + ``payload-…`` → ``out/batch.jsonl::payload-…``."""
    classname, name = case.get("classname", ""), case.get("name", "")
    for suffix in (".jsonl", ".json", ".py"):
        stem = classname[: -len(suffix)] if classname.endswith(suffix) else None
        if stem is not None:
            return stem.replace(".", "/") + suffix + "::" + name
    return classname.replace(".", "/") + ".py::" + name  # the sample's tests are module-level functions
