"""Real traffic against the endpoint contracts: a validating proxy, HAR files, record and replay.

``ProxyServer`` forwards a connector's requests and judges both sides of each
exchange; ``read_har``/``write_har`` keep exchanges in HAR 1.2; ``ReplayApp``
serves recorded answers in front of the mock. Importing this package is cheap:
requests, cheroot and schemathesis load when a proxy starts or an answer is judged.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"read_har": "har", "write_har": "har", "Exchange": "judge", "TrafficJudge": "judge",
            "TrafficResult": "judge", "Verdicts": "judge", "ProxyServer": "proxy", "TrafficViolation": "proxy",
            "ReplayApp": "replay", "replay_from": "replay", "request_key": "replay"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # the command line imports .cli only; the rest loads when used
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
