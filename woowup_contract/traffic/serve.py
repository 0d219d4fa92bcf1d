"""A WSGI app served in a background thread: bind, serve, stop. Nothing else.

The server is the mock's (cheroot with strict framing, a deadline for request heads and
heads gathered without a worker), so the proxy refuses what the mock refuses and a
slow client holds no thread of it either.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

READY_TIMEOUT = 10.0
STOP_POLL = 0.05


class ThreadedServer:
    """The mock's HTTP server on ``host:port`` (0: a free port) in a daemon thread."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0, *,
                 threads: int = 8, name: str = "woowup-contract") -> None:
        from ..mock.http import MockHTTPServer

        self.server = MockHTTPServer(host, port, app, threads=threads, name=name)
        # the selector loop wakes this often to see a stop: the wait in stop()
        self.server.expiration_interval = STOP_POLL
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> ThreadedServer:
        """Bind (raising OSError when the port is taken) and serve in the background."""
        self.server.prepare()  # binds now, so a taken port is an error here and not in the thread
        ready = threading.Event()

        def serve() -> None:
            ready.set()
            try:
                self.server.serve()
            except BaseException as exc:  # kept for the caller; a server thread must not die loudly
                self.error = exc

        self._thread = threading.Thread(target=serve, name="woowup-contract-server", daemon=True)
        self._thread.start()
        ready.wait(READY_TIMEOUT)
        return self

    @property
    def port(self) -> int:
        return int(self.server.bind_addr[1])

    @property
    def host(self) -> str:
        return str(self.server.bind_addr[0])

    def url(self) -> str:
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        if self._thread is not None:
            self.server.stop()
            self._thread.join(READY_TIMEOUT)
            self._thread = None
