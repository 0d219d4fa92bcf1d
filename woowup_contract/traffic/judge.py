"""One exchange (a request and its answer) judged against the endpoint contracts, both sides.

The proxy judges live exchanges here and ``woowup-contract traffic`` judges
recorded ones, so both say the same thing about the same exchange. The request
side is judged the way the mock judges what it receives (declared method, path,
query parameters, auth scheme, the body with the same Checker); the response
side with the schemathesis checks ``woowup-contract check`` runs
(``endpoints.judge_response``), plus what only a real exchange shows: an answer
that accepted a request without a key, or a request the contract rejects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Literal
from urllib.parse import parse_qsl, urlsplit

from ..model import Contract, Endpoint, Result, Violation
from ..report import Report, make_reporter

if TYPE_CHECKING:  # pragma: no cover
    from typing import IO

    from ..checker import Checker
    from ..loader import Registry

Side = Literal["request", "response"]
# the response checks of ``woowup-contract check`` that judge one answer on its own
RESPONSE_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance", "response_headers_conformance")
DEFAULT_MAX_BODY = 10 * 1024 * 1024
_MAX_QUERY_FIELDS = 64


@dataclass
class Exchange:
    """What one request sent and what came back, as the proxy saw it or a HAR recorded it."""

    seq: int
    method: str
    url: str  # the upstream URL, scheme://host/path?query
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    status: int | None = None  # None: no answer at all (see problem)
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    started: float = 0.0  # seconds since the epoch
    duration_ms: float = 0.0
    problem: str | None = None  # why there is no (whole) answer from the upstream
    answered_by_proxy: bool = False  # --errors: the proxy refused the request itself
    origin: str = ""  # where a recorded exchange comes from (a HAR file name), in front of its number

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    def header(self, name: str, side: Side = "request") -> str | None:
        return header_value(self.request_headers if side == "request" else self.response_headers, name)


@dataclass(frozen=True)
class TrafficResult(Result):
    """A ``Result`` for one side of one exchange: the shared type, plus the exchange number and side."""

    exchange: int = 0
    side: str = "request"

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["exchange"] = self.exchange
        out["side"] = self.side
        return out


def _error(pointer: str, rule: str, message: str, severity: Any = "error") -> Violation:
    return Violation(pointer, rule, severity, message)


class TrafficJudge:
    """Judges exchanges against the endpoint contracts of one registry; safe to share between threads."""

    def __init__(self, registry: Registry) -> None:
        from ..openapi import endpoint_contracts

        self.registry = registry
        self.endpoints: dict[str, list[Contract]] = {}
        for contract in endpoint_contracts(registry):
            assert contract.endpoint is not None
            self.endpoints.setdefault(contract.endpoint.path, []).append(contract)
        self._checkers: dict[str, Checker] = {}
        self._schema: Any = None
        self._lock = threading.Lock()

    # -- lookup ---------------------------------------------------------------------------

    def contract_for(self, method: str, path: str) -> Contract | None:
        for contract in self.endpoints.get(path, ()):
            assert contract.endpoint is not None
            if contract.endpoint.method.upper() == method.upper():
                return contract
        return None

    def hosts(self) -> set[str]:
        """The hosts the contracts name (connectors.woowup.com, api.woowup.com)."""
        out = set()
        for contracts in self.endpoints.values():
            for contract in contracts:
                assert contract.endpoint is not None
                host = urlsplit(contract.endpoint.host).hostname
                if host:
                    out.add(host.lower())
        return out

    def _checker(self, contract: Contract) -> Checker:
        from ..checker import Checker

        checker = self._checkers.get(contract.id)
        if checker is None:
            checker = self._checkers[contract.id] = Checker(self.registry, contract.id)
        return checker

    def _operation(self, contract: Contract) -> Any:
        import schemathesis

        from ..openapi import build_openapi

        if self._schema is None:
            self._schema = schemathesis.openapi.from_dict(build_openapi(self.registry), config=schemathesis.Config())
        assert contract.endpoint is not None
        return self._schema[contract.endpoint.path][contract.endpoint.method.upper()]

    def warm_up(self) -> None:
        """Build every checker and schemathesis operation now, not on the first exchange."""
        with self._lock:
            for contracts in self.endpoints.values():
                for contract in contracts:
                    assert contract.endpoint is not None
                    if contract.endpoint.request_body is not None and contract.endpoint.payload == "request":
                        self._checker(contract)
                    self._operation(contract)
            from schemathesis.checks import load_all_checks

            from ..endpoints import judge_response  # noqa: F401 - and the checks it loads

            load_all_checks()

    # -- the request ----------------------------------------------------------------------

    def judge_request(self, method: str, path: str, query: str, headers: Iterable[tuple[str, str]],
                      body: bytes, *, body_cut: bool = False) -> list[Violation]:
        """What the contracts say of a request: method, path, query, auth scheme, body."""
        with self._lock:
            return self._judge_request(method, path, query, list(headers), body, body_cut)

    def _judge_request(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
                       body: bytes, body_cut: bool) -> list[Violation]:
        from ..mock.app import printable

        method = method.upper()
        if path not in self.endpoints:
            known = ", ".join(sorted(self.endpoints))
            return [_error("", "path", f"no endpoint contract for {printable(path, 200)} (known: {known})")]
        contract = self.contract_for(method, path)
        if contract is None:
            allowed = ", ".join(sorted(c.endpoint.method.upper() for c in self.endpoints[path] if c.endpoint))
            return [_error("", "method", f"{path} accepts {allowed}, not {printable(method, 16)}")]
        endpoint = contract.endpoint
        assert endpoint is not None
        out = _judge_auth(endpoint, path, headers) + _judge_query(endpoint, method, path, query)
        # the body
        if endpoint.request_body is not None and endpoint.payload == "request":
            out.extend(self._judge_body(contract, headers, body, body_cut))
        elif body:
            out.append(_error("", "body", f"{method} {path} takes no body; it was sent {len(body)} bytes",
                              "warning"))
        return out

    def _judge_body(self, contract: Contract, headers: list[tuple[str, str]], body: bytes,
                    body_cut: bool) -> list[Violation]:
        from ..sources import payload_from_bytes

        if body_cut:
            return [_error("", "max-body", "the body is over --max-body; it was not judged")]
        media = (header_value(headers, "Content-Type") or "").split(";")[0].strip().lower()
        out: list[Violation] = []
        if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
            out.append(_error("", "content-type", f"the body must be sent as application/json, not "
                                                  f"{media or 'without a Content-Type'}"))
        if not body:
            return [*out, _error("", "body", "no body: send the record as JSON")]
        payload = payload_from_bytes("request body", body)
        if payload.error is not None:
            return [*out, payload.error]
        try:
            result = self._checker(contract).check(payload)
        except RecursionError:
            return [*out, _error("", "parse", "the body is nested too deeply to check")]
        return [*out, *result.violations]

    # -- the response ---------------------------------------------------------------------

    def judge_response(self, exchange: Exchange, request: list[Violation]) -> list[Violation]:
        """What the contracts say of the answer, given what was said of its request."""
        with self._lock:
            return self._judge_response(exchange, request)

    def _judge_response(self, exchange: Exchange, request: list[Violation]) -> list[Violation]:
        if exchange.answered_by_proxy:
            return []
        if exchange.status is None:
            return [_error("", "not_a_server_error", f"no answer from the upstream: {exchange.problem}")]
        contract = self.contract_for(exchange.method, exchange.path)
        if contract is None:
            return []  # an endpoint the contracts do not know: the request side said so
        out: list[Violation] = []
        if exchange.problem:
            out.append(_error("", "max-body", exchange.problem))
        else:
            for check, pointer, message in self._response_checks(contract, exchange):
                out.append(_error(pointer, check, message))
        ok = 200 <= exchange.status < 300
        if ok and any(v.rule == "auth" for v in request):
            out.append(_error("", "auth_enforced", f"answered {exchange.status} to a request without a valid "
                                                   "key; it must be refused with 401 or 403"))
        elif ok and any(v.severity == "error" for v in request):
            out.append(_error("", "negative_data_rejection", f"answered {exchange.status} to a request the "
                                                             "contract rejects; it must be refused with a 4xx"))
        return out

    def _response_checks(self, contract: Contract, exchange: Exchange) -> list[tuple[str, str, str]]:
        import requests
        from schemathesis.core.transport import Response

        from ..endpoints import judge_response

        operation = self._operation(contract)
        headers: dict[str, list[str]] = {}
        for name, value in exchange.response_headers:
            headers.setdefault(name.lower(), []).append(value)
        # the checks read only the answer; the request is there for schemathesis' bookkeeping
        prepared = requests.PreparedRequest()  # filled by hand: prepare() would parse the URL again
        prepared.method, prepared.url = exchange.method, exchange.url
        prepared.headers = requests.structures.CaseInsensitiveDict()
        response = Response(status_code=exchange.status or 0, headers=headers, content=exchange.response_body,
                            request=prepared, elapsed=exchange.duration_ms / 1000, verify=True,
                            message=exchange.reason)
        return judge_response(operation.Case(), response, RESPONSE_CHECKS)

    # -- both -----------------------------------------------------------------------------

    def judge(self, exchange: Exchange, request: list[Violation] | None = None) -> tuple[TrafficResult, ...]:
        """The two results of one exchange (request, response); ``request``: already judged."""
        if request is None:
            request = self.judge_request(exchange.method, exchange.path, exchange.query, exchange.request_headers,
                                         exchange.request_body)
        response = self.judge_response(exchange, request)
        label = f"{exchange.method.upper()} {exchange.path}"
        status = "no answer" if exchange.status is None else str(exchange.status)
        at = f"{exchange.origin}#{exchange.seq}"
        return (TrafficResult(source=f"{at} request {label}", violations=tuple(request),
                              exchange=exchange.seq, side="request", path=exchange.origin or None),
                TrafficResult(source=f"{at} response {status} {label}", violations=tuple(response),
                              exchange=exchange.seq, side="response", path=exchange.origin or None))


def _judge_auth(endpoint: Endpoint, path: str, headers: list[tuple[str, str]]) -> list[Violation]:
    """The scheme word only: the credentials are never looked at, never quoted."""
    from ..wire import AUTH_WORDS

    if endpoint.auth is None:
        return []
    words = {AUTH_WORDS[s].lower() for s in endpoint.auth.schemes}
    sent = header_value(headers, endpoint.auth.header or "Authorization")
    shown = " or ".join(sorted(w.capitalize() for w in words))
    if not sent or not sent.strip():
        return [_error("", "auth", f"no {endpoint.auth.header or 'Authorization'} header: "
                                   f"{path} needs {shown} <API key>")]
    if sent.strip().partition(" ")[0].lower() not in words:
        return [_error("", "auth", f"the Authorization scheme is not one {path} accepts: send {shown} <API key>")]
    return []


def _judge_query(endpoint: Endpoint, method: str, path: str, query: str) -> list[Violation]:
    """The declared query parameters, checked as the mock checks them."""
    from ..mock.app import parse_parameter, printable

    out: list[Violation] = []
    declared = {p.name: p for p in endpoint.parameters if p.location == "query"}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=_MAX_QUERY_FIELDS)
    except ValueError:
        pairs = []
        out.append(_error("", "query", f"more than {_MAX_QUERY_FIELDS} query parameters"))
    seen: set[str] = set()
    for name, value in pairs:
        param = declared.get(name)
        if param is None:
            out.append(_error("", "query", f"{printable(name, 64)} is not a parameter of {method} {path}; "
                                           "the API ignores it", "warning"))
        elif name in seen:
            out.append(_error("", "query", f"{name} is given more than once"))
        else:
            seen.add(name)
            try:
                parse_parameter(param, value)
            except ValueError as exc:
                out.append(_error("", "query", str(exc)))
    out.extend(_error("", "query", f"{name} is required")
               for name, param in declared.items() if param.required and name not in seen)
    return out


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (any case) among (name, value) pairs, or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


REPORT_NAME = "endpoint contracts"


@dataclass
class Verdicts:
    """Every judged exchange of a run, and the ones skipped, for one report and one exit code."""

    results: list[TrafficResult] = field(default_factory=list)
    exchanges: int = 0
    skipped: int = 0

    def add(self, results: Iterable[TrafficResult]) -> None:
        self.exchanges += 1
        self.results.extend(results)

    @property
    def failed(self) -> bool:
        return any(not r.valid for r in self.results)

    @property
    def violating(self) -> int:
        return len({r.exchange for r in self.results if not r.valid})

    def write(self, fmt: str, stream: IO[str]) -> None:
        """The report in one of the shared formats; text ends with the exchange counts."""
        report = Report(contract=REPORT_NAME, profile="official")
        reporter = make_reporter(fmt, stream, report)
        reporter.start()
        for result in sorted(self.results, key=lambda r: (r.path or "", r.exchange, r.side != "request")):
            report.summary.add(result)
            reporter.add(result)
        reporter.finish()
        if fmt == "text":
            stream.write(self.summary_line() + "\n")

    def summary_line(self) -> str:
        skipped = f", {self.skipped} with other hosts skipped" if self.skipped else ""
        return (f"{self.exchanges} exchange{'s' if self.exchanges != 1 else ''} judged: "
                f"{self.exchanges - self.violating} clean, {self.violating} violating{skipped}")
