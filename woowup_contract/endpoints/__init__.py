"""Endpoint checks: the contracts' OpenAPI document, driven by schemathesis, judged per check.

``woowup-contract check`` and the pytest items of ``--woowup-endpoints`` both run
``run_checks``: for every operation, schemathesis generates positive and
negative requests (Hypothesis strategies from ``operation.as_strategy``), each
response is judged by each check on its own (``case.validate_response`` with one
check at a time, so a failure is attributed to exactly one check), auth is
probed with no key and a wrong key, and, where writes are allowed, a record is
POSTed and looked for in ``GET /v1/logs`` and ``/apiv3/stats``.

Live safety lives here too: only GET operations against a live URL unless writes
are allowed, every written record carries a ``files`` entry naming the tool and
the run id, requests are paced (and 429s wait for ``Retry-After``), TLS
verification is never turned off, and the API key is masked in everything that
leaves the process.

schemathesis, hypothesis and requests are imported inside functions: importing
this module stays cheap.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import secrets
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable

from ..model import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Result, UsageError, Violation

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Registry

TOOL = "woowup-contract"

# Check name → what it asks of the server. Names of schemathesis' own checks are kept.
CHECKS: dict[str, str] = {
    "not_a_server_error": "no 5xx answer, no dropped connection, no timeout",
    "status_code_conformance": "every status is one the contract documents",
    "content_type_conformance": "every body is sent with a documented Content-Type",
    "response_schema_conformance": "every body matches the contract's schema for its status",
    "response_headers_conformance": "documented headers are present and valid (Retry-After on 429)",
    "negative_data_rejection": "invalid input is refused with a 4xx",
    "auth_enforced": "a request without a key, or with a wrong key, is refused with 401 or 403",
    "stateful_roundtrip": "a POSTed record is returned by GET /v1/logs and counted by GET /apiv3/stats",
}
RESPONSE_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance", "response_headers_conformance")
SCENARIO_OPERATION = "POST /v1/log"
DEFAULT_LIVE_RATE = 60.0  # requests per minute: well under WoowUp's 140
MAX_RETRY_AFTER = 120.0  # seconds; a longer wait is reported instead of slept through
MAX_429_RETRIES = 3
MAX_CURL_BODY = 4000

_NOISE_HEADERS = {"user-agent", "accept-encoding", "accept", "connection", "content-length",
                  "x-schemathesis-testcaseid"}


_DEAD = object()  # _send's answer when the connection died (already recorded as a failure)


class ConnectionProblem(Exception):
    """The target cannot be reached at all: exit 2 with this message."""


# -- secrets ------------------------------------------------------------------------------


class Masker:
    """Replaces an API key — raw, base64, percent-encoded, JSON-escaped — with ``***``."""

    def __init__(self, *keys: str | None) -> None:
        forms: set[str] = set()
        for key in keys:
            if not key:
                continue
            forms.add(key)
            forms.add(base64.b64encode(key.encode("utf-8")).decode("ascii"))
            forms.add(urllib.parse.quote(key, safe=""))
            forms.add(urllib.parse.quote_plus(key, safe=""))
            forms.add(json.dumps(key, ensure_ascii=True)[1:-1])
            forms.add(json.dumps(key, ensure_ascii=False)[1:-1])
        # longest first, so a form containing another is replaced whole
        self.forms = sorted((f for f in forms if f), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, "***")
        return text


class MaskedStream:
    """A text stream that masks every write: the last line of defence for the key."""

    def __init__(self, stream: IO[str], mask: Masker) -> None:
        self.stream = stream
        self.mask = mask

    def write(self, text: str) -> int:
        self.stream.write(self.mask(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, ...: whatever else a writer asks for
        return getattr(self.stream, name)


# -- settings -----------------------------------------------------------------------------


def parse_rate_limit(text: str | None) -> float | None:
    """``N/min``, ``N/s``, ``N/h`` or ``N`` (per minute) → requests per minute; ``none`` or 0 → no limit."""
    if text is None:
        return None
    raw = text.strip().lower()
    if raw in ("none", "off", "0", "unlimited"):
        return None
    number, _, unit = raw.partition("/")
    factors = {"": 1.0, "m": 1.0, "min": 1.0, "minute": 1.0, "s": 60.0, "sec": 60.0, "second": 60.0,
               "h": 1 / 60, "hour": 1 / 60}
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit.strip() not in factors or not value > 0 or value != value or value == float("inf"):

        raise UsageError(f"--rate-limit: expected N/min, N/s or N/h with N > 0 (or none), got {text!r}")
    return value * factors[unit.strip()]


@dataclass
class Settings:
    """What one run checks, and how gently."""

    base_url: str
    api_key: str
    live: bool
    allow_writes: bool = False
    apiv3_base_url: str | None = None
    max_examples: int = 25
    seed: int | None = None
    rate_per_minute: float | None = None
    timeout: float = 10.0
    run_id: str = ""
    # the operations to exercise (labels such as "GET /v1/logs"); None: all. The others are
    # reported skipped, "not selected" (pytest -k / -m deselected every one of their items)
    only: frozenset[str] | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if self.apiv3_base_url:
            self.apiv3_base_url = self.apiv3_base_url.rstrip("/")
        if self.seed is None:
            self.seed = secrets.randbelow(2**32)
        if not self.run_id:
            self.run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)

    @property
    def writes(self) -> bool:
        """POST runs against the embedded mock, and against a live URL only when allowed."""
        return self.allow_writes or not self.live

    @property
    def tag(self) -> str:
        """The ``files`` entry that marks every record this run writes."""
        return f"{TOOL}-check-{self.run_id}"

    def url_for(self, path: str) -> str:
        if path.startswith("/apiv3/") and self.apiv3_base_url:
            return self.apiv3_base_url
        return self.base_url


# -- outcomes -----------------------------------------------------------------------------


@dataclass
class Finding:
    """One failure of one check, with the operation it is about."""

    source: str
    violation: Violation
    weight: int = 0  # shorter reproductions are preferred when one is kept


@dataclass
class Outcome:
    """One check on one operation."""

    operation: str
    check: str
    status: str = "passed"  # passed | failed | skipped
    reason: str = ""
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)
    failures: int = 0  # requests that failed this check (findings keep a representative few)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operation": self.operation, "check": self.check, "status": self.status,
                               "requests": self.requests}
        if self.status == "failed":
            out["failed_requests"] = self.failures
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class WrittenRecord:
    """A record a POST stored on the target during this run."""

    operation: str
    status: int
    files: list[str]
    tagged: bool
    createtime: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operation": self.operation, "status": self.status, "files": self.files,
                               "tagged": self.tagged}
        if self.createtime:
            out["createtime"] = self.createtime
        return out


@dataclass
class RunReport:
    settings: Settings
    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    records: list[WrittenRecord] = field(default_factory=list)
    requests: int = 0

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)

    def outcome(self, operation: str, check: str) -> Outcome | None:
        for o in self.outcomes:
            if o.operation == operation and o.check == check:
                return o
        return None

    def results(self) -> list[Result]:
        """One shared ``Result`` per operation (``source`` = ``METHOD PATH``), violations from every check."""
        order: list[str] = []
        found: dict[str, list[Violation]] = {}
        for o in self.outcomes:
            if o.status != "skipped" and o.operation not in found:
                order.append(o.operation)
                found[o.operation] = []
        for o in self.outcomes:
            for f in o.findings:
                if f.source not in found:
                    order.append(f.source)
                    found[f.source] = []
                found[f.source].append(f.violation)
        return [Result(source=op, violations=tuple(found[op])) for op in order]


# -- HTTP ---------------------------------------------------------------------------------


def _make_session(settings: Settings, on_write: Callable[[Any, Any], None]) -> Any:
    """A requests session that paces requests, waits out 429s, and notices writes."""
    import requests

    class PacedSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0
            self._next_at = 0.0
            self.interval = 60.0 / settings.rate_per_minute if settings.rate_per_minute else 0.0

        def _pace(self) -> None:
            if self.interval:
                now = time.monotonic()
                if now < self._next_at:
                    time.sleep(self._next_at - now)
                self._next_at = max(now, self._next_at) + self.interval

        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", settings.timeout)
            kwargs.pop("verify", None)  # TLS verification stays on, whatever asks otherwise
            attempt = 0
            while True:
                self._pace()
                self.count += 1
                response = super().request(method, url, *args, verify=True, **kwargs)
                if response.status_code != 429 or attempt >= MAX_429_RETRIES:
                    break
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is None or wait > MAX_RETRY_AFTER:
                    break  # no usable Retry-After: the answer is reported as it is
                response.close()
                time.sleep(wait)
                attempt += 1
            if str(method).upper() == "POST" and 200 <= response.status_code < 300:
                on_write(kwargs, response)
            return response

    return PacedSession()


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or an HTTP date); None when unusable."""
    if value is None:
        return None
    value = value.strip()
    if value and value.isascii() and value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _shell_quote(text: str) -> str:
    if text and all(c.isalnum() or c in "@%+=:,./-_" for c in text):
        return text
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        escaped = text.encode("unicode_escape").decode("ascii").replace("'", "\\'")
        return f"$'{escaped}'"
    return "'" + text.replace("'", "'\"'\"'") + "'"


