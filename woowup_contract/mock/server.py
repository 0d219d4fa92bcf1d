"""The mock server object (for tests and fixtures) and ``woowup-contract mock``.

``MockServer`` runs the WSGI app on a real socket in a background thread.
Errors raised inside the server are kept and raised again in the caller
(``check_errors``, and on leaving a ``with`` block), so a bug in the mock fails
the test that met it instead of vanishing into a thread. A start that does not
become ready stops itself.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import secrets
import sys
import threading
import time
from datetime import datetime
from types import TracebackType
from typing import IO, Any, Callable, Iterable

from ..loader import Registry, load_registry
from .app import ADMIN_TOKEN_HEADER, JOURNAL_BYTES, MockApp, admin_token_from_env
from .faults import make_plan
from .store import Store
from .http import HEAD_TIMEOUT, THREADS, TIMEOUT, MockHTTPServer, limit_malloc_arenas

READY_TIMEOUT = 10.0


def generate_key() -> str:
    """A fresh random API key for a mock started without one."""
    return "mock_" + secrets.token_hex(16)


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError("an API key must be a non-empty string")
    if any(c.isspace() or not c.isprintable() for c in key) or not key.isascii():
        raise ValueError("an API key must be printable ASCII without spaces (it travels in a header)")
    return key


class MockServer:
    """The stateful mock of the WoowUp endpoints, on 127.0.0.1 by default.

    ``with MockServer() as mock: requests.post(mock.base_url + "/v1/log", ...)``.
    """

    def __init__(self, registry: Registry | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 api_keys: Iterable[str] | None = None, db: str | None = None, envelope: bool = False,
                 rate_limit: Any = None, faults: Iterable[Any] = (), latency: Any = 0.0,
                 max_body: int = 1024 * 1024, seed: int | None = None, threads: int = THREADS,
                 head_timeout: float = HEAD_TIMEOUT, timeout: float = TIMEOUT,
                 admin_token: str | None = None, journal_bytes: int = JOURNAL_BYTES,
                 max_connections: int | None = None) -> None:
        keys = [_check_key(k) for k in api_keys] if api_keys is not None else [generate_key()]
        if not keys:
            raise ValueError("api_keys is empty: give at least one key, or None to have one generated")
        if max_body < 1:
            raise ValueError("max_body must be at least 1 byte")
        if threads < 1 or head_timeout <= 0 or timeout <= 0 or (max_connections is not None and max_connections < 1):
            raise ValueError("threads and max_connections must be at least 1, head_timeout and timeout above 0 s")
        self.threads, self.head_timeout, self.timeout = threads, head_timeout, timeout
        self.max_connections = max_connections
        self.registry = registry if registry is not None else load_registry()
        self.host = host
        self.port = port
        self.db = db
        self._plan = make_plan(faults, latency, rate_limit)
        self.store = Store(db)
        token = admin_token if admin_token is not None else admin_token_from_env()
        if token is not None:
            _check_key(token)
        self.app = MockApp(self.registry, self.store, keys, envelope=envelope, max_body=max_body,
                           plan=self._plan, seed=seed, admin_token=token, host=host,
                           journal_bytes=journal_bytes)
        self._httpd: MockHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float = READY_TIMEOUT) -> MockServer:
        """Listen and serve in a background thread; return once a request is answered."""
        if self.is_running:
            raise RuntimeError("the mock server is already running")
        httpd = MockHTTPServer(self.host, self.port, self.app, threads=self.threads,
                               head_timeout=self.head_timeout, timeout=self.timeout,
                               max_connections=self.max_connections, on_error=self._keep_error)
        try:
            httpd.prepare()  # binds and starts the workers: an OSError here is "cannot listen"
        except BaseException:
            httpd.head_deadlines.close()
            raise
        self._httpd = httpd
        self.port = httpd.port
        self._thread = threading.Thread(target=self._serve, name="woowup-mock", daemon=True)
        self._thread.start()
        if not self._wait_ready(timeout):
            self.stop()
            raise RuntimeError(f"the mock server did not answer on {self.base_url} within {timeout:g} s")
        return self

    @property
    def open_connections(self) -> int:
        """Client connections open now (0 when not serving): what ``max_connections`` counts."""
        httpd = self._httpd
        return 0 if httpd is None else httpd.open_connections

    def _serve(self) -> None:
        httpd = self._httpd
        assert httpd is not None
        try:
            httpd.serve()
        except BaseException as exc:  # noqa: BLE001 - kept for the caller
            self._keep_error(exc)

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._thread is None or not self._thread.is_alive():
                return False
            conn = http.client.HTTPConnection(self._connect_host(), self.port, timeout=1.0)
            try:
                # the client closes first, so no TIME_WAIT holds the port when the mock is started again on it
                conn.request("GET", "/_mock/health", headers=self.admin_headers)
                if conn.getresponse().status == 200:
                    return True
            except OSError:
                time.sleep(0.02)
            finally:
                conn.close()
        return False

    def stop(self) -> None:
        """Stop serving (running requests finish); the records stay readable until ``close``."""
        httpd, thread = self._httpd, self._thread
        self._httpd, self._thread = None, None
        if httpd is not None:
            httpd.stop()
        if thread is not None:
            thread.join(5.0)

    def close(self) -> None:
        """Stop, and close the database (a ``--db`` file is checkpointed and complete)."""
        self.stop()
        self.store.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        if exc is None:
            self.check_errors()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- where and who -------------------------------------------------------------------

    def _connect_host(self) -> str:
        return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)

    @property
    def base_url(self) -> str:
        host = self._connect_host()
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def admin_token(self) -> str | None:
        """The token the admin paths ask for (``$WOOWUP_MOCK_ADMIN_TOKEN`` unless given); None: no token."""
        return self.app.admin_token

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers an HTTP client sends to reach ``/_mock/*`` (the token, when one is set)."""
        return {ADMIN_TOKEN_HEADER: self.app.admin_token} if self.app.admin_token else {}

    @property
    def api_keys(self) -> tuple[str, ...]:
        return self.app.api_keys

    @property
    def api_key(self) -> str:
        return self.app.api_keys[0]

    @property
    def log(self) -> Callable[[str], None] | None:
        """Called with one line per request (no keys in it); None keeps the mock quiet."""
        return self.app.log

    @log.setter
    def log(self, value: Callable[[str], None] | None) -> None:
        self.app.log = value

    # -- state ------------------------------------------------------------------------

    def records(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """The stored records of one account (default: the first key's), newest first."""
        return self.store.records(api_key if api_key is not None else self.api_key)

    def journal(self) -> list[dict[str, Any]]:
        """Every request received (method, path, status, validation summary; never a key)."""
        return self.app.journal()

    def reset(self) -> None:
        """Empty the records and the journal (and rate-limit windows and kept errors)."""
        self.app.reset()

    # -- faults ------------------------------------------------------------------------

    def set_faults(self, faults: Iterable[Any] = (), *, latency: Any = 0.0, rate_limit: Any = None) -> None:
        """Replace the fault plan: ``set_faults(["503:0.5"], latency="200ms", rate_limit="140/min")``."""
        self.app.faults.set_plan(make_plan(faults, latency, rate_limit))

    def clear_faults(self) -> None:
        """No injected faults, no latency, no rate limit."""
        self.set_faults()

    @property
    def faults(self) -> dict[str, Any]:
        return self.app.faults.plan.to_dict()

    # -- errors inside the server ----------------------------------------------------------

    def _keep_error(self, exc: BaseException) -> None:
        self.app.keep_error(exc)

    @property
    def errors(self) -> list[BaseException]:
        return list(self.app.errors)

    def check_errors(self) -> None:
        """Raise (again, here) the first error met inside the server, and forget them all."""
        errors = self.app.take_errors()
        if errors:
            raise errors[0]


# -- the command line ---------------------------------------------------------------------


def run_cli(args: argparse.Namespace, out: IO[str]) -> int:
    """``woowup-contract mock``: serve until SIGINT or SIGTERM."""
    from ..cli_common import registry_from, stop_signals
    from ..exits import EXIT_OK, UsageError

    try:
        plan = make_plan(args.fault, args.latency, args.rate_limit)
        keys = [_check_key(k) for k in args.api_key] or None
        admin_token = _check_key(args.admin_token) if args.admin_token else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    registry = registry_from(args)
    try:
        server = MockServer(registry, host=args.host, port=args.port, api_keys=keys, db=args.db,
                            envelope=args.envelope, rate_limit=plan.rate_limit, faults=plan.faults,
                            latency=plan.latency, max_body=args.max_body, seed=args.seed,
                            admin_token=admin_token, threads=args.threads, head_timeout=args.head_timeout,
                            timeout=args.idle_timeout, journal_bytes=args.journal_bytes)
    except Exception as exc:  # sqlite3 errors for a bad --db
        raise UsageError(f"cannot open --db {args.db}: {exc}") from None
    err = sys.stderr
    server.log = lambda line: log_line(err, line)
    if getattr(args, "replay", None):
        from ..traffic.replay import replay_from

        server.app = replay_from(server.app, args.replay)  # type: ignore[assignment]
    limit_malloc_arenas()  # the process is ours: freed memory stays usable by every worker
    try:
        server.start()
    except OSError as exc:
        server.close()
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    # Move the start-up heap (contracts, compiled schemas, modules) out of the collector's sight,
    # so full collections stay short while requests come in; thawed when the mock stops, for a
    # program that runs the command in its own process.
    gc.freeze()
    try:
        with stop_signals() as stop:
            _announce(out, server, generated=keys is None, plan_text=_plan_text(server))
            while not stop.wait(0.5):
                pass
    finally:
        server.close()
        gc.unfreeze()
    kept = f"; records kept in {server.db}" if server.db else ""
    out.write(f"woowup-contract mock: stopped{kept}\n")
    out.flush()
    return EXIT_OK


def _plan_text(server: MockServer) -> str:
    plan = server.faults
    parts = [f"fault {f}" for f in plan["faults"]]
    if plan["latency"] != "0ms":
        parts.append(f"latency {plan['latency']}")
    if plan["rate_limit"]:
        parts.append(f"rate limit {plan['rate_limit']}")
    return ", ".join(parts)


def _announce(out: IO[str], server: MockServer, *, generated: bool, plan_text: str) -> None:
    lines = [f"woowup-contract mock: listening on {server.base_url}",
             "  POST /v1/log, GET /v1/logs (Bearer); GET /apiv3/stats (Basic <key> or Bearer)",
             f"  records: {server.db or 'in memory (lost at exit; --db FILE keeps them)'}",
             f"  journal: GET {server.base_url}/_mock/journal; reset: POST {server.base_url}/_mock/reset"
             + (f" (send {ADMIN_TOKEN_HEADER})" if server.admin_token else "")]
    if generated:
        lines.append(f"  API key (generated, shown once): {server.api_key}")
    else:
        lines.append(f"  API keys: {len(server.api_keys)} given")
    if server.host not in ("127.0.0.1", "localhost", "::1"):
        lines.append(f"  warning: listening on {server.host}, reachable from other machines")
    if plan_text:
        lines.append(f"  faults: {plan_text}")
    lines.append("  stop with Ctrl-C or SIGTERM; one line per request follows on stderr")
    out.write("\n".join(lines) + "\n")
    out.flush()


def log_line(stream: IO[str], line: str) -> None:
    """One timestamped line on a server's log stream; a closed stream never stops serving."""
    try:
        stream.write(f"{datetime.now().strftime('%H:%M:%S')} {line}\n")
        stream.flush()
    except (OSError, ValueError):
        pass
