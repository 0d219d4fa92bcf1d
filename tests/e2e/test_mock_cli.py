"""``woowup-contract mock`` as a subprocess, and ``--db`` restarts: the printed key, one log
line per request, SIGTERM and SIGINT shutdowns with the SQLite file intact, usage errors."""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO, Iterator

import pytest
import requests

from woowup_contract.loader import load_registry
from woowup_contract.mock.server import MockServer

RECORD = {"files": ["a.csv"], "processingtime": "2026-11-20T03:15:00Z",
          "stats": {"products": {"total_created": 1, "total_updated": 0, "total_failed": 0}}}


class Mock:
    """A running ``woowup-contract mock`` process and what it printed at start."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.log_path = tmp_path / f"stderr-{len(list(tmp_path.glob('stderr-*')))}.log"
        self._log: IO[str] = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "woowup_contract", "mock", "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=self._log, text=True)
        assert self.process.stdout is not None
        self.banner: list[str] = []
        for line in self.process.stdout:
            self.banner.append(line)
            if line.startswith("  stop with"):
                break
        text = "".join(self.banner)
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        assert found, text + self.log_path.read_text()
        self.base_url = found.group(1)
        key = re.search(r"API key \(generated, shown once\): (\S+)", text)
        self.generated_key = key.group(1) if key else None

    def stop(self, signum: int = signal.SIGTERM) -> str:
        self.process.send_signal(signum)
        out, _ = self.process.communicate(timeout=30)
        self._log.close()
        return out

    @property
    def stderr(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[Mock]]:
    mocks: list[Mock] = []
    yield mocks
    for m in mocks:
        if m.process.poll() is None:
            m.stop()


def run(tmp_path: Path, started: list[Mock], *args: str) -> Mock:
    m = Mock(tmp_path, *args)
    started.append(m)
    return m


def post(base_url: str, key: str, files: list[str]) -> requests.Response:
    return requests.post(base_url + "/v1/log", json={**RECORD, "files": files},
                         headers={"Authorization": f"Bearer {key}"}, timeout=10)


def names(base_url: str, key: str) -> list[str]:
    response = requests.get(base_url + "/v1/logs", params={"limit": 100}, headers={"Authorization": f"Bearer {key}"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return [r["files"][0] for r in response.json()]


def test_without_a_key_one_is_generated_and_printed_once(tmp_path: Path, started: list[Mock]) -> None:
    m = run(tmp_path, started)
    key = m.generated_key
    assert key and key.startswith("mock_")
    assert post(m.base_url, key, ["x.csv"]).status_code == 200
    assert requests.get(m.base_url + "/v1/logs", headers={"Authorization": "Bearer other"}, timeout=10
                        ).status_code == 403
    out = m.stop()
    assert m.process.returncode == 0
    assert "".join(m.banner).count(key) == 1 and key not in out and key not in m.stderr


def test_one_log_line_per_request_and_no_key_in_it(tmp_path: Path, started: list[Mock]) -> None:
    m = run(tmp_path, started, "--api-key", "secret-key-1")
    assert "secret-key-1" not in "".join(m.banner) and "API keys: 1 given" in "".join(m.banner)
    post(m.base_url, "secret-key-1", ["a.csv"])
    requests.post(m.base_url + "/v1/log", json={"files": 1}, headers={"Authorization": "Bearer secret-key-1"},
                  timeout=10)
    requests.get(m.base_url + "/v1/logs?limit=2&api_key=secret-key-1", headers={"Authorization": "Bearer nope"},
                 timeout=10)
    requests.get(m.base_url + "/nowhere", timeout=10)
    requests.get(m.base_url + "/_mock/journal", timeout=10)  # admin: not a WoowUp request, not logged
    m.stop()
    lines = m.stderr.splitlines()
    assert len(lines) == 4, lines
    assert " POST /v1/log 200 " in lines[0] and lines[0].endswith(" valid")
    assert " POST /v1/log 400 " in lines[1] and "invalid (" in lines[1]
    assert " GET /v1/logs?limit=2&api_key=*** 403 " in lines[2]
    assert " GET /nowhere 404 " in lines[3]
    assert all("secret-key-1" not in line for line in lines)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_records_survive_a_restart_with_db(tmp_path: Path, started: list[Mock], signum: int) -> None:
    db = tmp_path / "records.sqlite"
    m = run(tmp_path, started, "--db", str(db), "--api-key", "k1", "--api-key", "k2")
    for n in range(5):
        assert post(m.base_url, "k1", [f"r{n}.csv"]).status_code == 200
    assert post(m.base_url, "k2", ["other.csv"]).status_code == 200
    out = m.stop(signum)
    assert m.process.returncode == 0 and f"stopped; records kept in {db}" in out
    # the file is complete on its own: a clean shutdown checkpoints the WAL
    assert not Path(str(db) + "-wal").exists() or Path(str(db) + "-wal").stat().st_size == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 6
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    again = run(tmp_path, started, "--db", str(db), "--api-key", "k1", "--api-key", "k2")
    assert names(again.base_url, "k1") == [f"r{n}.csv" for n in range(4, -1, -1)]
    assert names(again.base_url, "k2") == ["other.csv"]
    assert post(again.base_url, "k1", ["r5.csv"]).status_code == 200
    assert names(again.base_url, "k1")[0] == "r5.csv"  # still newest first across the restart
    again.stop()


def test_a_new_key_on_an_old_db_sees_nothing(tmp_path: Path, started: list[Mock]) -> None:
    db = tmp_path / "records.sqlite"
    m = run(tmp_path, started, "--db", str(db), "--api-key", "k1")
    post(m.base_url, "k1", ["a.csv"])
    m.stop()
    other = run(tmp_path, started, "--db", str(db), "--api-key", "k9")
    assert names(other.base_url, "k9") == []
    other.stop()


def test_the_python_api_keeps_records_in_a_db_file_across_servers(tmp_path: Path) -> None:
    db = str(tmp_path / "py.sqlite")
    registry = load_registry()
    first = MockServer(registry, api_keys=["k1"], db=db).start()
    try:
        post(first.base_url, "k1", ["one.csv"])
        post(first.base_url, "k1", ["two.csv"])
    finally:
        first.close()
    second = MockServer(registry, api_keys=["k1"], db=db).start()
    try:
        assert [r["files"][0] for r in second.records()] == ["two.csv", "one.csv"]
        assert names(second.base_url, "k1") == ["two.csv", "one.csv"]
    finally:
        second.close()


def test_faults_from_the_command_line(tmp_path: Path, started: list[Mock]) -> None:
    m = run(tmp_path, started, "--api-key", "k1", "--fault", "503:1", "--latency", "1ms", "--seed", "3")
    assert "fault 503:1" in "".join(m.banner) and "latency 1ms" in "".join(m.banner)
    response = post(m.base_url, "k1", ["a.csv"])
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    requests.delete(m.base_url + "/_mock/faults", timeout=10)
    assert post(m.base_url, "k1", ["a.csv"]).status_code == 200
    m.stop()


def test_the_rate_limit_from_the_command_line(tmp_path: Path, started: list[Mock]) -> None:
    m = run(tmp_path, started, "--api-key", "k1", "--rate-limit", "2/min")
    assert [post(m.base_url, "k1", ["a.csv"]).status_code for _ in range(3)] == [200, 200, 429]
    m.stop()


def test_envelope_and_max_body_from_the_command_line(tmp_path: Path, started: list[Mock]) -> None:
    m = run(tmp_path, started, "--api-key", "k1", "--envelope", "--max-body", "100")
    stats = requests.get(m.base_url + "/apiv3/stats", headers={"Authorization": "Basic k1"}, timeout=10).json()
    assert stats["code"] == "ok" and stats["payload"]["per_branches"] == []
    assert post(m.base_url, "k1", ["a" * 200 + ".csv"]).status_code == 413
    m.stop()


@pytest.mark.parametrize("args, phrase", [
    (["--fault", "700:0.1"], "from 400 to 599"),
    (["--fault", "503"], "STATUS:PROBABILITY"),
    (["--fault", "503:0.7", "--fault", "500:0.7"], "more than 1"),
    (["--latency", "5"], "duration"),
    (["--rate-limit", "lots"], "N/min"),
    (["--api-key", "has space"], "without spaces"),
    (["--db", "/nonexistent-dir/x/y.sqlite"], "cannot open --db"),
])
def test_bad_options_are_usage_errors(args: list[str], phrase: str) -> None:
    result = subprocess.run([sys.executable, "-m", "woowup_contract", "mock", "--port", "0", *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result
    assert phrase in result.stderr and "Traceback" not in result.stderr


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "woowup_contract", "mock", "--port", str(port)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_it_binds_to_127_0_0_1_by_default(tmp_path: Path, started: list[Mock]) -> None:
    m = run(tmp_path, started, "--api-key", "k1")
    port = int(m.base_url.rsplit(":", 1)[1])
    listening = [line for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"]
    assert [line.split()[1] for line in listening] == [f"0100007F:{port:04X}"]
    m.stop()


def test_the_journal_over_http_from_a_cli_mock(tmp_path: Path, started: list[Mock]) -> None:
    m = run(tmp_path, started, "--api-key", "k1")
    post(m.base_url, "k1", ["a.csv"])
    journal = requests.get(m.base_url + "/_mock/journal", timeout=10).json()
    assert [(e["method"], e["path"], e["status"], e["valid"]) for e in journal] == [("POST", "/v1/log", 200, True)]
    assert "k1" not in json.dumps(journal)
    m.stop()


def _mock_exit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "woowup_contract", "mock", "--port", "0", *args],
                          capture_output=True, text=True, timeout=60)


def test_another_applications_sqlite_file_is_refused_without_changing_a_byte(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "crm.sqlite"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
                     "INSERT INTO customers (name) VALUES ('Ana');")
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    done = _mock_exit("--db", str(path))
    assert done.returncode == 2, done.stderr
    assert "another application's SQLite database (tables: customers)" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.sqlite"]  # no -wal, no -shm


def test_a_records_table_of_another_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, payload BLOB)")
    db.close()
    done = _mock_exit("--db", str(path))
    assert done.returncode == 2 and "another application's SQLite database" in done.stderr


@pytest.mark.parametrize("name, phrase", [("not-sqlite.db", "not a SQLite database"),
                                          ("missing/dir/mock.db", "does not exist"),
                                          (".", "is a directory")])
def test_a_db_the_mock_cannot_use_exits_2_at_start(tmp_path: Path, name: str, phrase: str) -> None:
    (tmp_path / "not-sqlite.db").write_text("just text, not a database\n" * 10)
    done = _mock_exit("--db", str(tmp_path / name))
    assert done.returncode == 2, done.stderr
    assert phrase in done.stderr and "cannot open --db" in done.stderr
    assert (tmp_path / "not-sqlite.db").read_text() == "just text, not a database\n" * 10


def test_kill_9_during_write_bursts_loses_no_acknowledged_write(tmp_path: Path, started: list[Mock]) -> None:
    import threading

    db = tmp_path / "records.sqlite"
    m = run(tmp_path, started, "--db", str(db), "--api-key", "burst-key-1")
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def writer(n: int) -> None:
        with requests.Session() as session:
            for i in range(400):
                name = f"w{n}-{i}.csv"
                try:
                    response = session.post(m.base_url + "/v1/log", json={**RECORD, "files": [name]},
                                            headers={"Authorization": "Bearer burst-key-1"}, timeout=10)
                except requests.RequestException:
                    return  # the process is gone
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(name)
                        if len(acknowledged) >= 200:
                            enough.set()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    enough.wait(120)
    m.process.kill()  # SIGKILL in the middle of the bursts
    m.process.wait(30)
    for t in threads:
        t.join(60)
    assert len(acknowledged) >= 200
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {json.loads(body)["files"][0] for (body,) in con.execute("SELECT body FROM records")}
    finally:
        con.close()
    assert set(acknowledged) <= stored
