"""The ``woowup_proxy`` fixture, from real pytest runs the way a Python connector's tests use it.

One proxy per session in front of the session's mock; each test sees only its own
exchanges; ``check()`` fails a test with the report.
"""

from __future__ import annotations

import pytest

CONNECTOR = '''
    import requests

    EXAMPLE = {example!r}


    def send(base_url, key, body):
        return requests.post(base_url + "/v1/log", data=body.encode(), timeout=10,
                             headers={{"Authorization": "Bearer " + key, "Content-Type": "application/json"}})
'''


def test_one_proxy_per_session_and_a_journal_per_test(pytester: pytest.Pytester, registry: object) -> None:
    example = registry.get("connectors.log-record").examples[0].raw  # type: ignore[attr-defined]
    pytester.makepyfile(connector=CONNECTOR.format(example=example))
    pytester.makepyfile(test_sync='''
        import json

        import pytest
        import requests

        from connector import EXAMPLE, send
        from woowup_contract.traffic import TrafficViolation

        URLS = []


        def test_the_documented_example_is_caught(woowup_proxy, woowup_mock):
            URLS.append(woowup_proxy.base_url)
            answer = send(woowup_proxy.base_url, woowup_mock.api_key, EXAMPLE)
            assert answer.status_code == 400
            assert [v.rule for v in woowup_proxy.violations("request")] == ["required"] * 3
            with pytest.raises(TrafficViolation) as info:
                woowup_proxy.check()
            assert "total_created" in str(info.value) and woowup_mock.api_key not in str(info.value)


        def test_the_next_test_starts_clean(woowup_proxy, woowup_mock):
            URLS.append(woowup_proxy.base_url)
            assert woowup_proxy.exchanges == [] and woowup_proxy.violations() == []
            fixed = EXAMPLE.replace('"created"', '"total_created"').replace('"updated"', '"total_updated"')
            fixed = fixed.replace('"failed"', '"total_failed"')
            answer = send(woowup_proxy.base_url, woowup_mock.api_key, fixed)
            assert answer.status_code == 200, answer.text
            woowup_proxy.check()
            assert [e.seq for e in woowup_proxy.exchanges] == [2]  # numbers go on across the session


        def test_a_failing_check_fails_the_test(woowup_proxy, woowup_mock):
            send(woowup_proxy.base_url, woowup_mock.api_key, EXAMPLE)
            woowup_proxy.check()


        def test_the_same_proxy_all_session(woowup_proxy):
            assert URLS == [woowup_proxy.base_url] * 2
    ''')
    result = pytester.runpytest_inprocess("-p", "no:randomly")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_a_failing_check_fails_the_test*", "*TrafficViolation*total_created*"])


def test_options_reach_the_proxy(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('''
        import pytest


        @pytest.fixture(scope="session")
        def woowup_proxy_options():
            return {"errors": True}
    ''')
    pytester.makepyfile(test_errors='''
        import requests


        def test_invalid_queries_are_answered_by_the_proxy(woowup_proxy, woowup_mock):
            answer = requests.get(woowup_proxy.base_url + "/v1/logs?limit=0", timeout=10,
                                  headers={"Authorization": "Bearer " + woowup_mock.api_key})
            assert answer.status_code == 400 and answer.headers["X-Woowup-Contract-Proxy"] == "answered"
            assert woowup_mock.journal() == []
    ''')
    result = pytester.runpytest_inprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)