def curl_line(request: Any) -> str:
    """The request as a curl command (the caller masks the key)."""
    parts = ["curl", "-X", str(request.method)]
    for name, value in request.headers.items():
        if name.lower() in _NOISE_HEADERS:
            continue
        parts += ["-H", _shell_quote(f"{name}: {value}")]
    body = request.body
    if body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        if len(text) > MAX_CURL_BODY:
            text = text[:MAX_CURL_BODY]
            parts += ["--data-binary", _shell_quote(text), "# body cut at 4000 characters"]
        else:
            parts += ["--data-binary", _shell_quote(text)]
    parts.insert(3, _shell_quote(str(request.url)))
    return " ".join(parts)


# -- the run ------------------------------------------------------------------------------


@dataclass
class _Operation:
    label: str
    method: str
    path: str
    schemes: tuple[str, ...]
    api: Any  # schemathesis APIOperation


def auth_header(scheme: str, key: str) -> str:
    """The Authorization value for a contract auth scheme (``basic-raw-key``: the raw key after Basic)."""
    if scheme == "basic-raw-key":
        return f"Basic {key}"
    return f"Bearer {key}"


def planned_checks(registry: Registry, settings: Settings) -> list[tuple[str, str, str]]:
    """(operation, check, skip reason or "") for every item a run reports, in order."""
    from ..openapi import endpoint_contracts

    out: list[tuple[str, str, str]] = []
    labels = []
    for contract in _ordered(endpoint_contracts(registry)):
        endpoint = contract.endpoint
        assert endpoint is not None
        label = f"{endpoint.method.upper()} {endpoint.path}"
        labels.append(label)
        skip = ""
        if endpoint.method.upper() != "GET" and not settings.writes:
            skip = "read-only: writes need --allow-writes against a live URL"
        for check in CHECKS:
            if check == "stateful_roundtrip":
                continue
            if check == "auth_enforced" and endpoint.auth is None:
                out.append((label, check, "the contract declares no auth"))
                continue
            out.append((label, check, skip))
    scenario_ready = {"POST /v1/log", "GET /v1/logs", "GET /apiv3/stats"} <= set(labels)
    reason = "" if settings.writes else "read-only: writes need --allow-writes against a live URL"
    if not scenario_ready:
        reason = "the contracts do not define POST /v1/log, GET /v1/logs and GET /apiv3/stats"
    out.append((SCENARIO_OPERATION, "stateful_roundtrip", reason))
    return out


