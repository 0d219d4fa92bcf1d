"""The contract model: frozen dataclasses, no I/O.

Everything the loader reads from ``contracts/*.yaml`` ends up here, and every
surface (checker, reports, strategies, mock, OpenAPI export) reads only this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

Provenance = Literal["official", "documented", "convention", "assumption"]
PROVENANCES: tuple[str, ...] = ("official", "documented", "convention", "assumption")
Severity = Literal["error", "warning"]
Verdict = Literal["valid", "invalid", "unparseable"]
Profile = Literal["official", "strict"]

@dataclass(frozen=True)
class Violation:
    """One problem with one payload, said the same way by every surface.

    ``pointer`` is the RFC 6901 pointer of the offending value (for a missing
    required property: the parent's pointer + ``/`` + the missing name; ``""``
    for the document itself or a parse error).
    """

    pointer: str
    rule: str
    severity: Severity
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pointer": self.pointer,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }
        if self.hint is not None:
            out["hint"] = self.hint
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        return out


@dataclass(frozen=True)
class Source:
    """Where a contract element comes from in the published documentation."""

    doc: str
    section: str
    url: str


@dataclass(frozen=True)
class ExpectedViolation:
    pointer: str
    rule: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Example:
    """A documented example, kept as raw text exactly as published."""

    name: str
    provenance: Provenance
    where: str
    raw: str
    verdict: Verdict
    violations: tuple[ExpectedViolation, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Drift:
    """A place where the documentation contradicts itself."""

    id: str
    field: str
    where: str
    documented: str
    official: str
    resolution: str
    provenance: Provenance


@dataclass(frozen=True)
class StrictRule:
    """A declarative rule beyond the schema; ``kind`` names code in rules.py."""

    id: str
    kind: str
    severity: Severity
    message: str
    provenance: Provenance
    options: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True)
class Hint:
    """Advice attached to violations that match ``rule``/``pointer``/``sibling``/``value``."""

    say: str
    rule: str | None = None
    pointer: str | None = None
    sibling: str | None = None
    value_matches: str | None = None
    # the JSON type of the offending value ("number", "string", ...): a hint for a fraction
    # ("send whole units") is wrong for a string
    value_type: str | None = None


@dataclass(frozen=True)
class Schema:
    provenance: Provenance
    dialect: str
    document: Mapping[str, Any]
    note: str | None = None


@dataclass(frozen=True)
class Envelope:
    """The API v3 ``{"payload": ..., "message": ..., "code": ...}`` wrapper."""

    provenance: Provenance
    required: bool
    key: str = "payload"
    note: str | None = None


@dataclass(frozen=True)
class Auth:
    schemes: tuple[str, ...]
    header: str
    provenance: Provenance
    note: str | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    type: str
    provenance: Provenance
    description: str = ""
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None
    format: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    provenance: Provenance
    body: Mapping[str, Any] | None = None
    envelope: Envelope | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    method: str
    host: str
    path: str
    auth: Auth | None
    parameters: tuple[Parameter, ...]
    request_body: Mapping[str, Any] | None
    responses: tuple[Response, ...]
    provenance: Provenance
    # Which message ``validate --contract <this id>`` checks: "request" or a status.
    payload: str = "200"


@dataclass(frozen=True)
class Document:
    """The document a contract describes (see ``Contract.document``).

    ``body`` is its schema with the ``{"$contract": ID}`` references kept, which
    is where ``Registry.embedded_contracts`` finds whose strict rules and hints
    apply where; ``envelope`` the API v3 envelope that may wrap it.
    """

    body: Any
    envelope: Envelope | None = None
    # a payload contract's own schema document, judged as written (its $schema and $id kept)
    own: Mapping[str, Any] | None = None

    def schema(self, resolve: Callable[[Any], Any]) -> Any:
        """The schema the document is judged by and drawn from: the body with ``resolve``
        (``Registry.resolve``) expanding its references, or a payload contract's own document."""
        return self.own if self.own is not None else resolve(self.body)


@dataclass(frozen=True)
class Contract:
    id: str
    kind: Literal["payload", "endpoint"]
    title: str
    source: Source
    path: str
    schema: Schema | None = None
    examples: tuple[Example, ...] = ()
    drift: tuple[Drift, ...] = ()
    strict: tuple[StrictRule, ...] = ()
    hints: tuple[Hint, ...] = ()
    endpoint: Endpoint | None = None
    bundled: bool = True

    def response(self, status: str) -> Response | None:
        if self.endpoint is None:
            return None
        for response in self.endpoint.responses:
            if response.status == status:
                return response
        return None

    def document(self, status: str | None = None) -> Document:
        """Which document this contract describes: what ``validate --contract ID`` checks and
        ``payloads(ID)`` draws, and ``status``'s response body when one is asked for.

        A payload contract describes its schema. An endpoint contract describes the message
        its ``payload`` names: the request body, or a response's body (``true`` when the
        response declares none) with that response's envelope. ``LookupError`` when the
        contract has no such message.
        """
        endpoint = self.endpoint
        if status is None:
            if self.schema is not None:
                return Document({"$contract": self.id}, None, self.schema.document)
            if endpoint is None:
                raise LookupError(f"{self.id!r} has neither a schema nor an endpoint")
            if endpoint.payload == "request":
                if endpoint.request_body is None:
                    raise LookupError(f"{self.id!r}: payload is 'request' but the endpoint has no request body")
                return Document(endpoint.request_body)
            status = endpoint.payload
        if endpoint is None:
            raise LookupError(f"{self.id!r} is a payload contract: it has no responses")
        response = self.response(status)
        if response is None:
            known = ", ".join(r.status for r in endpoint.responses)
            raise LookupError(f"{self.id!r} has no response {status} (it has {known})")
        return Document(response.body if response.body is not None else True, response.envelope)


@dataclass(frozen=True)
class Result:
    """The verdict on one payload: valid when no violation is an error."""

    source: str
    violations: tuple[Violation, ...] = ()
    path: str | None = None
    # "bare" or "enveloped" when the contract allows the API v3 envelope
    envelope: str | None = None
    # the input could not be read at all (missing file, directory, permission)
    unreadable: bool = False

    @property
    def error_count(self) -> int:
        """How many violations are errors (the rest are warnings): what decides ``valid``."""
        count = 0
        for v in self.violations:  # a loop, not sum(genexpr): asked for every result of a run
            if v.severity == "error":
                count += 1
        return count

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "valid": self.valid,
                               "violations": [v.to_dict() for v in self.violations]}
        if self.envelope is not None:
            out["envelope"] = self.envelope
        return out
