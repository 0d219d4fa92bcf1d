"""The mock's endpoints over real HTTP on 127.0.0.1: auth, POST /v1/log, GET /v1/logs,
GET /apiv3/stats, 404/405, tenant isolation, and the Python API around them."""

from __future__ import annotations

import base64
import json
import socket
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
import requests

from woowup_contract.checker import Checker
from woowup_contract.loader import load_registry
from woowup_contract.mock.server import MockServer

KEY_A = "key-alpha-0123456789"
KEY_B = "key-alpha-0123456789b"  # the first key is a prefix of this one: still another account
REGISTRY = load_registry()


def record(n: int = 0, *, processingtime: str = "2026-11-20T03:15:00-03:00", branch: str = "Centro",
           entities: tuple[str, ...] = ("customers", "purchases")) -> dict[str, Any]:
    """A valid record; ``n`` goes into the file name and the figures so each one is recognisable."""
    stats: dict[str, Any] = {}
    if "customers" in entities:
        stats["customers"] = {"total_created": n, "total_updated": 1, "total_failed": 0,
                              "per_branches": [{"branch": branch, "total_created": n, "total_updated": 1,
                                                "total_failed": 0}]}
    if "purchases" in entities:
        stats["purchases"] = {"total_created": 2 * n, "total_updated": 0, "total_failed": 0,
                              "total_revenue": 1000 * n, "total_invoice_items": 3 * n,
                              "per_branches": [{"branch": branch, "total_created": 2 * n, "total_updated": 0,
                                                "total_failed": 0, "total_revenue": 1000 * n,
                                                "total_invoice_items": 3 * n}]}
    if "products" in entities:
        stats["products"] = {"total_created": n, "total_updated": 0, "total_failed": 0}
    if "branches" in entities:
        stats["branches"] = {"total_created": 1, "total_updated": 0}
    return {"files": [f"run-{n}.csv"], "processingtime": processingtime, "stats": stats}


def bearer(key: str = KEY_A) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post(mock: MockServer, body: Any, key: str = KEY_A, **headers: str) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(mock.base_url + "/v1/log", data=data,
                         headers={"Content-Type": "application/json", **bearer(key), **headers}, timeout=10)


def logs(mock: MockServer, key: str = KEY_A, **params: Any) -> requests.Response:
    return requests.get(mock.base_url + "/v1/logs", params=params, headers=bearer(key), timeout=10)


def stats(mock: MockServer, key: str = KEY_A, **params: Any) -> requests.Response:
    return requests.get(mock.base_url + "/apiv3/stats", params=params,
                        headers={"Authorization": f"Basic {key}"}, timeout=10)


def assert_envelope(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    result = Checker(REGISTRY, "apiv3.error").check_document(body)
    assert result.valid, result.to_dict()
    assert body["code"] == code, body
    return body


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(REGISTRY, api_keys=[KEY_A, KEY_B]) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mock: MockServer) -> Iterator[None]:
    mock.reset()
    mock.clear_faults()
    yield
    mock.check_errors()  # nothing went wrong inside the server during the test


# -- auth ---------------------------------------------------------------------------------


def test_a_request_without_a_key_is_refused_with_the_api_v3_envelope(mock: MockServer) -> None:
    response = requests.post(mock.base_url + "/v1/log", json=record(), timeout=10)
    body = assert_envelope(response, 403, "forbidden")
    assert body["payload"] == []
    assert "Bearer" in body["message"]
    assert mock.records() == []


@pytest.mark.parametrize("header", [f"Bearer {KEY_A}x", f"Bearer {KEY_A[:-1]}", "Bearer", "Bearer ",
                                    f"Token {KEY_A}", f"Basic {KEY_A}", KEY_A, f"Bearer  {KEY_A} extra"])
