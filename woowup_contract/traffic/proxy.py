"""The validating proxy: forwards a connector's requests to WoowUp (or the mock), judges both sides.

The connector points its base URL at the proxy. Each request goes upstream
unchanged, with the connector's own Authorization, and the upstream's answer
comes back unchanged; the exchange is judged after the answer is on its way,
so judging adds nothing to the connector's wait (``--errors`` judges the request
first, to refuse an invalid one without forwarding it). Bodies are bounded by
``max_body`` both ways; the key of every request is masked in all the proxy says.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import zlib
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..endpoints import ConnectionProblem, Masker, connection_reason
from ..masking import MaskedStream
from ..model import Violation
from ..report import one_line, pointer_label
from ..wire import status_line
from .judge import DEFAULT_MAX_BODY, Exchange, TrafficJudge, TrafficResult, Verdicts, header_value
from .serve import ThreadedServer

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Registry

DEFAULT_TIMEOUT = 30.0
# never forwarded: they describe one connection, not the message (RFC 9110 7.6.1), or are recomputed
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                         "trailers", "transfer-encoding", "upgrade", "host", "content-length"})
_CHUNK = 64 * 1024
JUDGE_NICENESS = 10
IDLE_TIMEOUT = 120.0  # seconds: a loaded CI machine may take long over the first schemas


class KeyMask:
    """Masks every key seen in an Authorization header so far, in every form ``Masker`` knows."""

    def __init__(self, *keys: str) -> None:
        self._keys: set[str] = {k for k in keys if k}
        self._mask = Masker(*self._keys)
        self._lock = threading.Lock()

    def learn(self, authorization: str | None) -> None:
        if not authorization or not authorization.strip():
            return
        value = authorization.strip()
        scheme, _, credentials = value.partition(" ")
        found = {value, credentials.strip()} if credentials.strip() else {value}
        if found <= self._keys:
            return
        with self._lock:
            self._keys |= found
            self._mask = Masker(*self._keys)

    def __call__(self, text: str) -> str:
        return self._mask(text)


def decoded(body: bytes, encoding: str | None, limit: int) -> bytes | None:
    """The body without its gzip/deflate coding (at most ``limit`` bytes), for judging; None: cannot."""
    coding = (encoding or "").strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        return None
    try:
        inflater = zlib.decompressobj(47 if "gzip" in coding else 15)
        out = inflater.decompress(body, limit + 1)
    except zlib.error:
        if coding != "deflate":
            return None
        try:  # raw deflate, as some servers send it
            out = zlib.decompressobj(-15).decompress(body, limit + 1)
        except zlib.error:
            return None
    return None if len(out) > limit else out


class _Judged:
    """The answer's body; when the server is done with it (``close``), the exchange is judged."""

    def __init__(self, body: bytes, on_close: Callable[[], None]) -> None:
        self._body = body
        self._on_close: Callable[[], None] | None = on_close

    def __iter__(self) -> Iterator[bytes]:
        yield self._body

    def close(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()


class ProxyApp:
    """The WSGI callable: read (bounded), judge, forward, answer, record."""

    def __init__(self, judge: TrafficJudge, upstream: str, apiv3_upstream: str | None = None, *,
                 errors: bool = False, max_body: int = DEFAULT_MAX_BODY, timeout: float = DEFAULT_TIMEOUT,
                 log: Callable[[str], None] | None = None, mask: KeyMask | None = None) -> None:
        self.judge = judge
        self.upstream = upstream.rstrip("/")
        self.apiv3_upstream = (apiv3_upstream or upstream).rstrip("/")
        self.errors = errors
        self.max_body = max_body
        self.timeout = timeout
        self.log = log
        self.mask = mask or KeyMask()
        # one connection pool per upstream, with requests' view of the environment (HTTPS_PROXY, NO_PROXY,
        # REQUESTS_CA_BUNDLE) read once: urllib3 directly costs half of what requests costs per forward
        self._pools = {base: _pool(base, timeout) for base in {self.upstream, self.apiv3_upstream}}
        # (exchange, request verdict), ('warm-up', None), or None to stop
        self._queue: queue.SimpleQueue[tuple[Any, list[Violation] | None] | None] = queue.SimpleQueue()
        self._judging: threading.Thread | None = None
        self.exchanges: list[Exchange] = []
        self.verdicts = Verdicts()
        self.failures: list[BaseException] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._seq = 0

    # -- bookkeeping ------------------------------------------------------------------------

    def wait_idle(self, timeout: float = IDLE_TIMEOUT) -> None:
        """Wait until every answered exchange is judged (the judging runs after the answer).

        Raises TimeoutError rather than hand over verdicts that are still coming."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout):
                raise TimeoutError(f"{self._pending} exchanges were still being judged after {timeout:g} s")

    def warm_up(self) -> None:
        """Start the judging thread and load what judging needs, so the first exchange does not wait for it."""
        self._start_judging()
        self._queue.put(("warm-up", None))

    def clear(self) -> None:
        """Forget the exchanges and verdicts so far (the sequence numbers go on)."""
        self.wait_idle()
        with self._lock:
            self.exchanges.clear()
            self.verdicts = Verdicts()

    def results(self) -> list[TrafficResult]:
        """The verdicts so far, oldest exchange first: an exchange is queued for judging once its
        answer is sent, so the next one on another connection can be queued before it."""
        self.wait_idle()
        with self._lock:
            return sorted(self.verdicts.results, key=lambda r: r.exchange)  # stable: request side first

    def seen(self) -> list[Exchange]:
        """The exchanges so far, in the order they arrived."""
        self.wait_idle()
        with self._lock:
            return sorted(self.exchanges, key=lambda e: e.seq)

    def _begin(self) -> int:
        with self._lock:
            self._seq += 1
            self._pending += 1
            return self._seq

    def _finish(self, exchange: Exchange, request: list[Violation] | None) -> None:
        """Hand the exchange to the judging thread: the connection goes on to its next request at once."""
        self._start_judging()
        self._queue.put((exchange, request))

    def _start_judging(self) -> None:
        with self._lock:
            if self._judging is None:
                self._judging = threading.Thread(target=self._judge_loop, name="woowup-contract-judge",
                                                 daemon=True)
                self._judging.start()

    def _judge_loop(self) -> None:
        try:  # Linux schedules threads on their own: judging yields the CPU to forwarding
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JUDGE_NICENESS)
        except (AttributeError, OSError):
            pass
        while True:
            item = self._queue.get()
            if item is None:
                return
            if item[0] == "warm-up":
                try:
                    self.judge.warm_up()
                except Exception as exc:
                    self._keep(exc)
                continue
            self._judge_one(*item)

    def close(self) -> None:
        """Judge what is queued, then stop the judging thread."""
        with self._lock:
            thread, self._judging = self._judging, None
        if thread is not None:
            self._queue.put(None)
            thread.join(60)

    def _judge_one(self, exchange: Exchange, request: list[Violation] | None) -> None:
        try:
            results = self.judge.judge(exchange, request)
        except Exception as exc:  # a bug in judging must not take the connector's traffic down
            self._keep(exc)
            results = ()
        # the line first: whoever waits for the verdicts finds the line already written
        if self.log is not None and any(not r.valid for r in results):
            self.log(self.mask(violation_line(exchange, results)))
        with self._idle:
            self.exchanges.append(exchange)
            self.verdicts.add(results)
            self._pending -= 1
            self._idle.notify_all()

    def _keep(self, exc: BaseException) -> None:
        with self._lock:
            if len(self.failures) < 100:
                self.failures.append(exc)
        if self.log is not None:
            self.log(self.mask(one_line(f"internal error while judging: {type(exc).__name__}: {exc}")))

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seq = self._begin()
        try:
            return self._exchange(seq, environ, start_response)
        except Exception as exc:
            self._keep(exc)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()
            return self._own_answer(start_response, 500, f"internal error in the proxy ({type(exc).__name__})")

    def _exchange(self, seq: int, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started_wall, started = time.time(), time.perf_counter()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        query = environ.get("QUERY_STRING", "")
        headers = _request_headers(environ)
        self.mask.learn(header_value(headers, "Authorization"))
        base = self.apiv3_upstream if path.startswith("/apiv3/") else self.upstream
        url = base + path + (f"?{query}" if query else "")
        exchange = Exchange(seq, method, url, headers, started=started_wall)
        try:
            body = self._read_body(environ)
        except OSError as exc:  # a broken chunked coding (the HTTP layer's words), or the client went away
            return self._refuse(exchange, start_response, 400, "body", f"the body could not be read: {exc}; "
                                                                       "the proxy refused it")
        request: list[Violation] | None = None
        if body is None:
            return self._refuse(exchange, start_response, 413, "max-body", f"the request body is over --max-body "
                                                                           f"({self.max_body} bytes); the proxy refused it")
        exchange.request_body = body
        if self.errors:
            request = self.judge.judge_request(method, path, query, headers, body)
            errors = [v for v in request if v.severity == "error"]
            if errors:
                exchange.answered_by_proxy, exchange.status = True, 400
                text = (f"the request breaks the contract of {method} {path}: {len(errors)} "
                        f"error{'s' if len(errors) != 1 else ''}, first {pointer_label(errors[0].pointer)} "
                        f"({errors[0].rule}): {errors[0].message}; not forwarded (--errors)")
                payload = {"errors": [v.to_dict() for v in errors],
                           "warnings": [v.to_dict() for v in request if v.severity != "error"]}
                answer = self._own_answer(start_response, 400, self.mask(text), payload)
                exchange.duration_ms = round((time.perf_counter() - started) * 1000, 3)
                self._finish(exchange, request)
                return answer
        status, reason, answer_headers, content, problem = self._forward(method, url, headers, body)
        exchange.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        if status is None:
            exchange.problem = problem
            answer = self._own_answer(start_response, 502, f"the upstream gave no answer: {problem}")
            self._finish(exchange, request)
            return answer
        exchange.status, exchange.reason, exchange.response_headers = status, reason, answer_headers
        if problem is not None:  # over --max-body: the connector gets a 502, the report says why
            exchange.problem = problem
            answer = self._own_answer(start_response, 502, problem)
            self._finish(exchange, request)
            return answer
        plain = decoded(content, header_value(answer_headers, "Content-Encoding"), self.max_body)
        exchange.response_body = plain if plain is not None else content
        out = [(k, v) for k, v in answer_headers if k.lower() not in _HOP_BY_HOP]
        out.append(("Content-Length", str(len(content))))
        start_response(f"{status} {reason}" if reason else status_line(status), out)
        return _Judged(b"" if method == "HEAD" else content, lambda: self._finish(exchange, request))

    def _read_body(self, environ: dict[str, Any]) -> bytes | None:
        """The request body, or None when it is over ``max_body`` (never held whole)."""
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        length_text = (environ.get("CONTENT_LENGTH") or "").strip()
        if environ.get("wsgi.input_terminated") or not length_text:
            if not environ.get("wsgi.input_terminated") and "chunked" not in environ.get(
                    "HTTP_TRANSFER_ENCODING", "").lower():
                return b""
            data = stream.read(self.max_body + 1)
            return None if len(data) > self.max_body else data
        if not length_text.isdigit() or len(length_text) > 18 or int(length_text) > self.max_body:
            return None
        remaining, chunks = int(length_text), []
        while remaining > 0:
            chunk = stream.read(min(remaining, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _forward(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
                 ) -> tuple[int | None, str, list[tuple[str, str]], bytes, str | None]:
        """(status, reason, headers, raw body, problem): status None when nothing came back."""
        from urllib3.exceptions import HTTPError, SSLError, TimeoutError

        sent: dict[str, str] = {}
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                sent[name] = f"{sent[name]}, {value}" if name in sent else value
        pool = self._pools[self.apiv3_upstream if url.startswith(self.apiv3_upstream + "/apiv3/") else self.upstream]
        try:
            response = pool.urlopen(method, url, body=body or None, headers=sent, redirect=False, retries=False,
                                    preload_content=False, decode_content=False)
        except SSLError as exc:
            return None, "", [], b"", f"TLS verification failed: {connection_reason(exc)}"
        except TimeoutError:
            return None, "", [], b"", f"no answer within {self.timeout:g} s"
        except (HTTPError, OSError) as exc:
            return None, "", [], b"", connection_reason(exc)
        try:
            answer_headers = [(str(k), str(v)) for k, v in response.headers.items()]
            chunks, size = [], 0
            while True:
                chunk = response.read(_CHUNK, decode_content=False)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_body:
                    response.close()  # the rest is never read: this connection cannot be reused
                    return (response.status, response.reason or "", answer_headers, b"",
                            f"the upstream's answer is over --max-body ({self.max_body} bytes); the proxy "
                            "answered 502 instead")
                chunks.append(chunk)
            response.release_conn()
            return response.status, response.reason or "", answer_headers, b"".join(chunks), None
        except (HTTPError, OSError) as exc:
            response.close()
            return None, "", [], b"", f"the answer broke off: {connection_reason(exc)}"

    def _refuse(self, exchange: Exchange, start_response: Callable[..., Any], status: int, rule: str,
                message: str) -> Iterable[bytes]:
        """Answer a request body the proxy will not forward (a violation of ``rule``), and close:
        what follows it on the connection cannot be framed."""
        exchange.answered_by_proxy, exchange.status = True, status
        request = [Violation("", rule, "error", message)]
        answer = self._own_answer(start_response, status, message, headers=[("Connection", "close")])
        self._finish(exchange, request)
        return answer

    def _own_answer(self, start_response: Callable[..., Any], status: int, message: str, payload: Any = None,
                    headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
        """An answer of the proxy itself, in the mock's (API v3) error envelope."""
        from ..mock.app import error_reply

        reply = error_reply(status, message, payload, headers)
        start_response(status_line(status), [("Content-Type", "application/json"),
                                                       ("Content-Length", str(len(reply.body))),
                                                       ("X-Woowup-Contract-Proxy", "answered"), *reply.headers])
        return [reply.body]


def _pool(base: str, timeout: float) -> Any:
    """A urllib3 pool for one upstream: certificates verified (requests' CA bundle or REQUESTS_CA_BUNDLE),
    the environment's proxy for it if any, no retries, a connect and read timeout."""
    import os

    import requests
    import urllib3
    from requests.utils import DEFAULT_CA_BUNDLE_PATH, select_proxy

    with requests.Session() as session:
        environment = session.merge_environment_settings(base, {}, False, True, None)
    verify = environment.get("verify")
    ca = verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH
    options: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED", "retries": False, "maxsize": 16, "block": False,
                               "timeout": urllib3.Timeout(connect=timeout, read=timeout)}
    options["ca_cert_dir" if os.path.isdir(ca) else "ca_certs"] = ca
    proxy = select_proxy(base, environment.get("proxies") or {})
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


