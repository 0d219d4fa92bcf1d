"""The checker: a contract's schema and strict rules → violations.

One ``Checker`` per (contract, profile), compiled once and reused for every
payload. Valid payloads take the fast path (a boolean schema check and the
strict rules); only failing ones pay for error collection, hints and line
numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .draft7 import CompiledSchema, Parts, SchemaError, parts_from_pointer, pointer_from_parts, translate_schema_patterns
from .loader import Registry
from .model import Contract, Envelope, Hint, Profile, Result, Violation
from .positions import line_column, offsets_of
from .rules import CompiledRule, Context, PointerPattern, compile_rule, compile_selector, merge_overlays, overlay_at
from .sources import Payload, payload_from_text


@dataclass(frozen=True)
class _ScopedRule:
    id: str
    severity: str
    message: str
    rule: CompiledRule
    # its overlay can be placed at all its patterns: when the merged overlays hold, it finds nothing
    covered: bool
    # where its values are among the scope's selected lists: [0] of ``selects[0]`` (every rule's
    # patterns), [1] of ``selects[1]`` (those of the rules not covered)
    lists: tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class _Scoped:
    """Rules and hints of one embedded payload contract, applied under ``prefix``."""

    prefix: PointerPattern
    rules: tuple[_ScopedRule, ...]
    hints: tuple[tuple[Hint, PointerPattern | None, re.Pattern[str] | None], ...]
    # one walk each: the values at every rule's patterns; at the patterns of the rules not covered
    selects: tuple[Callable[[Any], list[list[Any]]], Callable[[Any], list[list[Any]]]]
    overlays: tuple[dict[str, Any], ...]  # JSON Schemas of the covered rules, located from the document's root


def _scoped(prefix: str, embedded: Contract, profile: Profile) -> _Scoped:
    compiled = [(r, compile_rule(r)) for r in embedded.strict]
    overlays: list[dict[str, Any]] = []
    covered = []
    for _, c in compiled:
        located = [overlay_at(prefix + p, c.overlay) for p in c.patterns] if c.overlay is not None else []
        covered.append(bool(located) and None not in located)
        if covered[-1]:
            overlays.extend(located)  # type: ignore[arg-type]
    patterns = sorted({p for _, c in compiled for p in c.patterns})
    rest = sorted({p for (_, c), done in zip(compiled, covered) if not done for p in c.patterns})
    rules = tuple(_ScopedRule(r.id, "error" if profile == "strict" else r.severity, r.message, c, done,
                              (tuple(patterns.index(p) for p in c.patterns),
                               () if done else tuple(rest.index(p) for p in c.patterns)))
                  for (r, c), done in zip(compiled, covered))
    hints = tuple((h, PointerPattern(prefix + h.pointer) if h.pointer is not None else None,
                   re.compile(h.value_matches) if h.value_matches is not None else None)
                  for h in embedded.hints)
    return _Scoped(PointerPattern(prefix), rules, hints, (compile_selector(patterns), compile_selector(rest)),
                   tuple(overlays))


def target_schema(registry: Registry, contract: Contract) -> tuple[Any, Envelope | None]:
    """The schema ``validate --contract`` checks for this contract, resolved, and its envelope."""
    if contract.schema is not None:
        return contract.schema.document, None
    endpoint = contract.endpoint
    assert endpoint is not None
    if endpoint.payload == "request":
        return registry.resolve(endpoint.request_body), None
    response = contract.response(endpoint.payload)
    assert response is not None
    return registry.resolve(response.body if response.body is not None else True), response.envelope


def _target_body(registry: Registry, contract: Contract) -> Any:
    if contract.schema is not None:
        return {"$contract": contract.id}
    endpoint = contract.endpoint
    assert endpoint is not None
    if endpoint.payload == "request":
        return endpoint.request_body
    response = contract.response(endpoint.payload)
    assert response is not None
    return response.body


# After this many payloads the verdict comes from the compiled Rust validator
# (jsonschema-rs, installed with schemathesis): its import costs more than a
# handful of payloads take in Python, so a one-file run never pays for it.
FAST_PATH_AFTER = 32


class Checker:
    """Judges payloads against one contract under one profile.

    The verdict on the schema may come from jsonschema-rs (``fast_path``: None
    switches it on after FAST_PATH_AFTER payloads, True at once, False never);
    the violations of a failing payload always come from the Python compiler, so
    what a user reads never depends on which path judged.

    The strict rules have quick verdicts too, and ``fast_path=False`` turns them
    off with the rest: one generated walk selects every value the rules look at,
    each rule's gate judges its values, and the rules whose overlay JSON Schema
    says the same thing are judged by jsonschema-rs (all overlays merged in one). A
    quick verdict only ever vouches that a rule finds nothing; findings come from
    the rule itself.
    """

    def __init__(self, registry: Registry, contract_id: str = "connectors.log-record", *,
                 profile: Profile = "official", fast_path: bool | None = None) -> None:
        if profile not in ("official", "strict"):
            raise ValueError(f"unknown profile {profile!r} (official or strict)")
        self.registry = registry
        self.contract = registry.get(contract_id)
        self.profile = profile
        schema, self.envelope = target_schema(registry, self.contract)
        self.schema = CompiledSchema(schema)
        self._fast_path = fast_path
        self._fast: Callable[[Any], bool] | None = None
        self._fast_overlays: Callable[[Any], bool] | None = None  # the covered rules' overlays, merged
        self._seen = 0
        self._scoped = tuple(_scoped(prefix, embedded, profile) for prefix, embedded
                             in registry.embedded_contracts(_target_body(registry, self.contract)))
        # rule gates (quick verdicts on valid values) are part of the fast path
        self._gates = fast_path is not False

    # -- public API ------------------------------------------------------------------

    def check(self, payload: Payload) -> Result:
        """The verdict on one payload read by ``sources`` (parse errors included)."""
        if payload.error is not None:
            return Result(payload.source, (payload.error,), payload.path, unreadable=payload.unreadable)
        violations, form = self.violations(payload.document, duplicates=payload.duplicates)
        if violations and payload.text is not None:
            violations = self._locate(violations, payload.text, payload.line_offset, not payload.duplicates)
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
            if self._is_envelope(document):
                form, prefix, document = "enveloped", (self.envelope.key,), document[self.envelope.key]
            elif self.envelope.required:
                return [Violation("", "envelope", "error",
                                  f"expected the API v3 envelope {{{self.envelope.key!r}: ..., 'message', 'code'}}")], None
            else:
                form = "bare"
        out: list[Violation] = []
        schema_valid, covered = self._verdicts(document)
        if not schema_valid:
            for error in self.schema.errors(document):
                out.append(self._from_schema_error(error, document, prefix))
        ctx = Context(duplicates if type(duplicates) is list else list(duplicates))
        gates = self._gates
        for scope in self._scoped:
            bases = (((), document),) if not scope.prefix.segments else scope.prefix.select(document)
            for base, sub in bases:
                ctx.document, ctx.selected = sub, {}
                lists = scope.selects[covered](sub) if gates else None
                for scoped in scope.rules:
                    rule = scoped.rule
                    if lists is not None:
                        if covered and scoped.covered:
                            continue  # the overlays' compiled verdict vouched for it
                        indices = scoped.lists[covered]
                        values = lists[indices[0]] if len(indices) == 1 else [v for i in indices for v in lists[i]]
                        if indices:
                            ctx.selected[rule.patterns] = values
                        if rule.gate is not None and rule.gate(values, ctx):
                            continue
                    for parts, detail in rule(sub, ctx):
                        out.append(Violation(pointer_from_parts(prefix + base + parts), scoped.id,
                                             scoped.severity, f"{scoped.message}: {detail}"))  # type: ignore[arg-type]
        return out, form

    # -- helpers ---------------------------------------------------------------------

    def _verdicts(self, document: Any) -> tuple[bool, bool]:
        """(the schema holds, the covered rules' overlays hold): the second even when the first
        does not, so an invalid payload's strict rules stay on the quick path too."""
        fast = self._fast
        if fast is None and self._fast_path is not False:
            self._seen += 1
            if self._fast_path or self._seen > FAST_PATH_AFTER:
                self._compile_fast_path()
                fast = self._fast
        if fast is not None:
            try:
                overlays = self._fast_overlays
                return fast(document), overlays is not None and overlays(document)
            except Exception:  # e.g. a lone surrogate Rust cannot hold: ask Python
                pass
        return self.schema.is_valid(document), False

    def _compile_fast_path(self) -> None:
        schema = self.schema.schema
        self._fast = _compiled_verdict(schema)
        if self._fast is None:
            self._fast_path = False  # unavailable: do not try again
            return
        overlays = [o for scope in self._scoped for o in scope.overlays]
        if overlays:
            self._fast_overlays = _compiled_verdict(merge_overlays(overlays))

    @property
    def fast_path_active(self) -> bool:
        return self._fast is not None

    def _is_envelope(self, document: Any) -> bool:
        return type(document) is dict and self.envelope is not None and self.envelope.key in document \
            and "code" in document and "message" in document

    def _from_schema_error(self, error: SchemaError, document: Any, prefix: Parts) -> Violation:
        return Violation(pointer_from_parts(prefix + error.parts), error.keyword, "error", error.message,
                         self._hint(error, document))

    def _hint(self, error: SchemaError, document: Any) -> str | None:
        parts = error.parts
        for scope in self._scoped:
            for hint, pattern, value_rx in scope.hints:
                if hint.rule is not None and hint.rule != error.keyword:
                    continue
                if pattern is not None and not pattern.matches(parts):
                    continue
                if hint.sibling is not None:
                    parent = _get(document, parts[:-1])
                    if type(parent) is not dict or hint.sibling not in parent:
                        continue
                if hint.value_type is not None and _json_type(_get(document, parts)) != hint.value_type:
                    continue
                if value_rx is not None:
                    value = _get(document, parts)
                    if type(value) is not str or not value_rx.search(value):
                        continue
                return hint.say
        return None

    @staticmethod
    def _locate(violations: list[Violation], text: str, line_offset: int, unique_keys: bool = False
                ) -> list[Violation]:
        pointers = {v.pointer: tuple(parts_from_pointer(v.pointer)) for v in violations if v.line is None}
        if not pointers:
            return violations
        offsets = offsets_of(text, pointers.values(), unique_keys=unique_keys)  # one walk for them all
        located = []
        for v in violations:
            if v.line is None:
                line, column = line_column(text, offsets[pointers[v.pointer]])
                v = Violation(v.pointer, v.rule, v.severity, v.message, v.hint, line + line_offset, column)
            located.append(v)
        return located


_MISSING = object()


def _compiled_verdict(schema: Any) -> Callable[[Any], bool] | None:
    """jsonschema-rs' is_valid on the schema with ECMA patterns, or None when unavailable."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        translated = translate_schema_patterns(schema, end_of_input="$")
        validator = jsonschema_rs.Draft7Validator(translated, validate_formats=False)
    except Exception:
        return None
    return validator.is_valid  # type: ignore[no-any-return]


def _get(document: Any, parts: Parts) -> Any:
    for part in parts:
        if type(document) is dict:
            document = document.get(part, _MISSING)  # type: ignore[arg-type]
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