def test_an_unknown_key_or_wrong_scheme_on_a_connectors_path_is_403_and_never_echoed(
        mock: MockServer, header: str) -> None:
    response = requests.get(mock.base_url + "/v1/logs", headers={"Authorization": header}, timeout=10)
    assert_envelope(response, 403, "forbidden")
    assert KEY_A not in response.text


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_name_is_case_insensitive(mock: MockServer, scheme: str) -> None:
    response = requests.get(mock.base_url + "/v1/logs", headers={"Authorization": f"{scheme} {KEY_A}"}, timeout=10)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("header", [f"Basic {KEY_A}", f"basic {KEY_A}", f"BASIC {KEY_A}", f"Bearer {KEY_A}",
                                    f"bearer {KEY_A}"])
def test_apiv3_takes_basic_with_the_raw_key_and_bearer(mock: MockServer, header: str) -> None:
    response = requests.get(mock.base_url + "/apiv3/stats", headers={"Authorization": header}, timeout=10)
    assert response.status_code == 200, response.text


def test_apiv3_refuses_basic_with_base64_user_password(mock: MockServer) -> None:
    encoded = base64.b64encode(f"{KEY_A}:".encode()).decode()
    response = requests.get(mock.base_url + "/apiv3/stats", headers={"Authorization": f"Basic {encoded}"},
                            timeout=10)
    assert_envelope(response, 403, "forbidden")
    response = requests.get(mock.base_url + "/apiv3/stats", auth=(KEY_A, ""), timeout=10)
    assert_envelope(response, 403, "forbidden")
    assert_envelope(requests.get(mock.base_url + "/apiv3/stats", timeout=10), 403, "forbidden")


