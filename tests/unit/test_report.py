"""Reporters: the documented JSON report, JUnit XML, GitHub annotations and text, for any input."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from woowup_contract.model import Result, Violation
from woowup_contract.report import FORMATS, Progress, Report, make_reporter

MISSING = Violation("/stats/customers/per_branches/0/total_created", "required", "error",
                    "'total_created' is a required property",
                    "rename created to total_created (the documented example uses the wrong key)", 3, 41)
WARNING = Violation("/processingtime", "processingtime-iso8601", "warning", "not ISO-8601", None, 2, 21)
PARSE = Violation("", "parse", "error", "invalid JSON: Expecting value", None, 1, 7)
READ = Violation("", "read", "error", "no such file")

RESULTS = [
    Result("out/a.json", (), "out/a.json"),
    Result("out/b.jsonl:3", (MISSING,), "out/b.jsonl"),
    Result("out/c.json", (WARNING,), "out/c.json"),
    Result("out/d.json", (PARSE,), "out/d.json"),
    Result("out/missing.json", (READ,), "out/missing.json", unreadable=True),
]

HOSTILE = "\ud800 \udfff \x00\x01\x07\x1b[31m \x7f\x85 \u2028\u2029 \r\n%0A ::error file=x::pwn, \"<&'>]]>"


def render(fmt: str, results: list[Result], contract: str = "connectors.log-record",
           profile: str = "official") -> str:
    stream = io.StringIO()
    report = Report(contract=contract, profile=profile)
    reporter = make_reporter(fmt, stream, report)
    reporter.start()
    for result in results:
        report.summary.add(result)
        reporter.add(result)
    reporter.finish()
    out = stream.getvalue()
    out.encode("utf-8")  # whatever went in, what comes out is writable as UTF-8
    return out


def hostile_results() -> list[Result]:
    v = Violation(f"/{HOSTILE}/0", "required", "error", f"message {HOSTILE}", f"hint {HOSTILE}", 1, 1)
    w = Violation(f"/{HOSTILE}", "no-duplicate-keys", "warning", HOSTILE, None, 2, 2)
    return [Result(f"dir/{HOSTILE}.jsonl:2", (v, w), f"dir/{HOSTILE}.jsonl"), Result(HOSTILE, (w,), HOSTILE)]


# -- json --------------------------------------------------------------------------


def test_json_report_is_the_documented_format() -> None:
    report = json.loads(render("json", RESULTS))
    assert set(report) == {"contract", "profile", "summary", "results"}
    assert (report["contract"], report["profile"]) == ("connectors.log-record", "official")
    assert report["summary"] == {"payloads": 5, "valid": 2, "invalid": 3}
    assert [r["source"] for r in report["results"]] == [r.source for r in RESULTS]
    for result in report["results"]:
        assert set(result) == {"source", "valid", "violations"}
    assert [r["valid"] for r in report["results"]] == [True, False, True, False, False]
    assert report["results"][1]["violations"] == [{
        "pointer": "/stats/customers/per_branches/0/total_created", "rule": "required", "severity": "error",
        "message": "'total_created' is a required property",
        "hint": "rename created to total_created (the documented example uses the wrong key)",
        "line": 3, "column": 41}]
    # hint only when there is one; line and column only when known
    assert report["results"][2]["violations"][0] == {"pointer": "/processingtime", "rule": "processingtime-iso8601",
                                                     "severity": "warning", "message": "not ISO-8601", "line": 2,
                                                     "column": 21}
    assert report["results"][4]["violations"][0] == {"pointer": "", "rule": "read", "severity": "error",
                                                     "message": "no such file"}


def test_json_report_of_nothing_is_still_json() -> None:
    report = json.loads(render("json", []))
    assert report == {"contract": "connectors.log-record", "profile": "official", "results": [],
                      "summary": {"payloads": 0, "valid": 0, "invalid": 0}}


def test_json_report_says_which_envelope_form_was_seen() -> None:
    report = json.loads(render("json", [Result("s.json", (), "s.json", envelope="enveloped")],
                               contract="apiv3.account-stats"))
    assert report["results"][0]["envelope"] == "enveloped"


def test_json_report_survives_hostile_strings() -> None:
    report = json.loads(render("json", hostile_results(), profile="strict"))
    assert report["summary"] == {"payloads": 2, "valid": 1, "invalid": 1}
    assert report["results"][0]["violations"][0]["message"] == f"message {HOSTILE}"


# -- junit -------------------------------------------------------------------------


def test_junit_is_xml_with_one_testcase_per_payload() -> None:
    root = ET.fromstring(render("junit", RESULTS).encode("utf-8"))
    (suite,) = root.iter("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("5", "3")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.source for r in RESULTS]
    assert {c.get("classname") for c in cases} == {"connectors.log-record"}
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert [name for name, f in failures.items() if f is not None] == ["out/b.jsonl:3", "out/d.json",
                                                                       "out/missing.json"]
    failure = failures["out/b.jsonl:3"]
    assert failure is not None
    assert failure.get("type") == "required"
    assert failure.get("message") == "/stats/customers/per_branches/0/total_created: 'total_created' is a " \
                                     "required property"
    assert "hint: rename created to total_created" in (failure.text or "")
    # a warning alone does not fail the testcase, but is not lost either
    warned = cases[2]
    assert warned.find("failure") is None
    assert "not ISO-8601" in (warned.findtext("system-out") or "")


def test_junit_survives_hostile_strings() -> None:
    root = ET.fromstring(render("junit", hostile_results()).encode("utf-8"))
    cases = list(root.iter("testcase"))
    assert len(cases) == 2
    assert cases[0].find("failure") is not None and cases[1].find("failure") is None


# -- github ------------------------------------------------------------------------


def test_github_annotations() -> None:
    lines = render("github", RESULTS).splitlines()
    assert lines == [
        "::error file=out/b.jsonl,line=3,col=41,title=woowup-contract required::out/b.jsonl:3: "
        "/stats/customers/per_branches/0/total_created: 'total_created' is a required property [required] "
        "(line 3, column 41)%0A    hint: rename created to total_created (the documented example uses the wrong key)",
        "::warning file=out/c.json,line=2,col=21,title=woowup-contract processingtime-iso8601::"
        "/processingtime: warning: not ISO-8601 [processingtime-iso8601] (line 2, column 21)",
        "::error file=out/d.json,line=1,col=7,title=woowup-contract parse::(root): invalid JSON: Expecting value "
        "[parse] (line 1, column 7)",
        "::error file=out/missing.json,title=woowup-contract read::(root): no such file [read]",
        "5 payloads checked against connectors.log-record: 2 valid, 3 invalid",
    ]


def test_github_annotations_escape_what_would_end_or_forge_a_command() -> None:
    v = Violation("/a", "type", "error", "50% off\r\nnext line", None, 1, 2)
    (line, _) = render("github", [Result("we,ird:name.json", (v,), "we,ird:name.json")]).splitlines()
    assert line == ("::error file=we%2Cird%3Aname.json,line=1,col=2,title=woowup-contract type::"
                    "/a: 50%25 off\\r\\nnext line [type] (line 1, column 2)")


def test_github_survives_hostile_strings() -> None:
    out = render("github", hostile_results())
    lines = out.split("\n")
    assert lines[-1] == ""
    assert len(lines) - 1 == 4  # three annotations and the summary: no line was split or forged
    assert all(line.startswith(("::error ", "::warning ")) for line in lines[:3])
    assert all(ord(c) >= 0x20 and c not in "\x7f\x85\u2028\u2029" for c in out.replace("\n", ""))


# -- text --------------------------------------------------------------------------


def test_text_is_one_line_per_violation_then_a_summary() -> None:
    assert render("text", RESULTS).splitlines() == [
        "out/b.jsonl:3: /stats/customers/per_branches/0/total_created: 'total_created' is a required property "
        "[required] (line 3, column 41)",
        "    hint: rename created to total_created (the documented example uses the wrong key)",
        "out/c.json: /processingtime: warning: not ISO-8601 [processingtime-iso8601] (line 2, column 21)",
        "out/d.json: (root): invalid JSON: Expecting value [parse] (line 1, column 7)",
        "out/missing.json: (root): no such file [read]",
        "5 payloads checked against connectors.log-record (official): 2 valid, 3 invalid (3 errors, 1 warning)",
    ]


def test_text_summary_of_one_valid_payload() -> None:
    assert render("text", RESULTS[:1]) == \
        "1 payload checked against connectors.log-record (official): 1 valid, 0 invalid\n"


def test_text_survives_hostile_strings() -> None:
    out = render("text", hostile_results())
    lines = out.split("\n")
    assert lines[-1] == ""
    # violation, its hint, violation, violation, summary: control characters never split a line
    assert len(lines) - 1 == 5
    assert all(ord(c) >= 0x20 and c not in "\x7f\x85\u2028\u2029" for c in out.replace("\n", ""))
    assert "\\x1b[31m" in out and "\\ud800" in out


# -- every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_something_for_every_payload(fmt: str) -> None:
    out = render(fmt, RESULTS)
    for result in RESULTS[1:]:
        assert result.path in out


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        make_reporter("yaml", io.StringIO(), Report("c", "official"))


# -- progress ----------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_progress(stream: Any) -> str:
    from woowup_contract.report import Summary

    progress = Progress(stream, every=0)
    summary = Summary()
    for result in RESULTS:
        summary.add(result)
        progress.update(summary)
    progress.close()
    return stream.getvalue()


def test_progress_on_a_terminal() -> None:
    out = run_progress(Terminal())
    assert "5 payloads" in out and "3 invalid" in out and "/s" in out
    assert out.endswith("\r")  # the line is cleared at the end


def test_no_progress_when_not_a_terminal() -> None:
    assert run_progress(io.StringIO()) == ""
