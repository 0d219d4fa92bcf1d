"""The checker: a contract's schema and strict rules → violations.

One ``Checker`` per (contract, profile), compiled once and reused for every
payload. Every verdict comes from one engine (jsonschema-rs, see ``engine``): the
official schema, and one overlay schema holding every strict rule JSON Schema can
say; the few rules it cannot say are Python checks (``rules``). A payload's verdict
depends on the payload and the contract only. Only failing payloads pay for error
collection, hints and line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from .engine import SchemaError
from .loader import Registry
from .model import Contract, Envelope, Hint, Profile, Result, Violation
from .pointers import Parts, parts_from_pointer, pointer_from_parts
from .positions import line_column, offsets_of
from .rules import Context, PointerPattern, Rule, compile_rule, overlay_at
from .sources import Payload, payload_from_text
from .wire import is_envelope


@dataclass(frozen=True)
class _Strict:
    """One strict rule of an embedded payload contract, applied under ``prefix``."""

    id: str
    severity: str
    message: str
    prefix: PointerPattern
    rule: Rule


@dataclass(frozen=True)
class _HintAt:
    hint: Hint
    pointer: PointerPattern | None
    value: re.Pattern[str] | None


def target_schema(registry: Registry, contract: Contract) -> tuple[Any, Envelope | None]:
    """The schema ``validate --contract`` checks for this contract, resolved, and its envelope."""
    document = contract.document()
    return document.schema(registry.resolve), document.envelope


def _target_body(registry: Registry, contract: Contract) -> Any:
    return contract.document().body


class Checker:
    """Judges payloads against one contract under one profile."""

    def __init__(self, registry: Registry, contract_id: str = "connectors.log-record", *,
                 profile: Profile = "official") -> None:
        if profile not in ("official", "strict"):
            raise ValueError(f"unknown profile {profile!r} (official or strict)")
        self.registry = registry
        self.contract = registry.get(contract_id)
        self.profile = profile
        schema, self.envelope = target_schema(registry, self.contract)
        embedded = list(registry.embedded_contracts(_target_body(registry, self.contract)))
        self._rules: list[_Strict] = []
        self._hints: list[_HintAt] = []
        for prefix, contract in embedded:
            for r in contract.strict:
                self._rules.append(_Strict(r.id, "error" if profile == "strict" else r.severity, r.message,
                                           PointerPattern(prefix), compile_rule(r)))
            self._hints.extend(_HintAt(h, PointerPattern(prefix + h.pointer) if h.pointer is not None else None,
                                       re.compile(h.value_matches) if h.value_matches is not None else None)
                               for h in contract.hints)
        # One document for the engine: allOf/0 the schema, allOf/1/allOf/g the overlays of the rules in
        # self._groups[g], which select the same places: one walk to each place, where allOf/k of the
        # leaf is the k-th rule's. So a valid payload is judged in one call, and a failing leaf's schema
        # path names its rule. The schema keeps its $id as an embedded resource: its references keep
        # their scope.
        groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for i, s in enumerate(self._rules):
            if s.rule.overlay is not None:
                groups.setdefault((s.prefix.pattern, s.rule.patterns), []).append(i)
        self._groups = list(groups.values())
        branches = [{"allOf": [overlay_at(prefix + p, {"allOf": [self._rules[i].rule.overlay for i in members]})
                               for p in patterns]} for (prefix, patterns), members in groups.items()]
        self._overlaid = bool(branches)
        self.schema = registry.compile({"allOf": [schema, {"allOf": branches}]} if self._overlaid else schema)
        self._checks = [(i, s) for i, s in enumerate(self._rules) if s.rule.check is not None]

    # -- public API ------------------------------------------------------------------

    def check(self, payload: Payload) -> Result:
        """The verdict on one payload read by ``sources`` (parse errors included)."""
        if payload.error is not None:
            return Result(payload.source, (payload.error,), payload.path, unreadable=payload.unreadable)
        violations, form = self.violations(payload.document, duplicates=payload.duplicates)
        if violations and payload.text is not None:
            violations = self._locate(violations, payload.text, payload.line_offset, not payload.duplicates,
                                      payload.document)
        return Result(payload.source, tuple(violations), payload.path, envelope=form)

    def check_document(self, document: Any, source: str = "<document>") -> Result:
        """Check an already-parsed document (no line numbers, no duplicate-key detection)."""
        violations, form = self.violations(document)
        return Result(source, tuple(violations), envelope=form)

    def check_text(self, text: str, source: str = "<text>") -> Result:
        return self.check(payload_from_text(source, text))

    def violations(self, document: Any, *, duplicates: Iterable[tuple[dict[str, Any], list[str]]] = ()
                   ) -> tuple[list[Violation], str | None]:
        form = None
        prefix: Parts = ()
        if self.envelope is not None:
            if is_envelope(document, self.envelope.key):
                form, prefix, document = "enveloped", (self.envelope.key,), document[self.envelope.key]
            elif self.envelope.required:
                return [Violation("", "envelope", "error",
                                  f"expected the API v3 envelope {{{self.envelope.key!r}: ..., 'message', 'code'}}")], None
            else:
                form = "bare"
        out: list[Violation] = []
        findings: dict[int, list[tuple[Parts, str]]] = {}
        if not self.schema.is_valid(document):
            self._schema_findings(document, prefix, out, findings)
        if not self._rules:
            return out, form
        if self._checks:
            self._check_findings(document, duplicates, findings)
        for index in sorted(findings):
            strict = self._rules[index]
            for parts, detail in findings[index]:
                out.append(Violation(pointer_from_parts(prefix + parts), strict.id, strict.severity,  # type: ignore[arg-type]
                                     f"{strict.message}: {detail}"))
        return out, form

    # -- helpers ---------------------------------------------------------------------

    def _check_findings(self, document: Any, duplicates: Iterable[tuple[dict[str, Any], list[str]]],
                        findings: dict[int, list[tuple[Parts, str]]]) -> None:
        """Run the rules JSON Schema cannot say, each at every place its prefix selects."""
        ctx = Context(duplicates if type(duplicates) is list else list(duplicates))
        for index, strict in self._checks:
            check = strict.rule.check
            assert check is not None
            for base, sub in (((), document),) if not strict.prefix.segments else strict.prefix.select(document):
                for parts, detail in check(sub, ctx):
                    findings.setdefault(index, []).append((base + parts, detail))

    def _schema_findings(self, document: Any, prefix: Parts, out: list[Violation],
                         findings: dict[int, list[tuple[Parts, str]]]) -> None:
        """Sort an invalid document's schema errors: an overlaid rule's go to ``findings`` under
        that rule (reported with its id), the contract schema's own straight to ``out``."""
        if not self._overlaid:
            out.extend(self._from_schema_error(e, document, prefix) for e in self.schema.errors(document))
            return
        for error, raw in self.schema.errors_with_paths(document):
            path = raw.schema_path
            if len(path) > 3 and path[1] == 1:  # leaf allOf/k of group path[3]: [..., k, keyword]
                index = self._groups[path[3]][path[-2]]
                says = self._rules[index].rule.says
                findings.setdefault(index, []).append(
                    (error.parts, error.message if says is None else says(raw.instance)))
            else:
                out.append(self._from_schema_error(error, document, prefix))

    def _from_schema_error(self, error: SchemaError, document: Any, prefix: Parts) -> Violation:
        return Violation(pointer_from_parts(prefix + error.parts), error.keyword, "error", error.message,
                         self._hint(error, document))

    def _hint(self, error: SchemaError, document: Any) -> str | None:
        parts = error.parts
        for at in self._hints:
            hint = at.hint
            if hint.rule is not None and hint.rule != error.keyword:
                continue
            if at.pointer is not None and not at.pointer.matches(parts):
                continue
            if hint.sibling is not None:
                parent = _get(document, parts[:-1])
                if type(parent) is not dict or hint.sibling not in parent:
                    continue
            if hint.value_type is not None and _json_type(_get(document, parts)) != hint.value_type:
                continue
            if at.value is not None:
                value = _get(document, parts)
                if type(value) is not str or not at.value.search(value):
                    continue
            return hint.say
        return None

    @staticmethod
    def _locate(violations: list[Violation], text: str, line_offset: int, unique_keys: bool = False,
                document: Any = None) -> list[Violation]:
        pointers = {v.pointer: tuple(parts_from_pointer(v.pointer)) for v in violations if v.line is None}
        if not pointers:
            return violations
        offsets = offsets_of(text, pointers.values(), unique_keys=unique_keys, document=document)  # one walk
        located = []
        for v in violations:
            if v.line is None:
                line, column = line_column(text, offsets[pointers[v.pointer]])
                v = Violation(v.pointer, v.rule, v.severity, v.message, v.hint, line + line_offset, column)
            located.append(v)
        return located


_MISSING = object()


def _get(document: Any, parts: Parts) -> Any:
    for part in parts:
        if type(document) is dict:
            document = document.get(part, _MISSING)
        elif type(document) is list and type(part) is int and part < len(document):
            document = document[part]
        else:
            return _MISSING
    return document


def _json_type(value: Any) -> str:
    """The JSON type name of a parsed value (an int is a number, a bool is not)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
