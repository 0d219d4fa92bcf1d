"""The stateful mock of the WoowUp endpoints: ``MockServer`` and ``woowup-contract mock``.

app (WSGI routes built from the endpoint contracts), store (SQLite), faults
(injected statuses, latency, rate limit), http (cheroot, with stricter framing),
server (the server object and the CLI runner).
"""

from __future__ import annotations

from .server import MockServer

__all__ = ["MockServer"]
