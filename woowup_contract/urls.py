"""Whether a value is an http(s) URL: one answer for every option that takes one.

The CLI's ``--base-url``, ``--apiv3-base-url``, ``--upstream`` and ``--apiv3-upstream``
and the plugin's base URL all ask this question, and all get the strictest answer:
an ``http`` or ``https`` scheme, a host name, a port that is a number in range when
there is one, and no white space anywhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .exits import UsageError

__all__ = ["http_url", "is_http_url"]


def is_http_url(text: str) -> bool:
    """True for ``http://host[:port]/...`` or ``https://...`` that a client can connect to."""
    try:
        url = urlsplit(text)
        url.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.hostname) and not any(c.isspace() for c in text)


def http_url(value: str, *, what: str) -> str:
    """``value`` when it is an http(s) URL; else a UsageError naming ``what`` (the option it came from)."""
    if not is_http_url(value):
        raise UsageError(f"{what}: expected an http:// or https:// URL, got {value!r}")
    return value
