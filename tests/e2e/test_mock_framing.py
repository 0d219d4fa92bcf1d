"""Request framing a smuggler or a slow client would try, over raw sockets against a
``woowup-contract mock`` process: each probe gets its refusal, another tenant's records
stay intact, and the process' memory (VmRSS) stays bounded."""

from __future__ import annotations

import errno
import http.client
import json
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from woowup_contract.loader import load_registry
from woowup_contract.mock.server import MockServer

ALICE, BOB = "alice-key-123", "bob-key-456"
RECORD = {"files": ["a.csv"], "processingtime": "2026-11-20T03:15:00Z",
          "stats": {"products": {"total_created": 1, "total_updated": 0, "total_failed": 0}}}
RSS_BOUND_KB = 400 * 1024  # generous: the mock idles near 60 MB; the old server reached 864 MB


class MockProcess:
    def __init__(self, tmp_path: Path, *options: str) -> None:
        self.log_path = tmp_path / "mock-stderr.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "woowup_contract", "mock", "--port", "0", "--api-key", ALICE, "--api-key", BOB,
             *options], stdout=subprocess.PIPE, stderr=self.log, text=True)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", first)
        assert found, first
        self.port = int(found.group(1))
        self.base_url = f"http://127.0.0.1:{self.port}"

    def rss_kb(self, field: str = "VmRSS") -> int:
        """VmRSS (resident now) or VmHWM (the peak so far) of the mock process, in kB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]

    def open_files(self) -> int:
        return len(list(Path(f"/proc/{self.process.pid}/fd").iterdir()))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockProcess]:
    m = MockProcess(tmp_path_factory.mktemp("framing"))
    try:
        response = requests.post(m.base_url + "/v1/log", json=RECORD, timeout=10,
                                 headers={"Authorization": f"Bearer {BOB}"})
        assert response.status_code == 200
        yield m
    finally:
        m.stop()


@pytest.fixture(autouse=True)
def nothing_lost(mock: MockProcess) -> Iterator[None]:
    yield
    listed = requests.get(mock.base_url + "/v1/logs", headers={"Authorization": f"Bearer {BOB}"}, timeout=10)
    assert listed.status_code == 200 and len(listed.json()) == 1, "another tenant's record was lost"
    assert mock.rss_kb() < RSS_BOUND_KB


def exchange(port: int, data: bytes, *, more: bytes = b"", repeat: int = 0) -> bytes:
    """Send ``data`` (then ``more`` ``repeat`` times, while the server reads), return all it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        try:
            s.sendall(data)
            for _ in range(repeat):
                s.sendall(more)
            s.shutdown(socket.SHUT_WR)
        except OSError as exc:  # the server refused and closed: what it answered is still readable
            if not isinstance(exc, (BrokenPipeError, ConnectionResetError)) and exc.errno != errno.ENOTCONN:
                raise
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


def statuses(answer: bytes) -> list[int]:
    return [int(m) for m in re.findall(rb"HTTP/1\.[01] (\d{3}) [A-Z]", answer)]  # bodies are JSON: no such text


def head(port: int, method: str, path: str, *lines: str, key: str = ALICE) -> bytes:
    fields = [f"Host: 127.0.0.1:{port}", f"Authorization: Bearer {key}", "Content-Type: application/json", *lines]
    return (f"{method} {path} HTTP/1.1\r\n" + "".join(f + "\r\n" for f in fields) + "\r\n").encode("latin-1")


@pytest.mark.parametrize("path, method", [("/v1/log", "POST"), ("/_mock/faults", "PUT")])
def test_a_negative_chunk_size_is_refused_and_what_follows_is_never_held(mock: MockProcess, path: str,
                                                                          method: str) -> None:
    before = requests.get(mock.base_url + "/_mock/faults", timeout=10).json()
    data = head(mock.port, method, path, "Transfer-Encoding: chunked") + b"-1\r\n"
    answer = exchange(mock.port, data, more=b"x" * (1 << 20), repeat=64)  # up to 64 MiB offered
    assert statuses(answer) == [400], answer[:300]
    assert b"chunk" in answer
    assert requests.get(mock.base_url + "/_mock/faults", timeout=10).json() == before


