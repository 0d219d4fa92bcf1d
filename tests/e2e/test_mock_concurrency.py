"""16 threads × 100 POSTs at once: nothing lost, nothing duplicated, every record listed
exactly once when the pages are walked, and the stats add up.

The mock runs as ``woowup-contract mock --db FILE`` in its own process (so the writers
and the server do not share one interpreter lock), and the SQLite file is read directly
after a SIGTERM."""

from __future__ import annotations

import http.client
import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

THREADS, POSTS = 16, 100
KEYS = ("writer-key-a", "writer-key-b")


def body(thread: int, n: int) -> bytes:
    return json.dumps({
        "files": [f"t{thread:02d}-{n:03d}.csv"], "processingtime": "2026-11-20T03:15:00Z",
        "stats": {"customers": {"total_created": 1, "total_updated": 0, "total_failed": 0},
                  "purchases": {"total_created": 2, "total_updated": 0, "total_failed": 0, "total_revenue": 5,
                                "total_invoice_items": 3,
                                "per_branches": [{"branch": f"b{thread % 4}", "total_created": 2, "total_updated": 0,
                                                  "total_failed": 0, "total_revenue": 5,
                                                  "total_invoice_items": 3}]}}}).encode()


def writer(base_url: str, thread: int, barrier: threading.Barrier) -> list[int]:
    """POSTs on one keep-alive connection; http.client keeps the client's share of the CPU small."""
    host, port = base_url.rsplit("/", 1)[1].split(":")
    headers = {"Authorization": f"Bearer {KEYS[thread % 2]}", "Content-Type": "application/json"}
    statuses = []
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        barrier.wait()
        for n in range(POSTS):
            conn.request("POST", "/v1/log", body=body(thread, n), headers=headers)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    return statuses


def walk(base_url: str, key: str) -> list[str]:
    names: list[str] = []
    page = 0
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        while True:
            chunk = session.get(base_url + "/v1/logs", params={"page": page, "limit": 100}, timeout=30).json()
            if not chunk:
                return names
            names += [r["files"][0] for r in chunk]
            page += 1


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "mock.sqlite"
    command = [sys.executable, "-m", "woowup_contract", "mock", "--port", "0", "--db", str(db),
               "--api-key", KEYS[0], "--api-key", KEYS[1]]
    with open(tmp_path / "requests.log", "w") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
            assert found, first
            base_url = found.group(1)
            barrier = threading.Barrier(THREADS)
            with ThreadPoolExecutor(THREADS) as pool:
                results = list(pool.map(lambda t: writer(base_url, t, barrier), range(THREADS)))
            assert all(status == 200 for statuses in results for status in statuses)

            for parity, key in enumerate(KEYS):
                names = walk(base_url, key)
                expected = {f"t{t:02d}-{n:03d}.csv" for t in range(parity, THREADS, 2) for n in range(POSTS)}
                assert len(names) == len(expected) == THREADS // 2 * POSTS  # each exactly once
                assert set(names) == expected
                # newest first: each writer's own records come back in reverse order of posting
                for t in range(parity, THREADS, 2):
                    mine = [name for name in names if name.startswith(f"t{t:02d}-")]
                    assert mine == sorted(mine, reverse=True)
                stats = requests.get(base_url + "/apiv3/stats", headers={"Authorization": f"Basic {key}"},
                                     timeout=30).json()
                count = THREADS // 2 * POSTS
                assert (stats["total_customers"], stats["total_purchases"], stats["total_revenue"],
                        stats["total_invoice_items"]) == (count, 2 * count, 5 * count, 3 * count)
                assert sum(b["total_purchases"] for b in stats["per_branches"]) == 2 * count
            journal = requests.get(base_url + "/_mock/journal", timeout=30).json()
            assert sum(1 for e in journal if e["path"] == "/v1/log" and e["valid"]) == THREADS * POSTS
        finally:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    assert "stopped" in out
    # the file alone holds every record, and no key
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == THREADS * POSTS
        assert conn.execute("SELECT COUNT(DISTINCT body) FROM records").fetchone()[0] == THREADS * POSTS
    raw = db.read_bytes()
    assert all(key.encode() not in raw for key in KEYS)
    lines = (tmp_path / "requests.log").read_text().splitlines()
    assert sum(1 for line in lines if " POST /v1/log 200 " in line) == THREADS * POSTS
    assert all(key not in line for line in lines for key in KEYS)