def _request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out.append((key[5:].replace("_", "-").title(), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            out.append((key.replace("_", "-").title(), str(value)))
    return out


def violation_line(exchange: Exchange, results: Iterable[TrafficResult]) -> str:
    """One line for a violating exchange: the number, the request, the status, the first error of each side."""
    status = "no answer" if exchange.status is None else str(exchange.status)
    parts = []
    for result in results:
        errors = result.errors or result.violations
        if not result.valid and errors:
            first = errors[0]
            more = f" (+{len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
            parts.append(f"{result.side}: {pointer_label(first.pointer)}: {first.message} [{first.rule}]{more}")
    return one_line(f"#{exchange.seq} {exchange.method} {exchange.path} {status}: " + "; ".join(parts))


# -- the server -----------------------------------------------------------------------------


def check_upstream(url: str, timeout: float) -> None:
    """One plain request to the upstream: any HTTP answer will do; none is a ConnectionProblem."""
    import requests

    try:
        with requests.Session() as session:
            session.request("GET", url.rstrip("/") + "/", timeout=min(timeout, 10.0), allow_redirects=False,
                            verify=True).close()
    except requests.exceptions.SSLError as exc:
        raise ConnectionProblem(f"TLS verification failed for {url}: {connection_reason(exc)} "
                                "(verification stays on; fix the certificate or point REQUESTS_CA_BUNDLE at your CA)") from None
    except requests.exceptions.Timeout:
        raise ConnectionProblem(f"{url} did not answer within {min(timeout, 10.0):g} s") from None
    except requests.exceptions.RequestException as exc:
        raise ConnectionProblem(f"cannot connect to {url}: {connection_reason(exc)}") from None


class ProxyServer:
    """The proxy on 127.0.0.1 (a free port by default), in a background thread.

    ``with ProxyServer(upstream=mock.base_url) as proxy: requests.get(proxy.base_url + "/v1/logs", ...)``;
    then ``proxy.results()`` holds the verdicts, ``proxy.exchanges`` what was seen.
    """

    def __init__(self, registry: Registry | None = None, *, upstream: str, apiv3_upstream: str | None = None,
                 host: str = "127.0.0.1", port: int = 0, errors: bool = False, max_body: int = DEFAULT_MAX_BODY,
                 timeout: float = DEFAULT_TIMEOUT, log: Callable[[str], None] | None = None) -> None:
        from ..loader import load_registry

        for name, value in (("upstream", upstream), ("apiv3_upstream", apiv3_upstream)):
            if value is not None and not value.lower().startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http:// or https:// URL, got {value!r}")
        self.registry = registry if registry is not None else load_registry()
        self.app = ProxyApp(TrafficJudge(self.registry), upstream, apiv3_upstream, errors=errors,
                            max_body=max_body, timeout=timeout, log=log)
        self._server = ThreadedServer(self.app, host, port, name="woowup-contract-proxy")
        self._running = False

    def start(self) -> ProxyServer:
        self._server.start()
        self.app.warm_up()
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self._server.stop()
            self._running = False
        self.app.wait_idle()
        self.app.close()

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._server.url()

    @property
    def mask(self) -> KeyMask:
        return self.app.mask

    @property
    def exchanges(self) -> list[Exchange]:
        return self.app.seen()

    @property
    def verdicts(self) -> Verdicts:
        self.app.wait_idle()
        return self.app.verdicts

    def results(self) -> list[TrafficResult]:
        return self.app.results()

    def violations(self, side: str | None = None) -> list[Violation]:
        """Every violation seen so far (of one side, if given), oldest exchange first."""
        return [v for r in self.results() if side in (None, r.side) for v in r.violations]

    def clear(self) -> None:
        self.app.clear()

    def write_har(self, path: str) -> None:
        from .har import write_har

        write_har(path, self.exchanges, self.mask)

    def write_report(self, fmt: str, stream: IO[str]) -> None:
        """The report of the exchanges so far, key masked: every caller gets it masked."""
        masked = MaskedStream(stream, self.mask)
        self.verdicts.write(fmt, masked)  # type: ignore[arg-type]
        masked.flush()

    def report_text(self) -> str:
        """The text report of the exchanges so far, key masked."""
        import io

        buffer = io.StringIO()
        self.write_report("text", buffer)
        return buffer.getvalue()

    def check(self) -> None:
        """Raise TrafficViolation (an AssertionError) with the report when an exchange broke a contract."""
        if self.verdicts.failed:
            raise TrafficViolation(self.report_text())

    def check_errors(self) -> None:
        """Re-raise the first error met inside the proxy while it judged or forwarded (then forget them)."""
        with self.app._lock:
            failures, self.app.failures = self.app.failures, []
        if failures:
            raise failures[0]


class TrafficViolation(AssertionError):
    """An exchange through the proxy broke a contract; the message is the report."""
