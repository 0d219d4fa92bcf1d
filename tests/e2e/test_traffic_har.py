"""``woowup-contract traffic``: HAR from the proxy, devtools, mitmproxy and Charles, judged like the proxy judges.

The fixtures under tests/fixtures/har/ follow each exporter's shape (devtools'
pseudo-headers and ``_resourceType``, mitmproxy's sizes and timings, Charles'
base64 bodies and a FAILED entry with status 0); each holds its own key in a
raw Authorization header, which must never be printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from woowup_contract.cli import main
from woowup_contract.loader import Registry
from woowup_contract.mock import MockServer
from woowup_contract.traffic import ProxyServer, read_har

HAR_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "har"
KEYS = ("devtools-secret-key-4411", "mitm-secret-key-8822", "charles-secret-key-9933")


def _traffic(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["traffic", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _verdicts(report: dict[str, Any]) -> list[tuple[int, str, list[tuple[str, str]]]]:
    return [(r["exchange"], r["side"], sorted((v["pointer"], v["rule"]) for v in r["violations"]))
            for r in report["results"]]


def test_a_har_written_by_the_proxy_and_read_by_traffic_gives_the_same_verdicts(
        registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str], record: dict[str, Any]) -> None:
    key = "roundtrip-key-5150"
    raw = registry.get("connectors.log-record").examples[0].raw.encode()
    with MockServer(registry, api_keys=[key]) as mock, ProxyServer(registry, upstream=mock.base_url) as proxy:
        auth = {"Authorization": f"Bearer {key}"}
        requests.post(proxy.base_url + "/v1/log", json=record, headers=auth, timeout=10)
        requests.post(proxy.base_url + "/v1/log", data=raw, headers={**auth, "Content-Type": "application/json"},
                      timeout=10)
        requests.get(proxy.base_url + "/v1/logs?limit=500&entity=customers", headers=auth, timeout=10)
        requests.get(proxy.base_url + "/v1/logs", timeout=10)
        requests.get(proxy.base_url + "/apiv3/stats?branch=Palermo", headers={"Authorization": f"Basic {key}"},
                     timeout=10)
        live = [(r.exchange, r.side, sorted((v.pointer, v.rule) for v in r.violations))
                for r in sorted(proxy.results(), key=lambda r: (r.exchange, r.side != "request"))]
        har = tmp_path / "session.har"
        proxy.write_har(str(har))
    code, out, err = _traffic(capsys, str(har), "--format", "json")
    assert code == 1, err
    assert _verdicts(json.loads(out)) == live
    assert [v for _, _, v in live] != [[]] * len(live)  # the session had violations to compare
    document = json.loads(har.read_text())
    assert document["log"]["version"] == "1.2" and len(document["log"]["entries"]) == 5
    assert key not in har.read_text()


@pytest.mark.parametrize(("name", "expected", "skipped"), [
    pytest.param("devtools-chrome.har", [
        (1, "request", [("/stats/customers/per_branches/0/total_created", "required"),
                        ("/stats/customers/per_branches/0/total_failed", "required"),
                        ("/stats/customers/per_branches/0/total_updated", "required")]),
        (1, "response", []), (2, "request", []), (2, "response", [])], 1, id="devtools"),
    pytest.param("mitmproxy.har", [
        (1, "request", []), (1, "response", []),
        (2, "request", [("", "query")]), (2, "response", []),
        (3, "request", []), (3, "response", [("", "response_headers_conformance")])], 1, id="mitmproxy"),
    pytest.param("charles.har", [
        (1, "request", []), (1, "response", []),
        (2, "request", []), (2, "response", [("/0/stats/purchases", "response_schema_conformance"),
                                              ("/0/stats/purchases/total_revenue", "response_schema_conformance")]),
        (3, "request", []), (3, "response", [("", "not_a_server_error")])], 0, id="charles"),
])
def test_exporters_hars_are_judged_and_other_hosts_skipped(capsys: pytest.CaptureFixture[str], name: str,
                                                           expected: list[Any], skipped: int) -> None:
    code, out, err = _traffic(capsys, str(HAR_DIR / name), "--format", "json")
    assert code == 1, err
    assert _verdicts(json.loads(out)) == expected
    code, text, _ = _traffic(capsys, str(HAR_DIR / name))
    tail = f", {skipped} with other hosts skipped" if skipped else ""
    assert text.rstrip().splitlines()[-1].endswith(tail + ("" if skipped else "violating"))


def test_the_keys_in_exporters_hars_appear_in_no_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = [str(HAR_DIR / n) for n in ("devtools-chrome.har", "mitmproxy.har", "charles.har")]
    assert all(any(k in Path(f).read_text() for k in KEYS) for f in files)  # the keys are really in there
    for fmt in ("text", "json", "junit", "github", "sarif"):
        report = tmp_path / f"report.{fmt}"
        code, out, err = _traffic(capsys, *files, "--format", fmt, "--output", str(report))
        assert code == 1
        for text in (out, err, report.read_text()):
            assert not any(k in text for k in KEYS), text


def test_a_clean_har_exits_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = json.loads((HAR_DIR / "devtools-chrome.har").read_text())
    document["log"]["entries"] = document["log"]["entries"][1:]  # the list call and the other host
    har = tmp_path / "clean.har"
    har.write_text(json.dumps(document))
    code, out, err = _traffic(capsys, str(har))
    assert code == 0, out + err
    assert out.rstrip().splitlines()[-1] == "1 exchange judged: 1 clean, 0 violating, 1 with other hosts skipped"


def test_api_host_adds_a_host_to_judge(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = json.loads((HAR_DIR / "mitmproxy.har").read_text())
    for entry in document["log"]["entries"]:
        entry["request"]["url"] = entry["request"]["url"].replace("https://connectors.woowup.com",
                                                                  "http://127.0.0.1:8080")
    har = tmp_path / "local.har"
    har.write_text(json.dumps(document))
    _, skipped_out, _ = _traffic(capsys, str(har))
    code, out, _ = _traffic(capsys, str(har), "--api-host", "127.0.0.1:8080")
    assert "2 exchanges judged" in skipped_out and "2 with other hosts skipped" in skipped_out
    assert code == 1 and "3 exchanges judged" in out and "limit must be at most 100" in out


@pytest.mark.parametrize(("content", "words"), [
    pytest.param(b"", "is not a HAR file", id="empty"),
    pytest.param(b"\x00\xff\xfe binary", "is not a HAR file", id="binary"),
    pytest.param(b'{"log": {"entries": {}}}', "no log.entries list", id="entries-not-a-list"),
    pytest.param(b"[1, 2]", "no log.entries list", id="not-an-object"),
    pytest.param(b'{"log": ' * 5000 + b"}" * 5000, "is not a HAR file", id="deeply-nested"),
    pytest.param(b'{"log": {"entries": [', "is not a HAR file", id="truncated"),
])
def test_a_file_that_is_not_har_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 content: bytes, words: str) -> None:
    bad = tmp_path / "bad.har"
    bad.write_bytes(content)
    code, out, err = _traffic(capsys, str(bad))
    assert code == 2 and words in err and "Traceback" not in err, err
    assert out == ""


def test_a_missing_file_and_a_directory_are_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _traffic(capsys, str(tmp_path / "nope.har"))
    assert code == 2 and "cannot read" in err
    code, _, err = _traffic(capsys, str(tmp_path))
    assert code == 2 and "is a directory" in err


def test_an_entry_that_cannot_be_judged_is_reported_and_the_rest_still_judged(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = json.loads((HAR_DIR / "mitmproxy.har").read_text())
    document["log"]["entries"].insert(0, {"request": {"method": "GET"}, "response": {"status": "200"}})
    document["log"]["entries"].insert(0, "not an entry")
    har = tmp_path / "mixed.har"
    har.write_text(json.dumps(document))
    code, out, _ = _traffic(capsys, str(har), "--format", "json")
    report = json.loads(out)
    problems = [v["message"] for r in report["results"] for v in r["violations"] if v["rule"] == "har"]
    assert code == 1
    assert problems == ["entry 0 cannot be judged: the entry is not an object",
                        "entry 1 cannot be judged: the request has no method or no url"]
    assert any(v["rule"] == "response_headers_conformance" for r in report["results"] for v in r["violations"])


def test_read_har_decodes_base64_bodies(tmp_path: Path) -> None:
    entries = read_har(str(HAR_DIR / "charles.har"))
    first = entries[0].exchange
    assert first is not None and json.loads(first.response_body)["createtime"] == "2026-11-20T06:15:02+00:00"
    assert entries[2].exchange is not None and entries[2].exchange.status is None
