"""The mock server fixtures, as pytest-httpserver has them: one server per session (per
xdist worker), a function-scoped fixture that only empties it, an overridable options
fixture, and a ``pytest_sessionfinish`` backstop that stops a server whose teardown never ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from ..loader import Registry
    from ..mock.server import MockServer

# the servers started in this process and not closed yet
SERVERS_KEY = pytest.StashKey["list[MockServer]"]()


@pytest.fixture(scope="session")
def woowup_mock_options() -> dict[str, Any]:
    """Keyword arguments for the session's MockServer; override in a conftest.py,
    e.g. ``return {"envelope": True}``."""
    return {}


@pytest.fixture(scope="session")
def woowup_mock_server(pytestconfig: pytest.Config, woowup_contracts: Registry,
                       woowup_mock_options: dict[str, Any]) -> Iterator[MockServer]:
    """One mock of the WoowUp endpoints per session (per xdist worker) on 127.0.0.1."""
    from ..mock.server import MockServer

    servers = pytestconfig.stash.setdefault(SERVERS_KEY, [])
    server = MockServer(woowup_contracts, **woowup_mock_options)
    server.start()
    servers.append(server)
    try:
        yield server
    finally:
        if server in servers:
            servers.remove(server)
        server.close()


@pytest.fixture
def woowup_mock(woowup_mock_server: MockServer, woowup_mock_options: dict[str, Any]) -> Iterator[MockServer]:
    """The session's mock server, emptied before each test (records, journal, and faults back
    to ``woowup_mock_options``); an error raised inside the server fails the test after it."""
    server = woowup_mock_server
    server.reset()
    server.set_faults(woowup_mock_options.get("faults", ()), latency=woowup_mock_options.get("latency", 0.0),
                      rate_limit=woowup_mock_options.get("rate_limit"))
    yield server
    server.check_errors()


@pytest.hookimpl(trylast=True)  # after pytest's own teardown of the session fixtures
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Backstop: stop a mock server whose fixture teardown never ran."""
    servers = session.config.stash.get(SERVERS_KEY, [])
    for server in list(servers):
        try:
            server.close()
        finally:
            servers.remove(server)
