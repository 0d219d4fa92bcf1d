"""The pieces of `check` that need no server: masking, rate limits, Retry-After, curl lines, the plan."""

from __future__ import annotations

import argparse
import base64
import io
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from woowup_contract import load_registry
from woowup_contract.exits import UsageError
from woowup_contract.wire import auth_header
from woowup_contract.endpoints import (
    CHECKS,
    Masker,
    MaskedStream,
    Settings,
    curl_line,
    parse_rate_limit,
    planned_checks,
    retry_after_seconds,
    settings_from_args,
)

KEY = "k3y/with+odd=chars&\"quote"


def test_the_masker_hides_every_form_of_the_key() -> None:
    mask = Masker(KEY)
    forms = [KEY, base64.b64encode(KEY.encode()).decode(), "k3y%2Fwith%2Bodd%3Dchars%26%22quote",
             'k3y/with+odd=chars&\\"quote']
    for form in forms:
        assert mask(f"before {form} after") == "before *** after", form


def test_the_masker_ignores_empty_keys_and_leaves_other_text_alone() -> None:
    assert Masker(None, "")("nothing to hide") == "nothing to hide"


def test_a_masked_stream_masks_whatever_is_written() -> None:
    sink = io.StringIO()
    stream = MaskedStream(sink, Masker("s3cret-value"))
    stream.write("Authorization: Bearer s3cret-value\n")
    stream.writelines(["a s3cret-value b\n"])
    assert sink.getvalue() == "Authorization: Bearer ***\na *** b\n"
    assert stream.isatty() is False


@pytest.mark.parametrize(("text", "per_minute"), [
    ("60/min", 60.0), ("2/s", 120.0), ("90/h", 1.5), ("140/min", 140.0), ("1/m", 1.0), (" 10 / MIN ", 10.0),
    ("5/second", 300.0), ("3/hour", 0.05),
])
def test_rate_limits_are_read_as_requests_per_minute(text: str, per_minute: float) -> None:
    assert parse_rate_limit(text) == pytest.approx(per_minute)


@pytest.mark.parametrize("text", ["none", "None", " NONE "])
def test_a_rate_limit_can_be_switched_off(text: str) -> None:
    assert parse_rate_limit(text) is None


@pytest.mark.parametrize(("url", "rate"), [
    ("http://127.0.0.1:8080", None), ("http://localhost:9/api", None), ("http://[::1]:8080", None),
    ("http://127.0.0.2", None), ("https://connectors.example.test", 60.0), ("http://10.0.0.1", 60.0),
])
def test_only_a_remote_url_is_paced_by_default(url: str, rate: float | None) -> None:
    from woowup_contract.endpoints._safety import default_rate

    assert default_rate(url) == rate


@pytest.mark.parametrize("text", ["fast", "-5/min", "10/week", "nan", "inf/min", "1e999/s", "", "5", "30",
                                  # the mock never took these, so neither does check: one spelling for both
                                  "0.5/m", "1.5/s", "0", "off", "unlimited", "0/min", "\u0661\u0662/min"])
def test_a_bad_rate_limit_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--rate-limit"):
        parse_rate_limit(text)


def _args(**over: object) -> argparse.Namespace:
    values = {"rate_limit": None, "timeout": 10.0, "allow_writes": False, "max_examples": None, "seed": None,
              "apiv3_base_url": None}
    values.update(over)
    return argparse.Namespace(**values)


def test_live_runs_default_to_60_per_minute_and_fewer_examples_the_mock_to_no_limit() -> None:
    live = settings_from_args(_args(), base_url="https://connectors.example", api_key="k", live=True)
    mock = settings_from_args(_args(), base_url="http://127.0.0.1:1", api_key="k", live=False)
    assert live.rate_per_minute == 60.0 and live.rate_per_minute < 140
    assert mock.rate_per_minute is None
    assert (live.max_examples, mock.max_examples) == (10, 25)
    assert live.writes is False and mock.writes is True
    assert settings_from_args(_args(allow_writes=True), base_url="https://x.example", api_key="k",
                              live=True).writes is True


def test_settings_pick_a_seed_and_a_recognisable_tag() -> None:
    settings = Settings(base_url="https://x.example/", api_key="k", live=True)
    assert isinstance(settings.seed, int)
    assert settings.base_url == "https://x.example"
    assert settings.tag == f"woowup-contract-check-{settings.run_id}"
    other = Settings(base_url="https://x.example", api_key="k", live=True, apiv3_base_url="https://api.example/")
    assert other.url_for("/apiv3/stats") == "https://api.example"
    assert other.url_for("/v1/logs") == "https://x.example"


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 20 <= (retry_after_seconds(soon) or 0) <= 31
    past = format_datetime(datetime.now(timezone.utc) - timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(past) == 0.0
    for unusable in (None, "", "soon", "-1", "1.5"):
        assert retry_after_seconds(unusable) is None, unusable


def test_auth_headers_follow_each_scheme() -> None:
    assert auth_header("bearer", "abc") == "Bearer abc"
    assert auth_header("basic-raw-key", "abc") == "Basic abc"  # the raw key, not base64


def test_a_curl_line_reproduces_the_request_without_client_noise() -> None:
    import requests

    request = requests.Request("POST", "http://127.0.0.1:8080/v1/log", params={"a": "b c"},
                               headers={"Authorization": "Bearer ***", "User-Agent": "python-requests"},
                               data=b'{"files": ["it\'s.csv"]}').prepare()
    line = curl_line(request)
    assert line.startswith("curl -X POST 'http://127.0.0.1:8080/v1/log?a=b+c' -H 'Authorization: Bearer ***'")
    assert "User-Agent" not in line
    assert line.endswith("""--data-binary '{"files": ["it'"'"'s.csv"]}'""")
    controls = requests.Request("GET", "http://h/x", headers={"X-A": "a\x1bb"}).prepare()
    assert "$'X-A: a\\x1bb'" in curl_line(controls)


def test_the_plan_names_every_check_and_skips_writes_when_read_only() -> None:
    registry = load_registry()
    read_only = planned_checks(registry, Settings(base_url="https://x.example", api_key="k", live=True))
    assert len(read_only) == 3 * 7 + 1
    assert {c for _, c, _ in read_only} == set(CHECKS)
    skipped = {(op, c) for op, c, reason in read_only if reason}
    assert skipped == {("POST /v1/log", c) for c in CHECKS}
    writes = planned_checks(registry, Settings(base_url="https://x.example", api_key="k", live=True,
                                               allow_writes=True))
    assert [reason for _, _, reason in writes] == [""] * len(writes)


# -- without the check extra -------------------------------------------------------------------


@pytest.fixture
def without_schemathesis(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in an environment where ``woowup-contract`` was installed without ``[check]``."""
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None):  # type: ignore[no-untyped-def]
        return None if name.split(".")[0] == "schemathesis" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_check_without_the_extra_says_how_to_get_it(without_schemathesis: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from woowup_contract.cli import main

    assert main(["check"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "the endpoint checks need schemathesis" in err
    assert "python -m pip install 'woowup-contract[check]'" in err
    assert "Traceback" not in err


def test_woowup_endpoints_without_the_extra_is_a_usage_error(without_schemathesis: None,
                                                             pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_inprocess("--woowup-endpoints")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: woowup-contract: --woowup-endpoints: the endpoint checks need "
                                 "schemathesis*woowup-contract[[]check[]]*"])
