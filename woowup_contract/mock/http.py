"""The mock's HTTP layer: cheroot (CherryPy's WSGI server) with stricter framing.

cheroot gives the thread pool, keep-alive, the connection manager (idle
connections wait in a selector, not in a thread) and bounded heads. On top of
it, what a request smuggler or a slow client would use is refused here:

- a request head is gathered in cheroot's selector thread, without blocking,
  and only a whole head goes to a worker: slow heads hold no thread at all;
- at most ``max_connections`` are open at once (503 past it), below the
  process' open-file limit;
- the request line must end ``HTTP/1.0`` or ``HTTP/1.1`` exactly;
- header names are tokens, values carry no control characters, no obsolete
  line folding, at most ``MAX_HEADERS`` fields; names with ``_`` are dropped
  (``Content_Length`` is no Content-Length);
- one Content-Length of digits only, never together with Transfer-Encoding;
  Transfer-Encoding is ``chunked`` exactly (else 501);
- chunk sizes are 1-16 hex digits and every chunk line ends in CRLF; a chunk is
  read in pieces, so its declared size never becomes an allocation;
- a request head must arrive within ``head_timeout`` seconds of its first
  byte (answered 408, then closed); ``timeout`` bounds each wait for the next
  bytes of a body and an idle keep-alive connection.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import logging
import re
import socket
import sys
import threading
import time
from typing import Any, Callable, Iterator

from cheroot import errors as cheroot_errors
from cheroot import makefile as cheroot_makefile
from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi

from ..wire import envelope, error_code

try:
    import resource
except ImportError:  # Windows: no open-file limit to read
    resource = None  # type: ignore[assignment]

# documented limits (README, "Mock server")
THREADS = 32                  # worker threads: requests served at once
BACKLOG = 1024                # connections the kernel queues before accept
KEEP_ALIVE_LIMIT = 1024       # idle keep-alive connections kept open
MAX_CONNECTIONS = 4096        # connections open at once (and at most the open-file limit less FD_RESERVE)
FD_RESERVE = 64               # file descriptors kept for the database, logs and the listening socket
HEAD_TIMEOUT = 5.0            # seconds for a whole request head, from its first byte
TIMEOUT = 10.0                # seconds of silence before a body read or an idle connection is cut
SHUTDOWN_TIMEOUT = 5.0        # seconds stop() waits for running requests
MAX_HEAD_BYTES = 64 * 1024    # request line + header fields
MAX_HEADERS = 100
MAX_TARGET = 8192             # the request target (path and query)
MAX_BODY_CAP = 64 * 1024 * 1024  # the server's own ceiling; the app refuses far less (--max-body)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]

_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_CHUNK_LINE = re.compile(rb"^([0-9A-Fa-f]{1,16})(;[^\r\n]*)?\r\n$")
_PIECE = 64 * 1024
# cheroot.server's own list (its stub omits it): names whose repeated fields join with ", "
_COMMA_SEPARATED: list[bytes] = cheroot_server.comma_separated_headers  # type: ignore[attr-defined]


def _header_field(line: bytes) -> tuple[bytes, bytes]:
    """One header line's name and value, refusing a folded line, a malformed name or control
    characters in the value."""
    if line[:1] in (b" ", b"\t"):
        raise ValueError("obsolete header line folding is not accepted")
    name, sep, value = line[:-2].partition(b":")
    if not sep or not _TOKEN.match(name):
        raise ValueError("malformed header field name")
    value = value.strip(b" \t")
    if _BAD_VALUE.search(value):
        raise ValueError("control characters in a header value")
    return name, value


def _check_content_length(earlier: bytes | None, value: bytes) -> None:
    """Refuse a Content-Length that is not digits, or that differs from one already read:
    two readers of the body must not disagree on where it ends."""
    if earlier is not None and earlier != value:
        raise ValueError("conflicting Content-Length fields")
    if not value.isdigit():
        raise ValueError("Content-Length is not a whole number")


class StrictHeaderReader(cheroot_server.HeaderReader):
    """cheroot's header reader, refusing what a lenient one would guess at."""

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> dict[bytes, bytes]:
        hdict = {} if hdict is None else hdict
        count = 0
        while True:
            line = rfile.readline()
            if not line:
                raise ValueError("the request head ended early")
            if line == b"\r\n":
                return hdict
            if not line.endswith(b"\r\n"):
                raise ValueError("HTTP requires CRLF line ends")
            count += 1
            if count > MAX_HEADERS:
                raise cheroot_errors.MaxSizeExceeded(f"more than {MAX_HEADERS} header fields")
            name, value = _header_field(line)
            if b"_" in name:
                continue  # CGI maps "-" and "_" alike: such a name could pose as another
            key = name.title()
            if key == b"Content-Length":
                _check_content_length(hdict.get(key), value)
            if key in hdict and (key in _COMMA_SEPARATED or key == b"Transfer-Encoding"):
                value = hdict[key] + b", " + value
            hdict[key] = value


