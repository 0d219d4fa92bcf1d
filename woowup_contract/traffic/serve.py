"""A WSGI app served by cheroot in a background thread: bind, serve, stop. Nothing else.

Kept apart so any server of the package (the proxy, and whatever else wants a
well-kept server in a thread) starts and stops the same way.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

READY_TIMEOUT = 10.0
STOP_POLL = 0.05
MAX_HEADER_BYTES = 64 * 1024


class ThreadedServer:
    """``cheroot.wsgi.Server`` on ``host:port`` (0: a free port) in a daemon thread."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0, *,
                 threads: int = 8, name: str = "woowup-contract") -> None:
        from cheroot import wsgi

        self.server = wsgi.Server((host, port), app, numthreads=threads, server_name=name)
        # the selector loop wakes this often to see a stop: 0.5 s (cheroot's default) is the wait in stop()
        self.server.expiration_interval = STOP_POLL
        self.server.max_request_header_size = MAX_HEADER_BYTES  # cheroot's default is no limit at all
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
