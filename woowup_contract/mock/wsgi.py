"""A small threaded HTTP/1.1 WSGI server with keep-alive, for the mock.

Why not werkzeug's ``make_server``: it closes the connection after every
response (so each request pays a TCP handshake and a new thread) and parses
headers with the ``email`` package; measured on 2 cores it answered
POST /v1/log about 25% slower than Prism. This one keeps connections open,
runs one thread per connection, parses the request head with bytes
operations and writes each response with one ``sendall``.

It is strict where a lenient parser would be a risk: one Content-Length (or
chunked, never both), no obsolete line folding, bounded request line, header
count and size; a body too large to read is refused, drained without being
held (so the client sees the answer), and the connection closed.
"""

from __future__ import annotations

import selectors
import socket
import sys
import threading
from email.utils import formatdate
from typing import Any, Callable, Iterable
from urllib.parse import unquote_to_bytes

MAX_REQUEST_LINE = 8192
MAX_HEADERS = 100
MAX_HEAD_BYTES = 64 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # unread body bytes discarded so a client sees our answer
IDLE_TIMEOUT = 60.0
MAX_CONNECTIONS = 512

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
            503: "Service Unavailable", 505: "HTTP Version Not Supported"}
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class HttpError(Exception):
    """A request the server itself refuses before the application sees it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BodyError(OSError):
    """A request body that cannot be read (a broken chunked coding); OSError as in werkzeug."""


class BodyReader:
    """``wsgi.input``: reads at most the declared body, sends ``100 Continue`` on first read."""

    def __init__(self, rfile: Any, length: int | None, chunked: bool, on_first_read: Callable[[], None] | None
                 ) -> None:
        self._rfile = rfile
        self.remaining = length or 0
        self.chunked = chunked
        self._chunk_left = 0
        self._done = not chunked and not length
        self._on_first_read = on_first_read
        self.expecting = on_first_read is not None

    @property
    def awaiting_continue(self) -> bool:
        """The client sent Expect: 100-continue and we never asked for the body."""
        return self.expecting and self._on_first_read is not None

    def _start(self) -> None:
        if self._on_first_read is not None:
            callback, self._on_first_read = self._on_first_read, None
            callback()

    def read(self, size: int = -1) -> bytes:
        self._start()
        if self.chunked:
            return self._read_chunked(size)
        if self.remaining <= 0:
            return b""
        n = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._rfile.read(n)
        self.remaining -= len(data)
        if len(data) < n:  # the client went away mid-body
            self.remaining = 0
        return data

    def _read_chunked(self, size: int) -> bytes:
        out = bytearray()
        while not self._done and (size is None or size < 0 or len(out) < size):
            if self._chunk_left == 0:
                line = self._rfile.readline(1026)
                if not line.endswith(b"\n"):
                    raise BodyError("bad chunk header")
                try:
                    self._chunk_left = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BodyError("bad chunk size") from None
                if self._chunk_left == 0:
                    self._skip_trailers()
                    self._done = True
                    break
            want = self._chunk_left if size is None or size < 0 else min(self._chunk_left, size - len(out))
            data = self._rfile.read(want)
            if len(data) < want:
                raise BodyError("the chunked body ended early")
            out += data
            self._chunk_left -= len(data)
            if self._chunk_left == 0 and self._rfile.readline(3) not in (b"\r\n", b"\n"):
                raise BodyError("a chunk does not end with CRLF")
        return bytes(out)

    def _skip_trailers(self) -> None:
        for _ in range(MAX_HEADERS):
            line = self._rfile.readline(MAX_REQUEST_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                return
        raise BodyError("too many trailer fields")

    def readline(self, size: int = -1) -> bytes:  # WSGI asks for it; the mock never uses it
        return self.read(size)

    def __iter__(self) -> Any:
        return iter(lambda: self.read(65536), b"")

    def unread(self) -> int | None:
        """Bytes left of a Content-Length body (None for chunked not read to the end)."""
        if self.chunked:
            return 0 if self._done else None
        return self.remaining


class ThreadedWSGIServer:
    """Serves ``app`` on a real socket; ``serve_forever`` in one thread, one thread per connection."""

    def __init__(self, host: str, port: int, app: WSGIApp, *,
                 on_error: Callable[[BaseException], None] | None = None,
                 idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.app = app
        self.on_error = on_error
        self.idle_timeout = idle_timeout
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        self.socket = socket.create_server((host, port), family=family, backlog=1024)
        self.server_address = self.socket.getsockname()[:2]
        self.host, self.port = host, int(self.server_address[1])
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    # -- lifecycle -----------------------------------------------------------------

    def serve_forever(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.socket, selectors.EVENT_READ)
        selector.register(self._wake_r, selectors.EVENT_READ)
        try:
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r or self._stopping.is_set():
                        return
                    try:
                        conn, addr = self.socket.accept()
                    except OSError:
                        continue
                    if not self._slots.acquire(blocking=False):
                        conn.close()  # over MAX_CONNECTIONS: refuse rather than pile up threads
                        continue
                    thread = threading.Thread(target=self._serve_connection, args=(conn, addr),
                                              name="woowup-mock-conn", daemon=True)
                    with self._lock:
                        self._connections[conn] = thread
                    thread.start()
        finally:
            selector.close()
            self._stopped.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop accepting, let running requests finish, close idle connections, join threads."""
        self._stopping.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._stopped.wait(timeout)
        with self._lock:
            connections = list(self._connections.items())
        for conn, _ in connections:
            try:
                conn.shutdown(socket.SHUT_RD)  # wakes a thread waiting for the next request
            except OSError:
                pass
        for _, thread in connections:
            thread.join(timeout)
        self.server_close()

    def server_close(self) -> None:
        for s in (self.socket, self._wake_r, self._wake_w):
            try:
                s.close()
            except OSError:
                pass

    # -- one connection ---------------------------------------------------------------

    def _serve_connection(self, conn: socket.socket, addr: Any) -> None:
        try:
            conn.settimeout(self.idle_timeout)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            rfile = conn.makefile("rb", buffering=65536)
            try:
                while not self._stopping.is_set():
                    if not self._serve_request(conn, rfile, addr):
                        break
            finally:
                rfile.close()
        except (OSError, ValueError):
            pass  # the client went away, or timed out
        except Exception as exc:  # a bug in the server: keep it for the caller
            self._report(exc)
        finally:
            try:
                conn.close()
            except OSError:
                pass
            with self._lock:
                self._connections.pop(conn, None)
            self._slots.release()

    def _report(self, exc: BaseException) -> None:
        if self.on_error is not None:
            self.on_error(exc)
        else:  # pragma: no cover - only without a MockServer around it
            print(f"woowup-contract mock: server error: {exc!r}", file=sys.stderr)

    def _serve_request(self, conn: socket.socket, rfile: Any, addr: Any) -> bool:
        """One request and its answer; False when the connection must close."""
        try:
            head = _read_head(rfile)
            if head is None:
                return False
            environ, keep_alive, body = self._environ(head, rfile, conn, addr)
        except HttpError as exc:
            _send_plain(conn, exc.status, exc.message)
            return False
        status_headers: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            status_headers[:] = [status, headers]
            return lambda data: None  # the write() callable: the mock never uses it

        try:
            result = self.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception as exc:
            self._report(exc)
            _send_plain(conn, 500, "internal server error")
            return False
        status, headers = status_headers
        unread = body.unread()
        if body.awaiting_continue:  # the client may never send the body: neither wait for it nor reuse
            unread, keep_alive = 0, False
        if any(k.lower() == "connection" and v.lower() == "close" for k, v in headers) or unread is None \
                or unread > DRAIN_LIMIT:
            keep_alive = False
        lines = [f"HTTP/1.1 {status}", f"Date: {formatdate(usegmt=True)}", "Server: woowup-contract-mock"]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() != "connection"]
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        if unread:
            _drain(rfile, min(unread, DRAIN_LIMIT))
        return keep_alive

    def _environ(self, head: tuple[bytes, list[tuple[bytes, bytes]]], rfile: Any, conn: socket.socket, addr: Any
                 ) -> tuple[dict[str, Any], bool, BodyReader]:
        request_line, fields = head
        parts = request_line.split()
        if len(parts) != 3:
            raise HttpError(400, "malformed request line")
        method_b, target_b, version_b = parts
        if not version_b.startswith(b"HTTP/1."):
            raise HttpError(505, "only HTTP/1.x is served")
        if not method_b or any(c not in _TOKEN for c in method_b):
            raise HttpError(400, "malformed method")
        target = target_b.decode("latin-1")
        if "://" in target.split("?", 1)[0]:  # absolute-form: keep the path
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        if not path.startswith("/"):
            raise HttpError(400, "the request target must start with /")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method_b.decode("ascii"),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(self.server_address[0]),
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": version_b.decode("ascii"),
            "REMOTE_ADDR": str(addr[0]) if isinstance(addr, tuple) else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        lengths: set[bytes] = set()
        for name_b, value_b in fields:
            name = name_b.decode("latin-1").upper().replace("-", "_")
            value = value_b.decode("latin-1")
            if name == "CONTENT_LENGTH":
                lengths.add(value_b.strip())
                environ["CONTENT_LENGTH"] = value.strip()
            elif name == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif "_" in name_b.decode("latin-1"):
                continue  # names with "_" could pose as others after the "-" → "_" mapping
            else:
                key = "HTTP_" + name
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        if len(lengths) > 1:
            raise HttpError(400, "conflicting Content-Length headers")
        encoding = environ.get("HTTP_TRANSFER_ENCODING", "").strip().lower()
        chunked = False
        if encoding:
            if encoding != "chunked":
                raise HttpError(501, "only the chunked transfer coding is supported")
            if lengths:
                raise HttpError(400, "Content-Length and Transfer-Encoding together")
            chunked = True
            environ["wsgi.input_terminated"] = True
            environ.pop("CONTENT_LENGTH", None)
        length: int | None = None
        if lengths:
            text = next(iter(lengths))
            if not text.isdigit():
                raise HttpError(400, "Content-Length is not a whole number")
            length = int(text) if len(text) <= 19 else 2 ** 63
        connection = environ.get("HTTP_CONNECTION", "").lower()
        if version_b == b"HTTP/1.0":
            keep_alive = "keep-alive" in connection
        else:
            keep_alive = "close" not in connection
        on_first_read = None
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue" and version_b != b"HTTP/1.0":
            def on_first_read() -> None:
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = BodyReader(rfile, length, chunked, on_first_read)
        environ["wsgi.input"] = body
        return environ, keep_alive, body


