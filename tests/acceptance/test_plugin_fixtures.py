"""The plugin's fixtures, used from real pytest runs the way a connector's tests use them.

``woowup_validate`` and ``woowup_contracts`` need nothing else; ``woowup_mock`` and
``woowup_api`` talk real HTTP on 127.0.0.1: to the mock, or to a small recording server
standing in for a live API (``--woowup-base-url``).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from plugin_repo import EXAMPLES, RECORD

SECRET = "s3cr3t-key-0123456789"


def test_woowup_validate_takes_documents_text_and_paths(pytester: pytest.Pytester) -> None:
    pytester.makefile(".json", good=json.dumps(RECORD), bad='{"files": "a.csv"}')
    pytester.makefile(".jsonl", batch=json.dumps(RECORD) + "\n\n" + json.dumps(RECORD) + "\n")
    pytester.makepyfile(f'''
        import json
        from pathlib import Path

        import pytest

        from woowup_contract import Result, UnknownContract
        from woowup_contract.plugin import PayloadInvalid

        RECORD = {RECORD!r}


        def test_a_document(woowup_validate):
            result = woowup_validate(RECORD)
            assert isinstance(result, Result) and result.valid and result.source == "<document>"


        def test_json_text_and_bytes(woowup_validate):
            assert woowup_validate(json.dumps(RECORD)).valid
            assert woowup_validate("  \\n" + json.dumps(RECORD)).valid
            assert woowup_validate(json.dumps(RECORD).encode()).valid


        def test_paths(woowup_validate):
            assert woowup_validate(Path("good.json")).source.endswith("good.json")
            assert woowup_validate("good.json").valid
            results = woowup_validate("batch.jsonl")
            assert [r.source for r in results] == ["batch.jsonl:1", "batch.jsonl:3"]


        def test_a_bad_path_lists_the_violations_with_lines(woowup_validate):
            with pytest.raises(PayloadInvalid) as info:
                woowup_validate("bad.json")
            lines = str(info.value).splitlines()
            assert lines[0] == "bad.json: invalid connectors.log-record payload (official profile): 3 errors"
            assert sorted(lines[1:]) == [
                '/files: "a.csv" is not of type "array" [type] (line 1, column 11)',
                '/processingtime: "processingtime" is a required property [required] (line 1, column 1)',
                '/stats: "stats" is a required property [required] (line 1, column 1)',
            ]


        def test_a_missing_file_is_invalid_not_a_crash(woowup_validate):
            with pytest.raises(PayloadInvalid, match=r"\\(root\\): no such file \\[read\\]"):
                woowup_validate("missing.json")


        def test_another_contract(woowup_validate):
            assert woowup_validate({{"payload": [], "message": "no", "code": "forbidden"}}, "apiv3.error").valid
            with pytest.raises(PayloadInvalid, match="invalid apiv3.error payload"):
                woowup_validate(RECORD, contract="apiv3.error")
            with pytest.raises(UnknownContract):
                woowup_validate(RECORD, "connectors.nope")


        def test_strict_findings_are_warnings_unless_strict(woowup_validate):
            record = dict(RECORD, processingtime="yesterday")
            result = woowup_validate(record)
            assert result.valid and [v.rule for v in result.warnings] == ["processingtime-iso8601"]
            with pytest.raises(PayloadInvalid, match="strict profile.*\\n/processingtime: processingtime should"):
                woowup_validate(record, strict=True)


        def test_the_error_is_an_assertion_error(woowup_validate):
            with pytest.raises(AssertionError):
                woowup_validate({{}})
    ''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=8)


def test_a_failing_validation_points_at_the_test_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
        def test_connector_output(woowup_validate):
            record = {"files": ["a.csv"], "processingtime": "x", "stats": {"purchases": {"total_revenue": 1.5}}}
            woowup_validate(record)
    ''')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        ">       woowup_validate(record)",
        "E       woowup_contract.plugin.PayloadInvalid: <document>: invalid connectors.log-record payload "
        "(official profile): 6 errors, 1 warning",
        "E       /stats/purchases/total_created: \"total_created\" is a required property [required]",
        "E       /stats/purchases/per_branches: \"per_branches\" is a required property [required]",
        "E       /stats/purchases/total_revenue: 1.5 is not of type \"integer\" [type]",
        "E           hint: total_revenue is an integer*",
        "E       /processingtime: warning: processingtime should be an ISO-8601 date-time*",
        "test_a_failing_validation_points_at_the_test_line.py:3: PayloadInvalid",
    ])
    assert "def validate(" not in result.stdout.str()  # the fixture's own frame is hidden


def test_validation_warnings_reach_the_strict_summary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f'''
        def test_late_run(woowup_validate):
            assert woowup_validate(dict({RECORD!r}, processingtime="ayer")).valid
    ''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*woowup-contract strict findings*",
        "test_validation_warnings_reach_the_strict_summary.py::test_late_run",
        "  <document> (connectors.log-record):",
        "  /processingtime: warning: *'ayer' is not an ISO-8601 date-time with an offset *",
        "1 strict finding in 1 test; *",
    ])


def test_woowup_contracts_is_one_registry_per_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
        SEEN = []

        def test_first(woowup_contracts):
            SEEN.append(woowup_contracts)
            assert "connectors.log-record" in woowup_contracts
            assert woowup_contracts.get("connectors.post-log").endpoint.path == "/v1/log"

        def test_second(woowup_contracts):
            assert woowup_contracts is SEEN[0]
    ''')
    pytester.runpytest().assert_outcomes(passed=2)


# -- the mock and the API session ---------------------------------------------------------------


def test_woowup_mock_is_one_server_emptied_before_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f'''
        import requests

        RECORD = {RECORD!r}
        SEEN = []

        def test_a_post_is_stored(woowup_mock):
            SEEN.append(woowup_mock.base_url)
            assert woowup_mock.base_url.startswith("http://127.0.0.1:")
            response = requests.post(woowup_mock.base_url + "/v1/log", json=RECORD,
                                     headers={{"Authorization": "Bearer " + woowup_mock.api_key}}, timeout=10)
            assert response.status_code == 200, response.text
            assert len(woowup_mock.records()) == 1
            woowup_mock.set_faults(["503:1"])

        def test_the_next_test_starts_empty_on_the_same_server(woowup_mock):
            assert woowup_mock.base_url == SEEN[0]
            assert woowup_mock.records() == [] and woowup_mock.journal() == []
            response = requests.get(woowup_mock.base_url + "/v1/logs",
                                    headers={{"Authorization": "Bearer " + woowup_mock.api_key}}, timeout=10)
            assert response.status_code == 200, "the previous test's faults were cleared"
    ''')
    pytester.runpytest().assert_outcomes(passed=2)


def test_woowup_api_talks_to_the_mock_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f'''
        import requests

        def test_post_then_read_back(woowup_api, woowup_mock):
            record = {RECORD!r}
            assert woowup_api.post("/v1/log", json=record).status_code == 200
            logs = woowup_api.get("v1/logs", params={{"limit": 5}})
            assert logs.status_code == 200 and [r["files"] for r in logs.json()] == [record["files"]]
            stats = woowup_api.get(woowup_mock.base_url + "/apiv3/stats")
            assert stats.status_code == 200 and stats.json()["total_customers"] == 10
            assert [(e["method"], e["status"]) for e in woowup_mock.journal()] == [
                ("POST", 200), ("GET", 200), ("GET", 200)]
            assert requests.get(woowup_mock.base_url + "/v1/logs", timeout=10).status_code == 403
    ''')
    pytester.runpytest().assert_outcomes(passed=1)


def test_woowup_mock_options_configure_the_session_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
        import pytest

        @pytest.fixture(scope="session")
        def woowup_mock_options():
            return {"envelope": True, "api_keys": ["team-key"]}
    ''')
    pytester.makepyfile('''
        def test_enveloped_stats(woowup_api, woowup_mock):
            assert woowup_mock.api_key == "team-key"
            body = woowup_api.get("/apiv3/stats").json()
            assert body["code"] == "ok" and "total_customers" in body["payload"]
    ''')
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_mock_of_an_interrupted_run_is_stopped(pytester: pytest.Pytester, tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    pytester.makepyfile(f'''
        def test_interrupted(woowup_mock):
            open({str(port_file)!r}, "w").write(str(woowup_mock.port))
            raise KeyboardInterrupt
    ''')
    result = pytester.runpytest(no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    port = int(port_file.read_text())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


class _Recorder(BaseHTTPRequestHandler):
    """Stands in for a live WoowUp API: answers 200 and records what it was sent."""

    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def live_api() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/base", _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


API_TEST = '''
def test_list_logs(woowup_api):
    response = woowup_api.get("/v1/logs", params={"limit": 1})
    assert response.status_code == 200 and response.json() == []

def test_the_session_shows_no_key(woowup_api):
    assert False, repr(woowup_api) + repr(woowup_api.auth)
'''


@pytest.mark.parametrize("key_from", ["env", "option"])
def test_woowup_api_points_at_the_base_url_with_the_key(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        live_api: tuple[str, list[tuple[str, str | None]]], key_from: str) -> None:
    base_url, seen = live_api
    pytester.makepyfile(API_TEST)
    args = ["--woowup-base-url", base_url, "-v", "--showlocals", "--junitxml=report.xml"]
    if key_from == "env":
        monkeypatch.setenv("WOOWUP_API_KEY", SECRET)
    else:
        args += ["--woowup-api-key", SECRET]
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1, failed=1)
    assert seen == [("/base/v1/logs?limit=1", f"Bearer {SECRET}")]
    result.stdout.fnmatch_lines(["*AssertionError: <WoowupSession http://127.0.0.1:*/base><Bearer API key (hidden)>"])
    assert SECRET not in result.stdout.str() + result.stderr.str()
    assert SECRET not in (pytester.path / "report.xml").read_text(encoding="utf-8")


def test_the_api_key_is_never_printed_by_a_whole_run(
        pytester: pytest.Pytester, request: pytest.FixtureRequest,
        live_api: tuple[str, list[tuple[str, str | None]]]) -> None:
    base_url, seen = live_api
    help_text = pytester.runpytest("--help").stdout.str()
    assert "--woowup-api-key=KEY" in help_text and "no ini key" in help_text
    pytester.makepyfile(API_TEST)
    pytester.makeini("[pytest]\nwoowup_payloads = *.json\n")
    pytester.makefile(".json", bad='{"files": 1}')
    plugins = request.getfixturevalue("only_the_plugin")  # after --help, which needs the autoloaded plugin
    result = pytester.runpytest_subprocess(*plugins, "--woowup-base-url", base_url,
                                           "--woowup-api-key", SECRET, "-vv", "-l", "-rA", "--junitxml=report.xml",
                                           "--debug=debug.log")
    result.assert_outcomes(passed=1, failed=2)
    assert seen and seen[0][1] == f"Bearer {SECRET}"
    for text in (result.stdout.str(), result.stderr.str(), (pytester.path / "report.xml").read_text("utf-8")):
        assert SECRET not in text


def test_woowup_api_against_a_live_url_needs_a_key(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                   live_api: tuple[str, list[tuple[str, str | None]]]) -> None:
    monkeypatch.delenv("WOOWUP_API_KEY", raising=False)
    pytester.makepyfile(API_TEST)
    result = pytester.runpytest("--woowup-base-url", live_api[0], "-k", "list_logs")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*woowup_api: option --woowup-base-url is set but there is no API key: pass "
                                 "--woowup-api-key or set WOOWUP_API_KEY"])
    assert live_api[1] == []


def test_the_examples_folder_is_checked_by_the_plugin_as_by_the_cli(pytester: pytest.Pytester) -> None:
    shutil.copytree(EXAMPLES, pytester.path / "examples")
    pytester.makeini("[pytest]\nwoowup_payloads =\n    examples/valid/*\n    examples/invalid/*\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=4, failed=2)
