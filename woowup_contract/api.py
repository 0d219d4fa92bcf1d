"""``woowup_contract.validate``: the CLI's verdict on one payload, from Python.

The same registry, Checker and reader as ``woowup-contract validate``, so the same
document gives the same violations (JSON text also gets the CLI's line and column,
and its duplicate-key findings). Checkers are compiled once per (contracts, contract,
profile) and kept.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .checker import Checker
    from .model import Result


@lru_cache(maxsize=16)
def _checker(contracts_dirs: tuple[str, ...], contract: str, profile: str) -> Checker:
    from .checker import Checker
    from .loader import load_registry

    return Checker(load_registry(contracts_dirs), contract, profile=profile)  # type: ignore[arg-type]


def validate(document: Any, contract: str = "connectors.log-record", *, strict: bool = False,
             contracts_dir: Sequence[str | os.PathLike[str]] = (), source: str = "<document>") -> Result:
    """Check one payload against ``contract``; the Result lists every violation.

    ``document`` is a parsed JSON value (dict, list, ...) or JSON text (``str`` or
    ``bytes``, parsed as the CLI parses a file: parse errors, line and column, duplicate
    keys). ``strict`` is the CLI's ``--strict``; ``contracts_dir`` its ``--contracts-dir``.
    Raises ``UnknownContract`` for an unknown id and ``ContractError`` for a broken contract.
    """
    from .sources import payload_from_bytes, payload_from_text

    dirs = tuple(os.fspath(d) for d in contracts_dir)
    checker = _checker(dirs, contract, "strict" if strict else "official")
    if isinstance(document, str):
        return checker.check(payload_from_text(source, document))
    if isinstance(document, (bytes, bytearray, memoryview)):
        return checker.check(payload_from_bytes(source, bytes(document)))
    return checker.check_document(document, source)
