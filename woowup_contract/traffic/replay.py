"""Replay: recorded answers served for matching requests, in front of the stateful mock.

The matching rule: a request matches a recorded exchange when the method, the
path and the query parameters (names and values, in any order) are the same;
headers, the key and the body are not compared. Several recordings of one
request are served in the order they were recorded, and the last one again once
they run out. Anything that matches nothing goes to the wrapped app (the mock).
Only answers that came from the upstream are replayed: not the proxy's own 400s
(``--errors``), not exchanges that got no answer.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from ..exits import UsageError
from ..wire import status_line
from .judge import Exchange

Key = tuple[str, str, tuple[tuple[str, str], ...]]
REPLAY_HEADER = "X-Woowup-Replay"
# recomputed or meaningless for a body served whole from the recording (its text is decoded)
_DROPPED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding",
                      "date", "server", "te", "trailer", "upgrade"})


def request_key(method: str, path: str, query: str) -> Key:
    """What two requests must share to match: method, path, the query pairs as a sorted multiset."""
    return method.upper(), path or "/", tuple(sorted(parse_qsl(query, keep_blank_values=True)))


class ReplayApp:
    """WSGI middleware: a recorded answer when one matches, else the wrapped app (whose attributes it shows)."""

    def __init__(self, app: Callable[..., Any], exchanges: Iterable[Exchange]) -> None:
        self.app = app
        self._answers: dict[Key, list[Exchange]] = {}
        for exchange in sorted(exchanges, key=lambda e: e.seq):
            if exchange.status is None or exchange.answered_by_proxy or exchange.problem:
                continue
            key = request_key(exchange.method, exchange.path, exchange.query)
            self._answers.setdefault(key, []).append(exchange)
        self._served: dict[Key, int] = {}
        self._lock = threading.Lock()

    @property
    def recorded(self) -> int:
        return sum(len(v) for v in self._answers.values())

    def __getattr__(self, name: str) -> Any:  # journal(), reset(), ...: the mock's own API stays reachable
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = request_key(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""),
                          environ.get("QUERY_STRING", ""))
        answers = self._answers.get(key)
        if not answers:
            return self.app(environ, start_response)
        with self._lock:
            served = self._served.get(key, 0)
            self._served[key] = served + 1
        exchange = answers[min(served, len(answers) - 1)]
        body = exchange.response_body
        headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in _DROPPED]
        headers += [("Content-Length", str(len(body))), (REPLAY_HEADER, str(exchange.seq))]
        status = exchange.status or 500
        start_response(f"{status} {exchange.reason}" if exchange.reason else status_line(status), headers)
        return [] if key[0] == "HEAD" else [body]


def replay_from(app: Callable[..., Any], paths: list[str]) -> ReplayApp:
    """``app`` behind the answers recorded in these HAR files (in this order); UsageError for one that is not HAR."""
    from .har import read_har

    exchanges: list[Exchange] = []
    offset = 0
    for path in paths:
        found = [entry.exchange for entry in read_har(path) if entry.exchange is not None]
        for exchange in found:
            exchange.seq += offset  # a later file's recordings come after an earlier one's
        exchanges.extend(found)
        offset = max((e.seq for e in exchanges), default=offset)
    replay = ReplayApp(app, exchanges)
    if not replay.recorded:
        raise UsageError(f"no answer to replay in {', '.join(paths)}")
    return replay
