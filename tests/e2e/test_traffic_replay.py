"""Replay: a session recorded through the proxy, served back by ``mock --replay`` byte for byte.

Matching rule under test: same method, same path, same query pairs in any
order; headers and bodies ignored; several recordings of one request served in
order, the last one again after; everything else goes to the stateful mock.
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
from check_fake_api import FakeApi

from woowup_contract.loader import Registry
from woowup_contract.mock import MockServer
from woowup_contract.traffic import ProxyServer, ReplayApp, read_har
from woowup_contract.traffic.serve import ThreadedServer

MOCK_KEY = "replay-mock-key-3141"


def _record(registry: Registry, har: Path, record: dict[str, Any]) -> dict[str, requests.Response]:
    """A session against a real (fake) API through the proxy: what the connector got, by name."""
    got: dict[str, requests.Response] = {}
    with FakeApi(defects={"wrong-types"}) as api, ProxyServer(registry, upstream=api.base_url) as proxy:
        auth = {"Authorization": f"Bearer {api.api_key}"}
        got["post"] = requests.post(proxy.base_url + "/v1/log", json=record, headers=auth, timeout=10)
        got["list"] = requests.get(proxy.base_url + "/v1/logs?limit=5&entity=customers", headers=auth, timeout=10)
        got["refused"] = requests.get(proxy.base_url + "/v1/logs?limit=5&entity=customers", timeout=10)
        got["stats"] = requests.get(proxy.base_url + "/apiv3/stats", headers=auth, timeout=10)
        proxy.write_har(str(har))
    return got


@pytest.fixture
def replaying_mock(tmp_path: Path, registry: Registry, record: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    har = tmp_path / "session.har"
    got = _record(registry, har, record)
    proc = subprocess.Popen([sys.executable, "-m", "woowup_contract", "mock", "--port", "0", "--api-key", MOCK_KEY,
                             "--replay", str(har)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        assert "listening on " in first, first + (proc.stderr.read() if proc.stderr else "")
        yield first.split("listening on ", 1)[1].strip(), got
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_replay_serves_the_recorded_bodies_byte_for_byte(replaying_mock: tuple[str, dict]) -> None:
    url, got = replaying_mock
    post = requests.post(url + "/v1/log", data=b"anything: the body is not compared", timeout=10)
    listed = requests.get(url + "/v1/logs?entity=customers&limit=5", timeout=10)  # the query in another order
    stats = requests.get(url + "/apiv3/stats", timeout=10)
    assert (post.status_code, post.content) == (got["post"].status_code, got["post"].content)
    assert (stats.status_code, stats.content) == (got["stats"].status_code, got["stats"].content)
    assert b'"total_revenue": "' in got["list"].content  # the recorded defect is what comes back
    assert (listed.status_code, listed.content) == (got["list"].status_code, got["list"].content)
    assert listed.headers["Content-Type"] == got["list"].headers["Content-Type"]
    assert listed.headers["X-Woowup-Replay"] == "2"
    # the second recording of the same request (without a key: 403), then the last one again
    again = [requests.get(url + "/v1/logs?limit=5&entity=customers", timeout=10) for _ in range(2)]
    assert [(r.status_code, r.content) for r in again] == [(403, got["refused"].content)] * 2


def test_anything_else_goes_to_the_stateful_mock(replaying_mock: tuple[str, dict], record: dict[str, Any]) -> None:
    url, _ = replaying_mock
    refused = requests.get(url + "/v1/logs?limit=6", timeout=10)
    assert refused.status_code == 403 and "X-Woowup-Replay" not in refused.headers
    auth = {"Authorization": f"Bearer {MOCK_KEY}"}
    listed = requests.get(url + "/v1/logs?limit=6", headers=auth, timeout=10)
    assert listed.status_code == 200 and listed.json() == []  # the mock's own, empty, store
    journal = requests.get(url + "/_mock/journal", timeout=10).json()
    assert [(e["path"], e["query"], e["status"]) for e in journal] == [("/v1/logs", "limit=6", 403),
                                                                        ("/v1/logs", "limit=6", 200)]


def test_replay_of_a_file_that_is_not_har_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text("{not json")
    proc = subprocess.run([sys.executable, "-m", "woowup_contract", "mock", "--port", "0", "--replay", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is not a HAR file" in proc.stderr and "Traceback" not in proc.stderr


def test_the_proxys_own_answers_and_failed_exchanges_are_not_replayed(registry: Registry, tmp_path: Path) -> None:
    har = tmp_path / "errors.har"
    raw = registry.get("connectors.log-record").examples[0].raw.encode()
    with MockServer(registry, api_keys=[MOCK_KEY]) as mock, \
            ProxyServer(registry, upstream=mock.base_url, errors=True) as proxy:
        refused = requests.post(proxy.base_url + "/v1/log", data=raw, timeout=10,
                                headers={"Authorization": f"Bearer {MOCK_KEY}", "Content-Type": "application/json"})
        requests.get(proxy.base_url + "/v1/logs", headers={"Authorization": f"Bearer {MOCK_KEY}"}, timeout=10)
        proxy.write_har(str(har))
    assert refused.headers["X-Woowup-Contract-Proxy"] == "answered"
    app = ReplayApp(lambda environ, start_response: [], [e.exchange for e in read_har(str(har)) if e.exchange])
    assert app.recorded == 1  # the GET only


def test_replay_shows_the_wrapped_apps_attributes_and_passes_misses_through() -> None:
    class Inner:
        marker = "inner"

        def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("418 I'm a Teapot", [("Content-Type", "text/plain")])
            return [b"fallback"]

    from woowup_contract.traffic import Exchange

    recorded = Exchange(1, "GET", "http://upstream/v1/logs?b=2&a=1", status=200, reason="OK",
                        response_headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                        response_body=b'[ ]')
    app = ReplayApp(Inner(), [recorded])
    assert app.marker == "inner"
    server = ThreadedServer(app).start()
    try:
        hit = requests.get(server.url() + "/v1/logs?a=1&b=2", timeout=10)
        miss = requests.get(server.url() + "/v1/logs?a=1&b=3", timeout=10)
        repeated = requests.get(server.url() + "/v1/logs?a=1&a=1&b=2", timeout=10)
    finally:
        server.stop()
    assert (hit.status_code, hit.content, hit.headers.get("Content-Encoding")) == (200, b"[ ]", None)
    assert (miss.status_code, miss.content) == (418, b"fallback")
    assert repeated.status_code == 418  # a parameter given twice is another query
    assert json.loads(hit.content) == []
