"""Faults on purpose, over real HTTP: the rate limit, injected statuses, latency, the
per-request X-Mock-Fault header, and changing the plan at run time (Python and admin path)."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
import requests

from woowup_contract.loader import load_registry
from woowup_contract.mock.server import MockServer

KEY_A, KEY_B = "fault-key-a", "fault-key-b"
REGISTRY = load_registry()
RECORD = {"files": ["a.csv"], "processingtime": "2026-11-20T03:15:00Z",
          "stats": {"products": {"total_created": 1, "total_updated": 0, "total_failed": 0}}}


def post(mock: MockServer, key: str = KEY_A, **headers: str) -> requests.Response:
    return requests.post(mock.base_url + "/v1/log", data=json.dumps(RECORD),
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}", **headers},
                         timeout=10)


def get(mock: MockServer, path: str = "/v1/logs", key: str = KEY_A, **headers: str) -> requests.Response:
    return requests.get(mock.base_url + path, headers={"Authorization": f"Bearer {key}", **headers}, timeout=10)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(REGISTRY, api_keys=[KEY_A, KEY_B], seed=7) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mock: MockServer) -> Iterator[None]:
    mock.reset()
    mock.clear_faults()
    yield
    mock.clear_faults()
    mock.check_errors()


# -- the rate limit --------------------------------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after_past_n_requests(mock: MockServer) -> None:
    mock.set_faults(rate_limit="5/min")
    assert [post(mock).status_code for _ in range(5)] == [200] * 5
    refused = post(mock)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_request" and body["payload"] == [] and "5/min" in body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len(mock.records()) == 5  # the refused one was not stored
    assert get(mock).status_code == 429  # every endpoint of the account counts
    assert mock.journal()[-1]["fault"] == "rate-limit"


def test_the_rate_limit_is_per_key_and_refused_keys_do_not_count(mock: MockServer) -> None:
    mock.set_faults(rate_limit=2)  # an int is per minute
    for _ in range(5):
        assert get(mock, key="not-a-key").status_code == 403
    assert [get(mock).status_code for _ in range(3)] == [200, 200, 429]
    assert [get(mock, key=KEY_B).status_code for _ in range(3)] == [200, 200, 429]


def test_reset_starts_a_new_rate_limit_window(mock: MockServer) -> None:
    mock.set_faults(rate_limit="1/h")
    assert get(mock).status_code == 200
    assert get(mock).status_code == 429
    mock.reset()
    assert get(mock).status_code == 200


def test_retry_after_counts_down_to_the_oldest_request_leaving_the_window(mock: MockServer) -> None:
    mock.set_faults(rate_limit="1/h")
    get(mock)
    wait = int(get(mock).headers["Retry-After"])
    assert 3500 <= wait <= 3600


# -- injected statuses ----------------------------------------------------------------------


def test_a_certain_fault_answers_every_request_before_processing_it(mock: MockServer) -> None:
    mock.set_faults(["503:1"])
    response = post(mock)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "service_unavailable"
    assert mock.records() == []
    assert get(mock, key="not-a-key").status_code == 503  # before auth, as an overloaded front would
    assert mock.journal()[-1]["fault"] == "random"


@pytest.mark.parametrize("status, code, retry_after", [(500, "internal_error", False), (502, "bad_gateway", False),
                                                      (429, "too_many_request", True), (400, "bad_request", False),
                                                      (504, "gateway_timeout", False)])
def test_injected_statuses_carry_their_api_v3_code(mock: MockServer, status: int, code: str,
                                                   retry_after: bool) -> None:
    mock.set_faults([(status, 1.0)])
    response = get(mock)
    assert response.status_code == status and response.json()["code"] == code
    assert ("Retry-After" in response.headers) is retry_after


def test_seeded_faults_repeat_the_same_sequence() -> None:
    def sequence() -> list[int]:
        with MockServer(REGISTRY, api_keys=[KEY_A], faults=["503:0.3", "429:0.2"], seed=42) as server:
            return [get(server).status_code for _ in range(40)]

    first = sequence()
    assert first == sequence()
    assert {200, 503, 429} <= set(first)


def test_fault_probabilities_are_honoured_roughly(mock: MockServer) -> None:
    mock.set_faults(["503:0.5"])
    statuses = [get(mock).status_code for _ in range(200)]
    assert 40 <= statuses.count(503) <= 160  # seeded: a fixed draw, far from both ends
    assert set(statuses) == {200, 503}


@pytest.mark.parametrize("faults", [["503"], ["700:0.1"], ["200:0.5"], ["503:1.5"], ["503:-0.1"], ["x:0.1"],
                                    ["503:0.6", "429:0.6"], ["503:nan"]])
def test_bad_fault_specs_are_refused(mock: MockServer, faults: list[str]) -> None:
    with pytest.raises(ValueError):
        mock.set_faults(faults)
    with pytest.raises(ValueError):
        MockServer(REGISTRY, api_keys=[KEY_A], faults=faults)


@pytest.mark.parametrize("latency", ["5", "fast", "-1ms", "1h", True])
def test_bad_latencies_are_refused(latency: Any) -> None:
    with pytest.raises(ValueError):
        MockServer(REGISTRY, api_keys=[KEY_A], latency=latency)


@pytest.mark.parametrize("limit", ["140", "140/day", "0/min", "-1/min", "many/min"])
def test_bad_rate_limits_are_refused(limit: str) -> None:
    with pytest.raises(ValueError):
        MockServer(REGISTRY, api_keys=[KEY_A], rate_limit=limit)


# -- latency ------------------------------------------------------------------------------------


def test_latency_delays_every_answer_by_at_least_the_given_time(mock: MockServer) -> None:
    mock.set_faults(latency="200ms")
    assert get(mock).status_code == 200
    assert get(mock, key="nobody").status_code == 403
    # a lower bound (sleep never returns early), not a speed figure
    assert all(entry["duration_ms"] >= 200 for entry in mock.journal())
    mock.clear_faults()
    get(mock)
    assert mock.journal()[-1]["duration_ms"] < 200


# -- the per-request header -------------------------------------------------------------------


@pytest.mark.parametrize("value, code, retry_after", [("503", "service_unavailable", "1"),
                                                     ("429", "too_many_request", "1"),
                                                     ("500", "internal_error", None), ("502 ", "bad_gateway", None)])
def test_x_mock_fault_forces_one_failure_exactly_when_wanted(mock: MockServer, value: str, code: str,
                                                             retry_after: str | None) -> None:
    failed = post(mock, **{"X-Mock-Fault": value})
    assert failed.status_code == int(value) and failed.json()["code"] == code
    assert failed.headers.get("Retry-After") == retry_after
    assert post(mock).status_code == 200  # the next one goes through
    assert len(mock.records()) == 1
    assert [e["fault"] for e in mock.journal()] == ["header", None]


@pytest.mark.parametrize("value", ["200", "302", "600", "abc", "", "503; drop table", "5O3"])
def test_an_unusable_x_mock_fault_is_400(mock: MockServer, value: str) -> None:
    response = get(mock, **{"X-Mock-Fault": value})
    assert response.status_code == 400 and "X-Mock-Fault" in response.json()["message"]


def test_a_connector_style_retry_honours_retry_after_and_posts_once(mock: MockServer) -> None:
    """What a connector's retry loop sees: one 503 with Retry-After, then success; one record stored."""
    attempts = []
    headers = {"X-Mock-Fault": "503"}
    for _ in range(3):
        response = post(mock, **headers)
        attempts.append(response.status_code)
        if response.status_code not in (429, 502, 503):
            break
        assert int(response.headers["Retry-After"]) >= 0
        headers = {}
    assert attempts == [503, 200]
    journal = mock.journal()
    assert sum(1 for e in journal if e["valid"]) == 1 and len(mock.records()) == 1


