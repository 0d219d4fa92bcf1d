"""The fixtures that check payloads a test builds itself: ``woowup_contracts``, ``woowup_validate``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

import pytest

from ._collect import LINE_SUFFIXES
from ._findings import FINDINGS_SECTION, PayloadInvalid, violation_lines
from ._run import run_of
from ._settings import DEFAULT_CONTRACT

if TYPE_CHECKING:
    from ..checker import Checker
    from ..loader import Registry
    from ..model import Result

Validate = Callable[..., Any]


@pytest.fixture(scope="session")
def woowup_contracts(pytestconfig: pytest.Config) -> Registry:
    """The contract registry of this run (bundled plus --woowup-contracts-dir), loaded once."""
    return run_of(pytestconfig).registry


@pytest.fixture
def woowup_validate(request: pytest.FixtureRequest) -> Validate:
    """``woowup_validate(payload, contract="connectors.log-record", *, strict=False)``.

    ``payload`` is a parsed document (dict, list, ...), JSON text (str or bytes starting
    with ``{`` or ``[``) or a path. Raises ``PayloadInvalid`` (an AssertionError) listing
    every violation; returns the Result, warnings included, when the payload is valid (a
    list of Results for a JSONL/NDJSON path). Strict findings go to the end-of-run summary.
    """
    run = run_of(request.config)
    node = request.node

    def validate(payload: Any, contract: str = DEFAULT_CONTRACT, *, strict: bool = False) -> Any:
        __tracebackhide__ = True
        profile = "strict" if strict else "official"
        results, many = _check(run.checker(contract, profile), payload)
        if any(not r.valid for r in results):
            raise PayloadInvalid(results, contract, profile)
        for r in results:
            if r.warnings:
                node.add_report_section("call", FINDINGS_SECTION,
                                        f"{r.source} ({contract}):\n" + violation_lines(r.warnings))
        return results if many else results[0]

    return validate


def _check(checker: Checker, payload: Any) -> tuple[list[Result], bool]:
    """The results for a document, JSON text or bytes, or a path; and whether the path holds
    one payload per line."""
    from ..sources import payload_from_bytes, payload_from_text, read_file

    if isinstance(payload, os.PathLike) or (isinstance(payload, str) and not payload.lstrip().startswith(("{", "["))):
        path = os.fspath(payload)
        return [checker.check(p) for p in read_file(path)], path.lower().endswith(LINE_SUFFIXES)
    if isinstance(payload, str):
        return [checker.check(payload_from_text("<text>", payload))], False
    if isinstance(payload, (bytes, bytearray)):
        return [checker.check(payload_from_bytes("<bytes>", bytes(payload)))], False
    return [checker.check_document(payload)], False
