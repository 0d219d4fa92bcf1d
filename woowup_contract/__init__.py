"""woowup-contract: contract tests for WoowUp connectors.

The public Python API, loaded on first use: the pytest plugin imports this
package in every pytest run of every project that installs it, and nothing
here should cost that run anything until it is asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Checker": "checker",
    "Contract": "model",
    "ContractError": "loader",
    "Payload": "sources",
    "Registry": "loader",
    "Result": "model",
    "UnknownContract": "loader",
    "Violation": "model",
    "load_registry": "loader",
    "payload_from_text": "sources",
    "read_file": "sources",
    "validate": "api",
}

__all__ = sorted([*_EXPORTS, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from .checker import Checker
    from .loader import ContractError, Registry, UnknownContract, load_registry
    from .model import Contract, Result, Violation
    from .api import validate
    from .sources import Payload, payload_from_text, read_file


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'woowup_contract' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