class StrictChunkedRFile:
    """``wsgi.input`` of a chunked body: strict chunk lines, bounded reads, trailers consumed."""

    def __init__(self, rfile: Any, maxlen: int) -> None:
        self.rfile = rfile
        self.maxlen = maxlen
        self.bytes_read = 0
        self._left = 0       # bytes left in the current chunk
        self._done = False

    def _line(self) -> bytes:
        line = self.rfile.readline(1024)
        self.bytes_read += len(line)
        return line

    def _next_chunk(self) -> None:
        line = self._line()
        m = _CHUNK_LINE.match(line)
        if m is None:
            raise OSError("bad chunk size line (1-16 hex digits, then CRLF)")
        size = int(m.group(1), 16)
        if size == 0:
            for _ in range(MAX_HEADERS):  # trailer fields, dropped
                line = self._line()
                if line == b"\r\n":
                    self._done = True
                    return
                if not line.endswith(b"\r\n"):
                    raise OSError("bad trailer line in a chunked body")
            raise OSError("too many trailer fields")
        if self.maxlen and self.bytes_read + size > self.maxlen:
            raise OSError(f"the chunked body is over {self.maxlen} bytes")
        self._left = size

    def read(self, size: int | None = None) -> bytes:
        out = bytearray()
        while not self._done and (size is None or size < 0 or len(out) < size):
            if self._left == 0:
                self._next_chunk()
                continue
            want = min(self._left, _PIECE)
            if size is not None and size >= 0:
                want = min(want, size - len(out))
            data = self.rfile.read(want)
            if not data:
                raise OSError("the chunked body ended early")
            self.bytes_read += len(data)
            out += data
            self._left -= len(data)
            if self._left == 0 and self.rfile.read(2) != b"\r\n":
                raise OSError("a chunk does not end with CRLF")
        return bytes(out)

    def readline(self, size: int | None = None) -> bytes:  # WSGI asks for it; the mock reads whole bodies
        return self.read(size if size is not None and size >= 0 else _PIECE)

    def readlines(self, sizehint: int = 0) -> list[bytes]:
        return [self.read()]

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.read(_PIECE), b"")

    def read_trailer_lines(self) -> Iterator[bytes]:
        return iter(())

    def close(self) -> None:
        self.rfile = None


