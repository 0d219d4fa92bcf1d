"""The runner: schemathesis fuzzing, per-check judging, the auth probe and the stateful round trip."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..exits import UsageError
from ..model import Violation
from ..wire import auth_header, is_envelope, status_phrase
from ._model import (
    CHECKS,
    RESPONSE_CHECKS,
    SCENARIO_OPERATION,
    TOOL,
    ConnectionProblem,
    Finding,
    Outcome,
    RunReport,
    Settings,
    WrittenRecord,
    reads_first,
    planned_checks,
)
from ._safety import Masker, connection_reason, curl_line, paced_session

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Registry

_DEAD = object()  # _send's answer when the connection died (already recorded as a failure)


# -- the run ------------------------------------------------------------------------------


@dataclass
class _Operation:
    label: str
    method: str
    path: str
    schemes: tuple[str, ...]
    api: Any  # schemathesis APIOperation


class _Runner:
    def __init__(self, registry: Registry, settings: Settings, target: str,
                 progress: Callable[[str, bool], None] | None = None) -> None:
        self.registry = registry
        self.settings = settings
        self.progress = progress or (lambda text, done: None)
        self.report = RunReport(settings=settings, target=target)
        self.mask = Masker(settings.api_key)
        self.session = paced_session(settings, self._on_write)
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
        self._plan()
        ops = self._operations()
        only = self.settings.only
        # the scenario calls every endpoint; otherwise only the selected hosts need to answer
        self._preflight(ops if only is None or SCENARIO_OPERATION in only else [op for op in ops if op.label in only])
        for op in ops:
            if self._outcome(op.label, "not_a_server_error").status != "skipped":
                self._check_operation(op)
        scenario = self._outcome(SCENARIO_OPERATION, "stateful_roundtrip")
        if scenario.status != "skipped":
            self._current = SCENARIO_OPERATION
            before = self.session.count
            self._roundtrip({op.label: op for op in ops})
            scenario.requests = self.session.count - before
            self.progress(f"{SCENARIO_OPERATION}  stateful_roundtrip  {scenario.status}", True)
        self.report.requests = self.session.count
        return self.report

    def _plan(self) -> None:
        """An outcome for every planned check, passed until a failure says otherwise."""
        only = self.settings.only
        for operation, check, reason in planned_checks(self.registry, self.settings):
            o = Outcome(operation, check, status="skipped" if reason else "passed", reason=reason)
            if only is not None and operation not in only and not reason:
                o.status, o.reason = "skipped", "not selected"
            self._outcomes[(operation, check)] = o
            self.report.outcomes.append(o)

    def _operations(self) -> list[_Operation]:
        """The endpoint contracts as schemathesis operations, reads first."""
        import schemathesis

        from ..openapi import build_openapi, endpoint_contracts

        schema = schemathesis.openapi.from_dict(build_openapi(self.registry), config=schemathesis.Config())
        ops: list[_Operation] = []
        for contract in reads_first(endpoint_contracts(self.registry)):
            endpoint = contract.endpoint
            label = f"{endpoint.method.upper()} {endpoint.path}"
            api = schema[endpoint.path][endpoint.method.upper()]
            ops.append(_Operation(label, endpoint.method.upper(), endpoint.path,
                                  endpoint.auth.schemes if endpoint.auth else (), api))
        return ops

    def _check_operation(self, op: _Operation) -> None:
        """Fuzz one operation both ways and probe its auth; every check of it counts the requests spent."""
        self._current = op.label
        before = self.session.count
        self._fuzz(op, "positive")
        self._fuzz(op, "negative")
        self._probe_auth(op)
        spent = self.session.count - before
        for check in CHECKS:
            counted = self._outcomes.get((op.label, check))
            if counted is not None and counted.status != "skipped" and check != "stateful_roundtrip":
                counted.requests = spent
                self.progress(f"{op.label}  {check}  {counted.status}", True)

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
                    f"TLS verification failed for {base}: {connection_reason(exc)} (verification stays on; fix the "
                    "certificate or point REQUESTS_CA_BUNDLE at your CA)")) from None
            except requests.exceptions.ConnectionError as exc:
                raise ConnectionProblem(self.mask(f"cannot connect to {base}: {connection_reason(exc)}")) from None
            except requests.exceptions.Timeout:
                raise ConnectionProblem(self.mask(
                    f"{base} did not answer within {self.settings.timeout:g} s (--timeout)")) from None
            except requests.exceptions.RequestException as exc:
                raise ConnectionProblem(self.mask(f"cannot reach {base}: {connection_reason(exc)}")) from None
            if answer.status_code in (401, 403) and op.schemes:
                # every check would "pass" on refusals alone: a refused key is a usage error
                raise ConnectionProblem(self.mask(
                    f"the API key was refused: GET {url} answered {answer.status_code} "
                    f"{status_phrase(answer.status_code)}; check --api-key or WOOWUP_API_KEY"))

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
                       f"the connection failed: {connection_reason(exc)}", request=_prepared(case, self))
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
        live = [name for name in checks
                if (o := self._outcomes.get((op.label, name))) is not None and o.status != "skipped"]
        for name, pointer, message in judge_response(case, response, live):
            self._fail(op.label, name, message, pointer=pointer, request=response.request)

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
                           f"{status_phrase(response.status_code)}; it must be refused with 401 or 403",
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
                       f"{created.status_code} {status_phrase(created.status_code)}: {_snippet(created)}",
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
            self._look_for_record(listed, record)
        self._compare_totals(before, self._call_checked(stats), record)

    def _look_for_record(self, listed: Any, record: dict[str, Any]) -> None:
        """The record just POSTed is in the first page of GET /v1/logs, with the stats it was sent with."""
        name = "stateful_roundtrip"
        items = _json(listed)
        found = [r for r in items if isinstance(r, dict) and self.settings.tag in (r.get("files") or [])] \
            if isinstance(items, list) else []
        if not found:
            self._fail(SCENARIO_OPERATION, name, f"the record just POSTed (files: {self.settings.tag}) is not "
                       "in GET /v1/logs?limit=100&page=0", source="GET /v1/logs", request=listed.request)
        elif found[0].get("stats") != record["stats"]:
            self._fail(SCENARIO_OPERATION, name, "GET /v1/logs returns the record with other stats than "
                       "were POSTed", source="GET /v1/logs", pointer="/stats", request=listed.request)

    def _compare_totals(self, before: dict[str, Any] | None, after_response: Any, record: dict[str, Any]) -> None:
        """GET /apiv3/stats went up by at least what the record added."""
        name = "stateful_roundtrip"
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


def judge_response(case: Any, response: Any, checks: Iterable[str]) -> list[tuple[str, str, str]]:
    """(check, pointer, message) for each failure of each named schemathesis check on one answer.

    One check at a time, so a failure is attributed to exactly one check; the endpoint
    checks and the traffic checks (proxy, HAR) both judge answers here.
    """
    from schemathesis.checks import CHECKS as REGISTRY
    from schemathesis.checks import load_all_checks
    from schemathesis.core.failures import Failure, FailureGroup

    load_all_checks()
    found: list[tuple[str, str, str]] = []
    status = f"status {response.status_code}"
    for name in checks:
        try:
            case.validate_response(response, checks=[REGISTRY.get_one(name)])
            continue
        except FailureGroup as group:
            failures = list(group.exceptions)
        except Failure as one:
            failures = [one]
        for item in failures[:5]:
            pointer = ""
            path = getattr(item, "instance_path", None)
            if path:
                from ..pointers import pointer_from_parts

                pointer = pointer_from_parts(tuple(path))
            title = getattr(item, "title", "") or type(item).__name__
            detail = _failure_detail(item)
            found.append((name, pointer, f"{title} ({status})" + (f": {detail}" if detail else "")))
    return found


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
    if is_envelope(body) and isinstance(body["payload"], dict):
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