def test_keys_are_compared_with_hmac_compare_digest_against_every_key(mock: MockServer,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import woowup_contract.mock.app as app_module

    calls: list[tuple[bytes, bytes]] = []
    real = app_module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(app_module.hmac, "compare_digest", spy)
    assert logs(mock, KEY_A).status_code == 200
    # the first key matched, and the second was compared all the same (no early exit)
    assert [b for _, b in calls] == [KEY_A.encode(), KEY_B.encode()]


def test_each_key_is_its_own_account(mock: MockServer) -> None:
    for n in (1, 2, 3):
        assert post(mock, record(n), KEY_A).status_code == 200
    for n in (10, 20):
        assert post(mock, record(n, branch="Norte"), KEY_B).status_code == 200
    a, b = logs(mock, KEY_A).json(), logs(mock, KEY_B).json()
    assert [r["files"] for r in a] == [["run-3.csv"], ["run-2.csv"], ["run-1.csv"]]
    assert [r["files"] for r in b] == [["run-20.csv"], ["run-10.csv"]]
    sa, sb = stats(mock, KEY_A).json(), stats(mock, KEY_B).json()
    assert sa["total_customers"] == 6 and [p["branch"] for p in sa["per_branches"]] == ["Centro"]
    assert sb["total_customers"] == 30 and [p["branch"] for p in sb["per_branches"]] == ["Norte"]
    assert [r["files"][0] for r in mock.records(KEY_B)] == ["run-20.csv", "run-10.csv"]
    assert len(mock.records()) == 3  # the first key's account by default


# -- POST /v1/log --------------------------------------------------------------------------


def test_a_valid_record_is_stored_and_returned_with_a_utc_createtime(mock: MockServer) -> None:
    sent = record(7)
    response = post(mock, sent)
    assert response.status_code == 200, response.text
    stored = response.json()
    createtime = stored.pop("createtime")
    assert stored == sent
    parsed = datetime.fromisoformat(createtime)
    assert parsed.utcoffset() == timedelta(0)
    assert createtime.endswith("+00:00") and len(createtime) == len("2019-03-12T12:30:00+00:00")
    result = Checker(REGISTRY, "connectors.log-record").check_document(response.json())
    assert result.valid, result.to_dict()
    assert mock.records() == [response.json()]


def test_createtime_is_set_by_the_server_even_when_the_client_sends_one(mock: MockServer) -> None:
    sent = {**record(1), "createtime": "1999-01-01T00:00:00+00:00"}
    stored = post(mock, sent).json()
    assert stored["createtime"] != "1999-01-01T00:00:00+00:00"
    assert stored["createtime"][:4] >= "2024"


def test_an_invalid_record_is_400_with_the_checkers_violations(mock: MockServer) -> None:
    documented = REGISTRY.get("connectors.log-record").examples[1].raw  # the docs' request body example
    response = post(mock, documented)
    body = assert_envelope(response, 400, "bad_request")
    errors = body["payload"]["errors"]
    assert [(e["pointer"], e["rule"]) for e in errors] == [
        ("/stats/customers/per_branches/0/total_created", "required"),
        ("/stats/customers/per_branches/0/total_updated", "required"),
        ("/stats/customers/per_branches/0/total_failed", "required"),
    ]
    assert errors[0]["hint"].startswith("rename created to total_created")
    assert errors[0]["severity"] == "error" and (errors[0]["line"], errors[0]["column"]) == (10, 5)
    assert "3 errors" in body["message"]
    assert mock.records() == []
    entry = mock.journal()[-1]
    assert entry["valid"] is False and entry["status"] == 400
    assert {"pointer": "/stats/customers/per_branches/0/total_created", "rule": "required",
            "severity": "error"} in entry["violations"]


def test_a_fractional_revenue_is_rejected_with_the_whole_units_hint(mock: MockServer) -> None:
    body = record(1)
    body["stats"]["purchases"]["total_revenue"] = 12345.67
    errors = assert_envelope(post(mock, body), 400, "bad_request")["payload"]["errors"]
    assert errors[0]["pointer"] == "/stats/purchases/total_revenue" and errors[0]["rule"] == "type"
    assert "whole units" in errors[0]["hint"]


def test_malformed_json_is_400_with_line_and_column(mock: MockServer) -> None:
    text = '{\n  "files": ["a.csv"],\n  "processingtime": "x" \n  "stats": {}\n}'
    body = assert_envelope(post(mock, text), 400, "bad_request")
    error = body["payload"]["errors"][0]
    assert error["rule"] == "parse" and (error["line"], error["column"]) == (4, 3)
    assert "line 4, column 3" in body["message"]


def test_a_trailing_comma_is_named(mock: MockServer) -> None:
    body = assert_envelope(post(mock, '{"files": [],}'), 400, "bad_request")
    assert "trailing comma" in body["message"]


def test_an_empty_body_is_400(mock: MockServer) -> None:
    body = assert_envelope(post(mock, b""), 400, "bad_request")
    assert "empty" in body["message"]


def test_a_body_over_the_limit_is_413(mock: MockServer) -> None:
    with MockServer(REGISTRY, api_keys=[KEY_A], max_body=2048) as small:
        big = record(1)
        big["files"] = [f"file-{i:05d}.csv" for i in range(200)]
        assert len(json.dumps(big)) > 2048
        body = assert_envelope(post(small, big), 413, "payload_too_large")
        assert "2048" in body["message"]
        assert post(small, record(2)).status_code == 200  # the server carries on
        assert [r["files"] for r in small.records()] == [["run-2.csv"]]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/json; charset=latin-1", "application/xml", ""])
def test_a_non_json_content_type_is_415(mock: MockServer, content_type: str) -> None:
    response = requests.post(mock.base_url + "/v1/log", data=json.dumps(record()),
                             headers={**bearer(), "Content-Type": content_type}, timeout=10)
    assert_envelope(response, 415, "unsupported_media_type")
    assert mock.records() == []


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "APPLICATION/JSON;charset=UTF-8", "application/vnd.woowup+json"])
def test_json_content_types_are_accepted(mock: MockServer, content_type: str) -> None:
    assert post(mock, record(), **{"Content-Type": content_type}).status_code == 200


def test_a_valid_record_with_strict_warnings_is_stored_and_the_journal_keeps_the_warnings(mock: MockServer) -> None:
    response = post(mock, record(1, processingtime="yesterday"))
    assert response.status_code == 200
    entry = mock.journal()[-1]
    assert entry["valid"] is True
    assert {"pointer": "/processingtime", "rule": "processingtime-iso8601", "severity": "warning"} \
        in entry["violations"]


# -- GET /v1/logs ---------------------------------------------------------------------------


