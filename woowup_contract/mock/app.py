"""The mock's WSGI application: the WoowUp endpoints, built from their contracts.

Paths, methods, auth schemes and parameter defaults, limits and enums come from
the endpoint contracts (``connectors.post-log``, ``connectors.list-logs``,
``apiv3.account-stats``); request bodies are judged by the same Checker as
``validate``. Every error answers in the API v3 envelope
``{"payload": ..., "message": ..., "code": ...}``. A plain WSGI callable with
no framework, so it runs under any WSGI server and stays fast.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from http import HTTPStatus
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import parse_qsl

from ..checker import Checker
from ..loader import Registry
from ..masking import Masker, mask_generic
from ..model import Parameter, Violation
from ..report import format_violation
from ..sources import payload_from_bytes
from .faults import DEFAULT_RETRY_AFTER, RETRY_AFTER_STATUSES, FaultInjector, FaultPlan, check_status, make_plan
from .store import ListQuery, StatsQuery, Store

ENDPOINT_CONTRACTS: tuple[str, ...] = ("connectors.post-log", "connectors.list-logs", "apiv3.account-stats")
RECORD_CONTRACT = "connectors.log-record"
ADMIN_PREFIX = "/_mock/"
FAULT_HEADER = "HTTP_X_MOCK_FAULT"
ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"
ADMIN_TOKEN_ENV = "WOOWUP_MOCK_ADMIN_TOKEN"
JOURNAL_SIZE = 100_000               # entries kept at most
JOURNAL_BYTES = 32 * 1024 * 1024     # and bytes of their text at most: the oldest go first
_ENTRY_OVERHEAD = 220                # bytes an entry costs beside its strings (tuple, floats, ints, str headers)
_VIOLATION_OVERHEAD = 180            # and each violation it keeps, beside its pointer's and rule's text
_JOURNAL_PAGE = 500                  # entries per piece of a streamed GET /_mock/journal

# the API v3 error codes (``too_many_request`` is WoowUp's spelling)
ERROR_CODES: dict[int, str] = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    408: "request_timeout", 409: "conflict", 411: "length_required", 413: "payload_too_large",
    414: "uri_too_long", 431: "header_fields_too_large", 505: "http_version_not_supported",
    415: "unsupported_media_type", 422: "unprocessable_entity", 429: "too_many_request",
    500: "internal_error", 501: "not_implemented", 502: "bad_gateway", 503: "service_unavailable",
    504: "gateway_timeout",
}
# contract auth scheme → the word in the Authorization header
_SCHEME_WORDS = {"bearer": "bearer", "basic-raw-key": "basic"}
_SCHEME_HINTS = {"bearer": "Bearer <API key>", "basic-raw-key": "Basic <API key>"}
_JSON = ("Content-Type", "application/json")
_DIGITS = re.compile(r"^[0-9]+$")
_SIGNED = re.compile(r"^-[0-9]+$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MAX_QUERY_FIELDS = 64
_ADMIN_MAX_BODY = 64 * 1024


def _reason(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def error_code(status: int) -> str:
    return ERROR_CODES.get(status, "server_error" if status >= 500 else "error")


@dataclass
class Reply:
    """What one request gets, plus what the journal keeps about it."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    code: str = "ok"
    valid: bool | None = None
    violations: tuple[Violation, ...] = ()
    fault: str | None = None
    stream: Iterable[bytes] | None = None  # a body sent piece by piece (chunked), instead of ``body``


def envelope(payload: Any, message: str, code: str) -> bytes:
    return json.dumps({"payload": payload, "message": message, "code": code}).encode("ascii")


def error_reply(status: int, message: str, payload: Any = None, headers: Iterable[tuple[str, str]] = (),
                code: str | None = None) -> Reply:
    code = code or error_code(status)
    return Reply(status, envelope([] if payload is None else payload, message, code), list(headers), code=code)


