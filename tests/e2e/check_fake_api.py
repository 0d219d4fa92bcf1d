"""A small WoowUp API written for the endpoint-check tests, with switchable defects.

Conforming by default (the contracts' statuses, bodies and auth); each name in
``defects`` breaks one thing the way real servers break, so a test can show that
``woowup-contract check`` catches it. Every request is recorded (method, path,
query, headers) so a test can prove what was — and was not — sent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from woowup_contract import Checker, load_registry

DEFECTS = {
    "wrong-types": "GET /v1/logs returns total_revenue as a string",
    "crash": "GET /v1/logs answers 500 (HTML) when limit is over 50",
    "ignore-auth": "no key and any key are accepted",
    "accept-invalid": "invalid query parameters and invalid bodies are accepted with 200",
    "text-content-type": "GET /apiv3/stats answers with Content-Type text/plain",
    "no-retry-after": "GET /apiv3/stats answers 429 without Retry-After when branch is given",
    "auth-401": "a missing or wrong key gets 401 (the contracts document 403)",
    "forgetful": "POST /v1/log answers 200 but stores nothing",
    "reject-posts": "POST /v1/log refuses every record, valid ones too, with 400",
    "echo-key": "answers repeat the Authorization header they received: in a header, in error messages, "
                "and as the wrong-typed total_revenue",
    "429-once": "the first GET /v1/logs gets 429 with Retry-After: 1",
    "hang-up": "GET /v1/logs?entity=... closes the connection without an answer",
    "slow": "GET /v1/logs?entity=... answers only after 3 seconds",
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^-?\d+$")
_ENTITIES = ("customers", "purchases", "products", "branches")

_checker: Checker | None = None


def _record_checker() -> Checker:
    global _checker
    if _checker is None:
        _checker = Checker(load_registry(), "connectors.log-record")
    return _checker


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (or the hang-up defect) is not worth a traceback on stderr."""


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeApi:
    api_key: str = "fake-key-0000"
    defects: set[str] = field(default_factory=set)
    requests: list[Seen] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tls: tuple[str, str] | None = None  # (certificate file, key file): serve HTTPS
    _served_429: bool = False

    # -- the server ---------------------------------------------------------------------

    def __enter__(self) -> FakeApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                api._serve(self, "GET")

            def do_POST(self) -> None:
                api._serve(self, "POST")

            def do_PUT(self) -> None:
                api._serve(self, "PUT")

            def do_DELETE(self) -> None:
                api._serve(self, "DELETE")

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def methods_seen(self) -> set[str]:
        return {r.method for r in self.requests}

    # -- handling -----------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k: v for k, v in h.headers.items()}
        with self.lock:
            self.requests.append(Seen(method, split.path, split.query, headers, body))
        if split.path == "/v1/logs" and "entity=" in split.query:
            if "hang-up" in self.defects:
                h.close_connection = True
                h.connection.shutdown(2)  # the process "died" mid-request: no status line at all
                return
            if "slow" in self.defects:
                time.sleep(3)
        status, content_type, payload, extra = self._answer(method, split.path, split.query, headers, body)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            h.send_header(name, value)
        if "echo-key" in self.defects:
            h.send_header("X-Seen-Authorization", headers.get("Authorization", ""))
        h.end_headers()
        h.wfile.write(data)

    def _error(self, status: int, message: str, code: str, headers: dict[str, str] | None = None,
               seen: dict[str, str] | None = None) -> tuple[int, str, Any, dict[str, str]]:
        if "echo-key" in self.defects and seen is not None:
            message += f" (you sent Authorization: {seen.get('Authorization', '')})"
        return status, "application/json", {"payload": [], "message": message, "code": code}, headers or {}

    def _authorized(self, path: str, headers: dict[str, str]) -> bool:
        if "ignore-auth" in self.defects:
            return True
        value = headers.get("Authorization", "")
        accepted = {f"Bearer {self.api_key}"}
        if path.startswith("/apiv3/"):
            accepted.add(f"Basic {self.api_key}")
        return value in accepted

    def _answer(self, method: str, path: str, query: str, headers: dict[str, str],
                body: bytes) -> tuple[int, str, Any, dict[str, str]]:
        routes = {("POST", "/v1/log"), ("GET", "/v1/logs"), ("GET", "/apiv3/stats")}
        if path not in {p for _, p in routes}:
            return self._error(404, "not found", "not_found")
        if (method, path) not in routes:
            return self._error(405, "method not allowed", "method_not_allowed")
        if not self._authorized(path, headers):
            if "auth-401" in self.defects:
                return self._error(401, "unauthorized", "unauthorized", seen=headers)
            return self._error(403, "Invalid API key", "forbidden", seen=headers)
        params = parse_qs(query, keep_blank_values=True)
        if path == "/v1/log":
            return self._post(headers, body)
        if path == "/v1/logs":
            return self._list(params, headers)
        return self._stats(params)

    def _post(self, headers: dict[str, str], body: bytes) -> tuple[int, str, Any, dict[str, str]]:
        if headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return self._error(415, "send application/json", "unsupported_media_type")
        try:
            document = json.loads(body)
        except ValueError:
            return self._error(400, "the body is not JSON", "bad_request", seen=headers)
        if "reject-posts" in self.defects:
            return self._error(400, "records are not accepted today", "bad_request", seen=headers)
        if "accept-invalid" not in self.defects:
            result = _record_checker().check_document(document)
            if not result.valid:
                return self._error(400, f"invalid record: {result.errors[0].message}", "bad_request", seen=headers)
        stored = {**document, "createtime": "2024-05-01T10:00:00+00:00"} if isinstance(document, dict) else document
        if "forgetful" not in self.defects:
            with self.lock:
                self.records.append(stored)
        return 200, "application/json", stored, {}

    def _list(self, params: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, str, Any, dict[str, str]]:
        if "429-once" in self.defects and not self._served_429:
            self._served_429 = True
            return self._error(429, "slow down", "too_many_request", {"Retry-After": "1"})
        values: dict[str, str] = {}
        problems = []
        for name in ("entity", "page", "limit", "from", "to"):
            got = params.get(name)
            if got is None:
                continue
            if len(got) > 1:
                problems.append(f"{name} given twice")
                continue
            values[name] = got[0]
        page, limit = 0, 25
        if "page" in values:
            if _INT.match(values["page"]) and int(values["page"]) >= 0:
                page = int(values["page"])
            else:
                problems.append("page must be a whole number from 0")
        if "limit" in values:
            if _INT.match(values["limit"]) and 1 <= int(values["limit"]) <= 100:
                limit = int(values["limit"])
            else:
                problems.append("limit must be 1 to 100")
        if "entity" in values and values["entity"] not in _ENTITIES:
            problems.append("entity must be one of " + ", ".join(_ENTITIES))
        for name in ("from", "to"):
            if name in values and not _is_date(values[name]):
                problems.append(f"{name} must be YYYY-MM-DD")
        if problems and "accept-invalid" not in self.defects:
            return self._error(400, "; ".join(problems), "bad_request")
        if "crash" in self.defects and limit > 50:
            return 500, "text/html", b"<html><body>Internal Server Error</body></html>", {}
        with self.lock:
            records = list(reversed(self.records))
        if "entity" in values and values["entity"] in _ENTITIES:
            records = [r for r in records if isinstance(r.get("stats"), dict) and values["entity"] in r["stats"]]
        page_items = records[page * limit:(page + 1) * limit] if page < 10**6 else []
        if "wrong-types" in self.defects:
            text = headers.get("Authorization", "") if "echo-key" in self.defects else None
            page_items = [_revenue_as_text(r, text) for r in page_items] or [_revenue_as_text(_SAMPLE, text)]
        return 200, "application/json", page_items, {}

    def _stats(self, params: dict[str, list[str]]) -> tuple[int, str, Any, dict[str, str]]:
        if "no-retry-after" in self.defects and "branch" in params:
            return self._error(429, "slow down", "too_many_request")
        for name in ("from", "to"):
            got = params.get(name)
            if got is not None and (len(got) > 1 or not _is_date(got[0])) and "accept-invalid" not in self.defects:
                return self._error(400, f"{name} must be YYYY-MM-DD", "bad_request")
        branch = params.get("branch", [None])[0]
        totals = {"total_customers": 0, "total_purchases": 0, "total_revenue": 0, "total_invoice_items": 0}
        branches: dict[str, dict[str, Any]] = {}
        with self.lock:
            records = list(self.records)
        for record in records:
            stats = record.get("stats") if isinstance(record, dict) else None
            if not isinstance(stats, dict):
                continue
            customers = stats.get("customers") if isinstance(stats.get("customers"), dict) else {}
            purchases = stats.get("purchases") if isinstance(stats.get("purchases"), dict) else {}
            for entity, fields in ((customers, {"total_created": "total_customers"}),
                                   (purchases, {"total_created": "total_purchases", "total_revenue": "total_revenue",
                                                "total_invoice_items": "total_invoice_items"})):
                for per in entity.get("per_branches") or []:
                    if not isinstance(per, dict) or not isinstance(per.get("branch"), str):
                        continue
                    row = branches.setdefault(per["branch"], {"branch": per["branch"], **{k: 0 for k in totals}})
                    for src, dst in fields.items():
                        if type(per.get(src)) is int:
                            row[dst] += per[src]
                if branch is None:
                    for src, dst in fields.items():
                        if type(entity.get(src)) is int:
                            totals[dst] += entity[src]
        rows = [r for r in branches.values() if branch is None or r["branch"] == branch]
        if branch is not None:
            for r in rows:
                for k in totals:
                    totals[k] += r[k]
        content_type = "text/plain" if "text-content-type" in self.defects else "application/json"
        return 200, content_type, {**totals, "per_branches": rows}, {}


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_SAMPLE = {
    "files": ["customers.csv"], "processingtime": "2024-05-01T10:00:00+00:00",
    "createtime": "2024-05-01T10:00:00+00:00",
    "stats": {"purchases": {"total_created": 1, "total_updated": 0, "total_failed": 0, "total_revenue": 100,
                            "total_invoice_items": 1, "per_branches": []}},
}