def test_logs_default_to_page_0_of_25_newest_first_as_a_bare_array(mock: MockServer) -> None:
    for n in range(30):
        assert post(mock, record(n)).status_code == 200
    body = logs(mock).json()
    assert isinstance(body, list)
    assert [r["files"][0] for r in body] == [f"run-{n}.csv" for n in range(29, 4, -1)]
    assert [r["files"][0] for r in logs(mock, page=1).json()] == [f"run-{n}.csv" for n in range(4, -1, -1)]
    assert logs(mock, page=2).json() == []
    result = Checker(REGISTRY, "connectors.list-logs").check_document(body)
    assert result.valid, result.to_dict()


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_walking_the_pages_returns_every_record_exactly_once(mock: MockServer, limit: int) -> None:
    total = 53
    for n in range(total):
        assert post(mock, record(n)).status_code == 200
    seen: list[str] = []
    page = 0
    while True:
        chunk = logs(mock, page=page, limit=limit).json()
        assert len(chunk) <= limit
        if not chunk:
            break
        seen += [r["files"][0] for r in chunk]
        page += 1
    assert seen == [f"run-{n}.csv" for n in range(total - 1, -1, -1)]
    assert page == -(-total // limit)


def test_records_with_the_same_createtime_keep_a_stable_order(mock: MockServer) -> None:
    for n in range(12):  # posted within the same second: createtime alone cannot order them
        post(mock, record(n))
    first = [r["files"][0] for r in logs(mock, limit=100).json()]
    again = [r["files"][0] for p in range(4) for r in logs(mock, page=p, limit=3).json()]
    assert first == again == [f"run-{n}.csv" for n in range(11, -1, -1)]


@pytest.mark.parametrize("entity, expected", [
    ("customers", ["run-3.csv", "run-1.csv"]),
    ("purchases", ["run-1.csv"]),
    ("products", ["run-3.csv", "run-2.csv"]),
    ("branches", ["run-2.csv"]),
])
def test_entity_keeps_records_whose_stats_have_it(mock: MockServer, entity: str, expected: list[str]) -> None:
    post(mock, record(1, entities=("customers", "purchases")))
    post(mock, record(2, entities=("products", "branches")))
    post(mock, record(3, entities=("customers", "products")))
    assert [r["files"][0] for r in logs(mock, entity=entity).json()] == expected


def test_from_and_to_are_inclusive_on_the_date_of_processingtime(mock: MockServer) -> None:
    times = {1: "2026-01-09T23:59:59Z", 2: "2026-01-10T00:00:00Z", 3: "2026-01-10T23:30:00-03:00",
             4: "2026-01-11T08:00:00+05:00", 5: "2026-01-12T00:00:00Z", 6: "not a date-time",
             7: "2026-01-10"}
    for n, when in times.items():
        assert post(mock, record(n, processingtime=when)).status_code == 200

    def files(**params: Any) -> list[str]:
        response = logs(mock, **params)
        assert response.status_code == 200, response.text
        return [r["files"][0] for r in response.json()]

    # the date as written, in the record's own offset (3 is 2026-01-11 in UTC, but 2026-01-10 as written)
    assert files(**{"from": "2026-01-10", "to": "2026-01-10"}) == ["run-3.csv", "run-2.csv"]
    assert files(**{"from": "2026-01-10", "to": "2026-01-11"}) == ["run-4.csv", "run-3.csv", "run-2.csv"]
    assert files(**{"from": "2026-01-11"}) == ["run-5.csv", "run-4.csv"]
    assert files(to="2026-01-09") == ["run-1.csv"]
    assert files(**{"from": "2026-01-12", "to": "2026-01-01"}) == []
    # a processingtime that is not a date-time matches no date filter, but is listed without one
    assert "run-6.csv" in files() and "run-7.csv" in files()


@pytest.mark.parametrize("params, name", [
    ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "abc"}, "limit"), ({"limit": ""}, "limit"),
    ({"limit": "2.5"}, "limit"), ({"limit": "+5"}, "limit"), ({"limit": " 5"}, "limit"),
    ({"page": "-1"}, "page"), ({"page": "1.0"}, "page"), ({"page": "x"}, "page"), ({"page": "1e3"}, "page"),
    ({"entity": "orders"}, "entity"), ({"entity": ""}, "entity"), ({"entity": "Customers"}, "entity"),
    ({"from": "2026-13-01"}, "from"), ({"from": "20260101"}, "from"), ({"to": "2026-02-30"}, "to"),
    ({"to": "2026-01-01T00:00:00Z"}, "to"), ({"from": "yesterday"}, "from"),
])
def test_a_bad_parameter_is_400_naming_it(mock: MockServer, params: dict[str, str], name: str) -> None:
    body = assert_envelope(logs(mock, **params), 400, "bad_request")
    assert [e["parameter"] for e in body["payload"]["errors"]] == [name]
    assert name in body["message"]