# -- changing the plan at run time -----------------------------------------------------------


def test_the_admin_path_shows_sets_and_clears_the_plan(mock: MockServer) -> None:
    url = mock.base_url + "/_mock/faults"
    assert requests.get(url, timeout=10).json() == {"faults": [], "latency": "0ms", "rate_limit": None}
    plan = {"faults": ["503:1"], "latency": "10ms", "rate_limit": "100/min"}
    assert requests.put(url, json=plan, timeout=10).json() == {"faults": ["503:1"], "latency": "10ms",
                                                               "rate_limit": "100/min"}
    assert mock.faults["faults"] == ["503:1"]
    assert get(mock).status_code == 503
    assert requests.delete(url, timeout=10).json()["faults"] == []
    assert get(mock).status_code == 200


@pytest.mark.parametrize("body", ['{"faults": ["999:1"]}', '{"faults": "503:1"}', '{"nope": 1}', "[]", "{",
                                  '{"latency": "soon"}', '{"rate_limit": "x"}', "\xff"])
def test_a_bad_plan_on_the_admin_path_is_400_and_changes_nothing(mock: MockServer, body: str) -> None:
    mock.set_faults(["500:1"])
    response = requests.put(mock.base_url + "/_mock/faults", data=body.encode("latin-1"), timeout=10)
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert mock.faults["faults"] == ["500:1"]


def test_admin_paths_are_never_faulted(mock: MockServer) -> None:
    mock.set_faults(["503:1"], rate_limit="1/h")
    for _ in range(3):
        assert requests.get(mock.base_url + "/_mock/journal", timeout=10).status_code == 200
        assert requests.get(mock.base_url + "/_mock/health", timeout=10).status_code == 200
