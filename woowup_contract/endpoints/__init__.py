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
from ._cli import _check_url as _check_url
from ._cli import _run_and_report as _run_and_report
from ._cli import run_cli
from ._cli import settings_from_args as settings_from_args
from ._model import (
    CHECKS,
    ConnectionProblem,
    Outcome,
    RunReport,
    Settings,
    planned_checks,
)
from ._model import RESPONSE_CHECKS as RESPONSE_CHECKS
from ._model import SCENARIO_OPERATION as SCENARIO_OPERATION
from ._model import TOOL as TOOL
from ._model import Finding as Finding
from ._model import WrittenRecord as WrittenRecord
from ._model import _ordered as _ordered
from ._report import TerminalProgress as TerminalProgress
from ._report import _run_facts as _run_facts
from ._report import _write_text as _write_text
from ._report import write_report
from ._runner import _DEAD as _DEAD
from ._runner import _REASONS as _REASONS
from ._runner import _failure_detail as _failure_detail
from ._runner import _is_unsatisfiable as _is_unsatisfiable
from ._runner import _json as _json
from ._runner import _Operation as _Operation
from ._runner import _prepared as _prepared
from ._runner import _reason as _reason
from ._runner import _reason_phrase as _reason_phrase
from ._runner import _Runner as _Runner
from ._runner import _snippet as _snippet
from ._runner import _stats_body as _stats_body
from ._runner import auth_header, run_checks
from ._runner import embedded_mock as embedded_mock
from ._safety import _NOISE_HEADERS as _NOISE_HEADERS
from ._safety import DEFAULT_LIVE_RATE as DEFAULT_LIVE_RATE
from ._safety import MAX_429_RETRIES as MAX_429_RETRIES
from ._safety import MAX_CURL_BODY as MAX_CURL_BODY
from ._safety import MAX_RETRY_AFTER as MAX_RETRY_AFTER
from ._safety import MaskedStream as MaskedStream
from ._safety import Masker, parse_rate_limit
from ._safety import _make_session as _make_session
from ._safety import _shell_quote as _shell_quote
from ._safety import curl_line as curl_line
from ._safety import retry_after_seconds as retry_after_seconds


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