def test_every_bad_parameter_is_named_at_once(mock: MockServer) -> None:
    body = assert_envelope(logs(mock, limit="0", page="-1", entity="x"), 400, "bad_request")
    assert sorted(e["parameter"] for e in body["payload"]["errors"]) == ["entity", "limit", "page"]


def test_a_parameter_given_twice_is_400(mock: MockServer) -> None:
    response = requests.get(mock.base_url + "/v1/logs?page=0&page=1", headers=bearer(), timeout=10)
    body = assert_envelope(response, 400, "bad_request")
    assert "page is given more than once" in body["message"]


def test_a_page_far_past_the_end_is_empty(mock: MockServer) -> None:
    post(mock, record(1))
    for page in ("99999", "9223372036854775807", "9" * 5000):
        response = logs(mock, page=page, limit=100)
        assert response.status_code == 200 and response.json() == [], page


# -- GET /apiv3/stats -------------------------------------------------------------------------


def test_stats_add_up_the_stored_records(mock: MockServer) -> None:
    post(mock, record(1, branch="Centro"))
    post(mock, record(2, branch="Norte"))
    post(mock, record(4, branch="Centro"))
    post(mock, record(100, entities=("products",)))  # no customers nor purchases: adds nothing
    response = stats(mock)
    body = response.json()
    assert body == {
        "total_customers": 7, "total_purchases": 14, "total_revenue": 7000, "total_invoice_items": 21,
        "per_branches": [
            {"branch": "Centro", "total_customers": 5, "total_purchases": 10, "total_revenue": 5000,
             "total_invoice_items": 15},
            {"branch": "Norte", "total_customers": 2, "total_purchases": 4, "total_revenue": 2000,
             "total_invoice_items": 6},
        ],
    }
    result = Checker(REGISTRY, "apiv3.account-stats").check_document(body)
    assert result.valid and result.envelope == "bare", result.to_dict()


def test_stats_of_an_empty_account_are_zero(mock: MockServer) -> None:
    assert stats(mock).json() == {"total_customers": 0, "total_purchases": 0, "total_revenue": 0,
                                  "total_invoice_items": 0, "per_branches": []}


def test_stats_totals_are_not_cut_to_64_bits(mock: MockServer) -> None:
    big = record(1)
    big["stats"]["purchases"]["total_revenue"] = 2 ** 63 - 1
    post(mock, big)
    post(mock, big)
    assert stats(mock).json()["total_revenue"] == 2 * (2 ** 63 - 1)


def test_stats_branch_keeps_one_branch_totals_included(mock: MockServer) -> None:
    post(mock, record(1, branch="Centro"))
    post(mock, record(2, branch="Norte"))
    assert stats(mock, branch="Norte").json() == {
        "total_customers": 2, "total_purchases": 4, "total_revenue": 2000, "total_invoice_items": 6,
        "per_branches": [{"branch": "Norte", "total_customers": 2, "total_purchases": 4, "total_revenue": 2000,
                          "total_invoice_items": 6}]}
    assert stats(mock, branch="Nowhere").json()["per_branches"] == []
    assert stats(mock, branch="Nowhere").json()["total_customers"] == 0


