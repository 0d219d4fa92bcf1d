"""Questions several surfaces ask, each answered in one place: every surface gets the same answer.

Where the surfaces used to disagree, the stricter answer was kept; these tests pin it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from woowup_contract.checker import Checker
from woowup_contract.cli import main
from woowup_contract.endpoints import parse_rate_limit as check_rate_limit
from woowup_contract.exits import EXIT_USAGE, UsageError
from woowup_contract.loader import Registry
from woowup_contract.mock.faults import rate_limit_of as mock_rate_limit
from woowup_contract.pointers import escape_key, parts_from_pointer, pointer_from_parts
from woowup_contract.rates import RateLimit, parse_rate_limit
from woowup_contract.report import Progress
from woowup_contract.urls import http_url, is_http_url
from woowup_contract.wire import (
    ERROR_CODES,
    error_code,
    is_envelope,
    status_line,
    status_of_error_code,
    status_phrase,
)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- http(s) URLs ------------------------------------------------------------------------------

GOOD_URLS = ["http://127.0.0.1:8080", "https://connectors.woowup.com/", "http://[::1]:9/api", "HTTP://host"]
# each of these passed at least one of the earlier checks (a netloc, a hostname, or the prefix only)
BAD_URLS = ["http://127.0.0.1:notaport", "http://host:99999", "http://ho st", "http://host/a b", "http://",
            "https://:8080", "ftp://host", "host:8080", "http:/host", "", " http://host"]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_an_http_url_is_taken_as_it_is(url: str) -> None:
    assert is_http_url(url)
    assert http_url(url, what="--base-url") == url


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_url_without_a_host_a_numeric_port_or_with_a_space_is_refused(url: str) -> None:
    assert not is_http_url(url)
    with pytest.raises(UsageError) as caught:
        http_url(url, what="--upstream")
    assert str(caught.value) == f"--upstream: expected an http:// or https:// URL, got {url!r}"


@pytest.mark.parametrize("args", [
    ["check", "--base-url", "http://127.0.0.1:notaport", "--api-key", "k"],
    ["check", "--apiv3-base-url", "http://ho st", "--base-url", "http://127.0.0.1:9", "--api-key", "k"],
    ["proxy", "--upstream", "http://127.0.0.1:notaport"],
    ["proxy", "--upstream", "http://127.0.0.1:9", "--apiv3-upstream", "http://ho st"],
])
def test_check_and_proxy_refuse_the_same_urls(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = cli(capsys, *args)
    assert code == EXIT_USAGE, err
    assert "expected an http:// or https:// URL" in err and out == ""


# -- rate limits -------------------------------------------------------------------------------

SPELLINGS = ["140/min", "5/s", "90/h", "1/m", " 10 / MIN ", "2/second", "3/hour", "7/minute", "4/sec", "none", "NONE",
             # refused by both
             "5", "0/min", "-1/min", "1.5/s", "0.5/m", "off", "0", "unlimited", "10/week", "lots", "", "/min",
             "\u0661\u0662/min", "\u00b2/min", "1e3/min", "inf/min"]


def _verdict_of_check(text: str) -> float | None | str:
    try:
        return check_rate_limit(text)
    except UsageError:
        return "refused"


def _verdict_of_mock(text: str) -> float | None | str:
    try:
        limit = mock_rate_limit(text)
    except ValueError:
        return "refused"
    return None if limit is None else limit.per_minute


@pytest.mark.parametrize("text", SPELLINGS)
def test_check_and_mock_read_a_rate_limit_alike(text: str) -> None:
    assert _verdict_of_check(text) == _verdict_of_mock(text)


def test_a_rate_limit_is_a_whole_count_per_unit() -> None:
    assert parse_rate_limit("140/min") == RateLimit(140, 60.0)
    assert parse_rate_limit("5/s") == RateLimit(5, 1.0) and str(RateLimit(5, 1.0)) == "5/s"
    assert parse_rate_limit("none") is None
    with pytest.raises(ValueError, match=r"whole N > 0.*got '1\.5/s'"):
        parse_rate_limit("1.5/s")


def test_the_mock_cli_takes_none_as_check_does(capsys: pytest.CaptureFixture[str]) -> None:
    from woowup_contract.mock.faults import make_plan

    assert make_plan(rate_limit="none").rate_limit is None
    code, _, err = cli(capsys, "check", "--base-url", "http://127.0.0.1:9", "--api-key", "k", "--rate-limit", "off")
    assert code == EXIT_USAGE and "--rate-limit: expected N/min, N/s or N/h with a whole N > 0" in err


# -- the API v3 envelope, status lines, error codes ---------------------------------------------

STATS = {"total_customers": 1, "total_purchases": 1, "total_revenue": 10, "total_invoice_items": 1,
         "per_branches": []}


@pytest.mark.parametrize(("document", "enveloped"), [
    ({"payload": STATS, "message": "ok", "code": "ok"}, True),
    ({"payload": STATS, "code": "ok"}, False),  # the endpoint checks once took this as the envelope
    ({"payload": STATS, "message": "ok"}, False),
    ({"payload": STATS}, False),
    ([STATS], False),
    ("payload", False),
])
def test_the_envelope_has_its_three_members(registry: Registry, document: Any, enveloped: bool) -> None:
    assert is_envelope(document) is enveloped
    if isinstance(document, dict):
        result = Checker(registry, "apiv3.account-stats").check_document(document)
        assert result.envelope == ("enveloped" if enveloped else "bare")
        assert result.valid is enveloped  # judged bare, an envelope-like object is not the stats


def test_each_error_code_belongs_to_one_status() -> None:
    for status, code in ERROR_CODES.items():
        assert error_code(status) == code
        assert status_of_error_code(code) == str(status)
    assert status_of_error_code("no_such_code") is None
    assert error_code(599) == "server_error" and error_code(499) == "error"


def test_status_lines_use_the_http_phrases() -> None:
    assert status_line(429) == "429 Too Many Requests" and status_phrase(429) == "Too Many Requests"
    assert status_line(599) == "599 Error" and status_phrase(599) == ""


# -- contract files in a directory --------------------------------------------------------------


@pytest.mark.parametrize("command", [["validate", "x.json"], ["contracts", "lint"], ["contracts", "list"]])
def test_a_contracts_dir_entry_that_is_not_a_file_is_reported_by_every_command(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        command: list[str]) -> None:
    mine = tmp_path / "mine"
    (mine / "old.yaml").mkdir(parents=True)
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *command, "--contracts-dir", str(mine))
    assert code == EXIT_USAGE, (out, err)
    assert f"{mine / 'old.yaml'}: cannot read" in err + out


# -- JSON Pointers -----------------------------------------------------------------------------


def test_one_pointer_escaping_for_paths_and_contract_lines() -> None:
    from woowup_contract.loader import read_yaml

    assert escape_key("a/b~c") == "a~1b~0c"
    assert pointer_from_parts(("a/b~c", 0)) == "/a~1b~0c/0"
    assert parts_from_pointer("/a~1b~0c/0") == ["a/b~c", "0"]
    _, lines = read_yaml("c.yaml", "top:\n  'a/b~c': 1\n")
    assert lines["/top/a~1b~0c"] == 2


# -- the progress line -------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_progress_line_for_steps_and_counts() -> None:
    screen = Terminal()
    progress = Progress(screen, every=0)
    progress("GET /v1/logs  positive requests 1/25")
    progress("GET /v1/logs  status_code_conformance  passed", True)
    progress("short")
    progress.close()
    steps = "GET /v1/logs  positive requests 1/25"
    assert screen.getvalue() == (f"\r{steps}" + "\r" + " " * len(steps) + "\r"
                                 + "GET /v1/logs  status_code_conformance  passed\n"
                                 + "\rshort" + "\r     \r")
    assert Progress(io.StringIO()).enabled is False


def test_steps_redraw_at_most_every_interval_and_verdict_lines_always_show(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    screen = Terminal()
    progress = Progress(screen, every=0.1)
    progress("GET /v1/logs  positive requests  1/3")  # the first step draws at once
    clock[0] += 0.05
    progress("GET /v1/logs  negative requests  1/3")  # too soon: skipped
    progress("GET /v1/logs  not_a_server_error  passed", True)  # a verdict line is never skipped
    clock[0] += 0.05
    progress("GET /v1/logs  auth_enforced  without a key")  # 0.05 s after the verdict line: skipped
    clock[0] += 0.1
    progress("GET /v1/logs  auth_enforced  with a wrong key")
    shown = screen.getvalue()
    assert "negative requests" not in shown and "without a key" not in shown, shown
    assert shown.startswith("\rGET /v1/logs  positive requests  1/3"), shown
    assert "not_a_server_error  passed\n" in shown and shown.endswith("\rGET /v1/logs  auth_enforced  with a wrong key")


# -- -o FILE ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["validate", "x.json"], ["contracts", "openapi"], ["traffic", "x.har"]])
def test_an_unwritable_output_is_a_usage_error_for_every_command(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        command: list[str]) -> None:
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    (tmp_path / "x.har").write_text(json.dumps({"log": {"version": "1.2", "entries": []}}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "no-such-dir" / "out.txt"
    code, out, err = cli(capsys, *command, "--output", str(target))
    assert code == EXIT_USAGE, (out, err)
    assert f"cannot write {target}" in err and not target.exists()
