"""`pytest --woowup-endpoints`: one item per operation and check, in a real pytest run."""

from __future__ import annotations

import pytest
from check_fake_api import FakeApi

PLUGIN = ("-p", "woowup_contract.plugin_endpoints")
KEY = "wk-live-SECRET-77aa88bb99cc"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("WOOWUP_BASE_URL", "WOOWUP_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_own="def test_own():\n    assert True\n")
    return pytester


def test_without_the_option_no_endpoint_item_is_added(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*PLUGIN, "--collect-only", "-q")
    result.assert_outcomes()
    assert "woowup-endpoints" not in result.stdout.str()
    assert "1 test collected" in result.stdout.str()


def test_the_items_pass_against_the_embedded_mock(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*PLUGIN, "--woowup-endpoints", "--woowup-endpoints-max-examples", "3",
                                         "--woowup-endpoints-seed", "1", "-v")
    result.assert_outcomes(passed=23)
    result.stdout.fnmatch_lines([
        "woowup-endpoints: the embedded mock (writes allowed), seed 1*",
        "collecting ... collected 23 items",
        "woowup-endpoints::GET /v1/logs::auth_enforced PASSED*",
        "woowup-endpoints::POST /v1/log::stateful_roundtrip PASSED*",
    ])


def test_items_can_be_selected_by_check_name_and_marker(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*PLUGIN, "--woowup-endpoints", "-m", "woowup_endpoints",
                                         "-k", "auth_enforced", "--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "woowup-endpoints::GET /apiv3/stats::auth_enforced",
        "woowup-endpoints::GET /v1/logs::auth_enforced",
        "woowup-endpoints::POST /v1/log::auth_enforced",
        "3/23 tests collected (20 deselected)*",
    ])


def test_a_broken_live_server_fails_its_items_read_only_and_masked(project: pytest.Pytester,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeApi(api_key=KEY, defects={"ignore-auth", "echo-key", "wrong-types"}) as api:
        monkeypatch.setenv("WOOWUP_BASE_URL", api.base_url)
        monkeypatch.setenv("WOOWUP_API_KEY", KEY)
        result = project.runpytest_inprocess(*PLUGIN, "--woowup-endpoints", "--woowup-endpoints-max-examples", "3",
                                             "--woowup-endpoints-seed", "1", "--woowup-endpoints-rate-limit", "none",
                                             "-rfs")
        methods = api.methods_seen()
    # 2 GET operations x 7 checks, minus 3 failing; 8 POST items skipped (read-only); the project's own test
    result.assert_outcomes(passed=12, failed=3, skipped=8)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "FAILED woowup-endpoints::GET /apiv3/stats::auth_enforced*",
        "FAILED woowup-endpoints::GET /v1/logs::response_schema_conformance*",
        "FAILED woowup-endpoints::GET /v1/logs::auth_enforced*",
        "SKIPPED * read-only: writes need --allow-writes against a live URL",
    ])
    assert "a request without a key was answered 200 OK; it must be refused with 401 or 403" in out
    assert KEY not in out and KEY not in result.stderr.str()
    assert methods == {"GET"}


def test_deselected_operations_are_not_exercised(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """-k keeps the GET /v1/logs items only: no request goes anywhere else."""
    with FakeApi(api_key=KEY) as api:
        monkeypatch.setenv("WOOWUP_BASE_URL", api.base_url)
        monkeypatch.setenv("WOOWUP_API_KEY", KEY)
        result = project.runpytest_inprocess(*PLUGIN, "--woowup-endpoints", "--woowup-endpoints-max-examples", "3",
                                             "--woowup-endpoints-seed", "1", "--woowup-endpoints-rate-limit", "none",
                                             "-k", "logs")
        paths = {r.path for r in api.requests}
    result.assert_outcomes(passed=7, deselected=16)
    assert paths == {"/v1/logs"}, paths


@pytest.mark.parametrize("named", [False, True], ids=["autoloaded", "named-with-p"])
def test_xdist_without_loadgroup_is_refused_against_a_live_api(project: pytest.Pytester, request: pytest.FixtureRequest,
                                                              monkeypatch: pytest.MonkeyPatch, named: bool) -> None:
    """Each worker would run every check: the request rate against the real API would double. With
    autoloading off, pytest-xdist named as ``-p xdist.plugin`` is registered under that name: it is
    found all the same."""
    plugins = request.getfixturevalue("only_the_plugin") if named else PLUGIN
    with FakeApi(api_key=KEY) as api:
        monkeypatch.setenv("WOOWUP_BASE_URL", api.base_url)
        monkeypatch.setenv("WOOWUP_API_KEY", KEY)
        refused = project.runpytest_inprocess(*plugins, "--woowup-endpoints", "-n", "2")
        assert refused.ret == pytest.ExitCode.USAGE_ERROR
        refused.stderr.fnmatch_lines(["*woowup-contract: --woowup-endpoints against http://127.0.0.1:*: under "
                                      "pytest-xdist, every worker *add --dist loadgroup*"])
        assert not api.requests
        # loadgroup is accepted: the refusal is the controller's, at configure time, so collecting shows it
        # without starting a worker (items inside workers run in the plugin's seed test)
        grouped = project.runpytest_inprocess(*plugins, "--woowup-endpoints", "-n", "1", "--dist", "loadgroup",
                                              "--collect-only", "-q", "-k", "stats or own")
        assert not api.requests
    assert grouped.ret == pytest.ExitCode.OK, grouped.stdout.str() + grouped.stderr.str()
    grouped.stdout.fnmatch_lines(["8/23 tests collected (15 deselected)*"])
    assert "gw0" not in grouped.stdout.str()
    assert KEY not in grouped.stdout.str() + grouped.stderr.str() + refused.stderr.str()


def test_xdist_without_loadgroup_on_the_mock_warns(project: pytest.Pytester) -> None:
    """The warning is the controller's, at configure time, for any --dist but loadgroup: --collect-only
    shows it without starting a worker (items inside workers run in the loadgroup run above and in
    the plugin's seed test)."""
    result = project.runpytest_inprocess(*PLUGIN, "--woowup-endpoints", "-n", "1", "--collect-only", "-q",
                                         "-k", "stats")
    result.stdout.fnmatch_lines(["*PytestConfigWarning: woowup-contract: under pytest-xdist*--dist loadgroup*",
                                 "7/23 tests collected (16 deselected)*"])
    assert "gw0" not in result.stdout.str()


def test_an_unreachable_target_fails_every_item_with_one_clear_reason(project: pytest.Pytester,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOOWUP_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("WOOWUP_API_KEY", KEY)
    result = project.runpytest_inprocess(*PLUGIN, "--woowup-endpoints", "-k", "GET and not_a_server_error")
    result.assert_outcomes(failed=2, deselected=21)
    result.stdout.fnmatch_lines(["*the endpoint checks could not run: cannot connect to http://127.0.0.1:9: "
                                 "connection refused*"])
    assert "Traceback" not in result.stdout.str()


def test_a_bad_rate_limit_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*PLUGIN, "--woowup-endpoints", "--woowup-endpoints-rate-limit", "lots")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*woowup-contract: --rate-limit: expected N/min*"])