def test_stats_from_and_to_filter_on_createtime(mock: MockServer) -> None:
    post(mock, record(3))
    today = datetime.now(timezone.utc).date()
    around = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    assert stats(mock, **around).json()["total_customers"] == 3
    assert stats(mock, **{"from": "2000-01-01", "to": "2000-12-31"}).json()["total_customers"] == 0
    assert stats(mock, **{"from": str(today + timedelta(days=2))}).json()["total_customers"] == 0
    body = assert_envelope(stats(mock, **{"from": "last week"}), 400, "bad_request")
    assert body["payload"]["errors"][0]["parameter"] == "from"


def test_stats_in_the_envelope_when_asked() -> None:
    with MockServer(REGISTRY, api_keys=[KEY_A], envelope=True) as enveloped:
        post(enveloped, record(5))
        body = stats(enveloped).json()
        assert body["code"] == "ok" and body["message"] == "ok"
        assert body["payload"]["total_customers"] == 5
        result = Checker(REGISTRY, "apiv3.account-stats").check_document(body)
        assert result.valid and result.envelope == "enveloped"
        # errors are enveloped in both modes; the listing stays a bare array
        assert isinstance(logs(enveloped).json(), list)


# -- 404, 405, JSON everywhere ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/log/", "/v1/LOG", "/v2/log", "/apiv3/stats/", "/apiv3",
                                  "/v1/logs.json", "/_mock", "/_mock/nope", "/%00", "/v1/log%2F"])
def test_an_unknown_path_is_404_json(mock: MockServer, path: str) -> None:
    response = requests.get(mock.base_url + path, headers=bearer(), timeout=10)
    assert_envelope(response, 404, "not_found")


@pytest.mark.parametrize("method, path, allow", [
    ("GET", "/v1/log", "POST"), ("DELETE", "/v1/log", "POST"), ("PUT", "/v1/log", "POST"),
    ("POST", "/v1/logs", "GET"), ("PATCH", "/v1/logs", "GET"), ("OPTIONS", "/v1/logs", "GET"),
    ("POST", "/apiv3/stats", "GET"), ("DELETE", "/apiv3/stats", "GET"), ("TRACE", "/apiv3/stats", "GET"),
    ("GET", "/_mock/reset", "POST"), ("POST", "/_mock/journal", "GET"),
])
def test_a_wrong_method_is_405_with_allow(mock: MockServer, method: str, path: str, allow: str) -> None:
    response = requests.request(method, mock.base_url + path, headers=bearer(), timeout=10)
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allow


def test_head_gets_the_405_head_without_a_body(mock: MockServer) -> None:
    response = requests.head(mock.base_url + "/v1/logs", headers=bearer(), timeout=10)
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert response.content == b""
    assert logs(mock).status_code == 200  # the connection was not left with a stray body


# -- the Python API ---------------------------------------------------------------------------


def test_base_url_and_a_generated_key() -> None:
    with MockServer(REGISTRY) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}" and server.port > 0
        assert server.api_key.startswith("mock_") and len(server.api_key) > 20
        assert server.api_keys == (server.api_key,)
        assert requests.get(server.base_url + "/v1/logs", headers=bearer(server.api_key), timeout=10).json() == []
    with MockServer(REGISTRY) as other:
        assert other.api_key != server.api_key


@pytest.mark.parametrize("keys", [[], [""], ["has space"], ["new\nline"], ["ñandú"]])
def test_unusable_keys_are_refused_up_front(keys: list[str]) -> None:
    with pytest.raises(ValueError):
        MockServer(REGISTRY, api_keys=keys)


def test_the_journal_says_what_was_received_and_never_the_key(mock: MockServer) -> None:
    post(mock, record(1))
    post(mock, {"files": []})
    logs(mock, limit=5, page=0)
    requests.get(mock.base_url + "/v1/logs", headers=bearer("wrong-key-abc"), timeout=10)
    requests.get(mock.base_url + "/v1/logs?api_key=" + KEY_A, headers=bearer(), timeout=10)
    journal = mock.journal()
    assert [(e["method"], e["path"], e["status"], e["valid"]) for e in journal] == [
        ("POST", "/v1/log", 200, True), ("POST", "/v1/log", 400, False), ("GET", "/v1/logs", 200, None),
        ("GET", "/v1/logs", 403, None), ("GET", "/v1/logs", 200, None)]
    assert journal[2]["query"] == "limit=5&page=0"
    assert journal[4]["query"] == "api_key=***"
    assert [e["seq"] for e in journal] == sorted(e["seq"] for e in journal)
    admin = requests.get(mock.base_url + "/_mock/journal", timeout=10)
    assert admin.status_code == 200 and admin.json() == journal
    for text in (json.dumps(journal), admin.text):
        assert KEY_A not in text and "wrong-key-abc" not in text
    # exactly one valid record was posted
    assert sum(1 for e in journal if e["path"] == "/v1/log" and e["valid"]) == 1


