"""Live safety of `woowup-contract check`: read-only by default, tagged writes, a masked key,
429s honoured, TLS verified, and clear exits when the target cannot be used."""

from __future__ import annotations

import base64
import json
import os
import pty
import re
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from check_fake_api import FAST, FakeApi, run_check, run_check_process, shown

LIVE = ("--rate-limit", "none", *FAST)
KEY = "wk-live-SECRET-5f1d2c3b4a9e"


def test_read_only_by_default_no_post_reaches_the_server() -> None:
    with FakeApi() as api:
        proc = run_check("--base-url", api.base_url, "--api-key", api.api_key, *LIVE)
    assert proc.returncode == 0, shown(proc)
    assert api.methods_seen() == {"GET"}, [(r.method, r.path) for r in api.requests]
    assert api.records == []
    assert proc.stderr == "", shown(proc)  # no terminal: no progress
    assert "read-only" in proc.stdout, shown(proc)
    for check in ("not_a_server_error", "negative_data_rejection", "auth_enforced", "stateful_roundtrip"):
        assert re.search(rf"POST /v1/log +{check} +- +skipped: read-only: writes need --allow-writes", proc.stdout), \
            shown(proc)


def test_written_records_carry_the_run_id_and_the_report_lists_them(tmp_path: Path) -> None:
    with FakeApi() as api:
        proc = run_check("--base-url", api.base_url, "--api-key", api.api_key, "--allow-writes", "--format", "json",
                         *LIVE)
    assert proc.returncode == 0, shown(proc)
    report = json.loads(proc.stdout)
    tag = f"woowup-contract-check-{report['run_id']}"
    assert api.records, "the write run stored nothing"
    for record in api.records:
        assert tag in record["files"], record
    listed = report["records_written"]
    assert len(listed) == len(api.records)
    assert all(r["tagged"] and tag in r["files"] and r["status"] == 200 for r in listed), listed
    stateful = [c for c in report["checks"] if c["check"] == "stateful_roundtrip"]
    assert stateful == [{"operation": "POST /v1/log", "check": "stateful_roundtrip", "status": "passed",
                         "requests": stateful[0]["requests"]}]


def test_the_text_report_lists_the_records_written() -> None:
    with FakeApi() as api:
        proc = run_check("--base-url", api.base_url, "--api-key", api.api_key, "--allow-writes", *LIVE)
    assert proc.returncode == 0, shown(proc)
    assert f"records written ({len(api.records)}), each with the files entry woowup-contract-check-" in proc.stdout
    assert proc.stdout.count("POST /v1/log -> 200") == len(api.records), shown(proc)


def _leaks(text: str) -> list[str]:
    forms = [KEY, base64.b64encode(KEY.encode()).decode(), KEY[5:]]  # KEY[5:]: any long part of it
    return [f for f in forms if f in text]


@pytest.mark.parametrize(("fmt", "via"), [("text", "option"), ("json", "environment"), ("junit", "option")])
def test_the_key_appears_in_no_output_format(tmp_path: Path, fmt: str, via: str) -> None:
    # the server echoes the Authorization header back in errors and in a wrong-typed field,
    # so the key reaches failure messages, reproductions and response excerpts
    output = tmp_path / f"report.{fmt}"
    key_args = ["--api-key", KEY] if via == "option" else []
    env = {"WOOWUP_API_KEY": KEY} if via == "environment" else {}
    with FakeApi(api_key=KEY, defects={"echo-key", "wrong-types", "reject-posts"}) as api:
        proc = run_check("--base-url", api.base_url, *key_args, "--allow-writes", "--format", fmt,
                         "--output", str(output), *LIVE, env=env)
    written = output.read_text(encoding="utf-8")
    assert proc.returncode == 1, shown(proc)
    assert _leaks(proc.stdout + proc.stderr + written) == [], shown(proc) + written
    # the failures are there, with the key masked in their reproductions
    assert "response_schema_conformance" in written and "stateful_roundtrip" in written, written
    assert "Bearer ***" in written, written
    if fmt == "json":
        json.loads(written)
    if fmt == "junit":
        suite = ET.fromstring(written).find("testsuite")
        assert suite is not None and suite.get("failures") == "2", written


def test_progress_on_a_terminal_names_operation_and_check_and_masks_the_key() -> None:
    controller, terminal = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    with FakeApi(api_key=KEY, defects={"echo-key", "wrong-types"}) as api:
        # a real process: its stderr is the terminal
        proc = run_check_process("--base-url", api.base_url, "--api-key", KEY, *LIVE, stderr=terminal)
    os.close(terminal)
    reader.join(10)
    os.close(controller)
    progress = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 1, proc.stdout
    assert "GET /v1/logs  response_schema_conformance  failed" in progress, progress
    assert "GET /apiv3/stats  auth_enforced  passed" in progress, progress
    # the first step always draws; later ones at most every 0.1 s, so a fast run may skip any of them
    assert progress.startswith("\rGET /apiv3/stats  positive requests  1/"), progress
    drawn = [part for part in re.split(r"[\r\n]+", progress) if part.strip()]
    assert all(part.startswith(("GET /", "POST /")) for part in drawn), drawn
    assert _leaks(progress + proc.stdout) == [], progress


