"""Every surface that prints hides secrets under any key name and in any encoding: the mock's
log lines and journal, the proxy's log, reports and HAR, and check's error lines. Real HTTP on
127.0.0.1; the one masking function (``woowup_contract.masking``) behind each."""

from __future__ import annotations

import http.client
import io
import json
from pathlib import Path
from typing import Iterator

import pytest
import requests

from woowup_contract.cli import main
from woowup_contract.loader import Registry
from woowup_contract.mock import MockServer
from woowup_contract.traffic import ProxyServer

KEY = "surface-key-8c2e4f"
PARTLY = KEY.replace("-", "%2D").replace("s", "%73", 1)  # the key, percent-encoded in part

# (target, the secrets in it): names encoded in part or twice over, matrix parameters, the
# names connectors use, and the request's own key under a harmless name, encoded in part
TARGETS = [
    ("/v1/logs;token=S1-matrix?k%65y=S2-query&limit=0", ["S1-matrix", "S2-query"]),
    ("/v1/logs?api%5Fkey=S3-under&%4Bey=S4-upper&limit=0", ["S3-under", "S4-upper"]),
    ("/v1/logs;to%6Ben=S5-enc/x?k%2565y=S6-twice", ["S5-enc", "S6-twice"]),
    ("/v1/logs?access%5ftoken=S7-acc&client_secret=S8-cli&sig=S9-sig&limit=0", ["S7-acc", "S8-cli", "S9-sig"]),
    (f"/v1/logs?note={PARTLY}&limit=0", [KEY, PARTLY, KEY[8:]]),
]
IDS = ["matrix+encoded", "underscore+upper-hex", "twice-encoded", "connector-names", "own-key-encoded"]


def _get(base_url: str, target: str) -> int:
    """The target sent as it is (no client-side normalising), with the key."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", target, headers={"Authorization": f"Bearer {KEY}"})
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.parametrize(("target", "secrets"), TARGETS, ids=IDS)
def test_the_mock_log_and_journal_hide_them(registry: Registry, target: str, secrets: list[str]) -> None:
    lines: list[str] = []
    with MockServer(registry, api_keys=[KEY]) as server:
        server.log = lines.append
        assert _get(server.base_url, target) in (400, 404)
        [entry] = server.journal()
        served = requests.get(server.base_url + "/_mock/journal", timeout=10).text
    text = json.dumps(entry) + served + "\n".join(lines)
    assert lines and "***" in text
    assert [s for s in secrets if s in text] == [], text


@pytest.fixture(scope="module")
def proxied(registry: Registry) -> Iterator[tuple[ProxyServer, list[str]]]:
    """One mock behind one proxy for the module (the proxy's first exchange compiles its schemas)."""
    lines: list[str] = []
    with MockServer(registry, api_keys=[KEY]) as upstream, \
            ProxyServer(registry, upstream=upstream.base_url, log=lines.append) as proxy:
        yield proxy, lines


@pytest.mark.parametrize(("target", "secrets"), TARGETS, ids=IDS)
def test_the_proxy_log_reports_and_har_hide_them(proxied: tuple[ProxyServer, list[str]], tmp_path: Path,
                                                 target: str, secrets: list[str]) -> None:
    proxy, lines = proxied
    proxy.clear()
    lines.clear()
    assert _get(proxy.base_url, target) in (400, 404)
    reports = []
    for fmt in ("text", "json", "junit", "github"):
        out = io.StringIO()
        proxy.write_report(fmt, out)
        reports.append(out.getvalue())  # masked by the proxy itself
    proxy.write_har(str(tmp_path / "run.har"))
    har = (tmp_path / "run.har").read_text()
    assert lines, "the proxy said nothing of a request that breaks its contract"
    assert len(json.loads(har)["log"]["entries"]) == 1
    for text in (*lines, *reports, har):
        assert [s for s in secrets if s in text] == [], text
    assert "***" in har


@pytest.mark.parametrize(("target", "secrets"), TARGETS, ids=IDS)
def test_check_error_lines_hide_them(target: str, secrets: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:1" + target  # nothing listens on port 1: check names the URL it cannot reach
    code = main(["check", "--api-key", KEY, "--base-url", url, "--rate-limit", "none"])
    out, err = capsys.readouterr()
    assert code == 2 and "cannot connect" in err, err
    assert [s for s in secrets if s in out + err] == [], err
