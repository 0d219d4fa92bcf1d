"""Settings, outcomes and the plan of a check run: what is checked, and what came of it."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model import Result, Violation

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Registry

TOOL = "woowup-contract"

# Check name → what it asks of the server. Names of schemathesis' own checks are kept.
CHECKS: dict[str, str] = {
    "not_a_server_error": "no 5xx answer, no dropped connection, no timeout",
    "status_code_conformance": "every status is one the contract documents",
    "content_type_conformance": "every body is sent with a documented Content-Type",
    "response_schema_conformance": "every body matches the contract's schema for its status",
    "response_headers_conformance": "documented headers are present and valid (Retry-After on 429)",
    "negative_data_rejection": "invalid input is refused with a 4xx",
    "auth_enforced": "a request without a key, or with a wrong key, is refused with 401 or 403",
    "stateful_roundtrip": "a POSTed record is returned by GET /v1/logs and counted by GET /apiv3/stats",
}
RESPONSE_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance", "response_headers_conformance")
SCENARIO_OPERATION = "POST /v1/log"


def missing_check_extra() -> str | None:
    """Why the endpoint checks cannot run here, or None: schemathesis comes with the ``check`` extra.

    It is an extra because schemathesis registers its own pytest plugin, which every
    pytest run of a project that installs it pays for at start-up.
    """
    import importlib.util

    if importlib.util.find_spec("schemathesis") is not None:
        return None
    return ("the endpoint checks need schemathesis, which comes with the check extra: "
            "python -m pip install 'woowup-contract[check]'")


class ConnectionProblem(Exception):
    """The target cannot be reached at all: exit 2 with this message."""


# -- settings -----------------------------------------------------------------------------


@dataclass
class Settings:
    """What one run checks, and how gently."""

    base_url: str
    api_key: str
    live: bool
    allow_writes: bool = False
    apiv3_base_url: str | None = None
    max_examples: int = 25
    seed: int | None = None
    rate_per_minute: float | None = None
    timeout: float = 10.0
    run_id: str = ""
    # the operations to exercise (labels such as "GET /v1/logs"); None: all. The others are
    # reported skipped, "not selected" (pytest -k / -m deselected every one of their items)
    only: frozenset[str] | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if self.apiv3_base_url:
            self.apiv3_base_url = self.apiv3_base_url.rstrip("/")
        if self.seed is None:
            self.seed = secrets.randbelow(2**32)
        if not self.run_id:
            self.run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)

    @property
    def writes(self) -> bool:
        """POST runs against the embedded mock, and against a live URL only when allowed."""
        return self.allow_writes or not self.live

    @property
    def tag(self) -> str:
        """The ``files`` entry that marks every record this run writes."""
        return f"{TOOL}-check-{self.run_id}"

    def url_for(self, path: str) -> str:
        if path.startswith("/apiv3/") and self.apiv3_base_url:
            return self.apiv3_base_url
        return self.base_url


# -- outcomes -----------------------------------------------------------------------------


@dataclass
class Finding:
    """One failure of one check, with the operation it is about."""

    source: str
    violation: Violation
    weight: int = 0  # shorter reproductions are preferred when one is kept


@dataclass
class Outcome:
    """One check on one operation."""

    operation: str
    check: str
    status: str = "passed"  # passed | failed | skipped
    reason: str = ""
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)
    failures: int = 0  # requests that failed this check (findings keep a representative few)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operation": self.operation, "check": self.check, "status": self.status,
                               "requests": self.requests}
        if self.status == "failed":
            out["failed_requests"] = self.failures
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class WrittenRecord:
    """A record a POST stored on the target during this run."""

    operation: str
    status: int
    files: list[str]
    tagged: bool
    createtime: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"operation": self.operation, "status": self.status, "files": self.files,
                               "tagged": self.tagged}
        if self.createtime:
            out["createtime"] = self.createtime
        return out


@dataclass
class RunReport:
    settings: Settings
    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    records: list[WrittenRecord] = field(default_factory=list)
    requests: int = 0

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)

    def outcome(self, operation: str, check: str) -> Outcome | None:
        for o in self.outcomes:
            if o.operation == operation and o.check == check:
                return o
        return None

    def results(self) -> list[Result]:
        """One shared ``Result`` per operation (``source`` = ``METHOD PATH``), violations from every check."""
        order: list[str] = []
        found: dict[str, list[Violation]] = {}
        for o in self.outcomes:
            if o.status != "skipped" and o.operation not in found:
                order.append(o.operation)
                found[o.operation] = []
        for o in self.outcomes:
            for f in o.findings:
                if f.source not in found:
                    order.append(f.source)
                    found[f.source] = []
                found[f.source].append(f.violation)
        return [Result(source=op, violations=tuple(found[op])) for op in order]


# -- the plan -----------------------------------------------------------------------------


def planned_checks(registry: Registry, settings: Settings) -> list[tuple[str, str, str]]:
    """(operation, check, skip reason or "") for every item a run reports, in order."""
    from ..openapi import endpoint_contracts

    out: list[tuple[str, str, str]] = []
    labels = []
    for contract in reads_first(endpoint_contracts(registry)):
        endpoint = contract.endpoint
        assert endpoint is not None
        label = f"{endpoint.method.upper()} {endpoint.path}"
        labels.append(label)
        skip = ""
        if endpoint.method.upper() != "GET" and not settings.writes:
            skip = "read-only: writes need --allow-writes against a live URL"
        for check in CHECKS:
            if check == "stateful_roundtrip":
                continue
            if check == "auth_enforced" and endpoint.auth is None:
                out.append((label, check, "the contract declares no auth"))
                continue
            out.append((label, check, skip))
    scenario_ready = {"POST /v1/log", "GET /v1/logs", "GET /apiv3/stats"} <= set(labels)
    reason = "" if settings.writes else "read-only: writes need --allow-writes against a live URL"
    if not scenario_ready:
        reason = "the contracts do not define POST /v1/log, GET /v1/logs and GET /apiv3/stats"
    out.append((SCENARIO_OPERATION, "stateful_roundtrip", reason))
    return out


def reads_first(contracts: list[Any]) -> list[Any]:
    """GET operations first: a read-only run and a write run check reads in the same order."""
    return sorted(contracts, key=lambda c: (c.endpoint.method.upper() != "GET", c.endpoint.path))
