"""HAR 1.2: exchanges written by the proxy, and read from the proxy, devtools, mitmproxy or Charles.

Writing redacts: the Authorization value keeps only its scheme (``Bearer ***``),
headers and query values with secret-looking names become ``***``, and the
whole file goes through the key mask. Reading is forgiving about what the
exporters differ on (``content.encoding: base64``, missing ``postData``, absent
sizes and timings) and strict about what a verdict needs (a method, a URL, a
status): an entry without them is reported, the others still judged.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..model import UsageError
from .judge import Exchange

HAR_VERSION = "1.2"
MAX_HAR_BYTES = 512 * 1024 * 1024
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def _secret_name(name: str) -> bool:
    from ..masking import secret_name

    return name.lower() in _SECRET_HEADERS or secret_name(name)


def redact_header(name: str, value: str) -> str:
    """``Bearer ***`` for an Authorization; ``***`` for any other secret-looking header."""
    if name.lower() in ("authorization", "proxy-authorization"):
        scheme, sep, _ = value.strip().partition(" ")
        return f"{scheme} ***" if sep else "***"
    return "***" if _secret_name(name) else value


def redact_url(url: str) -> str:
    from ..mock.app import redact_query

    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=redact_query(parts.query), netloc=parts.netloc.rpartition("@")[2]))


# -- writing --------------------------------------------------------------------------------


def _content(body: bytes, mime: str) -> dict[str, Any]:
    try:
        return {"size": len(body), "mimeType": mime, "text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"size": len(body), "mimeType": mime, "text": base64.b64encode(body).decode("ascii"),
                "encoding": "base64"}


def to_entry(exchange: Exchange) -> dict[str, Any]:
    """One HAR entry, redacted (the caller masks the text as a whole)."""
    from .proxy import _get

    req_mime = _get(exchange.request_headers, "Content-Type") or ""
    res_mime = _get(exchange.response_headers, "Content-Type") or ""
    query = [{"name": n, "value": "***" if _secret_name(n) else v}
             for n, v in parse_qsl(exchange.query, keep_blank_values=True)]
    request: dict[str, Any] = {
        "method": exchange.method, "url": redact_url(exchange.url), "httpVersion": "HTTP/1.1",
        "cookies": [], "headers": [{"name": n, "value": redact_header(n, v)} for n, v in exchange.request_headers],
        "queryString": query, "headersSize": -1, "bodySize": len(exchange.request_body),
    }
    if exchange.request_body:
        content = _content(exchange.request_body, req_mime)
        request["postData"] = {"mimeType": req_mime, "text": content["text"]}
        if "encoding" in content:
            request["postData"]["_encoding"] = "base64"
    response: dict[str, Any] = {
        "status": exchange.status if exchange.status is not None else 0,
        "statusText": exchange.reason, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": [{"name": n, "value": redact_header(n, v)} for n, v in exchange.response_headers],
        "content": _content(exchange.response_body, res_mime), "redirectURL": "",
        "headersSize": -1, "bodySize": len(exchange.response_body),
    }
    if exchange.problem:
        response["_error"] = exchange.problem
    entry: dict[str, Any] = {
        "startedDateTime": datetime.fromtimestamp(exchange.started or time.time(), timezone.utc)
        .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": exchange.duration_ms, "request": request, "response": response, "cache": {},
        "timings": {"send": 0, "wait": exchange.duration_ms, "receive": 0},
        "_woowupContract": {"exchange": exchange.seq, "answeredByProxy": exchange.answered_by_proxy},
    }
    return entry


def har_document(exchanges: Iterable[Exchange]) -> dict[str, Any]:
    from .. import __version__

    return {"log": {"version": HAR_VERSION, "creator": {"name": "woowup-contract", "version": __version__},
                    "pages": [], "entries": [to_entry(e) for e in sorted(exchanges, key=lambda e: e.seq)]}}


def write_har(path: str, exchanges: Iterable[Exchange], mask: Callable[[str], str]) -> None:
    """The exchanges as a HAR 1.2 file, redacted and masked; raises UsageError when it cannot be written."""
    text = mask(json.dumps(har_document(exchanges), indent=1, ensure_ascii=False))
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


# -- reading --------------------------------------------------------------------------------


@dataclass
class HarEntry:
    """One readable entry (``exchange``), or why an entry could not be read (``problem``)."""

    index: int
    exchange: Exchange | None = None
    problem: str | None = None
    host: str = ""
    from_proxy: bool = False


def _text(content: Any) -> bytes:
    """A HAR ``content``/``postData`` text as bytes (``encoding: base64`` or ``_encoding`` decoded)."""
    if not isinstance(content, dict):
        return b""
    text = content.get("text")
    if not isinstance(text, str):
        return b""
    if content.get("encoding") == "base64" or content.get("_encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except ValueError:
            raise ValueError("content.text is not valid base64") from None
    return text.encode("utf-8", "surrogatepass")


def _pairs(items: Any) -> list[tuple[str, str]]:
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            value = item.get("value", "")
            out.append((item["name"], value if isinstance(value, str) else str(value)))
    return out


def _started(text: Any) -> float:
    if isinstance(text, str):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return 0.0


def entry_to_exchange(index: int, entry: Any) -> HarEntry:
    if not isinstance(entry, dict):
        return HarEntry(index, problem="the entry is not an object")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return HarEntry(index, problem="the entry has no request or no response object")
    method, url, status = request.get("method"), request.get("url"), response.get("status")
    if not isinstance(method, str) or not method or not isinstance(url, str) or not url:
        return HarEntry(index, problem="the request has no method or no url")
    if type(status) is not int:
        return HarEntry(index, problem="the response status is not a number")
    try:
        parts = urlsplit(url)
        request_body = _text(request.get("postData"))
        response_body = _text(response.get("content"))
    except ValueError as exc:
        return HarEntry(index, problem=str(exc))
    post = request.get("postData")
    headers = _pairs(request.get("headers"))
    if isinstance(post, dict) and isinstance(post.get("mimeType"), str) and post["mimeType"] \
            and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", post["mimeType"]))  # exporters keep it in postData only
    response_headers = [(k, v) for k, v in _pairs(response.get("headers"))
                        if k.lower() not in ("content-encoding", "content-length")]  # text is already decoded
    own = entry.get("_woowupContract")
    problem = response.get("_error") if isinstance(response.get("_error"), str) else None
    seq = own.get("exchange") if isinstance(own, dict) else None
    exchange = Exchange(
        seq=seq if type(seq) is int and seq > 0 else index + 1, method=method.upper(), url=url,
        request_headers=headers, request_body=request_body,
        status=None if status == 0 else status,
        reason=str(response["statusText"]) if isinstance(response.get("statusText"), str) else "",
        response_headers=response_headers, response_body=response_body,
        started=_started(entry.get("startedDateTime")),
        duration_ms=float(entry["time"]) if isinstance(entry.get("time"), (int, float)) else 0.0,
        problem=problem or ("no answer was recorded (status 0)" if status == 0 else None),
        answered_by_proxy=bool(isinstance(own, dict) and own.get("answeredByProxy")))
    return HarEntry(index, exchange, host=(parts.hostname or "").lower(), from_proxy=isinstance(own, dict))


def read_har(path: str, *, max_bytes: int = MAX_HAR_BYTES) -> list[HarEntry]:
    """The entries of one HAR file; a file that is not HAR at all is a UsageError naming it."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a HAR file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise UsageError(f"{path} is over {max_bytes} bytes")
    return parse_har(path, data)


def parse_har(name: str, data: bytes) -> list[HarEntry]:
    from ..sources import payload_from_bytes

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # Charles and some Windows tools write a BOM
    payload = payload_from_bytes(name, data)
    if payload.error is not None:
        err = payload.error
        where = f" (line {err.line}, column {err.column})" if err.line is not None else ""
        raise UsageError(f"{name} is not a HAR file: {err.message}{where}")
    document = payload.document
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise UsageError(f"{name} is not a HAR file: no log.entries list")
    return [entry_to_exchange(i, entry) for i, entry in enumerate(entries)]