class BadParameters(Exception):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(p["message"] for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Route:
    contract_id: str
    method: str
    path: str
    schemes: frozenset[str]
    scheme_hint: str
    parameters: dict[str, Parameter]
    handler: Callable[[dict[str, Any], int, dict[str, Any]], Reply]


def _saturate(digits: str) -> int:
    """A whole number from a digit string of any length (no int() digit limit); huge → 2**63."""
    digits = digits.lstrip("0") or "0"
    return 2 ** 63 if len(digits) > 19 else int(digits)


def parse_parameter(param: Parameter, raw: str) -> Any:
    """One query value checked against its contract; ValueError says what is wrong, naming it."""
    name = param.name
    if param.type == "integer":
        if _DIGITS.match(raw):
            value = _saturate(raw)
        elif _SIGNED.match(raw):
            value = -_saturate(raw[1:])
        else:
            raise ValueError(f"{name} must be a whole number")
        if param.minimum is not None and value < param.minimum:
            raise ValueError(f"{name} must be at least {param.minimum}")
        if param.maximum is not None and value > param.maximum:
            raise ValueError(f"{name} must be at most {param.maximum}")
        return value
    if param.enum is not None and raw not in param.enum:
        raise ValueError(f"{name} must be one of {', '.join(param.enum)}")
    if param.format == "date":
        try:
            if not _DATE.match(raw):
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{name} must be a date, YYYY-MM-DD") from None
    return raw


def redact_query(query: str) -> str:
    """The query string with values of secret-looking names hidden, for logs and the journal."""
    if not query:
        return ""
    return mask_generic("?" + "&".join(query.split("&")[:_MAX_QUERY_FIELDS]))[1:][:512]


def printable(text: str, limit: int = 512) -> str:
    """Control characters escaped so a hostile path cannot forge log lines."""
    out = text[:limit]
    if not out.isprintable():  # the common case skips the per-character walk
        out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in out)
    return out + ("..." if len(text) > limit else "")


