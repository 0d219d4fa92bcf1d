"""``woowup-contract proxy`` as a real process: its URL first, a line per violating exchange, the report
on SIGINT or SIGTERM, exit 0/1/2, and the key nowhere in what it writes.

Few subprocess runs (they are slow); option checks that exit before serving run in-process.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from woowup_contract.cli import main
from woowup_contract.loader import Registry
from woowup_contract.mock import MockServer

KEY = "cli-proxy-key-2718"


@pytest.fixture(scope="module")
def mock(registry: Registry) -> Iterator[MockServer]:
    with MockServer(registry, api_keys=[KEY]) as server:
        yield server


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "woowup_contract", "proxy", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if "listening on " not in first:
        proc.kill()
        raise AssertionError(first + proc.communicate()[1])
    return proc, first


def _stop(proc: subprocess.Popen[str], how: signal.Signals) -> tuple[int, str, str]:
    proc.send_signal(how)
    assert proc.stdout is not None and proc.stderr is not None
    proc.wait(timeout=60)
    return proc.returncode, proc.stdout.read(), proc.stderr.read()


def test_sigint_after_clean_traffic_exits_0_with_the_report(mock: MockServer, record: dict[str, Any]) -> None:
    proc, first = _start("--upstream", mock.base_url)
    url = first.split("listening on ", 1)[1].strip()
    answer = requests.post(url + "/v1/log", json=record, headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    code, out, err = _stop(proc, signal.SIGINT)
    assert answer.status_code == 200
    assert first.startswith("woowup-contract proxy: listening on http://127.0.0.1:")
    assert code == 0, out + err
    assert out.rstrip().splitlines()[-1] == "1 exchange judged: 1 clean, 0 violating"
    assert err == ""


def test_sigterm_after_a_violation_exits_1_and_the_key_is_nowhere(mock: MockServer, registry: Registry,
                                                                   tmp_path: Path) -> None:
    report, har = tmp_path / "report.json", tmp_path / "run.har"
    proc, first = _start("--upstream", mock.base_url, "--format", "json", "--output", str(report),
                         "--record", str(har))
    url = first.split("listening on ", 1)[1].strip()
    raw = registry.get("connectors.log-record").examples[0].raw.encode()
    sent = requests.post(url + "/v1/log", data=raw, timeout=10,
                         headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    leaked = requests.get(url + f"/v1/logs?api_key={KEY}", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    code, out, err = _stop(proc, signal.SIGTERM)
    assert sent.status_code == 400 and leaked.status_code == 200
    assert code == 1, out + err
    assert "#1 POST /v1/log 400: request: /stats/customers/per_branches/0/total_created" in err
    document = json.loads(report.read_text())
    assert document["summary"] == {"payloads": 4, "valid": 3, "invalid": 1}
    assert [(r["exchange"], r["side"]) for r in document["results"] if not r["valid"]] == [(1, "request")]
    warned = [v for r in document["results"] if r["exchange"] == 2 for v in r["violations"]]
    assert [(v["rule"], v["severity"]) for v in warned] == [("query", "warning")]  # api_key is no parameter
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["request"]["method"] for e in entries] == ["POST", "GET"]
    assert entries[0]["request"]["postData"]["text"] == raw.decode()
    for text in (first, out, err, report.read_text(), har.read_text()):
        assert KEY not in text


def test_an_unreachable_upstream_at_start_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["proxy", "--upstream", "http://127.0.0.1:9", "--port", "0"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "the upstream is unreachable: cannot connect to http://127.0.0.1:9" in err


@pytest.mark.parametrize(("args", "words"), [
    pytest.param(["--upstream", "ftp://example.com"], "--upstream: expected an http:// or https:// URL", id="scheme"),
    pytest.param(["--upstream", "http://127.0.0.1:9", "--apiv3-upstream", "nonsense"], "--apiv3-upstream",
                 id="apiv3"),
    pytest.param(["--upstream", "http://127.0.0.1:9", "--timeout", "0"], "--timeout must be above 0", id="timeout"),
])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], words: str) -> None:
    code = main(["proxy", "--port", "0", *args])
    _, err = capsys.readouterr()
    assert code == 2 and words in err, err


def test_a_taken_port_exits_2(capsys: pytest.CaptureFixture[str], mock: MockServer) -> None:
    code = main(["proxy", "--upstream", mock.base_url, "--port", str(mock.port)])
    _, err = capsys.readouterr()
    assert code == 2 and f"cannot listen on 127.0.0.1:{mock.port}" in err, err
