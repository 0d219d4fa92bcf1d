"""How WoowUp's API speaks HTTP: the API v3 envelope, its error codes, status lines, auth words.

One table each, read by every surface: the mock answers with them, the proxy and the
endpoint checks judge with them, the OpenAPI export routes examples by them, and the
validator recognises the envelope with the same test. No imports beyond the standard
library: the validator and the mock can both afford it.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

__all__ = ["AUTH_WORDS", "ERROR_CODES", "auth_header", "envelope", "error_code", "is_envelope", "status_line",
           "status_of_error_code", "status_phrase"]

# The API v3 error codes (convention; ``too_many_request`` is WoowUp's spelling) by status.
ERROR_CODES: dict[int, str] = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    408: "request_timeout", 409: "conflict", 411: "length_required", 413: "payload_too_large",
    414: "uri_too_long", 415: "unsupported_media_type", 422: "unprocessable_entity", 429: "too_many_request",
    431: "header_fields_too_large",
    500: "internal_error", 501: "not_implemented", 502: "bad_gateway", 503: "service_unavailable",
    504: "gateway_timeout", 505: "http_version_not_supported",
}
_STATUS_OF_CODE = {code: str(status) for status, code in ERROR_CODES.items()}

# A contract's auth scheme → the word that opens its Authorization header (compared without case).
# ``basic-raw-key`` is API v3's habit: the raw key after "Basic ", not base64 of user:password.
AUTH_WORDS: dict[str, str] = {"bearer": "Bearer", "basic-raw-key": "Basic"}


def auth_header(scheme: str, key: str) -> str:
    """The Authorization value for a contract auth scheme and a key."""
    return f"{AUTH_WORDS[scheme]} {key}"


def envelope(payload: Any, message: str, code: str) -> bytes:
    """A body in the API v3 envelope, as the API answers (ASCII JSON)."""
    return json.dumps({"payload": payload, "message": message, "code": code}).encode("ascii")


def error_code(status: int) -> str:
    """The ``code`` of an API v3 error answer with this status."""
    return ERROR_CODES.get(status, "server_error" if status >= 500 else "error")


def status_of_error_code(code: str) -> str | None:
    """The status (as the contracts write it, ``"403"``) that carries an API v3 error ``code``, if known."""
    return _STATUS_OF_CODE.get(code)


def is_envelope(document: Any, key: str = "payload") -> bool:
    """Whether a parsed body is the API v3 envelope ``{key: ..., "message": ..., "code": ...}``.

    All three members must be there: an object that merely has a ``payload`` member is a
    bare body that happens to use the word, and is judged as one."""
    return type(document) is dict and key in document and "code" in document and "message" in document


def status_phrase(status: int) -> str:
    """``"Too Many Requests"`` for 429; empty for a status HTTP does not name."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def status_line(status: int) -> str:
    """The status line a WSGI server sends: ``"429 Too Many Requests"``, ``"599 Error"`` when unnamed."""
    return f"{status} {status_phrase(status) or 'Error'}"