def test_a_429_is_waited_out_with_retry_after_and_not_reported() -> None:
    with FakeApi(defects={"429-once"}) as api:
        proc = run_check("--base-url", api.base_url, "--api-key", api.api_key, "--format", "json", *LIVE)
        served = api._served_429
        logs = [r for r in api.requests if r.path == "/v1/logs"]
    assert served, "the server never answered 429"
    assert proc.returncode == 0, shown(proc)
    # the refused request was sent again, with the same query, after the wait
    assert logs[0].query == logs[1].query, [(r.query) for r in logs[:3]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_host_exits_2_with_a_clear_message() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    proc = run_check("--base-url", url, "--api-key", KEY, *LIVE)
    assert proc.returncode == 2, shown(proc)
    assert f"woowup-contract: error: cannot connect to {url}: connection refused" in proc.stderr, shown(proc)
    assert "Traceback" not in proc.stderr and proc.stdout == "", shown(proc)
    assert _leaks(proc.stderr) == []


def test_a_refused_key_exits_2_instead_of_passing_on_refusals() -> None:
    with FakeApi() as api:
        proc = run_check("--base-url", api.base_url, "--api-key", KEY, *LIVE)
    assert proc.returncode == 2, shown(proc)
    assert "the API key was refused" in proc.stderr and "403" in proc.stderr, shown(proc)
    assert _leaks(proc.stderr + proc.stdout) == []


def test_tls_verification_stays_on(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    with FakeApi(tls=(str(cert), str(key))) as api:
        proc = run_check("--base-url", api.base_url, "--api-key", api.api_key, *LIVE)
        seen = list(api.requests)
    assert proc.returncode == 2, shown(proc)
    assert "TLS verification failed" in proc.stderr and "certificate verify failed" in proc.stderr, shown(proc)
    assert "Traceback" not in proc.stderr, shown(proc)
    assert seen == [], "a request went through an unverified TLS connection"


@pytest.mark.parametrize(("args", "said"), [
    (["--rate-limit", "fast"], "--rate-limit: expected N/min"),
    (["--base-url", "ftp://example.invalid", "--api-key", KEY], "--base-url: expected an http:// or https:// URL"),
    (["--base-url", "http://127.0.0.1:9"], "no API key: pass --api-key or set WOOWUP_API_KEY"),
    (["--base-url", "http://127.0.0.1:9", "--api-key", KEY, "--apiv3-base-url", "api.woowup.com"],
     "--apiv3-base-url: expected an http:// or https:// URL"),
    (["--max-examples", "0"], "must be at least 1"),
    (["--timeout", "0"], "--timeout: must be more than 0 seconds"),
    (["--timeout", "inf"], "--timeout: must be more than 0 seconds"),
    (["--format", "xml"], "invalid choice"),
])
def test_bad_options_exit_2(args: list[str], said: str) -> None:
    proc = run_check(*args)
    assert proc.returncode == 2, shown(proc)
    assert said in proc.stderr, shown(proc)
    assert "Traceback" not in proc.stderr and proc.stdout == "", shown(proc)
    assert _leaks(proc.stderr) == []


def test_the_module_stays_light_until_a_check_runs() -> None:
    code = ("import sys, woowup_contract.endpoints, woowup_contract.plugin_endpoints; "
            "print(sorted(m for m in ('schemathesis', 'hypothesis', 'requests', 'werkzeug') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class _Clock:
    """Stands in for the ``time`` module of the paced session: sleeping advances it, instantly."""

    def __init__(self) -> None:
        import time

        self._time = time
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds

    def __getattr__(self, name: str) -> object:
        return getattr(self._time, name)


def test_requests_are_paced_and_a_429_waits_for_its_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    from woowup_contract.endpoints import Settings, _safety

    clock = _Clock()
    monkeypatch.setattr(_safety, "time", clock)
    with FakeApi(defects={"429-once"}) as api:
        settings = Settings(base_url=api.base_url, api_key=api.api_key, live=True, rate_per_minute=120)
        session = _safety.paced_session(settings, lambda *_: None)
        statuses = [session.request("GET", api.base_url + "/v1/logs",
                                    headers={"Authorization": f"Bearer {api.api_key}"}).status_code
                    for _ in range(3)]
    assert statuses == [200, 200, 200]
    # the 429 waited its Retry-After (1 s), then every request kept 0.5 s (120/min) from the previous one
    assert clock.slept == [1.0, 0.5, 0.5]
    assert session.count == 4
