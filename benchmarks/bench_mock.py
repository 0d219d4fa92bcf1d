"""The mock server against Stoplight Prism, same load tool, same settings, same run.

    python benchmarks/bench_mock.py                 # 10 s per figure, 3 interleaved runs
    python benchmarks/bench_mock.py --quick         # 5 s, 2 runs
    python benchmarks/bench_mock.py --werkzeug      # also the same app on werkzeug's server

What is measured, with wrk (Debian's ``wrk``; a Lua script sends the POST body and
reports requests, p50 and p99 and every non-2xx answer):

- ``POST /v1/log`` with one realistic valid record (10 branches, from benchmarks/data.py):
  the mock parses it, checks it against the official schema and the strict rules, and
  stores it in SQLite; Prism validates it against the OpenAPI document and answers its
  example.
- ``GET /v1/logs?limit=1``: the mock queries SQLite (100 realistic records stored) and
  answers one record, about the size of Prism's one-record example.
- ``GET /v1/logs``: the documented default page (25 records) from the mock; Prism answers
  the same example as above.

Both servers run as their command lines do (``woowup-contract mock``, ``prism mock`` on the
OpenAPI document of the same contracts), logging to /dev/null. Runs alternate between the
servers so machine load hits both alike; each figure is the median run. Prism is installed
with npm into benchmarks/.venvs/prism (git-ignored) and wrk with apt-get when missing.
``run()`` returns the figures as a dict for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PRISM_DIR = HERE / ".venvs" / "prism"
sys.path.insert(0, str(HERE))

import data  # noqa: E402

KEY = "bench-key-0123456789"
PREFILL = 100
# Prism 5.15 and later need Node 24; 5.14.2 is the last that runs on Node 18-22.
PRISM_FOR_OLD_NODE = "5.14.2"

LUA = """
wrk.method = %(method)s
wrk.body = %(body)s
wrk.headers["Authorization"] = "Bearer %(key)s"
%(content_type)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"bytes\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"non_2xx\\": %%d, \\"socket_errors\\": %%d}\\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""

# the same WSGI app on werkzeug's threaded server, for the reference row
WERKZEUG_SERVER = """
import sys
from werkzeug.serving import WSGIRequestHandler, make_server
from woowup_contract.loader import load_registry
from woowup_contract.mock.app import MockApp
from woowup_contract.mock.store import Store

class Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass

app = MockApp(load_registry(), Store(), [sys.argv[2]])
make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True, request_handler=Quiet).serve_forever()
"""