@pytest.mark.parametrize("size_line", [b"0x3ec\r\n", b"+3ec\r\n", b" 3ec\r\n", b"3ec \r\n", b"3ec\n",
                                       b"-0\r\n", b"1_0\r\n", b"12345678901234567\r\n"])
def test_lenient_chunk_size_lines_are_refused(mock: MockProcess, size_line: bytes) -> None:
    body = json.dumps(RECORD).encode()
    answer = exchange(mock.port, head(mock.port, "POST", "/v1/log", "Transfer-Encoding: chunked")
                      + size_line + body + b"\r\n0\r\n\r\n")
    assert statuses(answer) == [400], answer[:300]


def test_a_bare_lf_after_chunk_data_is_refused(mock: MockProcess) -> None:
    body = json.dumps(RECORD).encode()
    answer = exchange(mock.port, head(mock.port, "POST", "/v1/log", "Transfer-Encoding: chunked")
                      + b"%x\r\n" % len(body) + body + b"\n0\r\n\r\n")
    assert statuses(answer) == [400], answer[:300]


def test_a_strict_chunked_body_is_stored(mock: MockProcess) -> None:
    body = json.dumps(RECORD).encode()
    answer = exchange(mock.port, head(mock.port, "POST", "/v1/log", "Transfer-Encoding: chunked", "Connection: close")
                      + b"%x;ext=1\r\n" % 10 + body[:10] + b"\r\n" + b"%X\r\n" % (len(body) - 10) + body[10:]
                      + b"\r\n0\r\nX-Trailer: 1\r\n\r\n")
    assert statuses(answer) == [200], answer[:300]
    listed = requests.get(mock.base_url + "/v1/logs", headers={"Authorization": f"Bearer {ALICE}"}, timeout=10)
    assert len(listed.json()) >= 1
    requests.post(mock.base_url + "/_mock/reset", timeout=10)  # (bob's record is re-checked below)
    requests.post(mock.base_url + "/v1/log", json=RECORD, headers={"Authorization": f"Bearer {BOB}"}, timeout=10)


@pytest.mark.parametrize("value, status", [(b"\x0bchunked", 400), (b"chunked\xa0", 501), (b"chunked, gzip", 501),
                                           (b"gzip, chunked", 501), (b"Chunked", 200)])
def test_transfer_encoding_must_be_chunked_exactly(mock: MockProcess, value: bytes, status: int) -> None:
    body = json.dumps(RECORD).encode()
    data = head(mock.port, "POST", "/v1/log", "Connection: close").replace(
        b"\r\n\r\n", b"\r\nTransfer-Encoding: " + value + b"\r\n\r\n") + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    answer = exchange(mock.port, data)
    assert statuses(answer) == [status], answer[:300]
    if status == 200:
        requests.post(mock.base_url + "/_mock/reset", timeout=10)
        requests.post(mock.base_url + "/v1/log", json=RECORD, headers={"Authorization": f"Bearer {BOB}"}, timeout=10)


@pytest.mark.parametrize("version, status", [(b"HTTP/1.1x", 400), (b"HTTP/01.1", 400), (b"HTTP/1. 1", 400),
                                             (b"http/1.1", 400), (b"HTTP/1.10", 505), (b"HTTP/2.0", 505)])
def test_the_version_must_be_exact(mock: MockProcess, version: bytes, status: int) -> None:
    answer = exchange(mock.port, b"GET /v1/logs " + version + f"\r\nHost: 127.0.0.1:{mock.port}\r\n\r\n".encode())
    assert statuses(answer) == [status], answer[:300]


