"""``woowup-contract`` run the way a connector's CI runs it: its ``main`` in process with its
own streams (``run_cli``), and as a real process where only a process shows it (the
console script, the console's encoding, what it imports, a terminal on stderr).

Every bad-input case is its own test and asserts three things: the message for
that input, the exit code, and that the other inputs of the same run were still
reported (a valid file counted, an invalid file listed after the bad one).
No run may print a traceback.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from woowup_contract import __version__

REPO = Path(__file__).resolve().parents[2]
PAYLOADS = REPO / "tests" / "fixtures" / "payloads"
VALID = sorted((PAYLOADS / "valid").glob("*.json"))
INVALID = sorted((PAYLOADS / "invalid").glob("*.json"))
HEAVY = ("hypothesis", "schemathesis", "requests", "werkzeug")

GOOD = {"files": ["customers.csv"], "processingtime": "2026-11-20T03:15:00-03:00",
        "stats": {"customers": {"total_created": 1, "total_updated": 0, "total_failed": 0}}}
# invalid in a known way: listed in the text report after whatever bad input precedes it
OTHER_LINE = "other.json: /stats: \"stats\" is a required property [required] (line 1, column 1)"


def clean(run: Any) -> Any:
    """Every run, whatever it was given: no traceback on either stream."""
    assert "Traceback" not in run.stderr, run
    assert "Traceback" not in run.stdout, run
    return run


def summary(payloads: int, valid: int, invalid: int, profile: str = "official",
            contract: str = "connectors.log-record") -> str:
    return (f"{payloads} payload{'s' if payloads != 1 else ''} checked against {contract} ({profile}): "
            f"{valid} valid, {invalid} invalid")


@pytest.fixture
def around(payload_file: Callable[..., Path]) -> tuple[Path, Path]:
    """A valid good.json and an invalid other.json, run next to each bad input."""
    return payload_file("good.json", GOOD), payload_file("other.json", '{"files": [], "processingtime": "x"}')


@pytest.fixture
def validate_bad(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> Callable[..., Any]:
    """validate good.json BAD other.json (text), from tmp_path; the run is checked for the other two."""

    def run(*bad: str, options: tuple[str, ...] = (), expect_rc: int = 1, stdin: bytes | None = None) -> Any:
        result = clean(run_cli("validate", *options, "good.json", *bad, "other.json", cwd=tmp_path, stdin=stdin))
        assert result.returncode == expect_rc, result
        lines = result.stdout.splitlines()
        assert OTHER_LINE in lines, result
        assert not any(line.startswith("good.json") for line in lines), result
        return result

    return run


def assert_summary(run: Any, payloads: int, valid: int, invalid: int) -> None:
    last = run.stdout.splitlines()[-1]
    assert last.startswith(summary(payloads, valid, invalid)), run


# -- exit codes ----------------------------------------------------------------------


def test_all_valid_exits_0(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "good.json", cwd=tmp_path))
    assert run.returncode == 0, run
    assert run.stdout == summary(1, 1, 0) + "\n" and run.stderr == "", run


def test_warnings_alone_still_exit_0(run_cli: Any) -> None:
    run = clean(run_cli("validate", PAYLOADS / "valid" / "strict-findings.json"))
    assert run.returncode == 0, run
    assert "warning: " in run.stdout and "(9 warnings)" in run.stdout


def test_one_invalid_payload_exits_1(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "good.json", "other.json", cwd=tmp_path))
    assert run.returncode == 1, run
    assert OTHER_LINE in run.stdout.splitlines()
    assert_summary(run, 2, 1, 1)


@pytest.mark.parametrize(("args", "message"), [
    (("validate", "--bogus", "x.json"), "unrecognized arguments: --bogus"),
    (("validate", "--format", "yaml", "x.json"), "argument --format: invalid choice: 'yaml'"),
    (("validate", "--max-bytes", "0", "x.json"), "argument --max-bytes: must be at least 1: '0'"),
    (("validate", "--max-bytes", "lots", "x.json"), "argument --max-bytes: not a whole number: 'lots'"),
    (("validate",), "no input given: name files, directories, globs, or - for stdin"),
    (("validate", "--contract", "connectors.nope", "x.json"),
     "unknown contract 'connectors.nope'; known: apiv3.account-stats, apiv3.error, connectors.list-logs, "
     "connectors.log-record, connectors.post-log"),
    (("validate", "--contracts-dir", "no-such-dir", "x.json"), "contracts directory not found"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    ((), "usage: woowup-contract"),
    (("contracts",), "usage: woowup-contract contracts"),
])
def test_usage_errors_exit_2(run_cli: Any, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    run = clean(run_cli(*args, cwd=tmp_path))
    assert run.returncode == 2, run
    assert message in run.stderr, run
    assert run.stdout == "", run


# -- inputs --------------------------------------------------------------------------


def test_files_directories_and_globs(run_cli: Any, payload_file: Callable[..., Path], tmp_path: Path) -> None:
    payload_file("out/a.json", GOOD)
    payload_file("out/deep/er/b.ndjson", json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n")
    payload_file("out/c.jsonl", json.dumps(GOOD) + "\n")
    payload_file("out/notes.txt", "not a payload")
    payload_file("out/config.yaml", "a: 1")
    payload_file("more/x.json", GOOD)
    payload_file("more/y.json", GOOD)
    payload_file("single.json", GOOD)
    run = clean(run_cli("validate", "--format", "json", "out", "more/*.json", "single.json", cwd=tmp_path))
    assert run.returncode == 0, run
    assert list(run.results()) == ["out/a.json", "out/c.jsonl:1", "out/deep/er/b.ndjson:1", "out/deep/er/b.ndjson:2",
                                   "more/x.json", "more/y.json", "single.json"]


def test_a_directory_walk_skips_hidden_and_tool_directories(run_cli: Any, payload_file: Callable[..., Path],
                                                            tmp_path: Path) -> None:
    payload_file("repo/out/a.json", GOOD)
    payload_file("repo/.git/objects/info.json", {"not": "a payload"})
    payload_file("repo/node_modules/pkg/package.json", {"name": "pkg"})
    payload_file("repo/.venv/lib/x.json", [])
    payload_file("repo/__pycache__/y.json", [])
    run = clean(run_cli("validate", "--format", "json", "repo", cwd=tmp_path))
    assert run.returncode == 0, run
    assert list(run.results()) == ["repo/out/a.json"]
    # named explicitly, a hidden directory is still read
    run = clean(run_cli("validate", "--format", "json", "repo/.venv", cwd=tmp_path))
    assert run.returncode == 1, run
    assert list(run.results()) == ["repo/.venv/lib/x.json"]


def test_recursive_glob(run_cli: Any, payload_file: Callable[..., Path], tmp_path: Path) -> None:
    payload_file("a/b/c/one.json", GOOD)
    payload_file("a/two.json", GOOD)
    payload_file("a/b/three.jsonl", json.dumps(GOOD) + "\n")
    run = clean(run_cli("validate", "--format", "json", "a/**/*.json", cwd=tmp_path))
    assert run.returncode == 0, run
    assert list(run.results()) == ["a/b/c/one.json", "a/two.json"]


def test_stdin_with_one_document(run_cli: Any) -> None:
    run = clean(run_cli("validate", "-", stdin=json.dumps(GOOD, indent=2)))
    assert run.returncode == 0, run
    bad = dict(GOOD, processedtime="x")
    del bad["processingtime"]
    run = clean(run_cli("validate", "-", stdin=json.dumps(bad, indent=2)))
    assert run.returncode == 1, run
    assert run.stdout.splitlines()[0] == \
        "<stdin>: /processingtime: \"processingtime\" is a required property [required] (line 1, column 1)"
    assert "rename processedtime to processingtime" in run.stdout


def test_stdin_with_jsonl(run_cli: Any) -> None:
    lines = [json.dumps(GOOD), "", json.dumps({"files": []}), "{broken"]
    run = clean(run_cli("validate", "--format", "json", "-", stdin="\n".join(lines) + "\n"))
    assert run.returncode == 1, run
    results = run.results()
    assert list(results) == ["<stdin>:1", "<stdin>:3", "<stdin>:4"]
    assert results["<stdin>:1"]["valid"] is True
    assert {v["pointer"] for v in results["<stdin>:3"]["violations"] if v["severity"] == "error"} == {
        "/processingtime", "/stats"}
    (parse,) = results["<stdin>:4"]["violations"]
    assert (parse["rule"], parse["line"], parse["column"]) == ("parse", 4, 2)


def test_stdin_between_files(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "--format", "json", "good.json", "-", "other.json", cwd=tmp_path,
                        stdin=json.dumps(GOOD)))
    assert list(run.results()) == ["good.json", "<stdin>", "other.json"]


def test_jsonl_reported_as_path_and_line(run_cli: Any, payload_file: Callable[..., Path], tmp_path: Path) -> None:
    bad = json.dumps({"files": ["a.csv\n"], "processingtime": "2026-11-20T03:15:00Z", "stats": {}})
    payload_file("batch.jsonl", "\n".join([json.dumps(GOOD), json.dumps(GOOD), bad]) + "\n")
    run = clean(run_cli("validate", "batch.jsonl", cwd=tmp_path))
    assert run.returncode == 1, run
    assert run.stdout.splitlines()[0] == \
        "batch.jsonl:3: /files/0: \"a.csv\\n\" does not match \"^(.*)$\" [pattern] (line 3, column 12)"
    assert_summary(run, 3, 2, 1)


# -- the payload fixture folders ------------------------------------------------------


def pinned(path: Path) -> dict[str, list[dict[str, Any]]]:
    sidecar = path.with_name(path.stem + ".expected.yaml")
    data = yaml.safe_load(sidecar.read_text()) if sidecar.exists() else {}
    return {"error": data.get("errors") or [], "warning": data.get("warnings") or []}


@pytest.mark.parametrize("path", VALID + INVALID, ids=[f"{p.parent.name}/{p.name}" for p in VALID + INVALID])
def test_fixture_payload_report(run_cli: Any, path: Path) -> None:
    run = clean(run_cli("validate", "--format", "json", path.relative_to(REPO), cwd=REPO))
    want = pinned(path)
    assert run.returncode == (1 if want["error"] else 0), run
    (result,) = run.json()["results"]
    for severity, expected in want.items():
        got = sorted((v["pointer"], v["rule"], v["line"], v["column"]) for v in result["violations"]
                     if v["severity"] == severity)
        assert got == sorted((e["pointer"], e["rule"], e["line"], e["column"]) for e in expected), run
    hints = {(v["pointer"], v["rule"]): v.get("hint", "") for v in result["violations"]}
    for e in want["error"]:
        assert e.get("hint", "") in hints[(e["pointer"], e["rule"])], run


def test_valid_folder_exits_0(run_cli: Any) -> None:
    run = clean(run_cli("validate", "tests/fixtures/payloads/valid", cwd=REPO))
    assert run.returncode == 0, run
    assert_summary(run, len(VALID), len(VALID), 0)


def test_invalid_folder_reports_every_payload(run_cli: Any) -> None:
    run = clean(run_cli("validate", "--format", "json", "tests/fixtures/payloads/invalid", cwd=REPO))
    assert run.returncode == 1, run
    report = run.json()
    assert report["summary"] == {"payloads": len(INVALID), "valid": 0, "invalid": len(INVALID)}
    assert sorted(report["results"], key=lambda r: r["source"]) == report["results"]


def test_the_shipped_examples(run_cli: Any) -> None:
    ok = clean(run_cli("validate", "examples/payloads/valid", cwd=REPO))
    assert ok.returncode == 0, ok
    bad = clean(run_cli("validate", "examples/payloads/invalid", cwd=REPO))
    assert bad.returncode == 1, bad
    assert "hint: rename created to total_created" in bad.stdout


# -- options -------------------------------------------------------------------------


def test_strict_turns_warnings_into_a_failure(run_cli: Any) -> None:
    path = PAYLOADS / "valid" / "strict-findings.json"
    official = clean(run_cli("validate", "--format", "json", path))
    strict = clean(run_cli("validate", "--strict", "--format", "json", path))
    assert (official.returncode, strict.returncode) == (0, 1), strict
    assert strict.json()["profile"] == "strict"
    warnings = [v for v in official.json()["results"][0]["violations"]]
    errors = [v for v in strict.json()["results"][0]["violations"]]
    assert {v["severity"] for v in warnings} == {"warning"} and {v["severity"] for v in errors} == {"error"}
    assert [(v["pointer"], v["rule"]) for v in warnings] == [(v["pointer"], v["rule"]) for v in errors]


def test_contract_option_for_an_endpoint(run_cli: Any, payload_file: Callable[..., Path], tmp_path: Path) -> None:
    stats = {"total_customers": 1, "total_purchases": 2, "total_revenue": 3, "total_invoice_items": 4,
             "per_branches": [{"branch": "A", "total_customers": 1, "total_purchases": 2, "total_revenue": 3,
                               "total_invoice_items": 4}]}
    payload_file("bare.json", stats)
    payload_file("enveloped.json", {"payload": stats, "message": "ok", "code": "ok"})
    payload_file("broken.json", {"payload": dict(stats, total_revenue=1.5), "message": "ok", "code": "ok"})
    run = clean(run_cli("validate", "--contract", "apiv3.account-stats", "--format", "json", "bare.json",
                        "enveloped.json", "broken.json", cwd=tmp_path))
    assert run.returncode == 1, run
    results = run.results()
    assert run.json()["contract"] == "apiv3.account-stats"
    assert [(r["valid"], r["envelope"]) for r in results.values()] == [
        (True, "bare"), (True, "enveloped"), (False, "enveloped")]
    assert [v["pointer"] for v in results["broken.json"]["violations"]] == ["/payload/total_revenue"]


def test_post_log_contract_checks_the_request_body(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "--contract", "connectors.post-log", "good.json", cwd=tmp_path))
    assert run.returncode == 0, run
    assert summary(1, 1, 0, contract="connectors.post-log") in run.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github"])
def test_output_file(run_cli: Any, around: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    run = clean(run_cli("validate", "--format", fmt, "--output", "report.out", "good.json", "other.json",
                        cwd=tmp_path))
    assert run.returncode == 1, run
    assert run.stdout == "", run
    written = (tmp_path / "report.out").read_text(encoding="utf-8")
    assert "other.json" in written


def test_output_file_that_cannot_be_written(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "--output", "no/such/dir/report.txt", "good.json", cwd=tmp_path))
    assert run.returncode == 2, run
    assert "cannot write no/such/dir/report.txt: No such file or directory" in run.stderr


def test_format_json_is_the_documented_report(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "--format", "json", "good.json", "other.json", cwd=tmp_path))
    report = run.json()
    assert set(report) == {"contract", "profile", "summary", "results"}
    assert report["summary"] == {"payloads": 2, "valid": 1, "invalid": 1}
    assert report["results"][0] == {"source": "good.json", "valid": True, "violations": []}
    other = report["results"][1]
    assert set(other) == {"source", "valid", "violations"}
    for v in other["violations"]:
        assert set(v) <= {"pointer", "rule", "severity", "message", "hint", "line", "column"}
        assert {"pointer", "rule", "severity", "message", "line", "column"} <= set(v)


def test_format_junit(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "--format", "junit", "good.json", "other.json", "missing.json", cwd=tmp_path))
    assert run.returncode == 2, run
    cases = ET.fromstring(run.stdout.encode()).findall("testsuite/testcase")
    assert [(c.get("name"), c.find("failure") is not None) for c in cases] == [
        ("good.json", False), ("other.json", True), ("missing.json", True)]


def test_format_github(run_cli: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    run = clean(run_cli("validate", "--format", "github", "good.json", "other.json", cwd=tmp_path))
    assert run.returncode == 1, run
    assert "::error file=other.json,line=1,col=1,title=woowup-contract required::/stats: \"stats\" is a required " \
           "property [required] (line 1, column 1)" in run.stdout.splitlines()
    assert "::warning file=other.json,line=1,col=11,title=woowup-contract files-non-empty::" in run.stdout


def test_max_bytes_option(run_cli: Any, payload_file: Callable[..., Path], tmp_path: Path) -> None:
    text = json.dumps(GOOD)
    payload_file("fits.json", text)
    payload_file("lines.jsonl", text + "\n" + text + " " * 10 + "\n")
    run = clean(run_cli("validate", "--max-bytes", str(len(text)), "fits.json", "lines.jsonl", cwd=tmp_path))
    assert run.returncode == 1, run
    assert run.stdout.splitlines()[0] == \
        f"lines.jsonl:2: (root): the line is over the limit of {len(text)} bytes; not read [size]"
    assert_summary(run, 3, 2, 1)


# -- bad input: one test each, the other inputs still reported ------------------------


def test_malformed_json(validate_bad: Any, payload_file: Callable[..., Path], python_json_error: Any) -> None:
    text = '{\n  "files": ["a.csv"],\n  "stats": {]\n}\n'
    payload_file("bad.json", text)
    run = validate_bad("bad.json")
    message, line, column = python_json_error(text)
    assert f"bad.json: (root): invalid JSON: {message} [parse] (line {line}, column {column})" \
           in run.stdout.splitlines()
    assert_summary(run, 3, 1, 2)


def test_trailing_comma(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("bad.json", '{"files": ["a.csv",]}')
    run = validate_bad("bad.json")
    assert "bad.json: (root): invalid JSON: trailing comma (JSON allows none before } or ]) [parse] " \
           "(line 1, column 20)" in run.stdout.splitlines()


def test_empty_file(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("bad.json", "")
    run = validate_bad("bad.json")
    assert "bad.json: (root): empty: no JSON document [parse] (line 1, column 1)" in run.stdout.splitlines()
    assert_summary(run, 3, 1, 2)


def test_whitespace_only_file(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("bad.json", "\n  \n\t\n")
    run = validate_bad("bad.json")
    assert "bad.json: (root): empty: no JSON document [parse] (line 1, column 1)" in run.stdout.splitlines()


def test_binary_file(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("bad.json", bytes(range(256)) * 4)
    run = validate_bad("bad.json")
    assert "bad.json: (root): binary data, not JSON text: byte 0x80 at offset 128 is not valid UTF-8 [parse] " \
           "(line 2, column 118)" in run.stdout.splitlines()
    assert_summary(run, 3, 1, 2)


def test_utf8_byte_order_mark(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("bad.json", b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    run = validate_bad("bad.json")
    lines = run.stdout.splitlines()
    i = lines.index("bad.json: (root): the text starts with a UTF-8 byte order mark (BOM); JSON sent to the API "
                    "must not [parse] (line 1, column 1)")
    assert lines[i + 1] == "    hint: save the file as UTF-8 without BOM"


def test_non_utf8_file(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("bad.json", '{"files": ["Cañuelas.csv"]}'.encode("latin-1"))
    run = validate_bad("bad.json")
    lines = run.stdout.splitlines()
    i = lines.index("bad.json: (root): not UTF-8 text: byte 0xf1 at offset 14 is not valid UTF-8 [parse] "
                    "(line 1, column 15)")
    assert lines[i + 1] == "    hint: JSON must be encoded as UTF-8 (RFC 8259); re-encode the file"


@pytest.mark.parametrize(("constant", "column"), [("NaN", 44), ("Infinity", 44), ("-Infinity", 44)])
def test_nan_and_infinity(validate_bad: Any, payload_file: Callable[..., Path], constant: str, column: int) -> None:
    payload_file("bad.json", '{"files": [], "processingtime": "x", "n": [' + constant + "]}")
    run = validate_bad("bad.json")
    assert f"bad.json: (root): invalid JSON: {constant} is not JSON (NaN and Infinity are not JSON numbers) [parse] " \
           f"(line 1, column {column})" in run.stdout.splitlines()


@pytest.mark.parametrize(("document", "shown"), [
    ("[]", "[]"), ('[{"files": []}]', '[{"files":[]}]'), ('"a record"', '"a record"'), ("42", "42"),
    ("4.2", "4.2"), ("null", "null"), ("true", "true"),
])
def test_top_level_non_object(validate_bad: Any, payload_file: Callable[..., Path], document: str,
                              shown: str) -> None:
    payload_file("bad.json", document + "\n")
    run = validate_bad("bad.json")
    assert f"bad.json: (root): {shown} is not of type \"object\" [type] (line 1, column 1)" in run.stdout.splitlines()
    assert_summary(run, 3, 1, 2)


@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_100000_deep_nesting(validate_bad: Any, payload_file: Callable[..., Path], shape: str) -> None:
    n = 100_000
    text = "[" * n + "]" * n if shape == "arrays" else '{"a":' * n + "1" + "}" * n
    payload_file("bad.json", text)
    payload_file("deep.jsonl", json.dumps(GOOD) + "\n" + text + "\n")
    run = validate_bad("bad.json", "deep.jsonl")
    lines = run.stdout.splitlines()
    assert "bad.json: (root): invalid JSON: nesting too deep to parse [parse] (line 1, column 1)" in lines
    assert "deep.jsonl:2: (root): invalid JSON: nesting too deep to parse [parse] (line 2, column 1)" in lines
    assert_summary(run, 5, 2, 3)


def test_deep_but_parseable_nesting_in_a_value(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("bad.json", '{"files": ' + "[" * 900 + "]" * 900 + ', "processingtime": "x", "stats": {}}')
    run = validate_bad("bad.json")
    # jsonschema-rs judges any depth but hands errors back from 250 levels at most: said plainly, where
    line = next(line for line in run.stdout.splitlines() if line.startswith("bad.json: /files" + "/0" * 249 + ": "))
    assert line.endswith("the validator reports no error inside a value this deep (the payload is invalid) [depth] "
                         "(line 1, column 260)")


def test_file_over_max_bytes_is_refused_unread(validate_bad: Any, tmp_path: Path) -> None:
    """An 8 GiB sparse file: refused from its size, never loaded."""
    with (tmp_path / "huge.json").open("wb") as handle:
        handle.truncate(8 * 1024**3)
    run = validate_bad("huge.json")
    lines = run.stdout.splitlines()
    i = lines.index("huge.json: (root): the file is 8589934592 bytes, which is over the limit of 10485760 bytes; "
                    "not read [size]")
    assert lines[i + 1] == "    hint: raise --max-bytes if the payload is meant to be this large"
    assert_summary(run, 3, 1, 2)


def test_file_over_a_given_max_bytes(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    size = payload_file("big.json", dict(GOOD, padding="x" * 500)).stat().st_size
    run = validate_bad("big.json", options=("--max-bytes", "300"))
    assert f"big.json: (root): the file is {size} bytes, which is over the limit of 300 bytes; not read [size]" \
        in run.stdout.splitlines()


def test_missing_file(validate_bad: Any) -> None:
    run = validate_bad("missing.json", expect_rc=2)
    assert "missing.json: (root): no such file [read]" in run.stdout.splitlines()
    assert_summary(run, 3, 1, 2)


def test_unreadable_file(validate_bad: Any, tmp_path: Path) -> None:
    """chmod 000 does not stop root; /proc/self/mem opens but fails to read, for anyone."""
    (tmp_path / "unreadable.json").symlink_to("/proc/self/mem")
    run = validate_bad("unreadable.json", expect_rc=2)
    assert "unreadable.json: (root): cannot read: Input/output error [read]" in run.stdout.splitlines()
    assert_summary(run, 3, 1, 2)


def test_dangling_link_inside_a_directory(validate_bad: Any, payload_file: Callable[..., Path],
                                          tmp_path: Path) -> None:
    payload_file("dir/fine.json", GOOD)
    (tmp_path / "dir" / "gone.json").symlink_to(tmp_path / "nowhere.json")
    run = validate_bad("dir", expect_rc=2)
    assert "dir/gone.json: (root): no such file [read]" in run.stdout.splitlines()
    assert_summary(run, 4, 2, 2)


def test_glob_that_matches_nothing(validate_bad: Any) -> None:
    run = validate_bad("nothing-*.json", expect_rc=2)
    assert run.stderr == "woowup-contract: error: no input matched: nothing-*.json\n", run
    assert_summary(run, 2, 1, 1)


def test_directory_without_payloads(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("docs/readme.md", "# nothing here")
    run = validate_bad("docs", expect_rc=2)
    assert run.stderr == "woowup-contract: error: no input matched: docs\n", run


def test_only_a_glob_that_matches_nothing(run_cli: Any, tmp_path: Path) -> None:
    run = clean(run_cli("validate", "nothing-*.json", cwd=tmp_path))
    assert run.returncode == 2, run
    assert run.stderr == "woowup-contract: error: no input matched: nothing-*.json\n" and run.stdout == "", run


def test_jsonl_with_a_blank_line_a_bad_line_and_an_over_long_line(validate_bad: Any, payload_file: Callable[..., Path],
                                                                   python_json_error: Any) -> None:
    good = json.dumps(GOOD)
    payload_file("batch.jsonl", "\n".join([good, "", "{oops", good, '{"pad": "' + "x" * 5_000_000 + '"}', good,
                                           "   ", '{"files": ["a.csv\\r"]'])  # the last line lacks its "}"
                 + "\n")
    run = validate_bad("batch.jsonl", options=("--max-bytes", "1000"))
    lines = run.stdout.splitlines()
    message, _, column = python_json_error("{oops")
    assert f"batch.jsonl:3: (root): invalid JSON: {message} [parse] (line 3, column {column})" in lines
    assert "batch.jsonl:5: (root): the line is over the limit of 1000 bytes; not read [size]" in lines
    message, _, column = python_json_error('{"files": ["a.csv\\r"]')
    assert f"batch.jsonl:8: (root): invalid JSON: {message} [parse] (line 8, column {column})" in lines
    assert not any(line.startswith(("batch.jsonl:1:", "batch.jsonl:2", "batch.jsonl:4:", "batch.jsonl:6:",
                                    "batch.jsonl:7")) for line in lines), run
    # lines 1, 4, 6 valid; 3, 5, 8 not; 2 and 7 blank; plus good.json and other.json
    assert_summary(run, 8, 4, 4)


def test_empty_jsonl(validate_bad: Any, payload_file: Callable[..., Path]) -> None:
    payload_file("empty.jsonl", "\n\n")
    run = validate_bad("empty.jsonl")
    assert "empty.jsonl: (root): empty: no JSON document on any line [parse] (line 1, column 1)" \
        in run.stdout.splitlines()


def test_thousands_of_files_are_all_reported(run_cli: Any, payload_file: Callable[..., Path],
                                             tmp_path: Path) -> None:
    text = json.dumps(GOOD)
    many = tmp_path / "many"
    for i in range(3000):
        sub = many / f"batch-{i // 500}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:04d}.json").write_text(text)
    (many / "batch-2" / "1234.json").write_text("{")
    (many / "batch-5" / "2999.json").write_text("[]")
    run = clean(run_cli("validate", "--format", "json", "many", cwd=tmp_path))
    assert run.returncode == 1, run
    assert run.stderr == "", run  # no progress output: stderr is not a terminal
    report = run.json()
    assert report["summary"] == {"payloads": 3000, "valid": 2998, "invalid": 2}
    assert len(report["results"]) == 3000
    invalid = {r["source"]: r["violations"][0]["rule"] for r in report["results"] if not r["valid"]}
    assert invalid == {"many/batch-2/1234.json": "parse", "many/batch-5/2999.json": "type"}


HOSTILE = {
    "files": ["\ud800", "\udfff\u0000\u001b[31m\u0007", "a" * 2_000_000 + "\n"],
    "processingtime": "\u2028\u0085\u200b",
    "stats": {"customers": {"total_created": "\ud83d", "total_updated": 0, "total_failed": 0,
                            "per_branches": [{"branch": "\u0000\n::error file=pwn::x", "total_created": 0,
                                              "total_updated": 0, "total_failed": 0}]}},
}


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github"])
def test_hostile_strings(run_cli: Any, around: tuple[Path, Path], payload_file: Callable[..., Path],
                         tmp_path: Path, fmt: str) -> None:
    # ensure_ascii: the lone surrogates travel as \ud800 escapes, which is valid JSON text
    payload_file("hostile.json", json.dumps(HOSTILE, indent=1))
    duplicated = '{"\\u0000\\n\\u001b[2J": 1, "\\u0000\\n\\u001b[2J": 2, "\\ud800": 1, "\\ud800": 2}'
    payload_file("keys.json", duplicated)
    run = clean(run_cli("validate", "--strict", "--format", fmt, "good.json", "hostile.json", "keys.json",
                        "other.json", cwd=tmp_path))
    assert run.returncode == 1, run
    out = run.stdout
    assert len(out) < 100_000  # the 2 MB value is cut short in messages
    assert "\x1b" not in out and "\x00" not in out
    if fmt == "json":
        assert run.json()["summary"] == {"payloads": 4, "valid": 1, "invalid": 3}
    elif fmt == "junit":
        cases = ET.fromstring(out.encode()).findall("testsuite/testcase")
        assert [c.get("name") for c in cases] == ["good.json", "hostile.json", "keys.json", "other.json"]
    elif fmt == "github":
        assert all(line.startswith(("::error ", "::warning ")) for line in out.split("\n")[:-2])
        assert "::error file=other.json," in out
    else:
        assert all(line.startswith(("hostile.json: ", "keys.json: ", "other.json: ", "    hint: "))
                   for line in out.split("\n")[:-2]), run
        assert out.split("\n")[-2].startswith(summary(4, 1, 3, "strict"))


def test_a_console_that_cannot_encode_the_report(run_module: Any, payload_file: Callable[..., Path],
                                                  tmp_path: Path) -> None:
    """cp1252 or ascii consoles: a branch named 北京 is escaped, not a UnicodeEncodeError (a process:
    the interpreter sets the console's encoding from its environment)."""
    payload_file("cn.json", {"files": ["北京\r"], "processingtime": "x", "stats": {}})
    run = clean(run_module("validate", "cn.json", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"}))
    assert run.returncode == 1, run
    assert "cn.json: /files/0: \"\\u5317\\u4eac\\r\" does not match \"^(.*)$\" [pattern]" in run.stdout


# -- contracts list | show | lint ------------------------------------------------------


def test_contracts_list(run_cli: Any) -> None:
    run = clean(run_cli("contracts", "list"))
    assert run.returncode == 0, run
    rows = [line.split()[:2] for line in run.stdout.splitlines()]
    assert rows == [["apiv3.account-stats", "endpoint"], ["apiv3.error", "payload"],
                    ["connectors.list-logs", "endpoint"], ["connectors.log-record", "payload"],
                    ["connectors.post-log", "endpoint"]]


def test_contracts_show(run_cli: Any) -> None:
    run = clean(run_cli("contracts", "show", "connectors.log-record"))
    assert run.returncode == 0, run
    assert run.stdout.startswith("connectors.log-record — Data-processing record (body of POST /v1/log)\n")
    assert "  drift processing-time-name: processingtime: the page says processedtime;" in run.stdout
    assert "  example request-body (documented): pinned invalid" in run.stdout
    endpoint = clean(run_cli("contracts", "show", "connectors.list-logs"))
    assert "    query limit: integer (default 25; min 1; max 100) [documented]" in endpoint.stdout


def test_contracts_show_json(run_cli: Any) -> None:
    run = clean(run_cli("contracts", "show", "--format", "json", "apiv3.account-stats"))
    assert run.returncode == 0, run
    shown = json.loads(run.stdout)
    assert shown["id"] == "apiv3.account-stats"
    assert shown["endpoint"]["path"] == "/apiv3/stats"


def test_contracts_show_unknown(run_cli: Any) -> None:
    run = clean(run_cli("contracts", "show", "nope"))
    assert run.returncode == 2, run
    assert "unknown contract 'nope'" in run.stderr


def test_contracts_lint_passes_and_prints_the_drift_table(run_cli: Any) -> None:
    run = clean(run_cli("contracts", "lint"))
    assert run.returncode == 0, run
    lines = run.stdout.splitlines()
    assert "ok    connectors.log-record example request-body: pinned invalid with 3 violation(s) (documented)" in lines
    assert "ok    apiv3.account-stats example response-200: pinned unparseable with 1 violation(s) (documented)" \
        in lines
    assert "| contract | field | where | the page says | the schema says | resolution |" in lines
    rows = [line for line in lines if line.startswith("| connectors.log-record ")]
    assert any("| processedtime |" in row for row in rows)
    assert any("DateTime ISO-8601" in row for row in rows)
    assert any("| created / updated / failed |" in row for row in rows)
    assert any(line.startswith("| apiv3.account-stats | (whole body) |") for line in lines)
    assert lines[-1].endswith("documented examples, 0 not as pinned")


BROKEN_USER_CONTRACT = """\
format: woowup-contract/1
id: acme.order
kind: payload
title: An order
source: {doc: Acme, section: Orders, url: https://example.com}
schema:
  provenance: assumption
  dialect: draft-07
  document: {type: object}
strict:
  - {id: psychic, kind: telepathy, severity: warning, message: knows, provenance: assumption}
"""


def test_contracts_lint_with_a_broken_user_contract(run_cli: Any, payload_file: Callable[..., Path],
                                                     tmp_path: Path) -> None:
    payload_file("mine/order.yaml", BROKEN_USER_CONTRACT)
    run = clean(run_cli("contracts", "lint", "--contracts-dir", "mine", cwd=tmp_path))
    assert run.returncode == 2, run
    assert run.stdout.splitlines()[0].startswith('mine/order.yaml:11: /strict/0/kind: "telepathy" is not one of')


def test_validate_with_a_broken_user_contract(run_cli: Any, payload_file: Callable[..., Path],
                                              tmp_path: Path) -> None:
    payload_file("mine/order.yaml", BROKEN_USER_CONTRACT.replace("title: An order", "title: [An order"))
    payload_file("good.json", GOOD)
    run = clean(run_cli("validate", "--contracts-dir", "mine", "good.json", cwd=tmp_path))
    assert run.returncode == 2, run
    assert run.stderr.startswith("woowup-contract: error: broken contract: mine/order.yaml:5: not valid YAML"), run


def test_contracts_lint_with_an_example_that_breaks_its_pin(run_cli: Any, payload_file: Callable[..., Path],
                                                            tmp_path: Path) -> None:
    text = BROKEN_USER_CONTRACT.split("strict:")[0] + failing_example_yaml()
    payload_file("mine/order.yaml", text)
    run = clean(run_cli("contracts", "lint", "--contracts-dir", "mine", cwd=tmp_path))
    assert run.returncode == 1, run
    lines = run.stdout.splitlines()
    assert "FAIL  acme.order example list: pinned valid (assumption)" in lines
    assert "      pinned valid, but it is invalid" in lines


def failing_example_yaml() -> str:
    """An example pinned valid whose raw text ([]) the schema (type: object) rejects."""
    return ("examples:\n  - name: list\n    provenance: assumption\n    where: a test\n    verdict: valid\n"
            "    raw: '[]'\n")


def test_user_contract_is_listed_and_usable(run_cli: Any, payload_file: Callable[..., Path], tmp_path: Path) -> None:
    payload_file("mine/order.yaml", BROKEN_USER_CONTRACT.split("strict:")[0])
    payload_file("order.json", {"id": 1})
    listed = clean(run_cli("contracts", "list", "--contracts-dir", "mine", cwd=tmp_path))
    assert "acme.order             payload   An order  [mine/order.yaml]" in listed.stdout, listed
    run = clean(run_cli("validate", "--contracts-dir", "mine", "--contract", "acme.order", "order.json",
                        cwd=tmp_path))
    assert run.returncode == 0, run
    assert summary(1, 1, 0, contract="acme.order") in run.stdout


# -- help, version, console script -------------------------------------------------------


@pytest.mark.parametrize("command", [
    (), ("validate",), ("contracts",), ("contracts", "list"), ("contracts", "show"), ("contracts", "lint"),
    ("contracts", "openapi"), ("generate",), ("mock",), ("check",),
])
def test_help(run_cli: Any, command: tuple[str, ...]) -> None:
    run = clean(run_cli(*command, "--help"))
    assert run.returncode == 0, run
    assert run.stdout.startswith(f"usage: woowup-contract{''.join(' ' + c for c in command)}"), run
    assert run.stderr == ""


def test_validate_help_documents_the_exit_codes(run_cli: Any) -> None:
    run = clean(run_cli("validate", "--help"))
    text = " ".join(run.stdout.split())
    assert "Exit codes: 0 all valid (warnings allowed unless --strict), 1 a payload is invalid or unparseable, " \
           "2 usage error" in text
    for option in ("--contract ID", "--strict", "--format {text,json,junit,github,sarif}", "--output FILE",
                   "--max-bytes N"):
        assert option in text


def test_version(run_cli: Any) -> None:
    run = clean(run_cli("--version"))
    assert (run.returncode, run.stdout) == (0, f"woowup-contract {__version__}\n"), run


def test_console_script(run_script: Any, around: tuple[Path, Path], tmp_path: Path) -> None:
    version = clean(run_script("--version"))
    assert (version.returncode, version.stdout) == (0, f"woowup-contract {__version__}\n"), version
    run = clean(run_script("validate", "good.json", "other.json", cwd=tmp_path))
    assert run.returncode == 1, run
    assert OTHER_LINE in run.stdout.splitlines()


# -- lazy imports ------------------------------------------------------------------------


def test_validate_imports_none_of_the_heavy_modules(around: tuple[Path, Path], tmp_path: Path) -> None:
    code = f"""
import contextlib, io, sys
from woowup_contract.cli import main
codes = []
for fmt in ("text", "json", "junit", "github"):
    with contextlib.redirect_stdout(io.StringIO()):
        codes.append(main(["validate", "--format", fmt, "good.json", "other.json"]))
with contextlib.redirect_stdout(io.StringIO()):
    codes.append(main(["contracts", "lint"]))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
print(codes, heavy)
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.stdout == "[1, 1, 1, 1, 0] []\n", proc.stdout + proc.stderr


def test_importing_the_package_imports_none_of_them() -> None:
    code = ("import sys, woowup_contract, woowup_contract.cli;"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stdout == "[]\n", proc.stdout + proc.stderr


# -- progress ------------------------------------------------------------------------------


def run_with_terminal_stderr(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return the exit code and what the terminal showed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "woowup_contract", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.wait(timeout=120), shown.decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_and_never_in_the_report(payload_file: Callable[..., Path],
                                                              tmp_path: Path) -> None:
    good = json.dumps(GOOD)
    lines = [good] * 30_000
    lines[100] = "[]"
    payload_file("big.jsonl", "\n".join(lines) + "\n")
    code, shown = run_with_terminal_stderr(["validate", "--format", "json", "--output", "report.json", "big.jsonl"],
                                           tmp_path)
    assert code == 1, shown
    assert "Traceback" not in shown
    assert " payloads, " in shown and "/s, 1 invalid" in shown, shown
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"] == {"payloads": 30_000, "valid": 29_999, "invalid": 1}


def test_no_progress_when_stderr_is_not_a_terminal(run_cli: Any, payload_file: Callable[..., Path],
                                                   tmp_path: Path) -> None:
    payload_file("big.jsonl", (json.dumps(GOOD) + "\n") * 10_000)  # long enough that a terminal would see it
    run = clean(run_cli("validate", "big.jsonl", cwd=tmp_path))
    assert run.returncode == 0, run
    assert run.stderr == "", run
    assert run.stdout == summary(10_000, 10_000, 0) + "\n"
