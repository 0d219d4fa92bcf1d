"""The ``woowup_api`` fixture: a requests.Session for the WoowUp API, the mock's or a real one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

from ._run import settings_of

if TYPE_CHECKING:
    import requests


@pytest.fixture
def woowup_api(request: pytest.FixtureRequest) -> Iterator[requests.Session]:
    """A requests.Session for the WoowUp API: relative URLs go to the base URL, auth is set.

    It points at --woowup-base-url / $WOOWUP_BASE_URL (key from --woowup-api-key /
    $WOOWUP_API_KEY) when one is given, and at ``woowup_mock`` otherwise.
    """
    settings = settings_of(request.config)
    if settings.base_url:
        if not settings.api_key:
            pytest.fail(f"woowup_api: {settings.origins['base_url']} is set but there is no API key: "
                        "pass --woowup-api-key or set WOOWUP_API_KEY", pytrace=False)
        base_url, api_key = settings.base_url, settings.api_key
    else:
        mock = request.getfixturevalue("woowup_mock")
        base_url, api_key = mock.base_url, mock.api_key
    session = make_session(base_url, api_key)
    try:
        yield session
    finally:
        session.close()


def make_session(base_url: str, api_key: str | None) -> requests.Session:
    """A requests.Session that prefixes relative URLs with ``base_url`` and sends
    ``Authorization: Bearer <key>`` without ever showing the key in a repr."""
    import requests

    class _BearerKey(requests.auth.AuthBase):
        def __init__(self, key: str) -> None:
            self._key = key

        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            r.headers["Authorization"] = f"Bearer {self._key}"
            return r

        def __repr__(self) -> str:
            return "<Bearer API key (hidden)>"

    class WoowupSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self.base_url = base_url.rstrip("/")
            if api_key:
                self.auth = _BearerKey(api_key)

        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
                    ) -> requests.Response:
            text = url.decode() if isinstance(url, bytes) else url
            if "://" not in text:
                text = self.base_url + "/" + text.lstrip("/")
            return super().request(method, text, *args, **kwargs)

        def __repr__(self) -> str:
            return f"<WoowupSession {self.base_url}>"

    return WoowupSession()
