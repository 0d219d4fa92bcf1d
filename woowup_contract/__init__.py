"""woowup-contract: contract tests for WoowUp connectors.

The public Python API. Heavy parts (strategies, the mock server, endpoint
checks) live in their own modules and are imported only when used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .checker import Checker
from .loader import ContractError, Registry, UnknownContract, load_registry
from .model import Contract, Result, Violation
from .sources import Payload, payload_from_text, read_file

__all__ = [
    "Checker",
    "Contract",
    "ContractError",
    "Payload",
    "Registry",
    "Result",
    "UnknownContract",
    "Violation",
    "__version__",
    "load_registry",
    "payload_from_text",
    "read_file",
]
