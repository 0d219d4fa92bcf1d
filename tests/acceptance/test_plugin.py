"""The pytest plugin, run as real pytest sessions over a sample connector repository.

Inline runs (``pytester.runpytest``) where a run only needs the plugin; subprocess
runs where the entry point itself or pytest-xdist is what is being tested.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from plugin_repo import (
    BATCH,
    EXPECTED_FAILED,
    EXPECTED_NODEIDS,
    INI,
    LEAN,
    RECORD,
    batch_item,
    collected,
    junit_nodeid,
    junit_outcomes,
    make_connector_repo,
)

from woowup_contract import __version__

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR


@pytest.fixture
def repo(pytester: pytest.Pytester) -> pytest.Pytester:
    make_connector_repo(pytester)
    return pytester


def section(result: pytest.RunResult, title: str) -> str:
    """The text of one ``____ title ____`` failure section."""
    text = result.stdout.str()
    start = text.index(f" {title} ")
    start = text.index("\n", start) + 1
    ends = [i for i in (text.find("\n___", start), text.find("\n===", start)) if i >= 0]
    return text[start:min(ends)]


# -- collection ------------------------------------------------------------------------


def test_only_files_matching_the_globs_become_items(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--collect-only", "-q")
    assert collected(result) == EXPECTED_NODEIDS, result.stdout.str()
    assert "settings.json" not in result.stdout.str()
    assert "notes.txt" not in result.stdout.str()


def test_a_project_without_settings_collects_no_json(pytester: pytest.Pytester) -> None:
    make_connector_repo(pytester, ini="[pytest]\n")
    result = pytester.runpytest("--collect-only", "-q", "out", "config")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout.str()
    assert collected(result) == set()


def test_option_globs_replace_the_ini_globs(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--collect-only", "-q", "--woowup-payloads", "out/daily-run.json",
                            "--woowup-payloads", "config/*.json")
    assert {n for n in collected(result) if not n.startswith("tests/")} == {
        "out/daily-run.json::payload", "config/settings.json::payload"}, result.stdout.str()


def test_double_star_globs_reach_nested_folders_and_single_star_does_not(pytester: pytest.Pytester) -> None:
    make_connector_repo(pytester, ini="[pytest]\nwoowup_payloads = out/**/*.json\n")
    result = pytester.runpytest("--collect-only", "-q")
    assert collected(result) - {n for n in EXPECTED_NODEIDS if n.startswith("tests/")} == {
        "out/daily-run.json::payload", "out/documented-example.json::payload",
        "out/errors/forbidden.json::payload"}, result.stdout.str()

    result = pytester.runpytest("--collect-only", "-q", "--woowup-payloads", "out/*.json")
    assert "out/errors/forbidden.json::payload" not in collected(result)


# -- outcomes and failure text --------------------------------------------------------


def test_outcomes_follow_the_contracts(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--junitxml=report.xml")
    outcomes = junit_outcomes(repo.path / "report.xml")
    assert set(outcomes) == EXPECTED_NODEIDS
    assert {n for n, o in outcomes.items() if o != "passed"} == EXPECTED_FAILED, result.stdout.str()
    result.assert_outcomes(passed=len(EXPECTED_NODEIDS) - len(EXPECTED_FAILED), failed=len(EXPECTED_FAILED))


def test_a_failing_payload_shows_its_violations_not_a_traceback(repo: pytest.Pytester) -> None:
    result = repo.runpytest("out/documented-example.json")
    text = section(result, "out/documented-example.json")
    assert text.splitlines() == [
        "out/documented-example.json: invalid connectors.log-record payload (official profile): 3 errors",
        "/stats/customers/per_branches/0/total_created: \"total_created\" is a required property [required] "
        "(line 10, column 5)",
        "    hint: rename created to total_created (the documented example uses the wrong key)",
        "/stats/customers/per_branches/0/total_updated: \"total_updated\" is a required property [required] "
        "(line 10, column 5)",
        "    hint: rename updated to total_updated (the documented example uses the wrong key)",
        "/stats/customers/per_branches/0/total_failed: \"total_failed\" is a required property [required] "
        "(line 10, column 5)",
        "    hint: rename failed to total_failed (the documented example uses the wrong key)",
    ]
    out = result.stdout.str()
    assert "Traceback" not in out and "plugin.py" not in out and "def runtest" not in out


def test_a_bad_jsonl_line_fails_alone_with_its_line_number(repo: pytest.Pytester) -> None:
    result = repo.runpytest("out/batch.jsonl")
    result.assert_outcomes(passed=2, failed=2)
    revenue = section(result, "out/batch.jsonl:3")
    assert revenue.startswith("out/batch.jsonl line 3: invalid connectors.log-record payload (official profile): "
                              "1 error\n/stats/purchases/total_revenue: 12345.67 is not of type \"integer\" [type] "
                              "(line 3, column "), revenue
    assert "    hint: total_revenue is an integer" in revenue
    broken = section(result, "out/batch.jsonl:5")
    assert broken.splitlines() == [
        "out/batch.jsonl line 5: invalid connectors.log-record payload (official profile): 1 error",
        "(root): invalid JSON: Expecting value [parse] (line 5, column 12)",
    ]


def test_payload_contracts_route_files_to_their_contract(repo: pytest.Pytester) -> None:
    (repo.path / "out" / "errors" / "record.json").write_text('{"files": []}', encoding="utf-8")
    result = repo.runpytest("out/errors")
    result.assert_outcomes(passed=1, failed=1)
    text = section(result, "out/errors/record.json")
    assert text.startswith("out/errors/record.json: invalid apiv3.error payload (official profile): 3 errors\n")
    assert "/payload: \"payload\" is a required property [required] (line 1, column 1)" in text


def test_the_contract_option_changes_the_default_contract(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--woowup-contract", "apiv3.error", "out/daily-run.json", "out/errors")
    result.assert_outcomes(passed=1, failed=1)
    assert "out/daily-run.json: invalid apiv3.error payload" in result.stdout.str()


def test_unreadable_empty_and_binary_files_fail_with_a_message(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwoowup_payloads = out/*\n")
    out = pytester.mkdir("out")
    (out / "empty.json").write_bytes(b"")
    (out / "binary.json").write_bytes(b"\x00\x01\xff\xfe")
    (out / "empty.jsonl").write_bytes(b"\n\n")
    (out / "bom.json").write_bytes(b"\xef\xbb\xbf" + b'{"files": []}')
    result = pytester.runpytest()
    result.assert_outcomes(failed=4)
    out_text = result.stdout.str()
    assert "(root): empty: no JSON document [parse]" in out_text
    assert "(root): binary data, not JSON text: byte 0xff at offset 2 is not valid UTF-8 [parse]" in out_text
    assert "(root): empty: no JSON document on any line [parse]" in out_text
    assert "byte order mark (BOM)" in out_text
    assert "Traceback" not in out_text


# -- strict findings -------------------------------------------------------------------


def test_strict_findings_pass_and_are_summarised_at_the_end(repo: pytest.Pytester) -> None:
    result = repo.runpytest("out/batch.jsonl")
    text = result.stdout.str()
    summary = text[text.index("woowup-contract strict findings"):]
    lines = summary.splitlines()
    assert lines[1] == batch_item(4)
    assert lines[2].startswith("  /processingtime: warning: processingtime should be an ISO-8601 date-time")
    column = BATCH.splitlines()[3].index('"yesterday"') + 1
    assert lines[2].endswith(f"[processingtime-iso8601] (line 4, column {column})")
    assert lines[3].startswith("1 strict finding in 1 test;")
    assert "FAILED " + batch_item(4) not in text


@pytest.mark.parametrize("how", [("--woowup-strict",), ("-o", "woowup_strict=true")], ids=["option", "ini"])
def test_the_strict_profile_makes_strict_findings_fail(repo: pytest.Pytester, how: tuple[str, ...]) -> None:
    result = repo.runpytest(*how, "out/batch.jsonl")
    result.assert_outcomes(passed=1, failed=3)
    text = section(result, "out/batch.jsonl:4")
    assert text.startswith("out/batch.jsonl line 4: invalid connectors.log-record payload (strict profile): 1 error\n"
                           "/processingtime: processingtime should be an ISO-8601"), text
    assert "woowup-contract strict findings" not in result.stdout.str()


def test_a_failure_lists_the_warnings_after_the_errors(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwoowup_payloads = *.json\n")
    record = dict(RECORD, processingtime="tomorrow")
    del record["files"]
    pytester.makefile(".json", both=__import__("json").dumps(record))
    result = pytester.runpytest()
    text = section(result, "both.json")
    assert text.splitlines()[0] == "both.json: invalid connectors.log-record payload (official profile): " \
                                   "1 error, 1 warning"
    assert text.splitlines()[1].startswith("/files: \"files\" is a required property [required]")
    assert text.splitlines()[2].startswith("/processingtime: warning: ")


# -- reports CI reads ----------------------------------------------------------------------


def test_junit_carries_the_violation_text_in_each_failure(repo: pytest.Pytester) -> None:
    repo.runpytest("--junitxml=report.xml")
    cases = {junit_nodeid(c): c for c in ET.parse(repo.path / "report.xml").getroot().iter("testcase")}
    failure = cases["out/documented-example.json::payload"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith(
        "out/documented-example.json: invalid connectors.log-record payload (official profile): 3 errors")
    assert "/stats/customers/per_branches/0/total_created: \"total_created\" is a required property" in failure.text
    assert "hint: rename created to total_created" in failure.text
    line = cases[batch_item(3)].find("failure")
    assert line is not None and "/stats/purchases/total_revenue: 12345.67 is not of type \"integer\"" in line.text
    assert cases["out/daily-run.json::payload"].find("failure") is None


def test_xdist_gives_the_same_outcomes_as_a_serial_run(repo: pytest.Pytester,
                                                       only_the_plugin: tuple[str, ...]) -> None:
    serial = repo.runpytest_inprocess(*only_the_plugin, "--junitxml=serial.xml")  # the workers are the processes at stake
    parallel = repo.runpytest_inprocess(*only_the_plugin, "-n", "2", "--junitxml=parallel.xml")  # workers: processes
    assert "2 workers" in parallel.stdout.str() or "gw1" in parallel.stdout.str(), parallel.stdout.str()
    expected = junit_outcomes(repo.path / "serial.xml")
    assert set(expected) == EXPECTED_NODEIDS
    assert junit_outcomes(repo.path / "parallel.xml") == expected
    for run in (serial, parallel):
        text = run.stdout.str()
        assert "woowup-contract strict findings" in text and batch_item(4) in text, text
        assert "/stats/purchases/total_revenue: 12345.67 is not of type \"integer\"" in text


# -- the entry point ---------------------------------------------------------------------------


def test_the_entry_point_loads_the_plugin_and_p_no_turns_it_off(repo: pytest.Pytester) -> None:
    on = repo.runpytest_subprocess(*LEAN, "--collect-only", "-q")
    assert collected(on) == EXPECTED_NODEIDS, on.stdout.str()

    # the subprocess above proves the entry point; blocking it by name needs no second interpreter
    off = repo.runpytest_inprocess(*LEAN, "--collect-only", "-q", "-p", "no:woowup_contract")
    assert collected(off) == {n for n in EXPECTED_NODEIDS if n.startswith("tests/")}, off.stdout.str()
    assert "Unknown config option: woowup_payloads" in off.stdout.str()


# -- settings and their errors ----------------------------------------------------------------


def test_a_glob_that_matches_nothing_warns_and_names_its_origin(repo: pytest.Pytester) -> None:
    (repo.path / "pytest.ini").unlink()
    repo.makeini("[pytest]\nwoowup_payloads =\n    out/*.json\n    out/*.jsonl\n    out/errors/*.json\n"
                 "    build/*.json\nwoowup_payload_contracts = out/errors/*.json = apiv3.error\n")  # tox.ini
    result = repo.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*WoowupContractWarning: woowup-contract: ini key woowup_payloads in tox.ini: "
                                 "build/[*].json matches no file*"])
    assert collected(result) == EXPECTED_NODEIDS

    result = repo.runpytest("--collect-only", "-q", "--woowup-payloads", "nowhere/*.jsonl")
    result.stdout.fnmatch_lines(["*option --woowup-payloads: nowhere/[*].jsonl matches no file*"])


@pytest.mark.parametrize(("ini", "args", "message"), [
    ("woowup_contract = connectors.nope", (),
     "ERROR: woowup-contract: ini key woowup_contract in pytest.ini: unknown contract 'connectors.nope'; known: "
     "apiv3.account-stats, apiv3.error, connectors.list-logs, connectors.log-record, connectors.post-log"),
    ("", ("--woowup-contract", "nope"),
     "ERROR: woowup-contract: option --woowup-contract: unknown contract 'nope'; known: *"),
    ("", ("-o", "woowup_contract=nope"),
     "ERROR: woowup-contract: ini key woowup_contract (-o/--override-ini): unknown contract 'nope'*"),
    ("woowup_payload_contracts = out/x/*.json = acme.nope", (),
     "ERROR: woowup-contract: ini key woowup_payload_contracts in pytest.ini: unknown contract 'acme.nope'*"),
    ("woowup_payload_contracts = out/x/*.json", (),
     "ERROR: woowup-contract: ini key woowup_payload_contracts in pytest.ini: 'out/x/[*].json' is not "
     "'GLOB = CONTRACT_ID'"),
    ("woowup_strict = sometimes", (),
     "ERROR: woowup-contract: ini key woowup_strict in pytest.ini: invalid truth value 'sometimes' "
     "(use true or false)"),
    ("woowup_contracts_dir = my-contracts", (),
     "ERROR: woowup-contract: ini key woowup_contracts_dir in pytest.ini: */my-contracts is not a directory"),
    ("", ("--woowup-contracts-dir", "elsewhere"),
     "ERROR: woowup-contract: option --woowup-contracts-dir: */elsewhere is not a directory"),
    ("", ("--woowup-base-url", "connectors.woowup.com"),
     "ERROR: woowup-contract: option --woowup-base-url: expected an http:// or https:// URL"),
    ("", ("--woowup-base-url", "http://127.0.0.1:port"),
     "ERROR: woowup-contract: option --woowup-base-url: expected an http:// or https:// URL"),
], ids=["ini-contract", "option-contract", "override-contract", "mapped-contract", "mapping-line", "strict",
        "ini-dir", "option-dir", "base-url", "base-url-port"])
def test_a_bad_setting_is_a_usage_error_naming_where_it_came_from(
        repo: pytest.Pytester, ini: str, args: tuple[str, ...], message: str) -> None:
    (repo.path / "pytest.ini").write_text(f"[pytest]\nwoowup_payloads = out/*.json\n{ini}\n", encoding="utf-8")
    result = repo.runpytest(*args)
    assert result.ret == USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_a_bad_base_url_from_the_environment_names_the_variable(
        repo: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOOWUP_BASE_URL", "ftp://example.invalid")
    result = repo.runpytest()
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: woowup-contract: $WOOWUP_BASE_URL: expected an http:// or https:// URL"])


@pytest.mark.parametrize("url", ["http://", "http://127.0.0.1:port", "http://api.example .invalid", "ftp://api.example"],
                         ids=["no-host", "port", "space", "scheme"])
def test_the_apiv3_url_of_the_endpoint_checks_is_held_to_the_base_url_check(
        pytester: pytest.Pytester, url: str) -> None:
    # a URL pytest cannot connect to is refused at start-up, as --woowup-base-url is, not by every item
    pytester.makepyfile("def test_own():\n    pass\n")
    result = pytester.runpytest("--woowup-endpoints", "--woowup-endpoints-apiv3-url", url, "--collect-only", "-q")
    assert result.ret == USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines(
        ["ERROR: woowup-contract: --woowup-endpoints-apiv3-url: expected an http:// or https:// URL"])


def test_an_apiv3_url_a_client_can_reach_is_accepted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_own():\n    pass\n")
    result = pytester.runpytest("--woowup-endpoints", "--woowup-endpoints-apiv3-url", "HTTPS://api.example.invalid:8443",
                                "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    assert "woowup-endpoints::GET /v1/logs::auth_enforced" in result.stdout.str()


def test_a_broken_contract_file_is_a_usage_error_with_its_line(repo: pytest.Pytester) -> None:
    contracts = repo.mkdir("contracts")
    (contracts / "broken.yaml").write_text("format: woowup-contract/1\nid: [unclosed\n", encoding="utf-8")
    result = repo.runpytest("--woowup-contracts-dir", "contracts")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: woowup-contract: broken contract: */contracts/broken.yaml:*: not valid YAML*"])


def test_a_contracts_dir_adds_contracts_for_payload_files(repo: pytest.Pytester) -> None:
    bundled = (Path(__file__).resolve().parents[2] / "contracts" / "apiv3.error.yaml").read_text(encoding="utf-8")
    contracts = repo.mkdir("my-contracts")
    (contracts / "acme.ack.yaml").write_text(
        bundled.replace("id: apiv3.error", "id: acme.ack").replace("required: [payload, message, code]",
                                                                   "required: [ack]"), encoding="utf-8")
    (repo.path / "out" / "acks").mkdir()
    (repo.path / "out" / "acks" / "ok.json").write_text('{"ack": true}', encoding="utf-8")
    (repo.path / "out" / "acks" / "no.json").write_text('{"nack": true}', encoding="utf-8")
    (repo.path / "pytest.ini").write_text(
        "[pytest]\nwoowup_payloads = out/acks/*.json\nwoowup_payload_contracts = out/acks/*.json = acme.ack\n"
        "woowup_contracts_dir = my-contracts\n", encoding="utf-8")
    result = repo.runpytest("out")
    result.assert_outcomes(passed=1, failed=1)
    assert "out/acks/no.json: invalid acme.ack payload (official profile): 1 error\n/ack: \"ack\" is a required" \
        in result.stdout.str()
    result.stdout.fnmatch_lines([f"woowup-contract {__version__}: contracts bundled + */my-contracts; *"])


# -- the header ------------------------------------------------------------------------------------


def test_the_header_says_what_a_run_needs_to_be_reproduced(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--collect-only")
    result.stdout.fnmatch_lines([
        f"woowup-contract {__version__}: contracts bundled; contract connectors.log-record; profile official",
        "woowup-contract payloads: out/*.json, out/*.jsonl, out/errors/*.json",
        "woowup-contract payloads out/errors/*.json: contract apiv3.error",
    ])
    assert "hypothesis seed" not in result.stdout.str()

    result = repo.runpytest("--collect-only", "--woowup-strict", "--hypothesis-seed", "4242",
                            "--woowup-base-url", "http://user:pw@127.0.0.1:9/prefix")
    result.stdout.fnmatch_lines([
        f"woowup-contract {__version__}: contracts bundled; contract connectors.log-record; profile strict",
        "*",
        "woowup-contract api: http://127.0.0.1:9 (from option --woowup-base-url)",
        "hypothesis seed: 4242 (--hypothesis-seed)",
    ])
    assert "user:pw" not in result.stdout.str()


def test_a_project_without_settings_sees_nothing_of_the_plugin(pytester: pytest.Pytester) -> None:
    """Installed is not configured: another project's output is the same with or without the package."""
    pytester.makepyfile("def test_nothing(): pass")
    for args in ((), ("--hypothesis-seed", "4242")):
        result = pytester.runpytest(*args)
        result.assert_outcomes(passed=1)
        # pytest's own "plugins:" line lists every installed plugin; nothing else may name us
        ours = [ln for ln in result.outlines if "woowup" in ln.lower() and not ln.startswith("plugins:")]
        assert ours == [], result.stdout.str()


def test_payload_files_outside_what_pytest_collects_are_a_warning(repo: pytest.Pytester) -> None:
    (repo.path / "pytest.ini").write_text(INI + "testpaths = tests\n", encoding="utf-8")
    result = repo.runpytest("--collect-only", "-q")
    assert collected(result) == {n for n in EXPECTED_NODEIDS if n.startswith("tests/")}
    result.stdout.fnmatch_lines(["*WoowupContractWarning: woowup-contract: ini key woowup_payloads in pytest.ini: "
                                 "out/[*].json matches files that pytest did not collect: add their folder to "
                                 "testpaths or to the command line"])
    assert "out/errors/*.json matches files" in result.stdout.str()

    (repo.path / "pytest.ini").write_text(INI + "testpaths =\n    tests\n    out\n", encoding="utf-8")
    result = repo.runpytest("--collect-only", "-q")
    assert collected(result) == EXPECTED_NODEIDS
    assert "WoowupContractWarning" not in result.stdout.str()

    result = repo.runpytest("--collect-only", "-q", "tests")  # named on purpose: no warning
    assert "WoowupContractWarning" not in result.stdout.str()
