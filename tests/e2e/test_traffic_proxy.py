"""The validating proxy over real HTTP on 127.0.0.1: in front of the mock and of broken servers.

Each test sends what a connector sends through ``ProxyServer`` and reads what
the proxy said of it: the verdict of each side, and what the upstream saw.
"""

from __future__ import annotations

import gzip
import io
import json
from typing import Any, Iterator

import pytest
import requests
from check_fake_api import FakeApi

from woowup_contract.loader import Registry
from woowup_contract.mock import MockServer
from woowup_contract.traffic import ProxyServer, TrafficViolation
from woowup_contract.traffic.judge import Exchange

KEY = "proxy-test-key-7f3a9c"


@pytest.fixture(scope="module")
def mock(registry: Registry) -> Iterator[MockServer]:
    with MockServer(registry, api_keys=[KEY]) as server:
        yield server


@pytest.fixture
def proxy(registry: Registry, mock: MockServer) -> Iterator[ProxyServer]:
    mock.reset()
    lines: list[str] = []
    with ProxyServer(registry, upstream=mock.base_url, log=lines.append) as server:
        server.lines = lines  # type: ignore[attr-defined]
        yield server


def _rules(server: ProxyServer, side: str) -> list[str]:
    return [v.rule for v in server.violations(side)]