def test_admin_paths_are_not_journaled_and_need_no_key(mock: MockServer) -> None:
    assert requests.get(mock.base_url + "/_mock/health", timeout=10).json() == {"status": "ok"}
    requests.get(mock.base_url + "/_mock/journal", timeout=10)
    assert mock.journal() == []


def test_reset_empties_records_and_journal_over_http_and_in_python(mock: MockServer) -> None:
    post(mock, record(1))
    post(mock, record(2), KEY_B)
    assert requests.post(mock.base_url + "/_mock/reset", timeout=10).json() == {"status": "ok"}
    assert mock.records() == [] and mock.records(KEY_B) == [] and mock.journal() == []
    post(mock, record(3))
    mock.reset()
    assert mock.records() == [] and mock.journal() == []


def test_records_of_an_unknown_key_are_empty(mock: MockServer) -> None:
    post(mock, record(1))
    assert mock.records("nobody") == []


def test_the_log_callback_gets_one_line_per_request_without_keys(mock: MockServer) -> None:
    lines: list[str] = []
    mock.log = lines.append
    try:
        post(mock, record(1))
        logs(mock, limit=3)
        requests.get(mock.base_url + "/nope%0d%0aInjected: yes", timeout=10)
        requests.get(mock.base_url + "/v1/logs?token=" + KEY_A, headers=bearer(), timeout=10)
    finally:
        mock.log = None
    assert len(lines) == 4
    assert lines[0].startswith("POST /v1/log 200 ") and lines[0].endswith(" valid")
    assert lines[1].startswith("GET /v1/logs?limit=3 200 ")
    assert "\n" not in lines[2] and "\r" not in lines[2] and "\\r\\n" in lines[2]
    assert all(KEY_A not in line for line in lines)


def test_an_error_inside_the_server_is_answered_500_and_raised_in_the_caller(
        mock: MockServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(mock.store, "add", broken)
    response = post(mock, record(1))
    body = assert_envelope(response, 500, "internal_error")
    assert "disk on fire" not in body["message"] and "RuntimeError" in body["message"]
    assert len(mock.errors) == 1
    with pytest.raises(RuntimeError, match="disk on fire"):
        mock.check_errors()
    mock.check_errors()  # raised once, then forgotten


def test_leaving_the_with_block_raises_what_went_wrong_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ZeroDivisionError):
        with MockServer(REGISTRY, api_keys=[KEY_A]) as server:
            monkeypatch.setattr(server.store, "list_bodies", lambda *a: 1 / 0)
            assert logs(server).status_code == 500
    assert not server.is_running


def test_a_start_that_fails_readiness_stops_itself() -> None:
    class NeverReady(MockServer):
        def _wait_ready(self, timeout: float) -> bool:
            return False

    server = NeverReady(REGISTRY, api_keys=[KEY_A])
    with pytest.raises(RuntimeError, match="did not answer"):
        server.start(timeout=0.1)
    assert not server.is_running
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", server.port))  # the port was released


def test_a_port_in_use_raises_in_the_caller(mock: MockServer) -> None:
    with pytest.raises(OSError):
        MockServer(REGISTRY, api_keys=[KEY_A], port=mock.port).start()


def test_stop_and_start_again_keep_the_records() -> None:
    server = MockServer(REGISTRY, api_keys=[KEY_A]).start()
    try:
        post(server, record(1))
        server.stop()
        assert not server.is_running
        server.start()
        assert [r["files"][0] for r in logs(server).json()] == ["run-1.csv"]
    finally:
        server.close()
