"""pytest side of the validating proxy: the ``woowup_proxy`` fixture.

One proxy per session (per xdist worker), started the first time a test asks
for it, in front of ``--woowup-base-url`` when one is given and of the session's
mock otherwise; each test sees only its own exchanges (the journal is cleared
before it). Nothing is imported or started for a session that never asks.

    def test_sync_reports_cleanly(woowup_proxy, woowup_mock):
        run_connector(base_url=woowup_proxy.base_url, api_key=woowup_mock.api_key)
        woowup_proxy.check()  # fails the test with the report when an exchange broke a contract
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from .loader import Registry
    from .traffic.proxy import ProxyServer


@pytest.fixture(scope="session")
def woowup_proxy_options() -> dict[str, Any]:
    """Keyword arguments for the session's ProxyServer; override in a conftest.py,
    e.g. ``return {"errors": True}`` or ``{"apiv3_upstream": "https://api.woowup.com"}``."""
    return {}


@pytest.fixture(scope="session")
def woowup_proxy_upstream(request: pytest.FixtureRequest) -> str:
    """Where the proxy forwards: --woowup-base-url / $WOOWUP_BASE_URL, else the session's mock."""
    from .plugin import settings_of

    base_url = settings_of(request.config).base_url
    if base_url:
        return str(base_url)
    return str(request.getfixturevalue("woowup_mock_server").base_url)


@pytest.fixture(scope="session")
def woowup_proxy_server(woowup_contracts: Registry, woowup_proxy_upstream: str,
                        woowup_proxy_options: dict[str, Any]) -> Iterator[ProxyServer]:
    """One validating proxy per session on 127.0.0.1."""
    from .traffic.proxy import ProxyServer

    server = ProxyServer(woowup_contracts, upstream=woowup_proxy_upstream, **woowup_proxy_options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def woowup_proxy(woowup_proxy_server: ProxyServer) -> Iterator[ProxyServer]:
    """The session's proxy with an empty journal: ``.base_url``, ``.exchanges``, ``.results()``,
    ``.violations()``, ``.check()``; an error inside the proxy fails the test after it."""
    woowup_proxy_server.clear()
    yield woowup_proxy_server
    woowup_proxy_server.check_errors()