class HeadDeadlines:
    """One watchdog thread that cuts request heads older than their deadline.

    Cutting is a ``shutdown(SHUT_RD)``: a connection waiting in the selector turns
    readable (end of stream) and a worker's blocked read returns at once; either way
    the head is answered 408 and the connection closed.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[float, StrictConnection]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="woowup-mock-deadlines", daemon=True)
        self._thread.start()

    def arm(self, conn: StrictConnection, since: float) -> None:
        """The head that began at ``since`` (monotonic) is cut ``seconds`` later."""
        with self._lock:
            self._pending[id(conn)] = (since + self.seconds, conn)

    def disarm(self, conn: StrictConnection) -> None:
        with self._lock:
            self._pending.pop(id(conn), None)

    def _run(self) -> None:
        tick = min(0.25, self.seconds / 4)
        while not self._stop.wait(tick):
            now = time.monotonic()
            with self._lock:
                late = [c for when, c in self._pending.values() if when <= now]
                for conn in late:
                    self._pending.pop(id(conn), None)
            for conn in late:
                conn.head_late = True
                try:
                    conn.socket.shutdown(socket.SHUT_RD)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)


class StrictRequest(cheroot_server.HTTPRequest):
    """cheroot's request with the exact request line, a head deadline and strict chunks."""

    header_reader = StrictHeaderReader()
    conn: StrictConnection

    @property
    def head_late(self) -> bool:
        return self.conn.head_late

    def parse_request(self) -> None:
        """cheroot's, with the head deadline armed and 431 for a head over its bounds.

        The selector has gathered the whole head already; the deadline is armed again
        in case a head it took for whole still needs bytes from the socket."""
        self.rfile = cheroot_server.SizeCheckWrapper(self.conn.rfile, self.server.max_request_header_size)
        deadlines: HeadDeadlines = self.server.head_deadlines
        deadlines.arm(self.conn, time.monotonic())
        try:
            try:
                if not self.read_request_line():
                    return
            except cheroot_errors.MaxSizeExceeded:
                self.simple_response("414 URI Too Long", f"the request line is over {MAX_HEAD_BYTES} bytes")
                return
            try:
                if not self.read_request_headers():
                    return
            except cheroot_errors.MaxSizeExceeded:
                self.simple_response("431 Request Header Fields Too Large",
                                     f"the request head is over {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} fields")
                return
        finally:
            deadlines.disarm(self.conn)
        if self.head_late:  # the head made it just as it was cut: still refuse it
            self.simple_response("408 Request Timeout")
            return
        self.ready = True

    def simple_response(self, status: Any, msg: Any = "") -> None:
        """An error cheroot answers itself: JSON in the API v3 envelope, then close."""
        status = str(status)
        if self.head_late:
            status = "408 Request Timeout"
            msg = f"the request head took longer than {self.server.head_deadlines.seconds:g} s"
        elif status.startswith("413"):
            msg = f"the body is over the server's limit of {self.server.max_request_body_size} bytes"
        text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg or status[4:])
        body = envelope([], text, error_code(int(status[:3])))
        head = (f"{self.server.protocol} {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("latin-1")
        self.close_connection = True
        try:
            self.conn.wfile.write(head + body)
        except OSError as exc:
            if exc.args and exc.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise

    def __init__(self, server: Any, conn: Any, proxy_mode: bool = False, strict_mode: bool = True) -> None:
        # proxy_mode lets cheroot take an absolute-form target (RFC 9112 §3.2.2: a server MUST
        # accept it); its authority then stands for Host, and CONNECT is refused below.
        super().__init__(server, conn, proxy_mode=True, strict_mode=True)

    def read_request_line(self) -> bool:
        if not super().read_request_line():
            return False
        if len(self.uri) > MAX_TARGET:
            self.simple_response("414 URI Too Long", f"the request target is over {MAX_TARGET} bytes")
            return False
        if self.method == b"CONNECT" or self.method == b"OPTIONS" and self.authority:
            self.simple_response("405 Method Not Allowed", "this is not a proxy")
            return False
        if self.authority and self.scheme != b"http":
            self.simple_response("400 Bad Request", "an absolute-form target must be an http:// URL")
            return False
        if self.request_protocol not in (b"HTTP/1.0", b"HTTP/1.1"):
            self.simple_response("400 Bad Request", "the request line must end with HTTP/1.0 or HTTP/1.1")
            return False
        if not _TOKEN.match(self.method):
            self.simple_response("400 Bad Request", "malformed method")
            return False
        return True

    def read_request_headers(self) -> bool:
        if not super().read_request_headers():
            return False
        if self.authority:  # RFC 9112 §3.2.2: the target's authority replaces Host
            self.inheaders[b"Host"] = self.authority
        te = self.inheaders.get(b"Transfer-Encoding")
        if te is not None:
            codings = [c.strip(b" \t").lower() for c in te.split(b",")]
            if codings != [b"chunked"] or self.response_protocol != "HTTP/1.1":
                self.simple_response("501 Not Implemented", "only Transfer-Encoding: chunked is supported")
                self.close_connection = True
                return False
            if b"Content-Length" in self.inheaders:
                self.simple_response("400 Bad Request", "Content-Length and Transfer-Encoding together")
                self.close_connection = True
                return False
        return True

    def respond(self) -> None:
        if not self.chunked_read:
            super().respond()
            return
        self.rfile = StrictChunkedRFile(self.conn.rfile, self.server.max_request_body_size)
        self.server.gateway(self).respond()
        if self.ready:
            self.ensure_headers_sent()
        if self.chunked_write:
            self.conn.wfile.write(b"0\r\n\r\n")
        if not self.rfile._done:  # an unread or broken chunked body: the stream is out of step
            self.close_connection = True


class _GatheredSocketIO(socket.SocketIO):
    """The socket's raw stream, serving first the bytes the selector gathered without blocking."""

    def __init__(self, sock: socket.socket, mode: str) -> None:
        super().__init__(sock, mode)  # type: ignore[arg-type]  # typeshed narrows mode to literals
        self.sock = sock
        self.gathered = bytearray()

    def readinto(self, b: Any) -> int | None:
        if self.gathered:
            n = min(len(b), len(self.gathered))
            b[:n] = self.gathered[:n]
            del self.gathered[:n]
            return n
        return super().readinto(b)

    def gather(self) -> bool:
        """Take what the socket holds now, never waiting; False at the end of the stream."""
        timeout = self.sock.gettimeout()
        self.sock.settimeout(0.0)
        try:
            data = self.sock.recv(_PIECE)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        finally:
            self.sock.settimeout(timeout)
        self.gathered += data
        return bool(data)


class GatheringReader(cheroot_makefile.StreamReader):
    """``conn.rfile``: cheroot's socket reader over a stream the selector can fill ahead."""

    raw: _GatheredSocketIO

    def __init__(self, sock: socket.socket, mode: str = "rb", bufsize: int = io.DEFAULT_BUFFER_SIZE) -> None:
        # the buffered reader under StreamReader (cheroot's is _pyio's), over our raw stream
        super(cheroot_makefile.StreamReader, self).__init__(_GatheredSocketIO(sock, mode), bufsize)
        self.bytes_read = 0

    def has_data(self) -> bool:
        """cheroot asks before waiting in the selector: true for buffered bytes or a whole gathered
        head, not for a head still arriving (that one waits for more bytes)."""
        gathered = self.raw.gathered
        return bool(super().has_data() or len(gathered) > MAX_HEAD_BYTES or _head_complete(gathered, 0))

    def unread_buffer(self) -> None:
        """Bytes this reader buffered ahead (a pipelined head) go back in front of the gathered ones."""
        if cheroot_makefile.StreamReader.has_data(self):
            self.raw.gathered[:0] = super().read(len(self.peek(0)))  # from the buffer: no I/O


def _makefile(sock: socket.socket, mode: str = "r", bufsize: int = io.DEFAULT_BUFFER_SIZE) -> Any:
    """cheroot's MakeFile, with the gathering reader for reading."""
    if "r" in mode:
        return GatheringReader(sock, mode, bufsize)
    return cheroot_makefile.MakeFile(sock, mode, bufsize)


def _head_complete(data: bytearray, start: int) -> bool:
    """An empty line ends the head (CRLF, or the bare LF the strict reader then refuses)."""
    start = max(0, start - 2)
    return data.find(b"\n\r\n", start) >= 0 or data.find(b"\n\n", start) >= 0


class StrictConnection(cheroot_server.HTTPConnection):
    """A connection whose request heads are gathered in the selector before a worker sees them."""

    RequestHandlerClass = StrictRequest
    rfile: GatheringReader
    head_late = False             # set by the watchdog: this head missed its deadline
    head_since: float | None = None  # monotonic time of the current head's first byte
    _scanned = 0                  # gathered bytes already searched for the head's end
    _counted = False

    def __init__(self, server: MockHTTPServer, sock: socket.socket, makefile: Any = None) -> None:
        super().__init__(server, sock, _makefile)
        self.fresh = True

    def take_head(self) -> str:
        """Gather what arrived: ``"ready"`` (a whole head, or one over the limits), ``"wait"``,
        ``"late"`` (the deadline passed) or ``"gone"`` (the peer closed before any byte)."""
        self.rfile.unread_buffer()
        raw = self.rfile.raw
        open_ = raw.gather()
        data = raw.gathered
        if self.head_late:
            return "late"
        if data and self.head_since is None:
            self.head_since = time.monotonic()
            self.server.head_deadlines.arm(self, self.head_since)
        if len(data) > MAX_HEAD_BYTES or _head_complete(data, self._scanned) or (data and not open_):
            self.head_since, self._scanned = None, 0
            self.server.head_deadlines.disarm(self)
            return "ready"  # an over-long or cut-short head is refused by the worker, without waiting
        self._scanned = len(data)
        return "wait" if open_ else "gone"

    def close(self) -> None:
        self.server.head_deadlines.disarm(self)
        if self._counted:
            self._counted = False
            self.server.count_connection(-1)
        super().close()


class MockHTTPServer(cheroot_wsgi.Server):
    """cheroot's WSGI server with the mock's limits; errors go to ``on_error``, not stderr."""

    ConnectionClass = StrictConnection

    def __init__(self, host: str, port: int, app: WSGIApp, *, threads: int = THREADS,
                 head_timeout: float = HEAD_TIMEOUT, timeout: float = TIMEOUT,
                 max_connections: int | None = None, name: str = "woowup-contract-mock",
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        super().__init__((host, port), app, numthreads=threads, server_name=name,
                         request_queue_size=BACKLOG,
                         # cheroot's stub says int; both go to socket.settimeout(), which takes a float
                         timeout=timeout, shutdown_timeout=SHUTDOWN_TIMEOUT)  # type: ignore[arg-type]
        self.max_request_header_size = MAX_HEAD_BYTES
        self.max_request_body_size = MAX_BODY_CAP
        self.keep_alive_conn_limit = KEEP_ALIVE_LIMIT
        self.expiration_interval = 0.1  # the serve loop's select timeout: also how fast stop() returns
        self.max_connections = max_connections or connection_limit()
        self.on_error = on_error
        self.head_deadlines = HeadDeadlines(head_timeout)
        self._open = 0
        self._open_lock = threading.Lock()

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """A server-side failure is kept for the caller; routine notices are dropped."""
        if level >= logging.ERROR and traceback:
            exc = sys.exc_info()[1]
            if exc is not None and self.on_error is not None:
                self.on_error(exc)

    def count_connection(self, step: int) -> int:
        with self._open_lock:
            self._open += step
            return self._open

    @property
    def open_connections(self) -> int:
        with self._open_lock:
            return self._open

    def process_conn(self, conn: Any) -> None:
        """A connection goes to a worker only with a whole request head in hand; until then it
        waits in cheroot's selector, costing a file descriptor and no thread.

        Runs on the selector thread (and on a worker handing back a keep-alive connection)."""
        if conn.fresh:
            conn.fresh = False
            conn._counted = True
            if self.count_connection(1) > self.max_connections:
                self._refuse(conn, "503 Service Unavailable",
                             f"more than {self.max_connections} connections are open; try again")
                return
        state = conn.take_head()
        if state == "ready":
            super().process_conn(conn)
        elif state == "wait":
            # set in prepare(), absent from the stub; sees no buffered data now, so it registers
            self._connections.put(conn)  # type: ignore[attr-defined]
        elif state == "late":
            self._refuse(conn, "408 Request Timeout")
        else:
            conn.close()

    def _refuse(self, conn: StrictConnection, status: str, msg: str = "") -> None:
        """Answer without a worker (a few hundred bytes to a fresh send buffer) and close."""
        try:
            StrictRequest(self, conn).simple_response(status, msg)
        except OSError:
            pass
        finally:
            conn.close()

    @property
    def port(self) -> int:
        return int(self.bind_addr[1])

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            self.head_deadlines.close()


def connection_limit() -> int:
    """``MAX_CONNECTIONS``, or fewer when the open-file limit would run out first."""
    if resource is None:
        return MAX_CONNECTIONS
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(1, min(MAX_CONNECTIONS, soft - FD_RESERVE))


MALLOC_ARENAS = 2  # glibc's malloc arenas in a mock process of its own (glibc's default: 8 per core)
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's <malloc.h>


def limit_malloc_arenas() -> bool:
    """Cap glibc's per-thread malloc arenas, before the workers start.

    Each worker thread may get an arena of its own, and memory freed in one stays
    resident there: with 32 workers, sustained traffic holds some 40 MB more than two
    arenas do, while Python's own memory is the same. Only for a process that is the
    mock's alone (the command line), never for one that embeds it. False where the C
    library is not glibc."""
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS))
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
