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

from ._cli import run_cli, settings_from_args
from ._model import (
    CHECKS,
    SCENARIO_OPERATION,
    ConnectionProblem,
    Finding,
    Outcome,
    RunReport,
    Settings,
    WrittenRecord,
    missing_check_extra,
    planned_checks,
)
from ._report import write_report
from ._runner import embedded_mock, judge_response, run_checks
from ._safety import (MaskedStream, Masker, connection_reason, curl_line, default_rate, parse_rate_limit,
                      retry_after_seconds)

__all__ = ["CHECKS", "SCENARIO_OPERATION", "ConnectionProblem", "Finding", "MaskedStream", "Masker", "Outcome",
           "RunReport", "Settings", "WrittenRecord", "connection_reason", "curl_line", "default_rate", "embedded_mock",
           "judge_response", "missing_check_extra", "parse_rate_limit", "planned_checks", "retry_after_seconds",
           "run_checks", "run_cli", "settings_from_args", "write_report"]