def test_content_length_with_an_underscore_does_not_swallow_the_next_request(mock: MockProcess) -> None:
    second = head(mock.port, "GET", "/v1/logs", "Connection: close", key=BOB)
    first = head(mock.port, "POST", "/v1/log", f"Content_Length: {len(second)}")
    answer = exchange(mock.port, first + second)
    assert len(statuses(answer)) == 2, answer  # both answered, as waitress and h11 do
    assert statuses(answer)[1] == 200 and b'"a.csv"' in answer


def test_a_scheme_inside_an_origin_form_path_is_just_a_path(mock: MockProcess) -> None:
    answer = exchange(mock.port, head(mock.port, "POST", "/v1/log/x://y/_mock/reset", "Content-Length: 0",
                                      "Connection: close"))
    assert statuses(answer) == [404], answer[:300]  # and nothing reset: checked by nothing_lost


# -- slow clients ------------------------------------------------------------------------------


SLOW_HEADS = 515     # the scale at which dribbling heads once shut every other client out
HEAD_DEADLINE = 2.0  # --head-timeout for the test (the default is 5 s)


def allow_open_files(needed: int) -> None:
    """Raise this process' soft open-file limit (the mock child inherits it) as far as needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        assert target >= needed, f"ulimit -n allows {hard} open files; this test needs {needed}"


def test_hundreds_of_dribbling_heads_neither_lock_others_out_nor_outlive_the_head_deadline(
        tmp_path: Path) -> None:
    """515 connections each dribbling a request head, one byte at a time: a normal client is
    answered while every one of them is still waiting, then each is cut once its head is
    HEAD_DEADLINE old (408, JSON, closed), and the mock holds no file for them afterwards."""
    allow_open_files(SLOW_HEADS + 256)
    m = MockProcess(tmp_path, "--head-timeout", str(HEAD_DEADLINE))
    slow: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    try:
        files_before = m.open_files()
        for _ in range(SLOW_HEADS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", m.port))
            slow.append(s)
            selector.register(s, selectors.EVENT_WRITE)
        connected = 0
        while connected < SLOW_HEADS:  # every connect completes on loopback (backlog 1024)
            events = selector.select(timeout=30)
            assert events, f"only {connected} of {SLOW_HEADS} connections were accepted"
            for key, _ in events:
                selector.unregister(key.fileobj)
                connected += 1
        dribble = b"GET /v1/logs HTTP/1.1\r\n"
        first_byte_sent = time.monotonic()
        for s in slow:
            s.send(dribble[:1])

        answer = requests.get(m.base_url + "/v1/logs", headers={"Authorization": f"Bearer {BOB}"}, timeout=30)
        assert answer.status_code == 200 and answer.json() == []
        for s in slow:  # answered while every slow head was still open and unanswered
            with pytest.raises(BlockingIOError):
                s.recv(1, socket.MSG_PEEK)

        answers = {s.fileno(): b"" for s in slow}
        closed: dict[int, float] = {}
        for s in slow:
            selector.register(s, selectors.EVENT_READ)
        sent = 1
        give_up = time.monotonic() + 30  # a liveness bound, not a speed claim
        while len(closed) < SLOW_HEADS and time.monotonic() < give_up:
            for key, _ in selector.select(timeout=0.3):
                s = key.fileobj  # type: ignore[assignment]
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                answers[s.fileno()] += data
                if not data:
                    closed[s.fileno()] = time.monotonic()
                    selector.unregister(s)
            if sent < len(dribble):  # one more byte on every head still open
                for s in slow:
                    if s.fileno() not in closed:
                        try:
                            s.send(dribble[sent:sent + 1])
                        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                            pass
                sent += 1
        assert len(closed) == SLOW_HEADS, f"{SLOW_HEADS - len(closed)} slow heads were never cut"
        for fd, data in answers.items():
            assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), data[:200]
            body = json.loads(data.split(b"\r\n\r\n", 1)[1])
            assert body == {"payload": [], "code": "request_timeout",
                            "message": f"the request head took longer than {HEAD_DEADLINE:g} s"}
            assert closed[fd] - first_byte_sent >= HEAD_DEADLINE  # never before the deadline
        assert m.open_files() <= files_before + 2  # the 515 sockets are closed on the mock's side too
        again = requests.get(m.base_url + "/v1/logs", headers={"Authorization": f"Bearer {BOB}"}, timeout=30)
        assert again.status_code == 200
    finally:
        selector.close()
        for s in slow:
            s.close()
        m.stop()
    assert "internal error" not in m.log_path.read_text()


def test_a_silent_connection_is_closed_after_the_idle_timeout(tmp_path: Path) -> None:
    m = MockProcess(tmp_path, "--idle-timeout", "1")
    try:
        with socket.create_connection(("127.0.0.1", m.port), timeout=30) as silent:
            sent_nothing = time.monotonic()
            assert silent.recv(4096) == b""  # closed without an answer: it asked for nothing
            assert time.monotonic() - sent_nothing >= 1.0
        answer = requests.get(m.base_url + "/v1/logs", headers={"Authorization": f"Bearer {BOB}"}, timeout=30)
        assert answer.status_code == 200
    finally:
        m.stop()


@pytest.mark.parametrize("option, value, message", [
    ("--head-timeout", "0", "must be above 0 and finite: '0'"),
    ("--idle-timeout", "inf", "must be above 0 and finite: 'inf'"),
    ("--head-timeout", "soon", "not a number of seconds: 'soon'"),
    ("--journal-bytes", "0", "must be at least 1: '0'"),
])
def test_bad_deadlines_and_budgets_are_usage_errors(option: str, value: str, message: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from woowup_contract.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["mock", option, value])
    assert exited.value.code == 2
    assert f"argument {option}: {message}" in capsys.readouterr().err


def test_connections_past_the_limit_get_503_and_the_others_are_served() -> None:
    with MockServer(load_registry(), api_keys=[ALICE], max_connections=5) as server:
        deadline = time.monotonic() + 20  # the readiness probe's connection is closed, and no longer counted
        while server.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.open_connections == 0
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=20) for _ in range(5)]
        try:
            deadline = time.monotonic() + 20  # connected is not yet accepted: wait until the mock counts all 5
            while server.open_connections < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            if server.open_connections != 5:
                server.check_errors()  # a server thread that died says why
            assert server.open_connections == 5
            answer = exchange(server.port, head(server.port, "GET", "/v1/logs", "Connection: close"))
            assert statuses(answer) == [503], answer[:300]
            body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
            assert body["message"] == "more than 5 connections are open; try again"
            idle[0].sendall(head(server.port, "GET", "/v1/logs", "Connection: close"))  # a held one is served
            assert statuses(idle[0].recv(65536)) == [200]
        finally:
            for s in idle:
                s.close()
        server.check_errors()


def test_idle_connections_wait_without_holding_a_worker() -> None:
    """Idle keep-alive connections sit in cheroot's selector: with 2 threads, 20 idle
    connections leave both free for a request."""
    with MockServer(load_registry(), api_keys=[ALICE], threads=2, head_timeout=30.0) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(20)]
        try:
            response = requests.get(server.base_url + "/v1/logs", headers={"Authorization": f"Bearer {ALICE}"},
                                    timeout=60)
            assert response.status_code == 200
        finally:
            for s in idle:
                s.close()


# -- the admin paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("extra", ["Host: evil.example", "Host: 127.0.0.1:1", "Host: localhost.evil.example",
                                   "Origin: http://evil.example"])
def test_admin_paths_refuse_a_foreign_host_or_origin(mock: MockProcess, extra: str) -> None:
    lines = [f"Host: 127.0.0.1:{mock.port}"] if extra.startswith("Origin") else []
    data = ("POST /_mock/reset HTTP/1.1\r\n" + "".join(f + "\r\n" for f in [*lines, extra])
            + "Content-Length: 0\r\nConnection: close\r\n\r\n").encode()
    answer = exchange(mock.port, data)
    assert statuses(answer) == [403], answer[:300]  # and bob's record is still there (nothing_lost)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_admin_paths_answer_the_mocks_own_names(mock: MockProcess, host: str) -> None:
    answer = exchange(mock.port, f"GET /_mock/health HTTP/1.1\r\nHost: {host}:{mock.port}\r\n"
                                 f"Origin: http://{host}:{mock.port}\r\nConnection: close\r\n\r\n".encode())
    assert statuses(answer) == [200], answer[:300]


def test_an_admin_token_is_required_once_set_and_taken_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOOWUP_MOCK_ADMIN_TOKEN", "admin-secret-1")
    with MockServer(load_registry(), api_keys=[ALICE]) as server:  # started (readiness) with the token
        assert server.admin_token == "admin-secret-1"
        url = server.base_url + "/_mock/journal"
        assert requests.get(url, timeout=10).status_code == 403
        assert requests.get(url, headers={"X-Mock-Admin-Token": "wrong"}, timeout=10).status_code == 403
        assert requests.get(url, headers=server.admin_headers, timeout=10).status_code == 200
        assert "admin-secret-1" not in requests.get(url, timeout=10).text


def test_overlapping_fault_updates_leave_the_body_limit_alone() -> None:
    """A PUT /_mock/faults whose body is still arriving while another one completes: the
    admin body limit never leaks into --max-body."""
    with MockServer(load_registry(), api_keys=[ALICE]) as server:
        plan = json.dumps({"faults": [], "latency": "0ms"}).encode()
        head = (f"PUT /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Content-Length: {len(plan)}\r\nConnection: close\r\n\r\n").encode()
        first, second = (socket.create_connection(("127.0.0.1", server.port), timeout=20) for _ in range(2))
        try:
            first.sendall(head + plan[:5])
            time.sleep(0.5)  # ordering only: the first update is mid-body when the second starts
            second.sendall(head + plan[:5])
            time.sleep(0.5)
            first.sendall(plan[5:])  # the first completes while the second is still reading
            assert first.recv(4096).startswith(b"HTTP/1.1 200 ")
            second.sendall(plan[5:])
            assert second.recv(4096).startswith(b"HTTP/1.1 200 ")
        finally:
            first.close()
            second.close()
        assert server.app.max_body == 1024 * 1024
        big = {**RECORD, "files": [f"file-{i:06d}.csv" for i in range(8000)]}  # ~150 KB, over 64 KiB
        assert len(json.dumps(big)) > 100_000
        response = requests.post(server.base_url + "/v1/log", json=big, timeout=20,
                                 headers={"Authorization": f"Bearer {ALICE}"})
        assert response.status_code == 200, response.text[:300]


# -- the journal's byte budget -------------------------------------------------------------------


def test_the_journal_keeps_to_its_byte_budget_oldest_first_and_pages() -> None:
    budget = 200_000
    with MockServer(load_registry(), api_keys=[ALICE], journal_bytes=budget) as server:
        with requests.Session() as session:
            for i in range(300):  # ~2 KB each: 600 KB offered to a 200 KB budget
                session.get(server.base_url + f"/v1/logs/{i:04d}" + "x" * 2000, timeout=10)
        assert 0 < server.app.journal_bytes <= budget
        entries = requests.get(server.base_url + "/_mock/journal", timeout=10).json()
        seqs = [e["seq"] for e in entries]
        assert seqs[-1] == 300 and seqs[0] > 1 and seqs == list(range(seqs[0], 301))  # the oldest went
        page = requests.get(server.base_url + f"/_mock/journal?after={seqs[0]}&limit=5", timeout=10).json()
        assert [e["seq"] for e in page] == seqs[1:6]
        assert requests.get(server.base_url + "/_mock/journal?limit=0", timeout=10).status_code == 400
        server.check_errors()


JOURNAL_BUDGET = 250_000
# a record with 60 violations (50 are journaled): with a 600-byte query, some 10 KB of journal each
INVALID = json.dumps({**RECORD, "files": list(range(60))}).encode()


def pipelined(port: int, data: bytes) -> list[int]:
    """Requests pipelined on one connection, read while they are sent, then a close; the statuses."""
    data += head(port, "GET", "/_mock/health", "Connection: close")
    answer = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s, selectors.DefaultSelector() as sel:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        view, done = memoryview(data), False
        while not done:
            events = sel.select(timeout=30)
            assert events, "the mock stopped answering"
            for _key, mask in events:
                if mask & selectors.EVENT_WRITE:
                    view = view[s.send(view[:65536]):]
                    if not view:
                        sel.modify(s, selectors.EVENT_READ)
                if mask & selectors.EVENT_READ:
                    chunk = s.recv(65536)
                    answer += chunk
                    done = not chunk
    return statuses(bytes(answer))[:-1]


def test_the_mock_process_memory_keeps_to_the_journal_budget_while_long_requests_pour_in(tmp_path: Path) -> None:
    """Invalid records (50 violations journaled) and GETs with 2 KB paths, each with a 600-byte
    query, three to one, to a mock process with a 250 KB journal budget. Once the budget is crossed,
    1,200 more requests (about 9.7 MB of journal, kept whole) leave its resident memory within a
    few MB of where it was, and GET /_mock/journal, whole and 100 at a time, keeps the peak
    (VmHWM) there too."""
    m = MockProcess(tmp_path, "--journal-bytes", str(JOURNAL_BUDGET))

    def burst(start: int, count: int) -> bytes:
        query = "?entity=" + "q" * 600
        post = head(m.port, "POST", "/v1/log" + query, f"Content-Length: {len(INVALID)}") + INVALID
        return b"".join(post * 3 + head(m.port, "GET", f"/v1/logs/{i:06d}-" + "p" * 2100 + query)
                        for i in range(start, start + count))

    try:
        assert pipelined(m.port, burst(0, 50)) == [400, 400, 400, 404] * 50  # the budget is crossed
        before = m.rss_kb()
        for start in range(50, 350, 50):
            assert pipelined(m.port, burst(start, 50)) == [400, 400, 400, 404] * 50
        after = m.rss_kb()
        Path(f"/proc/{m.process.pid}/clear_refs").write_text("5")  # VmHWM counts from now on
        whole = requests.get(m.base_url + "/_mock/journal", timeout=30).json()
        seqs = [e["seq"] for e in whole]
        assert seqs[-1] == 1400 and seqs == list(range(seqs[0], 1401))  # the newest kept, the oldest dropped
        assert sum(len(e["path"]) + len(e["query"]) for e in whole) < JOURNAL_BUDGET
        assert len(whole[-2]["violations"]) == 50 and len(whole[-1]["path"]) > 2000
        after_seq, paged = 0, 0
        while page := requests.get(m.base_url + f"/_mock/journal?after={after_seq}&limit=100", timeout=30).json():
            paged += len(page)
            after_seq = page[-1]["seq"]
        assert paged == len(whole)
        peak = m.rss_kb("VmHWM")
    finally:
        m.stop()
    print(f"VmRSS {before} -> {after} kB over 1,200 requests; VmHWM while reading the journal {peak} kB")
    assert after - before < 5 * 1024  # kept whole, the journal alone would be some 9,700 kB more
    assert peak - after < 5 * 1024


def test_the_journal_and_the_log_hide_encoded_and_matrix_secrets() -> None:
    lines: list[str] = []
    with MockServer(load_registry(), api_keys=[ALICE]) as server:
        server.log = lines.append
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)  # sends the target as is
        conn.request("GET", "/v1/logs;token=matrix-secret?k%65y=query-secret&limit=1",
                     headers={"Authorization": f"Bearer {ALICE}"})
        assert conn.getresponse().status == 404  # a matrix parameter is no part of WoowUp's paths
        conn.close()
        [entry] = server.journal()
    text = json.dumps(entry) + "\n".join(lines)
    assert "matrix-secret" not in text and "query-secret" not in text
    assert entry["path"].endswith(";token=***") and entry["query"].startswith("k%65y=***")
