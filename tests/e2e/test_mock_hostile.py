"""Hostile input over real HTTP and raw sockets: huge, deep, binary, badly encoded bodies,
wrong content types, odd queries, malformed requests and header tricks. Every one gets a
clear JSON answer and the mock keeps serving; nothing goes wrong inside it."""

from __future__ import annotations

import http.client
import json
import random
import socket
from typing import Any, Iterator

import pytest
import requests

from woowup_contract.loader import load_registry
from woowup_contract.mock.server import MockServer

KEY = "hostile-key-123"
REGISTRY = load_registry()
RECORD = {"files": ["a.csv"], "processingtime": "2026-11-20T03:15:00Z",
          "stats": {"products": {"total_created": 1, "total_updated": 0, "total_failed": 0}}}
RECORD_BYTES = json.dumps(RECORD).encode()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(REGISTRY, api_keys=[KEY]) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mock: MockServer) -> Iterator[None]:
    mock.reset()
    yield
    mock.check_errors()  # hostile input never turns into an error inside the mock
    # and it still answers a plain request
    response = requests.get(mock.base_url + "/v1/logs", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert response.status_code == 200


def post_bytes(mock: MockServer, data: Any, content_type: str = "application/json") -> requests.Response:
    return requests.post(mock.base_url + "/v1/log", data=data, timeout=30,
                         headers={"Authorization": f"Bearer {KEY}", "Content-Type": content_type})


def raw(mock: MockServer, data: bytes, method: str = "GET", *, sock: socket.socket | None = None
        ) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; parse the answer (status, headers, body)."""
    own = sock is None
    s = sock or socket.create_connection(("127.0.0.1", mock.port), timeout=10)
    try:
        if data:
            s.sendall(data)
        response = http.client.HTTPResponse(s, method=method)
        response.begin()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        if own:
            s.close()


def request_head(path: str = "/v1/logs", method: str = "GET", extra: str = "") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n{extra}"
            "Connection: close\r\n\r\n").encode("latin-1")


def json_error(body: bytes) -> dict[str, Any]:
    doc = json.loads(body)
    assert set(doc) == {"payload", "message", "code"}, doc
    return doc


# -- bodies ---------------------------------------------------------------------------------


def test_a_huge_body_is_413_and_the_client_sees_it(mock: MockServer) -> None:
    response = post_bytes(mock, b" " * (5 * 1024 * 1024))
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    assert mock.records() == []


def test_a_huge_declared_length_is_refused_without_waiting_for_the_body(mock: MockServer) -> None:
    head = (f"POST /v1/log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 ** 12}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        s.sendall(head + b'{"files": [')  # a terabyte announced, a few bytes sent: answered at once
        s.shutdown(socket.SHUT_WR)
        status, headers, body = raw(mock, b"", "POST", sock=s)
    assert status == 413 and headers["connection"] == "close"
    assert json_error(body)["code"] == "payload_too_large"


def test_expect_100_continue_gets_413_before_sending_the_body(mock: MockServer) -> None:
    head = (f"POST /v1/log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n").encode()
    status, headers, body = raw(mock, head, "POST")
    assert status == 413 and headers["connection"] == "close"


def test_expect_100_continue_then_the_body_is_stored(mock: MockServer) -> None:
    head = (f"POST /v1/log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(RECORD_BYTES)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        s.sendall(head)
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        status, _, body = raw(mock, RECORD_BYTES, "POST", sock=s)
    assert status == 200 and json.loads(body)["files"] == ["a.csv"]


def test_deep_nesting_is_400_not_a_crash(mock: MockServer) -> None:
    response = post_bytes(mock, b"[" * 500_000 + b"]" * 500_000)
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert "too deep" in response.json()["message"]


def test_deep_nesting_inside_an_otherwise_valid_record_is_handled(mock: MockServer) -> None:
    depth = 900
    doc = json.loads(RECORD_BYTES)
    text = json.dumps(doc)[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
    response = post_bytes(mock, text.encode())
    assert response.status_code in (200, 400), response.text
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("data, phrase", [
    (random.Random(16).randbytes(2048) + b"\x00", "binary"),  # seeded: the same test id on every run
    (b'{"files": ["caf\xe9.csv"]}', "not UTF-8"),
    (b"\xef\xbb\xbf" + RECORD_BYTES, "byte order mark"),
    (b'{"files": [], "processingtime": NaN}', "NaN"),
    (b"\x00\x00\x00", "invalid JSON"),  # NUL is valid UTF-8, and not JSON
    (b'"just a string"', "breaks"),
    (b"null", "breaks"),
    (b'{"a": 1} {"b": 2}', "Extra data"),
])
def test_binary_and_badly_encoded_bodies_are_400(mock: MockServer, data: bytes, phrase: str) -> None:
    response = post_bytes(mock, data)
    assert response.status_code == 400, response.text
    assert phrase in response.json()["message"]
    assert mock.records() == []


def test_a_record_with_lone_surrogates_is_stored_and_read_back(mock: MockServer) -> None:
    text = RECORD_BYTES.replace(b'"a.csv"', b'"\\ud800.csv"')
    response = post_bytes(mock, text)
    assert response.status_code == 200, response.text
    assert mock.records()[0]["files"] == ["\ud800.csv"]


def test_a_chunked_body_is_accepted(mock: MockServer) -> None:
    def pieces() -> Iterator[bytes]:
        yield RECORD_BYTES[:10]
        yield RECORD_BYTES[10:]

    response = post_bytes(mock, pieces())
    assert response.status_code == 200, response.text
    assert len(mock.records()) == 1


def test_a_chunked_body_over_the_limit_is_413() -> None:
    with MockServer(REGISTRY, api_keys=[KEY], max_body=1000) as small:
        response = post_bytes(small, iter([b" " * 600, b" " * 600]))
        assert response.status_code == 413


@pytest.mark.parametrize("chunks", [b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nab", b"3\r\nabcXY0\r\n\r\n"])
def test_a_broken_chunked_body_is_400(mock: MockServer, chunks: bytes) -> None:
    head = (f"POST /v1/log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        s.sendall(head + chunks)
        s.shutdown(socket.SHUT_WR)
        status, headers, body = raw(mock, b"", "POST", sock=s)
    assert status == 400 and headers["connection"] == "close"
    assert json_error(body)["code"] == "bad_request"


@pytest.mark.parametrize("content_type", ["text/plain", "application/javascript", "image/png", "json",
                                          "application/json-patch", "*/*", "application/json, text/plain"])
def test_wrong_content_types_are_415(mock: MockServer, content_type: str) -> None:
    response = post_bytes(mock, RECORD_BYTES, content_type)
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


# -- queries ----------------------------------------------------------------------------------


def test_unknown_parameters_are_ignored_like_a_real_api(mock: MockServer) -> None:
    response = requests.get(mock.base_url + "/v1/logs?foo=bar&limit=5&%00=%ff&<script>=1&sort=desc",
                            headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert response.status_code == 200 and response.json() == []


def test_too_many_query_parameters_are_400(mock: MockServer) -> None:
    query = "&".join(f"p{i}=1" for i in range(1000))
    response = requests.get(mock.base_url + "/v1/logs?" + query, headers={"Authorization": f"Bearer {KEY}"},
                            timeout=10)
    assert response.status_code == 400 and "too many" in response.json()["message"]


@pytest.mark.parametrize("query", ["limit=%ff", "entity=customers%00", "from=2026-01-01%0d%0a", "page=%EF%BC%91",
                                   "limit=１０", "page=" + "9" * 4400, "limit=" + "1" * 5000])
def test_hostile_parameter_values_are_400_or_harmless(mock: MockServer, query: str) -> None:
    response = requests.get(mock.base_url + "/v1/logs?" + query, headers={"Authorization": f"Bearer {KEY}"},
                            timeout=10)
    assert response.status_code in (200, 400)
    assert response.headers["Content-Type"] == "application/json"
    if response.status_code == 400:
        assert response.json()["payload"]["errors"][0]["parameter"] in ("limit", "page", "entity", "from")


# -- the request head ----------------------------------------------------------------------------


@pytest.mark.parametrize("data, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /v1/logs\r\n\r\n", 400),
    (b"GET /v1/logs HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"G@T /v1/logs HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET v1/logs HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET /v1/logs HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(200)) + b"\r\n", 431),
    (b"GET /v1/logs HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    (b"GET /v1/logs HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    (b"GET /v1/logs HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
    (b"GET /v1/logs HTTP/1.1\r\nNoColon\r\n\r\n", 400),
    (b"GET /v1/logs HTTP/1.1\r\nX-Nul: a\x00b\r\n\r\n", 400),
    (b"POST /v1/log HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    (b"POST /v1/log HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST /v1/log HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"POST /v1/log HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400),
    (b"POST /v1/log HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
])
def test_malformed_requests_get_a_json_error_and_a_closed_connection(mock: MockServer, data: bytes,
                                                                     status: int) -> None:
    got, headers, body = raw(mock, data)
    assert got == status, body
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    json_error(body)


def test_a_request_head_cut_short_is_dropped_quietly(mock: MockServer) -> None:
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        s.sendall(b"GET /v1/logs HTTP/1.1\r\nHost: x\r\n")
        s.shutdown(socket.SHUT_WR)
        assert s.recv(4096).startswith(b"HTTP/1.1 400")


def test_keep_alive_serves_several_requests_on_one_connection(mock: MockServer) -> None:
    one = (f"GET /v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        for _ in range(3):
            status, headers, body = raw(mock, one, sock=s)
            assert status == 200 and headers.get("connection", "keep-alive") == "keep-alive" and body == b"[]"
        # an HTTP/1.0 client without keep-alive gets the connection closed
        status, headers, _ = raw(mock, one.replace(b"HTTP/1.1", b"HTTP/1.0"), sock=s)
        assert status == 200 and s.recv(1) == b""


def test_an_unread_body_is_skipped_before_the_next_request(mock: MockServer) -> None:
    wrong_type = (f"POST /v1/log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: text/plain\r\n"
                  f"Content-Length: {len(RECORD_BYTES)}\r\n\r\n").encode() + RECORD_BYTES
    follow = (f"GET /v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        assert raw(mock, wrong_type, "POST", sock=s)[0] == 415
        assert raw(mock, follow, sock=s)[0] == 200


def test_a_path_cannot_inject_headers_into_the_answer(mock: MockServer) -> None:
    status, headers, body = raw(mock, request_head("/x%0d%0aSet-Cookie:%20evil=1%0d%0a"))
    assert status == 404 and "set-cookie" not in headers
    assert "Set-Cookie" in json.loads(body)["message"]  # named in the JSON text, escaped, harmless


def test_a_header_value_cannot_inject_headers_into_the_answer(mock: MockServer) -> None:
    status, headers, _ = raw(mock, request_head(extra="X-Mock-Fault: 503%0d%0aSet-Cookie: evil=1\r\n"))
    assert status == 400 and "set-cookie" not in headers


def test_an_absolute_form_target_is_served_by_its_path(mock: MockServer) -> None:
    status, _, body = raw(mock, request_head("http://connectors.woowup.com/v1/logs?limit=1"))
    assert status == 200 and body == b"[]"


def test_dot_segments_are_not_resolved(mock: MockServer) -> None:
    assert raw(mock, request_head("/v1/../v1/logs"))[0] == 404


@pytest.mark.parametrize("value", ["Bearer " + "k" * 60_000, "Bearer \xe9\xe8", "Bearer " + KEY + "\t",
                                   "\tBearer " + KEY, "Bearer\t" + KEY])
def test_odd_authorization_values_never_crash(mock: MockServer, value: str) -> None:
    status, _, body = raw(mock, request_head(extra=f"Authorization: {value}\r\n"))
    assert status in (200, 400, 403, 431)
    json.loads(body)
    assert KEY.encode() not in body


def test_headers_with_underscores_cannot_pose_as_authorization(mock: MockServer) -> None:
    data = (b"GET /v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization_: Bearer " + KEY.encode()
            + b"\r\nConnection: close\r\n\r\n")
    assert raw(mock, data)[0] == 403


def test_a_client_that_vanishes_mid_body_is_not_an_error(mock: MockServer) -> None:
    head = (f"POST /v1/log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        s.sendall(head + b'{"files": ')
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
        s.sendall(head + b'{"files": ')
        s.shutdown(socket.SHUT_WR)
        status, _, body = raw(mock, b"", "POST", sock=s)
    assert status == 400 and json.loads(body)["code"] == "bad_request"
    assert mock.records() == []
