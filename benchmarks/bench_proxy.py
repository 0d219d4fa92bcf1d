"""What the validating proxy adds to each exchange: the mock called directly and through the proxy, side by side.

    python benchmarks/bench_proxy.py               # 2,000 exchanges per scenario and path
    python benchmarks/bench_proxy.py --quick       # 400

Both servers run as their command lines do (``woowup-contract mock`` and
``woowup-contract proxy --upstream <mock>``), in their own processes, logging to
/dev/null. One client keeps one connection to each (as a connector's HTTP client
does) and sends the same request alternately straight to the mock and through the
proxy, so load on the machine hits both paths alike. The figure is the median
latency through the proxy minus the median straight to the mock, per scenario:

- ``POST /v1/log`` with one realistic valid record (10 branches, benchmarks/data.py);
- ``GET /v1/logs?limit=1`` after 100 records are stored.

The proxy judges each exchange after its answer is sent, so the figure is what the
connector waits for: forwarding, not judging; ``judged`` says every exchange was.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402

KEY = "bench-key-0123456789"
PREFILL = 100
TARGET_MS = 2.0


def start(args: list[str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "woowup_contract", *args, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if "listening on " not in first:
        proc.kill()
        raise SystemExit(f"could not start {' '.join(args)}: {first!r}")
    return proc, int(first.rsplit(":", 1)[1].strip())


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


def timed(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None) -> float:
    headers = {"Authorization": f"Bearer {KEY}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    began = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    answer.read()
    elapsed = time.perf_counter() - began
    if answer.status != 200:
        raise SystemExit(f"{method} {path} answered {answer.status}")
    return elapsed * 1000


def run(quick: bool = False, *, count: int | None = None) -> dict[str, Any]:
    count = count or (400 if quick else 2000)
    rng = random.Random(11)
    record = json.dumps(data.record(rng, invalid=False)).encode()
    mock, mock_port = start(["mock", "--api-key", KEY])
    proxy, proxy_port = start(["proxy", "--upstream", f"http://127.0.0.1:{mock_port}"])
    figures: dict[str, Any] = {"exchanges_per_path": count, "python": platform.python_version(),
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores", "scenarios": {}}
    try:
        direct = http.client.HTTPConnection("127.0.0.1", mock_port, timeout=30)
        through = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=30)
        for _ in range(PREFILL):
            timed(direct, "POST", "/v1/log", record)
        for name, method, path, body in (("POST /v1/log", "POST", "/v1/log", record),
                                         ("GET /v1/logs?limit=1", "GET", "/v1/logs?limit=1", None)):
            for _ in range(50):  # warm both paths (imports, compiled schemas, connections)
                timed(direct, method, path, body)
                timed(through, method, path, body)
            ours: list[float] = []
            straight: list[float] = []
            for i in range(count):
                pair = ((direct, straight), (through, ours)) if i % 2 else ((through, ours), (direct, straight))
                for conn, into in pair:
                    into.append(timed(conn, method, path, body))
            added = statistics.median(ours) - statistics.median(straight)
            figures["scenarios"][name] = {
                "direct_median_ms": round(statistics.median(straight), 3),
                "proxy_median_ms": round(statistics.median(ours), 3),
                "added_median_ms": round(added, 3),
                "direct_p99_ms": round(sorted(straight)[int(len(straight) * 0.99)], 3),
                "proxy_p99_ms": round(sorted(ours)[int(len(ours) * 0.99)], 3),
            }
        direct.close()
        through.close()
    finally:
        report = stop(proxy)
        stop(mock)
    judged = [line for line in report.splitlines() if " exchanges judged" in line]
    figures["judged"] = judged[-1] if judged else "(no report)"
    return figures


def table(figures: dict[str, Any]) -> str:
    lines = ["| scenario | mock direct (median) | through the proxy (median) | added (median) | p99 direct / proxy |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, f in figures["scenarios"].items():
        lines.append(f"| {name} | {f['direct_median_ms']:.2f} ms | {f['proxy_median_ms']:.2f} ms | "
                     f"**{f['added_median_ms']:.2f} ms** | {f['direct_p99_ms']:.2f} / {f['proxy_p99_ms']:.2f} ms |")
    lines.append(f"\n{figures['exchanges_per_path']} exchanges per scenario and path; Python {figures['python']}, "
                 f"{figures['machine']}; proxy report: {figures['judged']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 exchanges per scenario and path")
    parser.add_argument("--count", type=int, default=None, help="exchanges per scenario and path")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.quick, count=args.count)
    print(json.dumps(figures, indent=2) if args.json else table(figures))
    worst = max(f["added_median_ms"] for f in figures["scenarios"].values())
    print(f"\nworst added median: {worst:.2f} ms (target: at most {TARGET_MS:g} ms)")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