# -- tools -----------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing: install it (Debian: sudo apt-get install -y wrk)")
    print("installing wrk with apt-get ...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


def node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    try:
        return int(out.lstrip("v").split(".")[0])
    except ValueError:
        return None


def ensure_prism() -> tuple[list[str], str]:
    """The prism command, installed into benchmarks/.venvs/prism on first use, and its version."""
    exe = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not exe.exists():
        major = node_major()
        if major is None or shutil.which("npm") is None:
            if os.geteuid() != 0:
                raise RuntimeError("Node.js and npm are needed for Prism (Debian: apt-get install -y nodejs npm)")
            subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-qq", "nodejs", "npm"], check=True,
                           stdout=subprocess.DEVNULL)
            major = node_major() or 0
        spec = "@stoplight/prism-cli" + ("" if major >= 24 else f"@{PRISM_FOR_OLD_NODE}")
        print(f"installing {spec} into {PRISM_DIR} ...", file=sys.stderr)
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(PRISM_DIR), spec],
                       check=True)
    package = json.loads((PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json").read_text())
    return [str(exe)], str(package["version"])


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/logs", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answered (403 without a key is an answer)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no answer on port {port} within {timeout:g} s")


class Server:
    def __init__(self, name: str, command: list[str], port: int) -> None:
        self.name, self.port = name, port
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        wait_until_up(port, self.process)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_servers(openapi: Path, with_werkzeug: bool) -> dict[str, Server]:
    servers: dict[str, Server] = {}
    port = free_port()
    servers["mock"] = Server("mock", [sys.executable, "-m", "woowup_contract", "mock", "--port", str(port),
                                      "--api-key", KEY], port)
    prism, _ = ensure_prism()
    port = free_port()
    servers["prism"] = Server("prism", prism + ["mock", str(openapi), "--port", str(port), "--host", "127.0.0.1"],
                              port)
    if with_werkzeug:
        port = free_port()
        servers["mock-werkzeug"] = Server("mock-werkzeug", [sys.executable, "-c", WERKZEUG_SERVER, str(port), KEY],
                                          port)
    return servers


def prefill(port: int, records: list[bytes]) -> None:
    for body in records:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/log", data=body, method="POST", headers={
            "Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


# -- load ------------------------------------------------------------------------------------


def lua_script(directory: Path, name: str, method: str, body: bytes | None) -> Path:
    path = directory / f"{name}.lua"
    path.write_text(LUA % {
        "method": json.dumps(method), "body": json.dumps(body.decode()) if body else "nil", "key": KEY,
        "content_type": 'wrk.headers["Content-Type"] = "application/json"' if body else ""})
    return path


def wrk(tool: str, url: str, script: Path, *, seconds: float, connections: int, threads: int) -> dict[str, Any]:
    out = subprocess.run([tool, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw = json.loads(line[len("WRK_JSON "):])
    seconds_run = raw["duration_us"] / 1e6
    return {"rps": raw["requests"] / seconds_run, "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "bytes_per_response": raw["bytes"] / max(raw["requests"], 1), "requests": raw["requests"],
            "non_2xx": raw["non_2xx"], "socket_errors": raw["socket_errors"]}


SCENARIOS = (("POST /v1/log", "POST", "/v1/log"), ("GET /v1/logs?limit=1", "GET", "/v1/logs?limit=1"),
             ("GET /v1/logs", "GET", "/v1/logs"))


def run(quick: bool = False, *, seconds: float | None = None, runs: int | None = None, connections: int = 16,
        threads: int = 1, with_werkzeug: bool = False) -> dict[str, Any]:
    """Measure every scenario on every server, interleaved; the figures as a dict."""
    seconds = seconds or (5.0 if quick else 10.0)
    runs = runs or (2 if quick else 3)
    tool = ensure_wrk()
    _, prism_version = ensure_prism()
    rng = random.Random(7)
    records = [json.dumps(data.record(rng, False)).encode() for _ in range(PREFILL)]
    body = json.dumps(data.record(random.Random(3), False)).encode()
    from woowup_contract.loader import load_registry
    from woowup_contract.openapi import build_openapi

    with tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp:
        work = Path(tmp)
        openapi = work / "openapi.json"
        openapi.write_text(json.dumps(build_openapi(load_registry())))
        scripts = {name: lua_script(work, f"s{i}", method, body if method == "POST" else None)
                   for i, (name, method, _) in enumerate(SCENARIOS)}
        servers = start_servers(openapi, with_werkzeug)
        try:
            prefill(servers["mock"].port, records)
            if "mock-werkzeug" in servers:
                prefill(servers["mock-werkzeug"].port, records)
            samples: dict[str, dict[str, list[dict[str, Any]]]] = {s: {n: [] for n, _, _ in SCENARIOS}
                                                                   for s in servers}
            for server in servers.values():  # warm-up: Node's JIT, SQLite's page cache
                for name, _, path in SCENARIOS:
                    wrk(tool, f"http://127.0.0.1:{server.port}{path}", scripts[name], seconds=2,
                        connections=connections, threads=threads)
            for _ in range(runs):
                for name, _, path in SCENARIOS:
                    for server in servers.values():
                        samples[server.name][name].append(wrk(
                            tool, f"http://127.0.0.1:{server.port}{path}", scripts[name], seconds=seconds,
                            connections=connections, threads=threads))
        finally:
            for server in servers.values():
                server.stop()

    results: dict[str, dict[str, Any]] = {}
    for server_name, by_scenario in samples.items():
        results[server_name] = {}
        for name, values in by_scenario.items():
            ordered = sorted(values, key=lambda v: v["rps"])
            median = ordered[len(ordered) // 2]
            results[server_name][name] = {
                "rps": round(median["rps"], 1),
                "p50_ms": round(median["p50_ms"], 2),
                "p99_ms": round(statistics.median(v["p99_ms"] for v in values), 2),
                "bytes_per_response": round(median["bytes_per_response"]),
                "non_2xx": sum(v["non_2xx"] for v in values),
                "socket_errors": sum(v["socket_errors"] for v in values),
                "rps_runs": [round(v["rps"], 1) for v in values],
            }
    ratios = {name: round(results["mock"][name]["rps"] / results["prism"][name]["rps"], 2)
              for name, _, _ in SCENARIOS}
    return {
        "settings": {"tool": "wrk", "threads": threads, "connections": connections, "seconds": seconds,
                     "runs": runs, "post_body_bytes": len(body), "stored_records": PREFILL},
        "environment": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "node": f"v{node_major()}", "prism": prism_version,
                        "machine": f"{platform.system()} {platform.machine()}"},
        "results": results,
        "mock_vs_prism_rps": ratios,
        "goal": "mock requests/s >= Prism's on POST /v1/log and GET /v1/logs",
    }


def table(figures: dict[str, Any]) -> str:
    s, env = figures["settings"], figures["environment"]
    lines = [
        f"wrk -t{s['threads']} -c{s['connections']} -d{s['seconds']:g}s, median of {s['runs']} interleaved runs; "
        f"{env['cpus']} cores, Python {env['python']}, Node {env['node']}, Prism {env['prism']}; "
        f"POST body {s['post_body_bytes']} bytes; {s['stored_records']} records stored before the GETs.",
        "",
        "| request | server | requests/s | p50 ms | p99 ms | bytes/answer | non-2xx | vs Prism |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, _, _ in SCENARIOS:
        prism = figures["results"]["prism"][name]["rps"]
        for server, by_scenario in figures["results"].items():
            r = by_scenario[name]
            ratio = f"{r['rps'] / prism:.1f}×" if server != "prism" else ""
            lines.append(f"| {name} | {server} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                         f"{r['bytes_per_response']:,} | {r['non_2xx']} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 s per figure, 2 runs")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=None, help="interleaved runs per figure (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default %(default)s)")
    parser.add_argument("--werkzeug", action="store_true", help="also the same app on werkzeug's make_server")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.quick, seconds=args.seconds, runs=args.runs, connections=args.connections,
                  threads=args.threads, with_werkzeug=args.werkzeug)
    print(table(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
