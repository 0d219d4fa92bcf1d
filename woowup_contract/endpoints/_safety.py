"""Live safety: the paced HTTP session, Retry-After, connection errors, curl reproductions."""

from __future__ import annotations

import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Callable

from .. import rates
from ..exits import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from ._model import Settings

DEFAULT_LIVE_RATE = 60.0  # requests per minute: well under WoowUp's 140
MAX_RETRY_AFTER = 120.0  # seconds; a longer wait is reported instead of slept through
MAX_429_RETRIES = 3
MAX_CURL_BODY = 4000

_NOISE_HEADERS = {"user-agent", "accept-encoding", "accept", "connection", "content-length",
                  "x-schemathesis-testcaseid"}


# -- secrets: one masking function for the whole tool (woowup_contract.masking) ---------------

from ..masking import MaskedStream as MaskedStream, Masker as Masker  # noqa: E402 - re-exported for the endpoint checks


# -- HTTP ---------------------------------------------------------------------------------


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def default_rate(base_url: str) -> float | None:
    """The request budget when none is given: WoowUp's pace for a remote API, none for this machine
    (a mock or a proxy on 127.0.0.1, localhost or [::1] has no 140/min to respect)."""
    host = (urllib.parse.urlsplit(base_url).hostname or "").lower()
    return None if host in LOCAL_HOSTS or host.startswith("127.") else DEFAULT_LIVE_RATE


def parse_rate_limit(text: str | None) -> float | None:
    """``--rate-limit`` (spelt as ``woowup_contract.rates`` reads it) → requests per minute;
    None for ``none`` or no option; a UsageError naming the option for anything else."""
    if text is None:
        return None
    try:
        rate = rates.parse_rate_limit(text)
    except ValueError as exc:
        raise UsageError(f"--rate-limit: {exc}") from None
    return rate.per_minute if rate is not None else None


def paced_session(settings: Settings, on_write: Callable[[Any, Any], None]) -> Any:
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
            kwargs["verify"] = True  # TLS verification stays on, whatever asks otherwise
            attempt = 0
            while True:
                self._pace()
                self.count += 1
                response = super().request(method, url, *args, **kwargs)
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


_CONNECTION_FAILURES = {
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


def connection_reason(exc: BaseException) -> str:
    """A short, key-free reason for a connection-level failure."""
    text = str(exc)
    for marker, said in _CONNECTION_FAILURES.items():
        if marker in text:
            return said
    inner = exc.args[0] if exc.args else exc
    return str(getattr(inner, "reason", inner))[:200]


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