def _ordered(contracts: list[Any]) -> list[Any]:
    """GET operations first: a read-only run and a write run check reads in the same order."""
    return sorted(contracts, key=lambda c: (c.endpoint.method.upper() != "GET", c.endpoint.path))


class _Runner:
    def __init__(self, registry: Registry, settings: Settings, target: str,
                 progress: Callable[[str, bool], None] | None = None) -> None:
        self.registry = registry
        self.settings = settings
        self.progress = progress or (lambda text, done: None)
        self.report = RunReport(settings=settings, target=target)
        self.mask = Masker(settings.api_key)
        self.session = _make_session(settings, self._on_write)
        self._outcomes: dict[tuple[str, str], Outcome] = {}
        self._current: str = ""

    # -- bookkeeping -------------------------------------------------------------------

    def _outcome(self, operation: str, check: str) -> Outcome:
        return self._outcomes[(operation, check)]

    def _fail(self, operation: str, check: str, message: str, *, source: str | None = None, pointer: str = "",
              request: Any = None, weight: int | None = None, keep: int = 3) -> None:
        outcome = self._outcome(operation, check)
        outcome.status = "failed"
        outcome.failures += 1
        if request is not None:
            message = f"{message} | reproduce: {curl_line(request)}"
        message = self.mask(message)
        finding = Finding(source or operation, Violation(pointer, check, "error", message),
                          weight if weight is not None else len(message))
        same = [f for f in outcome.findings if f.violation.pointer == pointer and f.source == finding.source]
        if same:
            # one finding per place: keep the shortest reproduction
            if finding.weight < same[0].weight:
                outcome.findings[outcome.findings.index(same[0])] = finding
            return
        if len(outcome.findings) < keep:
            outcome.findings.append(finding)

    def _on_write(self, kwargs: dict[str, Any], response: Any) -> None:
        body = kwargs.get("json")
        if body is None and kwargs.get("data") is not None:
            try:
                body = json.loads(kwargs["data"])
            except (ValueError, TypeError):
                body = None
        files = body.get("files") if isinstance(body, dict) else None
        names = [self.mask(str(f)) for f in files] if isinstance(files, list) else []
        createtime = None
        try:
            answer = response.json()
            if isinstance(answer, dict) and isinstance(answer.get("createtime"), str):
                createtime = answer["createtime"]
        except ValueError:
            pass
        self.report.records.append(WrittenRecord(self._current or "POST", response.status_code, names,
                                                 self.settings.tag in names, createtime))

    # -- run -----------------------------------------------------------------------------

    def run(self) -> RunReport:
        import schemathesis

        from ..openapi import build_openapi

        schema = schemathesis.openapi.from_dict(build_openapi(self.registry), config=schemathesis.Config())
        for operation, check, reason in planned_checks(self.registry, self.settings):
            o = Outcome(operation, check, status="skipped" if reason else "passed", reason=reason)
            self._outcomes[(operation, check)] = o
            self.report.outcomes.append(o)
        from ..openapi import endpoint_contracts

        ops: list[_Operation] = []
        for contract in _ordered(endpoint_contracts(self.registry)):
            endpoint = contract.endpoint
            label = f"{endpoint.method.upper()} {endpoint.path}"
            api = schema[endpoint.path][endpoint.method.upper()]
            ops.append(_Operation(label, endpoint.method.upper(), endpoint.path,
                                  endpoint.auth.schemes if endpoint.auth else (), api))
        only = self.settings.only
        if only is not None:
            for o in self.report.outcomes:
                if o.operation not in only and o.status != "skipped":
                    o.status, o.reason = "skipped", "not selected"
        # the scenario calls every endpoint; otherwise only the selected hosts need to answer
        self._preflight(ops if only is None or SCENARIO_OPERATION in only else [op for op in ops if op.label in only])
        for op in ops:
            if self._outcome(op.label, "not_a_server_error").status == "skipped":
                continue
            self._current = op.label
            before = self.session.count
            self._fuzz(op, "positive")
            self._fuzz(op, "negative")
            self._probe_auth(op)
            spent = self.session.count - before
            for check in CHECKS:
                o = self._outcomes.get((op.label, check))
                if o is not None and o.status != "skipped" and check != "stateful_roundtrip":
                    o.requests = spent
                    self.progress(f"{op.label}  {check}  {o.status}", True)
        scenario = self._outcome(SCENARIO_OPERATION, "stateful_roundtrip")
        if scenario.status != "skipped":
            self._current = SCENARIO_OPERATION
            before = self.session.count
            self._roundtrip({op.label: op for op in ops})
            scenario.requests = self.session.count - before
            self.progress(f"{SCENARIO_OPERATION}  stateful_roundtrip  {scenario.status}", True)
        self.report.requests = self.session.count
        return self.report

    def _preflight(self, ops: list[_Operation]) -> None:
        """One plain request per host: an unreachable target is a clear exit 2, not a wall of failures."""
        import requests

        seen: set[str] = set()
        for op in ops:
            base = self.settings.url_for(op.path)
            if base in seen or op.method != "GET" or "{" in op.path:
                continue  # never a write, never a templated path: one plain GET per host
            seen.add(base)
            url = base + op.path
            headers = {"Authorization": auth_header(op.schemes[0], self.settings.api_key)} if op.schemes else {}
            try:
                answer = self.session.request("GET", url, headers=headers)
            except requests.exceptions.SSLError as exc:
                raise ConnectionProblem(self.mask(
                    f"TLS verification failed for {base}: {_reason(exc)} (verification stays on; fix the "
                    "certificate or point REQUESTS_CA_BUNDLE at your CA)")) from None
            except requests.exceptions.ConnectionError as exc:
                raise ConnectionProblem(self.mask(f"cannot connect to {base}: {_reason(exc)}")) from None
            except requests.exceptions.Timeout:
                raise ConnectionProblem(self.mask(
                    f"{base} did not answer within {self.settings.timeout:g} s (--timeout)")) from None
            except requests.exceptions.RequestException as exc:
                raise ConnectionProblem(self.mask(f"cannot reach {base}: {_reason(exc)}")) from None
            if answer.status_code in (401, 403) and op.schemes:
                # every check would "pass" on refusals alone: a refused key is a usage error
                raise ConnectionProblem(self.mask(
                    f"the API key was refused: GET {url} answered {answer.status_code} "
                    f"{_reason_phrase(answer.status_code)}; check --api-key or WOOWUP_API_KEY"))

    # -- generated requests ----------------------------------------------------------------

    def _prepare(self, op: _Operation, case: Any, key: str | None) -> None:
        headers = dict(case.headers or {})
        for name in list(headers):
            if name.lower() == "authorization":
                del headers[name]
        if key is not None:
            headers["Authorization"] = auth_header(op.schemes[0] if op.schemes else "bearer", key)
        case.headers = headers
        body = case.body
        if op.method == "POST" and isinstance(body, dict) and isinstance(body.get("files"), list) \
                and self.settings.tag not in body["files"]:
            case.body = {**body, "files": [*body["files"], self.settings.tag]}

    def _send(self, op: _Operation, case: Any) -> Any:
        """The response; ``_DEAD`` after recording a dead connection; None when the request cannot be sent."""
        import requests

        try:
            return case.call(base_url=self.settings.url_for(op.path), session=self.session,
                             timeout=self.settings.timeout)
        except requests.exceptions.Timeout:
            self._fail(op.label, "not_a_server_error",
                       f"no answer within {self.settings.timeout:g} s (--timeout)", request=_prepared(case, self))
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            self._fail(op.label, "not_a_server_error",
                       f"the connection failed: {_reason(exc)}", request=_prepared(case, self))
        except (requests.exceptions.RequestException, ValueError, UnicodeError):
            # a generated request HTTP cannot carry (a header value the client refuses): nothing was sent
            return None
        return _DEAD

    def _fuzz(self, op: _Operation, mode_name: str) -> None:
        from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
        from schemathesis import GenerationMode

        mode = GenerationMode.POSITIVE if mode_name == "positive" else GenerationMode.NEGATIVE
        checks = list(RESPONSE_CHECKS) + (["negative_data_rejection"] if mode_name == "negative" else [])
        total = self.settings.max_examples
        done = [0]
        broken = [False]

        @given(op.api.as_strategy(generation_mode=mode))
        # quiet whatever profile the caller loaded: a verbose one would print each case, key included
        @settings(max_examples=total, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=False, print_blob=False,
                  verbosity=Verbosity.quiet)
        @seed(self.settings.seed)
        def exercise(case: Any) -> None:
            if broken[0]:
                return
            done[0] += 1
            self.progress(f"{op.label}  {mode_name} requests  {done[0]}/{total}", False)
            self._prepare(op, case, self.settings.api_key)
            response = self._send(op, case)
            if response is _DEAD:
                broken[0] = True  # a dead connection: do not hammer it
                return
            if response is not None:
                self._judge(op, case, response, checks)

        try:
            exercise()
        except Exception as exc:  # generation itself failed (an unsatisfiable schema, say)
            if _is_unsatisfiable(exc):
                if mode_name == "negative":
                    o = self._outcome(op.label, "negative_data_rejection")
                    if o.status == "passed" and done[0] == 0:
                        o.status, o.reason = "skipped", "no invalid request can be generated for this operation"
                return
            raise

    def _judge(self, op: _Operation, case: Any, response: Any, checks: Iterable[str]) -> None:
        from schemathesis.checks import CHECKS as REGISTRY
        from schemathesis.checks import load_all_checks
        from schemathesis.core.failures import Failure, FailureGroup

        load_all_checks()
        for name in checks:
            outcome = self._outcomes.get((op.label, name))
            if outcome is None or outcome.status == "skipped":
                continue
            try:
                case.validate_response(response, checks=[REGISTRY.get_one(name)])
            except FailureGroup as group:
                self._record(op, name, list(group.exceptions), response)
            except Failure as failure:
                self._record(op, name, [failure], response)

    def _record(self, op: _Operation, check: str, failures: list[Any], response: Any) -> None:
        status = f"status {response.status_code}"
        for failure in failures[:5]:
            pointer = ""
            path = getattr(failure, "instance_path", None)
            if path:
                from ..draft7 import pointer_from_parts

                pointer = pointer_from_parts(tuple(path))
            title = getattr(failure, "title", "") or type(failure).__name__
            detail = _failure_detail(failure)
            message = f"{title} ({status})" + (f": {detail}" if detail else "")
            self._fail(op.label, check, message, pointer=pointer, request=response.request)

    # -- auth ---------------------------------------------------------------------------

    def _probe_case(self, op: _Operation) -> Any:
        """A request the contract accepts, so only the key can make the server refuse it."""
        if op.method == "POST":
            return op.api.Case(body=self._scenario_record(), media_type="application/json")
        return op.api.Case(query={"limit": 1} if op.path == "/v1/logs" else {})

    def _probe_auth(self, op: _Operation) -> None:
        outcome = self._outcome(op.label, "auth_enforced")
        if outcome.status == "skipped":
            return
        wrong = f"{TOOL}-wrong-key-{secrets.token_hex(8)}"
        for label, key in (("without a key", None), ("with a wrong key", wrong)):
            self.progress(f"{op.label}  auth_enforced  {label}", False)
            case = self._probe_case(op)
            self._prepare(op, case, key)
            response = self._send(op, case)
            if response is None or response is _DEAD:
                continue
            if response.status_code not in (401, 403):
                self._fail(op.label, "auth_enforced",
                           f"a request {label} was answered {response.status_code} "
                           f"{_reason_phrase(response.status_code)}; it must be refused with 401 or 403",
                           request=response.request)
            # the refusal itself must follow the contract too (403 with the API v3 error body)
            self._judge(op, case, response, RESPONSE_CHECKS)

    # -- the stateful scenario -------------------------------------------------------------

    def _scenario_record(self) -> dict[str, Any]:
        tag = self.settings.tag
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        return {
            "files": [tag],
            "processingtime": now,
            "stats": {
                "customers": {"total_created": 2, "total_updated": 1, "total_failed": 0,
                              "per_branches": [{"branch": tag, "total_created": 2, "total_updated": 1,
                                                "total_failed": 0}]},
                "purchases": {"total_created": 3, "total_updated": 0, "total_failed": 0, "total_revenue": 12345,
                              "total_invoice_items": 7,
                              "per_branches": [{"branch": tag, "total_created": 3, "total_updated": 0,
                                                "total_failed": 0, "total_revenue": 12345,
                                                "total_invoice_items": 7}]},
            },
        }

    def _call_checked(self, op: _Operation, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        """A fixed request of the scenario, judged by the response checks like any other."""
        if body is not None:
            case = op.api.Case(body=body, media_type="application/json")
        else:
            case = op.api.Case(query=query or {})
        self._prepare(op, case, self.settings.api_key)
        response = self._send(op, case)
        if response is None or response is _DEAD:
            return None
        self._judge(op, case, response, RESPONSE_CHECKS)
        return response

    def _roundtrip(self, ops: dict[str, _Operation]) -> None:
        post, logs, stats = ops["POST /v1/log"], ops["GET /v1/logs"], ops["GET /apiv3/stats"]
        name = "stateful_roundtrip"
        self.progress(f"{SCENARIO_OPERATION}  {name}  reading stats", False)
        before = _stats_body(self._call_checked(stats))
        record = self._scenario_record()
        self.progress(f"{SCENARIO_OPERATION}  {name}  posting a record", False)
        created = self._call_checked(post, body=record)
        if created is None:
            return
        if created.status_code != 200:
            self._fail(SCENARIO_OPERATION, name, f"POST /v1/log refused a valid record with "
                       f"{created.status_code} {_reason_phrase(created.status_code)}: {_snippet(created)}",
                       request=created.request)
            return
        echoed = _json(created)
        if isinstance(echoed, dict):
            for key in ("files", "processingtime", "stats"):
                if echoed.get(key) != record[key]:
                    self._fail(SCENARIO_OPERATION, name, f"the 200 answer does not return the stored {key} as sent",
                               pointer=f"/{key}", request=created.request)
        self.progress(f"{SCENARIO_OPERATION}  {name}  reading it back", False)
        listed = self._call_checked(logs, query={"limit": 100, "page": 0})
        if listed is not None:
            items = _json(listed)
            found = [r for r in items if isinstance(r, dict) and self.settings.tag in (r.get("files") or [])] \
                if isinstance(items, list) else []
            if not found:
                self._fail(SCENARIO_OPERATION, name, f"the record just POSTed (files: {self.settings.tag}) is not "
                           "in GET /v1/logs?limit=100&page=0", source="GET /v1/logs", request=listed.request)
            elif found[0].get("stats") != record["stats"]:
                self._fail(SCENARIO_OPERATION, name, "GET /v1/logs returns the record with other stats than "
                           "were POSTed", source="GET /v1/logs", pointer="/stats", request=listed.request)
        after_response = self._call_checked(stats)
        after = _stats_body(after_response)
        if before is None or after is None or after_response is None:
            if after_response is not None:
                self._fail(SCENARIO_OPERATION, name, "GET /apiv3/stats gave no totals to compare",
                           source="GET /apiv3/stats", request=after_response.request)
            return
        purchases = record["stats"]["purchases"]
        for key, posted in (("total_revenue", purchases["total_revenue"]),
                            ("total_invoice_items", purchases["total_invoice_items"])):
            b, a = before.get(key), after.get(key)
            if not isinstance(a, int) or not isinstance(b, int) or a - b < posted:
                self._fail(SCENARIO_OPERATION, name,
                           f"GET /apiv3/stats does not count the POSTed record: {key} went from {b} to {a}, "
                           f"expected an increase of at least {posted}", source="GET /apiv3/stats",
                           pointer=f"/{key}", request=after_response.request)


def _prepared(case: Any, runner: _Runner) -> Any:
    """The request a case would send (for a reproduction when there was no answer)."""
    import requests

    kwargs = case.as_transport_kwargs(base_url=runner.settings.url_for(case.operation.path))
    allowed = {k: kwargs[k] for k in ("method", "url", "headers", "params", "json", "data", "cookies") if k in kwargs}
    return requests.Request(**allowed).prepare()


def _is_unsatisfiable(exc: BaseException) -> bool:
    from hypothesis.errors import FailedHealthCheck, Unsatisfiable

    return isinstance(exc, (Unsatisfiable, FailedHealthCheck))


def _failure_detail(failure: Any) -> str:
    message = getattr(failure, "validation_message", None) or getattr(failure, "message", "") or ""
    lines = [line.strip().lstrip("- ").strip() for line in str(message).splitlines() if line.strip()]
    text = " ".join(line if line.endswith((":", ".")) else line + ";" for line in lines[:5]).rstrip(";")
    return text[:500]


_REASONS = {
    "Connection refused": "connection refused",
    "Name or service not known": "the host name does not resolve",
    "nodename nor servname": "the host name does not resolve",
    "Temporary failure in name resolution": "the host name does not resolve",
    "No route to host": "no route to host",
    "Remote end closed connection without response": "the server closed the connection without an answer",
    "Connection reset by peer": "the server reset the connection",
    "certificate verify failed": "certificate verify failed",
    "timed out": "timed out",
}


def _reason(exc: BaseException) -> str:
    """A short, key-free reason for a connection-level failure."""
    text = str(exc)
    for marker, said in _REASONS.items():
        if marker in text:
            return said
    inner = exc.args[0] if exc.args else exc
    return str(getattr(inner, "reason", inner))[:200]


def _reason_phrase(status: int) -> str:
    import http.client

    return http.client.responses.get(status, "")


def _json(response: Any) -> Any:
    if response is None:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return None


def _snippet(response: Any) -> str:
    text = response.content.decode("utf-8", "replace") if isinstance(response.content, bytes) else ""
    return text[:200]


def _stats_body(response: Any) -> dict[str, Any] | None:
    """The stats object, bare or inside the API v3 envelope."""
    if response is None or response.status_code != 200:
        return None
    body = _json(response)
    if isinstance(body, dict) and "payload" in body and "code" in body and isinstance(body["payload"], dict):
        body = body["payload"]
    return body if isinstance(body, dict) else None


def run_checks(registry: Registry, settings: Settings, *, target: str = "",
               progress: Callable[[str, bool], None] | None = None) -> RunReport:
    """Every planned check against ``settings.base_url``; raises ConnectionProblem when it cannot be reached."""
    return _Runner(registry, settings, target or settings.base_url, progress).run()


# -- the embedded mock ----------------------------------------------------------------------


def embedded_mock(registry: Registry) -> Any:
    """The mock server context manager (``.base_url``, ``.api_key``), or a UsageError saying why not."""
    try:
        from ..mock.server import MockServer
    except ImportError as exc:

        raise UsageError(f"the embedded mock is not available ({exc}); pass --base-url") from None
    return MockServer(registry)


# -- reports --------------------------------------------------------------------------------


def write_report(report: RunReport, fmt: str, stream: IO[str]) -> None:
    """The run in the shared report formats; text adds the summary table and the records written."""
    from ..report import Report, TextReporter, make_reporter

    shared = Report(contract="endpoints", profile="live" if report.settings.live else "mock")
    results = report.results()
    if fmt == "text":
        _write_text(report, results, TextReporter(stream, shared), stream)
        return
    buffer = io.StringIO()
    reporter = make_reporter(fmt, buffer, shared)
    reporter.start()
    for result in results:
        shared.summary.add(result)
        reporter.add(result)
    reporter.finish()
    if fmt == "json":
        document = json.loads(buffer.getvalue())
        document.update(_run_facts(report))
        stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        stream.write(buffer.getvalue())


def _run_facts(report: RunReport) -> dict[str, Any]:
    s = report.settings
    return {
        "target": report.target,
        "mode": "live" if s.live else "embedded mock",
        "writes": s.writes,
        "run_id": s.run_id,
        "seed": s.seed,
        "max_examples": s.max_examples,
        "requests": report.requests,
        "checks": [o.to_dict() for o in report.outcomes],
        "records_written": [r.to_dict() for r in report.records],
    }


def _write_text(report: RunReport, results: list[Result], reporter: Any, stream: IO[str]) -> None:
    s = report.settings
    mode = "live" if s.live else "embedded mock"
    writes = "writes allowed" if s.writes else "read-only"
    stream.write(f"{TOOL} check: {report.target} ({mode}, {writes}), seed {s.seed}, run {s.run_id}, "
                 f"up to {s.max_examples} examples per operation and mode\n")
    for result in results:
        reporter.add(result)
    rows = [("OPERATION", "CHECK", "RESULT", "REQUESTS")]
    for o in report.outcomes:
        result = o.status.upper() if o.status == "failed" else o.status
        if o.status == "failed":
            result += f" ({o.failures})"
        if o.status == "skipped":
            result += f": {o.reason}"
        rows.append((o.operation, o.check, result, str(o.requests) if o.status != "skipped" else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    stream.write("\n")
    for r in rows:
        stream.write(f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[3].rjust(8)}  {r[2]}\n")
    if report.records and not s.live:
        stream.write(f"\n{len(report.records)} records written to the embedded mock (gone when it stops)\n")
    elif report.records:
        stream.write(f"\nrecords written ({len(report.records)}), each with the files entry {s.tag}:\n")
        for rec in report.records:
            when = f", createtime {rec.createtime}" if rec.createtime else ""
            if rec.tagged:
                stream.write(f"  {rec.operation} -> {rec.status}{when}\n")
            else:
                stream.write(f"  {rec.operation} -> {rec.status}{when}, NOT tagged (the server accepted a body "
                             f"without a files list), files={json.dumps(rec.files)[:120]}\n")
    counts = {k: sum(1 for o in report.outcomes if o.status == k) for k in ("passed", "failed", "skipped")}
    stream.write(f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped; "
                 f"{report.requests} requests\n")


# -- progress -------------------------------------------------------------------------------


class TerminalProgress:
    """Per operation and check, on a terminal only: a live status line and one line per verdict."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._width = 0
        self._last = 0.0

    def __call__(self, text: str, done: bool) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not done and now - self._last < 0.1:
            return
        self._last = now
        clear = "\r" + " " * self._width + "\r"
        if done:
            self.stream.write(f"{clear}{text}\n")
            self._width = 0
        else:
            self.stream.write(f"{clear}{text}")
            self._width = len(text)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


# -- command line ---------------------------------------------------------------------------


def _check_url(url: str, option: str) -> str:

    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"{option}: expected an http:// or https:// URL, got {url!r}")
    return url


def settings_from_args(args: argparse.Namespace, *, base_url: str, api_key: str, live: bool) -> Settings:
    rate = parse_rate_limit(args.rate_limit) if args.rate_limit is not None else (DEFAULT_LIVE_RATE if live
                                                                                  else None)
    if args.timeout is not None and not 0 < args.timeout < float("inf"):

        raise UsageError(f"--timeout: must be more than 0 seconds, got {args.timeout:g}")
    return Settings(
        base_url=base_url, api_key=api_key, live=live, allow_writes=bool(args.allow_writes),
        apiv3_base_url=getattr(args, "apiv3_base_url", None),
        max_examples=args.max_examples or (10 if live else 25), seed=args.seed, rate_per_minute=rate,
        timeout=args.timeout,
    )


def run_cli(args: argparse.Namespace, out: IO[str]) -> int:
    """``woowup-contract check``: exit 0 all pass, 1 a check failed, 2 usage or connection error."""
    from ..cli import registry_from

    key = args.api_key if args.api_key is not None else os.environ.get("WOOWUP_API_KEY")
    mask = Masker(key)
    err = MaskedStream(sys.stderr, mask)
    registry = registry_from(args)
    if getattr(args, "apiv3_base_url", None):
        _check_url(args.apiv3_base_url, "--apiv3-base-url")
    if args.base_url is not None:
        _check_url(args.base_url, "--base-url")
        if not key:
            raise UsageError("no API key: pass --api-key or set WOOWUP_API_KEY")
        settings = settings_from_args(args, base_url=args.base_url, api_key=key, live=True)
        if settings.rate_per_minute and settings.rate_per_minute > 140:
            err.write(f"{TOOL}: warning: --rate-limit {args.rate_limit} is above WoowUp's 140 requests/minute\n")
        return _run_and_report(registry, settings, args, out, err, settings.base_url)
    with embedded_mock(registry) as mock:
        settings = settings_from_args(args, base_url=mock.base_url, api_key=mock.api_key, live=False)
        # the mock's own key is masked as well: a habit worth keeping in every output
        return _run_and_report(registry, settings, args, out, err, f"{mock.base_url}")
    raise UsageError("unreachable")  # pragma: no cover


def _run_and_report(registry: Registry, settings: Settings, args: argparse.Namespace, out: IO[str],
                    err: MaskedStream, target: str) -> int:
    from ..cli import open_output

    mask = Masker(settings.api_key, args.api_key)
    err.mask = mask
    progress = TerminalProgress(err)
    # anything a library prints while the run goes on (warnings, say) is masked too
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = MaskedStream(saved[0], mask), MaskedStream(saved[1], mask)  # type: ignore[assignment]
    try:
        report = run_checks(registry, settings, target=target, progress=progress)
    except ConnectionProblem as exc:
        progress.close()
        err.write(f"{TOOL}: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        progress.close()
        raise
    except Exception:  # a bug of ours: say so, with the key masked even in the traceback
        import traceback

        progress.close()
        err.write(f"{TOOL}: internal error while checking {target}:\n{traceback.format_exc()}")
        return EXIT_USAGE
    finally:
        sys.stdout, sys.stderr = saved
    progress.close()
    stream = open_output(args.output, out)
    try:
        write_report(report, args.format, MaskedStream(stream, mask))
    finally:
        if stream is not out:
            stream.close()
    return EXIT_FAILED if report.failed else EXIT_OK


__all__ = ["CHECKS", "ConnectionProblem", "Masker", "Outcome", "RunReport", "Settings", "auth_header",
           "parse_rate_limit", "planned_checks", "run_checks", "run_cli", "write_report"]