def _read_head(rfile: Any) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """The request line and header fields, or None when the client closed the connection."""
    line = rfile.readline(MAX_REQUEST_LINE + 1)
    blank = 0
    while line in (b"\r\n", b"\n"):  # tolerated between requests (RFC 9112 §2.2)
        blank += 1
        if blank > 4:
            raise HttpError(400, "empty request line")
        line = rfile.readline(MAX_REQUEST_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_REQUEST_LINE or not line.endswith(b"\n"):
        raise HttpError(414, "the request line is too long")
    fields: list[tuple[bytes, bytes]] = []
    total = len(line)
    while True:
        raw = rfile.readline(MAX_REQUEST_LINE + 1)
        total += len(raw)
        if not raw:
            raise HttpError(400, "the request head ended early")
        if raw in (b"\r\n", b"\n"):
            break
        if total > MAX_HEAD_BYTES or len(fields) >= MAX_HEADERS or not raw.endswith(b"\n"):
            raise HttpError(431, "request header fields too large")
        if raw[:1] in (b" ", b"\t"):
            raise HttpError(400, "obsolete header line folding is not accepted")
        name, sep, value = raw.partition(b":")
        if not sep or not name or any(c not in _TOKEN for c in name):
            raise HttpError(400, "malformed header field")
        value = value.strip(b" \t\r\n")
        if b"\r" in value or b"\n" in value or b"\x00" in value:
            raise HttpError(400, "control characters in a header value")
        fields.append((name, value))
    return line.rstrip(b"\r\n"), fields


def _send_plain(conn: socket.socket, status: int, message: str) -> None:
    """An error the server answers itself: JSON in the API v3 envelope, then close."""
    import json

    code = {400: "bad_request", 413: "payload_too_large", 414: "uri_too_long", 431: "header_fields_too_large",
            500: "internal_error", 501: "not_implemented", 505: "http_version_not_supported"}.get(status, "error")
    body = json.dumps({"payload": [], "message": message, "code": code}).encode("ascii")
    head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    try:
        conn.sendall(head.encode("ascii") + body)
    except OSError:
        pass


def _drain(rfile: Any, amount: int) -> None:
    """Read and drop what the client is still sending, so closing does not reset our answer."""
    while amount > 0:
        chunk = rfile.read1(min(amount, 65536)) if hasattr(rfile, "read1") else rfile.read(min(amount, 65536))
        if not chunk:
            return
        amount -= len(chunk)
