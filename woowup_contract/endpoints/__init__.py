"""Endpoint checks: the contracts' OpenAPI document, driven by schemathesis, judged per check.

``woowup-contract check`` and the pytest items of ``--woowup-endpoints`` both run
``run_checks``: for every operation, schemathesis generates positive and
negative requests (Hypothesis strategies from ``operation.as_strategy``), each
response is judged by each check on its own (``case.validate_response`` with one
check at a time, so a failure is attributed to exactly one check), auth is
probed with no key and a wrong key, and, where writes are allowed, a record is
POSTed and looked for in ``GET /v1/logs`` and ``/apiv3/stats``.

Live safety lives here too: only GET operations against a live URL unless writes
are allowed, every written record carries a ``files`` entry naming the tool and
the run id, requests are paced (and 429s wait for ``Retry-After``), TLS
verification is never turned off, and the API key is masked in everything that
leaves the process.

schemathesis, hypothesis and requests are imported inside functions: importing
this module stays cheap.
"""

from __future__ import annotations

import sys
import time as time  # reached as endpoints.time (a test's clock goes there)
import types
from typing import Any

from . import _model, _report, _runner, _safety
from ._cli import (
    _check_url as _check_url,
    _run_and_report as _run_and_report,
    run_cli,
    settings_from_args as settings_from_args,
)
from ._model import (
    CHECKS,
    RESPONSE_CHECKS as RESPONSE_CHECKS,
    SCENARIO_OPERATION as SCENARIO_OPERATION,
    TOOL as TOOL,
    ConnectionProblem,
    Finding as Finding,
    Outcome,
    RunReport,
    Settings,
    WrittenRecord as WrittenRecord,
    _ordered as _ordered,
    planned_checks,
)
from ._report import (
    TerminalProgress as TerminalProgress,
    _run_facts as _run_facts,
    _write_text as _write_text,
    write_report,
)
from ._runner import (
    _DEAD as _DEAD,
    _REASONS as _REASONS,
    _failure_detail as _failure_detail,
    _is_unsatisfiable as _is_unsatisfiable,
    _json as _json,
    _Operation as _Operation,
    _prepared as _prepared,
    _reason as _reason,
    _reason_phrase as _reason_phrase,
    _Runner as _Runner,
    _snippet as _snippet,
    _stats_body as _stats_body,
    auth_header,
    embedded_mock as embedded_mock,
    run_checks,
)
from ._safety import (
    _NOISE_HEADERS as _NOISE_HEADERS,
    DEFAULT_LIVE_RATE as DEFAULT_LIVE_RATE,
    MAX_429_RETRIES as MAX_429_RETRIES,
    MAX_CURL_BODY as MAX_CURL_BODY,
    MAX_RETRY_AFTER as MAX_RETRY_AFTER,
    MaskedStream as MaskedStream,
    Masker,
    _make_session as _make_session,
    _shell_quote as _shell_quote,
    curl_line as curl_line,
    parse_rate_limit,
    retry_after_seconds as retry_after_seconds,
)


class _Package(types.ModuleType):
    """Setting ``endpoints.time`` (a test's fake clock) reaches every module that reads ``time``.

    The pacing, Retry-After, run ids and progress read ``time`` from their own modules;
    forwarding keeps the one switch the single-file module had.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "time":
            for module in (_model, _report, _runner, _safety):
                setattr(module, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = ["CHECKS", "ConnectionProblem", "Masker", "Outcome", "RunReport", "Settings", "auth_header",
           "parse_rate_limit", "planned_checks", "run_checks", "run_cli", "write_report"]