def _auth(scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {KEY}"}


def test_a_valid_post_is_forwarded_unchanged_and_clean(proxy: ProxyServer, mock: MockServer,
                                                        record: dict[str, Any]) -> None:
    answer = requests.post(proxy.base_url + "/v1/log", json=record, headers=_auth(), timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["files"] == record["files"] and "createtime" in answer.json()
    assert [r["files"] for r in mock.records(KEY)] == [record["files"]]  # it reached the mock, with the key
    assert proxy.violations() == []
    assert not proxy.verdicts.failed and proxy.verdicts.exchanges == 1
    proxy.check()
    assert proxy.lines == []  # type: ignore[attr-defined]


def test_the_documented_example_gets_the_upstreams_400_and_a_request_violation(
        proxy: ProxyServer, mock: MockServer, registry: Registry) -> None:
    raw = registry.get("connectors.log-record").examples[0].raw
    answer = requests.post(proxy.base_url + "/v1/log", data=raw.encode(), timeout=10,
                           headers={**_auth(), "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "X-Woowup-Contract-Proxy" not in answer.headers  # the mock answered, not the proxy
    assert answer.json()["code"] == "bad_request"
    request = proxy.violations("request")
    assert {(v.pointer, v.rule) for v in request} == {
        ("/stats/customers/per_branches/0/total_created", "required"),
        ("/stats/customers/per_branches/0/total_updated", "required"),
        ("/stats/customers/per_branches/0/total_failed", "required")}
    assert proxy.violations("response") == []  # a 400 with the error envelope is what the contract says
    results = proxy.results()
    assert [(r.exchange, r.side, r.valid) for r in results] == [(1, "request", False), (1, "response", True)]
    assert proxy.lines and proxy.lines[0].startswith("#1 POST /v1/log 400: request: ")  # type: ignore[attr-defined]
    with pytest.raises(TrafficViolation, match="total_created"):
        proxy.check()


def test_with_errors_the_proxy_answers_400_and_nothing_reaches_the_upstream(
        registry: Registry, mock: MockServer) -> None:
    mock.reset()
    raw = registry.get("connectors.log-record").examples[0].raw
    with ProxyServer(registry, upstream=mock.base_url, errors=True) as proxy:
        answer = requests.post(proxy.base_url + "/v1/log", data=raw.encode(), timeout=10,
                               headers={**_auth(), "Content-Type": "application/json"})
        bad_query = requests.get(proxy.base_url + "/v1/logs?limit=500", headers=_auth(), timeout=10)
        good = requests.get(proxy.base_url + "/v1/logs?limit=5", headers=_auth(), timeout=10)
    assert answer.status_code == 400 and answer.headers["X-Woowup-Contract-Proxy"] == "answered"
    body = answer.json()
    assert body["code"] == "bad_request" and set(body) == {"payload", "message", "code"}  # the mock's envelope
    assert {e["pointer"] for e in body["payload"]["errors"]} >= {"/stats/customers/per_branches/0/total_created"}
    assert "not forwarded" in body["message"]
    assert bad_query.status_code == 400 and "limit must be at most 100" in bad_query.json()["message"]
    assert good.status_code == 200
    assert [(e["method"], e["path"], e["query"]) for e in mock.journal()] == [("GET", "/v1/logs", "limit=5")]
    assert KEY not in answer.text


def test_a_request_judged_before_forwarding_never_waits_for_the_response_side(
        registry: Registry, mock: MockServer) -> None:
    """With --errors the proxy judges a request before forwarding it; that needs only the
    request checkers, so it is answered even while the response side (schemathesis, seconds
    to load on a busy machine) is still being prepared: here it is held busy throughout."""
    mock.reset()
    with ProxyServer(registry, upstream=mock.base_url, errors=True) as proxy:
        response_side = proxy.app.judge._response_lock  # busy: as while schemathesis loads
        with response_side:
            answer = requests.get(proxy.base_url + "/v1/logs?limit=0", headers=_auth(), timeout=10)
    assert answer.status_code == 400 and answer.headers["X-Woowup-Contract-Proxy"] == "answered"
    assert "limit" in answer.json()["message"]
    assert proxy.violations("request") and mock.journal() == []


@pytest.mark.parametrize(("defects", "send", "rule"), [
    pytest.param({"wrong-types"}, ("GET", "/v1/logs"), "response_schema_conformance", id="wrong-types"),
    pytest.param({"crash"}, ("GET", "/v1/logs?limit=80"), "not_a_server_error", id="server-error-500"),
    pytest.param({"no-retry-after"}, ("GET", "/apiv3/stats?branch=Palermo"), "response_headers_conformance",
                 id="429-without-retry-after"),
    pytest.param({"text-content-type"}, ("GET", "/apiv3/stats"), "content_type_conformance", id="text-plain"),
])
def test_a_broken_upstream_answer_is_a_response_violation(registry: Registry, defects: set[str],
                                                          send: tuple[str, str], rule: str) -> None:
    with FakeApi(defects=defects) as api, ProxyServer(registry, upstream=api.base_url) as proxy:
        answer = requests.request(send[0], proxy.base_url + send[1], timeout=10,
                                  headers={"Authorization": f"Bearer {api.api_key}"})
        fake = api.requests[-1]
    assert proxy.violations("request") == []
    assert rule in _rules(proxy, "response"), proxy.report_text()
    assert fake.path + ("?" + fake.query if fake.query else "") == send[1]
    assert fake.headers["Authorization"] == f"Bearer {api.api_key}"  # the connector's own key went upstream
    assert answer.status_code >= 200  # the connector got the upstream's answer, as it was


def test_the_500_is_returned_to_the_connector_byte_for_byte(registry: Registry) -> None:
    with FakeApi(defects={"crash"}) as api, ProxyServer(registry, upstream=api.base_url) as proxy:
        answer = requests.get(proxy.base_url + "/v1/logs?limit=80", timeout=10,
                              headers={"Authorization": f"Bearer {api.api_key}"})
        rules = _rules(proxy, "response")
    assert answer.status_code == 500 and answer.headers["Content-Type"] == "text/html"
    assert answer.content == b"<html><body>Internal Server Error</body></html>"
    # 500 is a documented status (an API v3 error envelope in JSON), so an HTML 500 breaks the content type
    assert {"not_a_server_error", "content_type_conformance"} <= set(rules)


def test_a_server_that_ignores_auth_is_caught_on_a_request_without_a_key(registry: Registry) -> None:
    with FakeApi(defects={"ignore-auth"}) as api, ProxyServer(registry, upstream=api.base_url) as proxy:
        answer = requests.get(proxy.base_url + "/v1/logs", timeout=10)
    assert answer.status_code == 200
    assert _rules(proxy, "request") == ["auth"]
    assert "auth_enforced" in _rules(proxy, "response")


def test_a_conforming_server_refusing_a_missing_key_is_clean_on_the_response_side(registry: Registry) -> None:
    with FakeApi() as api, ProxyServer(registry, upstream=api.base_url) as proxy:
        answer = requests.get(proxy.base_url + "/v1/logs", timeout=10)
    assert answer.status_code == 403
    assert _rules(proxy, "request") == ["auth"] and _rules(proxy, "response") == []


def test_an_upstream_accepting_an_invalid_record_is_caught(registry: Registry, record: dict[str, Any]) -> None:
    bad = {**record, "files": "not-a-list"}
    with FakeApi(defects={"accept-invalid"}) as api, ProxyServer(registry, upstream=api.base_url) as proxy:
        answer = requests.post(proxy.base_url + "/v1/log", json=bad, timeout=10,
                               headers={"Authorization": f"Bearer {api.api_key}"})
    assert answer.status_code == 200
    assert ("/files", "type") in {(v.pointer, v.rule) for v in proxy.violations("request")}
    assert "negative_data_rejection" in _rules(proxy, "response")


def test_apiv3_goes_to_its_own_upstream(registry: Registry, mock: MockServer) -> None:
    mock.reset()
    with FakeApi() as api, ProxyServer(registry, upstream=api.base_url, apiv3_upstream=mock.base_url) as proxy:
        stats = requests.get(proxy.base_url + "/apiv3/stats", headers=_auth("Basic"), timeout=10)
        logs = requests.get(proxy.base_url + "/v1/logs", headers={"Authorization": f"Bearer {api.api_key}"},
                            timeout=10)
    assert stats.status_code == 200 and logs.status_code == 200
    assert [e["path"] for e in mock.journal()] == ["/apiv3/stats"]
    assert [r.path for r in api.requests] == ["/v1/logs"]
    assert proxy.violations() == []


def test_an_unknown_path_and_a_wrong_method_are_request_violations(proxy: ProxyServer) -> None:
    unknown = requests.get(proxy.base_url + "/v2/nothing", headers=_auth(), timeout=10)
    wrong = requests.delete(proxy.base_url + "/v1/logs", headers=_auth(), timeout=10)
    assert unknown.status_code == 404 and wrong.status_code == 405  # the mock's answers, passed on
    assert _rules(proxy, "request") == ["path", "method"]


def test_verdicts_and_exchanges_come_back_in_arrival_order_whatever_order_they_were_judged(
        proxy: ProxyServer) -> None:
    """An exchange is queued for judging once its answer is sent, so on a busy proxy the next
    exchange can be queued first: what the proxy gives back is still in the order requests came."""
    proxy.clear()
    first = Exchange(10_001, "GET", proxy.app.upstream + "/v2/first", status=404)
    second = Exchange(10_002, "DELETE", proxy.app.upstream + "/v1/logs", status=405)
    for exchange in (second, first):  # judged the wrong way round
        proxy.app._begin()
        proxy.app._finish(exchange, None)
    assert [e.seq for e in proxy.exchanges] == [10_001, 10_002]
    assert [r.exchange for r in proxy.results()] == sorted(r.exchange for r in proxy.results())
    assert _rules(proxy, "request") == ["path", "method"]


def test_a_body_over_max_body_is_refused_by_the_proxy_and_not_forwarded(registry: Registry,
                                                                         mock: MockServer) -> None:
    mock.reset()
    with ProxyServer(registry, upstream=mock.base_url, max_body=1000) as proxy:
        answer = requests.post(proxy.base_url + "/v1/log", data=b"{" + b" " * 5000 + b"}", timeout=10,
                               headers={**_auth(), "Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
    assert mock.journal() == []
    assert _rules(proxy, "request") == ["max-body"]


def test_an_answer_over_max_body_becomes_a_502_with_a_violation(registry: Registry, mock: MockServer,
                                                                record: dict[str, Any]) -> None:
    mock.reset()
    limit = len(json.dumps(record)) + 200  # one record goes up; the list of three does not come back
    with ProxyServer(registry, upstream=mock.base_url, max_body=limit) as proxy:
        for _ in range(3):
            requests.post(proxy.base_url + "/v1/log", json=record, headers=_auth(), timeout=10)
        proxy.clear()
        answer = requests.get(proxy.base_url + "/v1/logs", headers=_auth(), timeout=10)
    assert answer.status_code == 502 and "max-body" in answer.json()["message"]
    assert _rules(proxy, "response") == ["max-body"]


def test_an_unreachable_upstream_mid_run_is_a_502_and_a_response_violation(registry: Registry) -> None:
    with FakeApi(defects={"hang-up"}) as api, ProxyServer(registry, upstream=api.base_url) as proxy:
        answer = requests.get(proxy.base_url + "/v1/logs?entity=customers", timeout=10,
                              headers={"Authorization": f"Bearer {api.api_key}"})
    assert answer.status_code == 502 and answer.json()["code"] == "bad_gateway"
    assert _rules(proxy, "response") == ["not_a_server_error"]


def test_a_gzip_answer_is_passed_on_compressed_and_judged_decompressed(registry: Registry) -> None:
    """The connector gets the upstream's bytes; the judge reads the JSON inside them."""
    from woowup_contract.traffic.serve import ThreadedServer

    body = gzip.compress(json.dumps([{"files": "wrong"}]).encode())

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Encoding", "gzip"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    upstream = ThreadedServer(app).start()
    try:
        with ProxyServer(registry, upstream=upstream.url()) as proxy:
            raw = requests.get(proxy.base_url + "/v1/logs", headers=_auth(), timeout=10, stream=True)
            sent = raw.raw.read(decode_content=False)
            rules = _rules(proxy, "response")
    finally:
        upstream.stop()
    assert sent == body
    assert "response_schema_conformance" in rules


def test_the_key_is_absent_from_report_log_and_har_even_when_the_upstream_echoes_it(
        registry: Registry, tmp_path: Any) -> None:
    with FakeApi(defects={"echo-key", "wrong-types"}) as api:
        lines: list[str] = []
        with ProxyServer(registry, upstream=api.base_url, log=lines.append) as proxy:
            requests.get(proxy.base_url + "/v1/logs", timeout=10, headers={"Authorization": f"Bearer {api.api_key}"})
            requests.get(proxy.base_url + "/v1/logs", timeout=10, headers={"Authorization": "Bearer wrong-key-abc"})
            reports = []
            for fmt in ("text", "json", "junit", "github"):
                out = io.StringIO()
                proxy.write_report(fmt, out)
                reports.append(out.getvalue())  # masked by the proxy itself
            proxy.write_har(str(tmp_path / "run.har"))
        har = (tmp_path / "run.har").read_text()
    assert lines and any("response_schema_conformance" in line for line in lines)
    for text in (*reports, *lines, har):
        assert api.api_key not in text and "wrong-key-abc" not in text
    assert '"Bearer ***"' in har
    assert "X-Seen-Authorization" in har  # the echoing header is recorded, its value masked


def test_hostile_requests_get_clear_answers_and_clean_log_lines(proxy: ProxyServer) -> None:
    import socket
    from urllib.parse import urlsplit

    nested = b'{"files": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    deep = requests.post(proxy.base_url + "/v1/log", data=nested, timeout=30,
                         headers={**_auth(), "Content-Type": "application/json"})
    binary = requests.post(proxy.base_url + "/v1/log", data=bytes(range(256)) * 4, timeout=10,
                           headers={**_auth(), "Content-Type": "application/json"})
    forged = requests.get(proxy.base_url + "/v1/logs%0a2026-01-01%20forged%1b[31m", headers=_auth(), timeout=10)
    huge = requests.get(proxy.base_url + "/v1/logs", timeout=10, headers={**_auth(), "X-Big": "a" * 100_000})
    parts = urlsplit(proxy.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        garbage = raw.recv(200)
    assert deep.status_code == 400 and binary.status_code == 400  # the mock's answers, passed on
    assert forged.status_code == 404 and huge.status_code in (413, 431)
    assert garbage.startswith(b"HTTP/1.1 400")
    rules = _rules(proxy, "request")
    assert rules.count("parse") == 2 and "path" in rules
    for line in proxy.lines:  # type: ignore[attr-defined]
        assert "\n" not in line and "\x1b" not in line
    assert any("forged" in line for line in proxy.lines)  # type: ignore[attr-defined]
    proxy.check_errors()


@pytest.mark.parametrize("framing", [
    pytest.param(b"Transfer-Encoding: chunked\r\n\r\n-1\r\n", id="chunk-size-minus-one"),
    pytest.param(b"Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n", id="chunk-size-plus"),
    pytest.param(b"Transfer-Encoding: \x0bchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", id="control-in-header"),
])
def test_the_proxy_refuses_the_framing_the_mock_refuses_and_forwards_nothing(
        proxy: ProxyServer, mock: MockServer, framing: bytes) -> None:
    """The proxy is served by the mock's strict HTTP layer: a body framed two ways never reaches the upstream."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(proxy.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(b"POST /v1/log HTTP/1.1\r\nHost: " + parts.netloc.encode() + b"\r\nAuthorization: Bearer "
                    + KEY.encode() + b"\r\nContent-Type: application/json\r\n" + framing)
        answer = raw.recv(400)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert mock.journal() == []
    assert [v.rule for v in proxy.violations("request")] in ([], ["body"])  # a head refused outright, or a body