def _revenue_as_text(record: dict[str, Any], text: str | None) -> dict[str, Any]:
    out = json.loads(json.dumps(record))
    purchases = out.setdefault("stats", {}).setdefault("purchases", dict(_SAMPLE["stats"]["purchases"]))
    purchases["total_revenue"] = text if text is not None else str(purchases.get("total_revenue", 100))
    return out


# -- running the CLI -------------------------------------------------------------------------

FAST = ("--max-examples", "3", "--seed", "1")


def run_check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``woowup-contract check ARGS`` in this process, with its own streams (``run_in_process``);
    WOOWUP_API_KEY only when ``env`` sets it."""
    from tests.conftest import run_in_process

    run = run_in_process(("check", *args), env=env, unset=("WOOWUP_API_KEY",))
    return subprocess.CompletedProcess(list(run.args), run.returncode, run.stdout, run.stderr)


def run_check_process(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
                      stderr: Any = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """``woowup-contract check ARGS`` as a real process (its stderr a terminal, say);
    WOOWUP_API_KEY only when ``env`` sets it."""
    environment = {k: v for k, v in os.environ.items() if k != "WOOWUP_API_KEY"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "woowup_contract", "check", *args],
                          stdout=subprocess.PIPE, stderr=stderr, text=True, env=environment, timeout=timeout)


def shown(proc: subprocess.CompletedProcess[str]) -> str:
    """Everything the process said, for assertion messages."""
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