class MockApp:
    """The WSGI callable: routes, auth, validation, storage, faults and the journal."""

    def __init__(self, registry: Registry, store: Store, api_keys: Sequence[str], *, envelope: bool = False,
                 max_body: int = 1024 * 1024, plan: FaultPlan | None = None, seed: int | None = None,
                 log: Callable[[str], None] | None = None, journal_size: int = JOURNAL_SIZE,
                 admin_token: str | None = None, host: str = "127.0.0.1",
                 journal_bytes: int = JOURNAL_BYTES) -> None:
        if not api_keys:
            raise ValueError("the mock needs at least one API key")
        self.registry = registry
        self.store = store
        self.api_keys = tuple(api_keys)
        self._key_bytes = tuple(k.encode("utf-8") for k in self.api_keys)
        self.envelope = envelope
        self.max_body = max_body
        self.log = log
        self.faults = FaultInjector(plan or FaultPlan(), seed)
        self.checker = Checker(registry, RECORD_CONTRACT)
        self._journal: deque[tuple[Any, ...]] = deque()
        self._journal_size = journal_size
        self._journal_budget = journal_bytes
        self._journal_bytes = 0
        self._journal_lock = threading.Lock()
        self._admin_lock = threading.Lock()  # admin changes are whole: no lost updates
        self.admin_token = admin_token or None
        self._mask = Masker(*self.api_keys, self.admin_token)  # the journal and the log never hold a key
        self._own_hosts = own_host_names(host)
        self._seq = 0
        self.errors: list[BaseException] = []
        self._routes = self._build_routes()

    # -- routing -------------------------------------------------------------------

    def _build_routes(self) -> dict[str, Route]:
        handlers = {"connectors.post-log": self._post_log, "connectors.list-logs": self._list_logs,
                    "apiv3.account-stats": self._stats}
        routes: dict[str, Route] = {}
        for contract_id in ENDPOINT_CONTRACTS:
            endpoint = self.registry.get(contract_id).endpoint
            if endpoint is None:
                raise ValueError(f"{contract_id} is not an endpoint contract")
            schemes = endpoint.auth.schemes if endpoint.auth is not None else ("bearer",)
            routes[endpoint.path] = Route(
                contract_id, endpoint.method, endpoint.path,
                frozenset(_SCHEME_WORDS[s] for s in schemes),
                " or ".join(_SCHEME_HINTS[s] for s in schemes),
                {p.name: p for p in endpoint.parameters if p.location == "query"},
                handlers[contract_id],
            )
        return routes

    @property
    def routes(self) -> dict[str, Route]:
        return dict(self._routes)

    # -- WSGI ------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith(ADMIN_PREFIX):
            try:
                reply = self._admin(environ, method, path)
            except Exception as exc:  # a bug: answer, keep it for the caller
                reply = self._crash(exc)
        else:
            try:
                reply = self._handle(environ, method, path)
            except Exception as exc:
                reply = self._crash(exc)
            self._record(environ, method, path, reply, started)
        if reply.stream is not None:
            start_response(_reason(reply.status), [_JSON, *reply.headers])
            return [] if method == "HEAD" else reply.stream  # type: ignore[return-value]
        headers = [_JSON, ("Content-Length", str(len(reply.body))), *reply.headers]
        start_response(_reason(reply.status), headers)
        return [] if method == "HEAD" else [reply.body]

    def keep_error(self, exc: BaseException) -> None:
        """Keep an error met while serving, for ``MockServer.check_errors`` (the first 100)."""
        with self._journal_lock:
            if len(self.errors) < 100:
                self.errors.append(exc)
        if self.log is not None:
            self.log(f"internal error: {type(exc).__name__}: {printable(str(exc), 300)}")

    def take_errors(self) -> list[BaseException]:
        """The kept errors, forgotten as they are handed over."""
        with self._journal_lock:
            errors, self.errors = self.errors, []
        return errors

    def _crash(self, exc: BaseException) -> Reply:
        self.keep_error(exc)
        return error_reply(500, f"internal error in the mock ({type(exc).__name__}); it is kept for "
                                "MockServer.check_errors()")

    def _handle(self, environ: dict[str, Any], method: str, path: str) -> Reply:
        route = self._routes.get(path)
        if route is None:
            return error_reply(404, f"no such endpoint: {printable(path, 200)}")
        if method != route.method:
            return error_reply(405, f"{route.path} accepts {route.method} only", headers=[("Allow", route.method)])
        plan = self.faults.plan
        if plan.latency:
            time.sleep(plan.latency)
        forced = environ.get(FAULT_HEADER)
        if forced is not None:
            try:
                if not forced.strip().isdigit():
                    raise ValueError
                status = check_status(int(forced.strip()))
            except ValueError:
                return error_reply(400, "X-Mock-Fault must be an HTTP status from 400 to 599, such as 503")
            return self._fault(status, "header")
        drawn = self.faults.draw()
        if drawn is not None:
            return self._fault(drawn, "random")
        account = self._authenticate(environ, route)
        if isinstance(account, Reply):
            return account
        wait = self.faults.throttle(account)
        if wait is not None:
            reply = error_reply(429, f"rate limit of {plan.rate_limit} exceeded; retry after {wait} s",
                                headers=[("Retry-After", str(wait))])
            reply.fault = "rate-limit"
            return reply
        try:
            query = self._query(environ, route)
        except BadParameters as exc:
            return error_reply(400, f"invalid query: {exc}", {"errors": exc.problems})
        return route.handler(environ, account, query)

    def _fault(self, status: int, how: str) -> Reply:
        headers = [("Retry-After", str(DEFAULT_RETRY_AFTER))] if status in RETRY_AFTER_STATUSES else []
        reply = error_reply(status, f"injected fault {status} (mock, {how})", headers=headers)
        reply.fault = how
        return reply

    def _authenticate(self, environ: dict[str, Any], route: Route) -> int | Reply:
        """The account (index of the key) or a 403; never echoes what was sent."""
        header = environ.get("HTTP_AUTHORIZATION")
        if not header or not header.strip():
            return error_reply(403, f"missing API key: send Authorization: {route.scheme_hint}")
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() not in route.schemes:
            return error_reply(403, f"this Authorization scheme is not accepted here: send {route.scheme_hint}")
        sent = credentials.strip().encode("latin-1", "replace")
        found = -1
        for index, key in enumerate(self._key_bytes):  # no early exit: time does not say which key
            if hmac.compare_digest(sent, key) and found < 0:
                found = index
        if found < 0:
            return error_reply(403, "invalid API key")
        return found

    def _query(self, environ: dict[str, Any], route: Route) -> dict[str, Any]:
        """The declared query parameters, checked; unknown names are ignored like a real API does."""
        raw = environ.get("QUERY_STRING", "")
        try:
            pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=_MAX_QUERY_FIELDS)
        except ValueError:
            raise BadParameters([{"parameter": "", "message": "too many query parameters"}]) from None
        seen: dict[str, str] = {}
        problems: list[dict[str, str]] = []
        for name, value in pairs:
            if name not in route.parameters:
                continue
            if name in seen:
                problems.append({"parameter": name, "message": f"{name} is given more than once"})
            seen[name] = value
        values: dict[str, Any] = {}
        for name, param in route.parameters.items():
            if name not in seen:
                values[name] = param.default
                continue
            try:
                values[name] = parse_parameter(param, seen[name])
            except ValueError as exc:
                problems.append({"parameter": name, "message": str(exc)})
        if problems:
            raise BadParameters(problems)
        return values

    # -- endpoints -----------------------------------------------------------------

    def _post_log(self, environ: dict[str, Any], account: int, query: dict[str, Any]) -> Reply:
        media = environ.get("CONTENT_TYPE", "")
        kind, *params = [p.strip().lower() for p in media.split(";")]
        if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
            return error_reply(415, "send the record as Content-Type: application/json")
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
                return error_reply(415, "the record must be UTF-8 JSON (charset=utf-8)")
        data = self._read_body(environ)
        if isinstance(data, Reply):
            return data
        payload = payload_from_bytes("request body", data)
        if payload.error is not None:
            err = payload.error
            where = f" (line {err.line}, column {err.column})" if err.line is not None else ""
            reply = error_reply(400, f"the body is not a JSON document: {err.message}{where}",
                                {"errors": [err.to_dict()]})
            reply.valid, reply.violations = False, (err,)
            return reply
        try:
            result = self.checker.check(payload)
        except RecursionError:
            return error_reply(400, "the body is nested too deeply to check")
        if not result.valid:
            errors = result.errors
            reply = error_reply(
                400, f"the record breaks {RECORD_CONTRACT}: {len(errors)} error{'s' if len(errors) != 1 else ''}, "
                     f"first {format_violation(errors[0], hints=False)[0]}",
                {"errors": [v.to_dict() for v in errors], "warnings": [v.to_dict() for v in result.warnings]})
            reply.valid, reply.violations = False, result.violations
            return reply
        body = self.store.add(self.api_keys[account], payload.document)
        return Reply(200, body.encode("ascii"), valid=True, violations=result.violations)

    def _read_body(self, environ: dict[str, Any], limit: int | None = None) -> bytes | Reply:
        """At most ``limit`` (default max_body) bytes; a larger body is refused by its length,
        never held whole."""
        stream = environ["wsgi.input"]
        chunked = environ.get("wsgi.input_terminated") or "chunked" in environ.get(
            "HTTP_TRANSFER_ENCODING", "").lower()
        try:
            return self._read_limited(stream, chunked, environ, self.max_body if limit is None else limit)
        except OSError as exc:  # a broken chunked coding, or the client went away mid-body
            return error_reply(400, f"the body could not be read: {exc}", headers=[("Connection", "close")])

    @staticmethod
    def _too_large(limit: int) -> Reply:
        return error_reply(413, f"the body is over the limit of {limit} bytes", headers=[("Connection", "close")])

    def _read_limited(self, stream: Any, chunked: bool, environ: dict[str, Any], limit: int) -> bytes | Reply:
        if chunked:
            data = stream.read(limit + 1)
            return self._too_large(limit) if len(data) > limit else data
        length_text = environ.get("CONTENT_LENGTH", "").strip()
        if not length_text:
            return b""
        if not _DIGITS.match(length_text):
            return error_reply(400, "Content-Length is not a whole number", headers=[("Connection", "close")])
        length = _saturate(length_text)
        if length > limit:
            return self._too_large(limit)
        chunks, remaining = [], length
        while remaining > 0:
            chunk = stream.read(remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _list_logs(self, environ: dict[str, Any], account: int, query: dict[str, Any]) -> Reply:
        bodies = self.store.list_bodies(self.api_keys[account], ListQuery(
            entity=query["entity"], date_from=query["from"], date_to=query["to"],
            page=query["page"], limit=query["limit"]))
        return Reply(200, ("[" + ",".join(bodies) + "]").encode("ascii"))

    def _stats(self, environ: dict[str, Any], account: int, query: dict[str, Any]) -> Reply:
        bounds: dict[str, date | None] = {}
        problems = []
        for name in ("from", "to"):
            value = query[name]
            if isinstance(value, str):  # a contract without format: date still filters by day
                try:
                    value = parse_parameter(Parameter(name, "query", "string", "assumption", format="date"), value)
                except ValueError as exc:
                    problems.append({"parameter": name, "message": str(exc)})
            bounds[name] = value
        if problems:
            return error_reply(400, "invalid query: " + "; ".join(p["message"] for p in problems),
                               {"errors": problems})
        stats = self.store.stats(self.api_keys[account], StatsQuery(
            branch=query["branch"], created_from=_bound(bounds["from"], start=True),
            created_to=_bound(bounds["to"], start=False)))
        if self.envelope:
            return Reply(200, envelope(stats, "ok", "ok"))
        return Reply(200, json.dumps(stats).encode("ascii"))

    # -- the journal ---------------------------------------------------------------

    def _record(self, environ: dict[str, Any], method: str, path: str, reply: Reply, started: float) -> None:
        # Kept as a flat tuple of strings and numbers: the garbage collector stops tracking such
        # tuples, so a full journal (100,000 entries) costs no GC pauses; dicts are built on read.
        elapsed = time.perf_counter() - started
        entry = (time.time(), printable(method, 16), printable(self._mask(path), 2048),
                 printable(redact_query(self._mask(environ.get("QUERY_STRING", "")))), reply.status, reply.code,
                 reply.valid,
                 tuple((v.pointer, v.rule, v.severity) for v in reply.violations[:50]), reply.fault,
                 round(elapsed * 1000, 3))
        # what the entry holds in memory (measured with tracemalloc), so the budget bounds the process
        size = (_ENTRY_OVERHEAD + sum(len(x) for x in entry if isinstance(x, str))
                + sum(_VIOLATION_OVERHEAD + len(pointer) + len(rule) for pointer, rule, _ in entry[7]))
        with self._journal_lock:
            self._seq += 1
            self._journal.append((self._seq, size, *entry))
            self._journal_bytes += size
            while self._journal and (self._journal_bytes > self._journal_budget
                                     or len(self._journal) > self._journal_size):
                self._journal_bytes -= self._journal.popleft()[1]
        if self.log is not None:
            self.log(self._log_line(self._entry_dict((0, size, *entry))))

    @staticmethod
    def _entry_dict(row: tuple[Any, ...]) -> dict[str, Any]:
        seq, _size, when, method, path, query, status, code, valid, violations, fault, duration = row
        return {
            "seq": seq, "method": method, "path": path, "query": query, "status": status, "code": code,
            "valid": valid, "violations": [{"pointer": p, "rule": r, "severity": s} for p, r, s in violations],
            "fault": fault,
            "time": datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="milliseconds"),
            "duration_ms": duration,
        }

    @staticmethod
    def _log_line(entry: dict[str, Any]) -> str:
        target = entry["path"] + ("?" + entry["query"] if entry["query"] else "")
        note = ""
        if entry["fault"]:
            note = f" fault={entry['fault']}"
        elif entry["valid"] is not None:
            errors = sum(1 for v in entry["violations"] if v["severity"] == "error")
            note = " valid" if entry["valid"] else f" invalid ({errors} error{'s' if errors != 1 else ''})"
        return f"{entry['method']} {target} {entry['status']} {entry['duration_ms']:.1f}ms{note}"

    def journal(self) -> list[dict[str, Any]]:
        """Every request received, oldest first (seq, method, path, query, status, code, valid,
        violations, fault, time, duration_ms); never a key."""
        with self._journal_lock:
            rows = list(self._journal)
        return [self._entry_dict(row) for row in rows]

    @property
    def journal_bytes(self) -> int:
        """What the journal holds now, in the bytes its budget counts."""
        with self._journal_lock:
            return self._journal_bytes

    def _journal_reply(self, environ: dict[str, Any]) -> Reply:
        """The journal as a JSON array, streamed in pieces (never one string of it all);
        ``?after=SEQ`` and ``?limit=N`` page it."""
        try:
            params = dict(parse_qsl(environ.get("QUERY_STRING", ""), max_num_fields=8))
            after = int(params.get("after", "0"))
            limit = int(params["limit"]) if "limit" in params else None
            if after < 0 or (limit is not None and limit < 1):
                raise ValueError
        except ValueError:
            return error_reply(400, "after and limit must be whole numbers (after >= 0, limit >= 1)")
        with self._journal_lock:
            rows = [row for row in self._journal if row[0] > after]  # references: the budget bounds them
        if limit is not None:
            rows = rows[:limit]

        def pieces() -> Iterable[bytes]:
            yield b"["
            for start in range(0, len(rows), _JOURNAL_PAGE):
                text = ",".join(json.dumps(self._entry_dict(r)) for r in rows[start:start + _JOURNAL_PAGE])
                yield ((b"," if start else b"") + text.encode("ascii"))
            yield b"]"

        return Reply(200, b"", stream=pieces())

    def reset(self) -> None:
        """Empty the records, the journal, the rate-limit windows and the stored errors."""
        with self._admin_lock:
            self.store.clear()
            self.faults.reset_windows()
            with self._journal_lock:
                self._journal.clear()
                self._journal_bytes = 0
                self.errors.clear()

    # -- admin paths (not journaled, no faults, no keys in any answer) ----------------

    def _admin_refusal(self, environ: dict[str, Any]) -> Reply | None:
        """403 unless the request names this mock as its Host, comes from no foreign Origin,
        and carries the admin token when one is set: a page in a browser (DNS rebinding,
        CSRF) cannot reach the admin paths."""
        port = environ.get("SERVER_PORT", "")
        own = {f"{name}:{port}" for name in self._own_hosts}
        host = environ.get("HTTP_HOST", "").strip().lower()
        if host not in own:
            return error_reply(403, f"the admin paths answer only requests for this mock's own address "
                                    f"(Host: 127.0.0.1:{port}, localhost:{port} or [::1]:{port})")
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.strip().lower() not in {f"http://{h}" for h in own}:
            return error_reply(403, "the admin paths refuse requests from another origin")
        if self.admin_token is not None:
            sent = environ.get("HTTP_" + ADMIN_TOKEN_HEADER.upper().replace("-", "_"), "")
            if not hmac.compare_digest(sent.strip().encode("latin-1", "replace"), self.admin_token.encode()):
                return error_reply(403, f"the admin paths need the admin token: send {ADMIN_TOKEN_HEADER}")
        return None

    def _admin(self, environ: dict[str, Any], method: str, path: str) -> Reply:
        refused = self._admin_refusal(environ)
        if refused is not None:
            return refused
        allowed = {"health": ("GET",), "journal": ("GET",), "reset": ("POST",), "faults": ("GET", "PUT", "DELETE")}
        name = path[len(ADMIN_PREFIX):]
        if name not in allowed:
            return error_reply(404, f"no such admin path; known: {', '.join(ADMIN_PREFIX + n for n in allowed)}")
        if method not in allowed[name]:
            return error_reply(405, f"{path} accepts {', '.join(allowed[name])}",
                               headers=[("Allow", ", ".join(allowed[name]))])
        if name == "health":
            return Reply(200, b'{"status":"ok"}')
        if name == "journal":
            return self._journal_reply(environ)
        if name == "reset":
            self.reset()
            return Reply(200, b'{"status":"ok"}')
        plan: FaultPlan | None = None
        if method == "DELETE":
            plan = FaultPlan()
        elif method == "PUT":
            read = self._plan_from_body(environ)  # read outside the lock: a slow body holds nothing
            if isinstance(read, Reply):
                return read
            plan = read
        with self._admin_lock:
            if plan is not None:
                self.faults.set_plan(plan)
            answer = self.faults.plan.to_dict()
        return Reply(200, json.dumps(answer).encode("ascii"))

    def _plan_from_body(self, environ: dict[str, Any]) -> FaultPlan | Reply:
        data = self._read_body(environ, _ADMIN_MAX_BODY)
        if isinstance(data, Reply):
            return data
        try:
            spec = json.loads(data)
            if type(spec) is not dict or set(spec) - {"faults", "latency", "rate_limit"}:
                raise ValueError('send {"faults": ["503:0.5"], "latency": "200ms", "rate_limit": "140/min"}')
            faults = spec.get("faults") or []
            if type(faults) is not list:
                raise ValueError("faults must be a list such as [\"503:0.5\"]")
            return make_plan(faults, spec.get("latency") or 0.0, spec.get("rate_limit"))
        except (ValueError, RecursionError) as exc:
            return error_reply(400, f"bad fault plan: {exc}")


def own_host_names(host: str) -> frozenset[str]:
    """The names a Host header may give for a mock bound to ``host`` (lower case, no port)."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host and host not in ("0.0.0.0", "::"):
        names.add(f"[{host.lower()}]" if ":" in host else host.lower())
    return frozenset(names)


def admin_token_from_env() -> str | None:
    """The admin token set for every mock started in this environment, if any."""
    return os.environ.get(ADMIN_TOKEN_ENV) or None


def _bound(day: date | None, *, start: bool) -> str | None:
    """A date filter on ``createtime`` as an inclusive UTC string bound."""
    if day is None:
        return None
    return f"{day.isoformat()}T{'00:00:00' if start else '23:59:59'}+00:00"
